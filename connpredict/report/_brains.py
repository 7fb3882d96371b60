"""Brain figures of a results folder: per-region accuracy and edges on the brain.

Everything is drawn offline with nilearn (glass brains, and the fsaverage5
surface that nilearn bundles).
"""

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from connpredict.plotting import (
    figure_style,
    plot_glass_edges,
    plot_glass_markers,
    strongest_edges,
    symmetric_limit,
)
from connpredict.report._figures import _select_predictions, _splits
from connpredict.utils import import_optional
from connpredict.utils._checks import check_int

_NEEDS_PLOT = "The report's brain figures"

#: vertices farther than this from every region centroid stay blank (mm)
SURFACE_MAX_DISTANCE = 30.0


def _coords(regions, labels=None):
    if not isinstance(regions, pd.DataFrame) or not {"x", "y", "z"} <= set(
        regions.columns
    ):
        raise ValueError(
            "regions must be a region table (DataFrame indexed by region label) "
            "with MNI coordinates x, y, z, e.g. load_dataset(name).regions."
        )
    table = regions.copy()
    table.index = table.index.astype(str)
    if labels is not None:
        missing = [lab for lab in labels if lab not in table.index]
        if missing:
            raise ValueError(
                f"{len(missing)} region(s) lack coordinates in regions, e.g. "
                f"{missing[:3]}; pass the region table of the dataset that was run."
            )
        table = table.loc[list(labels)]
    return table


def _select(table, model, split, what):
    table = table.astype({"model": str, "split": str})
    split = _splits(table)[0] if split is None else split
    table = table[table["split"] == split]
    if table.empty:
        raise ValueError(f"{what} has no rows for split {split!r}.")
    if model is None:
        model = str(table.groupby("model")["r"].mean().idxmax())
    table = table[table["model"] == model]
    if table.empty:
        raise ValueError(f"{what} has no rows for model {model!r}.")
    return table, model, split


def region_accuracy(region_scores, *, model=None, split=None):
    """Mean per-region accuracy of one model and split (over seeds).

    Parameters
    ----------
    region_scores : DataFrame
        The table of ``region_scores.csv`` (model, split, seed, region, r).
    model : str, default=None
        None takes the model with the highest mean per-region r.
    split : str, default=None
        None takes ``"spatial"`` when present, else the first split.

    Returns
    -------
    r : Series
        Indexed by region label, named ``"<model>, <split> split"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.report import region_accuracy
    >>> scores = pd.DataFrame({"model": "cge", "split": "random", "seed": [0, 1],
    ...                        "region": ["a", "a"], "r": [0.2, 0.4]})
    >>> region_accuracy(scores).round(2).to_dict()
    {'a': 0.3}
    """
    table, model, split = _select(region_scores, model, split, "region_scores")
    table = table.astype({"region": str})
    r = table.groupby("region", sort=False)["r"].mean()
    r.name = f"{model}, {split} split"
    return r


def plot_region_scores(
    region_scores, regions, *, model=None, split=None, kind="glass", atlas=None
):
    """Per-region accuracy on the brain.

    The accuracy of a held-out region is the Pearson r between its predicted
    and true connectivity to the other regions of its test fold
    (``region_scores.csv``), averaged over seeds.

    Parameters
    ----------
    region_scores : DataFrame
        The table of ``region_scores.csv``.
    regions : DataFrame
        Region table indexed by label with MNI ``x, y, z`` (and
        ``hemisphere``, ``structure`` for ``kind="surface"``).
    model, split : str, default=None
        As in :func:`region_accuracy`.
    kind : {"glass", "surface"}, default="glass"
        ``"glass"``: one marker per region on a glass brain
        (:func:`nilearn.plotting.plot_markers`). ``"surface"``: the cortical
        parcels painted on nilearn's bundled inflated fsaverage5 surface
        over its sulcal depth, in four equal panels (lateral and medial
        views of both hemispheres). The parcels come from ``atlas`` when
        given; else, for the Schaefer-100/200/300/400 regions of the
        ``hcp-schaefer*`` datasets, from the Schaefer parcellation on
        fsaverage5 that connpredict ships; else each vertex takes the value
        of the nearest cortical region centroid of its hemisphere (within
        30 mm), an approximation the figure says it uses.
    atlas : str, path-like or nibabel image, default=None
        For ``kind="surface"``: the volumetric label image of the regions
        (values = the region labels of ``region_scores``, as for
        :func:`connpredict.datasets.atlas_regions` without ``info``); each
        vertex takes the label of the nearest labelled voxel of a cortical
        region of its hemisphere (within 5 mm).

    Returns
    -------
    fig : matplotlib Figure
        The figure drawn.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from connpredict.report import plot_region_scores
    >>> regions = pd.DataFrame({"x": [-40.0, -30, 30, 40], "y": [0.0, 20, 0, 20],
    ...                         "z": [10.0, 20, 10, 20]}, index=list("abcd"))
    >>> scores = pd.DataFrame({"model": "cge", "split": "random", "seed": 0,
    ...                        "region": list("abcd"), "r": [0.1, 0.5, 0.3, -0.2]})
    >>> fig = plot_region_scores(scores, regions)
    >>> fig.get_axes() != []
    True
    """
    r = region_accuracy(region_scores, model=model, split=split)
    if kind == "glass":
        return _glass_markers(r, _coords(regions, r.index))
    if kind == "surface":
        return _surface(r, _coords(regions, r.index), atlas=atlas)
    raise ValueError(f"kind must be 'glass' or 'surface', got {kind!r}.")


def _glass_markers(r, table):
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)

    ok = np.isfinite(r.to_numpy(dtype=float))
    vmax = symmetric_limit(r)
    with figure_style():
        fig = plt.figure(figsize=(11, 4))
        plot_glass_markers(
            fig,
            r.to_numpy(dtype=float)[ok],
            table[["x", "y", "z"]].to_numpy(dtype=float)[ok],
            cmap="RdBu_r",
            vmin=-vmax,
            vmax=vmax,
            title=f"Per-region accuracy (r): {r.name}",
            colorbar_label="per-region accuracy (Pearson r)",
        )
        if not ok.all():
            fig.text(0.01, 0.02, f"{(~ok).sum()} region(s) undefined (NaN) not shown")
    return fig


#: the four views of the surface figure: (mesh part, hemisphere, view)
_SURFACE_VIEWS = (
    ("left", "L", "lateral"),
    ("right", "R", "lateral"),
    ("left", "L", "medial"),
    ("right", "R", "medial"),
)
#: vertex labels of the Schaefer atlases on fsaverage5 (data/build_surface_labels.py)
_SCHAEFER_FILE = "schaefer_fsaverage5.npz"


def _hemispheres(table):
    if "hemisphere" in table.columns:
        return table["hemisphere"].astype(str).str.upper().str[0].to_numpy()
    return np.where(table["x"].to_numpy(dtype=float) < 0, "L", "R")


def _cortical(table):
    if "structure" in table.columns:
        return (
            table["structure"].astype(str).str.lower().str.startswith("cort").to_numpy()
        )
    return np.ones(len(table), dtype=bool)


def _schaefer_vertex_labels(labels):
    """Region label of each fsaverage5 vertex when ``labels`` are Schaefer parcels.

    Returns None unless every label is a cortical parcel of one shipped
    Schaefer-N region table (``7Networks_LH_Vis_1`` ...).
    """
    from importlib import resources

    from connpredict.datasets import load_region_table

    labels = set(labels)
    with (
        resources.files("connpredict.report")
        .joinpath("data", _SCHAEFER_FILE)
        .open("rb") as fh
    ):
        shipped = dict(np.load(fh))
    for key, parcel in shipped.items():
        table = load_region_table(int(key.removeprefix("schaefer")))
        names = table.index[table["structure"] == "cortex"].astype(str)
        if labels <= set(names):
            lookup = np.r_[[""], names.to_numpy(dtype=object)]
            return lookup[parcel.astype(int)], key
    return None, None


def _image_vertex_labels(atlas, region_labels, vertices, max_distance=5.0):
    """Region label of each vertex from a label image: the nearest labelled voxel.

    Only voxels of ``region_labels`` count (the image values, compared as
    strings); a vertex farther than ``max_distance`` mm from all of them has
    none ("").
    """
    nib = import_optional("nibabel", _NEEDS_PLOT)
    from scipy.spatial import cKDTree

    img = nib.load(atlas) if isinstance(atlas, (str, Path)) else atlas
    data = np.asarray(img.dataobj)
    data = data[..., 0] if data.ndim == 4 else data
    wanted = {str(lab) for lab in region_labels}
    ids = [v for v in np.unique(data[data > 0]) if str(int(v)) in wanted]
    out = np.full(len(vertices), "", dtype=object)
    if not ids:
        return out
    ijk = np.argwhere(np.isin(data, ids))
    affine = np.asarray(img.affine, dtype=float)
    world = ijk @ affine[:3, :3].T + affine[:3, 3]
    dist, idx = cKDTree(world).query(vertices)
    values = data[tuple(ijk[idx].T)].astype(int).astype(str)
    near = dist <= max_distance
    out[near] = values[near]
    return out


def _midthickness():
    """fsaverage5 midthickness coordinates (mean of pial and white), per part.

    Shipped with the views (0.01 mm precision), so nilearn's meshes need not load.
    """
    stored = _views_file()
    unit = float(stored["midthickness_unit"])
    return {
        part: stored[f"midthickness_{h}"].astype(float) * unit
        for part, h in (("left", "L"), ("right", "R"))
    }


def _surface_textures(r, table, atlas):
    """Per-vertex values of the four views' hemispheres, and how they were made."""
    hemi = _hemispheres(table)
    cortical = _cortical(table)
    if not cortical.any():
        raise ValueError("no cortical regions to draw on the surface.")
    values = pd.Series(r.to_numpy(dtype=float), index=r.index.astype(str))
    by_part = None
    if atlas is None:
        labels, key = _schaefer_vertex_labels(values.index[cortical])
        if labels is not None:
            how = f"{key} parcels on fsaverage5"
            n_left = len(labels) // 2
            by_part = {"left": labels[:n_left], "right": labels[n_left:]}
        else:
            how = "nearest region centroid (approximate; pass atlas= for parcels)"
            parts = _midthickness()
    else:
        how = "labels of the atlas image (nearest labelled voxel)"
        parts = _midthickness()
        by_part = {}
        for part, h in (("left", "L"), ("right", "R")):
            sel = cortical & (hemi == h)
            by_part[part] = _image_vertex_labels(atlas, values.index[sel], parts[part])
    textures = {}
    for part, h in (("left", "L"), ("right", "R")):
        if by_part is None:
            sel = cortical & (hemi == h)
            textures[part] = _surface_texture(
                values.to_numpy()[sel],
                table[["x", "y", "z"]].to_numpy(dtype=float)[sel],
                parts[part],
            )
        else:
            textures[part] = values.reindex(by_part[part]).to_numpy(dtype=float)
    return textures, how


#: pre-rendered views of the inflated fsaverage5 (data/build_surface_views.py)
_VIEWS_FILE = "fsaverage5_views.npz"


@functools.lru_cache(maxsize=1)
def _views_file():
    """The arrays of the shipped views file (read once per process)."""
    from importlib import resources

    with (
        resources.files("connpredict.report")
        .joinpath("data", _VIEWS_FILE)
        .open("rb") as fh
    ):
        return dict(np.load(fh))


@functools.lru_cache(maxsize=1)
def _surface_views():
    """The shipped views, ready to paint (prepared once per process).

    Per view: the image shape, the flat indices of the pixels that show
    the surface, their vertex, their sulcal grey and their shading (float32).
    """
    stored = _views_file()
    levels = float(stored["levels"])
    views = {}
    for key in (f"{h}_{view}" for _, h, view in _SURFACE_VIEWS):
        vertex = stored[f"vertex_{key}"]
        pixels = np.flatnonzero(vertex >= 0)
        sulc = stored[f"sulc_{key}"].ravel()[pixels].astype(np.float32) / levels
        shade = stored[f"shade_{key}"].ravel()[pixels].astype(np.float32) / levels
        views[key] = (
            vertex.shape,
            pixels,
            vertex.ravel()[pixels].astype(np.intp),
            _SULC_LIGHT - _SULC_RANGE * sulc,
            _AMBIENT + (1 - _AMBIENT) * shade,
        )
    return views, float(stored["mm_per_pixel"]), int(stored["n_vertices"])


def _surface_view_image(texture, hemi, view, *, cmap="RdBu_r", vmin=-1.0, vmax=1.0):
    """One view of the inflated fsaverage5 hemisphere painted with per-vertex values.

    Each pixel shows the value of the mesh vertex nearest to the surface
    point under it (coloured by ``cmap``), or the sulcal depth in grey where
    that value is NaN; both are shaded by the angle of the surface to the
    viewer. Pixels off the surface are transparent. The pixel -> vertex maps
    are pre-rendered (``data/build_surface_views.py``), so this is a table
    look-up.

    Parameters
    ----------
    texture : array of shape (10242,)
        One value per vertex of the hemisphere (NaN: no value).
    hemi : {"L", "R"}
        Hemisphere.
    view : {"lateral", "medial"}
        Viewing side.
    cmap : str or Colormap, default="RdBu_r"
        Colour map of the values.
    vmin, vmax : float, default=-1.0, 1.0
        Values mapped to the ends of the colour map.

    Returns
    -------
    rgba : ndarray of shape (rows, cols, 4)
        The image, row 0 on top, floats in [0, 1].
    mm_per_pixel : float
        The pixel size in mm of the inflated mesh (the same for every view).
    """
    colormaps = import_optional("matplotlib", _NEEDS_PLOT).colormaps

    views, mm_per_pixel, n_vertices = _surface_views()
    if (hemi, view) not in {(h, v) for _, h, v in _SURFACE_VIEWS}:
        raise ValueError(
            f"no surface view {hemi!r} {view!r}; hemi is 'L' or 'R' and view "
            "'lateral' or 'medial'."
        )
    shape, pixels, vertex, grey, shade = views[f"{hemi}_{view}"]
    texture = np.asarray(texture, dtype=float)
    if texture.shape != (n_vertices,):
        raise ValueError(
            f"texture must hold one value per fsaverage5 vertex ({n_vertices}), "
            f"got shape {texture.shape}."
        )
    cmap = colormaps[cmap] if isinstance(cmap, str) else cmap
    span = vmax - vmin if vmax > vmin else 1.0
    # colour each vertex once, then look the pixels up
    colours = cmap(np.clip((texture - vmin) / span, 0.0, 1.0))[:, :3]
    colours = colours.astype(np.float32)[vertex]
    missing = np.isnan(texture)[vertex]
    colours[missing] = grey[missing, None]
    colours *= shade[:, None]
    rgba = np.zeros((shape[0] * shape[1], 4), dtype=np.float32)
    rgba[pixels, :3] = colours
    rgba[pixels, 3] = 1.0
    return rgba.reshape(*shape, 4), mm_per_pixel


#: grey of the sulcal depth: shallowest (gyri) and the span to the deepest
_SULC_LIGHT, _SULC_RANGE = 0.85, 0.5
#: share of the light that does not depend on the surface's angle to the viewer
_AMBIENT = 0.55


def _surface(r, table, atlas=None):
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)
    ScalarMappable = import_optional("matplotlib.cm", _NEEDS_PLOT).ScalarMappable
    Normalize = import_optional("matplotlib.colors", _NEEDS_PLOT).Normalize

    textures, how = _surface_textures(r, table, atlas)
    vmax = symmetric_limit(r)
    images = [
        _surface_view_image(textures[part], h, view, vmin=-vmax, vmax=vmax)
        for part, h, view in _SURFACE_VIEWS
    ]
    # one scale (mm per inch) for all four panels: the largest view fills its panel
    rows = max(img.shape[0] for img, _ in images)
    cols = max(img.shape[1] for img, _ in images)
    # four equal panels in a 2 x 2 grid (lateral row, medial row) and a colour bar
    left, bottom, width, height, gap = 0.01, 0.06, 0.415, 0.38, 0.07
    size = (7.8, 5.3)
    panel = (width * size[0], height * size[1])
    scale = max(cols * images[0][1] / panel[0], rows * images[0][1] / panel[1])
    with figure_style():
        fig = plt.figure(figsize=size)
        for k, ((_, h, view), (img, mm)) in enumerate(
            zip(_SURFACE_VIEWS, images, strict=True)
        ):
            row, col = divmod(k, 2)
            ax = fig.add_axes(
                (
                    left + col * width,
                    bottom + (1 - row) * (height + gap),
                    width,
                    height,
                ),
                label=f"surface {h} {view}",
                frameon=False,
                xticks=[],
                yticks=[],
            )
            ax.imshow(
                img,
                extent=(0, img.shape[1] * mm, 0, img.shape[0] * mm),
                interpolation="antialiased",
            )
            # centred, at the scale (mm per inch) at which the largest view fits
            cx, cy = img.shape[1] * mm / 2, img.shape[0] * mm / 2
            ax.set_xlim(cx - scale * panel[0] / 2, cx + scale * panel[0] / 2)
            ax.set_ylim(cy - scale * panel[1] / 2, cy + scale * panel[1] / 2)
            ax.text(
                0.5,
                1.0,
                f"{h} {view}",
                transform=ax.transAxes,
                ha="center",
                va="bottom",
                fontsize=10,
                fontweight="bold",
            )
        cax = fig.add_axes((0.86, 0.25, 0.018, 0.5), label="<colorbar>")
        fig.colorbar(
            ScalarMappable(Normalize(-vmax, vmax), cmap="RdBu_r"),
            cax=cax,
            label="per-region accuracy (Pearson r)",
        )
        fig.suptitle(f"Per-region accuracy on the cortex: {r.name}", y=0.99)
        fig.text(
            0.5,
            0.015,
            f"Regions drawn as {how}; grey: sulcal depth, no value.",
            ha="center",
            fontsize=8,
            color="0.3",
        )
    return fig


def _surface_texture(values, centroids, vertices, max_distance=SURFACE_MAX_DISTANCE):
    """Each vertex takes the value of its nearest centroid (NaN beyond reach)."""
    from scipy.spatial import cKDTree

    texture = np.full(vertices.shape[0], np.nan)
    if len(values):
        dist, idx = cKDTree(centroids).query(vertices)
        texture = np.asarray(values, dtype=float)[idx]
        texture[dist > max_distance] = np.nan
    return texture


def plot_edges(
    predictions,
    regions,
    *,
    model=None,
    split=None,
    seed=None,
    n_edges=50,
    units="connectivity",
):
    """The strongest true and predicted edges among held-out regions.

    Two glass brains (:func:`nilearn.plotting.plot_connectome`): the
    ``n_edges`` test x test pairs with the largest absolute true
    connectivity, and the ``n_edges`` with the largest absolute predicted
    connectivity, over every fold of one split and seed. Red edges are
    positive, blue negative.

    Parameters
    ----------
    predictions : DataFrame
        The table of ``predictions.csv``.
    regions : DataFrame
        Region table indexed by label with MNI ``x, y, z``.
    model : str, default=None
        None takes the model whose predictions correlate best with the truth.
    split : str, default=None
        None takes ``"spatial"`` when present, else the first split.
    seed : int, default=None
        None takes the smallest.
    n_edges : int, default=50
        Edges drawn in each brain.
    units : str, default="connectivity"
        Label of the colour bars (e.g. ``"FC (Fisher z)"``).

    Returns
    -------
    fig : matplotlib Figure
        The figure drawn.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from connpredict.report import plot_edges
    >>> regions = pd.DataFrame({"x": [-40.0, -30, 30, 40], "y": [0.0, 20, 0, 20],
    ...                         "z": [10.0, 20, 10, 20]}, index=list("abcd"))
    >>> pred = pd.DataFrame({"model": "cge", "split": "random", "seed": 0,
    ...                      "region_i": ["a", "a", "b"], "region_j": ["b", "c", "d"],
    ...                      "y_true": [0.1, 0.5, 0.3], "y_pred": [0.2, 0.4, 0.3]})
    >>> fig = plot_edges(pred, regions, n_edges=2)
    >>> len(fig.axes) >= 2
    True
    """
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)

    check_int(n_edges, "n_edges", low=1)
    pred = predictions.astype({"model": str, "split": str})
    pred = pred.astype({"region_i": str, "region_j": str})
    pred, split, seed, model = _select_predictions(pred, split, seed, model)
    labels = list(dict.fromkeys([*pred["region_i"], *pred["region_j"]]))
    table = _coords(regions, labels)
    index = {lab: k for k, lab in enumerate(labels)}
    i = pred["region_i"].map(index).to_numpy()
    j = pred["region_j"].map(index).to_numpy()
    coords = table[["x", "y", "z"]].to_numpy(dtype=float)
    vmax = symmetric_limit(np.r_[pred["y_true"], pred["y_pred"]])
    with figure_style():
        fig = plt.figure(figsize=(12, 6.6))
        for row, (col, title) in enumerate(
            (("y_true", "true"), ("y_pred", f"predicted ({model})"))
        ):
            adj, kept = strongest_edges(i, j, pred[col], len(labels), n_edges)
            plot_glass_edges(
                fig,
                adj,
                coords,
                vmax=vmax,
                title=f"{title}: strongest {kept} held-out edges",
                axes=fig.add_axes((0.0, 0.48 - 0.48 * row, 1.0, 0.45)),
                units=units,
            )
        fig.suptitle(f"{model}, {split} split (seed {seed})", y=0.995, va="top")
    return fig

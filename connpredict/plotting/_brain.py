"""Glass-brain primitives: region labels, strongest edges, colour scales.

nilearn draws the outline of each glass-brain view as about 800 separate
matplotlib patches, built from its bundled schematic files every time; that
was most of the CPU time of a glass-brain figure. :func:`_fast_outlines`
makes nilearn draw the same outlines (the same paths, colours, widths and
transform) as one collection per view, read once per process. It relies on
the private nilearn names listed in :data:`NILEARN_PRIVATE_NAMES`; when one
is missing (another nilearn release) nilearn draws its own outlines, as
before, and ``connpredict/plotting/tests/test_brain.py`` fails first.
"""

import contextlib
import functools
import json
import threading

import numpy as np

from connpredict.utils import import_optional

_NEEDS_PLOT = "connpredict's brain figures"

_AXES_MODULE = "nilearn.plotting.displays._axes"
_SCHEMATICS_MODULE = "nilearn.plotting.glass_brain"
#: every private nilearn name the fast outlines rely on: module -> names
NILEARN_PRIVATE_NAMES = {
    # the name GlassBrainAxes calls, replaced for the duration of a drawing
    _AXES_MODULE: ("plot_brain_schematics",),
    # schematic file and affine of a view; the view's bounds; black-bg colours
    _SCHEMATICS_MODULE: (
        "_get_json_and_transform",
        "_get_object_bounds",
        "_invert_color",
    ),
}
_OUTLINE_LOCK = threading.RLock()


def _nilearn_private(module, name):
    """A private nilearn attribute, or None when this nilearn lacks it."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


@functools.lru_cache(maxsize=8)
def _outline_paths(filename):
    """The schematic's paths, edge colours and widths, and its metadata."""
    Path = import_optional("matplotlib.path", _NEEDS_PLOT).Path

    with open(filename, encoding="utf-8") as f:
        content = json.load(f)
    paths, colors, widths = [], [], []
    for group in content["paths"]:
        for item in group["items"]:
            pts = item["pts"]
            if item["type"] == "bezier":  # a quadratic or cubic Bezier piece
                curve = Path.CURVE3 if len(pts) == 3 else Path.CURVE4
                codes = [Path.MOVETO] + [curve] * (len(pts) - 1)
            else:  # "segment"
                codes = [Path.MOVETO, Path.LINETO]
            paths.append(Path(pts, codes))
            colors.append(group["edgecolor"])
            widths.append(group["linewidth"])
    return {"metadata": content["metadata"]}, paths, colors, widths


def _outline_collection(ax, direction, **kwargs):
    """Draw a view's outline as one PathCollection; nilearn's return value."""
    mcolors = import_optional("matplotlib.colors", _NEEDS_PLOT)
    PathCollection = import_optional(
        "matplotlib.collections", _NEEDS_PLOT
    ).PathCollection
    json_and_transform = _nilearn_private(_SCHEMATICS_MODULE, "_get_json_and_transform")
    bounds = _nilearn_private(_SCHEMATICS_MODULE, "_get_object_bounds")
    invert = _nilearn_private(_SCHEMATICS_MODULE, "_invert_color")

    filename, transform = json_and_transform(direction)
    content, paths, colors, widths = _outline_paths(str(filename))
    edgecolor = kwargs.pop("edgecolor", None)
    linewidth = kwargs.pop("linewidth", None)
    if edgecolor is None:
        black = mcolors.to_rgba(ax.get_facecolor()) == mcolors.to_rgba("k")
        edgecolor = [invert(c) for c in colors] if black else colors
    outline = PathCollection(
        paths,
        facecolors="none",
        edgecolors=edgecolor,
        linewidths=linewidth or widths,
        transform=transform + ax.transData,
        **kwargs,
    )
    ax.add_collection(outline, autolim=False)
    return bounds(content, transform)


def _fast_outlines_available():
    return all(
        _nilearn_private(module, name) is not None
        for module, names in NILEARN_PRIVATE_NAMES.items()
        for name in names
    )


@contextlib.contextmanager
def _fast_outlines():
    """Within the block, nilearn's glass brains draw one outline collection per view."""
    if not _fast_outlines_available():
        yield
        return
    import importlib

    axes_module = importlib.import_module(_AXES_MODULE)
    original = axes_module.plot_brain_schematics

    def outlines(ax, direction, **kwargs):
        if set(kwargs) - {"edgecolor", "linewidth", "alpha", "zorder"}:
            return original(ax, direction, **kwargs)  # options we do not mirror
        return _outline_collection(ax, direction, **kwargs)

    with _OUTLINE_LOCK:
        axes_module.plot_brain_schematics = outlines
        try:
            yield
        finally:
            axes_module.plot_brain_schematics = original


def symmetric_limit(values):
    """The largest finite absolute value: a colour range ``[-v, v]`` about 0.

    Parameters
    ----------
    values : array-like
        The values to show (NaN and inf are ignored).

    Returns
    -------
    vmax : float
        ``max |values|``; 1.0 when there is no finite non-zero value.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.plotting import symmetric_limit
    >>> symmetric_limit([0.2, -0.5, np.nan]), symmetric_limit([0.0, np.nan])
    (0.5, 1.0)
    """
    finite = np.abs(np.asarray(values, dtype=float))
    finite = finite[np.isfinite(finite)]
    vmax = float(finite.max()) if finite.size else 1.0
    return vmax if vmax > 0 else 1.0


def strongest_edges(i, j, values, n_regions, n_edges):
    """Symmetric matrix of the ``n_edges`` region pairs largest in absolute value.

    Parameters
    ----------
    i, j : ndarray of int of shape (n_pairs,)
        Row and column index of each pair.
    values : array-like of shape (n_pairs,)
        The value of each pair (NaN counts as 0 in the ranking).
    n_regions : int
        Size of the matrix.
    n_edges : int
        How many pairs to keep (ties keep the first pairs).

    Returns
    -------
    adjacency : ndarray of shape (n_regions, n_regions)
        The kept values at ``(i, j)`` and ``(j, i)``, 0 elsewhere.
    n_kept : int
        The number of kept pairs (``min(n_edges, n_pairs)``).

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.plotting import strongest_edges
    >>> adj, kept = strongest_edges(np.array([0, 0, 1]), np.array([1, 2, 2]),
    ...                             [0.1, -0.9, 0.5], 3, 2)
    >>> kept, adj[0, 2], adj[2, 1], adj[0, 1]
    (2, np.float64(-0.9), np.float64(0.5), np.float64(0.0))
    """
    values = np.asarray(values, dtype=float)
    keep = np.argsort(-np.abs(np.nan_to_num(values)), kind="stable")[:n_edges]
    adj = np.zeros((n_regions, n_regions))
    adj[i[keep], j[keep]] = values[keep]
    return adj + adj.T, len(keep)


def label_colorbar(display, label):
    """Name the colour bar of a nilearn display (when it has one).

    The label goes left of the tick labels (nilearn puts the ticks left of
    the bar and the bar at the figure's edge), and the colour bar's axes is
    labelled ``"<colorbar>"`` so that programs can find it.

    Parameters
    ----------
    display : nilearn display
        What a nilearn plotting function returned.
    label : str
        The colour bar's label.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from nilearn.plotting import plot_markers
    >>> from connpredict.plotting import label_colorbar
    >>> display = plot_markers([0.1, 0.5], np.array([[-30, 0, 0], [30, 0, 0]]),
    ...                        colorbar=True)
    >>> label_colorbar(display, "r")
    >>> display._colorbar_ax.get_ylabel()
    'r'
    >>> display.close()
    """
    cax = getattr(display, "_colorbar_ax", None)
    if cax is not None:
        cax.yaxis.set_label_position("left")
        cax.set_ylabel(label, fontsize=9, labelpad=2)
        cax.set_label("<colorbar>")


def plot_glass_edges(
    figure, adjacency, coords, *, vmax, title=None, axes=None, units=None
):
    """Draw the non-zero edges of a matrix on an orthogonal glass brain.

    Only regions with at least one edge are drawn; red edges are positive,
    blue negative, on the colour range ``[-vmax, vmax]``.

    Parameters
    ----------
    figure : matplotlib Figure
        The figure to draw in.
    adjacency : ndarray of shape (n_regions, n_regions)
        Symmetric edge values, 0 for no edge (see :func:`strongest_edges`).
    coords : ndarray of shape (n_regions, 3)
        Region centroids (MNI mm).
    vmax : float
        Colour range ``[-vmax, vmax]`` (see :func:`symmetric_limit`).
    title : str, default=None
        Title of the display.
    axes : matplotlib Axes or tuple, default=None
        Where in ``figure`` to draw (nilearn's ``axes``); None fills it.
    units : str, default=None
        Label of the colour bar.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from connpredict.plotting import plot_glass_edges
    >>> coords = np.array([[-40, -20, 30], [40, -20, 30], [0, 40, 0]])
    >>> adj = np.array([[0, 0.8, 0], [0.8, 0, -0.3], [0, -0.3, 0]])
    >>> fig = plt.figure(figsize=(8, 3))
    >>> plot_glass_edges(fig, adj, coords, vmax=0.8, units="FC")
    >>> len(fig.axes) > 1
    True
    >>> plt.close(fig)
    """
    plot_connectome = import_optional("nilearn.plotting", _NEEDS_PLOT).plot_connectome

    used = np.flatnonzero(np.abs(adjacency).sum(axis=0) > 0)
    with _fast_outlines():
        display = plot_connectome(
            adjacency[np.ix_(used, used)],
            coords[used],
            node_size=12,
            node_color="0.25",
            edge_cmap="RdBu_r",
            edge_vmin=-vmax,
            edge_vmax=vmax,
            display_mode="ortho",
            axes=axes,
            figure=figure,
            title=title,
            colorbar=True,
            annotate=True,
        )
    if units:
        label_colorbar(display, units)


def plot_glass_markers(
    figure,
    values,
    coords,
    *,
    cmap,
    vmin,
    vmax,
    node_size=30,
    title=None,
    colorbar_label=None,
    axes=None,
):
    """Draw regions as coloured markers on an orthogonal glass brain.

    Parameters
    ----------
    figure : matplotlib Figure
        The figure to draw in.
    values : array-like of shape (n_regions,)
        The value of each region (its marker colour).
    coords : ndarray of shape (n_regions, 3)
        Region centroids (MNI mm).
    cmap : str or matplotlib Colormap
        Colour map of the values.
    vmin, vmax : float
        Colour range.
    node_size : float, default=30
        Marker area (points squared).
    title : str, default=None
        Title of the display.
    colorbar_label : str, default=None
        Draw a colour bar with this label; None draws none.
    axes : matplotlib Axes or tuple, default=None
        Where in ``figure`` to draw (nilearn's ``axes``); None fills it.

    Returns
    -------
    display : nilearn display
        What :func:`nilearn.plotting.plot_markers` returned.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from connpredict.plotting import plot_glass_markers
    >>> coords = np.array([[-40, -20, 30], [40, -20, 30], [0, 40, 0]])
    >>> fig = plt.figure(figsize=(8, 3))
    >>> display = plot_glass_markers(fig, [0.2, -0.4, 0.6], coords, cmap="RdBu_r",
    ...                              vmin=-0.6, vmax=0.6, colorbar_label="r")
    >>> display._colorbar_ax.get_ylabel()
    'r'
    >>> plt.close(fig)
    """
    plot_markers = import_optional("nilearn.plotting", _NEEDS_PLOT).plot_markers

    with _fast_outlines():
        display = plot_markers(
            np.asarray(values, dtype=float),
            np.asarray(coords, dtype=float),
            node_size=node_size,
            node_cmap=cmap,
            node_vmin=vmin,
            node_vmax=vmax,
            display_mode="ortho",
            figure=figure,
            axes=axes,
            title=title,
            colorbar=colorbar_label is not None,
            annotate=True,
        )
    if colorbar_label is not None:
        label_colorbar(display, colorbar_label)
    return display


def fold_colors(n_folds):
    """One colour per fold: matplotlib's tab10 (tab20 beyond 10 folds).

    Parameters
    ----------
    n_folds : int
        The number of folds.

    Returns
    -------
    colors : list of tuple
        RGBA colours, repeated cyclically beyond 20 folds.

    Examples
    --------
    >>> from connpredict.plotting import fold_colors
    >>> colors = fold_colors(3)
    >>> len(colors), len(colors[0])
    (3, 4)
    """
    colormaps = import_optional("matplotlib", _NEEDS_PLOT).colormaps

    cmap = colormaps["tab10" if n_folds <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n_folds)]


def plot_glass_folds(coords, labels, colors, *, title, fold_names=None):
    """Draw regions on an orthogonal glass brain, coloured by their test fold.

    Parameters
    ----------
    coords : ndarray of shape (n_regions, 3)
        Region centroids (MNI mm).
    labels : ndarray of int of shape (n_regions,)
        The test fold of each region; -1 (never tested) is grey.
    colors : list
        One colour per fold (see :func:`fold_colors`).
    title : str
        Title of the display.
    fold_names : list of str, default=None
        Legend name of each fold; None names them ``"fold k"``. The legend
        gives the number of regions of each fold.

    Returns
    -------
    fig : matplotlib Figure
        The figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from connpredict.plotting import fold_colors, plot_glass_folds
    >>> coords = np.array([[-40, -20, 30], [40, -20, 30], [0, 40, 0]])
    >>> fig = plot_glass_folds(coords, np.array([0, 1, -1]), fold_colors(2),
    ...                        title="Test folds")
    >>> [t.get_text() for t in fig.legends[0].get_texts()]
    ['fold 0 (1)', 'fold 1 (1)', 'never tested']
    """
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)
    ListedColormap = import_optional("matplotlib.colors", _NEEDS_PLOT).ListedColormap
    Patch = import_optional("matplotlib.patches", _NEEDS_PLOT).Patch

    n_folds = len(colors)
    fold_names = fold_names or [f"fold {f}" for f in range(n_folds)]
    cmap = ListedColormap(["lightgrey", *colors])
    fig = plt.figure(figsize=(11, 4))
    plot_glass_markers(
        fig,
        labels.astype(float) + 1.0,
        coords,
        cmap=cmap,
        vmin=-0.5,
        vmax=n_folds + 0.5,
        node_size=25,
        title=title,
    )
    handles = [
        Patch(color=colors[f], label=f"{fold_names[f]} ({(labels == f).sum()})")
        for f in range(n_folds)
    ]
    if (labels < 0).any():
        handles.append(Patch(color="lightgrey", label="never tested"))
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=min(len(handles), 6),
        fontsize="small",
        frameon=False,
    )
    return fig

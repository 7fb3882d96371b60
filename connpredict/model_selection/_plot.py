"""Figures of cross-validation folds on the brain."""

import numpy as np

from connpredict.model_selection._split import _get_coords
from connpredict.plotting import fold_colors, plot_glass_folds
from connpredict.utils import import_optional
from connpredict.utils._contract import COORD_COLUMNS

# (horizontal coordinate, vertical coordinate, title) of each projection
_VIEWS = (
    (1, 2, "sagittal (y, z)"),
    (0, 2, "coronal (x, z)"),
    (0, 1, "axial (x, y)"),
)
_NEEDS_PLOT = "plot_splits"
_AXIS_NAMES = ("x (mm)", "y (mm)", "z (mm)")


def _fold_assignment(X, cv, *, y=None, groups=None):
    """Return the test fold of each region (-1 when never tested).

    A region tested in several folds (splitters whose test sets overlap)
    keeps the first.
    """
    n = X.shape[0]
    labels = np.full(n, -1, dtype=int)
    n_folds = 0
    for fold, (_, test) in enumerate(cv.split(X, y, groups)):
        test = np.asarray(test, dtype=int)
        fresh = test[labels[test] < 0]
        labels[fresh] = fold
        n_folds = fold + 1
    return labels, n_folds


def _fold_names(X, labels, n_folds, groups):
    """Name of each fold: its group (e.g. network) when all its regions share one."""
    names = [f"fold {f}" for f in range(n_folds)]
    if groups is None:
        return names
    if hasattr(groups, "reindex") and hasattr(X, "index"):
        if set(groups.index) >= set(X.index):
            groups = groups.reindex(X.index)
    values = np.asarray(groups, dtype=object)
    if values.shape[0] != labels.shape[0]:
        return names
    for f in range(n_folds):
        shared = {str(v) for v in values[labels == f]}
        if len(shared) == 1:
            names[f] = shared.pop()
    return names


def plot_splits(
    X,
    cv,
    *,
    y=None,
    groups=None,
    ax=None,
    kind="scatter",
    coord_columns=COORD_COLUMNS,
):
    """Draw the test folds of a splitter on the brain.

    Each region centroid is a dot coloured by the fold in which it is tested
    (for splitters whose folds partition the regions, every region has
    exactly one; a region tested in several folds is coloured by the first,
    a region never tested is grey). Three orthogonal projections are drawn:
    sagittal (y against z), coronal (x against z) and axial (x against y).
    A fold whose regions all share one ``groups`` label (each network of
    :class:`NetworkSplit`) is named by that label in the legend.

    Parameters
    ----------
    X : DataFrame of shape (n_regions, n_features)
        Region table with the coordinate columns.
    cv : cross-validator
        The splitter (e.g. :class:`SpatialSplit`); ``cv.split(X, y, groups)``
        is called once.
    y : DataFrame or array-like of shape (n_regions, n_regions), default=None
        Connectome, for splitters that need it (:class:`CommunitySplit`).
    groups : array-like of shape (n_regions,), default=None
        Group labels, for splitters that need them (:class:`NetworkSplit`).
    ax : sequence of 3 matplotlib Axes, default=None
        Axes for the sagittal, coronal and axial views (``kind="scatter"``
        only). None creates a new figure.
    kind : {"scatter", "glass"}, default="scatter"
        ``"scatter"`` draws matplotlib scatter plots; ``"glass"`` draws the
        regions on nilearn's glass brain
        (:func:`nilearn.plotting.plot_markers`, ``display_mode="ortho"``).
    coord_columns : tuple of str, default=("x", "y", "z")
        Names of the coordinate columns of ``X`` (MNI mm).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.model_selection import SpatialSplit, plot_splits
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame(rng.uniform(-60, 60, (30, 3)), columns=["x", "y", "z"])
    >>> fig = plot_splits(X, SpatialSplit(n_splits=3, method="kmeans", random_state=0))
    >>> len(fig.axes)
    3
    """
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)

    coords = _get_coords(X, coord_columns, "plot_splits")
    labels, n_folds = _fold_assignment(X, cv, y=y, groups=groups)
    colors = fold_colors(n_folds)
    name = type(cv).__name__
    fold_names = _fold_names(X, labels, n_folds, groups)

    if kind == "glass":
        return plot_glass_folds(
            coords, labels, colors, title=f"Test folds of {name}", fold_names=fold_names
        )
    if kind != "scatter":
        raise ValueError(f"kind must be 'scatter' or 'glass', got {kind!r}.")

    if ax is None:
        fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), layout="constrained")
    else:
        axes = list(np.ravel(ax))
        if len(axes) != 3:
            raise ValueError(
                f"ax must hold 3 Axes (sagittal, coronal, axial), got {len(axes)}."
            )
        fig = axes[0].figure
    untested = labels < 0
    for axis, (h, v, title) in zip(axes, _VIEWS, strict=True):
        if untested.any():
            axis.scatter(
                coords[untested, h],
                coords[untested, v],
                s=18,
                c="lightgrey",
                edgecolors="grey",
                linewidths=0.3,
                label=f"never tested ({untested.sum()})",
            )
        for fold in range(n_folds):
            sel = labels == fold
            axis.scatter(
                coords[sel, h],
                coords[sel, v],
                s=22,
                color=colors[fold],
                edgecolors="black",
                linewidths=0.3,
                label=f"{fold_names[fold]} ({sel.sum()})",
            )
        axis.set_title(title)
        axis.set_xlabel(_AXIS_NAMES[h])
        axis.set_ylabel(_AXIS_NAMES[v])
        axis.set_aspect("equal", adjustable="datalim")
    axes[-1].legend(
        loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small", frameon=False
    )
    fig.suptitle(f"Test folds of {name}")
    return fig

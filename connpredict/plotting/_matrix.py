"""Connectivity matrices ordered by network."""

import numpy as np
import pandas as pd

from connpredict.plotting._style import figure_style
from connpredict.utils import import_optional

_NEEDS_PLOT = "connpredict's figures"

#: Yeo-7 networks in their usual order; other network names follow as first seen
NETWORK_ORDER = (
    "Vis",
    "SomMot",
    "DorsAttn",
    "SalVentAttn",
    "Limbic",
    "Cont",
    "Default",
    "Subcortical",
)


def network_sequence(names):
    """Network names in one order for every figure: Yeo-7 order, then as first seen.

    Parameters
    ----------
    names : iterable
        Network names (repeats allowed; each is kept once).

    Returns
    -------
    order : list of str
        The distinct names, those of :data:`NETWORK_ORDER` first in its order.

    Examples
    --------
    >>> from connpredict.plotting import network_sequence
    >>> network_sequence(["Default", "Other", "Vis", "Default"])
    ['Vis', 'Default', 'Other']
    """
    names = list(dict.fromkeys(str(n) for n in names))
    rank = {n: k for k, n in enumerate(NETWORK_ORDER)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), names.index(n)))


def network_ticks(ax, edges, names, *, fontsize=7):
    """Network names centred on their blocks; names of small blocks staggered.

    A name closer to the previous one than a line of text is pushed one
    level further from the axis, by the length of the longest name (up to
    two extra levels), so none overlap.

    Parameters
    ----------
    ax : matplotlib Axes
        A matrix drawn with ``imshow`` (rows and columns in network order).
    edges : ndarray of shape (n_networks + 1,)
        Block boundaries, in matrix coordinates (from ``-0.5`` to
        ``n - 0.5``).
    names : list of str
        The name of each block.
    fontsize : float, default=7
        Size of the names.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from connpredict.plotting import network_ticks
    >>> fig, ax = plt.subplots()
    >>> _ = ax.imshow(np.eye(4))
    >>> network_ticks(ax, np.array([-0.5, 1.5, 3.5]), ["Vis", "Default"])
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['Vis', 'Default']
    >>> plt.close(fig)
    """
    centres = (edges[:-1] + edges[1:]) / 2 if len(names) else []
    ax.set_xticks(centres, names, rotation=90, fontsize=fontsize)
    ax.set_yticks(centres, names, fontsize=fontsize)
    ax.tick_params(length=0)
    if not len(names):
        return
    bbox = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    n = edges[-1] - edges[0]
    longest = 0.6 * fontsize * max(len(str(name)) for name in names)  # points
    for inches, ticks in (
        (bbox.width * fig_w, ax.xaxis.get_major_ticks()),
        (bbox.height * fig_h, ax.yaxis.get_major_ticks()),
    ):
        gap = 1.3 * fontsize / 72 * n / max(inches, 1e-6)  # one line, in rows
        level, last = 0, -np.inf
        for tick, centre in zip(ticks, centres):
            level = (level + 1) % 3 if centre - last < gap else 0
            if level:
                tick.set_pad(2 + level * (longest + 4))
            last = centre


def matrix_limit(values):
    """Colour range of a connectivity matrix: the 99th percentile of ``|values|``.

    Parameters
    ----------
    values : array-like
        The values shown (NaN and inf are ignored).

    Returns
    -------
    vmax : float
        The range ``[-vmax, vmax]`` is symmetric about 0; 1.0 when there is
        no finite non-zero value.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.plotting import matrix_limit
    >>> float(matrix_limit(np.r_[np.arange(-100.0, 1.0), np.nan]))
    99.0
    """
    values = np.abs(np.asarray(values, dtype=float).ravel())
    values = values[np.isfinite(values)]
    vmax = float(np.quantile(values, 0.99)) if values.size else 1.0
    return vmax if vmax > 0 else 1.0


def draw_matrix(ax, matrix, *, vmax, title=None):
    """Draw a square matrix on a red-blue scale ``[-vmax, vmax]``; NaN is grey.

    Parameters
    ----------
    ax : matplotlib Axes
        Where to draw.
    matrix : ndarray of shape (n, n)
        The values (NaN cells are drawn light grey).
    vmax : float
        Colour range (see :func:`matrix_limit`).
    title : str, default=None
        Axes title.

    Returns
    -------
    image : matplotlib AxesImage
        For a colour bar (:func:`matrix_colorbar`).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from connpredict.plotting import draw_matrix
    >>> fig, ax = plt.subplots()
    >>> image = draw_matrix(ax, np.array([[np.nan, 0.5], [0.5, np.nan]]), vmax=1.0)
    >>> image.get_clim()
    (-1.0, 1.0)
    >>> plt.close(fig)
    """
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)

    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="#f4f4f4")
    image = ax.imshow(
        np.ma.masked_invalid(matrix),
        cmap=cmap,
        vmin=-vmax,
        vmax=vmax,
        interpolation="nearest",
    )
    if title is not None:
        ax.set_title(title)
    return image


def matrix_colorbar(fig, image, axes, *, units, vmax):
    """The colour bar of matrices drawn with :func:`draw_matrix`, range stated.

    Parameters
    ----------
    fig : matplotlib Figure
        The figure.
    image : matplotlib AxesImage
        What :func:`draw_matrix` returned.
    axes : list of matplotlib Axes
        The axes the colour bar serves.
    units : str
        What the values are (e.g. ``"FC (Fisher z)"``).
    vmax : float
        The colour range, stated on the bar.

    Returns
    -------
    colorbar : matplotlib Colorbar
        The colour bar.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from connpredict.plotting import draw_matrix, matrix_colorbar
    >>> fig, ax = plt.subplots()
    >>> image = draw_matrix(ax, np.eye(3), vmax=1.0)
    >>> bar = matrix_colorbar(fig, image, [ax], units="FC", vmax=1.0)
    >>> bar.ax.get_ylabel().splitlines()[0]
    'FC'
    >>> plt.close(fig)
    """
    return fig.colorbar(
        image,
        ax=axes,
        shrink=0.8,
        label=f"{units}\nrange ±{vmax:.2f}: 99th pct of |values|",
    )


def plot_connectivity_matrices(matrices, *, networks=None, units="connectivity"):
    """Connectivity matrices side by side, grouped by network, one colour scale.

    Parameters
    ----------
    matrices : dict of str to DataFrame
        Title -> labelled square connectome; all are drawn in the regions and
        order of the first (missing values are grey).
    networks : Series, default=None
        Network of each region (index = region labels): regions are grouped
        by network (Yeo-7 order, then as first seen), with the boundaries
        drawn and the names on the axes (small networks' names staggered).
    units : str, default="connectivity"
        What the values are, for the colour bar (e.g. ``"FC (Fisher z)"``).

    Returns
    -------
    fig : matplotlib Figure
        The figure. The colour range is symmetric about 0, at the 99th
        percentile of the absolute values (stated on the colour bar).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.plotting import plot_connectivity_matrices
    >>> labels = list("abcd")
    >>> Y = pd.DataFrame(np.eye(4), labels, labels)
    >>> nets = pd.Series(["Default", "Vis", "Vis", "Default"], index=labels)
    >>> fig = plot_connectivity_matrices({"true": Y, "predicted": Y / 2},
    ...                                  networks=nets, units="FC (Fisher z)")
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['Vis', 'Default']
    """
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)

    if not isinstance(matrices, dict) or not matrices:
        raise TypeError("matrices must be a non-empty dict title -> DataFrame.")
    labels = [str(lab) for lab in next(iter(matrices.values())).index]
    names = None
    if networks is not None:
        net = pd.Series(networks.to_numpy(), index=networks.index.astype(str))
        net = net.reindex(labels).fillna("?").astype(str)
        rank = {n: k for k, n in enumerate(network_sequence(net))}
        order = sorted(range(len(labels)), key=lambda k: (rank[net.iloc[k]], k))
        labels = [labels[k] for k in order]
        names = net.iloc[order].to_numpy()
    mats = []
    for Y in matrices.values():
        Y = Y.copy()
        Y.index, Y.columns = Y.index.astype(str), Y.columns.astype(str)
        A = Y.reindex(index=labels, columns=labels).to_numpy(dtype=float, copy=True)
        np.fill_diagonal(A, np.nan)
        mats.append(A)
    vmax = matrix_limit(np.concatenate([A.ravel() for A in mats]))
    n = len(labels)
    with figure_style():
        fig, axes = plt.subplots(
            1,
            len(mats),
            figsize=(4.8 * len(mats) + 1.4, 4.8),
            layout="constrained",
            squeeze=False,
        )
        image = None
        for ax, A, title in zip(axes[0], mats, matrices):
            image = draw_matrix(ax, A, vmax=vmax, title=title)
            if names is not None:
                codes = pd.factorize(names)[0]
                bounds = np.flatnonzero(np.diff(codes)) + 0.5
                for b in bounds:
                    ax.axhline(b, color="0.2", lw=0.8)
                    ax.axvline(b, color="0.2", lw=0.8)
                edges = np.r_[-0.5, bounds, n - 0.5]
                network_ticks(ax, edges, list(dict.fromkeys(names)))
                ax.set_xlabel(f"{n} regions, ordered by network")
            else:
                ax.set_xlabel(f"{n} regions")
        matrix_colorbar(fig, image, axes[0].tolist(), units=units, vmax=vmax)
    return fig

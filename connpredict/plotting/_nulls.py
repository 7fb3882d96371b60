"""Histogram of a spin test's null distribution."""

import numpy as np

from connpredict.utils import import_optional

_NEEDS_PLOT = "plot_null_distribution"


def plot_null_distribution(result, ax=None, *, bins=None, color="0.6", title=None):
    """Histogram of the null scores with the true score and the p-value.

    Parameters
    ----------
    result : SpinTestResult
        The output of :func:`connpredict.nulls.spin_test` (any object with ``score``,
        ``null_scores`` and ``pvalue`` attributes).
    ax : matplotlib Axes, default=None
        Axes to draw in; a new figure is made when None.
    bins : int, default=None
        Histogram bins; None takes about 1.5 sqrt(n) (between 5 and 30) for
        n nulls, so that bars stay readable for few nulls.
    color : color, default="0.6"
        Histogram colour.
    title : str, default=None
        Axes title; by default names the scoring and the method.

    Returns
    -------
    fig : matplotlib Figure
        The figure holding ``ax``.

    See Also
    --------
    connpredict.nulls.spin_test : Produces the result.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from types import SimpleNamespace
    >>> from connpredict.plotting import plot_null_distribution
    >>> res = SimpleNamespace(score=0.4, null_scores=np.linspace(0, 0.3, 50),
    ...                       pvalue=1 / 51)
    >>> fig = plot_null_distribution(res)
    >>> len(fig.axes)
    1
    """
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)

    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3.5))
    else:
        fig = ax.figure
    null = np.asarray(result.null_scores, dtype=float)
    null = null[np.isfinite(null)]
    MaxNLocator = import_optional("matplotlib.ticker", _NEEDS_PLOT).MaxNLocator

    if bins is None:
        bins = int(np.clip(round(1.5 * np.sqrt(max(null.size, 1))), 5, 30))
    ax.hist(null, bins=bins, color=color, edgecolor="white", label="null")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.axvline(
        result.score,
        color="C3",
        lw=2,
        label=f"true = {result.score:.3f}\np = {result.pvalue:.3g}",
    )
    scoring = getattr(result, "scoring", "score")
    ax.set_xlabel(scoring)
    ax.set_ylabel("permutations")
    if title is None:
        method = getattr(result, "method", "")
        title = f"Null distribution ({method}, n = {len(result.null_scores)})"
    ax.set_title(title)
    ax.legend(frameon=False, loc="best")
    return fig

"""Figures and tables of a results folder, as matplotlib objects."""

import re

import numpy as np
import pandas as pd

from connpredict.metrics import (
    DISTANCE_EDGES,
    MIN_PAIRS,
    PRIMARY_METRIC,
    SUMMARY_METRICS,
    metric_label,
    metric_names,
)
from connpredict.plotting import (
    draw_matrix,
    figure_style,
    fold_colors,
    matrix_colorbar,
    matrix_limit,
    network_sequence,
    network_ticks,
    plot_glass_folds,
    plot_null_distribution,
)
from connpredict.utils import import_optional

_NEEDS_PLOT = "The report's figures"

#: metrics of the summary table, in this order (those present are shown)
TABLE_METRICS = SUMMARY_METRICS
_DISTANCE_KEYS = metric_names("distance")
_NETWORK_RE = re.compile(r"^intra_network_(.+)_r$")


def _check_results(results):
    if not isinstance(results, pd.DataFrame):
        raise TypeError(
            "results must be the DataFrame of results.csv (columns model, split, "
            f"seed, fold, metric, value), got {type(results).__name__}."
        )
    missing = {"model", "split", "metric", "value"} - set(results.columns)
    if missing:
        raise ValueError(
            f"results lacks the column(s) {', '.join(sorted(missing))}; it must "
            "be the table of results.csv."
        )


def _splits(results):
    """Split names in a stable order: spatial-like first, then as they come."""
    names = list(dict.fromkeys(results["split"].astype(str)))
    return sorted(names, key=lambda s: (s != "spatial", s != "random", names.index(s)))


def _select_predictions(pred, split, seed, model):
    """Rows of one split, seed and model of a predictions table.

    None picks the first split, the smallest seed and the model whose
    predictions correlate best with the truth. Returns the rows and the
    chosen ``split, seed, model``.
    """
    split = _splits(pred)[0] if split is None else split
    pred = pred[pred["split"] == split]
    if pred.empty:
        raise ValueError(f"predictions has no rows for split {split!r}.")
    seed = pred["seed"].min() if seed is None else seed
    pred = pred[pred["seed"] == seed]
    if model is None:
        r = pred.groupby("model")[["y_true", "y_pred"]].apply(
            lambda t: t["y_true"].corr(t["y_pred"])
        )
        model = str(r.idxmax())
    pred = pred[pred["model"] == model]
    if pred.empty:
        raise ValueError(
            f"predictions has no rows for model {model!r}, split {split!r}, "
            f"seed {seed!r}."
        )
    return pred, split, seed, model


def primary_split(results):
    """The split that ranks models: ``"spatial"`` when present, else the first."""
    return _splits(results)[0]


def _model_order(results, metric=PRIMARY_METRIC):
    """Models by descending mean ``metric`` on the primary split."""
    sub = results[results["metric"] == metric]
    if sub.empty:
        return list(dict.fromkeys(results["model"]))
    split = primary_split(sub)
    means = sub[sub["split"] == split].groupby("model")["value"].mean()
    ordered = list(means.sort_values(ascending=False).index)
    rest = [m for m in dict.fromkeys(sub["model"]) if m not in ordered]
    return ordered + rest


def _models_in(order, sub):
    """The models of ``order`` that have rows in ``sub``, in that order."""
    present = set(sub["model"])
    return [m for m in order if m in present]


def _split_colors(splits):
    colormaps = import_optional("matplotlib", _NEEDS_PLOT).colormaps

    fixed = {"spatial": "#3b6fb6", "random": "#e08a2c"}
    extra = colormaps["Dark2"]
    colors, k = {}, 0
    for s in splits:
        if s in fixed:
            colors[s] = fixed[s]
        else:
            colors[s] = extra(k % extra.N)
            k += 1
    return colors


def summarize_results(results, *, metrics=None):
    """Mean and standard deviation of each metric per model and split.

    The spread is over the folds and seeds of a split (``ddof=1``).

    Parameters
    ----------
    results : DataFrame
        The table of ``results.csv``: columns model, split, seed, fold,
        metric, value.
    metrics : sequence of str, default=None
        Metrics to keep; None keeps all.

    Returns
    -------
    summary : DataFrame
        Columns split, model, metric, mean, sd, n (number of folds x seeds),
        splits in report order (spatial first), models by descending mean
        Pearson r.

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.report import summarize_results
    >>> results = pd.DataFrame({"model": ["cge"] * 2, "split": ["random"] * 2,
    ...                         "seed": [0, 0], "fold": [0, 1],
    ...                         "metric": ["pearson_r"] * 2, "value": [0.4, 0.6]})
    >>> summarize_results(results)[["model", "mean", "n"]]
      model  mean  n
    0   cge   0.5  2
    """
    _check_results(results)
    sub = results if metrics is None else results[results["metric"].isin(metrics)]
    grouped = sub.groupby(["split", "model", "metric"], sort=False)["value"]
    summary = grouped.agg(mean="mean", sd="std", n="count").reset_index()
    split_rank = {s: k for k, s in enumerate(_splits(results))}
    model_rank = {m: k for k, m in enumerate(_model_order(results))}
    metric_rank = {m: k for k, m in enumerate(dict.fromkeys(sub["metric"]))}
    summary = summary.sort_values(
        ["split", "model", "metric"],
        key=lambda col: col.map(
            {"split": split_rank, "model": model_rank, "metric": metric_rank}[col.name]
        ),
    )
    return summary.reset_index(drop=True)


def best_model(results, *, metric=PRIMARY_METRIC, split=None):
    """The model with the highest mean ``metric`` on ``split``.

    Parameters
    ----------
    results : DataFrame
        The table of ``results.csv``.
    metric : str, default="pearson_r"
        Metric to rank by (higher is better).
    split : str, default=None
        Split to rank on; None uses ``"spatial"`` when present, else the
        first split.

    Returns
    -------
    model : str
        The model name.

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.report import best_model
    >>> results = pd.DataFrame({"model": ["cge", "pls"], "split": ["random"] * 2,
    ...                         "seed": [0, 0], "fold": [0, 0],
    ...                         "metric": ["pearson_r"] * 2, "value": [0.4, 0.6]})
    >>> best_model(results)
    'pls'
    """
    _check_results(results)
    sub = results[results["metric"] == metric]
    if sub.empty:
        raise ValueError(f"results has no rows for metric {metric!r}.")
    split = primary_split(sub) if split is None else split
    sub = sub[sub["split"] == split]
    if sub.empty:
        raise ValueError(f"results has no rows for split {split!r}.")
    return str(sub.groupby("model")["value"].mean().idxmax())


def plot_scores(results, *, metric=PRIMARY_METRIC, ax=None):
    """Bar plot of a test metric per model and split, with the folds as dots.

    Bars are the mean over folds and seeds, error bars one standard
    deviation; each dot is one fold of one seed.

    Parameters
    ----------
    results : DataFrame
        The table of ``results.csv``.
    metric : str, default="pearson_r"
        Metric to plot.
    ax : matplotlib Axes, default=None
        Axes to draw in; None makes a new figure.

    Returns
    -------
    fig : matplotlib Figure
        The figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from connpredict.report import plot_scores
    >>> results = pd.DataFrame({"model": ["cge", "cge", "pls", "pls"],
    ...                         "split": ["random"] * 4, "seed": [0] * 4,
    ...                         "fold": [0, 1, 0, 1], "metric": ["pearson_r"] * 4,
    ...                         "value": [0.4, 0.5, 0.6, 0.7]})
    >>> fig = plot_scores(results)
    >>> len(fig.axes)
    1
    """
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)

    _check_results(results)
    sub = results[results["metric"] == metric]
    if sub.empty:
        raise ValueError(f"results has no rows for metric {metric!r}.")
    models = _model_order(sub, metric)
    splits = _splits(sub)
    colors = _split_colors(splits)
    rng = np.random.RandomState(0)  # jitter of the fold dots only
    with figure_style():
        if ax is None:
            fig, ax = plt.subplots(
                figsize=(max(5.0, 1.1 * len(models) + 2.0), 3.8), layout="constrained"
            )
        else:
            fig = ax.figure
        width = 0.8 / len(splits)
        x = np.arange(len(models))
        for k, split in enumerate(splits):
            offset = (k - (len(splits) - 1) / 2) * width
            grouped = sub[sub["split"] == split].groupby("model")["value"]
            mean = grouped.mean().reindex(models)
            sd = grouped.std().reindex(models).fillna(0.0)
            ax.bar(
                x + offset,
                mean.to_numpy(),
                width * 0.92,
                yerr=sd.to_numpy(),
                color=colors[split],
                alpha=0.85,
                capsize=3,
                error_kw={"elinewidth": 1, "ecolor": "0.25"},
                label=split,
            )
            for i, model in enumerate(models):
                vals = sub[(sub["split"] == split) & (sub["model"] == model)]["value"]
                jitter = rng.uniform(-0.25, 0.25, len(vals)) * width
                ax.scatter(
                    np.full(len(vals), x[i] + offset) + jitter,
                    vals.to_numpy(),
                    s=10,
                    color="white",
                    edgecolors="0.2",
                    linewidths=0.6,
                    zorder=3,
                )
        ax.axhline(0, color="0.3", lw=0.8)
        ax.set_xticks(x, models)
        ax.set_ylabel(_metric_label(metric))
        ax.set_title(f"Test {_metric_label(metric)} per model and split")
        ax.legend(
            title="split", frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0)
        )
        ax.grid(axis="y", color="0.9")
        ax.set_axisbelow(True)
    return fig


def _metric_label(metric):
    return metric_label(metric)


def plot_distance_performance(results, *, models=None):
    """Test Pearson r by distance between regions, per model and split.

    Region pairs are binned by the distance between their centroids:
    short (up to 175/3 mm), mid (up to 350/3 mm) and long (farther), the
    ``short_r``, ``mid_r`` and ``long_r`` metrics of
    :func:`connpredict.metrics.evaluate`. One panel per split, one line per
    model (mean over folds and seeds, error bars one standard deviation).

    Parameters
    ----------
    results : DataFrame
        The table of ``results.csv``.
    models : sequence of str, default=None
        Models to draw; None draws all.

    Returns
    -------
    fig : matplotlib Figure
        The figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from connpredict.report import plot_distance_performance
    >>> results = pd.DataFrame({"model": "cge", "split": "random", "seed": 0,
    ...                         "fold": 0, "metric": ["short_r", "mid_r", "long_r"],
    ...                         "value": [0.6, 0.4, 0.2]})
    >>> fig = plot_distance_performance(results)
    >>> len(fig.axes)
    1
    """
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)

    _check_results(results)
    sub = results[results["metric"].isin(_DISTANCE_KEYS)]
    if sub.empty:
        raise ValueError(
            "results has no distance metrics (short_r, mid_r, long_r); they need "
            "region coordinates when evaluating."
        )
    order = _model_order(results)
    models = _models_in(order, sub) if models is None else models
    splits = _splits(sub)
    lo, hi = DISTANCE_EDGES
    ticks = [
        f"short\n≤ {lo:.0f} mm",
        f"mid\n{lo:.0f}–{hi:.0f} mm",
        f"long\n> {hi:.0f} mm",
    ]
    colors = _model_colors(order)

    def filled(split):
        """The bins with a finite value in ``split`` (empty bins stay off the axis)."""
        cur = sub[sub["split"] == split]
        return [
            k
            for k, key in enumerate(_DISTANCE_KEYS)
            if np.isfinite(cur.loc[cur["metric"] == key, "value"].to_numpy(float)).any()
        ]

    if not any(filled(split) for split in splits):
        raise ValueError("every distance bin is NaN (too few pairs in each).")
    with figure_style():
        fig, axes = plt.subplots(
            1,
            len(splits),
            figsize=(4.2 * len(splits) + 1.6, 3.6),
            sharey=True,
            layout="constrained",
            squeeze=False,
        )
        for ax, split in zip(axes[0], splits):
            bins = filled(split)
            keys = [_DISTANCE_KEYS[b] for b in bins]
            x = np.arange(len(keys))
            for k, model in enumerate(models):
                cur = sub[(sub["split"] == split) & (sub["model"] == model)]
                if cur.empty:
                    continue
                grouped = cur.groupby("metric")["value"]
                mean = grouped.mean().reindex(keys)
                sd = grouped.std().reindex(keys)
                shift = (k - (len(models) - 1) / 2) * 0.04
                ax.errorbar(
                    x + shift,
                    mean.to_numpy(),
                    yerr=sd.to_numpy(),
                    marker="o",
                    ms=5,
                    lw=1.6,
                    capsize=2,
                    color=colors[model],
                    label=model,
                )
            ax.axhline(0, color="0.3", lw=0.8)
            ax.set_xticks(x, [ticks[b] for b in bins])
            ax.set_xlim(-0.4, max(len(keys), 1) - 0.6)
            ax.set_title(f"{split} split")
            ax.grid(axis="y", color="0.9")
        axes[0, 0].set_ylabel("test Pearson r within bin")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        if not handles:
            for ax in axes[0]:
                handles, labels = ax.get_legend_handles_labels()
                if handles:
                    break
        fig.legend(
            handles, labels, title="model", loc="outside right center", frameon=False
        )
    return fig


def _model_colors(models):
    colormaps = import_optional("matplotlib", _NEEDS_PLOT).colormaps

    cmap = colormaps["tab10"]
    return {m: cmap(k % cmap.N) for k, m in enumerate(models)}


def network_names(results):
    """Return the networks with an ``intra_network_<name>_r`` metric in ``results``.

    Parameters
    ----------
    results : DataFrame
        The table of ``results.csv``.

    Returns
    -------
    names : list of str
        Network names, Yeo-7 networks in their usual order (Vis, SomMot,
        DorsAttn, SalVentAttn, Limbic, Cont, Default), then others in the
        order they first appear; the same order as the matrices.

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.report import network_names
    >>> results = pd.DataFrame({"model": "cge", "split": "random", "seed": 0,
    ...                         "fold": 0, "metric": ["intra_network_r",
    ...                         "intra_network_Vis_r", "intra_network_Default_r"],
    ...                         "value": [0.5, 0.6, 0.4]})
    >>> network_names(results)
    ['Vis', 'Default']
    """
    _check_results(results)
    names = []
    for metric in dict.fromkeys(results["metric"]):
        match = _NETWORK_RE.match(str(metric))
        if match and metric != "intra_network_r":
            names.append(match.group(1))
    return network_sequence(names)


def plot_network_performance(results, *, models=None):
    """Heat map of the test Pearson r within each network, per model and split.

    Each cell is the mean over folds and seeds of ``intra_network_<N>_r``
    (pairs with both regions in network ``N``; see
    :func:`connpredict.metrics.evaluate`); grey cells had too few test
    pairs in that network. The last column pools all within-network pairs
    (``intra_network_r``) and, when present, ``inter_network_r`` the pairs
    between networks.

    Parameters
    ----------
    results : DataFrame
        The table of ``results.csv``.
    models : sequence of str, default=None
        Models to draw (rows); None draws all.

    Returns
    -------
    fig : matplotlib Figure
        The figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from connpredict.report import plot_network_performance
    >>> results = pd.DataFrame({"model": "cge", "split": "random", "seed": 0,
    ...                         "fold": 0, "metric": ["intra_network_Vis_r",
    ...                         "intra_network_Default_r"], "value": [0.6, 0.4]})
    >>> fig = plot_network_performance(results)
    >>> len(fig.axes)  # the heat map and its colour bar
    2
    """
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)

    _check_results(results)
    names = network_names(results)
    if not names:
        raise ValueError(
            "results has no per-network metrics (intra_network_<name>_r); they "
            "need a 'network' column in the region table when evaluating."
        )
    keys = [f"intra_network_{n}_r" for n in names]
    labels = list(names)
    present = set(results["metric"])
    pooled = (("intra_network_r", "all within"), ("inter_network_r", "between"))
    for key, label in pooled:
        if key in present:
            keys.append(key)
            labels.append(label)
    sub = results[results["metric"].isin(keys)]
    order = _model_order(results)
    models = _models_in(order, sub) if models is None else models
    splits = _splits(sub)
    means = {
        s: sub[sub["split"] == s]
        .groupby(["model", "metric"])["value"]
        .mean()
        .unstack("metric")
        .reindex(index=models, columns=keys)
        for s in splits
    }
    finite = np.concatenate([m.to_numpy(dtype=float).ravel() for m in means.values()])
    finite = finite[np.isfinite(finite)]
    vmax = max(0.1, float(np.max(np.abs(finite)))) if finite.size else 1.0
    with figure_style():
        fig, axes = plt.subplots(
            len(splits),
            1,
            figsize=(
                0.75 * len(keys) + 3.2,
                (0.42 * len(models) + 1.3) * len(splits) + 0.4,
            ),
            layout="constrained",
            squeeze=False,
        )
        image = None
        for ax, split in zip(axes[:, 0], splits):
            values = means[split].to_numpy(dtype=float)
            masked = np.ma.masked_invalid(values)
            cmap = plt.get_cmap("RdBu_r").with_extremes(bad="0.88")
            image = ax.imshow(masked, cmap=cmap, vmin=-vmax, vmax=vmax, aspect="auto")
            for (i, j), v in np.ndenumerate(values):
                text = f"<{MIN_PAIRS}\npairs" if not np.isfinite(v) else f"{v:.2f}"
                dark = np.isfinite(v) and abs(v) > 0.6 * vmax
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "0.15",
                )
            ax.set_xticks(np.arange(len(keys)), labels, rotation=40, ha="right")
            ax.set_yticks(np.arange(len(models)), models)
            if len(labels) > len(names):
                ax.axvline(len(names) - 0.5, color="white", lw=3)
            ax.set_title(f"{split} split")
            for spine in ax.spines.values():
                spine.set_visible(False)
            ax.tick_params(length=0)
        fig.colorbar(image, ax=axes[:, 0].tolist(), label="test Pearson r", shrink=0.8)
    return fig


def _ordered_regions(folds, split, seed, networks=None, by="fold"):
    cur = folds[(folds["split"] == split) & (folds["seed"] == seed)]
    cur = cur.drop_duplicates("region")
    key = cur["fold"].astype(int)
    frame = pd.DataFrame({"region": cur["region"].to_numpy(), "fold": key.to_numpy()})
    if networks is not None:
        frame["network"] = frame["region"].map(networks).fillna("~").astype(str)
        rank = {n: k for k, n in enumerate(network_sequence(networks.astype(str)))}
        frame["_rank"] = frame["network"].map(rank).fillna(len(rank))
        keys = ["_rank", "fold"] if by == "network" else ["fold", "_rank"]
        frame = frame.sort_values(keys, kind="stable").drop(columns="_rank")
    else:
        frame = frame.sort_values("fold", kind="stable")
    return frame


def plot_predicted_connectome(
    predictions,
    *,
    model=None,
    split=None,
    seed=None,
    folds=None,
    networks=None,
    order="fold",
    units="connectivity",
):
    """True and predicted connectome of held-out regions, side by side.

    The matrices hold the test x test pairs of every fold (each fold's
    block among its own test regions, the only pairs whose both regions were
    unseen in training); pairs between regions of different folds are blank.
    Regions are ordered by fold (then by network when ``networks`` is
    given), so each fold is a block on the diagonal. A third panel plots
    predicted against true values over the same pairs.

    Parameters
    ----------
    predictions : DataFrame
        The table of ``predictions.csv``: columns split, seed, model,
        region_i, region_j, y_true, y_pred.
    model : str, default=None
        Model to draw; None takes the one whose predictions correlate best
        with the truth over all pairs.
    split : str, default=None
        Split to draw; None takes ``"spatial"`` when present, else the first.
    seed : int, default=None
        Seed to draw; None takes the smallest.
    folds : DataFrame, default=None
        The table of ``folds.csv`` (split, seed, region, fold), to order the
        regions by fold and mark the fold blocks.
    networks : Series, default=None
        Network name of each region (index = region labels), to order the
        regions within each fold, or by network with ``order="network"``.
    order : {"fold", "network"}, default="fold"
        ``"fold"``: fold blocks on the diagonal (regions by network within
        a fold). ``"network"``: regions grouped by network (in the order of
        ``networks``), with the network boundaries drawn and the network
        names on the axes; needs ``networks`` and ``folds``.
    units : str, default="connectivity"
        What the values are, with units, for the colour bar and the axes
        (e.g. ``"FC (Fisher z)"``).

    Returns
    -------
    fig : matplotlib Figure
        The figure.

    Notes
    -----
    The colour range is symmetric about 0, at the 99th percentile of the
    absolute true and predicted values (stated on the colour bar). The
    scatter's r is over the pooled pairs of all folds; when it differs from
    the mean of the per-fold r (the metrics table's number), both are given.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from connpredict.report import plot_predicted_connectome
    >>> pred = pd.DataFrame({"split": "random", "seed": 0, "model": "cge",
    ...                      "region_i": ["a", "a", "b"], "region_j": ["b", "c", "c"],
    ...                      "y_true": [0.1, 0.5, 0.3], "y_pred": [0.2, 0.4, 0.3]})
    >>> fig = plot_predicted_connectome(pred)
    >>> len(fig.axes) >= 3
    True
    """
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)

    pred = _checked_predictions(predictions)
    pred, split, seed, model = _select_predictions(pred, split, seed, model)
    if order not in ("fold", "network"):
        raise ValueError(f"order must be 'fold' or 'network', got {order!r}.")
    if order == "network" and (networks is None or folds is None):
        raise ValueError("order='network' needs `networks` and `folds`.")
    by = order
    order = _connectome_order(pred, folds, split, seed, networks, by)
    true, predicted = _pair_matrices(pred, order["region"])
    n = len(true)
    vmax = matrix_limit(np.r_[pred["y_true"].to_numpy(float), pred["y_pred"]])
    groups = order["network"] if by == "network" else order["fold"]
    codes = pd.factorize(groups.to_numpy())[0]
    bounds = np.flatnonzero(np.diff(codes)) + 0.5
    edges = np.r_[-0.5, bounds, n - 0.5]
    names = list(dict.fromkeys(groups.astype(str))) if by == "network" else []

    with figure_style():
        fig, axes = plt.subplots(
            1,
            3,
            figsize=(13.5, 4.5),
            layout="constrained",
            gridspec_kw={"width_ratios": [1, 1, 0.9]},
        )
        image = None
        for ax, mat, title in (
            (axes[0], true, "true"),
            (axes[1], predicted, f"predicted ({model})"),
        ):
            image = draw_matrix(ax, mat, vmax=vmax, title=title)
            for b in bounds:
                lw = 0.9 if by == "network" else 0.6
                ax.axhline(b, color="0.2" if by == "network" else "0.35", lw=lw)
                ax.axvline(b, color="0.2" if by == "network" else "0.35", lw=lw)
            network_ticks(ax, edges if names else np.array([]), names)
            ax.set_xlabel(f"{n} test regions, ordered by {by}")
            for spine in ax.spines.values():
                spine.set_visible(True)
                spine.set_color("0.6")
        matrix_colorbar(fig, image, axes[:2].tolist(), units=units, vmax=vmax)
        _draw_pair_scatter(axes[2], pred, units)
        fig.suptitle(f"{model}: held-out regions of the {split} split (seed {seed})")
    return fig


def _checked_predictions(predictions):
    """A copy of the predictions table with text labels; its columns checked."""
    required = {"split", "seed", "model", "region_i", "region_j", "y_true", "y_pred"}
    missing = required - set(predictions.columns)
    if missing:
        raise ValueError(
            f"predictions lacks the column(s) {', '.join(sorted(missing))}; it must "
            "be the table of predictions.csv."
        )
    pred = predictions.copy()
    for col in ("split", "model", "region_i", "region_j"):
        pred[col] = pred[col].astype(str)
    return pred


def _connectome_order(pred, folds, split, seed, networks, by):
    """Regions of the connectome figure in order: a frame of region, fold
    (and network); regions without a fold come last (fold -1)."""
    order = None
    if folds is not None:
        frame = _ordered_regions(
            folds.astype({"region": str}), split, seed, networks, by=by
        )
        if not frame.empty:
            order = frame
    labels_seen = list(dict.fromkeys([*pred["region_i"], *pred["region_j"]]))
    if order is None:
        return pd.DataFrame({"region": labels_seen, "fold": 0})
    extra = [lab for lab in labels_seen if lab not in set(order["region"])]
    if extra:
        order = pd.concat(
            [order, pd.DataFrame({"region": extra, "fold": -1})], ignore_index=True
        )
    return order


def _pair_matrices(pred, regions):
    """True and predicted matrices over ``regions`` (NaN where no pair)."""
    index = {lab: k for k, lab in enumerate(regions)}
    n = len(index)
    true = np.full((n, n), np.nan)
    predicted = np.full((n, n), np.nan)
    i = pred["region_i"].map(index).to_numpy()
    j = pred["region_j"].map(index).to_numpy()
    for mat, col in ((true, "y_true"), (predicted, "y_pred")):
        mat[i, j] = pred[col].to_numpy(dtype=float)
        mat[j, i] = pred[col].to_numpy(dtype=float)
    np.fill_diagonal(true, np.nan)
    np.fill_diagonal(predicted, np.nan)
    return true, predicted


def _draw_pair_scatter(ax, pred, units):
    """Predicted against true values of the pairs, with the pooled r."""
    t = pred["y_true"].to_numpy(float)
    p = pred["y_pred"].to_numpy(float)
    ok = np.isfinite(t) & np.isfinite(p)
    t, p = t[ok], p[ok]
    if t.size > 400:
        ax.hexbin(t, p, gridsize=35, cmap="Greys", mincnt=1, bins="log")
    else:
        ax.scatter(t, p, s=8, color="0.3", alpha=0.6, linewidths=0)
    if t.size:
        lims = [min(t.min(), p.min()), max(t.max(), p.max())]
        ax.plot(lims, lims, color="C3", lw=1, ls="--", label="y = x")
        r = np.corrcoef(t, p)[0, 1] if t.size > 2 else np.nan
        text = f"r = {r:.3f}\n{t.size} pairs"
        fold_r = _mean_fold_r(pred)
        if np.isfinite(fold_r) and round(fold_r, 3) != round(r, 3):
            text = (
                f"r = {r:.3f}, pooled over the\npairs of all folds; mean of "
                f"per-fold\nr (metrics table) = {fold_r:.3f}\n{t.size} pairs"
            )
        ax.text(0.04, 0.96, text, transform=ax.transAxes, va="top", fontsize=9)
    ax.set_xlabel(f"true {units}")
    ax.set_ylabel(f"predicted {units}")
    ax.set_title("test pairs")
    ax.set_aspect("equal", adjustable="datalim")


def _mean_fold_r(pred):
    """Mean over folds of the Pearson r of each fold's pairs (NaN without folds)."""
    if "fold" not in pred.columns or pred["fold"].nunique() < 2:
        return np.nan
    per_fold = [
        np.corrcoef(t["y_true"].to_numpy(float), t["y_pred"].to_numpy(float))[0, 1]
        for _, t in pred.groupby("fold")
        if len(t) > 2
    ]
    return float(np.nanmean(per_fold)) if per_fold else np.nan


def plot_folds(folds, regions, *, splits=None, seed=None, kind="scatter"):
    """The test folds of each split on the brain, one row per split.

    Uses :func:`connpredict.model_selection.plot_splits` on the saved fold
    assignment.

    Parameters
    ----------
    folds : DataFrame
        The table of ``folds.csv``: columns split, seed, region, fold.
    regions : DataFrame
        Region table with the MNI coordinates ``x``, ``y``, ``z`` (index =
        region labels), e.g. ``load_dataset(name).regions``.
    splits : sequence of str, default=None
        Splits to draw; None draws all.
    seed : int, default=None
        Seed to draw; None takes the smallest.
    kind : {"scatter", "glass"}, default="scatter"
        Passed to :func:`~connpredict.model_selection.plot_splits`
        (``"glass"`` draws one figure per split, so only the first split is
        drawn).

    Returns
    -------
    fig : matplotlib Figure
        The figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from connpredict.report import plot_folds
    >>> regions = pd.DataFrame({"x": [-40.0, -30, 30, 40], "y": [0.0, 20, 0, 20],
    ...                         "z": [10.0, 20, 10, 20]}, index=list("abcd"))
    >>> folds = pd.DataFrame({"split": "random", "seed": 0, "region": list("abcd"),
    ...                       "fold": [0, 1, 0, 1]})
    >>> fig = plot_folds(folds, regions)
    >>> len(fig.axes)
    3
    """
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)
    from sklearn.model_selection import PredefinedSplit

    from connpredict.model_selection import plot_splits

    folds = folds.astype({"region": str, "split": str})
    coords = regions[["x", "y", "z"]].copy()
    coords.index = coords.index.astype(str)
    all_splits = _splits(folds)
    splits = all_splits if splits is None else list(splits)
    seed = folds["seed"].min() if seed is None else seed

    def assignment(split):
        cur = folds[(folds["split"] == split) & (folds["seed"] == seed)]
        if cur.empty:
            raise ValueError(f"folds has no rows for split {split!r}, seed {seed}.")
        fold_of = cur.drop_duplicates("region").set_index("region")["fold"]
        unknown = fold_of.index.difference(coords.index)
        if len(unknown):
            raise ValueError(
                f"{len(unknown)} region(s) of folds.csv are not in the region table "
                f"(e.g. {unknown[0]!r}); pass the dataset the results came from."
            )
        return fold_of.reindex(coords.index).fillna(-1).astype(int).to_numpy()

    with figure_style():
        if kind == "glass":
            split = splits[0]
            labels = assignment(split)
            return plot_glass_folds(
                coords.to_numpy(dtype=float),
                labels,
                fold_colors(int(labels.max()) + 1),
                title=f"Test folds: {split} split (seed {seed})",
            )
        fig = plt.figure(figsize=(12.5, 3.9 * len(splits)), layout="constrained")
        subfigs = np.atleast_1d(fig.subfigures(len(splits), 1))
        for subfig, split in zip(subfigs, splits):
            axes = subfig.subplots(1, 3)
            plot_splits(coords, PredefinedSplit(assignment(split)), ax=axes)
            subfig.suptitle(f"{split} split (seed {seed})", fontweight="bold")
    return fig


def plot_nulls(nulls):
    """Null distribution of each spin test, with the true score and p-value.

    One panel per model (and split, when ``nulls`` has a ``split`` column),
    drawn by :func:`connpredict.nulls.plot_null_distribution`.

    Parameters
    ----------
    nulls : DataFrame
        The table of ``nulls.csv``: one row per null permutation with columns
        model, score (the true score), null_score and pvalue; optional
        columns split, scoring, method.

    Returns
    -------
    fig : matplotlib Figure
        The figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.report import plot_nulls
    >>> nulls = pd.DataFrame({"model": "cge", "score": 0.5, "pvalue": 1 / 21,
    ...                       "null_score": np.linspace(-0.1, 0.2, 20)})
    >>> fig = plot_nulls(nulls)
    >>> len(fig.axes)
    1
    """
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)


    required = {"model", "score", "null_score", "pvalue"}
    missing = required - set(nulls.columns)
    if missing:
        raise ValueError(
            f"nulls lacks the column(s) {', '.join(sorted(missing))}; it must be the "
            "table of nulls.csv (model, score, null_score, pvalue)."
        )
    keys = ["model", "split"] if "split" in nulls.columns else ["model"]
    groups = list(nulls.groupby(keys, sort=False))
    with figure_style():
        fig, axes = plt.subplots(
            1,
            len(groups),
            figsize=(4.8 * len(groups), 3.6),
            layout="constrained",
            squeeze=False,
        )
        for ax, (key, table) in zip(axes[0], groups):
            key = key if isinstance(key, tuple) else (key,)
            result = _NullResult(
                score=float(table["score"].iloc[0]),
                null_scores=table["null_score"].to_numpy(dtype=float),
                pvalue=float(table["pvalue"].iloc[0]),
                scoring=_first(table, "scoring", "test Pearson r"),
                method=_first(table, "method", "spin"),
            )
            plot_null_distribution(
                result,
                ax=ax,
                color="#7d8ea6",
                title=f"{' · '.join(str(k) for k in key)} (n = {len(table)} nulls)",
            )
            xlabel = f"{_metric_label(result.scoring)} of the refitted model"
            if at_p_floor(result.pvalue, len(table)):
                xlabel += (
                    f"\np = 1/(n+1) = {1 / (len(table) + 1):.3g} is the smallest "
                    f"attainable with {len(table)} nulls"
                )
            ax.set_xlabel(xlabel)
            ax.set_ylabel("number of nulls")
    return fig


def at_p_floor(pvalue, n_nulls):
    """Whether a permutation p-value is the smallest attainable, 1 / (n + 1).

    Examples
    --------
    >>> from connpredict.report._figures import at_p_floor
    >>> at_p_floor(1 / 21, 20), at_p_floor(2 / 21, 20)
    (True, False)
    """
    return bool(n_nulls > 0 and pvalue <= (1.0 / (n_nulls + 1)) * (1 + 1e-9))


def _first(table, column, default):
    return str(table[column].iloc[0]) if column in table.columns else default


class _NullResult:
    """The attributes plot_null_distribution reads."""

    def __init__(self, *, score, null_scores, pvalue, scoring, method):
        self.score = score
        self.null_scores = null_scores
        self.pvalue = pvalue
        self.scoring = scoring
        self.method = method

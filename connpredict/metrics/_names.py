"""The metric vocabulary: every metric name, its group, direction and label.

This table is the one place a metric is declared. :func:`evaluate` reads the
keys of each group from it, the scorers derive their names and signs from the
direction (a loss ``k`` is scored as ``neg_k``), the report takes labels,
number formats and "best" directions from it, and the command line its
printed columns. Adding a metric means one :class:`MetricSpec` entry here and
its formula in :func:`connpredict.metrics.evaluate`.

The pure-Python module imports nothing heavy, so the command line and the
report can read it cheaply.
"""

import re
from typing import NamedTuple


class MetricSpec(NamedTuple):
    """One metric of the vocabulary.

    Attributes
    ----------
    name : str
        The key of :func:`connpredict.metrics.evaluate` and of ``results.csv``.
    group : str
        ``"basic"``, ``"geodesic"``, ``"distance"``, ``"strength"``,
        ``"hemisphere"``, ``"network"``, ``"classification"`` or ``"timing"``.
    greater_is_better : bool
        Direction. Losses (False) are scored as ``neg_<name>``.
    label : str
        Display label in figures and tables.
    fmt : str
        Format of a value in tables.
    """

    name: str
    group: str
    greater_is_better: bool
    label: str
    fmt: str = ".3f"


METRICS = (
    MetricSpec("mse", "basic", False, "MSE", ".4f"),
    MetricSpec("mae", "basic", False, "MAE", ".4f"),
    MetricSpec("r2", "basic", True, "R²"),
    MetricSpec("pearson_r", "basic", True, "Pearson r"),
    MetricSpec("spearman_r", "basic", True, "Spearman r"),
    MetricSpec("geodesic_distance", "geodesic", False, "geodesic distance"),
    MetricSpec("short_r", "distance", True, "short-range r"),
    MetricSpec("mid_r", "distance", True, "mid-range r"),
    MetricSpec("long_r", "distance", True, "long-range r"),
    MetricSpec("strong_neg_r", "strength", True, "strong negative r"),
    MetricSpec("weak_r", "strength", True, "weak r"),
    MetricSpec("strong_pos_r", "strength", True, "strong positive r"),
    MetricSpec("left_hemi_r", "hemisphere", True, "left hemisphere r"),
    MetricSpec("right_hemi_r", "hemisphere", True, "right hemisphere r"),
    MetricSpec("inter_hemi_r", "hemisphere", True, "inter-hemisphere r"),
    MetricSpec("intra_network_r", "network", True, "within-network r"),
    MetricSpec("inter_network_r", "network", True, "between-network r"),
    MetricSpec("accuracy", "classification", True, "accuracy"),
    MetricSpec("precision", "classification", True, "precision"),
    MetricSpec("recall", "classification", True, "recall"),
    MetricSpec("f1", "classification", True, "F1"),
    MetricSpec("roc_auc", "classification", True, "ROC AUC"),
    MetricSpec("fit_predict_seconds", "timing", False, "fit + predict (s)", ".1f"),
)

_BY_NAME = {spec.name: spec for spec in METRICS}

#: other accepted names of a metric (alias -> name): the research system's
#: spelling ``auc_roc``
ALIASES = {"auc_roc": "roc_auc"}

#: per-network metrics ``intra_network_<N>_r`` / ``inter_network_<N>_r``
NETWORK_METRIC = re.compile(r"^(intra|inter)_network_(.+)_r$")

#: metrics of the summary tables (report and command line), in this order
SUMMARY_METRICS = ("pearson_r", "spearman_r", "r2", "mse", "geodesic_distance")
#: the metric that ranks models in reports and progress lines
PRIMARY_METRIC = "pearson_r"


def metric_names(group=None):
    """Metric names of ``group`` (all groups when None), in declaration order.

    Parameters
    ----------
    group : str or tuple of str, default=None
        One group or several.

    Returns
    -------
    names : tuple of str

    Examples
    --------
    >>> from connpredict.metrics._names import metric_names
    >>> metric_names("distance")
    ('short_r', 'mid_r', 'long_r')
    """
    groups = (group,) if isinstance(group, str) else group
    return tuple(s.name for s in METRICS if groups is None or s.group in groups)


def metric_spec(name):
    """The :class:`MetricSpec` of ``name``; per-network metrics get one too.

    Examples
    --------
    >>> from connpredict.metrics._names import metric_spec
    >>> metric_spec("mse").greater_is_better
    False
    >>> metric_spec("intra_network_Vis_r").label
    'Vis within-network r'
    """
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name in ALIASES:
        return _BY_NAME[ALIASES[name]]._replace(name=name)
    match = NETWORK_METRIC.match(str(name))
    if match:
        kind, network = match.groups()
        where = "within-network" if kind == "intra" else "between-network"
        return MetricSpec(name, "network", True, f"{network} {where} r")
    raise KeyError(name)


def greater_is_better(name):
    """Direction of ``name``; unknown names count as scores (greater is better).

    Examples
    --------
    >>> from connpredict.metrics._names import greater_is_better
    >>> greater_is_better("pearson_r"), greater_is_better("geodesic_distance")
    (True, False)
    """
    try:
        return metric_spec(name).greater_is_better
    except KeyError:
        return True


def metric_label(name):
    """Display label of ``name`` (the name itself when unknown).

    Examples
    --------
    >>> from connpredict.metrics._names import metric_label
    >>> metric_label("r2")
    'R²'
    """
    try:
        return metric_spec(name).label
    except KeyError:
        return str(name)


def format_value(value, name):
    """Format a metric value for a table (``"–"`` for NaN).

    Examples
    --------
    >>> from connpredict.metrics._names import format_value
    >>> format_value(0.12345, "mse"), format_value(float("nan"), "r2")
    ('0.1235', '–')
    """
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        return "–"
    try:
        fmt = metric_spec(name).fmt
    except KeyError:
        fmt = ".3f"
    return format(value, fmt)


def scorer_names():
    """Scorer name -> (metric name, sign) for every metric of :func:`evaluate`.

    Losses are negated so that greater is better (``neg_mse``).

    Examples
    --------
    >>> from connpredict.metrics._names import scorer_names
    >>> scorer_names()["neg_mse"], scorer_names()["pearson_r"]
    (('mse', -1), ('pearson_r', 1))
    """
    out = {}
    for spec in METRICS:
        if spec.group == "timing":
            continue
        if spec.greater_is_better:
            out[spec.name] = (spec.name, 1)
        else:
            out[f"neg_{spec.name}"] = (spec.name, -1)
    for alias, name in ALIASES.items():
        key, sign = out[name if _BY_NAME[name].greater_is_better else f"neg_{name}"]
        out[alias if sign > 0 else f"neg_{alias}"] = (key, sign)
    return out

"""The metric vocabulary: every metric name, its group, direction and label.

This table is the one place a metric is declared. :func:`evaluate` reads the
keys of each group from it (and, for the metrics over all pairs, the
formula), the scorers derive their names and signs from the direction (a
loss ``k`` is scored as ``neg_k``), the report takes labels, number formats
and "best" directions from it, and the command line its printed columns.

Adding a metric over all pairs is one :class:`MetricSpec` entry in
:data:`METRICS` with its ``formula`` (a function of two 1-D vectors of pair
values): :func:`connpredict.metrics.evaluate`, :func:`get_scorer` and
:func:`get_scorer_names` pick it up, since every lookup here reads
:data:`METRICS` when called. Subset metrics (distance, strength, hemisphere,
network bins) need their masks in ``metrics/_evaluate.py`` too.
"""

import re
from collections.abc import Callable
from typing import NamedTuple

from connpredict.metrics import _formulas


class MetricSpec(NamedTuple):
    """One metric of the vocabulary (an entry of ``METRICS``).

    Parameters
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
    formula : callable or None
        ``formula(y_true, y_pred) -> float`` on two 1-D vectors of pair
        values, for the metrics over all pairs (group ``"basic"``); None for
        the others (their masks and formulas are in ``metrics/_evaluate.py``).

    Examples
    --------
    >>> from connpredict.metrics import MetricSpec, metric_spec
    >>> metric_spec("mse").label
    'MSE'
    >>> spec = MetricSpec("max_error", "basic", False, "max error")
    >>> spec.fmt
    '.3f'
    """

    name: str
    group: str
    greater_is_better: bool
    label: str
    fmt: str = ".3f"
    formula: Callable | None = None


METRICS = (
    MetricSpec("mse", "basic", False, "MSE", ".4f", _formulas.mse),
    MetricSpec("mae", "basic", False, "MAE", ".4f", _formulas.mae),
    MetricSpec("r2", "basic", True, "R²", formula=_formulas.r2),
    MetricSpec("pearson_r", "basic", True, "Pearson r", formula=_formulas.pearson),
    MetricSpec("spearman_r", "basic", True, "Spearman r", formula=_formulas.spearman),
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
    # the per-region score: column ``r`` of ``region_scores.csv``, computed by
    # :func:`connpredict.metrics.region_scores` (one value per region, not a
    # score of a block, so it has no scorer)
    MetricSpec("region_r", "region", True, "per-region accuracy (Pearson r)"),
)

#: groups that are recorded but are not scores of a predicted block (no scorer)
UNSCORED_GROUPS = ("timing", "region")

#: other accepted names of a metric (alias -> name), the one alias table: the
#: research system's spelling ``auc_roc``, and scikit-learn's names of the
#: losses (scored as ``neg_mean_squared_error`` and ``neg_mean_absolute_error``)
ALIASES = {
    "auc_roc": "roc_auc",
    "mean_squared_error": "mse",
    "mean_absolute_error": "mae",
}

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
        The names, in the order of the vocabulary.

    Examples
    --------
    >>> from connpredict.metrics import metric_names
    >>> metric_names("distance")
    ('short_r', 'mid_r', 'long_r')
    """
    groups = (group,) if isinstance(group, str) else group
    return tuple(s.name for s in METRICS if groups is None or s.group in groups)


def metric_spec(name):
    """Return the :class:`MetricSpec` of ``name``; per-network metrics get one too.

    Parameters
    ----------
    name : str
        A metric name, an alias (``auc_roc``) or ``intra_network_<N>_r`` /
        ``inter_network_<N>_r``.

    Returns
    -------
    spec : MetricSpec
        Its entry (an alias gets its metric's entry under the alias).

    Raises
    ------
    KeyError
        For an unknown name.

    Examples
    --------
    >>> from connpredict.metrics import metric_spec
    >>> metric_spec("mse").greater_is_better
    False
    >>> metric_spec("intra_network_Vis_r").label
    'Vis within-network r'
    """
    by_name = {spec.name: spec for spec in METRICS}
    if name in by_name:
        return by_name[name]
    if name in ALIASES:
        return by_name[ALIASES[name]]._replace(name=name)
    match = NETWORK_METRIC.match(str(name))
    if match:
        kind, network = match.groups()
        where = "within-network" if kind == "intra" else "between-network"
        return MetricSpec(name, "network", True, f"{network} {where} r")
    raise KeyError(name)


def _spec_field(name, field, default):
    """A field of the metric's entry; ``default`` for an unknown name."""
    try:
        return getattr(metric_spec(name), field)
    except KeyError:
        return default


def greater_is_better(name):
    """Return the direction of ``name``; unknown names count as scores.

    Parameters
    ----------
    name : str
        A metric name.

    Returns
    -------
    greater : bool
        False for a loss; True for a score and for an unknown name.

    Examples
    --------
    >>> from connpredict.metrics import greater_is_better
    >>> greater_is_better("pearson_r"), greater_is_better("geodesic_distance")
    (True, False)
    """
    return _spec_field(name, "greater_is_better", True)


def metric_label(name):
    """Return the display label of ``name`` (the name itself when unknown).

    Parameters
    ----------
    name : str
        A metric name.

    Returns
    -------
    label : str
        Its label in figures and tables.

    Examples
    --------
    >>> from connpredict.metrics import metric_label
    >>> metric_label("r2")
    'R²'
    """
    return _spec_field(name, "label", str(name))


def format_value(value, name):
    """Format a metric value for a table (``"–"`` for NaN).

    Parameters
    ----------
    value : float
        The value.
    name : str
        The metric name, whose number format is used (``.3f`` when unknown).

    Returns
    -------
    text : str
        The formatted value.

    Examples
    --------
    >>> from connpredict.metrics import format_value
    >>> format_value(0.12345, "mse"), format_value(float("nan"), "r2")
    ('0.1235', '–')
    """
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        return "–"
    return format(value, _spec_field(name, "fmt", ".3f"))


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
        if spec.group in UNSCORED_GROUPS:
            continue
        out[_scorer_name(spec.name, spec.greater_is_better)] = (
            spec.name,
            1 if spec.greater_is_better else -1,
        )
    for alias, name in ALIASES.items():
        scored = metric_spec(name).greater_is_better
        out[_scorer_name(alias, scored)] = out[_scorer_name(name, scored)]
    return out


def _scorer_name(name, greater):
    return name if greater else f"neg_{name}"

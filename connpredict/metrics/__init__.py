"""Connectome metrics, the ``evaluate`` table and scikit-learn scorers.

Every metric counts each unordered region pair once: the upper triangle
``i < j`` of a square block among one region set, or every entry of a
rectangular block between two disjoint region sets.

The metric vocabulary (``METRICS``: names, groups, directions, labels and
formulas) is the one place a metric is declared; the other subpackages read
it through the names exported here (``PRIMARY_METRIC``, ``SUMMARY_METRICS``,
:func:`metric_label`, :func:`format_value`...).
"""

from connpredict.metrics._evaluate import (
    DISTANCE_EDGES,
    MIN_PAIRS,
    RESEARCH_MIN_PAIRS,
    STRENGTH_THRESHOLD,
    evaluate,
)
from connpredict.metrics._names import (
    ALIASES,
    METRICS,
    PRIMARY_METRIC,
    SUMMARY_METRICS,
    MetricSpec,
    format_value,
    greater_is_better,
    metric_label,
    metric_names,
    metric_spec,
)
from connpredict.metrics._pairs import pair_table
from connpredict.metrics._regression import (
    geodesic_distance,
    mean_absolute_error,
    mean_squared_error,
    pearson_corr,
    r2_score,
    region_scores,
    spearman_corr,
)
from connpredict.metrics._scorer import (
    ConnectomeScorer,
    get_scorer,
    get_scorer_names,
    make_scorer,
)

__all__ = [
    "ALIASES",
    "DISTANCE_EDGES",
    "METRICS",
    "MIN_PAIRS",
    "PRIMARY_METRIC",
    "RESEARCH_MIN_PAIRS",
    "STRENGTH_THRESHOLD",
    "SUMMARY_METRICS",
    "ConnectomeScorer",
    "MetricSpec",
    "evaluate",
    "format_value",
    "geodesic_distance",
    "get_scorer",
    "get_scorer_names",
    "greater_is_better",
    "make_scorer",
    "mean_absolute_error",
    "mean_squared_error",
    "metric_label",
    "metric_names",
    "metric_spec",
    "pair_table",
    "pearson_corr",
    "r2_score",
    "region_scores",
    "spearman_corr",
]

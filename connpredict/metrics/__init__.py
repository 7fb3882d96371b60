"""Connectome metrics, the ``evaluate`` table and scikit-learn scorers.

Every metric counts each unordered region pair once: the upper triangle
``i < j`` of a square block among one region set, or every entry of a
rectangular block between two disjoint region sets.
"""

from connpredict.metrics._evaluate import DISTANCE_EDGES, MIN_PAIRS, evaluate
from connpredict.metrics._names import (
    PRIMARY_METRIC,
    SUMMARY_METRICS,
    format_value,
    greater_is_better,
    metric_label,
    metric_names,
)
from connpredict.metrics._pairs import pair_table
from connpredict.metrics._regression import (
    geodesic_distance,
    mean_absolute_error,
    mean_squared_error,
    pearson_corr,
    r2_score,
    spearman_corr,
)
from connpredict.metrics._scorer import (
    ConnectomeScorer,
    get_scorer,
    get_scorer_names,
    make_scorer,
)

# the metric vocabulary for the rest of connpredict (outside __all__):
# the primary metric, the summary metrics, labels, formats and directions,
# the distance bins and the fewest pairs a bin is scored on
_VOCABULARY = (
    PRIMARY_METRIC,
    SUMMARY_METRICS,
    format_value,
    greater_is_better,
    metric_label,
    metric_names,
    DISTANCE_EDGES,
    MIN_PAIRS,
)

__all__ = [
    "ConnectomeScorer",
    "evaluate",
    "geodesic_distance",
    "get_scorer",
    "get_scorer_names",
    "make_scorer",
    "mean_absolute_error",
    "mean_squared_error",
    "pair_table",
    "pearson_corr",
    "r2_score",
    "spearman_corr",
]

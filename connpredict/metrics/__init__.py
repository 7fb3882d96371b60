"""Connectome metrics, the ``evaluate`` table and scikit-learn scorers.

Every metric counts each unordered region pair once: the upper triangle
``i < j`` of a square block among one region set, or every entry of a
rectangular block between two disjoint region sets.
"""

# the metric vocabulary for the rest of connpredict, outside __all__ (the
# "as" marks a re-export): the primary metric, the summary metrics, labels,
# formats and directions, the distance bins, the fewest pairs a bin is scored on
from connpredict.metrics._evaluate import DISTANCE_EDGES as DISTANCE_EDGES
from connpredict.metrics._evaluate import MIN_PAIRS as MIN_PAIRS
from connpredict.metrics._evaluate import evaluate
from connpredict.metrics._names import PRIMARY_METRIC as PRIMARY_METRIC
from connpredict.metrics._names import SUMMARY_METRICS as SUMMARY_METRICS
from connpredict.metrics._names import format_value as format_value
from connpredict.metrics._names import greater_is_better as greater_is_better
from connpredict.metrics._names import metric_label as metric_label
from connpredict.metrics._names import metric_names as metric_names
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

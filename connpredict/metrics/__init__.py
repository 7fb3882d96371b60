"""Connectome metrics, the ``evaluate`` table and scikit-learn scorers.

Every metric counts each unordered region pair once: the upper triangle
``i < j`` of a square block among one region set, or every entry of a
rectangular block between two disjoint region sets.
"""

from connpredict.metrics._evaluate import evaluate
from connpredict.metrics._names import PRIMARY_METRIC as PRIMARY_METRIC
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

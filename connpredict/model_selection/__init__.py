"""Cross-validation over brain regions (regions are the samples).

Splitters follow scikit-learn's cross-validator API and work as ``cv=`` in
:func:`~sklearn.model_selection.cross_val_score`,
:class:`~sklearn.model_selection.GridSearchCV` and friends:

- :class:`RandomSplit`: shuffled K-fold over regions.
- :class:`SpatialSplit`: spatially compact folds (research greedy method or
  balanced k-means), optionally mirrored across hemispheres.
- :class:`CommunitySplit`: Louvain communities of the connectome.
- :class:`NetworkSplit`: leave-one-network-out from ``groups``.
- :data:`SPLITTERS` / :func:`make_splitter`: the splitters by name (as
  ``connpredict run --cv`` takes them).

Each splitter has ``inner_split()`` (same style, for the training regions of
an outer fold); :func:`validation_split` gives one inner split for early
stopping, :func:`plot_splits` draws folds on the brain, and
:func:`cross_val_predict` assembles the held-out blocks of a cross-validation
into one regions x regions matrix.

A fold is scored on its test x test block, which needs at least
``MIN_TEST_REGIONS`` (3) regions for a defined Pearson r; splitters warn
when they make a smaller test fold, and :func:`check_n_splits` refuses a
number of folds that would.
"""

from connpredict.model_selection._plot import plot_splits
from connpredict.model_selection._predict import cross_val_predict
from connpredict.model_selection._registry import SPLITTERS, make_splitter
from connpredict.model_selection._split import (
    MIN_TEST_REGIONS,
    CommunitySplit,
    NetworkSplit,
    RandomSplit,
    SpatialSplit,
    check_n_splits,
    validation_split,
)

__all__ = [
    "MIN_TEST_REGIONS",
    "SPLITTERS",
    "CommunitySplit",
    "NetworkSplit",
    "RandomSplit",
    "SpatialSplit",
    "check_n_splits",
    "cross_val_predict",
    "make_splitter",
    "plot_splits",
    "validation_split",
]

"""Cross-validation over brain regions (regions are the samples).

Splitters follow scikit-learn's cross-validator API and work as ``cv=`` in
:func:`~sklearn.model_selection.cross_val_score`,
:class:`~sklearn.model_selection.GridSearchCV` and friends:

- :class:`RandomSplit`: shuffled K-fold over regions.
- :class:`SpatialSplit`: spatially compact folds (research greedy method or
  balanced k-means), optionally mirrored across hemispheres.
- :class:`CommunitySplit`: Louvain communities of the connectome.
- :class:`NetworkSplit`: leave-one-network-out from ``groups``.

Each splitter has ``inner_split()`` (same style, for the training regions of
an outer fold); :func:`validation_split` gives one inner split for early
stopping, and :func:`plot_splits` draws folds on the brain.
"""

from connpredict.model_selection._plot import plot_splits
from connpredict.model_selection._split import (
    CommunitySplit,
    NetworkSplit,
    RandomSplit,
    SpatialSplit,
    validation_split,
)

__all__ = [
    "CommunitySplit",
    "NetworkSplit",
    "RandomSplit",
    "SpatialSplit",
    "plot_splits",
    "validation_split",
]

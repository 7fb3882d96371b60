"""Saving, loading and shipping fitted connectome predictors.

:func:`save_estimator` / :func:`load_estimator` store any registered
estimator in a versioned, checksummed, pickle-free ``.npz`` file.
:func:`list_models` / :func:`load_model` give the pretrained models shipped
with the package; :func:`align_regions` matches a new atlas's expression
table to a model's genes; :func:`predict_connectome` predicts a labelled
connectome for any parcellation.
"""

from connpredict.pretrained._io import (
    FORMAT_VERSION,
    load_estimator,
    read_metadata,
    save_estimator,
)

__all__ = [
    "FORMAT_VERSION",
    "load_estimator",
    "read_metadata",
    "save_estimator",
]

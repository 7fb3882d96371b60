"""Saving, loading and shipping fitted connectome predictors.

:func:`save_estimator` / :func:`load_estimator` store any registered
estimator in a versioned, checksummed, pickle-free ``.npz`` file.
:func:`list_models` / :func:`load_model` give the pretrained models shipped
with the package; :func:`align_regions` matches a new atlas's expression
table to a model's genes (by name) and checks its coordinates.
"""

from connpredict.pretrained._align import (
    MIN_COVERAGE,
    align_regions,
    check_mni_coordinates,
)
from connpredict.pretrained._io import (
    FORMAT_VERSION,
    load_estimator,
    read_metadata,
    save_estimator,
)
from connpredict.pretrained._models import (
    list_models,
    load_model,
    model_card,
    model_path,
)

__all__ = [
    "FORMAT_VERSION",
    "MIN_COVERAGE",
    "align_regions",
    "check_mni_coordinates",
    "list_models",
    "load_estimator",
    "load_model",
    "model_card",
    "model_path",
    "read_metadata",
    "save_estimator",
]

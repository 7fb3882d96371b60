"""Saving, loading and shipping fitted connectome predictors.

:func:`save_estimator` / :func:`load_estimator` store any registered
estimator in a versioned, checksummed, pickle-free ``.npz`` file.
:func:`list_models` / :func:`load_model` give the pretrained models shipped
with the package; :func:`align_regions` matches a new atlas's expression
table to a model's genes (by name) and checks its coordinates;
:func:`predict_connectome` predicts the connectome of any parcellation and
:func:`write_prediction` writes it out (as ``connpredict predict`` does).
"""

from connpredict.pretrained._align import (
    MIN_COVERAGE as MIN_COVERAGE,
)
from connpredict.pretrained._align import (
    align_regions,
    check_mni_coordinates,
)
from connpredict.pretrained._align import (
    gene_coverage as gene_coverage,
)
from connpredict.pretrained._io import (
    FORMAT_VERSION as FORMAT_VERSION,
)
from connpredict.pretrained._io import (
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
from connpredict.pretrained._predict import (
    combine_inputs,
    predict_connectome,
    region_summary,
    write_prediction,
)

__all__ = [
    "align_regions",
    "check_mni_coordinates",
    "combine_inputs",
    "list_models",
    "load_estimator",
    "load_model",
    "model_card",
    "model_path",
    "predict_connectome",
    "read_metadata",
    "region_summary",
    "save_estimator",
    "write_prediction",
]

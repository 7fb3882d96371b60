"""The two effects the synthetic default must reproduce (issue: foundation).

1. Models that use genes beat distance-only models.
2. Spatial cross-validation scores lower than random cross-validation for a
   gene-aware model.
"""

import numpy as np
import pytest
from sklearn.model_selection import cross_val_score

from connpredict.datasets import make_synthetic_connectome
from connpredict.model_selection import RandomSplit, SpatialSplit
from connpredict.models import BilinearRegressor, ExponentialDecayRegressor


@pytest.fixture(scope="module")
def scores():
    out = {}
    for seed in range(3):
        ds = make_synthetic_connectome(random_state=seed)
        cvs = {
            "spatial": SpatialSplit(n_splits=4, random_state=seed),
            "random": RandomSplit(n_splits=4, random_state=seed),
        }
        models = {
            "genes": BilinearRegressor(encoder="pca", n_components=20),
            "distance": ExponentialDecayRegressor(),
        }
        for cv_name, cv in cvs.items():
            for model_name, model in models.items():
                out.setdefault((model_name, cv_name), []).extend(
                    cross_val_score(model, ds.X, ds.Y, cv=cv)
                )
    return {key: float(np.mean(val)) for key, val in out.items()}


def test_gene_aware_model_beats_distance_only(scores):
    for cv_name in ("spatial", "random"):
        assert scores[("genes", cv_name)] > scores[("distance", cv_name)] + 0.1


def test_spatial_cv_scores_lower_than_random_cv(scores):
    assert scores[("genes", "spatial")] < scores[("genes", "random")] - 0.02

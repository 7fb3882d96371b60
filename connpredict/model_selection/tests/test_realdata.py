"""Splitters on the real data home (skipped when CONNPREDICT_DATA is unset)."""

import os
import warnings

import numpy as np
import pytest
from scipy.spatial.distance import pdist
from sklearn.model_selection import GridSearchCV

from connpredict.model_selection import (
    CommunitySplit,
    NetworkSplit,
    RandomSplit,
    SpatialSplit,
)
from connpredict.model_selection.tests.test_split import DistanceDecay

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(
        not os.environ.get("CONNPREDICT_DATA"),
        reason="needs the real data home: set CONNPREDICT_DATA",
    ),
]


@pytest.fixture(scope="module")
def ds():
    from connpredict.datasets import load_dataset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_dataset("hcp-schaefer100")


def test_all_splitters_in_grid_search(ds):
    splitters = [
        RandomSplit(4, random_state=42),
        SpatialSplit(4, random_state=42),
        SpatialSplit(4, method="kmeans", random_state=42),
        CommunitySplit(4, random_state=42),
        NetworkSplit(),
    ]
    n = len(ds.X)
    for cv in splitters:
        gs = GridSearchCV(DistanceDecay(), {"alpha": [0.5, 1.0]}, cv=cv)
        gs.fit(ds.X, ds.Y, groups=ds.networks)
        assert gs.n_splits_ == cv.get_n_splits(ds.X, ds.Y, ds.networks)
        assert np.isfinite(gs.best_score_)
        tested = np.sort(
            np.concatenate([t for _, t in cv.split(ds.X, ds.Y, ds.networks)])
        )
        np.testing.assert_array_equal(tested, np.arange(n))


def test_spatial_compactness_on_atlas(ds):
    coords = ds.X[["x", "y", "z"]].to_numpy()

    def within(cv):
        folds = [t for _, t in cv.split(ds.X)]
        return np.concatenate([pdist(coords[t]) for t in folds]).mean()

    random = np.mean([within(RandomSplit(4, random_state=s)) for s in range(5)])
    greedy = np.mean([within(SpatialSplit(4, random_state=s)) for s in range(5)])
    kmeans = np.mean(
        [within(SpatialSplit(4, method="kmeans", random_state=s)) for s in range(5)]
    )
    assert kmeans < greedy < random
    assert kmeans < 0.8 * random

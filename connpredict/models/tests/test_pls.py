"""Tests of PLSBilinearRegressor."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import GridSearchCV, KFold

from connpredict.datasets import make_synthetic_connectome
from connpredict.model_selection import SpatialSplit
from connpredict.models import BilinearRegressor, PLSBilinearRegressor
from connpredict.models._linalg import fit_bilinear_ridge


@pytest.fixture(scope="module")
def data():
    return make_synthetic_connectome(n_regions=36, n_genes=20, random_state=0)


def _genes(X):
    return X.drop(columns=["x", "y", "z"]).to_numpy()


def test_encoder_is_sklearn_pls_on_the_training_block(data):
    X, Y = data.X, data.Y
    model = PLSBilinearRegressor(n_components=4).fit(X.iloc[:26], Y.iloc[:26])
    G = _genes(X)
    target = Y.iloc[:26, :26].to_numpy().copy()
    col_means = (target.sum(axis=0) - np.diag(target)) / 25
    np.fill_diagonal(target, col_means)
    pls = PLSRegression(n_components=4, scale=True, max_iter=500).fit(G[:26], target)
    np.testing.assert_allclose(
        model.encoder_.transform(G), pls.transform(G), rtol=1e-8, atol=1e-10
    )
    # the transform centres and scales with the training statistics
    Xs = (G - G[:26].mean(axis=0)) / G[:26].std(axis=0, ddof=1)
    np.testing.assert_allclose(
        model.encoder_.transform(G), Xs @ pls.x_rotations_, atol=1e-10
    )


def test_decoder_is_the_closed_form_on_pls_scores(data):
    X, Y = data.X, data.Y
    model = PLSBilinearRegressor(n_components=4, alpha=0.5, linear_terms=False)
    model.fit(X.iloc[:26], Y.iloc[:26])
    Ztr = model.encoder_.transform(_genes(X.iloc[:26]))
    res = fit_bilinear_ridge(Ztr, Y.iloc[:26, :26].to_numpy(), alpha=0.5)
    Zte = model.encoder_.transform(_genes(X.iloc[26:]))
    A = Zte @ res["V"]
    expected = A @ res["core"] @ A.T + res["intercept"]
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(model.predict(X.iloc[26:]).to_numpy(), expected)
    with pytest.warns(FutureWarning, match="deprecated"):
        same = BilinearRegressor(
            encoder="pls", n_components=4, alpha=0.5, linear_terms=False
        ).fit(X.iloc[:26], Y.iloc[:26])
    np.testing.assert_allclose(
        same.predict(X.iloc[26:]).to_numpy(), model.predict(X.iloc[26:]).to_numpy()
    )


def test_recovers_a_planted_latent_structure():
    rng = np.random.default_rng(0)
    n, g = 60, 25
    F = rng.normal(size=(n, 3))  # latent factors carried by the genes
    G = F @ rng.normal(size=(3, g)) + 0.05 * rng.normal(size=(n, g))
    W = np.diag([1.0, -0.5, 0.3])
    Y = F @ W @ F.T
    X = pd.DataFrame(G)
    model = PLSBilinearRegressor(n_components=3).fit(X[:45], Y[:45, :45])
    assert model.score(X[45:], Y[45:, 45:]) > 0.95


@pytest.mark.parametrize("params", [{}, {"use_distance": True, "alpha": "gcv"}])
def test_no_leakage_outside_train_block(params, data, assert_no_leakage):
    assert_no_leakage(lambda: PLSBilinearRegressor(5, **params), data.X, data.Y)


def test_symmetric_and_rectangular_predictions(data):
    X, Y = data.X, data.Y
    model = PLSBilinearRegressor(5).fit(X.iloc[:26], Y.iloc[:26])
    raw = model._predict_block(X.iloc[26:], X.iloc[26:])
    np.testing.assert_allclose(raw, raw.T, atol=1e-10)
    R = model.predict(X.iloc[26:], X.iloc[:4])
    assert R.shape == (10, 4)
    np.testing.assert_allclose(
        R.to_numpy(), model.predict(X).to_numpy()[26:, :4], atol=1e-10
    )


def test_n_components_capped_by_training_regions(data):
    X, Y = data.X.iloc[:8], data.Y.iloc[:8]
    model = PLSBilinearRegressor(n_components=25).fit(X, Y)
    assert model.encoder_.n_components == 7


def test_clone_pickle(data):
    X, Y = data.X, data.Y
    model = PLSBilinearRegressor(4).fit(X, Y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(model.predict(X), restored.predict(X))
    np.testing.assert_array_equal(clone(model).fit(X, Y).predict(X), model.predict(X))
    assert clone(model).get_params()["n_components"] == 4


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_components": 0}, "n_components"),
        ({"alpha": -0.1}, "alpha"),
        ({"penalty": "l2"}, "penalty"),
        ({"diagonal": None}, "diagonal"),
    ],
)
def test_bad_parameters(params, match, data):
    with pytest.raises(ValueError, match=match):
        PLSBilinearRegressor(**params).fit(data.X, data.Y)


def test_bad_input(data):
    with pytest.raises(ValueError, match="gene"):
        PLSBilinearRegressor().fit(data.X[["x", "y", "z"]], data.Y)
    with pytest.raises(ValueError, match="Without labels"):
        PLSBilinearRegressor().fit(data.X, data.Y.to_numpy()[:, :3])


def test_grid_search_with_spatial_split_and_kfold(data):
    grid = {"n_components": [3, 6], "alpha": [0.01, "gcv"]}
    for cv in (SpatialSplit(n_splits=3, random_state=0), KFold(3)):
        search = GridSearchCV(PLSBilinearRegressor(), grid, cv=cv)
        search.fit(data.X, data.Y)
        assert np.isfinite(search.best_score_)

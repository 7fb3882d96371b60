"""Tests of the rules-based models (distance decay, Gaussian kernel, CGE)."""

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, KFold

from connpredict.datasets import make_synthetic_connectome
from connpredict.model_selection import SpatialSplit
from connpredict.models import (
    CGERegressor,
    ExponentialDecayRegressor,
    GaussianKernelRegressor,
)
from connpredict.models._rules import fit_exponential_decay, pairwise_distances

RULES = [ExponentialDecayRegressor, GaussianKernelRegressor, CGERegressor]


@pytest.fixture(scope="module")
def data():
    return make_synthetic_connectome(n_regions=36, n_genes=20, random_state=0)


def _coords_frame(n=30, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        rng.uniform(-60, 60, (n, 3)),
        columns=["x", "y", "z"],
        index=[f"r{i}" for i in range(n)],
    )


def _mirrored_distances(C):
    C = np.asarray(C, dtype=float).copy()
    C[:, 0] = np.abs(C[:, 0])
    return cdist(C, C)


def _square(Y, index):
    return pd.DataFrame(Y, index=index, columns=index)


# -- distances ---------------------------------------------------------------------
def test_pairwise_distances_match_scipy():
    A = _coords_frame(7, 1).to_numpy()
    B = _coords_frame(5, 2).to_numpy()
    np.testing.assert_allclose(pairwise_distances(A, B), cdist(A, B), atol=1e-9)
    Am, Bm = A.copy(), B.copy()
    Am[:, 0], Bm[:, 0] = np.abs(Am[:, 0]), np.abs(Bm[:, 0])
    np.testing.assert_allclose(
        pairwise_distances(A, B, mirror=True), cdist(Am, Bm), atol=1e-9
    )


# -- exponential decay -------------------------------------------------------------
@pytest.mark.parametrize("lam, a", [(12.0, 0.05), (35.0, -0.2), (80.0, 0.4)])
def test_decay_recovers_lambda_and_offset(lam, a):
    X = _coords_frame(30)
    D = _mirrored_distances(X)
    Y = _square(a + (1 - a) * np.exp(-D / lam), X.index)
    model = ExponentialDecayRegressor().fit(X, Y)
    assert model.lambda_ == pytest.approx(lam, rel=1e-4)
    assert model.offset_ == pytest.approx(a, abs=1e-5)


def test_decay_recovers_lambda_with_noise():
    X = _coords_frame(40, 3)
    D = _mirrored_distances(X)
    rng = np.random.default_rng(0)
    E = rng.normal(scale=0.02, size=D.shape)
    Y = 0.1 + 0.9 * np.exp(-D / 25.0) + (E + E.T) / 2
    model = ExponentialDecayRegressor().fit(X, _square(Y, X.index))
    assert model.lambda_ == pytest.approx(25.0, rel=0.1)


def test_decay_prediction_is_the_formula():
    X = _coords_frame(20)
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(20, 20))
    model = ExponentialDecayRegressor(mirror=False).fit(X, _square(Y + Y.T, X.index))
    Xn = _coords_frame(6, 5)
    expected = model.offset_ + (1 - model.offset_) * np.exp(
        -cdist(Xn, X) / model.lambda_
    )
    np.testing.assert_allclose(model.predict(Xn, X).to_numpy(), expected)
    # the least-squares fit: no (lambda, a) on a fine grid does better
    iu = np.triu_indices(20, 1)
    d, y = cdist(X, X)[iu], (Y + Y.T)[iu]

    def sse(lam, a):
        return np.sum((y - a - (1 - a) * np.exp(-d / lam)) ** 2)

    best = sse(model.lambda_, model.offset_)
    grid = [
        sse(lam, a) for lam in np.geomspace(1, 500, 60) for a in np.linspace(-2, 2, 81)
    ]
    assert best <= min(grid) + 1e-9


def test_mirror_makes_homotopic_pairs_close():
    X = pd.DataFrame(
        {"x": [-30.0, 30.0, -10.0, 50.0], "y": [0.0, 0.0, 40.0, -40], "z": 0.0},
        index=list("abcd"),
    )
    X = pd.concat([X, _coords_frame(10, 4)])
    D = _mirrored_distances(X)
    Y = _square(0.1 + 0.9 * np.exp(-D / 20.0), X.index)
    mirrored = ExponentialDecayRegressor(mirror=True).fit(X, Y)
    plain = ExponentialDecayRegressor(mirror=False).fit(X, Y)
    assert mirrored.predict(X).loc["a", "b"] == pytest.approx(1.0)
    assert plain.predict(X).loc["a", "b"] < 0.5
    assert mirrored.score(X, Y) > plain.score(X, Y)


def test_fit_exponential_decay_bounds():
    d = np.linspace(1, 100, 50)
    lam, _ = fit_exponential_decay(d, np.exp(-d / 300.0), lambda_bounds=(1.0, 50.0))
    assert lam == pytest.approx(50.0, rel=1e-3)  # at the upper bound


# -- Gaussian kernel -----------------------------------------------------------------
def test_gaussian_recovers_sigma_offset_amplitude():
    X = _coords_frame(30, 2)
    D = _mirrored_distances(X)
    Y = _square(-0.1 + 0.7 * np.exp(-(D**2) / (2 * 18.0**2)), X.index)
    model = GaussianKernelRegressor().fit(X, Y)
    assert model.sigma_ == pytest.approx(18.0, rel=1e-4)
    assert model.offset_ == pytest.approx(-0.1, abs=1e-5)
    assert model.amplitude_ == pytest.approx(0.7, rel=1e-4)


def test_gaussian_without_offset_is_the_bare_kernel():
    X = _coords_frame(30, 2)
    D = _mirrored_distances(X)
    Y = _square(np.exp(-(D**2) / (2 * 30.0**2)), X.index)
    model = GaussianKernelRegressor(fit_offset=False).fit(X, Y)
    assert model.sigma_ == pytest.approx(30.0, rel=1e-4)
    assert (model.offset_, model.amplitude_) == (0.0, 1.0)
    Xn = _coords_frame(5, 9)
    Dn = cdist(
        np.c_[np.abs(Xn["x"]), Xn[["y", "z"]]], np.c_[np.abs(X["x"]), X[["y", "z"]]]
    )
    np.testing.assert_allclose(
        model.predict(Xn, X).to_numpy(), np.exp(-(Dn**2) / (2 * model.sigma_**2))
    )


@pytest.mark.parametrize("Model", [ExponentialDecayRegressor, GaussianKernelRegressor])
@pytest.mark.parametrize("bounds", [(0.0, 10.0), (10.0, 5.0), "ab", (1.0, np.inf)])
def test_bad_bounds(Model, bounds):
    X = _coords_frame(10)
    Y = _square(np.eye(10), X.index)
    key = "lambda_bounds" if Model is ExponentialDecayRegressor else "sigma_bounds"
    with pytest.raises(ValueError, match=key):
        Model(**{key: bounds}).fit(X, Y)


@pytest.mark.parametrize("Model", [ExponentialDecayRegressor, GaussianKernelRegressor])
def test_spatial_models_need_coordinates(Model, data):
    X = data.X.drop(columns=["x", "y", "z"])
    with pytest.raises(ValueError, match="coordinate"):
        Model().fit(X, data.Y)


@pytest.mark.parametrize("Model", [ExponentialDecayRegressor, GaussianKernelRegressor])
def test_spatial_models_ignore_genes_and_rename_coords(Model, data):
    m1 = Model().fit(data.X[["x", "y", "z"]], data.Y)
    m2 = Model().fit(data.X, data.Y)
    np.testing.assert_allclose(
        m1.predict(data.X[["x", "y", "z"]]).to_numpy(), m2.predict(data.X).to_numpy()
    )
    renamed = data.X.rename(columns={"x": "cx", "y": "cy", "z": "cz"})
    m3 = Model(coord_columns=("cx", "cy", "cz")).fit(renamed, data.Y)
    np.testing.assert_allclose(
        m3.predict(renamed).to_numpy(), m2.predict(data.X).to_numpy()
    )


# -- CGE -----------------------------------------------------------------------------
def test_cge_is_a_calibrated_correlation(data):
    X, Y = data.X, data.Y
    train = X.index[:28]
    model = CGERegressor().fit(X.loc[train], Y.loc[train])
    genes = X.drop(columns=["x", "y", "z"]).to_numpy()
    R = np.corrcoef(genes)
    # calibration = least squares of the training pairs on the correlation
    iu = np.triu_indices(28, 1)
    slope, intercept = np.polyfit(
        R[:28, :28][iu], Y.loc[train, train].to_numpy()[iu], 1
    )
    assert model.coef_ == pytest.approx(slope)
    assert model.intercept_ == pytest.approx(intercept)
    P = model.predict(X.iloc[28:], X.iloc[:5]).to_numpy()
    np.testing.assert_allclose(P, intercept + slope * R[28:, :5], atol=1e-10)


def test_cge_pca_fitted_on_training_regions(data):
    X, Y = data.X, data.Y
    train = X.index[:28]
    model = CGERegressor(n_components=5).fit(X.loc[train], Y.loc[train])
    genes = X.drop(columns=["x", "y", "z"]).to_numpy()
    pca = PCA(5, svd_solver="full").fit(genes[:28])
    np.testing.assert_allclose(model.pca_.mean_, genes[:28].mean(axis=0))
    S = pca.transform(genes)
    R = np.corrcoef(S)
    P = model.predict(X).to_numpy()
    off = ~np.eye(len(X), dtype=bool)
    np.testing.assert_allclose(
        P[off], (model.intercept_ + model.coef_ * R)[off], atol=1e-10
    )


@pytest.mark.parametrize("n_components", [None, 4])
def test_cge_fit_from_the_region_product_equals_the_pairwise_formula(n_components):
    # the calibration uses corr(z_i, z_j) of every training pair; it is read
    # from the region x region product (no pairs x genes array): the same
    # numbers as the per-pair formula, written out as a loop here
    ds = make_synthetic_connectome(n_regions=40, n_genes=15, random_state=3)
    model = CGERegressor(n_components=n_components).fit(ds.X, ds.Y)
    genes = ds.X.drop(columns=["x", "y", "z"]).to_numpy()
    if n_components is not None:
        genes = PCA(n_components, svd_solver="full").fit_transform(genes)
    pairs, y = [], []
    for i in range(40):
        for j in range(i + 1, 40):
            zi = genes[i] - genes[i].mean()
            zj = genes[j] - genes[j].mean()
            pairs.append(np.sum(zi * zj) / np.sqrt(np.sum(zi * zi) * np.sum(zj * zj)))
            y.append(ds.Y.iloc[i, j])
    pairs, y = np.array(pairs), np.array(y)
    slope = np.sum((pairs - pairs.mean()) * (y - y.mean())) / np.sum(
        (pairs - pairs.mean()) ** 2
    )
    intercept = y.mean() - slope * pairs.mean()
    assert abs(model.coef_ - slope) < 1e-10
    assert abs(model.intercept_ - intercept) < 1e-10
    P = model.predict(ds.X).to_numpy()
    iu = np.triu_indices(40, 1)
    np.testing.assert_allclose(P[iu], intercept + slope * pairs, rtol=0, atol=1e-10)


def test_cge_recovers_planted_calibration():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(25, 40)))
    Y = -0.2 + 1.5 * np.corrcoef(X.to_numpy())
    model = CGERegressor().fit(X, Y)
    assert model.intercept_ == pytest.approx(-0.2)
    assert model.coef_ == pytest.approx(1.5)


def test_cge_errors(data):
    with pytest.raises(ValueError, match="gene"):
        CGERegressor().fit(data.X[["x", "y", "z"]], data.Y)
    with pytest.raises(ValueError, match="2 gene"):
        CGERegressor().fit(data.X[["G0001", "x", "y", "z"]], data.Y)
    with pytest.raises(ValueError, match="at least 2 principal"):
        CGERegressor(n_components=1).fit(data.X, data.Y)


# -- shared behaviour ------------------------------------------------------------------
@pytest.mark.parametrize("Model", RULES)
def test_no_leakage_outside_train_block(Model, data, assert_no_leakage):
    assert_no_leakage(Model, data.X, data.Y)


@pytest.mark.parametrize("Model", RULES)
def test_symmetric_square_and_rectangular_predictions(Model, data):
    X, Y = data.X, data.Y
    model = Model().fit(X.iloc[:26], Y.iloc[:26])
    P = model.predict(X.iloc[26:])
    assert P.shape == (10, 10)
    assert P.index.equals(X.index[26:]) and P.columns.equals(X.index[26:])
    np.testing.assert_allclose(P.to_numpy(), P.to_numpy().T)
    np.testing.assert_allclose(
        model._predict_block(X.iloc[26:], X.iloc[26:]),
        model._predict_block(X.iloc[26:], X.iloc[26:]).T,
        atol=1e-12,
    )
    R = model.predict(X.iloc[26:], X.iloc[:7])
    assert R.shape == (10, 7)
    full = model.predict(X).to_numpy()
    np.testing.assert_allclose(R.to_numpy(), full[26:, :7])


@pytest.mark.parametrize("Model", RULES)
def test_numpy_input(Model, data):
    X, Y = data.X.to_numpy(), data.Y.to_numpy()
    kw = {"coord_columns": (20, 21, 22)}  # x, y, z are the last columns
    model = Model(**kw).fit(X, Y)
    P = model.predict(X[:5])
    assert isinstance(P, np.ndarray) and P.shape == (5, 5)
    expected = Model(**kw).fit(data.X.set_axis(range(23), axis=1), data.Y)
    np.testing.assert_allclose(P, expected.predict(X[:5]))


@pytest.mark.parametrize("Model", RULES)
def test_clone_pickle_and_refit(Model, data):
    X, Y = data.X, data.Y
    model = Model().fit(X, Y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(model.predict(X), restored.predict(X))
    twin = clone(model)
    assert not hasattr(twin, "n_features_in_")
    np.testing.assert_array_equal(twin.fit(X, Y).predict(X), model.predict(X))


@pytest.mark.parametrize("Model", RULES)
def test_bad_input(Model, data):
    X, Y = data.X, data.Y
    with pytest.raises(ValueError, match=r"square|shape|1-D"):
        Model().fit(X, Y.to_numpy()[:, 0])
    Xn = X.copy()
    Xn.iloc[0, 0] = np.nan
    Xn.iloc[0, -1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Model().fit(Xn, Y)
    model = Model().fit(X, Y)
    with pytest.raises(ValueError, match="columns"):
        model.predict(X.iloc[:, 1:])


@pytest.mark.parametrize(
    "Model, grid",
    [
        (ExponentialDecayRegressor, {"mirror": [False, True]}),
        (GaussianKernelRegressor, {"fit_offset": [False, True]}),
        (CGERegressor, {"n_components": [None, 5]}),
    ],
)
def test_grid_search_with_spatial_and_kfold(Model, grid, data):
    for cv in (SpatialSplit(n_splits=3, random_state=0), KFold(3)):
        search = GridSearchCV(Model(), grid, cv=cv).fit(data.X, data.Y)
        assert np.isfinite(search.best_score_)
        assert search.best_estimator_.predict(data.X).shape == data.Y.shape


def test_decay_beats_nothing_on_synthetic_spatial_split(data):
    # the synthetic connectome has a planted exp(-d / 25 mm) term
    from sklearn.model_selection import cross_val_score

    scores = cross_val_score(
        ExponentialDecayRegressor(),
        data.X,
        data.Y,
        cv=SpatialSplit(n_splits=3, random_state=0),
    )
    assert scores.mean() > 0.1

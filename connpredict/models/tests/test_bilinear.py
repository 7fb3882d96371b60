"""Tests of BilinearRegressor and its linear algebra."""

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad
from scipy.spatial.distance import cdist
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from connpredict.datasets import make_synthetic_connectome
from connpredict.model_selection import SpatialSplit
from connpredict.models import BilinearRegressor, PLSBilinearRegressor
from connpredict.models._linalg import (
    fit_bilinear_ridge,
    lowrank_init,
    lowrank_objective,
)


@pytest.fixture(scope="module")
def data():
    return make_synthetic_connectome(n_regions=36, n_genes=20, random_state=0)


def _planted(n=30, d=4, seed=0, rank=None, b=0.3, noise=0.0):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, d))
    if rank is None:
        A = rng.normal(size=(d, d))
        W = (A + A.T) / 2
    else:
        P = rng.normal(size=(d, rank))
        W = P @ np.diag(np.where(np.arange(rank) % 2, -1.0, 1.0)) @ P.T
    E = rng.normal(scale=noise, size=(n, n))
    Y = Z @ W @ Z.T + b + (E + E.T) / 2
    index = [f"r{i}" for i in range(n)]
    X = pd.DataFrame(Z, index=index, columns=[f"g{j}" for j in range(d)])
    return X, pd.DataFrame(Y, index=index, columns=index), W


def _brute_force(Z, Y, alpha, mask, penalty="frobenius", offsets=()):
    """Ridge on the explicit Kronecker design (tiny problems only)."""
    d = Z.shape[1]
    K = np.kron(Z, Z)[mask.ravel()]
    cols = [K, np.ones((K.shape[0], 1))] + [K_m[mask][:, None] for K_m in offsets]
    A = np.hstack(cols)
    pen = np.zeros((A.shape[1], A.shape[1]))
    pen[: d * d, : d * d] = alpha * np.eye(d * d)
    w = np.linalg.solve(A.T @ A + pen, A.T @ Y[mask])
    return w[: d * d].reshape(d, d), w[d * d], w[d * d + 1 :]


# -- closed form ---------------------------------------------------------------------
@pytest.mark.parametrize("diagonal", ["impute", "include"])
def test_recovers_planted_W(diagonal):
    X, Y, W = _planted()
    model = BilinearRegressor(
        encoder=None, alpha=0.0, linear_terms=False, diagonal=diagonal
    ).fit(X, Y)
    np.testing.assert_allclose(model.coef_, W, atol=1e-8)
    assert model.intercept_ == pytest.approx(0.3, abs=1e-8)


@pytest.mark.parametrize("diagonal", ["impute", "include"])
@pytest.mark.parametrize("alpha", [0.5, 20.0])
def test_ridge_matches_kronecker_brute_force(diagonal, alpha):
    X, Y, _ = _planted(n=12, d=3, noise=0.5, seed=2)
    Z, Yv = X.to_numpy(), Y.to_numpy()
    model = BilinearRegressor(
        encoder=None, alpha=alpha, linear_terms=False, diagonal=diagonal
    ).fit(X, Y)
    mask = np.ones((12, 12), bool)
    if diagonal == "impute":
        np.fill_diagonal(mask, False)
    W, b, _ = _brute_force(Z, Yv, alpha, mask)
    np.testing.assert_allclose(model.coef_, W, atol=1e-8)
    assert model.intercept_ == pytest.approx(b, abs=1e-8)


def test_separable_penalty_is_the_research_formula():
    X, Y, _ = _planted(n=15, d=3, noise=0.5, seed=3, b=0.0)
    Z, Yv = X.to_numpy(), Y.to_numpy()
    alpha = 3.0
    res = fit_bilinear_ridge(
        Z, Yv, alpha=alpha, penalty="separable", diagonal="include", fit_intercept=False
    )
    A_inv = np.linalg.inv(Z.T @ Z + alpha * np.eye(3))
    np.testing.assert_allclose(
        res["V"] @ res["core"] @ res["V"].T, A_inv @ Z.T @ Yv @ Z @ A_inv, atol=1e-10
    )


def test_diagonal_impute_ignores_the_diagonal():
    X, Y, _ = _planted(n=15, d=3, noise=0.3, seed=4)
    vals = Y.to_numpy().copy()
    np.fill_diagonal(vals, 5.0)
    Y2 = pd.DataFrame(vals, index=Y.index, columns=Y.columns)
    m1 = BilinearRegressor(encoder=None, alpha=1.0).fit(X, Y)
    m2 = BilinearRegressor(encoder=None, alpha=1.0).fit(X, Y2)
    np.testing.assert_allclose(m1.coef_, m2.coef_, atol=1e-7)
    m3 = BilinearRegressor(encoder=None, alpha=1.0, diagonal="include").fit(X, Y2)
    assert not np.allclose(m1.coef_, m3.coef_, atol=1e-3)


def test_distance_offset_matches_brute_force():
    X, Y, _ = _planted(n=12, d=3, noise=0.5, seed=5)
    rng = np.random.default_rng(0)
    C = rng.uniform(-50, 50, (12, 3))
    Xc = X.assign(x=C[:, 0], y=C[:, 1], z=C[:, 2])
    Y = 0.1 * Y + 2.0 * np.exp(-cdist(C, C) / 20.0)
    model = BilinearRegressor(
        encoder=None, alpha=2.0, linear_terms=False, use_distance=True, mirror=False
    ).fit(Xc, Y)
    assert 2.0 < model.decay_lambda_ < 200.0
    K = np.exp(-cdist(C, C) / model.decay_lambda_)
    mask = ~np.eye(12, dtype=bool)
    W, b, beta = _brute_force(X.to_numpy(), Y.to_numpy(), 2.0, mask, offsets=[K])
    np.testing.assert_allclose(model.coef_, W, atol=1e-7)
    assert model.intercept_ == pytest.approx(b, abs=1e-7)
    assert model.coords_coef_ == pytest.approx(beta[0], abs=1e-7)


def test_use_distance_recovers_planted_decay():
    rng = np.random.default_rng(0)
    n = 40
    C = rng.uniform(-60, 60, (n, 3))
    X, Yb, _ = _planted(n=n, d=3, seed=6, b=0.0)
    Cm = C.copy()
    Cm[:, 0] = np.abs(Cm[:, 0])
    Y = 0.02 * Yb.to_numpy() + 2.0 * np.exp(-cdist(Cm, Cm) / 15.0)
    Xc = X.assign(x=C[:, 0], y=C[:, 1], z=C[:, 2])
    Y = pd.DataFrame(Y, index=X.index, columns=X.index)
    model = BilinearRegressor(encoder=None, alpha=0.0, use_distance=True).fit(Xc, Y)
    # lambda comes from the decay-only fit (biased by the gene term); beta and W
    # are then fitted jointly
    assert 5.0 < model.decay_lambda_ < 45.0
    assert model.coords_coef_ > 1.0
    plain = BilinearRegressor(encoder=None, alpha=0.0).fit(Xc.iloc[:30], Y.iloc[:30])
    spatial = BilinearRegressor(encoder=None, alpha=0.0, use_distance=True).fit(
        Xc.iloc[:30], Y.iloc[:30]
    )
    test_x, test_y = Xc.iloc[30:], Y.iloc[30:]
    assert spatial.score(test_x, test_y) > plain.score(test_x, test_y)


def test_gcv_follows_the_noise():
    X, Y, _ = _planted(n=30, d=6, seed=7, noise=0.0)
    clean = BilinearRegressor(encoder=None, alpha="gcv").fit(X, Y)
    rng = np.random.default_rng(1)
    E = rng.normal(size=Y.shape)
    noisy_Y = pd.DataFrame((E + E.T) * 10, index=Y.index, columns=Y.columns)
    noisy = BilinearRegressor(encoder=None, alpha="gcv").fit(X, noisy_Y)
    assert clean.alpha_ < noisy.alpha_
    assert clean.gcv_scores_.shape == noisy.gcv_scores_.shape == (30,)
    grid = [0.01, 1.0, 100.0]
    m = BilinearRegressor(encoder=None, alpha="gcv", alphas=grid).fit(X, noisy_Y)
    assert m.alpha_ == grid[int(np.argmin(m.gcv_scores_))]


def test_cv_alpha_matches_direct_held_out_errors():
    from sklearn.model_selection import KFold

    X, Y, _ = _planted(n=24, d=4, seed=9, noise=2.0)
    grid = [0.1, 10.0, 1000.0]
    cv = KFold(3)
    model = BilinearRegressor(
        encoder=None, alpha="cv", alphas=grid, cv=cv, linear_terms=False
    ).fit(X, Y)
    Yv = Y.to_numpy()
    expected = np.zeros(3)
    for tr, va in cv.split(X):
        block = Yv[np.ix_(tr, tr)].copy()
        np.fill_diagonal(block, block[~np.eye(len(tr), dtype=bool)].mean())
        iu = np.triu_indices(len(va), 1)
        for i, a in enumerate(grid):
            m = BilinearRegressor(
                encoder=None, alpha=a, diagonal="include", linear_terms=False
            ).fit(X.iloc[tr], block)
            pred = m.predict(X.iloc[va]).to_numpy()
            expected[i] += np.sum((pred[iu] - Yv[np.ix_(va, va)][iu]) ** 2)
    np.testing.assert_allclose(model.cv_scores_, expected, rtol=1e-8)
    assert model.alpha_ == grid[int(np.argmin(expected))]


def test_thousands_of_genes_never_form_a_gene_by_gene_matrix():
    rng = np.random.default_rng(0)
    n, d = 30, 5000
    G = rng.normal(size=(n, d))
    Y = G[:, :3] @ G[:, :3].T
    X = pd.DataFrame(G)
    model = BilinearRegressor(encoder=None, alpha=1.0).fit(X.iloc[:25], Y[:25, :25])
    assert model.components_.shape[0] == d + 1  # genes + the linear-terms constant
    assert model.components_.shape[1] <= 25
    assert model.core_.shape[0] <= 25
    Gt = np.hstack([G[25:], np.full((5, 1), model.linear_const_)])
    A = Gt @ model.components_
    np.testing.assert_allclose(
        model._predict_block(X.iloc[25:], X.iloc[25:]),
        A @ model.core_ @ A.T + model.intercept_,
    )


def test_pca_encoder_sees_only_training_regions(data):
    X, Y = data.X, data.Y
    model = BilinearRegressor(n_components=5).fit(X.iloc[:26], Y.iloc[:26])
    genes = X.drop(columns=["x", "y", "z"]).to_numpy()
    pca = PCA(5, svd_solver="full").fit(genes[:26])
    np.testing.assert_allclose(model.encoder_.mean_, pca.mean_)
    np.testing.assert_allclose(
        np.abs(model.encoder_.components_), np.abs(pca.components_), atol=1e-10
    )


def test_linear_terms_model_main_effects():
    # y_ij = f_i + f_j with f linear in z: a pure main-effect connectome
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(30, 4))
    f = Z @ rng.normal(size=4)
    Y = f[:, None] + f[None, :]
    X = pd.DataFrame(Z)
    with_lt = BilinearRegressor(n_components=4, alpha=0.0).fit(X[:20], Y[:20, :20])
    without = BilinearRegressor(n_components=4, alpha=0.0, linear_terms=False).fit(
        X[:20], Y[:20, :20]
    )
    assert with_lt.score(X[20:], Y[20:, 20:]) == pytest.approx(1.0)
    assert without.score(X[20:], Y[20:, 20:]) < 0.5


# -- low rank ------------------------------------------------------------------------
def test_lowrank_gradient():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(9, 4))
    Y = rng.normal(size=(9, 9))
    Y = Y + Y.T
    mask = ~np.eye(9, dtype=bool)
    signs = np.array([1.0, -1.0])
    theta = rng.normal(size=4 * 2 + 1)

    def f(t):
        return lowrank_objective(t, Z, Y, mask, signs, 0.3, 10.0)[0]

    def g(t):
        return lowrank_objective(t, Z, Y, mask, signs, 0.3, 10.0)[1]

    assert check_grad(f, g, theta) < 1e-4 * np.linalg.norm(g(theta))
    # the loss is the definition
    P = theta[:-1].reshape(4, 2)
    W = P @ np.diag(signs) @ P.T
    R = (Z @ W @ Z.T + theta[-1] - Y) * mask
    expected = (0.5 * np.sum(R**2) + 0.15 * np.sum(W**2)) / 10.0
    assert f(theta) == pytest.approx(expected)


def test_lowrank_init_is_the_best_rank_r_approximation():
    rng = np.random.default_rng(0)
    V, _ = np.linalg.qr(rng.normal(size=(8, 4)))
    core = np.diag([3.0, -2.0, 0.5, 0.1])
    P, signs = lowrank_init(V, core, 2)
    np.testing.assert_allclose(
        P @ np.diag(signs) @ P.T, V @ np.diag([3, -2, 0, 0]) @ V.T
    )


def test_lowrank_recovers_planted_indefinite_W():
    X, Y, W = _planted(n=40, d=5, rank=2, seed=8, noise=0.01)
    model = BilinearRegressor(
        encoder=None, rank=2, alpha=0.0, linear_terms=False, random_state=0
    ).fit(X, Y)
    assert model.components_.shape == (5, 2)
    np.testing.assert_allclose(model.coef_, W, atol=0.05 * np.abs(W).max())
    assert sorted(np.diag(model.core_)) == [-1.0, 1.0]


def test_lowrank_early_stopping_and_determinism(data):
    X, Y = data.X.iloc[:30], data.Y.iloc[:30]
    kw = dict(rank=3, alpha=1.0, max_iter=60, n_iter_no_change=5)
    m1 = BilinearRegressor(random_state=0, **kw).fit(X, Y)
    m2 = BilinearRegressor(random_state=0, **kw).fit(X, Y)
    np.testing.assert_array_equal(m1.predict(X), m2.predict(X))
    scores = m1.validation_scores_
    assert scores is not None and len(scores) >= 1
    assert m1.best_iteration_ == int(np.argmin(scores))
    assert m1.n_iter_ <= max(m1.best_iteration_, 0) + 1
    kw["n_iter_no_change"] = None
    free = BilinearRegressor(**kw).fit(X, Y)
    assert free.validation_scores_ is None and free.best_iteration_ is None
    assert free.n_iter_ >= m1.n_iter_


def test_lowrank_validation_split_sees_only_training_regions(data, monkeypatch):
    import connpredict.model_selection as ms

    seen = {}
    original = ms.validation_split

    def recording(X, y=None, **kwargs):
        seen["X"] = X.index.copy()
        seen["cv"] = kwargs.get("cv")
        return original(X, y, **kwargs)

    monkeypatch.setattr(ms, "validation_split", recording)
    X, Y = data.X.iloc[:30], data.Y.iloc[:30]
    BilinearRegressor(rank=2, validation_cv=0.3, random_state=0).fit(X, Y)
    assert seen["X"].equals(X.index)
    assert seen["cv"] == 0.3


# -- shared behaviour ------------------------------------------------------------------
CONFIGS = [
    {},
    {"alpha": "cv", "use_distance": True, "random_state": 0},
    {"encoder": None, "alpha": 1.0},
    pytest.param(
        {"encoder": "pls", "n_components": 4, "use_distance": True},
        marks=pytest.mark.filterwarnings("ignore:BilinearRegressor.encoder='pls'"),
    ),
    {"rank": 2, "random_state": 0, "max_iter": 20},
    {"penalty": "separable", "diagonal": "include", "linear_terms": False},
]


@pytest.mark.parametrize("params", CONFIGS)
def test_no_leakage_outside_train_block(params, data, assert_no_leakage):
    assert_no_leakage(lambda: BilinearRegressor(**params), data.X, data.Y)


@pytest.mark.parametrize("params", CONFIGS)
def test_symmetric_square_and_rectangular_predictions(params, data):
    X, Y = data.X, data.Y
    model = BilinearRegressor(**params).fit(X.iloc[:26], Y.iloc[:26])
    raw = model._predict_block(X.iloc[26:], X.iloc[26:])
    np.testing.assert_allclose(raw, raw.T, atol=1e-10)
    P = model.predict(X.iloc[26:])
    assert P.shape == (10, 10) and P.index.equals(X.index[26:])
    R = model.predict(X.iloc[26:], X.iloc[:7])
    assert R.shape == (10, 7)
    np.testing.assert_allclose(
        R.to_numpy(), model.predict(X).to_numpy()[26:, :7], atol=1e-10
    )


@pytest.mark.parametrize("params", CONFIGS)
def test_clone_and_pickle(params, data):
    X, Y = data.X, data.Y
    model = BilinearRegressor(**params).fit(X, Y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(model.predict(X), restored.predict(X))
    np.testing.assert_array_equal(clone(model).fit(X, Y).predict(X), model.predict(X))


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"encoder": "ica"}, ValueError, "encoder"),
        ({"n_components": 0}, ValueError, "n_components"),
        ({"n_components": 2.5}, ValueError, "n_components"),
        ({"n_components": "5"}, TypeError, "n_components"),
        ({"rank": 0}, ValueError, "rank"),
        ({"rank": 2.0}, TypeError, "rank"),
        ({"alpha": -1.0}, ValueError, "alpha"),
        ({"alpha": "loo"}, ValueError, "alpha"),
        ({"alpha": [1.0]}, TypeError, "alpha"),
        ({"alpha": "cv", "cv": "five"}, TypeError, "cv"),
        ({"alpha": "cv", "cv": 1}, ValueError, "cv"),
        ({"alpha": "gcv", "alphas": [-1.0]}, ValueError, "alphas"),
        ({"penalty": "l1"}, ValueError, "penalty"),
        ({"diagonal": "drop"}, ValueError, "diagonal"),
        ({"n_components": 1.5}, ValueError, "n_components"),
        ({"encoder": None, "linear_terms": 1}, TypeError, "linear_terms"),
        ({"max_iter": -1}, ValueError, "max_iter"),
        ({"n_iter_no_change": 0}, ValueError, "n_iter_no_change"),
    ],
)
def test_bad_parameters(params, error, match, data):
    """A wrong type is a TypeError, a value out of range a ValueError."""
    with pytest.raises(error, match=match):
        BilinearRegressor(**params).fit(data.X, data.Y)


def test_pls_encoder_is_deprecated_for_plsbilinearregressor(data):
    """encoder="pls" warns, and fits PLSBilinearRegressor's model."""
    X, Y = data.X.iloc[:26], data.Y.iloc[:26]
    with pytest.warns(FutureWarning, match="PLSBilinearRegressor"):
        old = BilinearRegressor(encoder="pls", n_components=4, use_distance=True)
        old.fit(X, Y)
    new = PLSBilinearRegressor(n_components=4, use_distance=True).fit(X, Y)
    np.testing.assert_allclose(
        old.predict(data.X.iloc[26:]).to_numpy(),
        new.predict(data.X.iloc[26:]).to_numpy(),
    )
    # a float n_components is the wrong type for a PLS: the deprecated path
    # still checks its parameters
    with pytest.raises(TypeError, match="n_components"):
        BilinearRegressor(encoder="pls", n_components=0.5).fit(X, Y)


def test_bad_input(data):
    X, Y = data.X, data.Y
    with pytest.raises(ValueError, match="gene"):
        BilinearRegressor().fit(X[["x", "y", "z"]], Y)
    with pytest.raises(ValueError, match="coordinate"):
        BilinearRegressor(use_distance=True).fit(X.drop(columns=["x", "y", "z"]), Y)
    with pytest.raises(ValueError, match=r"square|shape"):
        BilinearRegressor().fit(X, Y.to_numpy()[:, :5])
    model = BilinearRegressor().fit(X, Y)
    with pytest.raises(ValueError, match="columns"):
        model.predict(X.iloc[:, 2:])


def test_grid_search_with_spatial_split_and_kfold(data):
    grid = {"alpha": [0.1, "gcv"], "use_distance": [False, True]}
    for cv in (SpatialSplit(n_splits=3, random_state=0), KFold(3)):
        search = GridSearchCV(BilinearRegressor(n_components=5), grid, cv=cv)
        search.fit(data.X, data.Y)
        assert np.isfinite(search.best_score_)
    scores = cross_val_score(
        BilinearRegressor(rank=2, random_state=0, max_iter=20),
        data.X,
        data.Y,
        cv=SpatialSplit(n_splits=3, random_state=0),
    )
    assert np.all(np.isfinite(scores))


def test_learns_the_synthetic_gene_term(data):
    # the synthetic connectome has a planted bilinear gene term
    rng = np.random.default_rng(0)
    order = rng.permutation(len(data.X))
    X, Y = data.X.iloc[order], data.Y.iloc[order]
    model = BilinearRegressor(n_components=10).fit(X.iloc[:28], Y.iloc[:28])
    assert model.score(X.iloc[28:], Y.iloc[28:]) > 0.3


def test_diagonal_zero_fits_a_zero_diagonal_whatever_y_holds(data):
    # the research's loader zeroed the diagonal before its closed-form fit
    X, Y = data.X, data.Y
    params = dict(
        encoder=None,
        alpha=0.1,
        penalty="separable",
        linear_terms=False,
        intercept="residual",
    )
    unit = Y.copy()
    values = unit.to_numpy(copy=True)
    np.fill_diagonal(values, 1.0)
    unit.iloc[:, :] = values
    zero = Y.copy()
    values = zero.to_numpy(copy=True)
    np.fill_diagonal(values, 0.0)
    zero.iloc[:, :] = values
    a = BilinearRegressor(diagonal="zero", **params).fit(X, unit).predict(X)
    b = BilinearRegressor(diagonal="include", **params).fit(X, zero).predict(X)
    c = BilinearRegressor(diagonal="include", **params).fit(X, unit).predict(X)
    np.testing.assert_allclose(a, b)
    assert not np.allclose(a, c)  # a unit diagonal fitted as data differs
    # the research formula with the zeroed block, written out
    G = X.drop(columns=["x", "y", "z"]).to_numpy()
    A = np.linalg.inv(G.T @ G + 0.1 * np.eye(G.shape[1]))
    W = A @ G.T @ zero.to_numpy() @ G @ A
    expected = G @ W @ G.T + np.mean(zero.to_numpy() - G @ W @ G.T)
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(a, expected, rtol=1e-7, atol=1e-10)
    # a NaN diagonal is fine: it is never read
    nan = Y.copy()
    values = nan.to_numpy(copy=True)
    np.fill_diagonal(values, np.nan)
    nan.iloc[:, :] = values
    d = BilinearRegressor(diagonal="zero", **params).fit(X, nan).predict(X)
    np.testing.assert_allclose(a, d)


def test_pca_variance_fraction_is_fitted_on_training_regions(data):
    from sklearn.decomposition import PCA

    X, Y = data.X, data.Y
    tr = X.index[:24]
    model = BilinearRegressor(n_components=0.9).fit(X.loc[tr], Y.loc[tr, tr])
    G = X.loc[tr].drop(columns=["x", "y", "z"]).to_numpy()
    ref = PCA(n_components=0.9, svd_solver="full").fit(G)
    assert model.encoder_.n_components_ == ref.n_components_ < G.shape[1]
    np.testing.assert_allclose(
        np.abs(model.encoder_.components_), np.abs(ref.components_), atol=1e-8
    )


@pytest.mark.parametrize("diagonal", ["zero", "include"])
def test_research_pca_recipe_no_leakage(diagonal, data, assert_no_leakage):
    from connpredict.models import RESEARCH_PARAMS

    params = {**RESEARCH_PARAMS["bilinear"], "diagonal": diagonal}
    assert_no_leakage(lambda: BilinearRegressor(**params), data.X, data.Y)

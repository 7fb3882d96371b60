import numpy as np
import pytest
from sklearn.model_selection import KFold

from connpredict.datasets import make_synthetic_connectome
from connpredict.models import BilinearRegressor, PLSBilinearRegressor, _bilinear_nulls
from connpredict.nulls import spin_test
from connpredict.nulls._fast import has_fast_path


@pytest.fixture(scope="module")
def ds():
    return make_synthetic_connectome(n_regions=32, n_genes=40, random_state=1)


CV = KFold(4, shuffle=True, random_state=0)


@pytest.mark.parametrize(
    "params",
    [
        {"encoder": None},
        {"encoder": "pca", "n_components": 6},
        {"encoder": "pca", "n_components": 6, "alpha": 0.5, "penalty": "separable"},
        {"encoder": None, "use_distance": True},
        {"encoder": None, "linear_terms": False},
        {"encoder": "pca", "n_components": 6, "linear_terms": False},
    ],
)
def test_fast_path_equals_refits(ds, params):
    est = BilinearRegressor(**params)
    assert has_fast_path(est)
    kw = dict(cv=CV, n_permutations=5, regions=ds.regions, random_state=0)
    fast = spin_test(est, ds.X, ds.Y, **kw)
    slow = spin_test(est, ds.X, ds.Y, fast=False, **kw)
    assert fast.fast_path and not slow.fast_path
    assert np.allclose(fast.null_fold_scores, slow.null_fold_scores, atol=1e-9)
    assert fast.score == slow.score
    assert fast.pvalue == slow.pvalue


def test_fast_path_n_jobs_invariance(ds):
    est = BilinearRegressor(encoder="pca", n_components=4)
    kw = dict(cv=CV, n_permutations=9, regions=ds.regions, random_state=0)
    a = spin_test(est, ds.X, ds.Y, n_jobs=1, **kw)
    b = spin_test(est, ds.X, ds.Y, n_jobs=2, **kw)
    assert a.fast_path and b.fast_path
    assert np.array_equal(a.null_scores, b.null_scores)


def test_unsupported_settings_refit():
    assert not has_fast_path(BilinearRegressor(rank=2))
    with pytest.warns(FutureWarning, match="encoder='pls'"):
        assert not has_fast_path(BilinearRegressor(encoder="pls"))
    assert not has_fast_path(BilinearRegressor(alpha="cv"))
    assert not has_fast_path(BilinearRegressor(), scoring="spearman_r")
    assert not has_fast_path(BilinearRegressor(), scoring=lambda e, X, Y: 0.0)


def test_hook_reads_the_current_parameters():
    """No parameter list: the model's own settings decide, after set_params."""
    est = BilinearRegressor()
    assert has_fast_path(est)
    assert not has_fast_path(est.set_params(rank=2))
    assert has_fast_path(est.set_params(rank=None, alpha=0.3))
    assert not has_fast_path(BilinearRegressor(alpha=-1.0))  # invalid: refit
    assert not has_fast_path(BilinearRegressor(intercept="residual"))
    assert not has_fast_path(PLSBilinearRegressor())  # same hook, PLS encoder
    # spin_test's coordinate columns must be the estimator's
    assert not has_fast_path(BilinearRegressor(), coord_columns=("a", "b", "c"))


class _NoShortcut(BilinearRegressor):
    def _spin_null_refitter(self, coord_columns=("x", "y", "z")):
        return None


class _Flipped(BilinearRegressor):
    """A subclass whose predictions the closed form does not reproduce."""

    def predict(self, X, X_other=None):
        return -super().predict(X, X_other)


def test_hook_is_looked_up_on_the_estimator(ds):
    assert not has_fast_path(_NoShortcut())
    kw = dict(cv=CV, n_permutations=3, regions=ds.regions, random_state=0)
    res = spin_test(_NoShortcut(), ds.X, ds.Y, **kw)
    assert not res.fast_path
    ref = spin_test(BilinearRegressor(), ds.X, ds.Y, fast=False, **kw)
    assert np.allclose(res.null_scores, ref.null_scores, atol=1e-12)


def test_a_model_change_falls_back_instead_of_changing_results(ds):
    """The self-check, not a parameter list, guards the shortcut."""
    kw = dict(cv=CV, n_permutations=3, regions=ds.regions, random_state=0)
    with pytest.warns(RuntimeWarning, match="fast path disagrees"):
        res = spin_test(_Flipped(), ds.X, ds.Y, **kw)
    assert not res.fast_path
    slow = spin_test(_Flipped(), ds.X, ds.Y, fast=False, **kw)
    assert np.array_equal(res.null_scores, slow.null_scores)
    assert res.score < 0


def test_fast_path_falls_back_on_mismatch(ds, monkeypatch):
    est = BilinearRegressor(encoder="pca", n_components=4)
    kw = dict(cv=CV, n_permutations=3, regions=ds.regions, random_state=0)
    slow = spin_test(est, ds.X, ds.Y, fast=False, **kw)
    monkeypatch.setattr(
        _bilinear_nulls._BilinearNulls,
        "batch",
        lambda self, perms: np.zeros((len(perms), 4)),
    )
    with pytest.warns(RuntimeWarning, match="fast path disagrees"):
        res = spin_test(est, ds.X, ds.Y, **kw)
    assert not res.fast_path
    assert np.array_equal(res.null_scores, slow.null_scores)


@pytest.mark.parametrize(
    "params, n_genes",
    [
        ({"encoder": "pca", "n_components": 5}, 40),
        ({"encoder": None}, 40),
        # fewer genes than training regions: the genes' Gram is rank
        # deficient and the stacked SVDs drop directions
        ({"encoder": None}, 6),
        ({"encoder": "pca", "n_components": 10}, 6),
        ({"encoder": "pca", "n_components": 4, "use_distance": True}, 40),
        ({"encoder": None, "alpha": 2.0, "penalty": "separable"}, 40),
        ({"encoder": "pca", "n_components": 4, "diagonal": "include"}, 40),
    ],
)
def test_stacked_refits_equal_single_refits(params, n_genes, monkeypatch):
    # Many permutations over several stacks (a stack of 4 here) against the
    # model's own fit on each permuted gene table, fold by fold.
    from connpredict.utils._contract import COORD_COLUMNS
    from connpredict.utils._stats import pearson_r

    monkeypatch.setattr(_bilinear_nulls._BilinearNulls, "batch_size", 4)
    monkeypatch.setattr(_bilinear_nulls, "_CHUNK", 4)
    data = make_synthetic_connectome(n_regions=24, n_genes=n_genes, random_state=3)
    est = BilinearRegressor(**params)
    splits = list(CV.split(data.X))
    gene_pos = np.flatnonzero(~data.X.columns.isin(COORD_COLUMNS))
    rng = np.random.default_rng(0)
    perms = np.array([rng.permutation(len(data.X)) for _ in range(11)])
    engine = est._spin_null_refitter(COORD_COLUMNS)(data.X, data.Y, splits, gene_pos)
    fast = engine.batch(perms)
    assert fast.shape == (11, len(splits))
    Ya = data.Y.loc[data.X.index, data.X.index].to_numpy()
    for p, perm in enumerate(perms[:6]):
        Xp = data.X.copy()
        Xp.iloc[:, gene_pos] = data.X.iloc[perm, gene_pos].to_numpy()
        for f, (tr, te) in enumerate(splits):
            model = BilinearRegressor(**params).fit(Xp.iloc[tr], data.Y.iloc[tr])
            pred = model.predict(Xp.iloc[te])
            iu = np.triu_indices(len(te), k=1)
            expected = pearson_r(Ya[np.ix_(te, te)][iu], np.asarray(pred)[iu])
            assert fast[p, f] == pytest.approx(expected, abs=1e-8)
    # a stack's result does not depend on the stack it is computed in
    np.testing.assert_allclose(engine.batch(perms[5:7]), fast[5:7], rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "params",
    [
        {"encoder": None},
        {"encoder": "pca", "n_components": 6},
        {"encoder": None, "use_distance": True},
        {"encoder": None, "penalty": "separable"},
        # a user grid out of order: scored in full
        {"encoder": None, "alphas": [10.0, 0.1, 1.0, 1e3, 1e-2]},
    ],
)
def test_pruned_gcv_search_picks_the_models_own_penalty(params):
    # The stacked GCV search scores only part of the grid; its choice must
    # be the model's own (linalg.gcv_scores over the whole grid, one fit per
    # permuted gene table) and the argmin of the stacked scores of every
    # penalty.
    from connpredict.utils._contract import COORD_COLUMNS

    data = make_synthetic_connectome(n_regions=26, n_genes=40, random_state=5)
    est = BilinearRegressor(**params)
    splits = list(CV.split(data.X))
    gene_pos = np.flatnonzero(~data.X.columns.isin(COORD_COLUMNS))
    rng = np.random.default_rng(1)
    perms = np.array([rng.permutation(len(data.X)) for _ in range(12)])
    engine = est._spin_null_refitter(COORD_COLUMNS)(data.X, data.Y, splits, gene_pos)
    st = engine.st
    for f, fold in enumerate(engine.folds):
        U, s, keep, _ = engine._basis(perms, fold)
        proj = _bilinear_nulls._StackedProjection(U, fold)
        alphas = _bilinear_nulls._alpha_grid(s, st["penalty"], st["alphas"])
        chosen = proj.gcv_alpha(s, keep, alphas, st["penalty"])
        every = proj.gcv_scores(proj._gcv_products(s, st["penalty"]), alphas)[0]
        np.testing.assert_array_equal(
            chosen, alphas[np.arange(len(perms)), np.argmin(every, axis=1)]
        )
        tr = splits[f][0]
        for p, perm in enumerate(perms[:4]):
            Xp = data.X.copy()
            Xp.iloc[:, gene_pos] = data.X.iloc[perm, gene_pos].to_numpy()
            model = BilinearRegressor(**params).fit(Xp.iloc[tr], data.Y.iloc[tr])
            assert chosen[p] == pytest.approx(model.alpha_, rel=1e-12)

"""Permutation p-values and spin_test on undefined scores, ties, counts and seeds."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.model_selection import KFold
from sklearn.utils import check_random_state

from connpredict.datasets import make_synthetic_connectome
from connpredict.models import BilinearRegressor
from connpredict.nulls import (
    permutation_pvalue,
    random_permutations,
    spin_permutations,
    spin_test,
)


@pytest.fixture(scope="module")
def ds():
    return make_synthetic_connectome(n_regions=24, n_genes=6, random_state=0)


def _direct_pvalue(score, null):
    """Reference: ties within 1e-12 relative and NaN nulls count as reaching."""
    null = np.asarray(null, dtype=float)
    hits = 0
    for v in null:
        if np.isnan(v) or v >= score - 1e-12 * max(abs(score), abs(v)):
            hits += 1
    return (1 + hits) / (1 + null.size)


# -- undefined scores -----------------------------------------------------------
@pytest.mark.parametrize("score", [np.nan, np.inf, -np.inf])
def test_undefined_observed_score_gives_nan_pvalue(score):
    with pytest.warns(RuntimeWarning, match="no permutation p-value"):
        p = permutation_pvalue(score, [0.1, 0.2, np.nan])
    assert np.isnan(p)


def test_nan_null_scores_are_conservative():
    null = [0.1, np.nan, 0.6, np.nan, 0.2]
    with pytest.warns(RuntimeWarning, match="2 of 5 null scores are NaN"):
        p = permutation_pvalue(0.5, null)
    assert p == _direct_pvalue(0.5, null) == (1 + 3) / 6
    with pytest.warns(RuntimeWarning, match="All 3 null scores are NaN"):
        assert np.isnan(permutation_pvalue(0.5, [np.nan] * 3))


def test_infinite_null_scores_compare_as_numbers():
    assert permutation_pvalue(0.5, [-np.inf, np.inf, 0.1]) == 2 / 4


def test_tiny_folds_give_nan_pvalue_not_significance(ds):
    # 12 folds of 2 regions: each test block has one pair, r is undefined.
    with pytest.warns(RuntimeWarning, match=r"only \[2\] regions.*fewer splits"):
        res = spin_test(
            BilinearRegressor(),
            ds.X,
            ds.Y,
            cv=KFold(12),
            n_permutations=5,
            regions=ds.regions,
            random_state=0,
            fast=False,
        )
    assert np.isnan(res.score) and np.isnan(res.pvalue)
    assert res.to_frame()["pvalue"].isna().all()


# -- ties -----------------------------------------------------------------------
def test_ties_within_rounding_count_as_reaching():
    score = 0.2907364445274485
    under = score - 2e-16  # a refit that reproduces the score up to rounding
    null = [under, under, score * (1 - 5e-13), score - 1e-9, 0.1]
    assert permutation_pvalue(score, null) == _direct_pvalue(score, null) == 4 / 6
    # scale-free: the same relative gap at another magnitude
    assert permutation_pvalue(-3e5, [-3e5 * (1 + 1e-13), -3.1e5]) == 2 / 3


@pytest.mark.parametrize("params", [{}, {"encoder": "pca", "n_components": 3}])
def test_identity_permutations_agree_on_fast_and_slow_paths(ds, params):
    n = ds.X.shape[0]
    identity = np.tile(np.arange(n), (5, 1))
    est = BilinearRegressor(**params)
    cv = KFold(3, shuffle=True, random_state=1)
    fast = spin_test(est, ds.X, ds.Y, cv=cv, permutations=identity, fast=True)
    slow = spin_test(est, ds.X, ds.Y, cv=cv, permutations=identity, fast=False)
    assert fast.fast_path and not slow.fast_path
    np.testing.assert_allclose(fast.null_scores, fast.score, rtol=1e-12)
    assert fast.pvalue == slow.pvalue == 1.0


# -- counts ---------------------------------------------------------------------
@pytest.mark.parametrize("bad", [2.7, 5.0, "5", True, None])
def test_n_permutations_must_be_an_integer(ds, bad):
    with pytest.raises(TypeError, match="n_permutations must be an integer"):
        spin_test(
            BilinearRegressor(),
            ds.X,
            ds.Y,
            cv=3,
            n_permutations=bad,
            regions=ds.regions,
        )
    with pytest.raises(TypeError, match="n_permutations must be an integer"):
        spin_permutations(ds.regions, bad)
    with pytest.raises(TypeError, match="n_permutations must be an integer"):
        random_permutations(ds.regions, bad)


@pytest.mark.parametrize("bad", [2.7, "5", True])
def test_n_surrogates_must_be_an_integer(bad):
    from connpredict.nulls import variogram_surrogates

    rng = np.random.RandomState(0)
    pts = rng.randn(12, 3)
    D = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    with pytest.raises(TypeError, match="n_surrogates must be an integer"):
        variogram_surrogates(rng.randn(12), D, bad, random_state=0)


def test_n_permutations_positive_and_numpy_ints(ds):
    with pytest.raises(ValueError, match=">= 1, got 0"):
        spin_permutations(ds.regions, 0)
    perms = spin_permutations(ds.regions, np.int64(3), random_state=0)
    assert perms.shape == (3, len(ds.regions))


# -- n_jobs independence of stochastic estimators --------------------------------
class _NoisyGeneMean(BaseEstimator):
    """Score = mean of the first gene plus noise from ``random_state`` (test)."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, Y):
        self.noise_ = check_random_state(self.random_state).normal(scale=0.1)
        return self

    def score(self, X, Y):
        return float(X.iloc[:, 0].mean() + self.noise_)


def test_unseeded_estimator_independent_of_n_jobs(ds):
    kw = dict(cv=KFold(3), scoring=None, n_permutations=6, regions=ds.regions)
    a = spin_test(_NoisyGeneMean(), ds.X, ds.Y, n_jobs=1, random_state=0, **kw)
    b = spin_test(_NoisyGeneMean(), ds.X, ds.Y, n_jobs=2, random_state=0, **kw)
    c = spin_test(_NoisyGeneMean(), ds.X, ds.Y, n_jobs=1, random_state=1, **kw)
    assert np.array_equal(a.null_scores, b.null_scores)
    assert a.score == b.score and a.pvalue == b.pvalue
    assert not np.array_equal(a.null_scores, c.null_scores)
    # each fit has its own seed: the noise differs between permutations
    assert len(np.unique(a.null_fold_scores[:, 0] - a.null_fold_scores[0, 0])) > 1
    # an integer seed of the estimator is used as given, in every fit
    fixed = spin_test(_NoisyGeneMean(random_state=7), ds.X, ds.Y, random_state=0, **kw)
    noise = check_random_state(7).normal(scale=0.1)
    folds = [ds.X.iloc[te, 0].mean() + noise for _, te in KFold(3).split(ds.X)]
    assert fixed.score == pytest.approx(np.mean(folds), rel=1e-12)


def test_nested_random_state_is_seeded(ds):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    pipe = make_pipeline(FunctionTransformer(), _NoisyGeneMean())
    kw = dict(cv=KFold(3), scoring=None, n_permutations=4, regions=ds.regions)
    a = spin_test(pipe, ds.X, ds.Y, random_state=3, **kw)
    b = spin_test(pipe, ds.X, ds.Y, random_state=3, n_jobs=2, **kw)
    assert np.array_equal(a.null_scores, b.null_scores)
    assert pipe.get_params()["_noisygenemean__random_state"] is None  # untouched


def test_torch_estimator_independent_of_thread_count(ds):
    # joblib workers run with fewer threads than the main process; torch's
    # sums depend on the thread count, so every fit runs single-threaded.
    torch = pytest.importorskip("torch")
    from connpredict.models import PairMLPRegressor

    est = PairMLPRegressor(
        hidden_dims=(16,),
        head_dims=(8,),
        max_iter=3,
        n_ensemble=1,
        batch_size=64,
        validation_cv=None,
        random_state=0,
    )
    kw = dict(cv=KFold(3), n_permutations=2, regions=ds.regions, random_state=0)
    before = torch.get_num_threads()
    scores = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            res = spin_test(est, ds.X, ds.Y, **kw)
            assert torch.get_num_threads() == threads  # restored
            scores.append(np.r_[res.score, res.null_scores])
    finally:
        torch.set_num_threads(before)
    assert np.array_equal(scores[0], scores[1])


def test_caller_objects_untouched(ds):
    X, Y, regions = ds.X.copy(), ds.Y.copy(), ds.regions.copy()
    est = _NoisyGeneMean()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spin_test(
            est,
            X,
            Y,
            cv=KFold(3),
            scoring=None,
            n_permutations=2,
            regions=regions,
            random_state=0,
        )
    assert est.random_state is None
    pd.testing.assert_frame_equal(X, ds.X)
    pd.testing.assert_frame_equal(regions, ds.regions)

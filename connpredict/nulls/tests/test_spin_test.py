import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_backend
from scipy.spatial.distance import cdist
from sklearn.model_selection import KFold, cross_val_score

from connpredict.datasets import make_synthetic_connectome
from connpredict.metrics import get_scorer
from connpredict.models._base import BaseConnectomeRegressor
from connpredict.nulls import (
    SpinTestResult,
    permutation_pvalue,
    plot_null_distribution,
    spin_permutations,
    spin_test,
)


class _GeneCorrRegressor(BaseConnectomeRegressor):
    """Y ~ a * corr(genes_i, genes_j) + b, fitted by least squares (test model)."""

    _requires_genes = True

    def _fit(self, X, Y_block):
        genes, _ = self._split(X)
        self.mean_ = genes.mean(axis=0)
        C = self._corr(genes, genes)
        iu = np.triu_indices(len(C), 1)
        A = np.column_stack([C[iu], np.ones(iu[0].size)])
        self.coef_ = np.linalg.lstsq(A, Y_block[iu], rcond=None)[0]
        return self

    def _corr(self, a, b):
        a = a - self.mean_
        b = b - self.mean_
        a = a / np.linalg.norm(a, axis=1, keepdims=True)
        b = b / np.linalg.norm(b, axis=1, keepdims=True)
        return a @ b.T

    def _predict_block(self, X_rows, X_cols):
        ga, _ = self._split(X_rows)
        gb, _ = self._split(X_cols)
        return self.coef_[0] * self._corr(ga, gb) + self.coef_[1]


class _DistanceRegressor(BaseConnectomeRegressor):
    """Predicts -distance; uses coordinates only (test model)."""

    _requires_coords = True

    def _fit(self, X, Y_block):
        self.fitted_ = True
        return self

    def _predict_block(self, X_rows, X_cols):
        _, a = self._split(X_rows)
        _, b = self._split(X_cols)
        return -cdist(a, b)


@pytest.fixture(scope="module")
def ds():
    return make_synthetic_connectome(n_regions=30, n_genes=12, random_state=0)


CV = KFold(3, shuffle=True, random_state=0)


def test_null_scores_match_direct_refits(ds):
    res = spin_test(
        _GeneCorrRegressor(),
        ds.X,
        ds.Y,
        cv=CV,
        n_permutations=6,
        regions=ds.regions,
        random_state=0,
    )
    assert isinstance(res, SpinTestResult)
    assert res.permutations.shape == (6, 30)
    scorer = get_scorer("pearson_r")
    genes = [c for c in ds.X.columns if c not in ("x", "y", "z")]
    expected_true = cross_val_score(
        _GeneCorrRegressor(), ds.X, ds.Y, cv=CV, scoring=scorer
    )
    assert np.isclose(res.score, expected_true.mean())
    assert np.allclose(res.fold_scores, expected_true)
    for k, perm in enumerate(res.permutations):
        Xp = ds.X.copy()
        Xp[genes] = ds.X[genes].to_numpy()[perm]  # coordinates stay put
        direct = cross_val_score(_GeneCorrRegressor(), Xp, ds.Y, cv=CV, scoring=scorer)
        assert np.isclose(res.null_scores[k], direct.mean())
        assert np.allclose(res.null_fold_scores[k], direct)
    # the permutations are the spins of the same seed
    assert np.array_equal(
        res.permutations,
        spin_permutations(ds.regions.loc[ds.X.index], 6, random_state=0),
    )
    # the p-value formula, computed directly
    exceed = sum(s >= res.score for s in res.null_scores)
    assert res.pvalue == (1 + exceed) / (1 + 6)
    # genes carry signal in the synthetic data: spins lower the score
    assert res.score > np.mean(res.null_scores)


def test_coordinates_are_not_permuted(ds):
    res = spin_test(
        _DistanceRegressor(),
        ds.X,
        ds.Y,
        cv=CV,
        n_permutations=4,
        regions=ds.regions,
        random_state=0,
        scoring=None,
    )
    assert np.allclose(res.null_scores, res.score)
    assert res.pvalue == 1.0
    assert res.scoring == "score"


def test_permutation_pvalue():
    assert permutation_pvalue(0.5, [0.1, 0.5, 0.7, 0.2]) == (1 + 2) / 5
    assert permutation_pvalue(1.0, np.zeros(99)) == 1 / 100
    with pytest.warns(RuntimeWarning, match="NaN"):
        # a NaN null score counts as reaching the score (conservative)
        assert permutation_pvalue(0.0, [np.nan, 1.0]) == 3 / 3


def test_given_permutations_and_determinism(ds):
    perms = spin_permutations(ds.regions, 5, method="vasa", random_state=3)
    a = spin_test(_GeneCorrRegressor(), ds.X, ds.Y, cv=CV, permutations=perms)
    b = spin_test(
        _GeneCorrRegressor(),
        ds.X,
        ds.Y,
        cv=CV,
        n_permutations=5,
        method="vasa",
        regions=ds.regions,
        random_state=3,
    )
    assert a.method == "given" and b.method == "vasa"
    assert np.array_equal(a.null_scores, b.null_scores)
    assert a.pvalue == b.pvalue
    c = spin_test(
        _GeneCorrRegressor(),
        ds.X,
        ds.Y,
        cv=CV,
        n_permutations=5,
        method="random",
        regions=ds.regions,
        random_state=3,
    )
    both = (ds.regions["hemisphere"] + ds.regions["structure"]).to_numpy()
    assert np.all(both[c.permutations] == both)


def test_n_jobs_invariance(ds):
    kw = dict(cv=CV, n_permutations=8, regions=ds.regions, random_state=1)
    serial = spin_test(_GeneCorrRegressor(), ds.X, ds.Y, n_jobs=1, **kw)
    parallel = spin_test(_GeneCorrRegressor(), ds.X, ds.Y, n_jobs=2, **kw)
    assert np.array_equal(serial.null_scores, parallel.null_scores)
    assert np.array_equal(serial.permutations, parallel.permutations)
    assert serial.pvalue == parallel.pvalue


def test_dask_backend_matches_serial(ds, dask_client):
    kw = dict(cv=CV, n_permutations=6, regions=ds.regions, random_state=2)
    serial = spin_test(_GeneCorrRegressor(), ds.X, ds.Y, **kw)
    with parallel_backend("dask"):
        remote = spin_test(_GeneCorrRegressor(), ds.X, ds.Y, n_jobs=-1, **kw)
    assert np.array_equal(serial.null_scores, remote.null_scores)
    assert serial.pvalue == remote.pvalue


def test_errors(ds):
    with pytest.raises(ValueError, match=r"regions=.*permutations="):
        spin_test(_GeneCorrRegressor(), ds.X, ds.Y, cv=CV, n_permutations=2)
    with pytest.raises(ValueError, match="gene columns"):
        spin_test(
            _DistanceRegressor(), ds.X[["x", "y", "z"]], ds.Y, cv=CV, regions=ds.regions
        )
    with pytest.raises(ValueError, match="shape"):
        spin_test(
            _GeneCorrRegressor(), ds.X, ds.Y, cv=CV, permutations=np.zeros((2, 5), int)
        )
    with pytest.raises(ValueError, match="not in the region table"):
        spin_test(_GeneCorrRegressor(), ds.X, ds.Y, cv=CV, regions=ds.regions.iloc[:-1])
    with pytest.raises(ValueError, match="method"):
        spin_test(
            _GeneCorrRegressor(), ds.X, ds.Y, cv=CV, regions=ds.regions, method="bogus"
        )


def test_regions_aligned_by_label(ds):
    shuffled = ds.regions.iloc[::-1]
    a = spin_test(
        _GeneCorrRegressor(),
        ds.X,
        ds.Y,
        cv=CV,
        n_permutations=3,
        regions=shuffled,
        random_state=0,
    )
    b = spin_test(
        _GeneCorrRegressor(),
        ds.X,
        ds.Y,
        cv=CV,
        n_permutations=3,
        regions=ds.regions,
        random_state=0,
    )
    assert np.array_equal(a.permutations, b.permutations)


def test_to_frame_and_plot(ds):
    res = spin_test(
        _GeneCorrRegressor(),
        ds.X,
        ds.Y,
        cv=CV,
        n_permutations=5,
        regions=ds.regions,
        random_state=0,
        verbose=1,
    )
    summary = res.to_frame()
    assert summary.shape[0] == 1
    row = summary.iloc[0]
    assert row["scoring"] == "pearson_r" and row["method"] == "hungarian"
    assert np.isclose(row["null_mean"], res.null_scores.mean())
    assert np.isclose(row["null_sd"], res.null_scores.std(ddof=1))
    assert row["pvalue"] == res.pvalue and row["n_permutations"] == 5
    long = res.to_frame("null")
    assert list(long["kind"]) == ["true"] + ["null"] * 5
    assert np.allclose(long["score"].to_numpy()[1:], res.null_scores)
    with pytest.raises(ValueError, match="kind"):
        res.to_frame("wide")
    fig = plot_null_distribution(res)
    ax = fig.axes[0]
    assert any(np.allclose(line.get_xdata(), res.score) for line in ax.get_lines())
    assert f"{res.pvalue:.3g}" in ax.get_legend().get_texts()[-1].get_text()
    assert "SpinTestResult" in repr(res)
    matplotlib.pyplot.close(fig)


def test_subcortex_and_labels_frame():
    # numpy-free sanity check on a table with subcortex: spins keep structure
    from connpredict.nulls._testing import make_region_table

    reg = make_region_table(20, 6, random_state=0)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((len(reg), 4)), index=reg.index)
    X[["x", "y", "z"]] = reg[["x", "y", "z"]]
    A = rng.standard_normal((len(reg), len(reg)))
    Y = pd.DataFrame((A + A.T) / 2, reg.index, reg.index)
    res = spin_test(
        _GeneCorrRegressor(),
        X,
        Y,
        cv=KFold(2),
        n_permutations=3,
        regions=reg,
        random_state=0,
    )
    key = (reg["hemisphere"] + reg["structure"]).to_numpy()
    assert np.all(key[res.permutations] == key)

"""spin_test with per-map surrogates (single-feature inputs)."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.model_selection import KFold, cross_val_score

from connpredict.datasets import make_synthetic_connectome
from connpredict.metrics import get_scorer
from connpredict.models._base import BaseConnectomeRegressor
from connpredict.nulls import spin_test, variogram_surrogates


class _ProductRegressor(BaseConnectomeRegressor):
    """Y_ij ~ a g_i g_j + b for a single gene g (least squares; test model)."""

    _requires_genes = True

    def _fit(self, X, Y_block):
        g = self._split(X)[0][:, 0]
        P = np.outer(g, g)
        iu = np.triu_indices(len(g), 1)
        A = np.column_stack([P[iu], np.ones(iu[0].size)])
        self.coef_ = np.linalg.lstsq(A, Y_block[iu], rcond=None)[0]
        return self

    def _predict_block(self, X_rows, X_cols):
        a = self._split(X_rows)[0][:, 0]
        b = self._split(X_cols)[0][:, 0]
        return self.coef_[0] * np.outer(a, b) + self.coef_[1]


@pytest.fixture(scope="module")
def single():
    ds = make_synthetic_connectome(n_regions=30, n_genes=3, random_state=0)
    gene = next(c for c in ds.X.columns if c not in ("x", "y", "z"))
    return ds, ds.X[[gene, "x", "y", "z"]], gene


CV = KFold(3, shuffle=True, random_state=0)


def test_surrogate_nulls_match_direct_refits(single):
    ds, X, gene = single
    D = cdist(X[["x", "y", "z"]], X[["x", "y", "z"]])
    calls = []

    def gen(values, n, random_state):
        calls.append((values.copy(), n, random_state))
        return variogram_surrogates(values, D, n, random_state=random_state)

    res = spin_test(
        _ProductRegressor(), X, ds.Y, cv=CV, n_permutations=5, surrogates=gen,
        random_state=0,
    )  # fmt: skip
    assert res.method == "surrogates"
    assert len(calls) == 1 and calls[0][1] == 5
    assert np.array_equal(calls[0][0], X[gene].to_numpy())
    maps = variogram_surrogates(X[gene], D, 5, random_state=calls[0][2])
    assert np.array_equal(res.permutations, maps)
    scorer = get_scorer("pearson_r")
    for k in range(5):
        Xk = X.copy()
        Xk[gene] = maps[k]  # coordinates untouched
        direct = cross_val_score(_ProductRegressor(), Xk, ds.Y, cv=CV, scoring=scorer)
        assert np.isclose(res.null_scores[k], direct.mean())
    exceed = np.sum(res.null_scores >= res.score)
    assert res.pvalue == (1 + exceed) / 6
    # deterministic under random_state; an array of maps gives the same nulls
    again = spin_test(
        _ProductRegressor(), X, ds.Y, cv=CV, n_permutations=5, surrogates=gen,
        random_state=0,
    )  # fmt: skip
    assert np.array_equal(again.null_scores, res.null_scores)
    given = spin_test(_ProductRegressor(), X, ds.Y, cv=CV, surrogates=maps)
    assert np.array_equal(given.null_scores, res.null_scores)


def test_surrogates_errors(single):
    ds, X, _ = single
    maps = np.zeros((3, len(X)))
    with pytest.raises(ValueError, match="single map"):
        spin_test(_ProductRegressor(), ds.X, ds.Y, cv=CV, surrogates=maps)
    with pytest.raises(ValueError, match="shape"):
        spin_test(_ProductRegressor(), X, ds.Y, cv=CV, surrogates=maps[:, :5])
    with pytest.raises(ValueError, match="NaN"):
        spin_test(_ProductRegressor(), X, ds.Y, cv=CV, surrogates=maps + np.nan)
    with pytest.raises(ValueError, match="not both"):
        spin_test(
            _ProductRegressor(), X, ds.Y, cv=CV, surrogates=maps,
            permutations=np.zeros((3, len(X)), int),
        )  # fmt: skip

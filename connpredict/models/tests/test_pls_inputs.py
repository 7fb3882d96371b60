"""PLSBilinearRegressor on awkward inputs: NaN diagonal, constant and huge genes."""

import numpy as np
import pandas as pd
import pytest

from connpredict.datasets import make_synthetic_connectome
from connpredict.models import (
    PLSBilinearRegressor,
)
from connpredict.utils import gene_columns


@pytest.fixture(scope="module")
def data():
    ds = make_synthetic_connectome(n_regions=30, n_genes=8, random_state=0)
    return ds.X, ds.Y


# -- PLS -------------------------------------------------------------------------
def _nan_diagonal(Y):
    a = Y.to_numpy().copy()
    np.fill_diagonal(a, np.nan)
    return pd.DataFrame(a, Y.index, Y.columns)


def test_pls_ignores_a_nan_diagonal(data):
    X, Y = data
    ref = PLSBilinearRegressor(n_components=3).fit(X, Y).predict(X)
    got = PLSBilinearRegressor(n_components=3).fit(X, _nan_diagonal(Y)).predict(X)
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match="diagonal='impute'"):
        PLSBilinearRegressor(n_components=3, diagonal="include").fit(
            X, _nan_diagonal(Y)
        )


def test_pls_constant_genes(data):
    X, Y = data
    genes = gene_columns(X)
    # some constant genes carry no information: same model as without them
    Xc = X.copy()
    Xc[genes[:3]] = 2.5
    with_const = PLSBilinearRegressor(n_components=3).fit(Xc, Y).predict(Xc)
    Xd = Xc.drop(columns=genes[:3])
    without = PLSBilinearRegressor(n_components=3).fit(Xd, Y).predict(Xd)
    np.testing.assert_allclose(with_const.to_numpy(), without.to_numpy(), atol=1e-8)
    # all constant: an error naming the columns
    Xc[genes] = 1.0
    with pytest.raises(ValueError, match=r"All 8 gene column\(s\) are constant.*G0001"):
        PLSBilinearRegressor(n_components=3).fit(Xc, Y)


def test_pls_huge_genes_are_named(data):
    X, Y = data
    Xh = X.copy()
    Xh["G0002"] = Xh["G0002"] * 1e200
    with pytest.raises(ValueError, match=r"\['G0002'\].*rescale"):
        PLSBilinearRegressor(n_components=3).fit(Xh, Y)
    # large but representable values are fine, and scale-free with scale=True
    Xl = X.copy()
    Xl["G0002"] = Xl["G0002"] * 1e100
    big = PLSBilinearRegressor(n_components=3).fit(Xl, Y).predict(Xl)
    ref = PLSBilinearRegressor(n_components=3).fit(X, Y).predict(X)
    np.testing.assert_allclose(big.to_numpy(), ref.to_numpy(), rtol=1e-6, atol=1e-8)

"""Tests of connpredict.model_selection.cross_val_predict."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold, PredefinedSplit, ShuffleSplit

from connpredict.datasets import make_synthetic_connectome
from connpredict.model_selection import RandomSplit, cross_val_predict
from connpredict.models import BilinearRegressor, ExponentialDecayRegressor


@pytest.fixture(scope="module")
def data():
    ds = make_synthetic_connectome(n_regions=24, n_genes=6, random_state=1)
    return ds.X, ds.Y


def _manual(estimator, X, Y, cv, pairs):
    n = len(X)
    out = np.full((n, n), np.nan)
    for train, test in cv.split(X):
        model = type(estimator)(**estimator.get_params())
        model.fit(X.iloc[train], Y.iloc[train])
        block = model.predict(X.iloc[test]).to_numpy().copy()
        np.fill_diagonal(block, np.nan)
        out[np.ix_(test, test)] = block
        if pairs == "test-all":
            out[np.ix_(test, train)] = model.predict(X.iloc[test], X.iloc[train])
    return out


@pytest.mark.parametrize("pairs", ["test-test", "test-all"])
def test_matches_a_manual_loop(data, pairs):
    X, Y = data
    cv = KFold(4, shuffle=True, random_state=0)
    est = BilinearRegressor(n_components=4)
    P = cross_val_predict(est, X, Y, cv=cv, pairs=pairs)
    assert isinstance(P, pd.DataFrame)
    assert P.index.equals(X.index) and P.columns.equals(X.index)
    expected = _manual(est, X, Y, cv, pairs)
    np.testing.assert_allclose(P.to_numpy(), expected, rtol=1e-12)
    assert np.all(np.isnan(np.diag(P.to_numpy())))
    finite = np.isfinite(P.to_numpy()).sum()
    # 4 folds of 6 regions: 4 * 6 * 5 test-test entries; + 24 * 18 test-train
    assert finite == (120 if pairs == "test-test" else 120 + 24 * 18)


def test_parallel_equals_serial_and_arrays(data):
    X, Y = data
    cv = RandomSplit(3, random_state=0)
    est = ExponentialDecayRegressor()
    P1 = cross_val_predict(est, X, Y, cv=cv)
    P2 = cross_val_predict(est, X, Y, cv=cv, n_jobs=2)
    np.testing.assert_array_equal(P1.to_numpy(), P2.to_numpy())
    # unlabelled arrays: an ndarray comes back, with the same numbers
    genes = [c for c in X.columns if c not in ("x", "y", "z")]
    est = BilinearRegressor(n_components=3)
    cv = KFold(3, shuffle=True, random_state=0)
    Pa = cross_val_predict(est, X[genes].to_numpy(), Y.to_numpy(), cv=cv)
    Pl = cross_val_predict(est, X[genes], Y, cv=cv)
    assert isinstance(Pa, np.ndarray)
    np.testing.assert_allclose(Pa, Pl.to_numpy())


def test_regions_never_tested_are_nan(data):
    X, Y = data
    fold = np.repeat([0, 1, -1], 8)  # the last 8 regions are never held out
    P = cross_val_predict(ExponentialDecayRegressor(), X, Y, cv=PredefinedSplit(fold))
    assert np.all(np.isnan(P.to_numpy()[16:])) and np.all(
        np.isnan(P.to_numpy()[:, 16:])
    )
    assert np.isfinite(P.to_numpy()[:8, :8][~np.eye(8, dtype=bool)]).all()
    assert np.all(np.isnan(P.to_numpy()[:8, 8:16]))  # different folds


def test_bad_arguments(data):
    X, Y = data
    est = ExponentialDecayRegressor()
    with pytest.raises(ValueError, match="more than one test fold"):
        cross_val_predict(est, X, Y, cv=ShuffleSplit(3, test_size=0.5, random_state=0))
    with pytest.raises(ValueError, match="pairs must be"):
        cross_val_predict(est, X, Y, pairs="test")
    with pytest.raises(ValueError, match="n_jobs"):
        cross_val_predict(est, X, Y, n_jobs=0)
    with pytest.raises(ValueError, match="different order"):
        cross_val_predict(est, X, Y.iloc[::-1])


def test_verbose_shows_fold_progress(data, capsys):
    X, Y = data
    quiet = cross_val_predict(ExponentialDecayRegressor(), X, Y, cv=KFold(3))
    loud = cross_val_predict(ExponentialDecayRegressor(), X, Y, cv=KFold(3), verbose=1)
    np.testing.assert_array_equal(quiet.to_numpy(), loud.to_numpy())
    err = capsys.readouterr().err
    assert "cross_val_predict" in err and "3/3" in err

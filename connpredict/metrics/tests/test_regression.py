"""Metric functions against direct numpy/scipy computations."""

import itertools

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

from connpredict.metrics import (
    geodesic_distance,
    mean_absolute_error,
    mean_squared_error,
    pair_table,
    pearson_corr,
    r2_score,
    spearman_corr,
)


def _loop_vectors(Y, P):
    Y, P = np.asarray(Y), np.asarray(P)
    pairs = list(itertools.combinations(range(Y.shape[0]), 2))
    return (
        np.array([Y[i, j] for i, j in pairs]),
        np.array([P[i, j] for i, j in pairs]),
    )


def _direct(name, t, p):
    if name == "mse":
        return np.mean((t - p) ** 2)
    if name == "mae":
        return np.mean(np.abs(t - p))
    if name == "r2":
        return 1 - np.sum((t - p) ** 2) / np.sum((t - t.mean()) ** 2)
    if name == "pearson":
        return scipy.stats.pearsonr(t, p)[0]
    return scipy.stats.spearmanr(t, p)[0]


FUNCS = {
    "mse": mean_squared_error,
    "mae": mean_absolute_error,
    "r2": r2_score,
    "pearson": pearson_corr,
    "spearman": spearman_corr,
}


@pytest.mark.parametrize("name", list(FUNCS))
def test_square_matches_direct_loop(name, make_problem):
    Y, P, _ = make_problem(17, seed=1)
    t, p = _loop_vectors(Y, P)
    expected = _direct(name, t, p)
    func = FUNCS[name]
    assert func(Y.to_numpy(), P.to_numpy()) == pytest.approx(expected, rel=1e-12)
    assert func(Y, P) == pytest.approx(expected, rel=1e-12)
    assert func(t, p) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", list(FUNCS))
def test_each_pair_counted_once_and_diagonal_ignored(name, make_problem):
    Y, P, _ = make_problem(12, seed=2)
    t, p = _loop_vectors(Y, P)
    P2 = P.to_numpy().copy()
    P2[np.tril_indices(12)] = 123.0  # lower triangle and diagonal: never used
    Y2 = Y.to_numpy().copy()
    np.fill_diagonal(Y2, -5.0)
    assert FUNCS[name](Y2, P2) == pytest.approx(_direct(name, t, p), rel=1e-12)


@pytest.mark.parametrize("name", list(FUNCS))
def test_dataframes_aligned_by_labels(name, make_problem):
    Y, P, _ = make_problem(15, seed=3)
    order = np.random.default_rng(0).permutation(15)
    P_shuffled = P.iloc[order, order[::-1]]
    assert FUNCS[name](Y, P_shuffled) == pytest.approx(FUNCS[name](Y, P), rel=1e-12)


@pytest.mark.parametrize("name", list(FUNCS))
def test_rectangular_block_uses_all_entries(name, make_problem):
    Y, P, _ = make_problem(20, seed=4)
    test, train = Y.index[:6], Y.index[6:]
    Yb, Pb = Y.loc[test, train], P.loc[test, train]
    expected = _direct(name, Yb.to_numpy().ravel(), Pb.to_numpy().ravel())
    assert FUNCS[name](Yb, Pb) == pytest.approx(expected, rel=1e-12)
    assert FUNCS[name](Yb.to_numpy(), Pb.to_numpy()) == pytest.approx(
        expected, rel=1e-12
    )
    # a square test x train block is recognised by its disjoint labels
    Ysq, Psq = Y.loc[Y.index[:10], Y.index[10:]], P.loc[Y.index[:10], Y.index[10:]]
    expected = _direct(name, Ysq.to_numpy().ravel(), Psq.to_numpy().ravel())
    assert FUNCS[name](Ysq, Psq) == pytest.approx(expected, rel=1e-12)


def test_invalid_inputs(make_problem):
    Y, P, _ = make_problem(10, seed=5)
    with pytest.raises(ValueError, match="different shapes"):
        pearson_corr(Y.to_numpy(), P.to_numpy()[:9, :9])
    bad = P.to_numpy().copy()
    bad[0, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        pearson_corr(Y.to_numpy(), bad)
    with pytest.raises(ValueError, match="some but not all"):
        pearson_corr(Y.iloc[:5, 2:8], P.iloc[:5, 2:8])
    renamed = P.rename(index=lambda s: s + "x", columns=lambda s: s + "x")
    with pytest.raises(ValueError, match="different regions"):
        pearson_corr(Y, renamed)
    with pytest.raises(ValueError, match="different orders"):
        pearson_corr(Y.iloc[:, ::-1], P.to_numpy())
    # a labelled block and an array in the same order are fine
    assert pearson_corr(Y, P.to_numpy()) == pytest.approx(pearson_corr(Y, P))
    with pytest.raises(ValueError, match="no region pairs"):
        pearson_corr(np.zeros((1, 1)), np.zeros((1, 1)))


def test_constant_prediction_gives_nan_correlation(make_problem):
    Y, _, _ = make_problem(8, seed=6)
    assert np.isnan(pearson_corr(Y, np.zeros((8, 8))))
    assert np.isnan(spearman_corr(Y, np.zeros((8, 8))))
    assert mean_squared_error(Y, np.zeros((8, 8))) > 0


def test_pair_table_rows(make_problem):
    Y, P, regions = make_problem(7, seed=7)
    tab = pair_table(Y, P, regions=regions)
    assert len(tab) == 21
    for row, (i, j) in zip(tab.itertuples(), itertools.combinations(range(7), 2)):
        a, b = Y.index[i], Y.index[j]
        assert (row.region_i, row.region_j) == (a, b)
        assert row.y_true == Y.loc[a, b] and row.y_pred == P.loc[a, b]
        d = np.linalg.norm(
            regions.loc[a, ["x", "y", "z"]].to_numpy(float)
            - regions.loc[b, ["x", "y", "z"]].to_numpy(float)
        )
        assert row.distance == pytest.approx(d)
        assert row.network_i == regions.loc[a, "network"]
        assert row.network_j == regions.loc[b, "network"]


# -- geodesic distance --------------------------------------------------------
def _random_spd(n, rng, floor=0.5):
    A = rng.normal(size=(n, n))
    return A @ A.T / n + floor * np.eye(n)


def _direct_geodesic(A, B):
    """||logm(A^{-1/2} B A^{-1/2})||_F with scipy's matrix functions."""
    A_inv_sqrt = np.linalg.inv(scipy.linalg.sqrtm(A))
    M = A_inv_sqrt @ B @ A_inv_sqrt
    return np.linalg.norm(np.real(scipy.linalg.logm(M)), "fro")


def test_geodesic_equals_matrix_function_formula_on_spd():
    rng = np.random.default_rng(0)
    A, B = _random_spd(8, rng), _random_spd(8, rng)
    d = geodesic_distance(A, B, diagonal=None)
    assert d == pytest.approx(_direct_geodesic(A, B), rel=1e-8)
    assert d > 0.1


def test_geodesic_zero_symmetric_affine_invariant():
    rng = np.random.default_rng(1)
    A, B = _random_spd(6, rng), _random_spd(6, rng)
    assert geodesic_distance(A, A, diagonal=None) == pytest.approx(0.0, abs=1e-10)
    d = geodesic_distance(A, B, diagonal=None)
    assert geodesic_distance(B, A, diagonal=None) == pytest.approx(d, rel=1e-10)
    W = rng.normal(size=(6, 6)) + 3 * np.eye(6)
    d_w = geodesic_distance(W @ A @ W.T, W @ B @ W.T, diagonal=None, eps=1e-12)
    assert d_w == pytest.approx(d, rel=1e-7)
    # scaling: d(A, cA) = sqrt(n) |log c|
    assert geodesic_distance(A, 2.0 * A, diagonal=None) == pytest.approx(
        np.sqrt(6) * np.log(2.0), rel=1e-10
    )


def test_geodesic_projection_of_non_spd_connectomes(make_problem):
    Y, P, _ = make_problem(10, seed=8)
    eps = 1e-3
    expected = []
    for M in (Y.to_numpy(), P.to_numpy()):
        S = (M + M.T) / 2
        np.fill_diagonal(S, 1.0)
        w, V = np.linalg.eigh(S)
        assert w.min() < eps  # the test matrices are indeed not SPD
        expected.append(V @ np.diag(np.clip(w, eps, None)) @ V.T)
    d = geodesic_distance(Y, P, eps=eps)
    assert d == pytest.approx(_direct_geodesic(*expected), rel=1e-6)
    # the given diagonal is ignored (set to 1), the lower triangle is symmetrised
    Y2 = Y.to_numpy().copy()
    np.fill_diagonal(Y2, 7.0)
    assert geodesic_distance(Y2, P.to_numpy()) == pytest.approx(d, rel=1e-10)
    assert geodesic_distance(Y, Y) == pytest.approx(0.0, abs=1e-8)
    assert geodesic_distance(P, Y) == pytest.approx(d, rel=1e-8)
    # DataFrames are aligned by labels
    order = np.random.default_rng(1).permutation(10)
    assert geodesic_distance(Y, P.iloc[order, order]) == pytest.approx(d, rel=1e-8)


def test_geodesic_rejects_non_square_and_bad_eps(make_problem):
    Y, P, _ = make_problem(10, seed=9)
    with pytest.raises(ValueError, match="square"):
        geodesic_distance(Y.iloc[:3, 3:], P.iloc[:3, 3:])
    with pytest.raises(ValueError, match="eps"):
        geodesic_distance(Y, P, eps=0.0)


def test_geodesic_accepts_pandas_and_numpy_equally(make_problem):
    Y, P, _ = make_problem(9, seed=10)
    assert geodesic_distance(Y, P) == pytest.approx(
        geodesic_distance(Y.to_numpy(), P.to_numpy()), rel=1e-12
    )

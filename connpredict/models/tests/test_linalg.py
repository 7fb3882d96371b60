"""Tests of the imputed diagonal's solver (models._linalg) against dense algebra."""

import numpy as np
import pytest

from connpredict.models._linalg import (
    fit_bilinear_ridge,
    fitted_identity,
    hat_diagonal,
    hat_factors,
    offset_coupling,
    stacked_cg,
    thin_svd,
)


def _spd_systems(n=9, B=4, seed=0):
    """Stacked SPD systems with very different scales along the diagonal."""
    rng = np.random.default_rng(seed)
    A = np.empty((B, n, n))
    for j in range(B):
        Q = rng.normal(size=(n, n))
        A[j] = Q @ Q.T / n + np.diag(rng.uniform(0.1, 10.0 ** (j + 1), n))
    return A, rng.normal(size=(B, n))


def _matvec(A):
    return lambda idx, P: np.einsum("jab,jb->ja", A[idx], P)


def test_stacked_cg_solves_each_system():
    A, b = _spd_systems()
    b[2] = 0.0  # a zero right-hand side gives zero, whatever the start
    diag = np.diagonal(A, axis1=1, axis2=2)
    x, n_iter = stacked_cg(_matvec(A), b, np.ones_like(b), diag, tol=1e-13)
    expected = np.linalg.solve(A, b[..., None])[..., 0]
    np.testing.assert_allclose(x, expected, rtol=1e-9, atol=1e-12)
    assert np.array_equal(x[2], np.zeros(b.shape[1]))
    assert n_iter[2] == 0 and np.all(n_iter[[0, 1, 3]] > 0)


def test_stacked_cg_is_one_solve_per_system():
    # stacking does not couple the systems: each row is what it is alone
    A, b = _spd_systems(seed=1)
    diag = np.diagonal(A, axis1=1, axis2=2)
    x0 = np.full_like(b, 0.5)
    x, n_iter = stacked_cg(_matvec(A), b, x0, diag)
    for j in range(len(b)):
        xj, nj = stacked_cg(
            _matvec(A[j : j + 1]), b[j : j + 1], x0[j : j + 1], diag[j : j + 1]
        )
        np.testing.assert_allclose(x[j], xj[0], rtol=0, atol=1e-13)
        assert n_iter[j] == nj[0]
    # the residual at the start, when the caller has it, saves one product
    r0 = b - np.einsum("jab,jb->ja", A, x0)
    x_r0, _ = stacked_cg(_matvec(A), b, x0, diag, r0=r0)
    np.testing.assert_allclose(x_r0, x, rtol=0, atol=1e-13)


def test_preconditioner_cuts_steps_on_badly_scaled_systems():
    A, b = _spd_systems(seed=2)
    diag = np.diagonal(A, axis1=1, axis2=2)
    _, with_jacobi = stacked_cg(_matvec(A), b, np.zeros_like(b), diag, tol=1e-12)
    _, plain = stacked_cg(_matvec(A), b, np.zeros_like(b), np.ones_like(b), tol=1e-12)
    assert with_jacobi.sum() < plain.sum()


def _kronecker_hat(Z, alpha, offsets):
    """The fit's hat matrix on vec(Y) (n^2 x n^2), from the explicit design."""
    d = Z.shape[1]
    X = np.hstack([np.kron(Z, Z)] + [K.reshape(-1, 1) for K in offsets])
    pen = np.zeros((X.shape[1], X.shape[1]))
    pen[: d * d, : d * d] = alpha * np.eye(d * d)
    return X @ np.linalg.solve(X.T @ X + pen, X.T)


@pytest.mark.parametrize("n_offsets", [0, 1, 2])
def test_hat_diagonal_is_the_kronecker_hat_at_the_diagonal(n_offsets):
    rng = np.random.default_rng(3)
    n, d, alpha = 7, 3, 0.7
    Z = rng.normal(size=(n, d))
    t = rng.normal(size=n)
    offsets = [np.ones((n, n)), np.exp(-np.abs(t[:, None] - t[None, :]))]
    offsets = offsets[:n_offsets]
    U, s, _ = thin_svd(Z)
    H = hat_factors(s, alpha, "frobenius")
    M_k = np.array([U.T @ K @ U for K in offsets]).reshape(n_offsets, d, d)
    diag_k = np.array([np.diag(K) for K in offsets]).reshape(n_offsets, n)
    # the offsets' normal matrix once the ridge term is profiled out
    G = np.array(
        [
            [np.sum(Ki * Kj) - np.sum(H * Mi * Mj) for Kj, Mj in zip(offsets, M_k)]
            for Ki, Mi in zip(offsets, M_k)
        ]
    ).reshape(n_offsets, n_offsets)
    C = offset_coupling(U, H, M_k, diag_k)
    got = hat_diagonal(U, H, C, np.linalg.pinv(G))
    L = _kronecker_hat(Z, alpha, offsets)
    on_diag = np.arange(n) * (n + 1)  # vec index of (i, i)
    np.testing.assert_allclose(got, L[on_diag, on_diag], rtol=1e-10, atol=1e-12)
    # the whole operator: ridge term plus the offsets' rank-m share
    v = rng.normal(size=n)
    ridge = np.sum((U @ (H * (U.T @ (U * v[:, None])))) * U, axis=1)
    Av = ridge + C @ np.linalg.pinv(G) @ C.T @ v
    np.testing.assert_allclose(
        Av, L[np.ix_(on_diag, on_diag)] @ v, rtol=1e-10, atol=1e-12
    )
    # the fitted diagonal of the identity target
    np.testing.assert_allclose(
        fitted_identity(U, H, C, np.linalg.pinv(G)),
        L[on_diag] @ np.eye(n).ravel(),
        rtol=1e-10,
        atol=1e-12,
    )
    # stacked systems give the same, system by system
    U_s, H_s, G_s = np.stack([U, U[::-1]]), np.stack([H, H]), np.stack([G, G])
    C_s = offset_coupling(U_s, H_s, np.stack([M_k, M_k]), diag_k)
    stacked = hat_diagonal(U_s, H_s, C_s, np.linalg.pinv(G_s))
    np.testing.assert_allclose(C_s[0], C, rtol=0, atol=1e-14)
    np.testing.assert_allclose(stacked[0], got, rtol=0, atol=1e-14)


@pytest.mark.parametrize("alpha", [0.05, 3.0])
def test_imputed_diagonal_is_the_dense_masked_solution(alpha):
    # Fitting the off-diagonal entries only: the diagonal fit_bilinear_ridge
    # imputes is the fixed point d = diag(L(Y0 + diag(d))), solved densely
    rng = np.random.default_rng(4)
    n, d = 8, 4
    Z = rng.normal(size=(n, d))
    E = rng.normal(size=(n, n))
    Y = Z @ np.diag([1.0, -0.5, 0.3, 0.0]) @ Z.T + (E + E.T) / 2
    K = np.exp(-np.abs(np.subtract.outer(np.arange(n), np.arange(n))) / 3.0)
    res = fit_bilinear_ridge(Z, Y, alpha=alpha, offsets=[K], diagonal="impute")
    L = _kronecker_hat(Z, alpha, [np.ones((n, n)), K])
    on_diag = np.arange(n) * (n + 1)
    Y0 = np.where(np.eye(n, dtype=bool), 0.0, Y).ravel()
    A = L[np.ix_(on_diag, on_diag)]
    delta = np.linalg.solve(np.eye(n) - A, L[on_diag] @ Y0)
    Y_full = Y0.reshape(n, n) + np.diag(delta)
    fitted = (L @ Y_full.ravel()).reshape(n, n)
    Zc = Z @ res["V"]
    ours = Zc @ res["core"] @ Zc.T + res["intercept"] + res["beta"][0] * K
    np.testing.assert_allclose(ours, fitted, rtol=0, atol=1e-10)
    assert 0 < res["n_iter"] <= n

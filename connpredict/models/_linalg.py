"""Linear algebra of the bilinear connectome model ``Y ~ Z W Z^T + b``.

Private helpers shared by :class:`~connpredict.models.BilinearRegressor` and
:class:`~connpredict.models.PLSBilinearRegressor`. Everything works on the
thin SVD ``Z = U diag(s) V^T`` of the (centred) region embeddings ``Z``
(``n_regions x n_features``), so that nothing of size ``n_pairs x
n_features`` or ``n_features x n_features`` is ever formed: the fitted
interaction matrix is kept as ``W = V C V^T`` with a small ``k x k`` core
``C`` (``k <= min(n_regions, n_features)``).

Ridge penalties
---------------
``"frobenius"`` (exact ridge on ``W``)
    ``min_W ||Y - Z W Z^T - b||_F^2 + alpha ||W||_F^2``. Since
    ``vec(Z W Z^T) = (Z kron Z) vec(W)`` and the singular values of
    ``Z kron Z`` are ``s_a s_b``, the solution is
    ``C_ab = s_a s_b / (s_a^2 s_b^2 + alpha) * (U^T Y U)_ab``.
``"separable"`` (the research system's formula)
    ``W = A^-1 Z^T Y Z A^-1`` with ``A = Z^T Z + alpha I``, i.e.
    ``C_ab = s_a / (s_a^2 + alpha) * s_b / (s_b^2 + alpha) * (U^T Y U)_ab``.

Both coincide at ``alpha = 0`` (least squares). The fitted block is
``Z W Z^T = U (H * M) U^T`` with ``M = U^T Y U`` and the "hat" factors
``H_ab = s_a s_b C_ab / M_ab``, which also give the effective degrees of
freedom used by generalised cross-validation.
"""

import numpy as np

PENALTIES = ("frobenius", "separable")
#: relative residual at which the imputed diagonal's solve stops
DIAGONAL_TOL = 1e-11


def thin_svd(Z, *, rtol=1e-10):
    """Thin SVD of ``Z`` keeping singular values above ``rtol * s_max``.

    Returns
    -------
    U : ndarray of shape (n, k)
    s : ndarray of shape (k,)
    V : ndarray of shape (d, k)
    """
    U, s, Vt = np.linalg.svd(Z, full_matrices=False)
    if s.size == 0 or s[0] <= 0:
        return U[:, :0], s[:0], Vt[:0].T
    keep = s > rtol * s[0]
    return U[:, keep], s[keep], Vt[keep].T


def hat_factors(s, alpha, penalty):
    """Shrinkage factors ``H_ab`` in ``[0, 1]`` of the fitted block (k x k)."""
    if penalty == "frobenius":
        ss = np.outer(s, s) ** 2
        return ss / (ss + alpha)
    if penalty == "separable":
        f = s**2 / (s**2 + alpha)
        return np.outer(f, f)
    raise ValueError(f"penalty must be one of {PENALTIES}, got {penalty!r}.")


def default_alphas(s, penalty, n_alphas=30):
    """A data-scaled log grid of ridge strengths for generalised CV.

    The grid spans the squared (``"frobenius"``) or plain (``"separable"``)
    squared-singular-value range of ``Z`` (a penalty far below every
    eigenvalue is least squares, far above it shrinks everything to 0).
    """
    top = s[0] ** 2 if s.size else 1.0
    if penalty == "frobenius":
        top = top**2
    return top * np.logspace(-9, 1, n_alphas)


def _inner(A, B):
    return float(np.sum(A * B))


class _Projected:
    """The target and the offsets with their ``U``-basis projections.

    The offsets are fixed; the target's diagonal changes during the
    ``"impute"`` iterations, and :meth:`update_diagonal` updates the
    projections in ``O(n k^2)``.
    """

    def __init__(self, U, Y, offsets):
        self.U = U
        self.Yc = Y
        self.M_y = U.T @ Y @ U
        self.Kc = offsets
        self.M_k = [U.T @ K @ U for K in offsets]
        self.diag_k = np.array([np.diag(K) for K in offsets]).reshape(
            len(offsets), Y.shape[0]
        )
        self.KY = np.array([_inner(K, Y) for K in offsets])
        m = len(offsets)
        self.KK = np.empty((m, m))
        for i in range(m):
            for j in range(i, m):
                self.KK[i, j] = self.KK[j, i] = _inner(offsets[i], offsets[j])

    def update_diagonal(self, new_diag):
        delta = new_diag - np.diag(self.Yc)
        self.Yc = self.Yc.copy()
        np.fill_diagonal(self.Yc, new_diag)
        self.M_y = self.M_y + (self.U * delta[:, None]).T @ self.U
        self.KY = self.KY + self.diag_k @ delta


def _solve_offsets(P, H):
    """Coefficients of the unpenalised pairwise offsets at shrinkage ``H``.

    Profiling ``W`` out of ``||Y - sum_m beta_m K_m - Z W Z^T||^2 +
    alpha ||W||^2`` leaves the quadratic form ``<R, (I - S) R>`` in
    ``beta``, where ``S`` is the ridge smoother (``U (H * U^T . U) U^T``).
    """
    m = len(P.Kc)
    if m == 0:
        return np.zeros(0)
    G = np.empty((m, m))
    c = np.empty(m)
    for i in range(m):
        c[i] = P.KY[i] - np.sum(H * P.M_k[i] * P.M_y)
        for j in range(i, m):
            G[i, j] = G[j, i] = P.KK[i, j] - np.sum(H * P.M_k[i] * P.M_k[j])
    return np.linalg.lstsq(G, c, rcond=None)[0]


def _residual_projection(P, beta):
    M = P.M_y.copy()
    for bk, Mk in zip(beta, P.M_k):
        M -= bk * Mk
    return M


def stacked_cg(matvec, b, x0, diag, *, r0=None, tol=DIAGONAL_TOL, max_iter=500):
    """Jacobi-preconditioned conjugate gradients on stacked SPD systems.

    Solves ``A_j x_j = b_j`` for every row ``j`` of ``b`` together, each
    system stopping on its own once its residual is below ``tol * ||b_j||``
    (a zero right-hand side gives ``x_j = 0``). This is the one solver of the
    imputed diagonal: the model's own fit runs it on one system, the spin
    test's refits on many, so both give the same solution to rounding.

    Parameters
    ----------
    matvec : callable
        ``matvec(idx, P)`` returns the products ``A_j p_j`` for the systems
        ``j = idx`` (``P`` has shape ``(len(idx), n)``).
    b, x0 : ndarray of shape (B, n)
        Right-hand sides and starting points.
    diag : ndarray of shape (B, n)
        The diagonals of the ``A_j`` (the preconditioner); entries that are
        not positive are replaced by 1.
    r0 : ndarray of shape (B, n), default=None
        The residuals ``b - A x0`` where the caller has them (saves a
        product).
    tol : float, default=DIAGONAL_TOL
        Relative tolerance on the residual norm (1e-11).
    max_iter : int, default=500

    Returns
    -------
    x : ndarray of shape (B, n)
    n_iter : ndarray of shape (B,)
        Conjugate-gradient steps of each system (products after the start).
    """
    B = b.shape[0]
    everyone = np.arange(B)
    bnorm = np.linalg.norm(b, axis=1)
    atol = tol * bnorm
    inv_diag = np.where(diag > 0, 1.0 / np.where(diag > 0, diag, 1.0), 1.0)
    x = np.array(x0, dtype=float)
    active = bnorm != 0
    x[~active] = 0.0
    if r0 is not None:
        r = np.where(active[:, None], r0, 0.0)
    elif x.any():
        r = b - matvec(everyone, x)
    else:
        r = b.copy()
    p = np.zeros_like(r)
    rho_prev = np.ones(B)
    first = np.ones(B, dtype=bool)
    n_iter = np.zeros(B, dtype=int)
    for _ in range(max_iter):
        active &= np.linalg.norm(r, axis=1) >= atol
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        r_a = r[idx]
        z = r_a * inv_diag[idx]
        rho = np.sum(r_a * z, axis=1)
        f = first[idx]
        p_a = np.where(f[:, None], z, p[idx] * (rho / rho_prev[idx])[:, None] + z)
        q = matvec(idx, p_a)
        step = rho / np.sum(p_a * q, axis=1)
        x[idx] += step[:, None] * p_a
        r[idx] = r_a - step[:, None] * q
        p[idx] = p_a
        rho_prev[idx] = rho
        first[idx] = False
        n_iter[idx] += 1
    return x, n_iter


def _solve_diagonal(P, U, H, max_iter, tol):
    """Diagonal values that the fit reproduces exactly (the masked solution).

    Fitting the off-diagonal entries only is the same as fitting the full
    matrix whose diagonal equals the fitted diagonal (a fixed point; EM
    iterates towards it). The fitted values are ``L(Y)`` for a symmetric
    linear "hat" operator ``L`` with eigenvalues in [0, 1], so the diagonal
    ``delta`` solves ``(I - A) delta = diag(L(Y0))`` with ``Y0`` the target
    with a zero diagonal and ``A v = diag(L(diag(v)))``: a symmetric
    positive semi-definite system of size ``n``, solved by conjugate
    gradients preconditioned with its diagonal (:func:`stacked_cg`; each
    product costs ``O(n k^2)``).
    """
    m = len(P.Kc)
    G = np.empty((m, m))
    for i in range(m):
        for j in range(i, m):
            G[i, j] = G[j, i] = P.KK[i, j] - np.sum(H * P.M_k[i] * P.M_k[j])
    G_pinv = np.linalg.pinv(G) if m else np.zeros((0, 0))

    def fitted_diagonal(M_y, KY):
        if m:
            c = KY - np.array([np.sum(H * Mk * M_y) for Mk in P.M_k])
            beta = G_pinv @ c
            M = M_y - np.tensordot(beta, np.asarray(P.M_k), axes=1)
        else:
            beta = np.zeros(0)
            M = M_y
        return np.einsum("ia,ab,ib->i", U, H * M, U) + beta @ P.diag_k

    k = U.shape[1]
    C = offset_coupling(U, H, np.asarray(P.M_k).reshape(m, k, k), P.diag_k)

    def matvec(_, V):
        v = V[0]
        M_v = (U * v[:, None]).T @ U
        fit = np.sum((U @ (H * M_v)) * U, axis=1) + C @ (G_pinv @ (C.T @ v))
        return (v - fit)[None, :]

    # The start is the target's diagonal as fitted, the constant c (the
    # mean off-diagonal value): the residual b - A x0 is the fitted diagonal
    # of that target minus x0, and b = diag(L(Y0)) follows from L(c I)
    # (U^T U = I): the start costs one fitted diagonal, not three products.
    x0 = np.diag(P.Yc).copy()
    c = x0[0]
    r0 = fitted_diagonal(P.M_y, P.KY) - x0
    rhs = r0 + x0 - c * fitted_identity(U, H, C, G_pinv)
    diag = 1.0 - hat_diagonal(U, H, C, G_pinv)
    delta, n_iter = stacked_cg(
        matvec,
        rhs[None, :],
        x0[None, :],
        diag[None, :],
        r0=r0[None, :],
        tol=tol,
        max_iter=max_iter,
    )
    return delta[0], int(n_iter[0])


def offset_coupling(U, H, M_k, diag_k):
    """The offsets' share of the diagonal solve's operator: ``C`` (n, m).

    For a target ``diag(v)`` the offsets' coefficients are ``G^+ C^T v``
    and the fitted diagonal is ``R(v) + C G^+ C^T v``, with ``R(v) =
    diag(U (H * U^T diag(v) U) U^T)`` the ridge term's and ``C_im = K_m,ii -
    sum_ab H_ab M_m,ab U_ia U_ib`` (an offset's diagonal net of what the
    ridge term absorbs of it; ``M_m = U^T K_m U``). So each product of the
    solve costs two ``O(n k^2)`` products for ``R`` and ``O(n m)`` for the
    offsets. Works on one system (``U`` of shape ``(n, k)``, ``H`` ``(k,
    k)``, ``M_k`` ``(m, k, k)``, ``diag_k`` ``(m, n)``) or on stacks of them
    (a leading axis on all but ``diag_k``).
    """
    HM = H[..., None, :, :] * M_k
    absorbed = [np.sum((U @ HM[..., j, :, :]) * U, axis=-1) for j in range(len(diag_k))]
    if not absorbed:
        return np.zeros((*U.shape[:-1], 0))
    return diag_k.T - np.stack(absorbed, axis=-1)


def fitted_identity(U, H, C, G_pinv):
    """``diag(L(I))``: the fitted diagonal of the identity target, ``O(n k)``.

    ``R(1) = sum_a H_aa U_ia^2`` as ``U^T U = I`` (``U`` has orthonormal
    columns, or zero ones for dropped directions, whose ``H`` is 0), plus
    the offsets' ``C G^+ C^T 1`` (see :func:`offset_coupling`). One system
    or stacks.
    """
    H_aa = np.diagonal(H, axis1=-2, axis2=-1)
    ridge = np.sum(U * U * H_aa[..., None, :], axis=-1)
    t = np.einsum("...mp,...p->...m", G_pinv, C.sum(axis=-2))
    return ridge + np.einsum("...im,...m->...i", C, t)


def hat_diagonal(U, H, C, G_pinv):
    """``diag(A)`` of the diagonal solve's ``A v = diag(L(diag(v)))``.

    ``A_ii`` is the fitted value at ``(i, i)`` of a target that is 1 at
    ``(i, i)`` and 0 elsewhere: ``sum_ab H_ab U_ia^2 U_ib^2`` for the ridge
    term plus ``c_i^T G^+ c_i`` for the offsets (``C`` from
    :func:`offset_coupling`). One system or stacks, as there.
    """
    U2 = U * U
    A = np.sum((U2 @ H) * U2, axis=-1)
    return A + np.einsum("...im,...mp,...ip->...i", C, G_pinv, C)


def gcv_scores(P, s, n_regions, alphas, penalty):
    """Generalised cross-validation scores of the bilinear ridge.

    Parameters
    ----------
    P : _Projected
        The centred target (and offsets) projected on ``U``.
    s : ndarray of shape (k,)
        Singular values of ``Z``.
    n_regions : int
        Size of the square target.
    alphas : array-like
        Candidate ridge strengths.
    penalty : {"frobenius", "separable"}

    Returns
    -------
    scores : ndarray of shape (n_alphas,)
        ``(RSS / n^2) / (1 - df / N)^2`` with ``N = n (n + 1) / 2`` distinct
        entries of the symmetric target and ``df`` the effective number of
        distinct (symmetric) parameters, plus one per offset (the intercept
        is an offset).
    """
    n_eff = n_regions * (n_regions + 1) / 2.0
    scores = np.empty(len(alphas))
    for i, alpha in enumerate(alphas):
        H = hat_factors(s, alpha, penalty)
        beta = _solve_offsets(P, H)
        R = P.Yc - sum((bk * K for bk, K in zip(beta, P.Kc)), np.zeros_like(P.Yc))
        M = _residual_projection(P, beta)
        rss = max(_inner(R, R) - np.sum(M**2), 0.0) + np.sum((1.0 - H) ** 2 * M**2)
        df = (np.trace(H) + H.sum()) / 2.0 + len(beta)
        denom = max(1.0 - df / n_eff, 1e-12)
        scores[i] = (rss / n_regions**2) / denom**2
    return scores


def fit_bilinear_ridge(
    Z,
    Y,
    *,
    alpha=1.0,
    alphas=None,
    penalty="frobenius",
    diagonal="impute",
    offsets=(),
    fit_intercept=True,
    max_iter=500,
    tol=DIAGONAL_TOL,
):
    """Closed-form ridge fit of ``Y ~ Z W Z^T + sum_m beta_m K_m + b``.

    Parameters
    ----------
    Z : ndarray of shape (n, d)
        Region embeddings (not centred here: the model is
        ``z_i^T W z_j``, as in the research system; centre them beforehand,
        as PCA and PLS scores are, for a model of centred features).
    Y : ndarray of shape (n, n)
        Symmetric target block. Its diagonal is never a target.
    alpha : float or "gcv", default=1.0
        Ridge strength, or ``"gcv"`` to pick it from ``alphas`` by
        generalised cross-validation.
    alphas : array-like, default=None
        Grid for ``alpha="gcv"`` (default :func:`default_alphas`).
    penalty : {"frobenius", "separable"}, default="frobenius"
    diagonal : {"impute", "include"}, default="impute"
        ``"impute"`` fits the off-diagonal entries only (exactly): the
        diagonal is replaced by the values the fit reproduces, found by
        preconditioned conjugate gradients on an ``n x n`` system (see
        :func:`_solve_diagonal`; each step is ``O(n k^2)``). ``"include"``
        fits the diagonal as given (the research code fits its zero
        diagonal).
    offsets : sequence of ndarray of shape (n, n), default=()
        Symmetric pairwise covariates with unpenalised coefficients (for
        example a distance-decay kernel).
    fit_intercept : bool, default=True
        Add the unpenalised intercept ``b`` (an all-ones offset).
    max_iter, tol : int, float
        Conjugate-gradient iterations and relative tolerance of the
        ``"impute"`` solve.

    Returns
    -------
    result : dict
        ``V`` (d, k), ``core`` (k, k), ``intercept``,
        ``beta`` (m,), ``alpha``, ``gcv_scores`` (or None), ``n_iter``,
        ``s`` (k,).
    """
    Z = np.asarray(Z, dtype=float)
    Y = np.asarray(Y, dtype=float)
    offsets = [np.asarray(K, dtype=float) for K in offsets]
    n = Y.shape[0]
    if fit_intercept:
        offsets = [np.ones((n, n)), *offsets]
    U, s, V = thin_svd(Z)
    off = ~np.eye(n, dtype=bool)
    Yf = Y.copy()
    if diagonal == "impute":
        np.fill_diagonal(Yf, Y[off].mean() if n > 1 else 0.0)
    elif diagonal != "include":
        raise ValueError(f"diagonal must be 'impute' or 'include', got {diagonal!r}.")
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {PENALTIES}, got {penalty!r}.")

    P = _Projected(U, Yf, offsets)
    scores = None
    if isinstance(alpha, str):
        grid = default_alphas(s, penalty) if alphas is None else np.asarray(alphas)
        scores = gcv_scores(P, s, n, grid, penalty)
        alpha_ = float(grid[int(np.argmin(scores))])
    else:
        alpha_ = float(alpha)
    H = hat_factors(s, alpha_, penalty)

    n_iter = 0
    if diagonal == "impute" and n > 1:
        delta, n_iter = _solve_diagonal(P, U, H, max_iter, tol)
        P.update_diagonal(delta)
    beta = _solve_offsets(P, H)
    M = _residual_projection(P, beta)
    with np.errstate(divide="ignore", invalid="ignore"):
        core = H * M / np.outer(s, s)
    intercept = float(beta[0]) if fit_intercept else 0.0
    return {
        "V": V,
        "core": core,
        "intercept": intercept,
        "beta": beta[1:] if fit_intercept else beta,
        "alpha": alpha_,
        "gcv_scores": scores,
        "n_iter": n_iter,
        "s": s,
    }


# -- low-rank symmetric W = P diag(signs) P^T -----------------------------------


def lowrank_init(V, core, rank):
    """Best rank-``rank`` symmetric factorisation of ``W = V core V^T``.

    Returns ``P`` (d, r) and ``signs`` (r,) with ``W_r = P diag(signs) P^T``,
    taken from the eigenpairs of the symmetrised core with the largest
    absolute eigenvalues.
    """
    C = (core + core.T) / 2.0
    evals, evecs = np.linalg.eigh(C)
    order = np.argsort(-np.abs(evals))[:rank]
    lam = evals[order]
    P = V @ evecs[:, order] * np.sqrt(np.abs(lam))
    signs = np.where(lam < 0, -1.0, 1.0)
    if P.shape[1] < rank:  # fewer directions than requested: pad with zeros
        pad = rank - P.shape[1]
        P = np.hstack([P, np.zeros((P.shape[0], pad))])
        signs = np.concatenate([signs, np.ones(pad)])
    return P, signs


def lowrank_objective(theta, Z, Y, mask, signs, alpha, n_norm):
    """Loss and gradient of the low-rank model, for L-BFGS.

    ``theta = [vec(P), b]``; the loss is
    ``(0.5 ||mask * (Z P D P^T Z^T + b - Y)||^2 + 0.5 alpha ||P D P^T||_F^2)
    / n_norm`` with ``D = diag(signs)``.
    """
    d = Z.shape[1]
    r = signs.shape[0]
    P = theta[:-1].reshape(d, r)
    b = theta[-1]
    Q = Z @ P
    QD = Q * signs
    R = (QD @ Q.T + b - Y) * mask
    PtP = P.T @ P
    pen = np.sum((PtP * signs) * (PtP * signs).T)  # ||P D P^T||_F^2
    loss = 0.5 * np.sum(R**2) + 0.5 * alpha * pen
    grad_P = Z.T @ ((R + R.T) @ QD) + 2.0 * alpha * (P * signs) @ (PtP * signs)
    grad = np.concatenate([grad_P.ravel(), [R.sum()]])
    return loss / n_norm, grad / n_norm


def ridge_path(Z, Y, alphas, *, penalty="frobenius", offsets=(), fit_intercept=True):
    """Closed-form fits for several ridge strengths, sharing one SVD.

    The diagonal of ``Y`` is replaced by the mean off-diagonal value (no
    exact masking: this path serves to compare ridge strengths, where the
    few diagonal entries hardly matter).

    Returns
    -------
    fits : list of dict
        Per alpha: ``V``, ``core``, ``intercept``, ``beta``.
    """
    Z = np.asarray(Z, dtype=float)
    Y = np.array(Y, dtype=float)
    n = Y.shape[0]
    if n > 1:
        np.fill_diagonal(Y, Y[~np.eye(n, dtype=bool)].mean())
    offsets = [np.asarray(K, dtype=float) for K in offsets]
    if fit_intercept:
        offsets = [np.ones((n, n)), *offsets]
    U, s, V = thin_svd(Z)
    P = _Projected(U, Y, offsets)
    fits = []
    for alpha in alphas:
        H = hat_factors(s, float(alpha), penalty)
        beta = _solve_offsets(P, H)
        M = _residual_projection(P, beta)
        with np.errstate(divide="ignore", invalid="ignore"):
            core = H * M / np.outer(s, s)
        fits.append(
            {
                "V": V,
                "core": core,
                "intercept": float(beta[0]) if fit_intercept else 0.0,
                "beta": beta[1:] if fit_intercept else beta,
            }
        )
    return fits


def check_gene_magnitude(genes, names, model):
    """Refuse gene columns whose variance overflows float64, naming them.

    Parameters
    ----------
    genes : ndarray of shape (n_regions, n_genes)
        The gene columns of the training regions.
    names : list of str
        Their names.
    model : str
        Named in the message (e.g. ``"the PLS"``).

    Raises
    ------
    ValueError
        When a column's values are so large (beyond about 1e150) that the sum
        of their squares overflows: SVDs and variances would fail or be
        infinite.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.models._linalg import check_gene_magnitude
    >>> check_gene_magnitude(np.array([[1.0], [2.0]]), ["A"], "the model")
    """
    genes = np.asarray(genes, dtype=float)
    if genes.size == 0:
        return
    n = max(genes.shape[0], 1)
    # sum of n squares must stay finite: |x| < sqrt(max float / n) / 2
    limit = np.sqrt(np.finfo(float).max / n) / 2
    top = np.max(np.abs(genes), axis=0)
    huge = [name for name, m in zip(names, top) if m > limit]
    if huge:
        raise ValueError(
            f"Gene column(s) {huge[:5]} hold values up to {np.max(top):.3g}, too "
            "large for their variance to be computed in float64; rescale them "
            f"(e.g. log-transform, or divide by a constant) before fitting {model}."
        )

"""Closed-form null refits of the bilinear model (private; used by spin_test).

:func:`connpredict.nulls.spin_test` refits a model on permuted gene
expression hundreds of times. A :class:`~connpredict.models.BilinearRegressor`
with a closed-form ``W`` (``rank=None``), a fixed or GCV-chosen ``alpha``
(not ``"cv"``) and a rotation-invariant encoder (``encoder=None`` or
``"pca"``) depends on the genes only through their Gram matrix ``G G^T``:
replacing the genes ``G`` (n_regions x n_genes) by the embedding ``E = U S``
of their thin SVD (``E E^T = G G^T``, at most n_regions columns) changes no
prediction, and a permutation of the regions permutes the rows of ``E``. So
``E`` is computed once and every refit works on ``E[perm]`` with the model's
own ridge solver (:func:`connpredict.models._linalg.fit_bilinear_ridge`).
What does not depend on the genes (the folds' target blocks, the
distance-decay term of ``use_distance=True``) is computed once per fold.

Refits are stacked: the permutations of a stack are refitted together, fold
by fold, with one batched eigendecomposition of the genes' Gram matrix
(``E E^T`` restricted to each permutation's training regions gives the thin
SVD of the embedding, PCA scores included), the GCV search over the
penalty grid as a few matrix products for all permutations and penalties at
once (over the entries ``a <= b`` of the symmetric ``k x k`` products), and
the conjugate-gradient solve of the imputed diagonal run in lockstep
(:func:`~connpredict.models._linalg.stacked_cg`, the Jacobi-preconditioned
solver the model's own fit runs on one system, so that a refit reproduces
the model's own to rounding). No numpy call is made per permutation except the
final Pearson r. Results equal the model's own refits to rounding (tested at 1e-8); the
stacks are the same whatever ``n_jobs``, so results do not depend on it.

PLSBilinearRegressor has no such shortcut: with ``scale=True`` (its
default) the PLS standardises every gene over the training regions, which
is not invariant to a rotation of the genes, and its components come from
an iterative (NIPALS) fit per component that depends on the target; a null
costs one full PLS fit per fold (see benchmarks/README.md, "Speed").

The model offers this through its ``_spin_null_refitter`` method (the hook
spin_test looks for); the settings come from the model's own
``_check_params()``, the same ones its ``fit`` uses, so no parameter
list is kept here. spin_test checks the first permutation against a regular
refit and refits every permutation if they disagree.
"""

import numpy as np
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from connpredict.models._linalg import (
    DIAGONAL_TOL,
    PENALTIES,
    default_alphas,
    fitted_identity,
    hat_diagonal,
    offset_coupling,
    stacked_cg,
)
from connpredict.models._rules import pairwise_distances
from connpredict.utils._contract import pair_indices, upper_triangle
from connpredict.utils._stats import pearson_r


def bilinear_null_refitter(estimator, coord_columns):
    """The fast-refit factory of a bilinear estimator, or None.

    Parameters
    ----------
    estimator : _BilinearBase
        An unfitted bilinear estimator (its parameters decide).
    coord_columns : sequence of str
        The coordinate columns spin_test uses; they must be the estimator's.

    Returns
    -------
    factory : callable or None
        ``factory(X, Y, splits, gene_pos)`` returns an object whose
        ``batch(perms)`` gives the held-out Pearson r of each fold for each
        permutation, shape ``(n_permutations, n_splits)``. None when no
        closed form applies (low rank, ``alpha="cv"``, PLS encoder,
        ``intercept="residual"``, other coordinate columns, invalid
        parameters).
    """
    try:
        st = estimator._check_params()
    except (ValueError, TypeError):
        return None  # the regular refit reports the problem
    alpha = st["alpha"]
    supported = (
        st["rank"] is None
        and st["intercept"] == "joint"
        and (not isinstance(alpha, str) or alpha == "gcv")
        and st["encoder"] in (None, "pca")
        and tuple(estimator._coord_columns()) == tuple(coord_columns)
    )
    if not supported:
        return None

    def factory(X, Y, splits, gene_pos):
        return _BilinearNulls(estimator, st, X, Y, splits, gene_pos, coord_columns)

    return factory


def _sym_block(Y, idx):
    B = Y[np.ix_(idx, idx)]
    if not np.allclose(B, B.T, rtol=1e-5, atol=1e-8):
        B = (B + B.T) / 2.0
    return B


def _y_rows(Y, idx):
    """Rows ``idx`` of ``Y`` as scikit-learn's cross-validation slices them."""
    if hasattr(Y, "iloc"):
        return Y.iloc[idx]
    return np.asarray(Y)[idx]


# permutations refitted together (memory: a few arrays of _CHUNK x n x n)
_CHUNK = 32


def _fold_targets(Y, offsets, diagonal):
    """What fit_bilinear_ridge derives from a fold's target and offsets alone.

    The target as fitted (its diagonal set to the mean off-diagonal value
    for ``"impute"``, where the diagonal solve starts) and the offsets (the
    intercept's all-ones matrix first) with their inner products with it and
    with each other.
    """
    n = Y.shape[0]
    off = ~np.eye(n, dtype=bool)
    Y_fit = Y.copy()
    if diagonal == "impute":
        np.fill_diagonal(Y_fit, Y[off].mean() if n > 1 else 0.0)
    elif diagonal != "include":
        raise ValueError(f"diagonal must be 'impute' or 'include', got {diagonal!r}.")
    K_all = np.stack([np.ones((n, n)), *offsets])
    return {
        "Y_fit": Y_fit,
        "K_all": K_all,
        "KK": np.einsum("aij,bij->ab", K_all, K_all),
        "KY": np.einsum("aij,ij->a", K_all, Y_fit),
        "diag_k": np.array([np.diag(K) for K in K_all]),
    }


class _BilinearNulls:
    """Per-fold precomputation and closed-form refits of stacked permutations."""

    #: permutations refitted together (spin_test hands over stacks this size)
    batch_size = _CHUNK

    def __init__(self, estimator, st, X, Y, splits, gene_pos, coord_columns):
        self.st = st
        genes = X.to_numpy(dtype=float)[:, gene_pos]
        U, s, _ = np.linalg.svd(genes, full_matrices=False)
        keep = s > 1e-12 * s[0] if s.size and s[0] > 0 else np.zeros(0, bool)
        self.E = U[:, keep] * s[keep]
        self.gram = self.E @ self.E.T  # = genes @ genes.T
        self.n_genes = genes.shape[1]
        if hasattr(Y, "loc"):
            Ya = Y.loc[X.index, X.index].to_numpy(dtype=float)
        else:
            Ya = np.asarray(Y, dtype=float)
        self.folds = []
        for tr, te in splits:
            fold = {
                "tr": tr,
                "te": te,
                "Y_tr": _sym_block(Ya, tr),
                "y_te": upper_triangle(_sym_block(Ya, te)),
                "offsets": [],
                "test_offset": None,
            }
            if st["use_distance"]:
                # the decay term depends on coordinates and Y only: the
                # model's own fit gives its length scale, once per fold
                lam = clone(estimator).fit(X.iloc[tr], _y_rows(Y, tr)).decay_lambda_
                coords = X[list(coord_columns)].to_numpy(dtype=float)
                D_tr = pairwise_distances(coords[tr], coords[tr], mirror=st["mirror"])
                D_te = pairwise_distances(coords[te], coords[te], mirror=st["mirror"])
                fold["offsets"] = [np.exp(-D_tr / lam)]
                fold["test_offset"] = np.exp(-D_te / lam)
            fold.update(_fold_targets(fold["Y_tr"], fold["offsets"], st["diagonal"]))
            self.folds.append(fold)

    # -- batched refits: every step below works on a stack of permutations ------
    def _basis(self, perms, fold):
        """Each permutation's embedding as a thin SVD, from the genes' Gram.

        Returns ``U`` (B, n_tr, q), ``s`` (B, q) and ``keep`` (B, q): the
        thin SVD ``Z_tr = U diag(s) V^T`` of the training embedding that the
        model builds (PCA scores or raw genes, plus the constant column of
        ``linear_terms``), with directions the model's ``thin_svd`` drops
        marked False (and zeroed), and ``Q_te = Z_te V diag(1/s)`` (B, n_te,
        q), the test rows in that basis. Everything comes from the genes'
        Gram matrix ``G G^T``: the embedding is determined by it up to a
        rotation, to which the model is invariant.
        """
        st = self.st
        tr = perms[:, fold["tr"]]
        te = perms[:, fold["te"]]
        K_tr = self.gram[tr[:, :, None], tr[:, None, :]]
        K_te = self.gram[te[:, :, None], tr[:, None, :]]
        n_tr = tr.shape[1]
        if st["encoder"] == "pca":
            # PCA scores: the top eigenvectors of the centred Gram matrix
            row = K_tr.mean(axis=2, keepdims=True)
            K_te = K_te - K_te.mean(axis=2, keepdims=True) - np.swapaxes(row, 1, 2)
            K_te = K_te + row.mean(axis=1, keepdims=True)
            K_tr = K_tr - row - np.swapaxes(row, 1, 2) + row.mean(axis=1, keepdims=True)
            k = max(min(st["n_components"], n_tr, self.n_genes, self.E.shape[1]), 1)
            w, U = np.linalg.eigh(K_tr)
            w, U = np.maximum(w[:, ::-1][:, :k], 0.0), U[:, :, ::-1][:, :, :k]
            keep = w > _GRAM_RTOL * w[:, :1]
            w = np.where(keep, w, 0.0)
            # the scores' columns are centred: their variance is s^2 / n
            mean_var = w.sum(axis=1) / (k * n_tr)
            s = np.sqrt(w)
            with np.errstate(divide="ignore", invalid="ignore"):
                Q_te = K_te @ U * np.where(keep, 1.0 / w, 0.0)[:, None, :]
            U = U * keep[:, None, :]
            if st["linear_terms"]:
                # a constant column is orthogonal to the centred scores: the
                # SVD of [scores, c 1] adds the direction 1 / sqrt(n)
                const = np.sqrt(mean_var)
                const = np.where(const > 0, const, 1.0)
                unit = np.full((len(perms), n_tr, 1), 1.0 / np.sqrt(n_tr))
                U = np.concatenate([U, unit], axis=2)
                s = np.concatenate([s, const[:, None] * np.sqrt(n_tr)], axis=1)
                Q_te = np.concatenate(
                    [
                        Q_te,
                        np.full((len(perms), Q_te.shape[1], 1), 1.0 / np.sqrt(n_tr)),
                    ],
                    axis=2,
                )
                keep = np.concatenate([keep, np.ones((len(perms), 1), bool)], axis=1)
        else:
            if st["linear_terms"]:
                # the genes' mean variance (centred rows), from the Gram
                mean_var = (
                    np.trace(K_tr, axis1=1, axis2=2) / n_tr - K_tr.mean(axis=(1, 2))
                ) / self.n_genes
                const = np.sqrt(np.maximum(mean_var, 0.0))
                const = np.where(const > 0, const, 1.0)[:, None, None]
                K_tr = K_tr + const**2
                K_te = K_te + const**2
            w, U = np.linalg.eigh(K_tr)
            w, U = np.maximum(w[:, ::-1], 0.0), U[:, :, ::-1]
            keep = w > _GRAM_RTOL * w[:, :1]
            w = np.where(keep, w, 0.0)
            s = np.sqrt(w)
            with np.errstate(divide="ignore", invalid="ignore"):
                Q_te = K_te @ U * np.where(keep, 1.0 / w, 0.0)[:, None, :]
            U = U * keep[:, None, :]
        # thin_svd's own cut-off on top
        keep &= s > _SVD_RTOL * s.max(axis=1, keepdims=True)
        s = np.where(keep, s, 0.0)
        return U * keep[:, None, :], s, keep, Q_te * keep[:, None, :]

    def _fold_batch(self, perms, fold):
        """Held-out Pearson r of one fold for each permutation, shape ``(B,)``.

        The same computation as :func:`~connpredict.models._linalg.
        fit_bilinear_ridge` on each permutation's embedding, with the
        permutations stacked: a thin SVD per permutation (from an
        eigendecomposition of a Gram matrix; dropped directions are zeroed
        rather than removed, so all share one shape), the GCV search
        vectorised over permutations and penalties, and the
        conjugate-gradient solve of the imputed diagonal run in lockstep.
        """
        st = self.st
        U, s, keep, Q_te = self._basis(perms, fold)
        proj = _StackedProjection(U, fold)
        alpha = st["alpha"]
        if isinstance(alpha, str):
            alphas = _alpha_grid(s, st["penalty"], st["alphas"])
            alpha_ = proj.gcv_alpha(s, keep, alphas, st["penalty"])
        else:
            alpha_ = np.full(len(perms), float(alpha))
        H = _stacked_hat(s, keep, alpha_, st["penalty"])
        if st["diagonal"] == "impute" and U.shape[1] > 1:
            delta = proj.solve_diagonal(H)
            proj.update_diagonal(delta)
        beta = proj.solve_offsets(H)
        M = proj.residual(beta)
        pred = Q_te @ (H * M) @ np.swapaxes(Q_te, 1, 2) + beta[:, 0, None, None]
        if fold["test_offset"] is not None:
            pred = pred + beta[:, 1, None, None] * fold["test_offset"]
        rows, cols = pair_indices(pred.shape[1])
        pred = (pred[:, rows, cols] + pred[:, cols, rows]) / 2.0
        return np.array([pearson_r(fold["y_te"], p) for p in pred])

    def fold_scores(self, perm):
        """Held-out Pearson r of each fold after refitting on ``perm``."""
        return self.batch(np.asarray(perm)[None, :])[0]

    def batch(self, perms):
        """Fold scores of each permutation, shape ``(len(perms), n_splits)``."""
        perms = np.asarray(perms)
        out = np.empty((len(perms), len(self.folds)))
        # Small matrices: BLAS threads only add synchronisation overhead (on a
        # busy machine, a lot of it); parallelism goes over permutations.
        with threadpool_limits(limits=1, user_api="blas"):
            for start in range(0, len(perms), _CHUNK):
                chunk = perms[start : start + _CHUNK]
                for f, fold in enumerate(self.folds):
                    out[start : start + len(chunk), f] = self._fold_batch(chunk, fold)
        return out


# thin_svd's cut-off: singular values at most this times the largest are dropped
_SVD_RTOL = 1e-10
# eigenvalues of a Gram matrix below this times the largest are rounding noise
# (a singular value below 1e-7 times the largest, which thin_svd would keep
# from 1e-10 on, is dropped here: such directions carry noise either way)
_GRAM_RTOL = 1e-14
# elements of one block of the GCV search (penalties x permutations x k x k)
_GCV_BLOCK = 2**21
# a penalty left unscored must have a GCV bound this much (relatively) above
# the best score: far beyond rounding of the scores near the minimum
_GCV_MARGIN = 1e-6


def _alpha_grid(s, penalty, alphas):
    """Per-permutation GCV grids ``(B, n_alphas)`` (default_alphas on each)."""
    if alphas is not None:
        grid = np.asarray(alphas, dtype=float)
        return np.broadcast_to(grid, (s.shape[0], grid.size))
    top = np.where(s[:, 0] > 0, s[:, 0] ** 2, 1.0)
    if penalty == "frobenius":
        top = top**2
    return top[:, None] * default_alphas(np.ones(1), penalty)[None, :]


def _stacked_hat(s, keep, alpha, penalty):
    """hat_factors of each permutation ``(..., k, k)``; 0 for dropped directions.

    ``s`` and ``keep`` are ``(..., k)``, ``alpha`` broadcasts against ``s``
    without its last axis.
    """
    a = np.asarray(alpha, dtype=float)[..., None, None]
    both = keep[..., :, None] & keep[..., None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        if penalty == "frobenius":
            ss = (s[..., :, None] * s[..., None, :]) ** 2
            H = ss / (ss + a)
        elif penalty == "separable":
            f = s**2 / (s**2 + a[..., 0])
            H = f[..., :, None] * f[..., None, :]
        else:
            raise ValueError(f"penalty must be one of {PENALTIES}, got {penalty!r}.")
    return np.where(both, H, 0.0)


def _gcv_weights(ss, alpha, penalty, upper, out=None):
    """Hat factors ``H`` and ``(1 - H)^2`` of the entries ``a <= b``, per penalty.

    ``upper`` holds the index arrays ``(a, b)`` of those entries; ``ss`` is
    ``(B, 1, len(a))`` squared products of singular values (``"frobenius"``)
    or ``(B, 1, k)`` squared singular values (``"separable"``); ``alpha`` is
    ``(B, n_alphas)``. Dropped directions (``s = 0``) get ``H = 0`` (and
    ``(1 - H)^2 = 1``), as in ``_stacked_hat``. ``out``: two arrays of the
    result's shape to write ``H`` and ``(1 - H)^2`` into.
    """
    a = alpha[:, :, None]
    H, D2 = out if out is not None else (None, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        if penalty == "frobenius":
            H = np.add(ss, a, out=H)
            np.divide(ss, H, out=H)
            if not np.all(alpha > 0):  # 0 / 0 for a dropped direction
                np.copyto(H, 0.0, where=~(ss > 0))
        else:
            f = np.where(ss > 0, ss / (ss + a), 0.0)
            H = np.multiply(f[..., upper[0]], f[..., upper[1]], out=H)
    D2 = np.subtract(1.0, H, out=D2)
    np.square(D2, out=D2)
    return H, D2


def _lstsq(G, c):
    """Minimum-norm solutions of stacked small systems (np.linalg.lstsq's)."""
    return (np.linalg.pinv(G, rtol=None) @ c[..., None])[..., 0]


def _hsum(H, A, B):
    """``sum(H * A * B)`` over the last two axes."""
    return np.einsum("bij,bij,bij->b", H, A, B)


class _StackedProjection:
    """:class:`~connpredict.models._linalg._Projected` for stacked bases.

    The fold's targets and offsets (an all-ones intercept and the decay
    kernel) are fixed; their projections on each permutation's ``U`` are
    stacked ``(B, m, k, k)``.
    """

    def __init__(self, U, fold):
        self.U = U
        self.Ut = np.swapaxes(U, 1, 2)
        self.fold = fold
        self.M_y = self.Ut @ (fold["Y_fit"] @ U)
        u1 = U.sum(axis=1)  # U^T 1
        M_k = [u1[:, :, None] * u1[:, None, :]]
        M_k += [self.Ut @ (K @ U) for K in fold["offsets"]]
        self.M_k = np.stack(M_k, axis=1)
        self.KY = np.broadcast_to(fold["KY"], (U.shape[0], len(fold["KK"]))).copy()

    def _gram(self, H):
        m = self.M_k.shape[1]
        G = np.empty((H.shape[0], m, m))
        for i in range(m):
            for j in range(i, m):
                G[:, i, j] = G[:, j, i] = self.fold["KK"][i, j] - _hsum(
                    H, self.M_k[:, i], self.M_k[:, j]
                )
        return G

    def _rhs(self, H, M_y, KY, M_k):
        c = np.empty_like(KY)
        for i in range(c.shape[1]):
            c[:, i] = KY[:, i] - _hsum(H, M_k[:, i], M_y)
        return c

    def solve_offsets(self, H):
        return _lstsq(self._gram(H), self._rhs(H, self.M_y, self.KY, self.M_k))

    def residual(self, beta, M_y=None, M_k=None):
        M_y = self.M_y if M_y is None else M_y
        M_k = self.M_k if M_k is None else M_k
        return M_y - np.einsum("bm,bmij->bij", beta, M_k)

    def gcv_alpha(self, s, keep, alphas, penalty):
        """The GCV choice of each permutation (linalg.gcv_scores' formula).

        The choice of a search over the whole grid, found by scoring part of
        it: on an increasing grid the residual sum of squares of the ridge
        grows with the penalty and the degrees of freedom shrink, so a
        penalty between two scored neighbours scores at least ``rss(lower)
        / n^2 / (1 - df(upper) / N)^2``. Every other penalty (and the last)
        is scored first; a penalty in between is scored only where that
        bound does not exceed the best score so far (with a relative margin
        of ``_GCV_MARGIN`` for rounding), so the unscored ones cannot win.
        """
        B, n_alphas = alphas.shape
        prep = self._gcv_products(s, penalty)
        if n_alphas < 3 or not np.all(np.diff(alphas, axis=1) > 0):
            scores = self.gcv_scores(prep, alphas)[0]
            return alphas[np.arange(B), np.argmin(scores, axis=1)]
        coarse = np.unique(np.r_[np.arange(0, n_alphas, 2), n_alphas - 1])
        between = np.setdiff1d(np.arange(n_alphas), coarse)
        scores = np.full(alphas.shape, np.inf)
        sc, rss, df = self.gcv_scores(prep, alphas[:, coarse])
        scores[:, coarse] = sc
        n = self.fold["Y_fit"].shape[0]
        n_eff = n * (n + 1) / 2.0
        # neighbours of each penalty in between, as positions in ``coarse``
        lo = np.searchsorted(coarse, between) - 1
        denom = np.maximum(1.0 - df[:, lo + 1] / n_eff, 1e-12)
        bound = (rss[:, lo] / n**2) / denom**2
        best = np.min(sc, axis=1, keepdims=True)
        # NaN scores (or bounds) are scored rather than excluded
        todo = ~(bound > best * (1.0 + _GCV_MARGIN))
        if todo.any():
            # each permutation's candidates first, then (scored, not used)
            # some of its excluded penalties, so that all share one width
            count = todo.sum(axis=1)
            width = int(count.max())
            order = np.argsort(~todo, axis=1, kind="stable")[:, :width]
            idx = between[order]
            rows = np.arange(B)[:, None]
            sc2 = self.gcv_scores(prep, alphas[rows, idx])[0]
            used = np.arange(width)[None, :] < count[:, None]
            scores[rows, idx] = np.where(used, sc2, scores[rows, idx])
        return alphas[np.arange(B), np.argmin(scores, axis=1)]

    def _gcv_products(self, s, penalty):
        """What the GCV scores of every penalty share (see gcv_scores)."""
        fold = self.fold
        B, q = s.shape
        m = self.M_k.shape[1]
        pairs = [(i, j) for i in range(m) for j in range(i, m)]
        # fixed products, flattened: M_y^2, M_k[i] M_y, M_k[i] M_k[j]
        prods = [self.M_y**2]
        prods += [self.M_k[:, i] * self.M_y for i in range(m)]
        prods += [self.M_k[:, i] * self.M_k[:, j] for i, j in pairs]
        # every product and weight is symmetric in (a, b): sum over a <= b,
        # the off-diagonal entries counted twice (half the work of all q^2);
        # a last column of ones gives the sum of H over a <= b, the effective
        # degrees of freedom of the symmetric fit ((trace + sum) / 2)
        iu, ju = np.triu_indices(q)
        upper = iu * q + ju
        twice = np.where(iu == ju, 1.0, 2.0)
        P = np.empty((B, len(upper), len(prods) + 1))
        for p_, x in enumerate(prods):
            np.multiply(x.reshape(B, q * q)[:, upper], twice, out=P[:, :, p_])
        P[:, :, -1] = 1.0
        # s_a s_b (frobenius) or s (separable); dropped directions have s = 0
        if penalty == "frobenius":
            ss = ((s[:, iu] * s[:, ju]) ** 2)[:, None, :]
        else:
            ss = s[:, None, :] ** 2
        return {
            "P": P,
            "full": P[:, :, :-1].sum(axis=1)[:, None, :],  # unweighted sums
            "ss": ss,
            "upper": (iu, ju),
            "pairs": pairs,
            "penalty": penalty,
            "YY": float(np.sum(fold["Y_fit"] ** 2)),
        }

    def gcv_scores(self, prep, alphas):
        """GCV scores, residual sums of squares and degrees of freedom of the
        penalties ``alphas`` (B, n_alphas), as linalg.gcv_scores computes them.

        All penalties at once, in blocks that bound memory. Every
        sum over the ``k x k`` entries that the score needs is an inner
        product of a penalty-dependent weight (``H`` or ``(1 - H)^2``) with
        one of a few fixed products of the projections (``M_y^2``,
        ``M_k M_y``, ``M_k M_k'``; ``prep`` from :meth:`_gcv_products`), so
        each block costs one matrix product.
        """
        fold = self.fold
        n = fold["Y_fit"].shape[0]
        n_eff = n * (n + 1) / 2.0
        m = self.M_k.shape[1]
        KK, KY = fold["KK"], self.KY[:, None, :]
        P, full, ss, YY = prep["P"], prep["full"], prep["ss"], prep["YY"]
        pairs, penalty, (iu, ju) = prep["pairs"], prep["penalty"], prep["upper"]
        B, n_upper = P.shape[:2]
        scores = np.empty(alphas.shape)
        rss_all = np.empty(alphas.shape)
        df_all = np.empty(alphas.shape)
        step = min(max(1, _GCV_BLOCK // max(B * n_upper, 1)), alphas.shape[1])
        # one buffer for every block, H in its first ``step`` rows and
        # (1 - H)^2 in the next, so that one matrix product gives every sum
        # (fresh arrays this large are mapped and faulted in at each block);
        # rows a short last block leaves stale are computed and ignored
        buf = np.empty((B, 2 * step, n_upper))
        for a0 in range(0, alphas.shape[1], step):
            al = alphas[:, a0 : a0 + step]
            w = al.shape[1]
            _gcv_weights(
                ss, al, penalty, (iu, ju), out=(buf[:, :w], buf[:, step : step + w])
            )
            on = buf @ P
            on_H, on_D2 = on[:, :w], on[:, step : step + w, :-1]
            G = np.empty((*al.shape, m, m))
            for p_, (i, j) in enumerate(pairs):
                G[..., i, j] = G[..., j, i] = KK[i, j] - on_H[..., 1 + m + p_]
            c = KY - on_H[..., 1 : 1 + m]
            beta = _lstsq(G, c)
            # sum(w * M^2) for M = M_y - sum_i beta_i M_k[i], from the products
            coef = np.concatenate(
                [np.ones((*al.shape, 1)), -2.0 * beta]
                + [
                    (1.0 if i == j else 2.0)
                    * beta[..., i : i + 1]
                    * beta[..., j : j + 1]
                    for i, j in pairs
                ],
                axis=-1,
            )
            M2 = np.sum(coef * full, axis=-1)
            D2M2 = np.sum(coef * on_D2, axis=-1)
            RR = YY - 2.0 * np.sum(beta * KY, axis=-1)
            RR = RR + np.einsum("bai,ij,baj->ba", beta, KK, beta)
            rss = np.maximum(RR - M2, 0.0) + D2M2
            df = on_H[..., -1] + m
            denom = np.maximum(1.0 - df / n_eff, 1e-12)
            scores[:, a0 : a0 + step] = (rss / n**2) / denom**2
            rss_all[:, a0 : a0 + step] = rss
            df_all[:, a0 : a0 + step] = df
        return scores, rss_all, df_all

    def _rows(self, idx):
        """``U`` of the permutations ``idx`` (no copy when they are all)."""
        return self.U if len(idx) == len(self.U) else self.U[idx]

    def _fitted_diagonal(self, idx, H, G_pinv, M_v, KY_v, U=None):
        """linalg._solve_diagonal's ``fitted_diagonal`` for the rows ``idx``."""
        M_k = self.M_k[idx]
        beta = (G_pinv @ self._rhs(H, M_v, KY_v, M_k)[..., None])[..., 0]
        M = self.residual(beta, M_v, M_k)
        U = self._rows(idx) if U is None else U
        return np.sum((U @ (H * M)) * U, axis=2) + beta @ self.fold["diag_k"]

    def _matvec(self, idx, H, G_pinv, C, v):
        """linalg._solve_diagonal's product for the rows ``idx`` (``H``,
        ``G_pinv`` and ``C``, the offset_coupling, given for those rows)."""
        U = self._rows(idx)
        # U^T diag(v) U; the transposed view goes to BLAS without a copy
        M_v = np.swapaxes(U, 1, 2) @ (U * v[:, :, None])
        t = np.einsum("bim,bi->bm", C, v)
        t = np.einsum("bmp,bp->bm", G_pinv, t)
        fit = np.sum((U @ (H * M_v)) * U, axis=2) + np.einsum("bim,bm->bi", C, t)
        return v - fit

    def solve_diagonal(self, H, max_iter=500, tol=DIAGONAL_TOL):
        """linalg._solve_diagonal for every permutation: the same
        preconditioned conjugate gradients (:func:`~connpredict.models.
        _linalg.stacked_cg`, started where the model's fit starts), each
        permutation stopping at its own tolerance."""
        fold = self.fold
        B, n = self.U.shape[:2]
        everyone = np.arange(B)
        G_pinv = np.linalg.pinv(self._gram(H))
        C = offset_coupling(self.U, H, self.M_k, fold["diag_k"])
        diag = 1.0 - hat_diagonal(self.U, H, C, G_pinv)
        # the start and right-hand side as linalg._solve_diagonal takes them:
        # x0 = c 1 (the mean off-diagonal value, the fitted target's
        # diagonal), r0 = diag(L(Y_fit)) - x0, b = r0 + x0 - c diag(L(I))
        c = fold["Y_fit"][0, 0]
        x0 = np.full((B, n), c)
        r0 = self._fitted_diagonal(everyone, H, G_pinv, self.M_y, self.KY) - x0
        b = r0 + x0 - c * fitted_identity(self.U, H, C, G_pinv)

        def matvec(idx, v):
            if len(idx) == B:  # no copies while every permutation is active
                return self._matvec(idx, H, G_pinv, C, v)
            return self._matvec(idx, H[idx], G_pinv[idx], C[idx], v)

        x, _ = stacked_cg(matvec, b, x0, diag, r0=r0, tol=tol, max_iter=max_iter)
        return x

    def update_diagonal(self, new_diag):
        delta = new_diag - np.diag(self.fold["Y_fit"])
        self.M_y = self.M_y + self.Ut @ (self.U * delta[:, :, None])
        self.KY = self.KY + delta @ self.fold["diag_k"].T

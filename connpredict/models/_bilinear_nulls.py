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

The model offers this through its ``_spin_null_refitter`` method (the hook
spin_test looks for); the settings come from the model's own
``_validated_settings()``, the same ones its ``fit`` uses, so no parameter
list is kept here. spin_test checks the first permutation against a regular
refit and refits every permutation if they disagree.
"""

import numpy as np
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from connpredict.models._linalg import fit_bilinear_ridge
from connpredict.models._rules import pairwise_distances
from connpredict.utils._contract import upper_triangle
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
        st = estimator._validated_settings()
    except (ValueError, TypeError):
        return None  # the regular refit reports the problem
    alpha = st["alpha"]
    supported = (
        st["rank"] is None
        and st.get("intercept", "joint") == "joint"
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


class _BilinearNulls:
    """Per-fold precomputation and per-permutation closed-form refits."""

    def __init__(self, estimator, st, X, Y, splits, gene_pos, coord_columns):
        self.st = st
        genes = X.to_numpy(dtype=float)[:, gene_pos]
        U, s, _ = np.linalg.svd(genes, full_matrices=False)
        keep = s > 1e-12 * s[0] if s.size and s[0] > 0 else np.zeros(0, bool)
        self.E = U[:, keep] * s[keep]
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
            self.folds.append(fold)

    def _embed(self, perm, fold):
        Z_tr = self.E[perm[fold["tr"]]]
        Z_te = self.E[perm[fold["te"]]]
        if self.st["encoder"] == "pca":
            n_tr = Z_tr.shape[0]
            k = max(min(self.st["n_components"], n_tr, self.n_genes), 1)
            mean = Z_tr.mean(axis=0)
            Vt = np.linalg.svd(Z_tr - mean, full_matrices=False)[2]
            V = Vt[:k].T
            Z_te = (Z_te - mean) @ V
            Z_tr = (Z_tr - mean) @ V
            mean_var = float(np.mean(np.var(Z_tr, axis=0)))
        else:
            # mean over the genes of their variance, from the rotated genes
            centred = Z_tr - Z_tr.mean(axis=0)
            mean_var = float(np.sum(centred**2)) / (Z_tr.shape[0] * self.n_genes)
        if self.st["linear_terms"]:
            # the model appends a constant column of this size to the embedding
            const = float(np.sqrt(mean_var))
            const = const if const > 0 else 1.0
            Z_tr = np.hstack([Z_tr, np.full((Z_tr.shape[0], 1), const)])
            Z_te = np.hstack([Z_te, np.full((Z_te.shape[0], 1), const)])
        return Z_tr, Z_te

    def fold_scores(self, perm):
        """Held-out Pearson r of each fold after refitting on ``perm``."""
        out = np.empty(len(self.folds))
        st = self.st
        for f, fold in enumerate(self.folds):
            Z_tr, Z_te = self._embed(perm, fold)
            res = fit_bilinear_ridge(
                Z_tr,
                fold["Y_tr"],
                alpha=st["alpha"],
                alphas=st["alphas"],
                penalty=st["penalty"],
                diagonal=st["diagonal"],
                offsets=fold["offsets"],
            )
            A = Z_te @ res["V"]
            pred = A @ res["core"] @ A.T + res["intercept"]
            if fold["test_offset"] is not None:
                pred = pred + res["beta"][0] * fold["test_offset"]
            pred = (pred + pred.T) / 2.0
            out[f] = pearson_r(fold["y_te"], upper_triangle(pred))
        return out

    def batch(self, perms):
        """Fold scores of each permutation, shape ``(len(perms), n_splits)``."""
        # Small matrices: BLAS threads only add synchronisation overhead (on a
        # busy machine, a lot of it); parallelism goes over permutations.
        with threadpool_limits(limits=1, user_api="blas"):
            return np.vstack([self.fold_scores(p) for p in perms])

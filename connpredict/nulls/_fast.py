"""Batched closed-form null refits (the fast path of :func:`spin_test`).

For :class:`~connpredict.models.BilinearRegressor` with a closed-form ``W``
(``rank=None``), a fixed or GCV-chosen ``alpha`` (not ``"cv"``) and a
rotation-invariant encoder (``encoder=None`` or ``"pca"``), a fit depends
on the genes only through their Gram matrix ``G G^T``: replacing the genes
``G`` (n_regions x n_genes) by the low-dimensional embedding ``E = U S`` of
their thin SVD (``E E^T = G G^T``, at most n_regions columns) changes no
prediction, and a permutation of the regions permutes the rows of ``E``. So
``E`` is computed once, and every null refit works on ``E[perm]``: with
``encoder=None`` the model's own ridge solver
(``connpredict.models._linalg.fit_bilinear_ridge``) runs on at most
n_regions features instead of thousands of genes; with ``"pca"`` the PCA is
a small SVD. Quantities that do not depend on the genes (the folds' target
blocks, the distance-decay offset of ``use_distance=True`` and its length
scale) are computed once per fold. Pandas, validation and scikit-learn's
cross-validation machinery are bypassed.

Before use, the fast path checks itself against a regular refit of the first
permutation and falls back to refitting (with a warning) on any mismatch, so
a change in the model cannot silently change results; an estimator with
parameters this module does not know is refitted too.
"""

import logging
import warnings

import numpy as np
from sklearn.base import clone
from threadpoolctl import threadpool_limits

logger = logging.getLogger(__name__)

_TOL = 1e-6
_FAST_SCORINGS = (None, "pearson_r")
# The parameters of BilinearRegressor this path knows how to reproduce; an
# estimator with any other parameter (a newer model version) is refitted.
_KNOWN_PARAMS = frozenset(
    {
        "encoder",
        "n_components",
        "rank",
        "alpha",
        "alphas",
        "penalty",
        "diagonal",
        "linear_terms",
        "intercept",
        "use_distance",
        "mirror",
        "max_iter",
        "n_iter_no_change",
        "validation_cv",
        "cv",
        "random_state",
        "coord_columns",
    }
)


def _bilinear_supported(estimator, scoring, coord_columns):
    try:
        from connpredict.models import BilinearRegressor
    except ImportError:  # pragma: no cover - model module missing
        return False
    if type(estimator) is not BilinearRegressor:
        return False
    if not (isinstance(scoring, str) or scoring is None):
        return False
    if scoring not in _FAST_SCORINGS:
        return False
    params = estimator.get_params(deep=False)
    unknown = set(params) - _KNOWN_PARAMS
    if unknown:
        logger.info("spin_test: no fast path for parameters %s", sorted(unknown))
        return False
    alpha = params.get("alpha")
    return (
        params.get("rank") is None
        and params.get("intercept", "joint") == "joint"
        and (not isinstance(alpha, str) or alpha == "gcv")  # "cv": inner splits
        and params.get("encoder") in (None, "pca")
        and tuple(params.get("coord_columns", ())) == tuple(coord_columns)
    )


def has_fast_path(estimator, scoring="pearson_r", coord_columns=("x", "y", "z")):
    """Whether :func:`spin_test` refits ``estimator`` by the fast path."""
    return _bilinear_supported(estimator, scoring, coord_columns)


def _sym_block(Y, idx):
    B = Y[np.ix_(idx, idx)]
    if not np.allclose(B, B.T, rtol=1e-5, atol=1e-8):
        B = (B + B.T) / 2.0
    return B


def _pearson(a, b):
    a = a - a.mean()
    b = b - b.mean()
    denom = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return float(np.dot(a, b) / denom) if denom > 0 else float("nan")


class _BilinearNulls:
    """Per-fold precomputation and per-permutation closed-form refits."""

    def __init__(self, estimator, X, Y, splits, gene_pos, coord_columns):
        from connpredict.models._linalg import fit_bilinear_ridge

        self._fit_ridge = fit_bilinear_ridge
        params = estimator.get_params(deep=False)
        self.params = params
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
                "y_te": _sym_block(Ya, te)[np.triu_indices(len(te), 1)],
                "offsets": [],
                "test_offset": None,
            }
            if params.get("use_distance"):
                # The decay term depends on coordinates and Y only: fit it once.
                from connpredict.models._rules import pairwise_distances

                model = clone(estimator).fit(X.iloc[tr], _y_rows(Y, X, tr))
                coords = X[list(coord_columns)].to_numpy(dtype=float)
                mirror = params.get("mirror", True)
                lam = model.decay_lambda_
                D_tr = pairwise_distances(coords[tr], coords[tr], mirror=mirror)
                D_te = pairwise_distances(coords[te], coords[te], mirror=mirror)
                fold["offsets"] = [np.exp(-D_tr / lam)]
                fold["test_offset"] = np.exp(-D_te / lam)
            self.folds.append(fold)

    def _embed(self, perm, fold):
        Z_tr = self.E[perm[fold["tr"]]]
        Z_te = self.E[perm[fold["te"]]]
        if self.params.get("encoder") == "pca":
            n_tr = Z_tr.shape[0]
            k = max(min(self.params["n_components"], n_tr, self.n_genes), 1)
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
        if self.params.get("linear_terms"):
            # the model appends a constant column of this size to the embedding
            const = float(np.sqrt(mean_var))
            const = const if const > 0 else 1.0
            Z_tr = np.hstack([Z_tr, np.full((Z_tr.shape[0], 1), const)])
            Z_te = np.hstack([Z_te, np.full((Z_te.shape[0], 1), const)])
        return Z_tr, Z_te

    def fold_scores(self, perm):
        out = np.empty(len(self.folds))
        p = self.params
        for f, fold in enumerate(self.folds):
            Z_tr, Z_te = self._embed(perm, fold)
            res = self._fit_ridge(
                Z_tr,
                fold["Y_tr"],
                alpha=p["alpha"],
                alphas=p["alphas"],
                penalty=p["penalty"],
                diagonal=p["diagonal"],
                offsets=fold["offsets"],
            )
            A = Z_te @ res["V"]
            pred = A @ res["core"] @ A.T + res["intercept"]
            if fold["test_offset"] is not None:
                pred = pred + res["beta"][0] * fold["test_offset"]
            pred = (pred + pred.T) / 2.0
            rows, cols = np.triu_indices(pred.shape[0], 1)
            out[f] = _pearson(fold["y_te"], pred[rows, cols])
        return out

    def batch(self, perms):
        # Small matrices: BLAS threads only add synchronisation overhead (on a
        # busy machine, a lot of it); parallelism goes over permutations.
        with threadpool_limits(limits=1, user_api="blas"):
            return np.vstack([self.fold_scores(p) for p in perms])


def _y_rows(Y, X, idx):
    """Rows ``idx`` of ``Y`` as scikit-learn's cross-validation slices them."""
    if hasattr(Y, "iloc"):
        return Y.iloc[idx]
    return np.asarray(Y)[idx]


def fast_null_scores(
    estimator,
    X,
    Y,
    splits,
    perms,
    scoring,
    gene_pos,
    *,
    coord_columns=("x", "y", "z"),
    check=None,
    n_jobs=None,
):
    """Return null fold scores ``(n_permutations, n_splits)`` or None.

    None means no fast path applies (unknown estimator, unsupported
    parameters or scoring, or a failed self-check); :func:`spin_test` then
    refits generically. ``check(perm) -> fold scores`` is the regular refit
    used to verify the first permutation.
    """
    if not _bilinear_supported(estimator, scoring, coord_columns):
        return None
    from joblib import Parallel, delayed, effective_n_jobs

    engine = _BilinearNulls(estimator, X, Y, splits, gene_pos, coord_columns)
    first = engine.batch(perms[:1])[0]
    if check is not None:
        expected = np.asarray(check(perms[0]), dtype=float)
        if not np.allclose(first, expected, rtol=_TOL, atol=_TOL, equal_nan=True):
            warnings.warn(
                "spin_test's closed-form fast path disagrees with a regular refit "
                f"({first} vs {expected}); refitting every permutation instead. "
                "Please report this.",
                RuntimeWarning,
                stacklevel=3,
            )
            return None
    rest = perms[1:]
    if len(rest) == 0:
        return first[None, :]
    workers = max(1, effective_n_jobs(n_jobs))
    if workers == 1:
        return np.vstack([first[None, :], engine.batch(rest)])
    chunks = np.array_split(rest, workers * 4)
    parts = Parallel(n_jobs=n_jobs)(delayed(engine.batch)(c) for c in chunks if len(c))
    return np.vstack([first[None, :], *parts])

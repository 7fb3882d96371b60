"""Metric functions over region pairs (each unordered pair counted once).

Every function accepts two square ``(n, n)`` blocks among one region set
(the upper triangle ``i < j`` is used), two rectangular blocks between two
disjoint region sets (every entry is a pair; label the axes with DataFrames
when the block happens to be square) or two 1-D vectors of pair values.
DataFrames are aligned by their region labels.
"""

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.stats

from connpredict.metrics._pairs import _align_frames, _as_pairs


def _pearson(a, b):
    """Pearson r of two vectors; NaN when either is constant or too short."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.size < 2:
        return float("nan")
    a = a - a.mean()
    b = b - b.mean()
    denom = np.sqrt(np.dot(a, a) * np.dot(b, b))
    if not denom > 0:
        return float("nan")
    return float(np.clip(np.dot(a, b) / denom, -1.0, 1.0))


def _spearman(a, b):
    """Spearman rho (Pearson r of average ranks); NaN for constant input."""
    if np.asarray(a).size < 2:
        return float("nan")
    return _pearson(scipy.stats.rankdata(a), scipy.stats.rankdata(b))


def mean_squared_error(Y_true, Y_pred):
    """Mean squared error over region pairs.

    Parameters
    ----------
    Y_true, Y_pred : DataFrame or array-like
        Square blocks (upper triangle used), rectangular blocks between two
        disjoint region sets (all entries) or 1-D pair vectors.

    Returns
    -------
    mse : float
        ``mean((y_true - y_pred) ** 2)`` over the pairs (lower is better).

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.metrics import mean_squared_error
    >>> Y = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]])
    >>> float(mean_squared_error(Y, Y + 1.0))
    1.0
    """
    p = _as_pairs(Y_true, Y_pred)
    return float(np.mean((p.true - p.pred) ** 2))


def mean_absolute_error(Y_true, Y_pred):
    """Mean absolute error over region pairs.

    Parameters
    ----------
    Y_true, Y_pred : DataFrame or array-like
        Square blocks (upper triangle used), rectangular blocks between two
        disjoint region sets (all entries) or 1-D pair vectors.

    Returns
    -------
    mae : float
        ``mean(|y_true - y_pred|)`` over the pairs (lower is better).

    Examples
    --------
    >>> from connpredict.metrics import mean_absolute_error
    >>> float(mean_absolute_error([0.1, 0.2, 0.3], [0.1, 0.4, 0.0]))
    0.16666666666666666
    """
    p = _as_pairs(Y_true, Y_pred)
    return float(np.mean(np.abs(p.true - p.pred)))


def r2_score(Y_true, Y_pred):
    """Coefficient of determination over region pairs.

    Parameters
    ----------
    Y_true, Y_pred : DataFrame or array-like
        Square blocks (upper triangle used), rectangular blocks between two
        disjoint region sets (all entries) or 1-D pair vectors.

    Returns
    -------
    r2 : float
        ``1 - sum((y - y_hat)**2) / sum((y - mean(y))**2)``; can be negative;
        NaN when ``y_true`` is constant.

    Examples
    --------
    >>> from connpredict.metrics import r2_score
    >>> float(r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 4.0]))
    0.5
    """
    p = _as_pairs(Y_true, Y_pred)
    ss_tot = np.sum((p.true - p.true.mean()) ** 2)
    if not ss_tot > 0:
        return float("nan")
    return float(1.0 - np.sum((p.true - p.pred) ** 2) / ss_tot)


def pearson_corr(Y_true, Y_pred):
    """Pearson correlation between true and predicted pair values.

    This is the headline metric of connectome prediction ("edge-wise r").

    Parameters
    ----------
    Y_true, Y_pred : DataFrame or array-like
        Square blocks (upper triangle used), rectangular blocks between two
        disjoint region sets (all entries) or 1-D pair vectors.

    Returns
    -------
    r : float
        Pearson r; NaN when either side is constant.

    Examples
    --------
    >>> from connpredict.metrics import pearson_corr
    >>> round(float(pearson_corr([1.0, 2.0, 3.0], [2.0, 4.0, 6.5])), 4)
    0.9979
    """
    p = _as_pairs(Y_true, Y_pred)
    return _pearson(p.true, p.pred)


def spearman_corr(Y_true, Y_pred):
    """Spearman rank correlation between true and predicted pair values.

    Parameters
    ----------
    Y_true, Y_pred : DataFrame or array-like
        Square blocks (upper triangle used), rectangular blocks between two
        disjoint region sets (all entries) or 1-D pair vectors.

    Returns
    -------
    rho : float
        Spearman rho (ties get average ranks); NaN when either side is
        constant.

    Examples
    --------
    >>> from connpredict.metrics import spearman_corr
    >>> float(spearman_corr([1.0, 2.0, 3.0], [2.0, 4.0, 100.0]))
    1.0
    """
    p = _as_pairs(Y_true, Y_pred)
    return _spearman(p.true, p.pred)


def _square_blocks(Y_true, Y_pred):
    if isinstance(Y_true, pd.DataFrame) and isinstance(Y_pred, pd.DataFrame):
        true, pred, kind = _align_frames(Y_true, Y_pred)
        A, B = true.to_numpy(dtype=float), pred.to_numpy(dtype=float)
    else:
        A, B = np.asarray(Y_true, dtype=float), np.asarray(Y_pred, dtype=float)
        kind = "square" if A.ndim == 2 and A.shape[0] == A.shape[1] else "other"
    if kind != "square" or A.shape != B.shape:
        raise ValueError(
            "The geodesic distance needs two square connectomes among the same "
            f"regions; got shapes {A.shape} and {B.shape}."
        )
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(B))):
        raise ValueError("The connectomes contain NaN or infinite values.")
    return A, B


def _to_spd(M, *, diagonal, eps):
    """Symmetrise, set the diagonal and clip the eigenvalues at ``eps``."""
    S = (M + M.T) / 2.0
    if diagonal is not None:
        S = S.copy()
        np.fill_diagonal(S, diagonal)
    w, V = np.linalg.eigh(S)
    if w.min() >= eps:
        return S
    S = (V * np.maximum(w, eps)) @ V.T
    return (S + S.T) / 2.0


def geodesic_distance(Y_true, Y_pred, *, diagonal=1.0, eps=1e-3):
    """Affine-invariant geodesic distance between two connectomes.

    Connectomes are generally not positive definite (a zero or missing
    diagonal, Fisher-z values, noisy predictions), while the affine-invariant
    Riemannian distance is defined on symmetric positive definite (SPD)
    matrices. Each matrix ``M`` is therefore first turned into an SPD
    matrix, in this order:

    1. symmetrised, ``(M + M.T) / 2``;
    2. its diagonal is set to ``diagonal`` (1 by default: the self-
       correlation of an FC matrix; connectomes carry no information on the
       diagonal, which scoring never uses);
    3. projected onto the SPD matrices whose eigenvalues are at least
       ``eps``: ``V diag(max(w, eps)) V.T`` from the eigendecomposition
       ``M = V diag(w) V.T`` (the nearest such matrix in Frobenius norm).
       A matrix that is already that well conditioned is left unchanged.

    The distance between the SPD matrices ``A`` (true) and ``B`` (predicted)
    is ``sqrt(sum_k log(lambda_k) ** 2)``, where ``lambda_k`` are the
    eigenvalues of ``A^{-1/2} B A^{-1/2}``, computed as the generalised
    eigenvalues of the pencil ``(B, A)`` with :func:`scipy.linalg.eigh`.
    It is symmetric, zero for identical inputs and invariant under
    ``A -> W A W.T`` for invertible ``W`` (steps 2 and 3 are not, so pass
    ``diagonal=None`` and well-conditioned SPD matrices to use the bare
    distance).

    Parameters
    ----------
    Y_true, Y_pred : DataFrame or array-like of shape (n_regions, n_regions)
        Two square connectomes among the same regions (DataFrames are
        aligned by labels).
    diagonal : float or None, default=1.0
        Value written on both diagonals before the projection; None keeps
        the diagonals as given.
    eps : float, default=1e-3
        Smallest eigenvalue allowed after the projection.

    Returns
    -------
    distance : float
        The geodesic distance (lower is better).

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.metrics import geodesic_distance
    >>> A = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> round(float(geodesic_distance(A, A)), 12)
    0.0
    >>> round(float(geodesic_distance(np.eye(2), np.e * np.eye(2), diagonal=None)), 6)
    1.414214
    """
    A, B = _square_blocks(Y_true, Y_pred)
    if eps <= 0:
        raise ValueError(f"eps must be positive, got {eps}.")
    A = _to_spd(A, diagonal=diagonal, eps=eps)
    B = _to_spd(B, diagonal=diagonal, eps=eps)
    lam = scipy.linalg.eigh(B, A, eigvals_only=True)
    lam = np.maximum(lam, np.finfo(float).tiny)
    return float(np.sqrt(np.sum(np.log(lam) ** 2)))

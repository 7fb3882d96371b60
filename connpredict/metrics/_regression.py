"""Metric functions over region pairs (each unordered pair counted once).

Every function accepts two square ``(n, n)`` blocks among one region set
(the upper triangle ``i < j`` is used), two rectangular blocks between two
disjoint region sets (every entry is a pair; label the axes with DataFrames
when the block happens to be square) or two 1-D vectors of pair values.
DataFrames are aligned by their region labels.
"""

import warnings

import numpy as np
import pandas as pd
import scipy.linalg

from connpredict.metrics import _formulas
from connpredict.metrics._pairs import _align_frames, _as_pairs


def _on_pairs(formula, Y_true, Y_pred):
    p = _as_pairs(Y_true, Y_pred)
    return formula(p.true, p.pred)


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
    return _on_pairs(_formulas.mse, Y_true, Y_pred)


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
    return _on_pairs(_formulas.mae, Y_true, Y_pred)


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
    return _on_pairs(_formulas.r2, Y_true, Y_pred)


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
    return _on_pairs(_formulas.pearson, Y_true, Y_pred)


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
    return _on_pairs(_formulas.spearman, Y_true, Y_pred)


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


def _research_geodesic(A, B, eps):
    """The research system's geodesic (FC_geodesic): SVD-based, see below."""
    A = (A + A.T) / 2.0
    B = (B + B.T) / 2.0
    u, sv, _ = np.linalg.svd(A)
    inv_sqrt = (u * np.maximum(sv, eps) ** -0.5) @ u.T
    sv_m = np.linalg.svd(inv_sqrt @ B @ inv_sqrt, compute_uv=False)
    if np.any(sv_m <= 0):
        warnings.warn(
            "The research geodesic distance is infinite: the predicted "
            "connectome is singular (a zero singular value of A^-1/2 B A^-1/2).",
            RuntimeWarning,
            stacklevel=3,
        )
        return float("inf")
    return float(np.sqrt(np.sum(np.log(sv_m) ** 2)))


def geodesic_distance(Y_true, Y_pred, *, method="spd", diagonal="auto", eps=1e-3):
    """Affine-invariant geodesic distance between two connectomes.

    Connectomes are generally not positive definite (a zero or missing
    diagonal, Fisher-z values, noisy predictions), while the affine-invariant
    Riemannian distance is defined on symmetric positive definite (SPD)
    matrices. Two ways of handling this are offered.

    ``method="spd"`` (default, connpredict's definition). Each matrix ``M``
    is first turned into an SPD matrix, in this order:

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

    ``method="research"`` is the research system's definition (its
    evaluator, after makto-toruk/FC_geodesic): both matrices are
    symmetrised with their diagonal set to ``diagonal`` (0 by default, as
    the research reconstructs connectomes with a zero diagonal); from the SVD
    ``A = U diag(s) V.T`` of the true matrix, ``A^{-1/2}`` is taken as
    ``U diag(max(s, eps)^{-1/2}) U.T``; the distance is
    ``sqrt(sum_k log(sigma_k) ** 2)`` over the *singular values* ``sigma_k``
    of ``A^{-1/2} B A^{-1/2}``. It is infinite (with a warning) when that
    matrix is singular.

    Why connpredict's definition differs: singular values are absolute
    eigenvalues, so for the indefinite matrices that zero-diagonal
    connectomes are, the research formula silently treats a negative
    eigenvalue as positive (``U`` from the SVD of an indefinite matrix is
    not its eigenbasis), only the true matrix is regularised, and the
    prediction is used as is. The result is then not the SPD geodesic, is
    not symmetric in its arguments and can be infinite. The ``"spd"``
    method projects both matrices onto well-conditioned SPD matrices first,
    so the affine-invariant distance is defined and finite. Use
    ``"research"`` only to reproduce the research's numbers.

    Parameters
    ----------
    Y_true, Y_pred : DataFrame or array-like of shape (n_regions, n_regions)
        Two square connectomes among the same regions (DataFrames are
        aligned by labels).
    method : {"spd", "research"}, default="spd"
        connpredict's SPD-projected distance or the research system's.
    diagonal : float, None or "auto", default="auto"
        Value written on both diagonals first; None keeps the diagonals as
        given; ``"auto"`` is 1 for ``"spd"`` and 0 for ``"research"``.
    eps : float, default=1e-3
        Smallest eigenvalue after the SPD projection (``"spd"``), or the
        smallest singular value of the true matrix (``"research"``).

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
    >>> B = np.array([[0.0, 0.4], [0.4, 0.0]])
    >>> round(float(geodesic_distance(A, B, method="research", diagonal=None)), 6)
    1.340459
    """
    A, B = _square_blocks(Y_true, Y_pred)
    if method not in ("spd", "research"):
        raise ValueError(f"method must be 'spd' or 'research', got {method!r}.")
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}.")
    if isinstance(diagonal, str):
        if diagonal != "auto":
            raise ValueError(
                f"diagonal must be a number, None or 'auto', got {diagonal!r}."
            )
        diagonal = 1.0 if method == "spd" else 0.0
    if method == "research":
        if diagonal is not None:
            A, B = A.copy(), B.copy()
            np.fill_diagonal(A, diagonal)
            np.fill_diagonal(B, diagonal)
        return _research_geodesic(A, B, eps)
    A = _to_spd(A, diagonal=diagonal, eps=eps)
    B = _to_spd(B, diagonal=diagonal, eps=eps)
    lam = scipy.linalg.eigh(B, A, eigvals_only=True)
    lam = np.maximum(lam, np.finfo(float).tiny)
    return float(np.sqrt(np.sum(np.log(lam) ** 2)))


#: fewest other regions for a per-region score (a Pearson r over fewer is NaN)
_REGION_MIN_OTHERS = 3


def region_scores(Y_true, Y_pred):
    """Per-region accuracy: r between a region's predicted and true profile.

    For each region of a square block among held-out regions, the Pearson r
    between its row of ``Y_pred`` and its row of ``Y_true`` over the *other*
    regions of the block (the diagonal is left out). NaN for a constant row
    or fewer than 3 other regions. This is the metric ``region_r`` of the
    metric vocabulary (label "per-region accuracy (Pearson r)"), the column
    ``r`` of ``region_scores.csv``; it uses the same Pearson formula as
    ``pearson_r``.

    Parameters
    ----------
    Y_true, Y_pred : DataFrame of shape (n, n)
        True and predicted connectivity among the same regions.

    Returns
    -------
    scores : DataFrame
        Indexed like ``Y_true``, columns ``r`` and ``n_pairs`` (other
        regions).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.metrics import region_scores
    >>> labels = list("abcd")
    >>> A = np.arange(16.0).reshape(4, 4)
    >>> Y = pd.DataFrame(A + A.T, labels, labels)
    >>> region_scores(Y, 2 * Y)["r"].round(3).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    t = np.asarray(Y_true, dtype=float)
    p = np.asarray(Y_pred, dtype=float)
    n = t.shape[0]
    r = np.full(n, np.nan)
    for i in range(n):
        others = np.arange(n) != i
        if n - 1 >= _REGION_MIN_OTHERS:
            r[i] = _formulas.pearson(t[i, others], p[i, others])
    return pd.DataFrame(
        {"r": r, "n_pairs": n - 1},
        index=pd.Index(getattr(Y_true, "index", range(n)), name="region"),
    )

"""Diffusion-map gradients and their transfer to any atlas (numpy/scipy only).

:func:`diffusion_map_embedding` computes the gradients of a connectome
(Coifman & Lafon's diffusion maps with BrainSpace's defaults);
:class:`DiffusionMap` also extends a fitted embedding to new points without
refitting (Nyström); :func:`region_gradients` carries the gradients of a
reference connectome onto any regions by their MNI coordinates.
"""

import functools

import numpy as np
import pandas as pd
from scipy.linalg import eigh
from scipy.spatial import cKDTree
from sklearn.utils import check_random_state

_KERNELS = ("normalized_angle", "cosine", "pearson", None)
_DENSE_MAX = 3000


def _sparsify_rows(A, sparsity):
    """Keep the ``int(n_cols * (1 - sparsity))`` largest entries of each row."""
    A = np.array(A, dtype=float)
    if not sparsity:
        return A
    n = A.shape[1]
    keep = int(n * (1.0 - sparsity))
    if keep < 1:
        raise ValueError(
            f"sparsity={sparsity!r} keeps no entry of rows of length {n}; lower "
            "sparsity (the fraction of each row set to zero)."
        )
    if keep < n:
        # stable: among ties, the entries with the larger column index are kept
        order = np.argsort(A, axis=1, kind="stable")
        np.put_along_axis(A, order[:, : n - keep], 0.0, axis=1)
    return A


def _kernel(rows_a, rows_b, kernel):
    """Similarity between the rows of ``rows_a`` and ``rows_b``."""
    if kernel is None:
        return np.array(rows_a, dtype=float)
    if kernel == "pearson":
        a = rows_a - rows_a.mean(axis=1, keepdims=True)
        b = rows_b - rows_b.mean(axis=1, keepdims=True)
    else:
        a, b = rows_a, rows_b
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = (a @ b.T) / np.outer(na, nb)
    sim = np.clip(sim, -1.0, 1.0)
    if kernel == "normalized_angle":
        sim = 1.0 - np.arccos(sim) / np.pi
    return sim


class DiffusionMap:
    """Diffusion-map embedding of a connectome, extendable to new points.

    The steps and defaults are those of BrainSpace's ``GradientMaps``
    (``approach="dm"``): each row of ``A`` keeps its ``1 - sparsity``
    largest entries (the others become 0); the affinity between two regions
    is the ``kernel`` similarity of their sparsified rows
    (``"normalized_angle"``: ``1 - arccos(cos_sim) / pi``), negative values
    set to 0; the anisotropic normalisation ``W_a = D^-a W D^-a`` (``alpha``)
    and the Markov matrix ``P = D_a^-1 W_a`` follow. Its leading
    eigenvectors, obtained exactly from the symmetric conjugate
    ``D_a^-1/2 W_a D_a^-1/2``, are the gradients.

    Conventions: the trivial constant eigenvector is dropped; gradients are
    ordered by decreasing eigenvalue ``lambda``; each eigenvector is scaled
    to Euclidean norm ``sqrt(n)`` and then multiplied by ``lambda / (1 -
    lambda)`` (``diffusion_time=0``, multi-scale) or ``lambda **
    diffusion_time``; the sign makes the entry of largest magnitude positive.
    These are BrainSpace's conventions.

    Parameters
    ----------
    n_components : int, default=10
        Number of gradients.
    alpha : float, default=0.5
        Anisotropic diffusion parameter in ``[0, 1]``.
    diffusion_time : float, default=0
        0: multi-scale diffusion map; else the diffusion time.
    sparsity : float, default=0.9
        Fraction of each row of ``A`` set to zero before the kernel (0 keeps
        all).
    kernel : {"normalized_angle", "cosine", "pearson", None}, default="normalized_angle"
        Similarity of the sparsified rows; None takes ``A`` (sparsified and
        symmetrised) as the affinity.
    random_state : int, RandomState instance or None, default=None
        Start vector of the iterative eigensolver, used only for more than
        3000 points (a dense exact solver is used below that).

    Attributes
    ----------
    embedding_ : ndarray of shape (n, n_components)
        The gradients of the fitted points.
    eigenvalues_ : ndarray of shape (n_components,)
        Eigenvalues ``lambda`` of the Markov matrix (without the first, 1).
    scales_ : ndarray of shape (n_components,)
        The factors applied to the eigenvectors (``lambda / (1 - lambda)``
        by default), as BrainSpace's ``lambdas_``.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.models._gradients import DiffusionMap
    >>> rng = np.random.default_rng(0)
    >>> A = np.corrcoef(rng.normal(size=(30, 50)))
    >>> dm = DiffusionMap(n_components=2).fit(A)
    >>> np.allclose(dm.transform(A), dm.embedding_)
    True
    """

    def __init__(
        self,
        n_components=10,
        *,
        alpha=0.5,
        diffusion_time=0,
        sparsity=0.9,
        kernel="normalized_angle",
        random_state=None,
    ):
        self.n_components = n_components
        self.alpha = alpha
        self.diffusion_time = diffusion_time
        self.sparsity = sparsity
        self.kernel = kernel
        self.random_state = random_state

    def _check(self, A):
        A = np.asarray(A, dtype=float)
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(f"A must be a square matrix, got shape {A.shape}.")
        if not np.all(np.isfinite(A)):
            raise ValueError(
                "A contains NaN or infinite values; gradients need a finite connectome."
            )
        n = A.shape[0]
        k = self.n_components
        if not isinstance(k, (int, np.integer)) or not 1 <= k <= n - 2:
            raise ValueError(
                f"n_components must be an integer in [1, {n - 2}] for {n} "
                f"points, got {k!r}."
            )
        if self.kernel not in _KERNELS:
            raise ValueError(f"kernel must be one of {_KERNELS}, got {self.kernel!r}.")
        if not 0 <= self.alpha <= 1:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha!r}.")
        if self.sparsity is not None and not 0 <= self.sparsity < 1:
            raise ValueError(f"sparsity must be in [0, 1), got {self.sparsity!r}.")
        return A

    def _affinity_rows(self, rows):
        """Kernel between (new) rows and the fitted points, negative set to 0."""
        sparse_rows = _sparsify_rows(rows, self.sparsity)
        K = _kernel(sparse_rows, self._rows, self.kernel)
        K = np.nan_to_num(K, nan=0.0)
        K[K < 0] = 0.0
        return K

    def fit(self, A):
        """Compute the gradients of the connectome ``A``.

        Parameters
        ----------
        A : array-like of shape (n, n)
            Connectome (or any region x region similarity).

        Returns
        -------
        self : DiffusionMap
            Fitted.
        """
        A = self._check(A)
        self._rows = _sparsify_rows(A, self.sparsity)
        if self.kernel is None:
            K = (self._rows + self._rows.T) / 2.0
        else:
            K = _kernel(self._rows, self._rows, self.kernel)
        K[K < 0] = 0.0
        K = np.nan_to_num(K, nan=0.0)
        degree = K.sum(axis=1)
        if np.any(degree <= 0):
            bad = np.flatnonzero(degree <= 0)[:5].tolist()
            raise ValueError(
                f"Points {bad} have no affinity with any point (an all-zero or "
                "constant row); remove them or lower sparsity."
            )
        self._degree = degree
        Wa = K / np.outer(degree**self.alpha, degree**self.alpha)
        q = Wa.sum(axis=1)
        S = Wa / np.sqrt(np.outer(q, q))
        S = (S + S.T) / 2.0
        n, k = S.shape[0], int(self.n_components)
        if n <= _DENSE_MAX:
            w, u = eigh(S, subset_by_index=[n - k - 1, n - 1])
        else:
            from scipy.sparse.linalg import eigsh

            v0 = check_random_state(self.random_state).uniform(-1, 1, n)
            w, u = eigsh(S, k=k + 1, which="LA", v0=v0)
        order = np.argsort(w)[::-1]
        w, u = w[order], u[:, order]
        psi = u / np.sqrt(q)[:, None]  # right eigenvectors of P
        psi = psi / np.linalg.norm(psi, axis=0) * np.sqrt(n)
        psi = psi / psi[:, [0]]
        lam = w[1:] / w[0]
        if self.diffusion_time <= 0:
            scales = lam / (1.0 - lam)
        else:
            scales = lam**self.diffusion_time
        emb = psi[:, 1:] * scales
        signs = np.sign(emb[np.abs(emb).argmax(axis=0), np.arange(k)])
        signs[signs == 0] = 1.0
        self._psi = psi[:, 1:] * signs
        self.eigenvalues_ = lam
        self.scales_ = scales
        self.embedding_ = emb * signs
        return self

    def transform(self, rows):
        """Gradients of new points from their rows against the fitted points.

        Nyström extension: a new point's affinities to the fitted points go
        through the same sparsification, kernel, ``alpha`` normalisation and
        row normalisation (its degree counts the fitted points only), and its
        gradient ``k`` is ``sum_j P(new, j) psi_k(j) / lambda_k``. For a
        fitted point's own row this returns its fitted gradient exactly.

        Parameters
        ----------
        rows : array-like of shape (m, n)
            Each new point's connectivity (similarity) to the ``n`` fitted
            points, in the same units as ``A``.

        Returns
        -------
        gradients : ndarray of shape (m, n_components)
            One row per new point.
        """
        rows = np.atleast_2d(np.asarray(rows, dtype=float))
        if rows.shape[1] != self._rows.shape[0]:
            raise ValueError(
                f"rows must have {self._rows.shape[0]} columns (one per fitted "
                f"point), got {rows.shape[1]}."
            )
        K = self._affinity_rows(rows)
        deg = K.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            Wa = K / np.outer(deg**self.alpha, self._degree**self.alpha)
            P = Wa / Wa.sum(axis=1, keepdims=True)
        P = np.nan_to_num(P, nan=0.0)
        return (P @ self._psi) / self.eigenvalues_ * self.scales_


def diffusion_map_embedding(
    A,
    n_components=10,
    *,
    alpha=0.5,
    diffusion_time=0,
    sparsity=0.9,
    kernel="normalized_angle",
    random_state=None,
    return_eigenvalues=False,
):
    """Compute the gradients of a connectome: its diffusion-map embedding.

    The method and defaults of BrainSpace's ``GradientMaps`` (diffusion maps,
    normalised-angle kernel, 90 % of each row sparsified, ``alpha=0.5``,
    multi-scale ``diffusion_time=0``), computed independently with an exact
    dense eigensolver of the symmetric conjugate of the Markov matrix.
    BrainSpace runs a symmetric Lanczos solver (``eigsh``) on the
    non-symmetric Markov matrix, so its gradients agree with these to about
    three decimals (correlation > 0.999 on the MPI-LEMON connectome), not
    exactly.

    Conventions: gradient 1 has the largest eigenvalue; each eigenvector has
    Euclidean norm ``sqrt(n)`` before it is multiplied by ``lambda / (1 -
    lambda)`` (``diffusion_time=0``) or ``lambda ** diffusion_time``; its
    entry of largest magnitude is positive.

    Parameters
    ----------
    A : array-like of shape (n, n)
        Connectome, or any region x region similarity (rows are compared by
        ``kernel``).
    n_components : int, default=10
        Number of gradients.
    alpha : float, default=0.5
        Anisotropic diffusion parameter in ``[0, 1]``.
    diffusion_time : float, default=0
        0 for the multi-scale diffusion map, else the diffusion time.
    sparsity : float, default=0.9
        Fraction of the smallest entries of each row set to zero.
    kernel : {"normalized_angle", "cosine", "pearson", None}, default="normalized_angle"
        Row similarity; None uses ``A`` itself (sparsified, symmetrised).
    random_state : int, RandomState instance or None, default=None
        Start vector of the iterative eigensolver used above 3000 points.
    return_eigenvalues : bool, default=False
        Also return the scaled eigenvalues (BrainSpace's ``lambdas_``).

    Returns
    -------
    gradients : ndarray of shape (n, n_components)
        One row per point (row of ``A``), one column per gradient.
    lambdas : ndarray of shape (n_components,)
        The eigenvalue factors, only with ``return_eigenvalues=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.models import diffusion_map_embedding
    >>> rng = np.random.default_rng(0)
    >>> A = np.corrcoef(rng.normal(size=(40, 60)))
    >>> diffusion_map_embedding(A, n_components=3).shape
    (40, 3)
    """
    dm = DiffusionMap(
        n_components,
        alpha=alpha,
        diffusion_time=diffusion_time,
        sparsity=sparsity,
        kernel=kernel,
        random_state=random_state,
    ).fit(A)
    if return_eigenvalues:
        return dm.embedding_, dm.scales_
    return dm.embedding_


# -- reference gradients mapped by position -----------------------------------
_METHODS = ("nearest", "weighted")


@functools.lru_cache(maxsize=8)
def _reference_embedding(source, n_gradients, data_home):
    from connpredict.datasets import load_reference_connectome

    ref = load_reference_connectome(source, data_home=data_home)
    grads = diffusion_map_embedding(ref.connectome.to_numpy(), n_gradients)
    return ref.regions.to_numpy(dtype=float), grads


def region_gradients(
    regions,
    source="lemon-fc",
    *,
    n_gradients=3,
    method="nearest",
    n_neighbors=4,
    max_distance=20.0,
    coord_columns=("x", "y", "z"),
    data_home=None,
):
    """Carry the gradients of a reference connectome onto regions by position.

    The reference connectome (MPI-LEMON functional, or HCP structural
    connectivity: :func:`connpredict.datasets.load_reference_connectome`) is
    embedded with :func:`diffusion_map_embedding`; each of ``regions`` then
    takes the gradients of the reference region nearest to its MNI
    coordinates (``method="nearest"``), or the inverse-distance-weighted mean
    (weights ``1 / max(d, 1 mm)``) of its ``n_neighbors`` nearest reference
    regions (``"weighted"``). Nothing here depends on a target connectome.

    Parameters
    ----------
    regions : DataFrame
        One row per region with the coordinate columns (MNI mm); e.g. ``X``.
    source : {"lemon-fc", "lemon-fc-183", "hcp-sc"}, default="lemon-fc"
        The reference connectome.
    n_gradients : int, default=3
        Number of gradients.
    method : {"nearest", "weighted"}, default="nearest"
        How reference gradients are carried onto the regions.
    n_neighbors : int, default=4
        Reference regions averaged by ``method="weighted"``.
    max_distance : float, default=20.0
        A region farther than this (mm) from every reference region is not
        covered by the reference, which raises.
    coord_columns : tuple of str, default=("x", "y", "z")
        Names of the coordinate columns.
    data_home : str or path-like, default=None
        See :func:`connpredict.datasets.get_data_home`.

    Returns
    -------
    gradients : DataFrame of shape (n_regions, n_gradients)
        Columns ``gradient_1`` ... , index of ``regions``.

    Raises
    ------
    ValueError
        When ``regions`` lacks coordinates, or some regions lie farther than
        ``max_distance`` from the reference (they are named).

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.models import region_gradients
    >>> region_gradients(pd.DataFrame({"gene": [1.0]}))
    Traceback (most recent call last):
    ...
    ValueError: region_gradients needs the MNI coordinates of the regions ...
    """
    cols = list(coord_columns)
    if not isinstance(regions, pd.DataFrame) or not all(
        c in regions.columns for c in cols
    ):
        raise ValueError(
            "region_gradients needs the MNI coordinates of the regions (columns "
            f"{cols}) to place them on the reference {source!r}; add them, or "
            "pass your own per-region gradients (a DataFrame) or "
            "gradients='expression'."
        )
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}.")
    coords = regions[cols].to_numpy(dtype=float)
    if not np.all(np.isfinite(coords)):
        missing = regions.index[~np.isfinite(coords).all(axis=1)][:10].tolist()
        raise ValueError(
            f"Regions {missing} have no coordinates (NaN); gradients from a "
            "reference connectome are placed by position."
        )
    ref_xyz, ref_grads = _reference_embedding(
        source, int(n_gradients), None if data_home is None else str(data_home)
    )
    tree = cKDTree(ref_xyz)
    k = 1 if method == "nearest" else min(int(n_neighbors), len(ref_xyz))
    dist, idx = tree.query(coords, k=k)
    dist = dist.reshape(len(coords), -1)
    idx = idx.reshape(len(coords), -1)
    far = dist[:, 0] > max_distance
    if far.any():
        names = regions.index[far].tolist()
        raise ValueError(
            f"The reference connectome {source!r} does not cover {len(names)} "
            f"region(s): {names[:10]}{' ...' if len(names) > 10 else ''} lie "
            f"more than max_distance={max_distance} mm from every reference "
            "region. Use another reference (e.g. 'hcp-sc' has subcortical and "
            "cerebellar regions), drop those regions, or pass your own gradients."
        )
    weights = 1.0 / np.maximum(dist, 1.0)
    weights /= weights.sum(axis=1, keepdims=True)
    values = np.einsum("rk,rkg->rg", weights, ref_grads[idx])
    return pd.DataFrame(
        values,
        index=regions.index,
        columns=[f"gradient_{i + 1}" for i in range(values.shape[1])],
    )

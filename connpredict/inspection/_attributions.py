"""Exact and gradient-based gene attributions of fitted models.

- :func:`bilinear_attributions`: the bilinear model is a quadratic form in
  the genes (its encoders are affine), so its interaction matrix can be
  written over genes exactly, and each pair's prediction split exactly into
  per-gene parts.
- :func:`pls_loadings`: PLS gene weights with bootstrap confidence intervals
  over regions.
- :func:`integrated_gradients`: path attributions of a neural model's pair
  predictions to the genes (torch, imported lazily).
"""

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import check_is_fitted

from connpredict.utils import (
    COORD_COLUMNS,
    check_connectome,
    check_regions_X,
    import_optional,
    split_features,
)
from connpredict.utils._checks import check_int


# -- bilinear ----------------------------------------------------------------------
def _encoder_affine(model, train_genes):
    """``(mu, T)`` with ``encode(g) = (g - mu) @ T`` (before the constant)."""
    encoder = model.encoder_
    d = train_genes.shape[1]
    if encoder is None:
        return np.zeros(d), None  # identity
    if isinstance(encoder, PCA):
        if encoder.whiten:
            T = encoder.components_.T / np.sqrt(encoder.explained_variance_)
        else:
            T = encoder.components_.T
        mu = encoder.mean_
    elif isinstance(encoder, PLSRegression):
        R = encoder.x_rotations_
        if getattr(model, "projection", "transform") == "rotations":
            mu, T = np.zeros(d), R
        else:
            mu = train_genes.mean(axis=0)
            sd = train_genes.std(axis=0, ddof=1) if encoder.scale else np.ones(d)
            sd = np.where(sd == 0, 1.0, sd)
            T = R / sd[:, None]
    else:  # pragma: no cover - the model accepts no other encoder
        raise TypeError(f"Unsupported encoder {type(encoder).__name__}.")
    # the encoder's own embedding of the training regions must match
    if isinstance(encoder, PCA) or getattr(model, "projection", "") != "rotations":
        expected = encoder.transform(train_genes)
    else:
        expected = train_genes @ encoder.x_rotations_
    if not np.allclose((train_genes - mu) @ T, expected, rtol=1e-6, atol=1e-8):
        raise RuntimeError(  # pragma: no cover - a change in the encoder
            "Could not express the fitted encoder as an affine map of the genes."
        )
    return mu, T


def bilinear_attributions(estimator, X=None, *, n_interactions=100):
    """Exact gene attributions of a fitted bilinear model.

    A fitted :class:`~connpredict.models.BilinearRegressor` or
    :class:`~connpredict.models.PLSBilinearRegressor` predicts
    ``y_ij = z_i^T W z_j + b (+ distance term)`` with an affine encoder
    ``z = (g - mu) T (+ a constant)`` of the genes ``g``. Back-projected
    through the encoder::

        y_ij = u_i^T G u_j + l^T u_i + l^T u_j + c (+ distance term),

    with ``u = g - mu``, the gene x gene interaction matrix
    ``G = T W_s T^T`` (``W_s`` the symmetric part of ``W``), per-gene main
    effects ``l`` (from the constant of ``linear_terms=True``; zero without
    it) and an offset ``c``. The prediction of a pair splits exactly into
    per-gene parts ``phi_a(i, j) = (u_ia (G u_j)_a + u_ja (G u_i)_a) / 2
    + l_a (u_ia + u_ja)``, which sum to ``y_ij - c - distance term``.

    Parameters
    ----------
    estimator : BilinearRegressor or PLSBilinearRegressor
        Fitted, with ``rank=None`` or a low-rank ``W`` (any encoder).
    X : DataFrame, default=None
        Regions whose pairs are attributed (default: the training regions,
        ``estimator.X_train_``).
    n_interactions : int or None, default=100
        Size of the interaction matrix returned: among the ``n_interactions``
        genes with the largest scores (all genes when None; the full matrix
        has ``n_genes**2`` entries).

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        - ``gene_scores`` : Series, root mean square of ``phi_a`` over the
          pairs ``i < j`` of ``X``, sorted decreasingly.
        - ``interactions`` : DataFrame, ``G`` among the top genes.
        - ``main_effects`` : Series ``l``; ``offset`` : float ``c``;
          ``center`` : Series ``mu``.
        - ``factor`` (genes x r) and ``core`` (r x r), with
          ``G = factor @ core @ factor.T`` for every gene (not formed).
        - ``distance_coef`` and ``distance_length``: the distance term
          ``coef * exp(-d / length)`` (None without ``use_distance``).

    See Also
    --------
    permutation_importance : Model-agnostic importances on held-out pairs.

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.inspection import bilinear_attributions
    >>> from connpredict.models import BilinearRegressor
    >>> ds = make_synthetic_connectome(n_regions=30, n_genes=8, random_state=0)
    >>> model = BilinearRegressor(alpha=1.0).fit(ds.X, ds.Y)
    >>> res = bilinear_attributions(model)
    >>> res.interactions.shape
    (8, 8)
    """
    check_is_fitted(estimator, "components_")
    if not hasattr(estimator, "encoder_"):
        raise TypeError(
            "bilinear_attributions needs a fitted BilinearRegressor or "
            f"PLSBilinearRegressor, got {type(estimator).__name__}."
        )
    coord_columns = tuple(getattr(estimator, "coord_columns", COORD_COLUMNS))
    X_train = estimator.X_train_
    names = [c for c in X_train.columns if c not in set(coord_columns)]
    train_genes, _ = split_features(X_train, coord_columns)
    mu, T = _encoder_affine(estimator, train_genes)
    V = estimator.components_
    core = estimator.core_
    const = estimator.linear_const_
    k = V.shape[0] - (1 if const is not None else 0)
    Vg = V[:k]  # rows of the gene embedding
    factor = Vg if T is None else T @ Vg
    core_s = (core + core.T) / 2
    if const is not None:
        t0 = V[k] * const  # the constant's row of the embedding, times V
        main = factor @ core_s @ t0
        offset = float(t0 @ core_s @ t0) + estimator.intercept_
    else:
        main = np.zeros(len(names))
        offset = float(estimator.intercept_)

    X = X_train if X is None else check_regions_X(X, coord_columns=coord_columns)
    genes, _ = split_features(X, coord_columns)
    U = genes - mu
    # phi_a(i, j) = (u_ia k_ja + u_ja k_ia) / 2 with k = G u + 2 l
    K = (U @ factor) @ core_s @ factor.T + 2 * main
    n = U.shape[0]
    # sum over ordered pairs i != j of phi_a(i, j)^2, from sums over regions
    s_uu = np.sum(U**2, axis=0)
    s_kk = np.sum(K**2, axis=0)
    s_uk = np.sum(U * K, axis=0)
    total = 0.25 * (2 * s_uu * s_kk + 2 * s_uk**2)
    diagonal = np.sum((U * K) ** 2, axis=0)
    n_ordered = max(n * (n - 1), 1)
    rms = np.sqrt(np.clip(total - diagonal, 0.0, None) / n_ordered)
    scores = pd.Series(rms, index=pd.Index(names, name="gene")).sort_values(
        ascending=False, kind="stable"
    )
    if n_interactions is None:
        top = names
    else:
        check_int(n_interactions, "n_interactions", low=1)
        top = list(scores.index[:n_interactions])
    pos = [names.index(g) for g in top]
    F = factor[pos]
    interactions = pd.DataFrame(F @ core_s @ F.T, index=top, columns=top)
    return Bunch(
        gene_scores=scores,
        interactions=interactions,
        main_effects=pd.Series(main, index=pd.Index(names, name="gene")),
        offset=offset,
        center=pd.Series(mu, index=pd.Index(names, name="gene")),
        factor=pd.DataFrame(factor, index=pd.Index(names, name="gene")),
        core=core_s,
        distance_coef=estimator.coords_coef_,
        distance_length=estimator.decay_lambda_,
    )


# -- PLS -----------------------------------------------------------------------------
def _pls_rotations(genes, target, n_components, scale):
    pls = PLSRegression(n_components=n_components, scale=scale).fit(genes, target)
    return pls.x_rotations_


def pls_loadings(
    X,
    Y,
    *,
    n_components=2,
    n_bootstraps=200,
    confidence_level=0.95,
    scale=True,
    random_state=None,
    n_jobs=None,
    coord_columns=COORD_COLUMNS,
):
    """PLS gene weights from genes to connectivity, with bootstrap intervals.

    A PLS regression from the regions' genes (samples = regions) to their
    connectivity rows (the targets; the diagonal, which is not data, is
    replaced by each column's off-diagonal mean), as the
    PLS-bilinear encoder fits it. The gene weights are the
    ``x_rotations_`` (region scores = standardised genes @ weights).
    Regions are resampled with replacement ``n_bootstraps`` times and PLS
    refitted; each bootstrap component is sign-aligned with the full-data
    one (components are not reordered).

    Parameters
    ----------
    X : DataFrame of shape (n_regions, n_features)
        Genes (coordinate columns are ignored).
    Y : DataFrame of shape (n_regions, n_regions)
        Connectome, labelled like ``X``.
    n_components : int, default=2
        PLS components.
    n_bootstraps : int, default=200
        Bootstrap resamples of the regions.
    confidence_level : float, default=0.95
        Level of the percentile intervals.
    scale : bool, default=True
        Standardise genes and targets (as ``PLSRegression(scale=True)``).
    random_state : int, RandomState instance or None, default=None
        Seed of the resamples.
    n_jobs : int, default=None
        Bootstrap refits in parallel (joblib).
    coord_columns : tuple of str, default=("x", "y", "z")
        Coordinate columns of ``X``.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``weights``, ``ci_low``, ``ci_high``, ``bootstrap_sd`` and
        ``bootstrap_ratio`` (weight / bootstrap SD, the usual stability
        score): DataFrames genes x components (``PLS1``...);
        ``bootstrap_weights``: ndarray (n_bootstraps, n_genes, n_components).

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.inspection import pls_loadings
    >>> ds = make_synthetic_connectome(n_regions=30, n_genes=8, random_state=0)
    >>> res = pls_loadings(ds.X, ds.Y, n_components=1, n_bootstraps=20,
    ...                    random_state=0)
    >>> res.weights.shape
    (8, 1)
    """
    X = check_regions_X(X, coord_columns=coord_columns)
    Y = check_connectome(Y)
    if isinstance(Y.index, pd.RangeIndex) and len(Y) == len(X):
        Y.index = Y.columns = X.index
    Y = Y.loc[X.index, X.index]
    genes, _ = split_features(X, coord_columns)
    names = [c for c in X.columns if c not in set(coord_columns)]
    if not 0 < confidence_level < 1:
        raise ValueError(
            f"confidence_level must be in (0, 1), got {confidence_level!r}."
        )
    check_int(n_bootstraps, "n_bootstraps", low=2)
    target = Y.to_numpy(dtype=float).copy()
    n = len(target)
    np.fill_diagonal(target, 0.0)
    np.fill_diagonal(target, target.sum(axis=0) / (n - 1))
    full = _pls_rotations(genes, target, n_components, scale)
    rng = check_random_state(random_state)
    samples = [rng.randint(n, size=n) for _ in range(n_bootstraps)]
    boot = Parallel(n_jobs=n_jobs)(
        delayed(_pls_rotations)(genes[s], target[s], n_components, scale)
        for s in samples
    )
    boot = np.stack(boot)
    signs = np.sign(np.einsum("bgc,gc->bc", boot, full))
    signs[signs == 0] = 1.0
    boot = boot * signs[:, None, :]
    tail = (1 - confidence_level) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail], axis=0)
    sd = boot.std(axis=0, ddof=1)
    cols = [f"PLS{k + 1}" for k in range(full.shape[1])]
    idx = pd.Index(names, name="gene")

    def frame(a):
        return pd.DataFrame(a, index=idx, columns=cols)

    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = full / sd
    return Bunch(
        weights=frame(full),
        ci_low=frame(low),
        ci_high=frame(high),
        bootstrap_sd=frame(sd),
        bootstrap_ratio=frame(ratio),
        bootstrap_weights=boot,
    )


# -- neural models ------------------------------------------------------------------
def _check_plain_inputs(estimator):
    """Refuse models whose network inputs are not the standardised genes and x, y, z."""
    encoder = getattr(estimator, "encoder", None)
    position = getattr(estimator, "region_position", "xyz")
    if encoder is not None or position != "xyz":
        what = (
            f"encoder={type(encoder).__name__}"
            if encoder is not None
            else f"region_position={position!r}"
        )
        raise ValueError(
            f"integrated_gradients supports neural models fed the standardised "
            f"genes and coordinates; this {type(estimator).__name__} has {what}, "
            "whose network inputs differ. Use permutation_importance (model-"
            "agnostic) for it, or refit without that option."
        )


def integrated_gradients(estimator, X, pairs=None, *, n_steps=50, batch_size=256):
    """Attribute a neural model's pair predictions to genes (integrated gradients).

    For a region pair ``(i, j)`` the model's prediction is a function
    ``f(g_i, g_j)`` of the two regions' (standardised) gene maps, their
    coordinates held fixed. Integrated gradients (Sundararajan et al., 2017)
    attribute ``f(g_i, g_j) - f(b, b)``, with the baseline ``b`` the mean
    training region (0 after standardisation), to each gene ``a``::

        phi_a = sum over r in {i, j} of (g_ra - b_a) * mean_k df/dg_ra(b + s_k (g - b))

    along the straight path, with the midpoint rule over ``n_steps``
    points ``s_k = (k + 1/2) / n_steps``. The attributions of a pair sum to
    ``f(g_i, g_j) - f(b, b)`` up to the quadrature error, which vanishes as
    ``n_steps`` grows (the completeness axiom; ``delta`` reports it).

    Parameters
    ----------
    estimator : PairMLPRegressor or SMTRegressor
        A fitted neural connectome regressor (ensembles: the average of the
        members' attributions, which is the attribution of the averaged
        prediction).
    X : DataFrame of shape (n_regions, n_features)
        Regions (genes and the coordinates the model uses).
    pairs : array-like of shape (n_pairs, 2), default=None
        Row positions in ``X`` of the pairs to attribute (default: every
        pair ``i < j``). Each pair costs ``2 n_steps`` encoder passes with
        gradients.
    n_steps : int, default=50
        Quadrature points on the path.
    batch_size : int, default=256
        Pairs per forward/backward pass.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        - ``attributions`` : DataFrame (pairs x genes), in connectivity units.
        - ``gene_scores`` : Series, mean ``|phi_a|`` over the pairs, sorted.
        - ``pairs`` : ndarray (n_pairs, 2); ``prediction`` and
          ``baseline_prediction`` : ndarrays (n_pairs,) of ``f(x)`` and
          ``f(b)``; ``delta`` : ndarray, ``sum_a phi_a - (f(x) - f(b))``.

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.inspection import integrated_gradients
    >>> from connpredict.models import PairMLPRegressor
    >>> ds = make_synthetic_connectome(n_regions=12, n_genes=4, random_state=0)
    >>> model = PairMLPRegressor(hidden_dims=(8,), max_iter=2, n_ensemble=1,
    ...                          random_state=0).fit(ds.X, ds.Y)
    >>> res = integrated_gradients(model, ds.X, pairs=[[0, 1], [2, 3]], n_steps=8)
    >>> res.attributions.shape
    (2, 4)
    """
    torch = import_optional("torch", "integrated_gradients")

    check_is_fitted(estimator, "net_")
    check_int(n_steps, "n_steps", low=1)
    _check_plain_inputs(estimator)
    coord_columns = tuple(getattr(estimator, "coord_columns", COORD_COLUMNS))
    X = check_regions_X(X, coord_columns=coord_columns)
    n = X.shape[0]
    if pairs is None:
        pairs = np.column_stack(np.triu_indices(n, k=1))
    pairs = np.asarray(pairs, dtype=np.intp).reshape(-1, 2)
    if pairs.size and (pairs.min() < 0 or pairs.max() >= n):
        raise ValueError(f"pairs must hold row positions in [0, {n}).")
    names = [c for c in X.columns if c not in set(coord_columns)]
    genes, coords = split_features(X, coord_columns)
    g = torch.as_tensor(
        (genes - estimator.gene_mean_) / estimator.gene_scale_, dtype=torch.float32
    )
    c = None
    if getattr(estimator, "coord_mean_", None) is not None:
        c = torch.as_tensor(
            (coords - estimator.coord_mean_) / estimator.coord_scale_,
            dtype=torch.float32,
        )
    nets = getattr(estimator, "nets_", None) or [estimator.net_]
    alphas = torch.as_tensor((np.arange(n_steps) + 0.5) / n_steps, dtype=torch.float32)
    attr = np.zeros((len(pairs), g.shape[1]))
    f_x = np.zeros(len(pairs))
    f_b = np.zeros(len(pairs))
    for net in nets:
        module = net.module_
        module.eval()
        device = net.device
        for start in range(0, len(pairs), batch_size):
            sl = pairs[start : start + batch_size]
            m = len(sl)
            gi = g[sl[:, 0]].to(device)
            gj = g[sl[:, 1]].to(device)
            ci = None if c is None else c[sl[:, 0]].to(device)
            cj = None if c is None else c[sl[:, 1]].to(device)

            def f(a, b, ci=ci, cj=cj, module=module):
                return module.decode(module.encode(a, ci), module.encode(b, cj), ci, cj)

            with torch.no_grad():
                f_x[start : start + m] += f(gi, gj).double().cpu().numpy().ravel()
                zero = torch.zeros_like(gi)
                f_b[start : start + m] += f(zero, zero).double().cpu().numpy().ravel()
            grad_sum = torch.zeros_like(gi)
            for a in alphas.to(device):
                pa = (a * gi).detach().requires_grad_(True)
                pb = (a * gj).detach().requires_grad_(True)
                out = f(pa, pb).sum()
                da, db = torch.autograd.grad(out, (pa, pb))
                grad_sum += (gi * da + gj * db).detach()
            attr[start : start + m] += (grad_sum / n_steps).double().cpu().numpy()
    k = len(nets)
    # back to connectivity units: the nets predict standardised targets
    scale = float(estimator.y_scale_)
    attr = attr / k * scale
    f_x = f_x / k * scale + estimator.y_mean_
    f_b = f_b / k * scale + estimator.y_mean_
    labels = X.index
    index = pd.MultiIndex.from_arrays(
        [labels[pairs[:, 0]], labels[pairs[:, 1]]], names=["region_i", "region_j"]
    )
    attributions = pd.DataFrame(attr, index=index, columns=pd.Index(names, name="gene"))
    scores = attributions.abs().mean(axis=0).sort_values(ascending=False, kind="stable")
    return Bunch(
        attributions=attributions,
        gene_scores=scores,
        pairs=pairs,
        prediction=f_x,
        baseline_prediction=f_b,
        delta=attr.sum(axis=1) - (f_x - f_b),
    )

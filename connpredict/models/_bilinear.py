"""Bilinear connectome models ``y_ij = z_i^T W z_j + b``.

``z`` is a region embedding: the genes themselves, their principal
components or PLS scores (fitted on the training regions only). ``W`` is
either a full matrix fitted in closed form (ridge, on the SVD of ``Z``; see
:mod:`connpredict.models._linalg`) or a low-rank symmetric matrix
``P diag(signs) P^T`` refined by L-BFGS with early stopping on held-out
training regions.
"""

import numbers
import warnings
from types import MappingProxyType

import numpy as np
from scipy.optimize import minimize
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA

from connpredict.models._base import BaseConnectomeRegressor
from connpredict.models._linalg import (
    PENALTIES,
    check_gene_magnitude,
    default_alphas,
    fit_bilinear_ridge,
    lowrank_init,
    lowrank_objective,
    ridge_path,
    thin_svd,
)
from connpredict.models._rules import fit_exponential_decay, pairwise_distances
from connpredict.utils._checks import (
    check_bool,
    check_choice,
    check_count_or_fraction,
    check_float,
    check_int,
)
from connpredict.utils._contract import COORD_COLUMNS, gene_columns, pair_indices
from connpredict.utils._stats import draw_seed

__all__ = ["BilinearRegressor"]

_ENCODERS = (None, "pca", "pls")


def _fill_diagonal_with_column_means(Y):
    """Copy of ``Y`` whose diagonal holds each column's off-diagonal mean."""
    Y = np.array(Y, dtype=float)
    n = Y.shape[0]
    if n > 1:
        # the given diagonal (possibly NaN: it is never data) is not used
        np.fill_diagonal(Y, 0.0)
        np.fill_diagonal(Y, Y.sum(axis=0) / (n - 1))
    return Y


def _check_alpha(alpha, alphas):
    """A ridge strength >= 0 or "gcv"/"cv", and a grid of values >= 0."""
    if isinstance(alpha, str):
        check_choice(alpha, "alpha (a float >= 0 or a name)", ("gcv", "cv"))
    else:
        check_float(alpha, "alpha", low=0)
    if alphas is not None:
        grid = np.asarray(alphas, dtype=float)
        if grid.ndim != 1 or grid.size == 0 or np.any(grid < 0):
            raise ValueError("alphas must be a non-empty 1-D array of values >= 0.")


def _check_cv(cv):
    """None, an int >= 2 or a cross-validator (an object with ``split``)."""
    if cv is None or (hasattr(cv, "split") and not isinstance(cv, str)):
        return
    what = "None, an int >= 2 or a cross-validator"
    if isinstance(cv, (bool, np.bool_)) or not isinstance(cv, numbers.Integral):
        raise TypeError(f"cv must be {what}, got {cv!r}.")
    if cv < 2:
        raise ValueError(f"cv must be {what}, got {cv!r}.")


def _closed_form(Z, Y_block, offsets, alpha, st):
    """Ridge fit of ``W`` (and the offsets' coefficients) in closed form.

    Returns the state entries ``V``, ``core``, ``intercept``, ``beta``,
    ``alpha``, ``gcv_scores`` and ``n_iter``. With ``intercept="residual"``
    ``W`` is fitted without an intercept and ``b`` is the mean residual.
    """
    residual_intercept = st["intercept"] == "residual"
    res = fit_bilinear_ridge(
        Z,
        Y_block,
        alpha=alpha,
        alphas=st["alphas"],
        penalty=st["penalty"],
        diagonal=st["diagonal"],
        offsets=offsets,
        fit_intercept=not residual_intercept,
    )
    if residual_intercept:
        # the research's b = mean(Y - Z W Z^T) after fitting W without it
        A = Z @ res["V"]
        fitted = A @ res["core"] @ A.T
        for b, K in zip(res["beta"], offsets):
            fitted = fitted + b * K
        resid = Y_block - fitted
        if st["diagonal"] == "impute":
            resid = resid[~np.eye(len(resid), dtype=bool)]
        res["intercept"] = float(np.mean(resid))
    keys = ("V", "core", "intercept", "beta", "alpha", "gcv_scores", "n_iter")
    return {key: res[key] for key in keys}


def _refine_lowrank(state, Z, Y_block, offsets, st, *, n_lbfgs=None, monitor=None):
    """Low-rank refinement of a closed-form ``state`` by L-BFGS.

    ``W = P diag(signs) P^T`` starts from the best rank-r approximation of
    the closed-form solution; ``monitor`` and ``n_lbfgs`` as in
    ``_BilinearBase._fit_state``.
    """
    P, signs = lowrank_init(state["V"], state["core"], st["rank"])
    n = Z.shape[0]
    mask = np.ones((n, n))
    if st["diagonal"] == "impute":
        np.fill_diagonal(mask, 0.0)
    target = Y_block - sum(
        (b * K for b, K in zip(state["beta"], offsets)), np.zeros_like(Y_block)
    )
    n_norm = max(mask.sum(), 1.0)
    d, r = P.shape

    def to_state(theta):
        s = dict(state)
        s.update(V=theta[:-1].reshape(d, r), core=np.diag(signs), intercept=theta[-1])
        return s

    theta0 = np.concatenate([P.ravel(), [state["intercept"]]])
    history = []
    if monitor is not None:
        history.append(monitor(to_state(theta0)))
    maxiter = st["max_iter"] if n_lbfgs is None else n_lbfgs
    theta = theta0
    if maxiter > 0:
        patience = st["n_iter_no_change"]

        def callback(intermediate_result):
            if monitor is None:
                return
            history.append(monitor(to_state(intermediate_result.x)))
            best = int(np.argmin(history))
            if patience is not None and len(history) - 1 - best >= patience:
                raise StopIteration

        opt = minimize(
            lowrank_objective,
            theta0,
            args=(Z, target, mask, signs, state["alpha"], n_norm),
            jac=True,
            method="L-BFGS-B",
            callback=callback,
            options={"maxiter": maxiter},
        )
        theta = opt.x
        state["n_iter"] = int(opt.nit)
    else:
        state["n_iter"] = 0
    state = to_state(theta)
    state["history"] = history
    return state


class _BilinearBase(BaseConnectomeRegressor):
    """Fitting engine shared by the bilinear and PLS-bilinear regressors.

    Its settings are the estimator's parameters (``get_params()``, by the
    names the user typed) completed by the class's ``_FIXED_SETTINGS``, the
    settings that the class does not expose (e.g. ``PLSBilinearRegressor``
    always has ``encoder="pls"`` and ``rank=None``). The keys are
    ``encoder``, ``n_components``, ``rank``, ``alpha``, ``alphas``,
    ``penalty``, ``diagonal``, ``linear_terms``, ``intercept``,
    ``projection``, ``use_distance``, ``mirror``, ``scale``,
    ``pls_max_iter``, ``max_iter``, ``n_iter_no_change``, ``validation_cv``,
    ``cv``, ``random_state`` and ``coord_columns``.
    """

    _requires_genes = True
    _FIXED_SETTINGS = MappingProxyType({})

    @property
    def _requires_coords(self):
        return bool(getattr(self, "use_distance", False))

    # -- parameters -------------------------------------------------------------
    def _settings(self):
        """The estimator's parameters, completed by the fixed settings."""
        return {**self._FIXED_SETTINGS, **self.get_params(deep=False)}

    def _check_params(self):
        """Check the settings (see utils._checks) and return them."""
        st = self._settings()
        check_choice(st["encoder"], "encoder", _ENCODERS)
        if st["encoder"] == "pca":
            check_count_or_fraction(st["n_components"], "n_components")
        elif st["encoder"] == "pls":
            check_int(st["n_components"], "n_components", low=1)
        check_int(st["rank"], "rank", low=1, none_ok=True)
        _check_alpha(st["alpha"], st["alphas"])
        for name, allowed in (
            ("penalty", PENALTIES),
            ("intercept", ("joint", "residual")),
            ("projection", ("transform", "rotations")),
            ("diagonal", ("impute", "include", "zero")),
        ):
            check_choice(st[name], name, allowed)
        check_int(st["max_iter"], "max_iter", low=0)
        check_int(st["n_iter_no_change"], "n_iter_no_change", low=1, none_ok=True)
        _check_cv(st["cv"])
        for name in ("use_distance", "linear_terms", "scale", "mirror"):
            st[name] = check_bool(st[name], name)
        return st

    # -- encoder ----------------------------------------------------------------
    def _fit_encoder(self, genes, Y_block, st):
        n, d = genes.shape
        if st["encoder"] is None:
            return None
        nc = st["n_components"]
        if st["encoder"] == "pca" and not isinstance(nc, numbers.Integral):
            # a fraction: the fewest components explaining that much variance
            return PCA(n_components=float(nc), svd_solver="full").fit(genes)
        k = min(nc, n - 1 if st["encoder"] == "pls" else n, d)
        k = max(k, 1)
        if st["encoder"] == "pca":
            return PCA(n_components=k, svd_solver="full").fit(genes)
        pls = PLSRegression(
            n_components=k, scale=st["scale"], max_iter=st["pls_max_iter"]
        )
        target = Y_block
        if st["diagonal"] == "impute":
            target = _fill_diagonal_with_column_means(Y_block)
        return pls.fit(genes, target)

    def _encode(self, encoder, genes, const=None):
        if encoder is None:
            Z = genes
        elif self._settings()["projection"] == "rotations":
            # the research's uncentred scores: raw genes times x_rotations_
            Z = genes @ encoder.x_rotations_
        else:
            Z = encoder.transform(genes)
        if const is not None:
            Z = np.hstack([Z, np.full((Z.shape[0], 1), const)])
        return Z

    # -- one complete fit on a set of regions -------------------------------------
    def _coords(self, X):
        return X[list(self._coord_columns())].to_numpy(dtype=float)

    def _fit_state(self, X, Y_block, st, *, n_lbfgs=None, monitor=None):
        """Fit encoder, closed form and (optionally) the low-rank refinement.

        ``n_lbfgs`` caps the L-BFGS iterations (default ``max_iter``);
        ``monitor(state) -> float`` is called after every iteration (early
        stopping) and the list of its values returned in ``state``.
        """
        genes, _ = self._split(X)
        encoder = self._fit_encoder(genes, Y_block, st)
        Z = self._encode(encoder, genes)
        state = {"encoder": encoder, "lam": None, "const": None}
        if st["linear_terms"]:
            const = float(np.sqrt(np.mean(np.var(Z, axis=0))))
            state["const"] = const if const > 0 else 1.0
            Z = np.hstack([Z, np.full((Z.shape[0], 1), state["const"])])
        offsets = []
        if st["use_distance"]:
            coords = self._coords(X)
            rows, cols = pair_indices(len(coords))
            D = pairwise_distances(coords, coords, mirror=st["mirror"])
            lam, _ = fit_exponential_decay(D[rows, cols], Y_block[rows, cols])
            state["lam"] = lam
            offsets = [np.exp(-D / lam)]
        alpha = st["alpha"]
        state["cv_scores"] = None
        if alpha == "cv":
            alpha, state["cv_scores"] = self._cv_alpha(X, Z, Y_block, offsets, st)
        state.update(_closed_form(Z, Y_block, offsets, alpha, st))
        if st["rank"] is None:
            return state
        return _refine_lowrank(
            state, Z, Y_block, offsets, st, n_lbfgs=n_lbfgs, monitor=monitor
        )

    def _cv_alpha(self, X, Z, Y_block, offsets, st):
        """Ridge strength minimising the held-out-region MSE (inner CV).

        The training regions are split into folds (spatially compact ones when
        coordinates are present); for each fold and each ``alpha`` the model
        is fitted on the other regions (one SVD per fold) and scored by the
        squared error of the held-out block (pairs among held-out regions):
        the task the model is evaluated on, unlike generalised
        cross-validation, which treats region pairs as independent.
        """
        from connpredict.model_selection import RandomSplit, SpatialSplit

        n = Z.shape[0]
        grid = st["alphas"]
        if grid is None:
            grid = default_alphas(thin_svd(Z)[1], st["penalty"])
        grid = np.asarray(grid, dtype=float)
        cv = st["cv"]
        if cv is None or isinstance(cv, numbers.Integral):
            k = 5 if cv is None else int(cv)
            k = max(2, min(k, n // 3))
            seed = draw_seed(st["random_state"])
            if all(c in X.columns for c in self._coord_columns()):
                cv = SpatialSplit(
                    k,
                    method="kmeans",
                    coord_columns=self._coord_columns(),
                    random_state=seed,
                )
            else:
                cv = RandomSplit(k, random_state=seed)
        sse = np.zeros(len(grid))
        for tr, va in cv.split(X):
            if len(va) < 2 or len(tr) < 3:
                continue
            rows, cols = pair_indices(len(va))
            y_va = Y_block[np.ix_(va, va)][rows, cols]
            fits = ridge_path(
                Z[tr],
                Y_block[np.ix_(tr, tr)],
                grid,
                penalty=st["penalty"],
                offsets=[K[np.ix_(tr, tr)] for K in offsets],
            )
            for i, fit in enumerate(fits):
                A = Z[va] @ fit["V"]
                pred = A @ fit["core"] @ A.T + fit["intercept"]
                for b, K in zip(fit["beta"], offsets):
                    pred = pred + b * K[np.ix_(va, va)]
                sse[i] += np.sum((pred[rows, cols] - y_va) ** 2)
        return float(grid[int(np.argmin(sse))]), sse

    def _predict_state(self, state, Xa, Xb, st):
        ga, _ = self._split(Xa)
        gb, _ = self._split(Xb)
        A = self._encode(state["encoder"], ga, state["const"]) @ state["V"]
        B = self._encode(state["encoder"], gb, state["const"]) @ state["V"]
        out = A @ state["core"] @ B.T + state["intercept"]
        if state["lam"] is not None:
            D = pairwise_distances(
                self._coords(Xa), self._coords(Xb), mirror=st["mirror"]
            )
            out = out + state["beta"][0] * np.exp(-D / state["lam"])
        return out

    # -- BaseConnectomeRegressor hooks ---------------------------------------------
    def _fit(self, X, Y_block):
        st = self._check_params()
        genes, _ = self._split(X)
        names = gene_columns(X, self._coord_columns())
        check_gene_magnitude(genes, names, f"the {type(self).__name__}")
        if st["diagonal"] == "zero":
            # the research's load_connectome(diag=0): fit a zero diagonal,
            # whatever the given Y holds there
            Y_block = np.array(Y_block, dtype=float)
            np.fill_diagonal(Y_block, 0.0)
            st["diagonal"] = "include"
        if st["diagonal"] == "include" and not np.all(np.isfinite(np.diag(Y_block))):
            raise ValueError(
                "diagonal='include' fits the given diagonal of Y, but it holds NaN "
                "or infinite values; use diagonal='impute' (the default), which "
                "never reads it."
            )
        self.validation_scores_ = None
        if st["rank"] is not None and st["n_iter_no_change"] is not None:
            best_iter = self._early_stopping_iterations(X, Y_block, st)
        else:
            best_iter = None
        state = self._fit_state(X, Y_block, st, n_lbfgs=best_iter)
        self.best_iteration_ = best_iter
        self.encoder_ = state["encoder"]
        self.components_ = state["V"]
        self.core_ = state["core"]
        self.intercept_ = float(state["intercept"])
        self.alpha_ = float(state["alpha"])
        self.gcv_scores_ = state["gcv_scores"]
        self.cv_scores_ = state["cv_scores"]
        self.n_iter_ = int(state["n_iter"])
        self.decay_lambda_ = state["lam"]
        self.linear_const_ = state["const"]
        self.coords_coef_ = (
            float(state["beta"][0]) if state["lam"] is not None else None
        )
        self._st = st

    def _early_stopping_iterations(self, X, Y_block, st):
        """Number of L-BFGS iterations chosen on held-out training regions."""
        from connpredict.model_selection import validation_split

        seed = draw_seed(st["random_state"])
        tr, va = validation_split(
            X,
            cv=st["validation_cv"],
            random_state=seed,
            coord_columns=self._coord_columns(),
        )
        if len(va) < 2 or len(tr) < 3:
            self.validation_scores_ = None
            return None
        X_tr, X_va = X.iloc[tr], X.iloc[va]
        Y_tr = Y_block[np.ix_(tr, tr)]
        Y_va = Y_block[np.ix_(va, va)]
        rows, cols = pair_indices(len(va))
        y_va = Y_va[rows, cols]

        def monitor(state):
            pred = self._predict_state(state, X_va, X_va, st)
            return float(np.mean((pred[rows, cols] - y_va) ** 2))

        state = self._fit_state(X_tr, Y_tr, st, monitor=monitor)
        history = np.asarray(state["history"])
        self.validation_scores_ = history
        return int(np.argmin(history))

    def _predict_block(self, X_rows, X_cols):
        state = {
            "encoder": self.encoder_,
            "V": self.components_,
            "core": self.core_,
            "intercept": self.intercept_,
            "lam": self.decay_lambda_,
            "const": self.linear_const_,
            "beta": [self.coords_coef_],
        }
        return self._predict_state(state, X_rows, X_cols, self._st)

    def _spin_null_refitter(self, coord_columns=COORD_COLUMNS):
        """Closed-form refits for :func:`connpredict.nulls.spin_test`, or None.

        The hook spin_test looks for on an estimator: None, or a factory
        ``factory(X, Y, splits, gene_pos)`` whose result's ``batch(perms)``
        returns the held-out Pearson r of each fold after refitting on the
        genes permuted by each permutation (see
        :mod:`connpredict.models._bilinear_nulls`).
        """
        from connpredict.models._bilinear_nulls import bilinear_null_refitter

        return bilinear_null_refitter(self, coord_columns)

    @property
    def coef_(self):
        """Interaction matrix ``W`` (n_embedding, n_embedding), formed on demand.

        Prediction never forms it (it goes through ``components_`` and
        ``core_``); for thousands of genes it is large.
        """
        V = self.components_
        return V @ self.core_ @ V.T


class BilinearRegressor(_BilinearBase):
    """Bilinear model of connectivity between region embeddings.

    ``y_ij = z_i^T W z_j + b`` (optionally ``+ beta * exp(-d_ij / lambda)``;
    with ``linear_terms=True``, ``z`` ends with a constant, which adds
    per-region main effects),
    where ``z`` embeds a region's gene expression: the genes themselves
    (``encoder=None``), their principal components (``"pca"``) or PLS scores
    (``"pls"``; PLS from the training regions' genes to their connectivity
    rows). Encoders are fitted on the training regions only.

    With ``rank=None`` ``W`` is a full matrix fitted in closed form by ridge
    regression on the train x train block, through the SVD of the
    embeddings ``Z = U S V^T``: nothing of size ``n_pairs x n_features`` or
    ``n_features x n_features`` is formed (``W = V C V^T`` is kept as
    ``components_`` and the small ``core_``), so thousands of genes are
    cheap. ``penalty="frobenius"`` is the exact ridge
    ``min ||Y - Z W Z^T - b||^2 + alpha ||W||_F^2``; ``"separable"`` is the
    research system's ``W = A^-1 Z^T Y Z A^-1`` with ``A = Z^T Z + alpha I``.
    ``alpha="gcv"`` picks ``alpha`` by closed-form generalised
    cross-validation over ``alphas``, ``alpha="cv"`` by cross-validation over
    held-out training regions (one SVD per fold). The diagonal of ``Y`` is not data: by
    default the fit is exact on the off-diagonal entries (``diagonal=
    "impute"``, see :func:`connpredict.models._linalg.fit_bilinear_ridge`);
    ``"include"`` reproduces the research code, which fits the zero diagonal.
    ``b`` is the unpenalised intercept.

    With ``rank=r``, ``W = P diag(signs) P^T`` is symmetric of rank ``r``: it
    starts from the best rank-``r`` approximation of the closed-form
    solution (``signs`` are the signs of its leading eigenvalues, so ``W``
    need not be positive semi-definite) and is refined by L-BFGS on the
    off-diagonal squared error plus ``alpha ||W||_F^2``. Early stopping
    holds out training regions (:func:`connpredict.model_selection.
    validation_split` with ``validation_cv``), picks the iteration with the
    lowest validation MSE, then refits on all training regions for that
    many iterations.

    Parameters
    ----------
    encoder : {None, "pca", "pls"}, default="pca"
        Region embedding. ``"pls"`` is deprecated (a FutureWarning; removal
        in 0.3): use :class:`PLSBilinearRegressor`, the same model with its
        PLS settings (``scale``, ``pls_max_iter``, ``projection``) exposed.
    n_components : int or float, default=20
        Components of the PCA or PLS encoder (capped by the number of
        training regions and genes). For PCA a float in (0, 1) keeps the
        fewest components explaining that fraction of the training regions'
        variance (the research's ``0.95``).
    rank : int or None, default=None
        ``None`` for a full ``W`` (closed form), else the rank of ``W``.
    alpha : float, "gcv" or "cv", default="gcv"
        Ridge strength; ``"gcv"`` picks it from ``alphas`` by closed-form
        generalised cross-validation (fast, deterministic; it treats region
        pairs as independent, so with many raw genes it can under-regularise
        for new regions), ``"cv"`` by held-out-region cross-validation on the
        training regions (see ``cv``; recommended with ``encoder=None``).
    alphas : array-like, default=None
        Grid for ``alpha="gcv"`` or ``"cv"``; by default 30 log-spaced values
        scaled to the singular values of the embedding.
    penalty : {"frobenius", "separable"}, default="frobenius"
        Ridge penalty (see above).
    diagonal : {"impute", "include", "zero"}, default="impute"
        Fit off-diagonal entries only, also the given diagonal, or also a
        zero diagonal whatever ``Y`` holds there (``"zero"``: the research
        code, whose loader set the diagonal to 0 before fitting; with
        ``"include"`` a unit diagonal in ``Y`` would be fitted as data).
    linear_terms : bool, default=True
        Append a constant (the RMS standard deviation of the embedding's
        columns) to ``z``, so that ``W`` also holds per-region main effects
        ``w^T z_i + w^T z_j`` (how strongly a region connects overall).
        The research model has none (``False``); on centred embeddings (PCA,
        PLS) this term matters a lot (on hcp-schaefer100, 4 spatial folds,
        PCA-20: Pearson r 0.29 without, 0.54 with).
    intercept : {"joint", "residual"}, default="joint"
        ``"joint"``: ``b`` is fitted with ``W`` (unpenalised). ``"residual"``:
        ``W`` is fitted without an intercept and ``b`` is then the mean
        residual, as in the research code.
    use_distance : bool, default=False
        Use the distance between the two regions: add a distance-decay term
        ``beta * exp(-d_ij / lambda)``; ``lambda`` is fitted on the training
        pairs as in
        :class:`ExponentialDecayRegressor`, ``beta`` (unpenalised) jointly
        with ``W`` in closed form (the low-rank refinement keeps that
        ``beta``). Needs the coordinate columns.
    mirror : bool, default=True
        Mirror hemispheres (``|x|``) in the distance-decay term.
    max_iter : int, default=200
        Maximum L-BFGS iterations of the low-rank model.
    n_iter_no_change : int or None, default=10
        Early-stopping patience of the low-rank model (iterations without a
        better validation MSE); None disables early stopping and runs
        ``max_iter`` iterations.
    validation_cv : float, int, splitter or None, default=0.2
        Held-out training regions for early stopping of the low-rank model,
        as the ``cv`` of :func:`connpredict.model_selection.validation_split`
        (a float holds out that fraction of the regions, a spatially compact
        block when coordinates are given; None is the same as 0.2).
    cv : int, cross-validator or None, default=None
        Folds over the training regions for ``alpha="cv"``: an int ``k``
        gives ``SpatialSplit(k, method="kmeans")`` when ``X`` has
        coordinates, else ``RandomSplit(k)`` (None: ``k = 5``); each fold's
        model is scored by the squared error among its held-out regions. The
        folds share the encoder fitted on all training regions (for PLS,
        which saw the held-out regions' connectivity, this makes the inner
        scores somewhat optimistic; the outer test regions are never used).
    random_state : int, RandomState instance or None, default=None
        Seeds the early-stopping split and the ``alpha="cv"`` folds (the
        only random steps).
    coord_columns : tuple of str, default=("x", "y", "z")
        Names of the coordinate columns of ``X``; the other columns are genes.

    Attributes
    ----------
    encoder_ : PCA, PLSRegression or None
        Fitted encoder.
    components_ : ndarray of shape (n_embedding, k)
        ``V`` (closed form: right singular vectors of the embedding; low
        rank: ``P``).
    core_ : ndarray of shape (k, k)
        ``C`` in ``W = V C V^T`` (low rank: ``diag(signs)``).
    coef_ : ndarray of shape (n_embedding, n_embedding)
        ``W``, computed on access.
    intercept_ : float
        ``b``.
    alpha_ : float
        Ridge strength used.
    gcv_scores_ : ndarray of shape (n_alphas,) or None
        GCV score per grid value when ``alpha="gcv"``.
    cv_scores_ : ndarray of shape (n_alphas,) or None
        Held-out squared error per grid value when ``alpha="cv"``.
    linear_const_ : float or None
        The constant appended to the embedding (``linear_terms=True``).
    decay_lambda_ : float or None
        Length scale of the distance-decay term (``use_distance=True``).
    coords_coef_ : float or None
        ``beta`` of the distance-decay term.
    n_iter_ : int
        Diagonal-imputation iterations (closed form) or L-BFGS iterations
        (low rank) of the final fit.
    best_iteration_ : int or None
        L-BFGS iterations chosen by early stopping.
    validation_scores_ : ndarray or None
        Validation MSE per L-BFGS iteration of the early-stopping run.
    n_features_in_ : int
        Number of columns of ``X`` seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X`` seen in fit.

    See Also
    --------
    PLSBilinearRegressor : The research system's PLS + bilinear decoder.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.models import BilinearRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(30, 5)))
    >>> W = rng.normal(size=(5, 5))
    >>> Y = X.to_numpy() @ (W + W.T) @ X.to_numpy().T
    >>> model = BilinearRegressor(encoder=None, alpha=0.0, linear_terms=False)
    >>> model = model.fit(X, Y)
    >>> bool(np.allclose(model.coef_, W + W.T))
    True
    """

    def __init__(
        self,
        *,
        encoder="pca",
        n_components=20,
        rank=None,
        alpha="gcv",
        alphas=None,
        penalty="frobenius",
        diagonal="impute",
        linear_terms=True,
        intercept="joint",
        use_distance=False,
        mirror=True,
        max_iter=200,
        n_iter_no_change=10,
        validation_cv=0.2,
        cv=None,
        random_state=None,
        coord_columns=COORD_COLUMNS,
    ):
        self.encoder = encoder
        self.n_components = n_components
        self.rank = rank
        self.alpha = alpha
        self.alphas = alphas
        self.penalty = penalty
        self.diagonal = diagonal
        self.linear_terms = linear_terms
        self.intercept = intercept
        self.use_distance = use_distance
        self.mirror = mirror
        self.max_iter = max_iter
        self.n_iter_no_change = n_iter_no_change
        self.validation_cv = validation_cv
        self.cv = cv
        self.random_state = random_state
        self.coord_columns = coord_columns

    _FIXED_SETTINGS = MappingProxyType(
        {"projection": "transform", "scale": True, "pls_max_iter": 500}
    )

    def _check_params(self):
        st = super()._check_params()
        if st["encoder"] == "pls":
            warnings.warn(
                "BilinearRegressor(encoder='pls') is deprecated in 0.1 and will "
                "be removed in 0.3: its PLS settings are fixed (scale=True, "
                "pls_max_iter=500, projection='transform'). Use "
                "PLSBilinearRegressor(n_components=..., ...), which exposes them "
                "and fits the same model.",
                FutureWarning,
                stacklevel=4,
            )
        return st

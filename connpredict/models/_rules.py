"""Rules-based connectome models: distance decay, Gaussian kernel and CGE.

These models have one or two fitted scalars. The spatial ones use only the
region coordinates, the correlated-gene-expression model only the genes.
All are fitted on the unordered training pairs (``i < j``) of the
train x train block.
"""

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.decomposition import PCA

from connpredict.models._base import BaseConnectomeRegressor
from connpredict.utils._checks import check_bool
from connpredict.utils._contract import COORD_COLUMNS, pair_indices

__all__ = ["CGERegressor", "ExponentialDecayRegressor", "GaussianKernelRegressor"]


# -- shared helpers ---------------------------------------------------------------
def _mirror(coords, mirror):
    """Fold the left-right axis (the first coordinate) when ``mirror``."""
    coords = np.asarray(coords, dtype=float)
    if mirror:
        coords = coords.copy()
        coords[:, 0] = np.abs(coords[:, 0])
    return coords


def pairwise_distances(A, B, *, mirror=False):
    """Euclidean distances between two sets of coordinates (n_a, n_b).

    With ``mirror=True`` the first coordinate (``x``, left-right in MNI
    space) is replaced by its absolute value, so that homotopic regions of
    the two hemispheres are ~0 mm apart.
    """
    A = _mirror(A, mirror)
    B = _mirror(B, mirror)
    sq = np.sum(A**2, axis=1)[:, None] + np.sum(B**2, axis=1)[None, :] - 2.0 * A @ B.T
    return np.sqrt(np.maximum(sq, 0.0))


def _check_bounds(bounds, name):
    try:
        lo, hi = (float(v) for v in bounds)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a pair (low, high), got {bounds!r}.") from exc
    if not (0 < lo < hi and np.isfinite(hi)):
        raise ValueError(f"{name} must satisfy 0 < low < high < inf, got {bounds!r}.")
    return lo, hi


def _profile_minimize(objective, bounds, n_grid=60):
    """Minimise a 1-D profile objective over ``log(scale)`` in ``bounds``.

    A log-spaced grid finds the best bracket; a bounded Brent search refines
    it. Deterministic.
    """
    lo, hi = np.log(bounds[0]), np.log(bounds[1])
    grid = np.linspace(lo, hi, n_grid)
    values = np.array([objective(g) for g in grid])
    i = int(np.argmin(values))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, n_grid - 1)]
    res = minimize_scalar(objective, bounds=(a, b), method="bounded")
    best = res.x if res.fun <= values[i] else grid[i]
    return float(np.exp(best))


def _training_pairs(X, Y_block, coord_columns, mirror):
    coords = X[list(coord_columns)].to_numpy(dtype=float)
    rows, cols = pair_indices(len(coords))
    D = pairwise_distances(coords, coords, mirror=mirror)
    return D[rows, cols], Y_block[rows, cols]


def _spatial_tags(tags):
    tags.regressor_tags.poor_score = True
    return tags


# -- exponential decay --------------------------------------------------------------
def _decay_offset(d, y, lam):
    """Least-squares ``a`` of ``y = a + (1 - a) exp(-d / lam)`` (closed form)."""
    e = np.exp(-d / lam)
    u = 1.0 - e
    uu = np.dot(u, u)
    a = np.dot(y - e, u) / uu if uu > 0 else 0.0
    return a, e, u


def fit_exponential_decay(d, y, *, lambda_bounds=(1.0, 500.0)):
    """Fit ``y = a + (1 - a) exp(-d / lambda)`` by least squares.

    Parameters
    ----------
    d : ndarray of shape (n_pairs,)
        Distances.
    y : ndarray of shape (n_pairs,)
        Targets.
    lambda_bounds : tuple of float, default=(1.0, 500.0)
        Search interval of ``lambda``.

    Returns
    -------
    lam : float
        Length scale (same unit as ``d``).
    a : float
        Asymptote at long distance (unconstrained).
    """
    d = np.asarray(d, dtype=float)
    y = np.asarray(y, dtype=float)

    def objective(log_lam):
        a, e, u = _decay_offset(d, y, np.exp(log_lam))
        return float(np.sum((y - e - a * u) ** 2))

    lam = _profile_minimize(objective, lambda_bounds)
    return lam, float(_decay_offset(d, y, lam)[0])


class _DistanceModel(BaseConnectomeRegressor):
    """Shared parts of the coordinate-only models."""

    _requires_coords = True

    def _distances(self, A, B):
        cols = list(self._coord_columns())
        return pairwise_distances(
            A[cols].to_numpy(dtype=float),
            B[cols].to_numpy(dtype=float),
            mirror=self.mirror,
        )

    def __sklearn_tags__(self):
        return _spatial_tags(super().__sklearn_tags__())


class ExponentialDecayRegressor(_DistanceModel):
    """Distance-decay model: connectivity falls exponentially with distance.

    ``y_ij = a + (1 - a) exp(-d_ij / lambda)``, where ``d_ij`` is the
    Euclidean distance between the centroids of regions ``i`` and ``j``
    (optionally with hemispheres mirrored). ``a`` (the long-distance
    asymptote) and ``lambda`` (the length scale) are fitted by least squares
    on the training pairs: for a fixed ``lambda`` the best ``a`` is closed
    form, so the fit is a 1-D profile search over ``log(lambda)`` (a
    log-spaced grid over ``lambda_bounds`` refined by Brent's method). It is
    deterministic and, unlike ``scipy.optimize.curve_fit``, cannot stop at a
    poor local minimum of the 2-D problem.

    Parameters
    ----------
    mirror : bool, default=True
        Replace ``x`` by ``|x|`` before computing distances, so that homotopic
        regions of the two hemispheres are ~0 mm apart (as in the research
        system).
    lambda_bounds : tuple of float, default=(1.0, 500.0)
        Search interval of ``lambda`` (mm).
    coord_columns : tuple of str, default=("x", "y", "z")
        Names of the coordinate columns of ``X``; other columns are ignored.

    Attributes
    ----------
    lambda_ : float
        Fitted length scale (mm).
    offset_ : float
        Fitted asymptote ``a``.
    n_features_in_ : int
        Number of columns of ``X`` seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X`` seen in fit.

    See Also
    --------
    GaussianKernelRegressor : Gaussian fall-off with distance.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.models import ExponentialDecayRegressor
    >>> from connpredict.models._rules import pairwise_distances
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.uniform(-60, 60, (30, 3)), columns=["x", "y", "z"])
    >>> Y = 0.1 + 0.9 * np.exp(-pairwise_distances(X, X) / 20.0)
    >>> model = ExponentialDecayRegressor(mirror=False).fit(X, Y)
    >>> round(model.lambda_, 2), round(model.offset_, 2)
    (20.0, 0.1)
    """

    def __init__(
        self, *, mirror=True, lambda_bounds=(1.0, 500.0), coord_columns=COORD_COLUMNS
    ):
        self.mirror = mirror
        self.lambda_bounds = lambda_bounds
        self.coord_columns = coord_columns

    def _fit(self, X, Y_block):
        bounds = _check_bounds(self.lambda_bounds, "lambda_bounds")
        d, y = _training_pairs(X, Y_block, self._coord_columns(), self.mirror)
        self.lambda_, self.offset_ = fit_exponential_decay(d, y, lambda_bounds=bounds)

    def _predict_block(self, X_rows, X_cols):
        D = self._distances(X_rows, X_cols)
        return self.offset_ + (1.0 - self.offset_) * np.exp(-D / self.lambda_)


# -- Gaussian kernel ----------------------------------------------------------------
def _kernel_affine(d2, y, sigma, fit_offset):
    k = np.exp(-d2 / (2.0 * sigma**2))
    if not fit_offset:
        return 0.0, 1.0, k
    kc = k - k.mean()
    kk = np.dot(kc, kc)
    amp = np.dot(kc, y - y.mean()) / kk if kk > 0 else 0.0
    return float(y.mean() - amp * k.mean()), float(amp), k


class GaussianKernelRegressor(_DistanceModel):
    """Gaussian-kernel model of connectivity against distance.

    ``y_ij = c + A exp(-d_ij^2 / (2 sigma^2))`` with ``d_ij`` the (optionally
    mirrored) Euclidean distance between region centroids. With
    ``fit_offset=True`` (default) the offset ``c`` and amplitude ``A`` are
    fitted by least squares together with ``sigma``: for a fixed ``sigma``
    they are closed form, so ``sigma`` is found by a 1-D profile search over
    ``log(sigma)``. ``fit_offset=False`` gives the research system's bare
    kernel (``c = 0``, ``A = 1``), which only fits well targets scaled to
    ``[0, 1]``; the Pearson r of the predictions depends on ``sigma`` only.

    Parameters
    ----------
    mirror : bool, default=True
        Replace ``x`` by ``|x|`` before computing distances (homotopic
        regions ~0 mm apart).
    fit_offset : bool, default=True
        Fit the offset ``c`` and the amplitude ``A``.
    sigma_bounds : tuple of float, default=(1.0, 500.0)
        Search interval of ``sigma`` (mm). The research system used
        ``(10, 40)``.
    coord_columns : tuple of str, default=("x", "y", "z")
        Names of the coordinate columns of ``X``; other columns are ignored.

    Attributes
    ----------
    sigma_ : float
        Fitted kernel width (mm).
    offset_ : float
        Fitted offset ``c`` (0 when ``fit_offset=False``).
    amplitude_ : float
        Fitted amplitude ``A`` (1 when ``fit_offset=False``).
    n_features_in_ : int
        Number of columns of ``X`` seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X`` seen in fit.

    See Also
    --------
    ExponentialDecayRegressor : Exponential fall-off with distance.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.models import GaussianKernelRegressor
    >>> from connpredict.models._rules import pairwise_distances
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.uniform(-60, 60, (30, 3)), columns=["x", "y", "z"])
    >>> Y = 0.2 + 0.5 * np.exp(-pairwise_distances(X, X) ** 2 / (2 * 25.0**2))
    >>> model = GaussianKernelRegressor(mirror=False).fit(X, Y)
    >>> round(model.sigma_, 2), round(model.offset_, 2), round(model.amplitude_, 2)
    (25.0, 0.2, 0.5)
    """

    def __init__(
        self,
        *,
        mirror=True,
        fit_offset=True,
        sigma_bounds=(1.0, 500.0),
        coord_columns=COORD_COLUMNS,
    ):
        self.mirror = mirror
        self.fit_offset = fit_offset
        self.sigma_bounds = sigma_bounds
        self.coord_columns = coord_columns

    def _fit(self, X, Y_block):
        bounds = _check_bounds(self.sigma_bounds, "sigma_bounds")
        d, y = _training_pairs(X, Y_block, self._coord_columns(), self.mirror)
        d2 = d**2
        fit_offset = bool(self.fit_offset)

        def objective(log_sigma):
            c, amp, k = _kernel_affine(d2, y, np.exp(log_sigma), fit_offset)
            return float(np.sum((y - c - amp * k) ** 2))

        self.sigma_ = _profile_minimize(objective, bounds)
        self.offset_, self.amplitude_, _ = _kernel_affine(
            d2, y, self.sigma_, fit_offset
        )

    def _predict_block(self, X_rows, X_cols):
        D = self._distances(X_rows, X_cols)
        return self.offset_ + self.amplitude_ * np.exp(-(D**2) / (2.0 * self.sigma_**2))


# -- correlated gene expression -----------------------------------------------------
def _row_standardize(Z):
    Z = np.asarray(Z, dtype=float)
    Zc = Z - Z.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(Zc, axis=1, keepdims=True)
    return Zc / np.where(norms > 0, norms, 1.0)


class CGERegressor(BaseConnectomeRegressor):
    """Correlated gene expression with a linear calibration.

    ``y_ij = a + b * corr(z_i, z_j)``, where ``corr`` is the Pearson
    correlation between the two regions' expression vectors ``z`` (all
    genes, or their first ``n_components`` principal components, the PCA
    being fitted on the training regions only). ``a`` and ``b`` are fitted
    by least squares on the training pairs; the research system used the
    raw correlation (``a = 0``, ``b = 1``), which has the same Pearson r but
    not the target's scale.

    Parameters
    ----------
    n_components : int, float or None, default=None
        ``None`` correlates the gene vectors themselves; otherwise the
        number of principal components (an int) or the fraction of variance
        they must explain (a float in (0, 1)), as in
        :class:`sklearn.decomposition.PCA`. The research system used the
        components explaining 95% of the variance (27 on its 456 regions).
    calibrate : bool, default=True
        Fit ``a`` and ``b``; False predicts the raw correlation (``a = 0``,
        ``b = 1``), as the research system did (same Pearson r).
    coord_columns : tuple of str, default=("x", "y", "z")
        Names of the coordinate columns of ``X``; they are ignored.

    Attributes
    ----------
    pca_ : PCA or None
        The PCA fitted on the training regions (None without PCA).
    intercept_ : float
        Calibration intercept ``a``.
    coef_ : float
        Calibration slope ``b``.
    n_features_in_ : int
        Number of columns of ``X`` seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X`` seen in fit.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.models import CGERegressor
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(20, 50)))
    >>> Y = 0.3 + 0.5 * np.corrcoef(X.to_numpy())
    >>> model = CGERegressor().fit(X, Y)
    >>> round(model.intercept_, 3), round(model.coef_, 3)
    (0.3, 0.5)
    """

    _requires_genes = True

    def __init__(
        self, *, n_components=None, calibrate=True, coord_columns=COORD_COLUMNS
    ):
        self.n_components = n_components
        self.calibrate = calibrate
        self.coord_columns = coord_columns

    def _embed(self, X):
        genes, _ = self._split(X)
        if self.pca_ is not None:
            genes = self.pca_.transform(genes)
        return _row_standardize(genes)

    def _fit(self, X, Y_block):
        genes, _ = self._split(X)
        if self.n_components is None:
            self.pca_ = None
        else:
            self.pca_ = PCA(n_components=self.n_components, svd_solver="full")
            self.pca_.fit(genes)
            if self.pca_.n_components_ < 2:
                raise ValueError(
                    "CGERegressor needs at least 2 principal components to "
                    "correlate; increase n_components."
                )
        if genes.shape[1] < 2:
            raise ValueError("CGERegressor needs at least 2 gene columns.")
        Z = self._embed(X)
        rows, cols = pair_indices(Z.shape[0])
        # from the region x region product (n^2 floats), not the pair x gene
        # arrays Z[rows] * Z[cols] (n^2/2 x genes floats, 3 GB at 2,000 regions)
        cge = (Z @ Z.T)[rows, cols]
        y = Y_block[rows, cols]
        cc = cge - cge.mean()
        denom = np.dot(cc, cc)
        if not check_bool(self.calibrate, "calibrate"):
            self.coef_, self.intercept_ = 1.0, 0.0
            return
        self.coef_ = float(np.dot(cc, y - y.mean()) / denom) if denom > 0 else 0.0
        self.intercept_ = float(y.mean() - self.coef_ * cge.mean())

    def _predict_block(self, X_rows, X_cols):
        return self.intercept_ + self.coef_ * (
            self._embed(X_rows) @ self._embed(X_cols).T
        )

    def __sklearn_tags__(self):
        return _spatial_tags(super().__sklearn_tags__())

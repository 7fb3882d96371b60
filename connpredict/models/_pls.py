"""PLS encoder + bilinear decoder (the research system's best PLS model)."""

from connpredict.models._bilinear import _BilinearBase
from connpredict.utils._contract import COORD_COLUMNS

__all__ = ["PLSBilinearRegressor"]


class PLSBilinearRegressor(_BilinearBase):
    """Partial least squares encoder with a closed-form bilinear decoder.

    Step 1 fits :class:`sklearn.cross_decomposition.PLSRegression`
    (``scale=True``) from the training regions' genes to their connectivity
    rows, i.e. to the train x train block (its diagonal, which is not data,
    is replaced by each column's off-diagonal mean). Step 2 embeds every
    region by the PLS ``transform`` (which centres and scales the genes with
    the training statistics, unlike the research code, which multiplied raw
    genes by ``x_rotations_``) and fits ``y_ij = z_i^T W z_j + b`` on the
    training block in closed form, as :class:`BilinearRegressor` with
    ``encoder="pls"`` does.

    The research system's other PLS variant ("two-step": a second PLS from
    the train x train block to the train x test block) is not offered: its
    second step regresses on the connectivity between training and test
    regions, which an inductive model never sees (the data contract forbids
    using any held-out region's connectivity); without it the second step
    has no target for test columns.

    Parameters
    ----------
    n_components : int, default=25
        PLS components (capped by the number of training regions - 1 and
        genes). 25 was the research system's best.
    alpha : float, "gcv" or "cv", default=0.01
        Ridge strength of the decoder (research best 0.01), or ``"gcv"`` /
        ``"cv"`` to choose it (see :class:`BilinearRegressor`).
    alphas : array-like, default=None
        Grid for ``alpha="gcv"`` or ``"cv"``.
    penalty : {"frobenius", "separable"}, default="frobenius"
        Ridge penalty; ``"separable"`` is the research formula
        ``W = A^-1 Z^T Y Z A^-1``.
    diagonal : {"impute", "include"}, default="impute"
        Fit off-diagonal entries only (exactly), or also the given diagonal.
    linear_terms : bool, default=True
        Append a constant to the embedding, so that ``W`` also holds
        per-region main effects (``w^T z_i + w^T z_j``). The research model
        has none (``False``).
    use_distance : bool, default=False
        Add a distance-decay term ``beta * exp(-d_ij / lambda)`` (see
        :class:`BilinearRegressor`).
    mirror : bool, default=True
        Mirror hemispheres in the distance-decay term.
    scale : bool, default=True
        ``scale`` of the PLS (standardise genes and targets).
    pls_max_iter : int, default=500
        Maximum NIPALS iterations of the PLS (``max_iter`` of
        :class:`~sklearn.cross_decomposition.PLSRegression`; the name is
        prefixed because ``max_iter`` of the other models caps their own
        training iterations).
    cv : int, cross-validator or None, default=None
        Folds over the training regions for ``alpha="cv"`` (see
        :class:`BilinearRegressor`).
    random_state : int, RandomState instance or None, default=None
        Seeds the ``alpha="cv"`` folds.
    coord_columns : tuple of str, default=("x", "y", "z")
        Names of the coordinate columns of ``X``; the other columns are genes.

    Attributes
    ----------
    encoder_ : PLSRegression
        The PLS fitted on the training regions.
    components_ : ndarray of shape (n_embedding, k)
        ``V`` in ``W = V C V^T``.
    core_ : ndarray of shape (k, k)
        ``C``.
    coef_ : ndarray of shape (n_embedding, n_embedding)
        ``W``, computed on access.
    intercept_ : float
        ``b``.
    alpha_ : float
        Ridge strength used.
    gcv_scores_ : ndarray or None
        GCV scores when ``alpha="gcv"``.
    cv_scores_ : ndarray or None
        Held-out squared errors when ``alpha="cv"``.
    linear_const_ : float or None
        The constant appended to the embedding (``linear_terms=True``).
    decay_lambda_ : float or None
        Length scale of the distance-decay term.
    coords_coef_ : float or None
        Coefficient of the distance-decay term.
    n_iter_ : int
        Diagonal-imputation iterations.
    n_features_in_ : int
        Number of columns of ``X`` seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X`` seen in fit.

    See Also
    --------
    BilinearRegressor : The same decoder on other embeddings, or low rank.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.models import PLSBilinearRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(60, 10)))
    >>> Z = X.to_numpy()[:, :3]
    >>> Y = Z @ Z.T
    >>> model = PLSBilinearRegressor(n_components=5).fit(X[:45], Y[:45, :45])
    >>> round(model.score(X[45:], Y[45:, 45:]), 2)
    0.93
    """

    def __init__(
        self,
        n_components=25,
        *,
        alpha=0.01,
        alphas=None,
        penalty="frobenius",
        diagonal="impute",
        linear_terms=True,
        use_distance=False,
        mirror=True,
        scale=True,
        pls_max_iter=500,
        cv=None,
        random_state=None,
        coord_columns=COORD_COLUMNS,
    ):
        self.n_components = n_components
        self.alpha = alpha
        self.alphas = alphas
        self.penalty = penalty
        self.diagonal = diagonal
        self.linear_terms = linear_terms
        self.use_distance = use_distance
        self.mirror = mirror
        self.scale = scale
        self.pls_max_iter = pls_max_iter
        self.cv = cv
        self.random_state = random_state
        self.coord_columns = coord_columns

    def _settings(self):
        return {
            "encoder": "pls",
            "n_components": self.n_components,
            "rank": None,
            "alpha": self.alpha,
            "alphas": self.alphas,
            "penalty": self.penalty,
            "diagonal": self.diagonal,
            "linear_terms": bool(self.linear_terms),
            "use_distance": bool(self.use_distance),
            "mirror": self.mirror,
            "pls_scale": bool(self.scale),
            "pls_max_iter": self.pls_max_iter,
            "max_iter": 0,
            "n_iter_no_change": None,
            "validation_cv": None,
            "cv": self.cv,
            "random_state": self.random_state,
        }

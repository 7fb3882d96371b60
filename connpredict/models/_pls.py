"""PLS encoder + bilinear decoder (the research system's best PLS model)."""

from types import MappingProxyType

import numpy as np

from connpredict.models._bilinear import _BilinearBase
from connpredict.models._linalg import check_gene_magnitude
from connpredict.utils._contract import COORD_COLUMNS, gene_columns

__all__ = ["PLSBilinearRegressor"]


class PLSBilinearRegressor(_BilinearBase):
    """Partial least squares encoder with a closed-form bilinear decoder.

    Step 1 fits :class:`sklearn.cross_decomposition.PLSRegression`
    (``scale=True``) from the training regions' genes to their connectivity
    rows, i.e. to the train x train block (its diagonal, which is not data,
    is replaced by each column's off-diagonal mean; with
    ``diagonal="include"`` it is kept, as in the research code). Step 2
    embeds every region by the PLS ``transform`` (which centres and scales
    the genes with the training statistics; ``projection="rotations"``
    multiplies the raw genes by ``x_rotations_`` as the research code did)
    and fits ``y_ij = z_i^T W z_j + b`` on the training block in closed
    form, as :class:`BilinearRegressor` does on its embeddings.

    Gene columns that are constant over the training regions carry no
    information and are accepted (after centring they are zero, so they do
    not enter the components); when *every* gene is constant, or a gene's
    values are so large that its variance overflows float64 (beyond about
    1e150), fitting stops with a ``ValueError`` naming the columns. The
    diagonal of ``Y`` is never read (it may be NaN).

    The research system's other PLS variant ("two-step": a second PLS from
    the train x train block to the train x test block) is not offered: its
    second step regresses on the connectivity between training and test
    regions, which an inductive model never sees (the data contract forbids
    using any held-out region's connectivity); without it the second step
    has no target for test columns.

    Parameters
    ----------
    n_components : int, default=10
        PLS components (capped by the number of training regions - 1 and
        genes). Chosen by nested cross-validation (inner spatial folds of
        the training regions of hcp-schaefer100: 10 in 9 of 12 outer folds,
        against 25 and 40; see ``benchmarks/bench_research.py --nested
        pls``). The research system used 25 (``RESEARCH_PARAMS["pls"]``).
    alpha : float, "gcv" or "cv", default="gcv"
        Ridge strength of the decoder, or ``"gcv"`` / ``"cv"`` to choose it
        (see :class:`BilinearRegressor`). ``"gcv"`` was chosen over the
        research's 0.01 in all 12 outer folds of the same nested
        cross-validation.
    alphas : array-like, default=None
        Grid for ``alpha="gcv"`` or ``"cv"``.
    penalty : {"frobenius", "separable"}, default="frobenius"
        Ridge penalty; ``"separable"`` is the research formula
        ``W = A^-1 Z^T Y Z A^-1``.
    diagonal : {"impute", "include", "zero"}, default="impute"
        Fit off-diagonal entries only (exactly), also the given diagonal, or
        also a zero diagonal whatever ``Y`` holds there (the research code,
        whose loader zeroed the diagonal).
    linear_terms : bool, default=True
        Append a constant to the embedding, so that ``W`` also holds
        per-region main effects (``w^T z_i + w^T z_j``). The research model
        has none (``False``).
    intercept : {"joint", "residual"}, default="joint"
        ``"joint"``: ``b`` is fitted with ``W`` (unpenalised). ``"residual"``:
        ``W`` is fitted without an intercept and ``b`` is then the mean
        residual, as in the research code.
    projection : {"transform", "rotations"}, default="transform"
        Region scores: the PLS ``transform`` (genes centred and scaled with
        the training statistics), or the research's uncentred
        ``X @ x_rotations_`` of the raw genes. The uncentred scores carry
        each region's mean expression level, which acts as a per-region main
        effect in the bilinear form (the research PLS model has no other).
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
        n_components=10,
        *,
        alpha="gcv",
        alphas=None,
        penalty="frobenius",
        diagonal="impute",
        linear_terms=True,
        intercept="joint",
        projection="transform",
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
        self.intercept = intercept
        self.projection = projection
        self.use_distance = use_distance
        self.mirror = mirror
        self.scale = scale
        self.pls_max_iter = pls_max_iter
        self.cv = cv
        self.random_state = random_state
        self.coord_columns = coord_columns

    # the settings of the shared engine that this model does not expose
    _FIXED_SETTINGS = MappingProxyType(
        {
            "encoder": "pls",
            "rank": None,
            "max_iter": 0,
            "n_iter_no_change": None,
            "validation_cv": None,
        }
    )

    def _fit(self, X, Y_block):
        check_pls_genes(X, self._coord_columns())
        return super()._fit(X, Y_block)


def check_pls_genes(X, coord_columns=COORD_COLUMNS):
    """Refuse gene tables a PLS cannot use, naming the offending columns.

    Parameters
    ----------
    X : DataFrame of shape (n_regions, n_features)
        Validated training regions.
    coord_columns : tuple of str, default=("x", "y", "z")
        Coordinate column names (not genes).

    Raises
    ------
    ValueError
        When every gene column is constant over the regions, or a column's
        values are too large for its variance to be computed in float64.

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.models._pls import check_pls_genes
    >>> check_pls_genes(pd.DataFrame({"A": [1.0, 2.0, 3.0], "B": [0.0, 0.0, 0.0]}))
    """
    names = gene_columns(X, coord_columns)
    if not names:
        return
    genes = X[names].to_numpy(dtype=float)
    check_gene_magnitude(genes, names, "the PLS")
    constant = np.all(genes == genes[:1], axis=0)
    if constant.all():
        raise ValueError(
            f"All {len(names)} gene column(s) are constant over the training "
            f"regions (e.g. {names[:5]}); a PLS has nothing to fit. Pass gene "
            "expression that varies between regions."
        )

"""Connectome classifiers: predict whether two regions are connected.

The neural classifiers (:class:`PairMLPClassifier`, :class:`SMTClassifier`)
live in :mod:`connpredict.models._neural_classifiers`, which imports torch.

A binarised connectome (``load_dataset(..., binarize=True)``: FC > 0.3 or
SC > 0.01, the research system's thresholds) is a classification target over
region pairs. The classifiers here follow the regressors' data contract
(regions are samples, ``Y`` is square, only the train x train block is used)
and scikit-learn's classifier conventions where they apply: ``classes_``,
``predict`` (labels), ``predict_proba``, ``decision_function`` and an
accuracy ``score``. Because the samples of a connectome are pairs laid out
as a block, ``predict_proba`` returns the block of probabilities of the
positive class ``classes_[1]``, shaped like ``predict`` (not an
``(n_samples, n_classes)`` array).
"""

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from connpredict.models._base import BaseConnectomeRegressor
from connpredict.models._rules import pairwise_distances
from connpredict.utils._checks import check_choice, check_float, check_int
from connpredict.utils._contract import (
    COORD_COLUMNS,
    align_unlabelled,
    check_regions_X,
    pair_indices,
    train_block,
    upper_triangle,
)

__all__ = ["BilinearClassifier", "ConnectomeClassifierMixin"]


class ConnectomeClassifierMixin(ClassifierMixin):
    """Classifier behaviour on top of a connectome model predicting logits.

    The model implements ``_fit_binary(X, Y01)``, which receives the 0/1
    block (1 for ``classes_[1]``), and ``_predict_block``, which returns
    logits.
    """

    def _fit(self, X, Y_block):
        values = upper_triangle(np.asarray(Y_block, dtype=float))
        classes = np.unique(values)
        if classes.size != 2:
            raise ValueError(
                f"{type(self).__name__} needs a binary connectome (2 distinct "
                f"values among the training pairs), got {classes.size}. Binarise "
                "it first, e.g. load_dataset(..., binarize=True), or use a "
                "regressor."
            )
        self.classes_ = classes
        Y01 = (np.asarray(Y_block, dtype=float) == classes[1]).astype(float)
        return self._fit_binary(X, Y01)

    def decision_function(self, X, X_other=None):
        """Return the logits of the positive class ``classes_[1]`` for each pair.

        Parameters
        ----------
        X : DataFrame of shape (n_regions, n_features)
            Regions to predict for.
        X_other : DataFrame of shape (n_other, n_features), default=None
            A second region set (rectangular block ``X`` x ``X_other``).

        Returns
        -------
        logits : DataFrame or ndarray of shape (n_regions, n_regions_or_other)
            Symmetric with a zero diagonal for a square block.
        """
        return BaseConnectomeRegressor.predict(self, X, X_other)

    def predict_proba(self, X, X_other=None):
        """Probability that each pair is connected (class ``classes_[1]``).

        Parameters
        ----------
        X : DataFrame of shape (n_regions, n_features)
            Regions to predict for.
        X_other : DataFrame of shape (n_other, n_features), default=None
            A second region set (rectangular block ``X`` x ``X_other``).

        Returns
        -------
        proba : DataFrame or ndarray of shape (n_regions, n_regions_or_other)
            Probabilities of ``classes_[1]``, a block like :meth:`predict`
            (the diagonal of a square block is 0: self-pairs are never
            predicted).
        """
        logits = self.decision_function(X, X_other)
        values = expit(np.asarray(logits, dtype=float))
        if X_other is None:
            np.fill_diagonal(values, 0.0)
        if isinstance(logits, pd.DataFrame):
            return pd.DataFrame(values, index=logits.index, columns=logits.columns)
        return values

    def predict(self, X, X_other=None):
        """Predicted class of each pair (``classes_[1]`` where proba >= 0.5).

        Parameters
        ----------
        X : DataFrame of shape (n_regions, n_features)
            Regions to predict for.
        X_other : DataFrame of shape (n_other, n_features), default=None
            A second region set (rectangular block ``X`` x ``X_other``).

        Returns
        -------
        labels : DataFrame or ndarray of shape (n_regions, n_regions_or_other)
            Class labels; the diagonal of a square block is ``classes_[0]``.
        """
        proba = self.predict_proba(X, X_other)
        labels = self.classes_[(np.asarray(proba) >= 0.5).astype(int)]
        if X_other is None:
            np.fill_diagonal(labels, self.classes_[0])
        if isinstance(proba, pd.DataFrame):
            return pd.DataFrame(labels, index=proba.index, columns=proba.columns)
        return labels

    def score(self, X, Y, sample_weight=None):
        """Accuracy over the region pairs among ``X`` (each pair once).

        Parameters
        ----------
        X : DataFrame of shape (n_regions, n_features)
            Test regions.
        Y : DataFrame of shape (n_regions, n_all_regions)
            Their (binary) connectivity rows; the test x test block is used.
        sample_weight : None
            Not supported; must be None.

        Returns
        -------
        accuracy : float
            Fraction of the test pairs classified correctly.
        """
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported for connectome scores.")
        X = check_regions_X(
            align_unlabelled(X, Y), coord_columns=self._coord_columns(), min_regions=2
        )
        y_true = upper_triangle(train_block(X, Y))
        y_pred = upper_triangle(np.asarray(self.predict(X), dtype=float))
        return float(np.mean(y_true == y_pred))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.regressor_tags = None
        return tags


def _symmetric_pair_features(Za, Zb):
    """Features ``z_ia z_jb + z_ib z_ja`` (a < b) and ``z_ia z_ja`` per pair.

    ``Za`` and ``Zb`` hold the two regions of each pair (one row per pair);
    a linear model on these features is ``z_i^T W z_j`` with ``W``
    symmetric.
    """
    k = Za.shape[1]
    a, b = np.triu_indices(k)
    prod = Za[:, a] * Zb[:, b]
    off = a != b
    prod[:, off] += Za[:, b[off]] * Zb[:, a[off]]
    return prod


class BilinearClassifier(ConnectomeClassifierMixin, BaseConnectomeRegressor):
    """Logistic bilinear model: ``P(connected) = sigmoid(z_i^T W z_j + b)``.

    ``z`` is the region's embedding: the first ``n_components`` principal
    components of its genes (PCA fitted on the training regions) scaled to
    unit variance, or the standardised genes themselves (``encoder=None``;
    only for few genes, as ``W`` has ``k(k+1)/2`` free entries). ``W`` is
    symmetric, so the model is symmetric in the two regions. ``W`` and ``b``
    (and, with ``use_distance=True``, a coefficient on the centroid
    distance) are fitted by L2-penalised logistic regression (binary
    cross-entropy, :class:`~sklearn.linear_model.LogisticRegression`, L-BFGS)
    on the training pairs, each unordered pair once.

    Parameters
    ----------
    encoder : {"pca", None}, default="pca"
        Region embedding.
    n_components : int, default=10
        Principal components kept (``encoder="pca"``).
    alpha : float, default=1.0
        L2 penalty (``C = 1 / alpha`` of the logistic regression).
    use_distance : bool, default=False
        Add the (optionally mirrored) centroid distance as a pair feature;
        needs the coordinate columns.
    mirror : bool, default=True
        Mirror ``x`` (``|x|``) for the distance feature.
    max_iter : int, default=1000
        Iterations of L-BFGS.
    coord_columns : tuple, default=("x", "y", "z")
        Coordinate columns of ``X`` (never used as genes).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two values of the target; ``classes_[1]`` is "connected".
    coef_ : ndarray of shape (k, k)
        The symmetric matrix ``W`` (in the unit-variance embedding).
    intercept_ : float
        ``b``.
    distance_coef_ : float or None
        Coefficient of the distance (mm), with ``use_distance=True``.
    pca_ : PCA or None
        The encoder, fitted on the training regions.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only with DataFrame input.
    X_train_ : DataFrame
        The training regions.

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.models import BilinearClassifier
    >>> ds = make_synthetic_connectome(n_regions=40, n_genes=20, random_state=0)
    >>> Y = (ds.Y > 0.3).astype(float)
    >>> clf = BilinearClassifier(n_components=5).fit(ds.X.iloc[:30], Y.iloc[:30])
    >>> clf.classes_
    array([0., 1.])
    >>> clf.predict_proba(ds.X.iloc[30:]).shape
    (10, 10)
    """

    _requires_genes = True

    def __init__(
        self,
        *,
        encoder="pca",
        n_components=10,
        alpha=1.0,
        use_distance=False,
        mirror=True,
        max_iter=1000,
        coord_columns=COORD_COLUMNS,
    ):
        self.encoder = encoder
        self.n_components = n_components
        self.alpha = alpha
        self.use_distance = use_distance
        self.mirror = mirror
        self.max_iter = max_iter
        self.coord_columns = coord_columns

    @property
    def _requires_coords(self):
        return bool(getattr(self, "use_distance", False))

    def _check_params(self):
        check_choice(self.encoder, "encoder", ("pca", None))
        if self.encoder == "pca":
            check_int(self.n_components, "n_components", low=1)
        check_float(self.alpha, "alpha", low=0, low_open=True)
        check_int(self.max_iter, "max_iter", low=1)

    def _embed(self, X):
        genes, _ = self._split(X)
        Z = genes if self.pca_ is None else self.pca_.transform(genes)
        return (Z - self.z_mean_) / self.z_scale_

    def _pair_features(self, Xa, Xb, rows, cols):
        Za, Zb = self._embed(Xa), self._embed(Xb)
        F = _symmetric_pair_features(Za[rows], Zb[cols])
        if self.use_distance:
            _, ca = self._split(Xa)
            _, cb = self._split(Xb)
            d = pairwise_distances(ca[rows], cb[cols], mirror=self.mirror)
            F = np.column_stack([F, np.diagonal(d) / self.distance_scale_])
        return F

    def _fit_binary(self, X, Y_block):
        self._check_params()
        genes, coords = self._split(X)
        n = genes.shape[0]
        self.pca_ = None
        if self.encoder == "pca":
            k = min(self.n_components, n - 1, genes.shape[1])
            if k < 1:
                raise ValueError("Too few training regions for a PCA encoder.")
            self.pca_ = PCA(n_components=k, svd_solver="full").fit(genes)
            Z = self.pca_.transform(genes)
        else:
            Z = genes
        self.z_mean_ = Z.mean(axis=0)
        sd = Z.std(axis=0)
        self.z_scale_ = np.where(sd > 1e-12, sd, 1.0)
        rows, cols = pair_indices(n)
        if self.use_distance:
            d = pairwise_distances(coords, coords, mirror=self.mirror)[rows, cols]
            self.distance_scale_ = float(d.std()) if d.std() > 0 else 1.0
        F = self._pair_features(X, X, rows, cols)
        y = Y_block[rows, cols]
        logreg = LogisticRegression(C=1.0 / self.alpha, max_iter=self.max_iter)
        logreg.fit(F, y.astype(int))
        k = Z.shape[1]
        a, b = np.triu_indices(k)
        W = np.zeros((k, k))
        W[a, b] = logreg.coef_[0, : len(a)]
        W[b, a] = W[a, b]
        self.coef_ = W
        self.intercept_ = float(logreg.intercept_[0])
        self.distance_coef_ = (
            float(logreg.coef_[0, -1]) / self.distance_scale_
            if self.use_distance
            else None
        )
        self.n_iter_ = int(logreg.n_iter_[0])
        return self

    def _predict_block(self, X_rows, X_cols):
        check_is_fitted(self, "coef_")
        Za, Zb = self._embed(X_rows), self._embed(X_cols)
        logits = Za @ self.coef_ @ Zb.T + self.intercept_
        if self.use_distance:
            _, ca = self._split(X_rows)
            _, cb = self._split(X_cols)
            D = pairwise_distances(ca, cb, mirror=self.mirror)
            logits = logits + self.distance_coef_ * D
        return logits

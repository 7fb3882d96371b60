"""Shared machinery of the connectome regressors.

Every model predicts the connectivity between two regions from their
features. :class:`BaseConnectomeRegressor` implements the data contract once
(validation, the train x train block, labelled and symmetric predictions,
scoring); a model implements ``_fit(X, Y_block)`` and
``_predict_block(X_rows, X_cols)``. The guards that refuse scikit-learn's
per-sample callers (its string scorers, its ``cross_val_predict``), which
``fit`` and ``predict`` call first, are in ``_sklearn_guards.py``.
"""

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from connpredict.models._sklearn_guards import (
    refuse_sklearn_per_sample_callers,
    refuse_sklearn_scorer_in_fit,
)
from connpredict.utils._contract import (
    COORD_COLUMNS,
    align_unlabelled,
    check_pair_target,
    check_regions_X,
    split_features,
    train_block,
    upper_triangle,
)
from connpredict.utils._memory import check_pair_memory
from connpredict.utils._stats import pearson_r


class BaseConnectomeRegressor(RegressorMixin, BaseEstimator):
    """Base class: regions are samples, the target is a square connectome.

    Subclasses define ``_fit(self, X, Y_block)`` (``X`` a validated DataFrame
    of training regions, ``Y_block`` their train x train connectivity) and
    ``_predict_block(self, X_rows, X_cols)`` returning an
    ``(n_rows, n_cols)`` array. ``_requires_coords`` and ``_requires_genes``
    declare which inputs the model needs.

    Fitting stores ``X_train_`` (the validated training table), so that
    predictions between new regions and the training regions
    (``predict(X, model.X_train_)``) and test x train scores are possible.
    """

    _requires_coords = False
    _requires_genes = False

    # -- helpers for subclasses ------------------------------------------------
    def _coord_columns(self):
        return tuple(getattr(self, "coord_columns", COORD_COLUMNS))

    def _split(self, X):
        """Return ``(genes, coords)`` arrays of a validated table."""
        return split_features(X, self._coord_columns())

    # -- public API -------------------------------------------------------------
    def fit(self, X, Y):
        """Fit the model on the train x train block of ``Y``.

        Parameters
        ----------
        X : DataFrame of shape (n_regions, n_features)
            Training regions: gene columns and/or ``x, y, z``.
        Y : DataFrame of shape (n_regions, n_all_regions) or (n_regions, n_regions)
            Connectivity rows of the training regions. Only the columns of the
            training regions are used.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        refuse_sklearn_scorer_in_fit(self)
        # before any work: 20,000 regions would fail deep inside numpy
        check_pair_memory(len(X), what=f"{type(self).__name__}: fitting")
        X, Y_block = check_pair_target(
            X,
            Y,
            coord_columns=self._coord_columns(),
            require_coords=self._requires_coords,
        )
        self._check_inputs_present(X)
        _warn_standardised_coords(X, self._coord_columns())
        # a fit that fails or is interrupted (Ctrl-C) must not leave an
        # estimator that looks fitted: drop every fitted attribute on the way out
        _forget_fit(self)
        try:
            self.n_features_in_ = X.shape[1]
            if not isinstance(X.columns, pd.RangeIndex):
                self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            self.X_train_ = X
            self._fit(X, Y_block)
        except BaseException:
            _forget_fit(self)
            raise
        return self

    def _check_inputs_present(self, X):
        genes, _ = self._split(X)
        if self._requires_genes and genes.shape[1] == 0:
            raise ValueError(
                f"{type(self).__name__} needs gene expression columns in X, but X "
                "holds only coordinates. Pass the gene columns too."
            )

    def _validate_predict_X(self, X, name="X"):
        check_is_fitted(self)
        X = check_regions_X(
            X,
            coord_columns=self._coord_columns(),
            require_coords=self._requires_coords,
            min_regions=1,
            name=name,
        )
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{name} has {X.shape[1]} columns but {type(self).__name__} was "
                f"fitted with {self.n_features_in_}; pass the same genes and "
                "coordinates as in fit."
            )
        names = getattr(self, "feature_names_in_", None)
        if names is not None and not np.array_equal(np.asarray(X.columns), names):
            if set(X.columns) == set(names):
                X = X[list(names)]
            else:
                diff = sorted(set(map(str, names)) ^ set(map(str, X.columns)))[:5]
                raise ValueError(
                    f"{name}'s columns differ from those seen in fit (e.g. {diff}); "
                    "pass the same genes and coordinates."
                )
        return X

    def predict(self, X, X_other=None):
        """Predict connectivity among the regions of ``X``, or between two sets.

        Parameters
        ----------
        X : DataFrame of shape (n_regions, n_features)
            Regions to predict for.
        X_other : DataFrame of shape (n_other, n_features), default=None
            A second region set; when given, the rectangular block between
            ``X`` (rows) and ``X_other`` (columns) is returned.

        Returns
        -------
        Y_pred : DataFrame or ndarray of shape (n_regions, n_regions_or_other)
            Predicted connectivity, labelled like the inputs when they are
            DataFrames. The square prediction is symmetric with a zero diagonal
            (self-pairs are never predicted).
        """
        refuse_sklearn_per_sample_callers(self)
        labelled = isinstance(X, pd.DataFrame)
        Xa = self._validate_predict_X(X)
        if X_other is None:
            block = np.asarray(self._predict_block(Xa, Xa), dtype=float)
            block = (block + block.T) / 2.0
            np.fill_diagonal(block, 0.0)
            cols = Xa.index
        else:
            labelled = labelled and isinstance(X_other, pd.DataFrame)
            Xb = self._validate_predict_X(X_other, name="X_other")
            block = np.asarray(self._predict_block(Xa, Xb), dtype=float)
            cols = Xb.index
        if labelled:
            return pd.DataFrame(block, index=Xa.index, columns=cols)
        return block

    def score(self, X, Y, sample_weight=None):
        """Pearson r between predicted and true connectivity among ``X``'s regions.

        The correlation is taken over the upper triangle (each unordered
        region pair once), so :class:`~sklearn.model_selection.GridSearchCV`
        works without a ``scoring`` argument.

        Parameters
        ----------
        X : DataFrame of shape (n_regions, n_features)
            Test regions.
        Y : DataFrame of shape (n_regions, n_all_regions)
            Their connectivity rows; the test x test block is used.
        sample_weight : None
            Not supported; must be None.

        Returns
        -------
        score : float
            Pearson correlation coefficient.
        """
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported for connectome scores.")
        X = check_regions_X(
            align_unlabelled(X, Y), coord_columns=self._coord_columns(), min_regions=3
        )
        y_true = upper_triangle(train_block(X, Y))
        y_pred = upper_triangle(np.asarray(self.predict(X), dtype=float))
        return pearson_r(y_true, y_pred)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags


def _forget_fit(estimator):
    """Delete the fitted attributes (public names ending in ``_``)."""
    for key in [
        k for k in vars(estimator) if k.endswith("_") and not k.startswith("_")
    ]:
        delattr(estimator, key)


def _warn_standardised_coords(X, coord_columns):
    """Warn when x, y, z look z-scored (a scaler in a Pipeline rescaled them)."""
    if not all(c in X.columns for c in coord_columns) or X.shape[0] < 3:
        return
    coords = X[list(coord_columns)].to_numpy(dtype=float)
    mean = coords.mean(axis=0)
    sd = coords.std(axis=0)
    if np.allclose(mean, 0.0, atol=1e-6) and np.allclose(sd, 1.0, atol=1e-6):
        warnings.warn(
            f"The coordinate columns {list(coord_columns)} of X have mean 0 and "
            "SD 1 on every axis: a scaler (e.g. StandardScaler in a Pipeline) "
            "rescaled them, so distances are no longer in mm. Scale only the "
            "genes, with a ColumnTransformer that passes x, y, z through (see "
            "'Preprocessing inside the fold' in the leakage guide).",
            UserWarning,
            stacklevel=3,
        )

"""Region-feature transformers fitted on the training regions only.

A selection or projection fitted on data -- the most variable genes, the
transcriptome's principal components -- must be fitted inside
cross-validation on the training regions, or the held-out regions'
expression leaks into the features (the research system fitted its PCA on
all regions). These transformers go first in a
:class:`~sklearn.pipeline.Pipeline` with a connectome estimator: the
pipeline fits them on the training rows of each fold. They keep the region
index and pass the coordinate columns through unchanged, so the estimator
after them still finds ``x, y, z``.
"""

import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted, validate_data

from connpredict.utils._checks import check_count_or_fraction, check_int
from connpredict.utils._contract import COORD_COLUMNS

__all__ = ["TopVarianceGenes", "TranscriptomePCA"]


class _RegionTransformer(TransformerMixin, BaseEstimator):
    """Split genes from coordinates, fit on genes, pass coordinates through."""

    def _coord_positions(self, X):
        cols = getattr(X, "columns", None)
        wanted = list(self.coord_columns or ())
        if cols is None:
            # an array: integer coordinate columns, or none
            if all(isinstance(c, numbers.Integral) for c in wanted) and wanted:
                return [int(c) for c in wanted]
            return []
        if all(c in cols for c in wanted):
            return [cols.get_loc(c) for c in wanted]
        return []

    def _validate(self, X, *, reset):
        index = X.index if isinstance(X, pd.DataFrame) else None
        if reset:
            self._coord_idx = self._coord_positions(X)
        arr = validate_data(self, X, reset=reset, dtype=np.float64)
        coords = self._coord_idx
        genes = np.setdiff1d(np.arange(arr.shape[1]), coords)
        if genes.size == 0:
            raise ValueError(
                f"{type(self).__name__} needs gene columns, but X holds only "
                "coordinates."
            )
        return arr, genes, coords, index

    def fit(self, X, y=None):
        """Fit on the gene columns of the (training) regions ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_regions, n_features)
            Region features: genes and, optionally, coordinate columns.
        y : ignored
            The connectome rows in a pipeline; not used.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        arr, genes, coords, _ = self._validate(X, reset=True)
        self.coord_indices_ = np.asarray(coords, dtype=int)
        self._fit_genes(arr[:, genes], np.asarray(genes))
        return self

    def transform(self, X):
        """Transform the gene columns; keep the index and coordinate columns.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_regions, n_features)
            Regions (any, e.g. held-out ones), with the columns seen in fit.

        Returns
        -------
        Xt : DataFrame or ndarray of shape (n_regions, n_features_out)
            The new gene columns then the coordinate columns; a DataFrame
            with the same index when ``X`` is one.
        """
        check_is_fitted(self)
        arr, genes, coords, index = self._validate(X, reset=False)
        out = np.hstack([self._transform_genes(arr[:, genes]), arr[:, coords]])
        if index is None:
            return out
        return pd.DataFrame(out, index=index, columns=self.get_feature_names_out())

    def get_feature_names_out(self, input_features=None):
        """Output column names: the new gene columns, then the coordinates.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Ignored beyond scikit-learn's consistency check.

        Returns
        -------
        names : ndarray of str
            The output column names, in the order of ``transform``.
        """
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = np.array(
                [f"x{i}" for i in range(self.n_features_in_)], dtype=object
            )
        coords = [str(names[i]) for i in self.coord_indices_]
        return np.asarray(self._gene_names_out(names) + coords, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class TranscriptomePCA(_RegionTransformer):
    """Principal components of the gene columns, fitted on the training regions.

    The research system's ``transcriptome_PCA`` features (and the CGE
    model's 27 components) came from a PCA fitted on *all* regions, test
    regions included -- an unsupervised leak of the held-out expression.
    Here the PCA is a transformer: in a :class:`~sklearn.pipeline.Pipeline`
    it is fitted on the training regions of each fold and only applied to
    the held-out ones. It is never a dataset column.

    Parameters
    ----------
    n_components : int or float, default=0.95
        Number of components, or (a float in (0, 1)) the smallest number
        reaching that fraction of the training regions' gene variance (the
        research's ``"95var"``).
    coord_columns : tuple, default=("x", "y", "z")
        Coordinate columns, passed through unchanged (last).

    Attributes
    ----------
    pca_ : :class:`~sklearn.decomposition.PCA`
        The PCA fitted on the training regions' gene columns.
    n_components_ : int
        Number of components kept.
    coord_indices_ : ndarray of int
        Positions of the coordinate columns in ``X``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only with DataFrame input.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.models import BilinearRegressor, TranscriptomePCA
    >>> ds = make_synthetic_connectome(n_regions=30, n_genes=20, random_state=0)
    >>> pca = TranscriptomePCA(n_components=5).fit(ds.X.iloc[:20])
    >>> list(pca.transform(ds.X.iloc[20:]).columns)
    ['pc1', 'pc2', 'pc3', 'pc4', 'pc5', 'x', 'y', 'z']
    >>> model = make_pipeline(TranscriptomePCA(5), BilinearRegressor(encoder=None))
    >>> model.fit(ds.X.iloc[:20], ds.Y.iloc[:20]).predict(ds.X.iloc[20:]).shape
    (10, 10)
    """

    def __init__(self, n_components=0.95, *, coord_columns=COORD_COLUMNS):
        self.n_components = n_components
        self.coord_columns = coord_columns

    def _fit_genes(self, G, gene_idx):
        nc = self.n_components
        check_count_or_fraction(nc, "n_components")
        if isinstance(nc, numbers.Integral) and nc > min(G.shape):
            raise ValueError(
                f"n_components={nc} exceeds min(n_regions, n_genes) = "
                f"{min(G.shape)} of the training regions."
            )
        self.pca_ = PCA(n_components=nc, svd_solver="full").fit(G)
        self.n_components_ = int(self.pca_.n_components_)

    def _transform_genes(self, G):
        return self.pca_.transform(G)

    def _gene_names_out(self, names):
        return [f"pc{k + 1}" for k in range(self.n_components_)]


class TopVarianceGenes(_RegionTransformer):
    """Keep the genes of highest variance across the training regions.

    The research system's ``"500_var"`` gene list was computed once on all
    regions (a fixed file). As a transformer the selection is fitted on the
    training regions of each fold, so held-out regions play no part in it.

    Parameters
    ----------
    n_genes : int, default=500
        Number of genes kept (all genes when there are fewer).
    coord_columns : tuple, default=("x", "y", "z")
        Coordinate columns, passed through unchanged (last).

    Attributes
    ----------
    variances_ : ndarray of shape (n_genes_in,)
        Variance of each gene column across the training regions.
    support_ : ndarray of int
        Positions (among the gene columns) of the kept genes, in their
        original order.
    coord_indices_ : ndarray of int
        Positions of the coordinate columns in ``X``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only with DataFrame input.

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.models import TopVarianceGenes
    >>> ds = make_synthetic_connectome(n_regions=30, n_genes=20, random_state=0)
    >>> TopVarianceGenes(n_genes=4).fit_transform(ds.X.iloc[:20]).shape
    (20, 7)
    """

    def __init__(self, n_genes=500, *, coord_columns=COORD_COLUMNS):
        self.n_genes = n_genes
        self.coord_columns = coord_columns

    def _fit_genes(self, G, gene_idx):
        n = check_int(self.n_genes, "n_genes", low=1)
        self.variances_ = G.var(axis=0)
        # stable: ties keep the earlier gene
        order = np.argsort(-self.variances_, kind="stable")[: min(n, G.shape[1])]
        self.support_ = np.sort(order)
        self._gene_positions = gene_idx

    def _transform_genes(self, G):
        return G[:, self.support_]

    def _gene_names_out(self, names):
        return [str(names[self._gene_positions[k]]) for k in self.support_]

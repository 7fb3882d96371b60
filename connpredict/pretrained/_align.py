"""Match a new atlas's expression table to a fitted model's genes."""

import logging
import warnings

import numpy as np
import pandas as pd

from connpredict.utils._contract import COORD_COLUMNS
from connpredict.utils._genes import case_warning, match_gene_symbols, no_gene_hint

logger = logging.getLogger("connpredict.pretrained")

#: default smallest fraction of a model's genes an expression table must have
MIN_COVERAGE = 0.8
# generous bounds of MNI152 brain coordinates, in mm
_MNI_RANGE = {"x": (-100.0, 100.0), "y": (-140.0, 100.0), "z": (-90.0, 110.0)}


def _model_columns(model):
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        raise ValueError(
            "The model has no feature_names_in_: fit it on a labelled DataFrame "
            "(genes by name and x, y, z) before predicting on a new atlas."
        )
    names = [str(n) for n in names]
    genes = [n for n in names if n not in COORD_COLUMNS]
    return genes, [n for n in names if n in COORD_COLUMNS]


def gene_coverage(model, X):
    """Which of a model's genes an expression table has.

    Parameters
    ----------
    model : fitted estimator
        A model fitted on a labelled DataFrame (``feature_names_in_``).
    X : DataFrame
        The region table (genes as columns).

    Returns
    -------
    coverage : dict
        ``required`` (the model's genes), ``matched`` (how many X has) and
        ``missing`` (the others, in the model's order).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from connpredict.pretrained._align import gene_coverage
    >>> model = LinearRegression().fit(
    ...     pd.DataFrame(np.eye(3), columns=["A", "B", "x"]), [0, 1, 2])
    >>> gene_coverage(model, pd.DataFrame(columns=["A", "x"]))
    {'required': 2, 'matched': 1, 'missing': ['B']}
    """
    genes, _ = _model_columns(model)
    missing = [g for g in genes if g not in X.columns]
    return {
        "required": len(genes),
        "matched": len(genes) - len(missing),
        "missing": missing,
    }


def _training_means(model):
    train = getattr(model, "X_train_", None)
    if train is not None:
        return train.mean(axis=0)
    means = getattr(model, "feature_means_", None)
    if means is None:
        raise ValueError(
            "The model keeps no training statistics (no X_train_ or "
            "feature_means_) to fill missing genes from; give every gene."
        )
    return means


def check_mni_coordinates(coords):
    """Check that region centroids look like MNI coordinates in millimetres.

    Parameters
    ----------
    coords : DataFrame
        Columns ``x``, ``y``, ``z``, one row a region.

    Raises
    ------
    ValueError
        If a coordinate is missing or not finite, if the coordinates look
        like voxel indices (every x, y and z non-negative, whole numbers or
        not, for four regions or more), or if they fall
        outside a generous MNI152 brain box (x in [-100, 100], y in
        [-140, 100], z in [-90, 110] mm) or span less than 20 mm.

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.pretrained import check_mni_coordinates
    >>> ok = pd.DataFrame({"x": [-40.0, 40.0], "y": [-20.0, 10.0], "z": [30.0, 5.0]})
    >>> check_mni_coordinates(ok)
    >>> voxels = pd.DataFrame({"x": [20, 70], "y": [40, 90], "z": [30, 50]})
    >>> check_mni_coordinates(voxels)
    Traceback (most recent call last):
    ...
    ValueError: The coordinates look like voxel indices ...
    """
    missing = [c for c in COORD_COLUMNS if c not in coords.columns]
    if missing:
        raise ValueError(
            f"The region table lacks coordinate column(s) {missing}: give each "
            "region's MNI152 centroid in columns x, y, z (mm)."
        )
    xyz = coords.loc[:, list(COORD_COLUMNS)].to_numpy(dtype=float)
    bad = ~np.isfinite(xyz).all(axis=1)
    if bad.any():
        labels = list(coords.index[bad][:5])
        raise ValueError(
            f"{int(bad.sum())} region(s) have missing or infinite coordinates "
            f"(e.g. {labels}); give every region an MNI152 centroid or drop it."
        )
    # voxel indices are non-negative on every axis, whole numbers or not (a
    # centroid computed in voxel space is fractional); MNI152 centroids of
    # more than a few regions lie on both sides of x = 0 or behind y = 0 or
    # below z = 0 (only a right, frontal, dorsal patch is all non-negative)
    if (xyz >= 0).all() and (len(xyz) >= 4 or np.array_equal(xyz, np.round(xyz))):
        raise ValueError(
            "The coordinates look like voxel indices (every x, y and z is "
            "non-negative: no region left of the midline, behind or below the "
            "MNI origin); convert them to MNI152 millimetres with the image's "
            "affine (e.g. nibabel.affines.apply_affine) first."
        )
    for i, c in enumerate(COORD_COLUMNS):
        lo, hi = _MNI_RANGE[c]
        if xyz[:, i].min() < lo or xyz[:, i].max() > hi:
            raise ValueError(
                f"Coordinate {c} ranges over [{xyz[:, i].min():.1f}, "
                f"{xyz[:, i].max():.1f}], outside the MNI152 brain ([{lo:g}, "
                f"{hi:g}] mm): the model expects MNI152 millimetres, not another "
                "space or unit."
            )
    if len(xyz) > 1 and np.ptp(xyz, axis=0).max() < 20:
        raise ValueError(
            "The coordinates span less than 20 mm: they do not look like brain "
            "region centroids in MNI152 millimetres (wrong unit?)."
        )


def _check_unique_labels(X):
    """Refuse duplicated region labels or column names."""
    dup = X.index[X.index.duplicated()].unique()
    if len(dup):
        raise ValueError(
            f"Region labels must be unique; duplicated: {list(dup[:5])}. Merge "
            "or rename those regions."
        )
    if X.columns.duplicated().any():
        dup = list(X.columns[X.columns.duplicated()].unique()[:5])
        raise ValueError(f"Column names must be unique; duplicated: {dup}.")


def _check_expression_values(X, genes):
    """Refuse regions without expression, or with missing values, in ``genes``."""
    values = X.loc[:, genes].apply(pd.to_numeric, errors="coerce")
    all_nan = values.isna().all(axis=1)
    if all_nan.any():
        raise ValueError(
            f"{int(all_nan.sum())} region(s) have no expression values (all "
            f"NaN), e.g. {list(X.index[all_nan][:5])}: drop those regions "
            "(they had no tissue samples)."
        )
    some_nan = values.isna().any(axis=1)
    if some_nan.any():
        raise ValueError(
            f"{int(some_nan.sum())} region(s) have missing (NaN) or "
            f"non-numeric values in the model's genes, e.g. "
            f"{list(X.index[some_nan][:5])}: fill or drop them first."
        )


def align_regions(model, X, *, min_coverage=MIN_COVERAGE):
    """Match a region table to a fitted model's columns, by gene name.

    Columns are matched by name (their order does not matter); a gene
    symbol that differs only in case (``Pvalb`` for ``PVALB``) is matched
    with a ``UserWarning`` when exactly one column fits. Policy for
    genes the model was trained on but ``X`` lacks: if ``X`` has fewer than
    ``min_coverage`` of them the call is refused; otherwise each missing
    gene is filled with its mean over the model's training regions and a
    ``UserWarning`` states the coverage. Genes the model does not know are
    ignored (logged at INFO level on the ``connpredict.pretrained`` logger).
    Coordinates are checked with :func:`check_mni_coordinates`.

    Parameters
    ----------
    model : estimator
        A fitted connpredict estimator (it has ``feature_names_in_`` and
        ``X_train_``, or ``feature_means_`` when loaded from a file saved
        without its training data).
    X : DataFrame
        One row a region, indexed by unique region labels; gene columns by
        gene symbol and the MNI152 centroid in ``x``, ``y``, ``z`` (mm).
    min_coverage : float, default=0.8
        Smallest fraction of the model's genes ``X`` must contain.

    Returns
    -------
    X_aligned : DataFrame
        A new table with exactly the model's columns, in its order (``X`` is
        not modified).

    Raises
    ------
    ValueError
        Duplicated region labels, regions whose expression is entirely
        missing (NaN), some missing values in the model's genes, too few of
        the model's genes, or coordinates that are not MNI152 millimetres.

    Examples
    --------
    >>> from connpredict import make_synthetic_connectome, BilinearRegressor
    >>> from connpredict.pretrained import align_regions
    >>> ds = make_synthetic_connectome(n_regions=20, n_genes=5, random_state=0)
    >>> model = BilinearRegressor().fit(ds.X, ds.Y)
    >>> shuffled = ds.X[ds.X.columns[::-1]]
    >>> list(align_regions(model, shuffled).columns) == list(ds.X.columns)
    True
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            "X must be a DataFrame with gene columns named by gene symbol and "
            f"x, y, z coordinates; got {type(X).__name__}."
        )
    if not 0 < min_coverage <= 1:
        raise ValueError(f"min_coverage must be in (0, 1]; got {min_coverage!r}.")
    genes, coords = _model_columns(model)
    _check_unique_labels(X)
    matched, by_case, missing = match_gene_symbols(
        genes, [c for c in X.columns if c not in COORD_COLUMNS]
    )
    if by_case:
        warnings.warn(
            case_warning(by_case, "the model's genes"), UserWarning, stacklevel=2
        )
        X = X.rename(columns={c: s for c, s in by_case})
    present = [g for g in genes if g in matched]
    coverage = len(present) / len(genes) if genes else 1.0
    if genes and coverage < min_coverage:
        hint = ""
        if not present:
            hint = " " + no_gene_hint(genes, X.columns, X.index)
        raise ValueError(
            f"The expression table has {len(present)} of the model's "
            f"{len(genes)} genes ({coverage:.0%}), below min_coverage="
            f"{min_coverage:g}: a prediction would rest on imputed genes.{hint} "
            "Match gene symbols (the model's genes are in read_metadata()) or "
            "lower min_coverage knowingly."
        )
    known = set(genes) | set(coords) | set(COORD_COLUMNS)
    extra = [c for c in X.columns if c not in known]
    if extra:
        logger.info(
            "Ignoring %d column(s) the model was not trained on (e.g. %s).",
            len(extra),
            extra[:5],
        )
    if present:
        _check_expression_values(X, present)
    if coords:
        check_mni_coordinates(X)
    means = _training_means(model) if missing else None
    columns = {}
    for name in [str(n) for n in model.feature_names_in_]:
        if name in X.columns:
            columns[name] = pd.to_numeric(X[name]).astype(float).to_numpy()
        else:
            columns[name] = np.full(len(X), float(means[name]))
    out = pd.DataFrame(columns, index=X.index.copy())
    if missing:
        warnings.warn(
            f"The expression table has {len(present)} of the model's "
            f"{len(genes)} genes (coverage {coverage:.1%}); the {len(missing)} "
            "missing gene(s) are filled with their mean over the training "
            "regions.",
            UserWarning,
            stacklevel=2,
        )
    return out

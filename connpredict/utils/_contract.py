"""The data contract of connpredict, in one place.

Regions are the samples. ``X`` is a table with one row per region (genes and,
optionally, the coordinate columns ``x``, ``y``, ``z``); ``Y`` is a square,
labelled connectome whose rows are sliced together with ``X`` by
scikit-learn's cross-validation. Every estimator, splitter and scorer goes
through the helpers of this module, so that the rules (which columns are
coordinates, which block of ``Y`` a model may see, how region pairs are
enumerated) live in one place.
"""

import warnings

import numpy as np
import pandas as pd

from connpredict.utils._checks import MIN_REGIONS

COORD_COLUMNS = ("x", "y", "z")
# A region table's unit-sphere centroids (cortical spins, user atlases).
SPHERE_COLUMNS = ("sphere_x", "sphere_y", "sphere_z")


def _as_frame(X, *, name="X"):
    """Return ``X`` as a DataFrame, giving integer labels to arrays."""
    if isinstance(X, pd.DataFrame):
        return X
    if hasattr(X, "toarray") or hasattr(X, "sparse"):
        raise ValueError(
            f"{name} is a sparse matrix; region tables are dense: pass "
            f"`{name}.toarray()` or a DataFrame."
        )
    if isinstance(X, pd.Series):
        raise ValueError(
            f"{name} is a pandas Series; pass a DataFrame with one row per region "
            f"(for example `{name}.to_frame()`)."
        )
    arr = np.asarray(X)
    if arr.ndim == 1:
        raise ValueError(
            f"{name} is 1-D (shape {arr.shape}); expected one row per region and "
            "one column per feature. Reshape a single feature with "
            "`X.reshape(-1, 1)`."
        )
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got an array of shape {arr.shape}.")
    return pd.DataFrame(arr)


def _prefixed_coord_columns(columns, coord_columns):
    """Map ``prefix__x``-style names to the coordinate names, or return None.

    A :class:`~sklearn.compose.ColumnTransformer` with the default
    ``verbose_feature_names_out=True`` renames the columns it passes on to
    ``<transformer>__<column>`` (``remainder__x``). When none of the plain
    coordinate names is present and each of them appears exactly once as
    ``<prefix>__<name>``, with one prefix for all, those columns are the
    coordinates.
    """
    names = [c for c in columns if isinstance(c, str)]
    if any(c in names for c in coord_columns):
        return None
    mapping = {}
    prefixes = set()
    for coord in coord_columns:
        if not isinstance(coord, str):
            return None
        hits = [c for c in names if c.endswith(f"__{coord}")]
        if not hits:
            return None
        if len(hits) > 1:
            raise ValueError(
                f"X has several columns that could be the coordinate {coord!r} "
                f"({hits[:5]}); keep one set of coordinates (see the "
                "ColumnTransformer recipe in the leakage guide)."
            )
        mapping[hits[0]] = coord
        prefixes.add(hits[0][: -len(coord) - 2])
    if len(prefixes) != 1:
        return None
    return mapping


def align_unlabelled(X, Y, *, name="X"):
    """Return ``X`` as a DataFrame, giving an unlabelled array ``Y``'s row labels.

    A transformer in a :class:`~sklearn.pipeline.Pipeline` (such as
    :class:`~sklearn.preprocessing.StandardScaler`) returns a plain array,
    dropping the region labels of ``X``; its rows are still in the order of
    the rows of ``Y``. So an ``X`` that is not a DataFrame takes the row
    labels of a DataFrame ``Y`` with as many rows. A DataFrame ``X`` keeps
    its own labels, which are checked against ``Y`` as usual.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_regions, n_features)
        Region features.
    Y : DataFrame, array-like or None
        The connectivity rows of the same regions.
    name : str, default="X"
        The argument's name in error messages.

    Returns
    -------
    X : DataFrame
        ``X`` itself when it is a DataFrame; otherwise a new DataFrame, with
        ``Y``'s row labels when ``Y`` is a DataFrame with ``len(X)`` rows and
        integer labels ``0..n-1`` else.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.utils._contract import align_unlabelled
    >>> Y = pd.DataFrame(np.eye(3), list("abc"), list("abc"))
    >>> align_unlabelled(np.zeros((3, 2)), Y).index.tolist()
    ['a', 'b', 'c']
    """
    if isinstance(X, pd.DataFrame):
        return X
    frame = _as_frame(X, name=name)
    if isinstance(Y, pd.DataFrame) and len(Y.index) == frame.shape[0]:
        frame.index = Y.index
    return frame


def check_regions_X(
    X,
    *,
    coord_columns=COORD_COLUMNS,
    require_coords=False,
    min_regions=MIN_REGIONS,
    name="X",
):
    """Validate a region feature table.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_regions, n_features)
        One row per region. Arrays get integer region labels ``0..n-1``.
    coord_columns : tuple of str, default=("x", "y", "z")
        Names of the coordinate columns.
    require_coords : bool, default=False
        Raise when the coordinate columns are missing.
    min_regions : int, default=3
        The smallest number of regions accepted.
    name : str, default="X"
        The argument's name in error messages (e.g. ``"X_other"``).

    Returns
    -------
    X : DataFrame
        The validated table (the input object itself when it was a valid
        DataFrame, so nothing is copied). When the coordinates arrive as
        ``<prefix>__x, <prefix>__y, <prefix>__z`` (the names a
        :class:`~sklearn.compose.ColumnTransformer` gives by default, e.g.
        ``remainder__x``) and the plain names are absent, a renamed view with
        columns ``x, y, z`` is returned; the caller's object is unchanged.

    Raises
    ------
    ValueError
        On duplicate region labels, non-numeric columns, NaN or infinite
        values, too few regions or missing coordinates, with a message that
        names the fix.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.utils import check_regions_X
    >>> check_regions_X(np.zeros((4, 2))).shape
    (4, 2)
    """
    X = _as_frame(X, name=name)
    if X.shape[0] < min_regions:
        raise ValueError(
            f"{name} has {X.shape[0]} region(s); at least {min_regions} are needed to "
            "form region pairs. Pass more regions."
        )
    if X.shape[1] == 0:
        raise ValueError(f"{name} has no feature columns; pass genes and/or x, y, z.")
    if X.index.has_duplicates:
        dup = X.index[X.index.duplicated()].unique().tolist()[:5]
        raise ValueError(
            f"{name} has duplicate region labels {dup}; region labels (the index) must "
            "be unique. Rename or drop the duplicated rows."
        )
    if X.columns.has_duplicates:
        dup = X.columns[X.columns.duplicated()].unique().tolist()[:5]
        raise ValueError(
            f"{name} has duplicate column names {dup}; make feature names unique."
        )
    complex_cols = [
        c for c, dt in X.dtypes.items() if pd.api.types.is_complex_dtype(dt)
    ]
    if complex_cols:
        raise ValueError(
            f"{name} has complex-valued column(s) {complex_cols[:5]}; complex data is "
            "not supported. Pass real values (e.g. `np.abs(X)` or `X.real`)."
        )
    non_numeric = [c for c, dt in X.dtypes.items() if not _is_numeric(dt)]
    if non_numeric:
        raise ValueError(
            f"{name} has non-numeric column(s) {non_numeric[:5]}; every column "
            "must be a gene or a coordinate. Move labels into the index "
            "(`X.set_index(...)`) and drop text columns."
        )
    values = X.to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        bad = X.index[~np.all(np.isfinite(values), axis=1)].tolist()[:5]
        raise ValueError(
            f"{name} contains NaN or infinite values (regions {bad}, ...). "
            "Regions with no expression must be removed first: use "
            "`load_dataset(..., missing='drop')` or `X.dropna()` (and the same "
            "regions of Y)."
        )
    mapping = _prefixed_coord_columns(X.columns, tuple(coord_columns))
    if mapping:
        X = X.rename(columns=mapping)
    missing = [c for c in coord_columns if c not in X.columns]
    if missing and (require_coords or len(missing) < len(coord_columns)):
        raise ValueError(
            f"{name} lacks the coordinate column(s) {missing}; region coordinates go "
            f"in columns {list(coord_columns)} (MNI mm), all or none. Add them "
            "or set `coord_columns=` to the names you use."
        )
    return X


def _is_numeric(dtype):
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(
        dtype
    )


def split_features(X, coord_columns=COORD_COLUMNS):
    """Split a region table into gene columns and coordinate columns.

    Parameters
    ----------
    X : DataFrame of shape (n_regions, n_features)
        Region features.
    coord_columns : tuple of str, default=("x", "y", "z")
        Names of the coordinate columns. Columns not listed are genes.

    Returns
    -------
    genes : ndarray of shape (n_regions, n_genes)
        Gene expression (float64); ``n_genes`` may be 0.
    coords : ndarray of shape (n_regions, 3) or None
        Coordinates, or None when any coordinate column is absent.

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.utils import split_features
    >>> X = pd.DataFrame({"g1": [1.0, 2.0], "x": [0, 1], "y": [0, 1], "z": [0, 1]})
    >>> genes, coords = split_features(X)
    >>> genes.shape, coords.shape
    ((2, 1), (2, 3))
    """
    X = _as_frame(X)
    coord_columns = list(coord_columns)
    present = [c for c in coord_columns if c in X.columns]
    if present and len(present) < len(coord_columns):
        missing = [c for c in coord_columns if c not in X.columns]
        raise ValueError(
            f"X has coordinate column(s) {present} but lacks {missing}; give all "
            f"of {coord_columns} or none (or set `coord_columns=`)."
        )
    has_coords = bool(present)
    gene_cols = [c for c in X.columns if c not in coord_columns]
    genes = X[gene_cols].to_numpy(dtype=float)
    coords = X[coord_columns].to_numpy(dtype=float) if has_coords else None
    return genes, coords


def gene_columns(X, coord_columns=COORD_COLUMNS):
    """Return the names of the gene columns of ``X`` (all non-coordinate columns).

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_regions, n_features)
        Region features.
    coord_columns : sequence of str, default=("x", "y", "z")
        Names of the coordinate columns.

    Returns
    -------
    genes : list
        The other column names, in the order of ``X``.

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.utils import gene_columns
    >>> gene_columns(pd.DataFrame(columns=["A1", "x", "y", "z", "B2"]))
    ['A1', 'B2']
    """
    return [c for c in _as_frame(X).columns if c not in list(coord_columns)]


def check_connectome(Y, *, name="Y", symmetrize=True):
    """Validate a square connectome matrix.

    Parameters
    ----------
    Y : DataFrame or array-like of shape (n_regions, n_regions)
        The connectome; a DataFrame must have the same labels on both axes.
    name : str, default="Y"
        Name used in error messages.
    symmetrize : bool, default=True
        Warn and replace an asymmetric matrix by ``(Y + Y.T) / 2``.

    Returns
    -------
    Y : DataFrame
        Labelled, float, symmetric; the diagonal is kept as given (it is
        never used).

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.utils import check_connectome
    >>> check_connectome(np.eye(3)).shape
    (3, 3)
    """
    if isinstance(Y, pd.DataFrame):
        if Y.shape[0] != Y.shape[1]:
            raise ValueError(
                f"{name} must be square (regions x regions), got shape {Y.shape}."
            )
        if not Y.index.equals(Y.columns):
            raise ValueError(
                f"{name}'s row labels and column labels differ; a connectome needs "
                "the same region labels, in the same order, on both axes "
                f"(for example `{name}.loc[labels, labels]`)."
            )
        frame = Y.astype(float)
    else:
        arr = np.asarray(Y, dtype=float)
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
            raise ValueError(
                f"{name} must be a square matrix (regions x regions), got shape "
                f"{arr.shape}."
            )
        frame = pd.DataFrame(arr)
    values = frame.to_numpy()
    off = ~np.eye(values.shape[0], dtype=bool)
    if not np.all(np.isfinite(values[off])):
        raise ValueError(
            f"{name} contains NaN or infinite values off the diagonal; fill or drop "
            "those regions first."
        )
    if symmetrize and not np.allclose(values[off], values.T[off], rtol=1e-5, atol=1e-8):
        warnings.warn(
            f"{name} is not symmetric (max |Y - Y.T| = "
            f"{np.max(np.abs(values - values.T)[off]):.3g}); using (Y + Y.T) / 2.",
            UserWarning,
            stacklevel=2,
        )
        frame = pd.DataFrame(
            (values + values.T) / 2, index=frame.index, columns=frame.columns
        )
    return frame


def train_block(X, Y):
    """Return the block of ``Y`` among the regions (rows) of ``X``.

    This is the only view of the target that a model may fit on: during
    cross-validation scikit-learn passes ``Y.iloc[train]`` (training rows,
    every column), and the columns of held-out regions must not be used.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_regions, n_features)
        The regions; their labels select rows and columns of ``Y``.
    Y : DataFrame or array-like of shape (n_regions, n_all_regions)
        Connectivity rows of those regions. A DataFrame's columns must contain
        the labels of ``X``; an array must be square and aligned with ``X``.

    Returns
    -------
    block : ndarray of shape (n_regions, n_regions)
        ``Y[X regions, X regions]``, float64, symmetrised if needed.

    Raises
    ------
    ValueError
        When labels are needed but missing, labels differ or shapes disagree.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.utils import train_block
    >>> Y = pd.DataFrame(np.arange(16.0).reshape(4, 4) ** 0, list("abcd"), list("abcd"))
    >>> X = pd.DataFrame({"g": [1.0, 2.0, 3.0]}, index=list("abd"))
    >>> train_block(X, Y).shape
    (3, 3)
    """
    X = align_unlabelled(X, Y)
    n = X.shape[0]
    if isinstance(Y, pd.DataFrame):
        missing = X.index.difference(Y.columns)
        if len(missing):
            if not isinstance(Y.columns, pd.RangeIndex) and isinstance(
                X.index, pd.RangeIndex
            ):
                hint = (
                    "X has no region labels: pass X as a DataFrame indexed by the "
                    "same region labels as Y."
                )
            else:
                hint = (
                    "X's index and Y's index/columns must hold the same region labels."
                )
            raise ValueError(
                f"Regions {missing.tolist()[:5]} of X are not columns of Y. {hint}"
            )
        rows_missing = X.index.difference(Y.index)
        if len(rows_missing):
            raise ValueError(
                f"Regions {rows_missing.tolist()[:5]} of X are not rows of Y; X and "
                "Y must be indexed by the same region labels."
            )
        if Y.index.has_duplicates or Y.columns.has_duplicates:
            raise ValueError("Y has duplicate region labels; labels must be unique.")
        block = Y.loc[X.index, X.index]
    else:
        if np.iscomplexobj(Y):
            raise ValueError("Y is complex-valued; complex data is not supported.")
        arr = np.asarray(Y, dtype=float)
        if arr.ndim != 2:
            raise ValueError(
                f"Y must be 2-D (regions x regions), got shape {arr.shape}. A 1-D "
                "target is not a connectome: pass the square matrix."
            )
        if arr.shape != (n, n):
            raise ValueError(
                f"Y has shape {arr.shape} but X has {n} regions. Without labels the "
                "train x train block of Y cannot be found (scikit-learn slices the "
                "rows of Y only). Pass X and Y as pandas DataFrames indexed by "
                "region labels (Y with the same labels on its columns)."
            )
        block = arr
    return check_connectome(block, symmetrize=True).to_numpy()


def cross_block(X_rows, X_cols, Y):
    """Return ``Y`` restricted to rows of ``X_rows`` and columns of ``X_cols``.

    Parameters
    ----------
    X_rows, X_cols : DataFrame
        Two region sets, labelled like ``Y``.
    Y : DataFrame
        Connectivity with labelled rows and columns.

    Returns
    -------
    block : ndarray of shape (n_rows, n_cols)
        ``Y`` restricted to those rows and columns, as floats.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.utils import cross_block
    >>> Y = pd.DataFrame(np.eye(3), list("abc"), list("abc"))
    >>> cross_block(Y.iloc[:1], Y.iloc[1:], Y).shape
    (1, 2)
    """
    if not isinstance(Y, pd.DataFrame):
        raise ValueError(
            "A rectangular block of Y needs region labels: pass Y as a DataFrame "
            "indexed by region labels on both axes."
        )
    rows = _as_frame(X_rows).index
    cols = _as_frame(X_cols).index
    for what, labels, axis in (("rows", rows, Y.index), ("columns", cols, Y.columns)):
        missing = labels.difference(axis)
        if len(missing):
            raise ValueError(
                f"Regions {missing.tolist()[:5]} are not among the {what} of Y."
            )
    return Y.loc[rows, cols].to_numpy(dtype=float)


def pair_indices(n_regions, *, k=1):
    """Enumerate unordered region pairs ``i < j`` (upper triangle, row-major).

    Parameters
    ----------
    n_regions : int
        Number of regions.
    k : int, default=1
        Diagonal offset, as in :func:`numpy.triu_indices` (1 excludes self-pairs).

    Returns
    -------
    rows, cols : ndarray of int of shape (n_pairs,)
        Row and column index of each pair, ``rows[p] < cols[p]`` when
        ``k=1``.

    Examples
    --------
    >>> from connpredict.utils import pair_indices
    >>> pair_indices(3)
    (array([0, 0, 1]), array([1, 2, 2]))
    """
    return np.triu_indices(n_regions, k=k)


def upper_triangle(M, *, k=1):
    """Return the upper triangle (``i < j``) of a square matrix as a vector.

    Parameters
    ----------
    M : array-like of shape (n, n)
        A square matrix.
    k : int, default=1
        Diagonal offset, as in :func:`pair_indices` (1 leaves out the
        diagonal).

    Returns
    -------
    values : ndarray of shape (n_pairs,)
        ``M[i, j]`` for the pairs of :func:`pair_indices`, in that order.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.utils import upper_triangle
    >>> upper_triangle(np.arange(9).reshape(3, 3))
    array([1, 2, 5])
    """
    M = np.asarray(M)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"Expected a square matrix, got shape {M.shape}.")
    return M[np.triu_indices(M.shape[0], k=k)]


PAIR_ORDERS = ("lower", "upper")


def _triangle_indices(n_regions, order, *, diagonal=False):
    """Row and column indices of one triangle, in row-major order."""
    if order == "lower":
        return np.tril_indices(n_regions, k=0 if diagonal else -1)
    if order == "upper":
        return np.triu_indices(n_regions, k=0 if diagonal else 1)
    raise ValueError(
        f"order must be 'lower' (nilearn's vectorised order) or 'upper' "
        f"(numpy.triu_indices order), got {order!r}."
    )


def pairs_to_matrix(
    values, n_regions, rows=None, cols=None, *, diagonal=0.0, order="lower"
):
    """Rebuild a symmetric square matrix from per-pair values.

    Parameters
    ----------
    values : array-like of shape (n_pairs,)
        One value per unordered pair (self-pairs excluded).
    n_regions : int
        Size of the square matrix.
    rows, cols : array-like of int, default=None
        Pair indices. When given, ``order`` is not used.
    diagonal : float, default=0.0
        Value written on the diagonal.
    order : {"lower", "upper"}, default="lower"
        Order of ``values`` when ``rows`` and ``cols`` are not given.
        ``"lower"`` is the row-major lower triangle without the diagonal,
        ``(1, 0), (2, 0), (2, 1), (3, 0), ...``, the order of nilearn's
        ``sym_matrix_to_vec(M, discard_diagonal=True)`` and of
        ``ConnectivityMeasure(vectorize=True, discard_diagonal=True)``.
        ``"upper"`` is the row-major upper triangle, ``(0, 1), (0, 2), ...``,
        the order of :func:`numpy.triu_indices`, :func:`pair_indices` and
        :func:`upper_triangle`. The two orders differ for more than three
        regions, so a vector read in the wrong order gives a wrong matrix.

    Returns
    -------
    M : ndarray of shape (n_regions, n_regions)
        ``M[i, j] = M[j, i] = value``; a pair given in both orders is averaged.

    See Also
    --------
    matrix_to_pairs : The inverse.

    Examples
    --------
    >>> from connpredict.utils import pairs_to_matrix
    >>> pairs_to_matrix([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 4)
    array([[0., 1., 2., 4.],
           [1., 0., 3., 5.],
           [2., 3., 0., 6.],
           [4., 5., 6., 0.]])
    >>> pairs_to_matrix([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 4, order="upper")
    array([[0., 1., 2., 3.],
           [1., 0., 4., 5.],
           [2., 4., 0., 6.],
           [3., 5., 6., 0.]])
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(
            f"values must be a 1-D vector of pair values, got shape {values.shape}; "
            "for a stack of subject vectors use connpredict.datasets.make_dataset."
        )
    if (rows is None) != (cols is None):
        raise ValueError("Pass both rows and cols, or neither.")
    if rows is None:
        rows, cols = _triangle_indices(n_regions, order)
    elif order not in PAIR_ORDERS:
        raise ValueError(f"order must be 'lower' or 'upper', got {order!r}.")
    rows = np.asarray(rows)
    cols = np.asarray(cols)
    if not (values.shape[0] == rows.shape[0] == cols.shape[0]):
        raise ValueError(
            f"Got {values.shape[0]} values for {rows.shape[0]} pairs; one value per "
            "pair is needed."
        )
    total = np.zeros((n_regions, n_regions))
    count = np.zeros((n_regions, n_regions))
    np.add.at(total, (rows, cols), values)
    np.add.at(total, (cols, rows), values)
    np.add.at(count, (rows, cols), 1.0)
    np.add.at(count, (cols, rows), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        M = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    np.fill_diagonal(M, diagonal)
    return M


def matrix_to_pairs(M, *, order="lower"):
    """Return the pair values of a square matrix (self-pairs excluded).

    The inverse of :func:`pairs_to_matrix` for symmetric matrices.

    Parameters
    ----------
    M : array-like of shape (n_regions, n_regions)
        A square matrix; only the triangle named by ``order`` is read.
    order : {"lower", "upper"}, default="lower"
        ``"lower"``: nilearn's order (``sym_matrix_to_vec(M,
        discard_diagonal=True)``); ``"upper"``: :func:`upper_triangle`'s.

    Returns
    -------
    values : ndarray of shape (n_regions * (n_regions - 1) // 2,)
        One value per unordered pair, in the requested order.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.utils import matrix_to_pairs
    >>> M = np.arange(16).reshape(4, 4)
    >>> matrix_to_pairs(M)
    array([ 4,  8,  9, 12, 13, 14])
    >>> matrix_to_pairs(M, order="upper")
    array([ 1,  2,  3,  6,  7, 11])
    """
    M = np.asarray(M)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"Expected a square matrix, got shape {M.shape}.")
    return M[_triangle_indices(M.shape[0], order)]


def check_pair_target(X, Y, *, coord_columns=COORD_COLUMNS, require_coords=False):
    """Validate ``(X, Y)`` for fitting and return the pieces a model uses.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_regions, n_features)
        Training regions.
    Y : DataFrame or array-like
        Their connectivity rows (see :func:`train_block`).
    coord_columns : tuple of str, default=("x", "y", "z")
        Coordinate column names.
    require_coords : bool, default=False
        Raise when coordinates are missing.

    Returns
    -------
    X : DataFrame
        The validated feature table.
    Y_block : ndarray of shape (n_regions, n_regions)
        The train x train block (symmetric, float).

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.utils import check_pair_target
    >>> X, Yb = check_pair_target(np.random.rand(4, 2), np.eye(4))
    >>> Yb.shape
    (4, 4)
    """
    if Y is None:
        raise ValueError(
            "Y is required: this estimator requires y to be passed, but the target "
            "y is None. Pass the square connectome (regions x regions) as the "
            "second argument of fit."
        )
    X = check_regions_X(
        align_unlabelled(X, Y),
        coord_columns=coord_columns,
        require_coords=require_coords,
    )
    if isinstance(Y, pd.DataFrame):
        if not X.index.equals(Y.index):
            if isinstance(X.index, pd.RangeIndex) and not isinstance(
                Y.index, pd.RangeIndex
            ):
                msg = (
                    "X has no region labels but Y does; pass X as a DataFrame "
                    "indexed by the same region labels as Y (`X.index = Y.index`)."
                )
            elif len(X.index) == len(Y.index) and set(X.index) == set(Y.index):
                msg = (
                    "X and Y hold the same regions in a different order; align them "
                    "with `Y = Y.loc[X.index]`. (scikit-learn's "
                    "permutation_test_score shuffles the rows of Y, which is not a "
                    "valid null for a connectome: use connpredict.nulls.spin_test.)"
                )
            elif (
                len(X.index) == len(Y.index)
                and Y.index.isin(Y.columns).all()
                and X.index.isin(Y.columns).all()
            ):
                msg = (
                    "The region labels of X (index) and Y (index) differ, although "
                    "both are regions of Y's columns: Y's rows were shuffled, "
                    "reordered or selected apart from X's. scikit-learn's "
                    "permutation_test_score shuffles the rows of Y, which is not a "
                    "valid null model for a connectome: use "
                    "connpredict.nulls.spin_test. Otherwise select the same "
                    "regions, e.g. `Y = Y.loc[X.index]`."
                )
            else:
                msg = (
                    "The region labels of X (index) and Y (index) differ; X and Y "
                    "must be indexed by the same regions (e.g. from `load_dataset`)."
                )
            raise ValueError(msg)
    else:
        arr = np.asarray(Y)
        if arr.ndim == 2 and arr.shape[0] != X.shape[0]:
            raise ValueError(
                f"X has {X.shape[0]} regions but Y has {arr.shape[0]} rows; they "
                "must describe the same regions, in the same order."
            )
    return X, train_block(X, Y)

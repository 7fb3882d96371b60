"""Build a dataset from the user's own expression table and connectome."""

import logging
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from connpredict.datasets._bunch import dataset_bunch
from connpredict.datasets._load import genomic_order
from connpredict.datasets._networks import region_names
from connpredict.utils._contract import COORD_COLUMNS, pairs_to_matrix
from connpredict.utils._tables import read_delimited

logger = logging.getLogger(__name__)

REDUCTIONS = ("mean", "fisher_z")
MISSING = ("drop", "mirror", "nearest")
_MIRROR = {"L": "R", "R": "L"}


# --------------------------------------------------------------------- helpers
def _show(labels, k=8):
    labels = list(labels)
    text = ", ".join(repr(v) for v in labels[:k])
    return text + (f", ... ({len(labels)} in all)" if len(labels) > k else "")


def _read_path(value, what):
    """Read a table or array given as a path; pass anything else through."""
    if not isinstance(value, (str, os.PathLike)):
        return value
    path = Path(value)
    if not path.is_file():
        raise FileNotFoundError(f"{what} file {str(path)!r} does not exist.")
    suffixes = "".join(path.suffixes[-2:]).lower()
    if path.suffix.lower() == ".npy":
        return np.load(path, allow_pickle=False)
    if path.suffix.lower() == ".npz":
        with np.load(path, allow_pickle=False) as z:
            if len(z.files) != 1:
                raise ValueError(
                    f"{what} file {path.name} holds {len(z.files)} arrays "
                    f"({_show(z.files)}); save exactly one array per file."
                )
            return z[z.files[0]]
    if not any(s in suffixes for s in (".csv", ".tsv", ".tab", ".txt")):
        raise ValueError(
            f"Cannot read {what} file {path.name}: use a labelled .csv/.tsv table "
            "(first column = region label) or a .npy array."
        )
    if ".tsv" in suffixes or ".tab" in suffixes:
        return read_delimited(path, "\t", what=what)
    if ".txt" in suffixes:  # comma or tab: let the parser tell
        return pd.read_csv(path, sep=None, engine="python", index_col=0)
    return read_delimited(path, ",", what=what)


def _positions(labels, index):
    """Positions of ``labels`` in ``index``, and the labels not found.

    Labels match exactly, or else as text (a table read from CSV has text
    column names where its index has integers).
    """
    labels = pd.Index(labels)
    index = pd.Index(index)
    pos = index.get_indexer(labels)
    if (pos >= 0).all():
        return pos, []
    text = pd.Index(index.astype(str))
    pos = text.get_indexer(labels.astype(str)) if text.is_unique else pos
    return pos, [lab for lab, p in zip(labels, pos) if p < 0]


def _mismatch(ref, other, ref_name, other_name, fix):
    ref_s = set(pd.Index(ref).astype(str))
    other_s = set(pd.Index(other).astype(str))
    only_ref = [r for r in ref if str(r) not in other_s]
    only_other = [r for r in other if str(r) not in ref_s]
    parts = []
    if only_ref:
        parts.append(f"in {ref_name} only: {_show(only_ref)}")
    if only_other:
        parts.append(f"in {other_name} only: {_show(only_other)}")
    return ValueError(
        f"The region labels of {ref_name} and {other_name} differ "
        f"({'; '.join(parts) or 'different lengths'}); {fix}"
    )


def _check_unique(index, what):
    if not index.is_unique:
        dup = index[index.duplicated()].unique()
        raise ValueError(
            f"{what} has duplicate region labels {_show(dup)}; every region needs "
            "one unique label (e.g. prefix hemispheres: 'L_insula', 'R_insula')."
        )


# ------------------------------------------------------------------ expression
def _check_expression(expression):
    expression = _read_path(expression, "expression")
    if not isinstance(expression, pd.DataFrame):
        raise TypeError(
            "expression must be a DataFrame of regions x genes indexed by region "
            "label (e.g. the output of abagen.get_expression_data) or the path of "
            f"such a CSV/TSV table, got {type(expression).__name__}."
        )
    if expression.shape[0] < 2 or expression.shape[1] < 1:
        raise ValueError(
            f"expression must have at least 2 regions (rows) and 1 gene (column), "
            f"got shape {expression.shape}."
        )
    _check_unique(expression.index, "expression")
    if not expression.columns.is_unique:
        dup = expression.columns[expression.columns.duplicated()].unique()
        raise ValueError(
            f"expression has duplicate gene columns {_show(dup)}; keep one column "
            "per gene (e.g. `expression.T.groupby(level=0).mean().T`)."
        )
    names = [str(c).lower() for c in expression.columns]
    for key in ("label", "id", "region", "name"):
        if key in names:
            raise ValueError(
                f"expression has a column {key!r}, which looks like region labels; "
                f"make it the index (`expression.set_index({key!r})` or "
                f"`pd.read_csv(..., index_col={key!r})`)."
            )
    clash = [c for c in expression.columns if c in COORD_COLUMNS]
    if clash:
        raise ValueError(
            f"expression has column(s) {clash}, the names of the coordinate "
            "columns; pass coordinates through `regions` or `coords` instead."
        )
    bad = [
        c
        for c in expression.columns
        if not pd.api.types.is_numeric_dtype(expression[c])
        or pd.api.types.is_bool_dtype(expression[c])
    ]
    if bad:
        raise ValueError(
            f"expression has non-numeric column(s) {_show(bad)}; keep only the "
            "genes (numbers), indexed by region label."
        )
    values = expression.to_numpy(dtype=float)
    if np.isinf(values).any():
        raise ValueError("expression contains infinite values; fix them first.")
    isnan = np.isnan(values)
    all_nan = isnan.all(axis=1)
    partial = isnan.any(axis=1) & ~all_nan
    if partial.any():
        genes = expression.columns[isnan[~all_nan].any(axis=0)]
        raise ValueError(
            f"expression has missing values for some genes in "
            f"{int(partial.sum())} region(s) ({_show(expression.index[partial])}); "
            f"drop those genes ({_show(genes)}) or fill them. Only whole "
            "regions without expression (all-NaN rows) are handled by `missing=`."
        )
    if all_nan.all():
        raise ValueError("expression is all NaN: no region has any expression.")
    return expression.astype(float)  # a copy


# ---------------------------------------------------------------- region table
def _align_table(table, labels, what):
    table = _read_path(table, what)
    if isinstance(table, pd.Series):
        table = table.to_frame()
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"{what} must be a DataFrame indexed by region label, got "
            f"{type(table).__name__}."
        )
    _check_unique(table.index, what)
    pos, absent = _positions(labels, table.index)
    if absent:
        raise _mismatch(
            labels,
            table.index,
            "expression",
            what,
            f"give {what} a row for every region of the expression table.",
        )
    out = table.iloc[pos].copy()
    out.index = pd.Index(labels, name=table.index.name or "label")
    return out


def _coords_frame(coords, labels):
    coords = _read_path(coords, "coords")
    if isinstance(coords, pd.DataFrame):
        missing = [c for c in COORD_COLUMNS if c not in coords.columns]
        if missing:
            raise ValueError(
                f"coords lacks column(s) {missing}; give x, y, z (MNI mm) per region."
            )
        return _align_table(coords[list(COORD_COLUMNS)], labels, "coords").astype(float)
    arr = np.asarray(coords, dtype=float)
    if arr.shape != (len(labels), 3):
        raise ValueError(
            f"coords must have shape ({len(labels)}, 3) (one x, y, z row per "
            f"expression row, in the same order), got {arr.shape}."
        )
    return pd.DataFrame(arr.copy(), index=pd.Index(labels), columns=COORD_COLUMNS)


# ------------------------------------------------------------------ connectome
def _fisher_z_mean(stack):
    off = ~np.eye(stack.shape[1], dtype=bool)
    r = stack[:, off]
    if np.any(np.abs(r) >= 1):
        raise ValueError(
            "reduction='fisher_z' needs correlations strictly between -1 and 1 "
            "off the diagonal; these matrices are not correlations: use "
            "reduction='mean'."
        )
    out = np.zeros(stack.shape[1:])
    out[off] = np.tanh(np.arctanh(r).mean(axis=0))
    out[~off] = stack[:, ~off].mean(axis=0)
    return out


def _reduce(stack, reduction):
    if reduction == "mean":
        return stack.mean(axis=0)
    return _fisher_z_mean(stack)


def _vector_to_matrix(vec, n):
    """One vectorised connectome (nilearn order) to a square matrix."""
    n_off = n * (n - 1) // 2
    if vec.size == n_off:
        return pairs_to_matrix(vec, n, order="lower", diagonal=0.0)
    # with the diagonal: nilearn divides the diagonal by sqrt(2)
    rows, cols = np.tril_indices(n)
    M = np.zeros((n, n))
    M[rows, cols] = vec
    M[cols, rows] = vec
    M[np.diag_indices(n)] *= np.sqrt(2.0)
    return M


def _as_stack(connectome):
    """A list of subject matrices (or vectors) as one array; check sizes."""
    shapes = []
    arrays = []
    for a in connectome:
        a = np.asarray(a, dtype=float)
        arrays.append(a)
        shapes.append(a.shape)
    if len(set(shapes)) > 1:
        sizes = sorted(set(shapes))
        first = {s: shapes.index(s) for s in sizes}
        listed = ", ".join(f"{s} (subject {first[s]})" for s in sizes[:4])
        raise ValueError(
            f"The subject connectomes have different shapes ({listed}); all "
            "subjects need the same regions in the same order."
        )
    return np.stack(arrays)


def _connectome_matrix(connectome, labels, reduction):
    """Return ``(matrix, form)`` in the order of ``labels``."""
    n = len(labels)
    n_off, n_diag = n * (n - 1) // 2, n * (n + 1) // 2
    connectome = _read_path(connectome, "connectome")
    if isinstance(connectome, pd.DataFrame):
        return _labelled_connectome(connectome, labels)
    if isinstance(connectome, (list, tuple)):
        arr = _as_stack(connectome)
    else:
        arr = np.asarray(connectome, dtype=float)
    if arr.ndim == 1:
        if arr.size not in (n_off, n_diag):
            raise ValueError(
                f"A vectorised connectome of {n} regions has {n_off} values "
                f"(without diagonal) or {n_diag} (with diagonal), got {arr.size}; "
                "check that it was computed on the same regions as the expression."
            )
        diag = "with" if arr.size == n_diag else "without"
        return _vector_to_matrix(arr, n), f"vectorised ({diag} diagonal)"
    if arr.ndim == 2 and arr.shape == (n, n):
        return arr.copy(), "square matrix"
    if arr.ndim == 2 and arr.shape[1] in (n_off, n_diag):
        mats = np.stack([_vector_to_matrix(v, n) for v in arr])
        diag = "with" if arr.shape[1] == n_diag else "without"
        return (
            _reduce(mats, reduction),
            f"{arr.shape[0]} vectorised subject connectomes ({diag} diagonal), "
            f"{reduction} reduction",
        )
    if arr.ndim == 2:
        raise ValueError(
            f"The connectome has shape {arr.shape}; expected a square ({n}, {n}) "
            f"matrix for the {n} expression regions, a vector of {n_off} or "
            f"{n_diag} values (nilearn's vectorised form) or (n_subjects, {n_off}) "
            "vectors."
        )
    if arr.ndim == 3:
        return _reduced_stack(arr, n, reduction)
    raise ValueError(
        f"The connectome must be a square matrix, a vector, a stack of vectors or "
        f"a 3-D stack of matrices, got {arr.ndim} dimensions."
    )


def _labelled_connectome(connectome, labels):
    """A labelled square table, reordered like ``labels``."""
    n = len(labels)
    if connectome.shape[0] != connectome.shape[1]:
        raise ValueError(
            f"The connectome table must be square (regions x regions), got "
            f"shape {connectome.shape}; pass a vectorised connectome as an "
            "array, not a table."
        )
    _check_unique(connectome.index, "connectome (rows)")
    _check_unique(connectome.columns, "connectome (columns)")
    order = []
    for axis, index in (("rows", connectome.index), ("columns", connectome.columns)):
        pos, absent = _positions(labels, index)
        if absent or len(index) != n:
            raise _mismatch(
                labels,
                index,
                "expression",
                f"connectome {axis}",
                "label the connectome's rows and columns with the expression's "
                "regions, or pass `connectome.to_numpy()` if its rows are "
                "already in the order of the expression rows.",
            )
        order.append(pos)
    M = connectome.to_numpy(dtype=float)[np.ix_(*order)]
    return M, "labelled table"


def _reduced_stack(arr, n, reduction):
    """A 3-D stack of subject matrices (subjects first), reduced to one."""
    if arr.shape[1] != arr.shape[2]:
        hint = (
            " If subjects are on the last axis, move them first with "
            "`np.moveaxis(stack, -1, 0)`."
            if arr.shape[:2] == (n, n)
            else ""
        )
        raise ValueError(
            f"The connectome stack has shape {arr.shape}; each subject matrix "
            "must be square, with subjects on the first axis "
            f"(n_subjects, n_regions, n_regions).{hint}"
        )
    if arr.shape[1] != n:
        raise ValueError(
            f"The connectome stack has shape {arr.shape} (subjects first) but "
            f"the expression table has {n} regions; use the same regions."
        )
    return (
        _reduce(arr, reduction),
        f"stack of {arr.shape[0]} subject matrices, {reduction} reduction",
    )


def _check_matrix(M):
    off = ~np.eye(M.shape[0], dtype=bool)
    if not np.all(np.isfinite(M[off])):
        bad = np.flatnonzero(~np.isfinite(M).all(axis=1) & off.any(axis=1))
        raise ValueError(
            f"The connectome has NaN or infinite values off the diagonal (in rows "
            f"{bad[:8].tolist()}); fill them or drop those regions from both the "
            "expression and the connectome."
        )
    diff = np.abs(M - M.T)[off]
    if not np.allclose(M[off], M.T[off], rtol=1e-5, atol=1e-8):
        raise ValueError(
            f"The connectome is not symmetric (max |C - C.T| = {diff.max():.3g}); "
            "connectivity between regions needs a symmetric matrix: symmetrise it "
            "yourself (e.g. `(C + C.T) / 2`) if that is what you mean."
        )


# --------------------------------------------------------------- missing rows
def _mirror_partners(missing, have, regions):
    """For each missing region, the region of the other hemisphere with its name.

    The name is the ``name`` column when the table has one; otherwise the
    region whose centroid is nearest the mirrored centroid ``(-x, y, z)``.
    """
    if "hemisphere" not in regions.columns:
        raise ValueError(
            "missing='mirror' needs a 'hemisphere' column ('L'/'R') in the region "
            "table; use atlas_regions(...) or missing='nearest'."
        )
    hemi = regions["hemisphere"].astype(str)
    use_names = "name" in regions.columns
    if not use_names and not set(COORD_COLUMNS) <= set(regions.columns):
        raise ValueError(
            "missing='mirror' needs a 'name' column or x, y, z centroids in the "
            "region table to find each region's counterpart."
        )
    partners = {}
    for lab in missing:
        other = _MIRROR.get(hemi[lab])
        pool = [h for h in have if hemi[h] == other]
        if other is None or not pool:
            continue
        if use_names:
            same = [h for h in pool if regions.at[h, "name"] == regions.at[lab, "name"]]
            if same:
                partners[lab] = same[0]
            continue
        c = regions.loc[lab, list(COORD_COLUMNS)].to_numpy(dtype=float)
        c = c * np.array([-1.0, 1.0, 1.0])
        d = np.linalg.norm(
            regions.loc[pool, list(COORD_COLUMNS)].to_numpy(dtype=float) - c, axis=1
        )
        if np.isfinite(d).any():
            partners[lab] = pool[int(np.nanargmin(d))]
    return partners


def _nearest_partners(missing, have, coords):
    if coords is None:
        raise ValueError(
            "missing='nearest' needs region centroids: pass `regions` with x, y, "
            "z or `coords`."
        )
    pts = coords.loc[list(have)].to_numpy(dtype=float)
    partners = {}
    for lab in missing:
        d = np.linalg.norm(pts - coords.loc[lab].to_numpy(dtype=float), axis=1)
        partners[lab] = list(have)[int(np.argmin(d))]
    return partners


def fill_missing_regions(expression, regions=None, *, missing="drop", stacklevel=2):
    """Handle regions without expression (all-NaN rows): drop or impute them.

    Parcels without a tissue sample have no expression; abagen leaves their
    rows NaN. This is the one policy :func:`make_dataset` (``missing=``),
    ``connpredict run --missing`` and ``connpredict predict --missing`` use.

    Parameters
    ----------
    expression : DataFrame
        Regions x genes, indexed by region label.
    regions : DataFrame, default=None
        Region table indexed by the same labels: ``hemisphere`` and ``name``
        or ``x, y, z`` for ``"mirror"``, ``x, y, z`` for ``"nearest"``.
    missing : {"drop", "mirror", "nearest"}, default="drop"
        ``"drop"``: the regions are removed; ``"mirror"``: each takes the
        expression of the same region in the other hemisphere (same
        ``name``, else the region nearest its mirrored centroid
        ``(-x, y, z)``), and regions without such a counterpart are dropped;
        ``"nearest"``: each takes the expression of the region with the
        nearest centroid. Imputations and drops are reported in a warning
        naming the regions.
    stacklevel : int, default=2
        Of the warnings.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``expression`` (a new table with the imputed rows filled and the
        dropped rows still NaN, in the order of ``expression``), ``dropped``
        (list of labels) and ``imputed`` (dict label -> the label its
        expression came from).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.datasets import fill_missing_regions
    >>> expr = pd.DataFrame({"G": [1.0, np.nan, 3.0]}, index=["a", "b", "c"])
    >>> regions = pd.DataFrame({"x": [0.0, 1, 10], "y": 0.0, "z": 0.0},
    ...                        index=["a", "b", "c"])
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     out = fill_missing_regions(expr, regions, missing="nearest")
    >>> str(caught[0].message).split(": ")[-1]
    "'b' <- 'a'."
    >>> out.imputed, out.expression.loc["b", "G"]
    ({'b': 'a'}, np.float64(1.0))
    """
    if missing not in MISSING:
        raise ValueError(f"missing must be one of {list(MISSING)}, got {missing!r}.")
    expr = expression.copy()
    labels = expr.index
    table = pd.DataFrame(index=labels) if regions is None else regions
    no_expr = expr.isna().all(axis=1)
    missing_labels = list(labels[no_expr.to_numpy()])
    imputed = {}
    if missing_labels and missing != "drop":
        have = [lab for lab in labels if not no_expr[lab]]
        if missing == "mirror":
            imputed = _mirror_partners(missing_labels, have, table)
        else:
            has_xyz = set(COORD_COLUMNS) <= set(table.columns)
            imputed = _nearest_partners(
                missing_labels,
                have,
                table[list(COORD_COLUMNS)] if has_xyz else None,
            )
        for lab, src in imputed.items():
            expr.loc[lab] = expr.loc[src].to_numpy()
        warnings.warn(
            f"Imputed the expression of {len(imputed)} region(s) without samples "
            f"(missing={missing!r}): "
            + ", ".join(
                f"{a!r} <- {b!r}"
                for a, b in zip(
                    region_names(table, list(imputed)[:8]),
                    region_names(table, list(imputed.values())[:8]),
                )
            )
            + ("..." if len(imputed) > 8 else "")
            + ".",
            UserWarning,
            stacklevel=stacklevel,
        )
    dropped = [lab for lab in missing_labels if lab not in imputed]
    if dropped:
        warnings.warn(
            f"Dropped {len(dropped)} region(s) without expression (all-NaN rows): "
            f"{_show(region_names(table, dropped))}. Pass missing='mirror' or "
            "'nearest' to impute them.",
            UserWarning,
            stacklevel=stacklevel,
        )
    return Bunch(expression=expr, dropped=dropped, imputed=imputed)


# ------------------------------------------------------------------------ main
def make_dataset(
    expression,
    connectome,
    regions=None,
    *,
    coords=None,
    networks=None,
    reduction="mean",
    missing="drop",
    gene_order="file",
):
    """Build a dataset from your own expression table, connectome and regions.

    The result has the form of :func:`load_dataset`'s, so everything that
    works on a registered dataset (models, splitters, :func:`spin_test`, the
    report) works on it.

    Parameters
    ----------
    expression : DataFrame or path
        Regions x genes, indexed by region label, e.g. the output of
        ``abagen.get_expression_data(atlas, ...)`` (index: the atlas's
        integer region ids, named ``label``; one column per gene symbol), or
        the path of such a CSV/TSV table (first column = label). Its rows
        define the regions and their order. Regions with no expression at all
        (all-NaN rows, parcels without tissue samples) are handled by
        ``missing``; any other NaN is an error.
    connectome : DataFrame, ndarray, list of ndarray or path
        The target connectivity, in one of these forms:

        - a square DataFrame labelled on both axes with the expression's
          labels (in any order: rows and columns are matched by label);
        - a square array ``(n_regions, n_regions)`` in the order of the
          expression rows;
        - nilearn's vectorised form, ``ConnectivityMeasure(vectorize=True)``:
          a vector of the row-major lower triangle, ``(1, 0), (2, 0), (2, 1),
          ...``, without the diagonal (``n (n - 1) / 2`` values,
          ``discard_diagonal=True``) or with it (``n (n + 1) / 2`` values;
          nilearn stores the diagonal divided by sqrt(2), which is undone),
          told apart by the length; or an array ``(n_subjects, n_values)`` of
          such vectors (``ConnectivityMeasure.fit_transform``), reduced as
          below;
        - a stack ``(n_subjects, n_regions, n_regions)`` (or a list of such
          matrices) of subject connectomes, reduced by ``reduction``;
        - the path of a labelled CSV/TSV table or of a ``.npy`` array.

        It must be symmetric and finite off the diagonal (the diagonal is
        never used).
    regions : DataFrame or path, default=None
        Region table indexed by label, e.g. from :func:`atlas_regions`:
        ``x, y, z`` (MNI mm) become the coordinate columns of ``X``;
        ``hemisphere``, ``structure`` and ``sphere_x, sphere_y, sphere_z``
        are used by :func:`~connpredict.nulls.spin_test`; a ``network``
        column becomes ``networks``. It may list more regions than the
        expression table (the expression's regions are taken).
    coords : DataFrame or array-like of shape (n_regions, 3), default=None
        Region centroids ``x, y, z`` (MNI mm), when ``regions`` has none: a
        table indexed by label or an array in the order of the expression
        rows. Giving centroids in both is an error.
    networks : Series or array-like of shape (n_regions,), default=None
        A network label per region (for :class:`NetworkSplit` and
        ``connpredict run --cv network``), indexed by label or in expression
        order; default: the ``network`` column of ``regions`` if any. For an
        atlas without networks, ``networks=assign_yeo_networks(regions)``
        gives each region the Yeo-7 network of the nearest Schaefer-400
        parcel (:func:`assign_yeo_networks`).
    reduction : {"mean", "fisher_z"}, default="mean"
        How a stack of subject connectomes becomes the group connectome:
        ``"mean"``, the element-wise mean; ``"fisher_z"``, the mean of the
        Fisher-transformed correlations back-transformed,
        ``tanh(mean_s(arctanh(r_s)))`` (off-diagonal values must lie in
        (-1, 1); the diagonal is averaged as is).
    missing : {"drop", "mirror", "nearest"}, default="drop"
        Regions whose expression is all NaN:

        - ``"drop"``: removed from ``X``, ``Y`` and the region table, with a
          warning naming them;
        - ``"mirror"``: take the expression of the same region in the other
          hemisphere (same ``name`` in the region table, else the region
          nearest the mirrored centroid ``(-x, y, z)``), as abagen mirrors
          samples across hemispheres; regions without a counterpart with
          expression are dropped;
        - ``"nearest"``: take the expression of the region with the nearest
          centroid.

        Imputations are reported in a warning and in ``imputed_regions``.
    gene_order : {"file", "genomic"}, default="file"
        Keep the genes in the order of the expression columns, or order the
        gene symbols by chromosome and transcription start
        (:func:`genomic_order`; unknown symbols last, alphabetically), as
        :func:`load_dataset` does by default and the transformer's gene
        tokens prefer.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X`` (DataFrame: genes, then ``x``, ``y``, ``z`` when centroids are
        known; index = region labels, in expression order), ``Y`` (square
        DataFrame, same labels), ``regions`` (region table), ``networks``
        (Series, or None), ``genes``, ``n_genes_unplaced`` (with
        ``gene_order="genomic"``: genes without a genomic position; else
        None), ``missing_regions`` (labels dropped),
        ``imputed_regions`` (dict label -> the label its expression came
        from), ``connectome_form`` (how the connectome was read), ``name``
        (``"user"``), ``target`` and ``DESCR``. Every loader returns the same keys
        (:data:`~connpredict.datasets.DATASET_KEYS`); those that do not apply
        are None or empty.

    See Also
    --------
    load_dataset : The registered datasets.
    atlas_regions : Region table of a parcellation image.
    assign_yeo_networks : Networks for an atlas without them.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.datasets import make_dataset
    >>> rng = np.random.default_rng(0)
    >>> labels = pd.Index([1, 2, 3, 4], name="label")
    >>> expression = pd.DataFrame(rng.random((4, 2)), index=labels,
    ...                           columns=["GENE_A", "GENE_B"])
    >>> vec = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])  # nilearn order, no diagonal
    >>> ds = make_dataset(expression, vec, coords=rng.random((4, 3)))
    >>> ds.Y.loc[4, 2]
    np.float64(0.5)
    >>> list(ds.X.columns)
    ['GENE_A', 'GENE_B', 'x', 'y', 'z']
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction must be one of {list(REDUCTIONS)}, got {reduction!r}."
        )
    if missing not in MISSING:
        raise ValueError(f"missing must be one of {list(MISSING)}, got {missing!r}.")
    if gene_order not in ("file", "genomic"):
        raise ValueError(f"gene_order must be 'file' or 'genomic', got {gene_order!r}.")
    expr = _check_expression(expression)
    labels = expr.index

    table, has_xyz = _region_table(regions, labels, coords, networks)
    M, form = _connectome_matrix(connectome, labels, reduction)
    _check_matrix(M)
    Y = pd.DataFrame(M, index=pd.Index(labels, name="label"), columns=labels.copy())

    # regions without expression
    filled = fill_missing_regions(expr, table, missing=missing, stacklevel=3)
    expr, dropped, imputed = filled.expression, filled.dropped, filled.imputed
    keep = ~labels.isin(dropped)
    if keep.sum() < 2:
        raise ValueError("Fewer than 2 regions have expression; nothing to model.")

    genes = [str(g) if not isinstance(g, str) else g for g in expr.columns]
    X = pd.DataFrame(
        expr.to_numpy(), index=pd.Index(labels, name="label"), columns=genes
    )
    n_unplaced = None
    if gene_order == "genomic":
        genes, n_unplaced = genomic_order(genes)
        X = X[genes]
    if has_xyz:
        X[list(COORD_COLUMNS)] = table[list(COORD_COLUMNS)].to_numpy(dtype=float)
    X = X.loc[keep]
    Y = Y.loc[keep, keep]
    table = table.loc[keep]

    descr = _describe(X, genes, form, has_xyz, dropped, imputed, table)
    return dataset_bunch(
        X,
        Y,
        table,
        genes=genes,
        n_genes_unplaced=n_unplaced,
        missing_regions=dropped,
        imputed_regions=imputed,
        connectome_form=form,
        name="user",
        target="user",
        DESCR=descr,
    )


def _region_table(regions, labels, coords, networks):
    """The region table aligned to ``labels``, with centroids and networks.

    Returns the table and whether it holds finite ``x, y, z`` centroids.
    """
    if regions is not None:
        table = _align_table(regions, labels, "regions")
    else:
        table = pd.DataFrame(index=pd.Index(labels))
    table.index.name = "label"
    has_xyz = set(COORD_COLUMNS) <= set(table.columns)
    if coords is not None:
        if has_xyz:
            raise ValueError(
                "Centroids were given twice (x, y, z in `regions` and `coords`); "
                "pass only one of them."
            )
        xyz = _coords_frame(coords, labels)
        for c in COORD_COLUMNS:
            table[c] = xyz[c].to_numpy()
        has_xyz = True
    if has_xyz:
        xyz_values = table[list(COORD_COLUMNS)].to_numpy(dtype=float)
        if not np.all(np.isfinite(xyz_values)):
            bad = labels[~np.isfinite(xyz_values).all(axis=1)]
            raise ValueError(
                f"Regions {_show(region_names(table, bad))} have no finite x, y, "
                "z centroid; fix or drop them (an empty region in the atlas?)."
            )

    if networks is not None:
        if isinstance(networks, pd.Series):
            net = _align_table(networks.rename("network"), labels, "networks")
            table["network"] = net["network"].to_numpy()
        else:
            arr = np.asarray(networks)
            if arr.shape != (len(labels),):
                raise ValueError(
                    f"networks must have one label per expression row "
                    f"({len(labels)}), got shape {arr.shape}."
                )
            table["network"] = arr
    return table, has_xyz


def _describe(X, genes, form, has_xyz, dropped, imputed, table):
    sphere = all(c in table.columns for c in ("sphere_x", "sphere_y", "sphere_z"))
    n_sphere = (
        int(np.isfinite(table[["sphere_x", "sphere_y", "sphere_z"]]).all(axis=1).sum())
        if sphere
        else 0
    )
    lines = [
        ".. _user_dataset:",
        "",
        "User dataset (make_dataset)",
        "---------------------------",
        "",
        f":Regions: {X.shape[0]}",
        f":Features: {len(genes)} genes"
        + (" + ``x``, ``y``, ``z``" if has_xyz else " (no centroids)"),
        f":Target: {form}",
        f":Without expression: {len(dropped)} dropped, {len(imputed)} imputed",
        f":Sphere centroids: {n_sphere} of {X.shape[0]} regions",
    ]
    return "\n".join(lines) + "\n"

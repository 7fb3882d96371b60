"""Turn connectome blocks into per-pair values (each unordered pair once).

Two kinds of blocks are scored:

* a *square* block among one region set (test x test): the upper triangle
  ``i < j`` is used, so every unordered region pair counts once and the
  diagonal (self-pairs) never does;
* a *rectangular* block between two disjoint region sets (test x train):
  every entry is a distinct unordered pair, so all entries are used;
* a *row* block of some regions against a region set that contains them
  (test x all, e.g. ``Y.loc[test, test + train]``): the test x test part
  contributes its upper triangle and the test x other part every entry, so
  again each unordered pair counts once (the research's ``test-all``
  protocol).

1-D inputs are taken to be pair values already (one value per pair).
"""

from collections import namedtuple

import numpy as np
import pandas as pd

from connpredict.utils._contract import COORD_COLUMNS, pair_indices

_Pairs = namedtuple(
    "_Pairs",
    [
        "true",
        "pred",
        "rows",
        "cols",
        "row_labels",
        "col_labels",
        "kind",
        "Y_true",
        "Y_pred",
    ],
)


def _same_label_set(a, b):
    return len(a) == len(b) and set(a) == set(b)


def _align_frames(Y_true, Y_pred):
    """Align two labelled blocks; return (true, pred, kind)."""
    rows, cols = Y_true.index, Y_true.columns
    if rows.has_duplicates or cols.has_duplicates:
        raise ValueError("Y_true has duplicate region labels; labels must be unique.")
    if _same_label_set(rows, cols):
        kind = "square"
        cols = rows
    elif len(rows.intersection(cols)) == 0:
        kind = "cross"
    elif rows.isin(cols).all():
        kind = "rows"
        # the row regions first (in row order), then the other columns
        cols = rows.append(cols[~cols.isin(rows)])
    else:
        raise ValueError(
            "Y_true's rows and columns share some but not all regions, and not "
            "every row region is a column. Pass a square block among one region "
            "set (test x test), a block between two disjoint region sets (test x "
            "train) or a block of test rows against all regions (test x all)."
        )
    if not (
        _same_label_set(Y_pred.index, rows) and _same_label_set(Y_pred.columns, cols)
    ):
        raise ValueError(
            "Y_true and Y_pred are labelled with different regions; both must hold "
            "the same region labels on each axis (the order may differ)."
        )
    true = Y_true.loc[rows, cols]
    pred = Y_pred.loc[rows, cols]
    return true, pred, kind


def _as_pairs(Y_true, Y_pred):
    """Validate two blocks and return their per-pair values.

    Returns a ``_Pairs`` tuple: the pair values (1-D float arrays), the row
    and column position of each pair in the aligned blocks (None for 1-D
    input), the row and column labels (None without labels), the kind
    (``"square"``, ``"cross"``, ``"rows"`` or ``"vector"``) and the aligned
    2-D blocks
    (None for 1-D input).
    """
    t_frame = isinstance(Y_true, pd.DataFrame)
    p_frame = isinstance(Y_pred, pd.DataFrame)
    if t_frame and p_frame:
        true, pred, kind = _align_frames(Y_true, Y_pred)
        row_labels, col_labels = true.index, true.columns
        true = true.to_numpy(dtype=float)
        pred = pred.to_numpy(dtype=float)
    else:
        if t_frame or p_frame:
            frame = Y_true if t_frame else Y_pred
            row_labels, col_labels = frame.index, frame.columns
        else:
            row_labels = col_labels = None
        true = np.asarray(Y_true, dtype=float)
        pred = np.asarray(Y_pred, dtype=float)
        if true.shape != pred.shape:
            raise ValueError(
                f"Y_true and Y_pred have different shapes {true.shape} and "
                f"{pred.shape}; pass the same block (or the same pair vector) twice."
            )
        if true.ndim == 1:
            kind = "vector"
        elif true.ndim == 2:
            kind = "square" if true.shape[0] == true.shape[1] else "cross"
            if row_labels is not None and _same_label_set(row_labels, col_labels):
                if not row_labels.equals(col_labels):
                    raise ValueError(
                        "The labelled block has its rows and columns in different "
                        "orders; pass both Y_true and Y_pred as DataFrames so "
                        "they can be aligned by labels."
                    )
            elif kind == "square" and row_labels is not None:
                kind = "cross"
        else:
            raise ValueError(
                f"Expected square or rectangular blocks or 1-D pair vectors, got "
                f"arrays of shape {true.shape}."
            )
    if kind == "vector":
        t, p, rows, cols = true, pred, None, None
        row_labels = col_labels = None
        blocks = (None, None)
    else:
        if kind == "square":
            rows, cols = pair_indices(true.shape[0])
        elif kind == "rows":
            rows, cols = _row_block_indices(*true.shape)
        else:
            rows, cols = np.divmod(np.arange(true.size), true.shape[1])
        t, p = true[rows, cols], pred[rows, cols]
        blocks = (true, pred)
    if t.size == 0:
        raise ValueError("There are no region pairs to score (fewer than 2 regions).")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(p))):
        which = "Y_true" if not np.all(np.isfinite(t)) else "Y_pred"
        raise ValueError(
            f"{which} contains NaN or infinite values among the scored pairs; "
            "drop those regions or fix the predictions."
        )
    return _Pairs(t, p, rows, cols, row_labels, col_labels, kind, *blocks)


def _row_block_indices(n_rows, n_cols):
    """Pairs of a row block whose first ``n_rows`` columns are the row regions.

    The upper triangle of the leading square part, then every entry of the
    remaining columns (row-major).
    """
    r1, c1 = pair_indices(n_rows)
    r2, c2 = np.divmod(np.arange(n_rows * (n_cols - n_rows)), n_cols - n_rows)
    return np.concatenate([r1, r2]), np.concatenate([c1, c2 + n_rows])


def _region_info(table, labels, n, *, name):
    """Rows of ``table`` for the given region labels (or, unlabelled, positions)."""
    if table is None:
        return None
    if not isinstance(table, pd.DataFrame):
        table = pd.DataFrame(np.asarray(table))
    labels = None if labels is None else pd.Index(labels)
    if labels is not None and labels.isin(table.index).all():
        return table.loc[labels]
    if labels is not None and not isinstance(labels, pd.RangeIndex):
        missing = labels.difference(table.index)
        raise ValueError(
            f"Regions {missing.tolist()[:5]} are not in the index of {name}; "
            f"index {name} by the region labels of Y."
        )
    if len(table) != n:
        raise ValueError(
            f"{name} has {len(table)} rows but the block has {n} regions on this "
            f"axis; without labels the rows of {name} must be the regions of Y, "
            f"in order. Pass Y as a DataFrame and index {name} by region labels."
        )
    return table


def _axis_info(regions, X, labels, n, coord_columns):
    """Coordinates, hemisphere and network of the regions of one axis."""
    info = {"coords": None, "hemisphere": None, "network": None}
    reg = _region_info(regions, labels, n, name="regions")
    Xa = _region_info(X, labels, n, name="X")
    coord_columns = list(coord_columns)
    for src in (reg, Xa):
        if src is not None and all(c in src.columns for c in coord_columns):
            info["coords"] = src[coord_columns].to_numpy(dtype=float)
            break
    if reg is not None and "hemisphere" in reg.columns:
        info["hemisphere"] = _normalise_hemisphere(reg["hemisphere"])
    elif info["coords"] is not None:
        x = info["coords"][:, 0]
        hemi = np.full(n, None, dtype=object)
        hemi[x < 0] = "L"
        hemi[x > 0] = "R"
        info["hemisphere"] = hemi
    if reg is not None and "network" in reg.columns:
        net = reg["network"].to_numpy(dtype=object)
        info["network"] = np.array(
            [None if pd.isna(v) else str(v) for v in net], dtype=object
        )
    return info


def _normalise_hemisphere(values):
    out = []
    for v in values:
        s = "" if pd.isna(v) else str(v).strip().upper()
        if s in {"L", "LH", "LEFT"}:
            out.append("L")
        elif s in {"R", "RH", "RIGHT"}:
            out.append("R")
        else:
            out.append(None)
    return np.array(out, dtype=object)


def pair_table(Y_true, Y_pred, *, regions=None, X=None, coord_columns=COORD_COLUMNS):
    """Tidy table of the scored region pairs, one row per unordered pair.

    Parameters
    ----------
    Y_true, Y_pred : DataFrame or array-like
        Either two square blocks among one region set (the upper triangle
        ``i < j`` is used), two rectangular blocks between disjoint region
        sets (every entry is a pair) or two 1-D vectors of pair values.
        DataFrames are aligned by labels.
    regions : DataFrame, default=None
        Region table indexed by region label, with any of the columns ``x``,
        ``y``, ``z``, ``hemisphere`` and ``network``. Without labels on ``Y``
        its rows must be the regions of ``Y`` in order.
    X : DataFrame, default=None
        Region feature table; its coordinate columns are used when
        ``regions`` has none.
    coord_columns : tuple of str, default=("x", "y", "z")
        Names of the coordinate columns.

    Returns
    -------
    table : DataFrame
        Columns ``region_i``, ``region_j``, ``y_true``, ``y_pred`` and, when
        the inputs allow, ``distance`` (Euclidean, in the coordinates' unit),
        ``hemisphere_i``, ``hemisphere_j``, ``network_i``, ``network_j``.
        1-D input gives only ``y_true`` and ``y_pred`` unless ``regions``
        or ``X`` tells the number of regions ``n``: then the vectors must
        have ``n * (n - 1) / 2`` values, in upper-triangle row-major order.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.metrics import pair_table
    >>> Y = np.array([[0.0, 0.5, 0.2], [0.5, 0.0, 0.1], [0.2, 0.1, 0.0]])
    >>> pair_table(Y, Y)[["region_i", "region_j", "y_true"]]
       region_i  region_j  y_true
    0         0         1     0.5
    1         0         2     0.2
    2         1         2     0.1
    """
    pairs = _as_pairs(Y_true, Y_pred)
    return _pair_table(pairs, regions, X, coord_columns)


def _pair_table(pairs, regions, X, coord_columns):
    data = {}
    kind = pairs.kind
    rows, cols = pairs.rows, pairs.cols
    row_labels, col_labels = pairs.row_labels, pairs.col_labels
    have_info = regions is not None or X is not None
    if kind == "vector" and have_info:
        n = len(regions) if regions is not None else len(X)
        if pairs.true.size != n * (n - 1) // 2:
            raise ValueError(
                f"1-D pair vectors of length {pairs.true.size} do not match the "
                f"{n} regions of the region table (expected n(n-1)/2 = "
                f"{n * (n - 1) // 2} pairs in upper-triangle order)."
            )
        rows, cols = pair_indices(n)
        kind = "square"
        src = regions if regions is not None else X
        row_labels = col_labels = (
            src.index if isinstance(src, pd.DataFrame) else pd.RangeIndex(n)
        )
    if kind != "vector":
        n_rows = int(rows.max()) + 1 if row_labels is None else len(row_labels)
        n_cols = int(cols.max()) + 1 if col_labels is None else len(col_labels)
        if pairs.Y_true is not None:
            n_rows, n_cols = pairs.Y_true.shape
        rl = pd.RangeIndex(n_rows) if row_labels is None else pd.Index(row_labels)
        cl = pd.RangeIndex(n_cols) if col_labels is None else pd.Index(col_labels)
        data["region_i"] = np.asarray(rl)[rows]
        data["region_j"] = np.asarray(cl)[cols]
    data["y_true"] = pairs.true
    data["y_pred"] = pairs.pred
    if kind != "vector" and have_info:
        if kind == "cross" and (row_labels is None or col_labels is None):
            raise ValueError(
                "A rectangular block needs region labels to find region "
                "information: pass Y_true and Y_pred as DataFrames indexed by "
                "region labels on both axes."
            )
        ri = _axis_info(regions, X, row_labels, n_rows, coord_columns)
        ci = (
            ri
            if kind == "square"
            else _axis_info(regions, X, col_labels, n_cols, coord_columns)
        )
        if ri["coords"] is not None and ci["coords"] is not None:
            diff = ri["coords"][rows] - ci["coords"][cols]
            data["distance"] = np.sqrt(np.sum(diff**2, axis=1))
        for key in ("hemisphere", "network"):
            if ri[key] is not None and ci[key] is not None:
                data[f"{key}_i"] = ri[key][rows]
                data[f"{key}_j"] = ci[key][cols]
    return pd.DataFrame(data)

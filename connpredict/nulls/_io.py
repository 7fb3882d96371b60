"""Reading spin tables written by the GeneEx2Conn research system."""

import ast
import json

import numpy as np
import pandas as pd


def _parse_list(cell, column, row):
    """Parse one ``"[1, 2, 3]"`` cell safely (JSON, else a Python literal)."""
    if not isinstance(cell, str):
        raise ValueError(
            f"Row {row} of column {column!r} is {cell!r}, not a list of region "
            "indices written as text."
        )
    try:
        value = json.loads(cell)
    except ValueError:
        try:
            value = ast.literal_eval(cell)
        except (ValueError, SyntaxError) as exc:
            raise ValueError(
                f"Row {row} of column {column!r} is not a list of integers: "
                f"{cell[:60]!r}..."
            ) from exc
    arr = np.asarray(value)
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        raise ValueError(
            f"Row {row} of column {column!r} must be a flat list of integers."
        )
    return arr.astype(np.intp)


def _parse_column(series):
    rows = [_parse_list(c, series.name, k) for k, c in enumerate(series)]
    lengths = {r.size for r in rows}
    if len(lengths) != 1:
        raise ValueError(
            f"The lists of column {series.name!r} have different lengths "
            f"{sorted(lengths)[:5]}; each must list every region once."
        )
    return np.vstack(rows)


def read_spin_table(path, *, sort_by=None, validate=True):
    """Read spins saved in the GeneEx2Conn research system's CSV format.

    The research system stores one spin per row, as text cells holding Python
    lists of region indices: ``cortical_spins`` (a permutation of
    ``0..n_cortical-1``) and ``subcortical_spins`` (a permutation of
    ``0..n_subcortical-1``, offset by ``n_cortical`` when used), or a single
    ``true_random_spins`` column (all regions). Cells are parsed as JSON or
    Python literals, never evaluated as code.

    Parameters
    ----------
    path : str or path-like
        The CSV file (e.g. ``1000_null_spins.csv``).
    sort_by : str, default=None
        Sort rows by this column first, ascending (e.g. ``"mean_error_rank"``:
        the research system trains on the best-ranked spins).
    validate : bool, default=True
        Check that every row is a permutation of the regions.

    Returns
    -------
    permutations : ndarray of int of shape (n_spins, n_regions)
        Cortical regions first, then subcortical ones (regions ordered as in
        the research system: the ``n_cortical`` cortical parcels, then the
        others), in the convention of :func:`spin_permutations`:
        ``X[permutations[k]]`` is the spun table.

    See Also
    --------
    spin_permutations : Draw new spins.
    spin_test : Accepts ``permutations=``.

    Examples
    --------
    >>> import io
    >>> from connpredict.nulls import read_spin_table
    >>> text = 'cortical_spins,subcortical_spins\\n"[1, 0, 2]","[1, 0]"\\n'
    >>> read_spin_table(io.StringIO(text))
    array([[1, 0, 2, 4, 3]])
    """
    table = pd.read_csv(path)
    if sort_by is not None:
        if sort_by not in table.columns:
            raise ValueError(
                f"Column {sort_by!r} is not in the spin table; available: "
                f"{list(table.columns)[:10]}."
            )
        table = table.sort_values(sort_by, kind="stable").reset_index(drop=True)
    if "cortical_spins" in table.columns:
        perms = _parse_column(table["cortical_spins"])
        if "subcortical_spins" in table.columns:
            sub = _parse_column(table["subcortical_spins"])
            perms = np.hstack([perms, sub + perms.shape[1]])
    elif "true_random_spins" in table.columns:
        perms = _parse_column(table["true_random_spins"])
    else:
        raise ValueError(
            "The table has neither 'cortical_spins' nor 'true_random_spins' "
            "columns; is it a GeneEx2Conn spin table?"
        )
    if validate:
        n = perms.shape[1]
        ok = np.all(np.sort(perms, axis=1) == np.arange(n), axis=1)
        if not np.all(ok):
            raise ValueError(
                f"Rows {np.flatnonzero(~ok)[:5].tolist()} of the spin table are "
                f"not permutations of {n} regions."
            )
    return perms

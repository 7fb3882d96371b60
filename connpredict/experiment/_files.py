"""Reading a user's expression, connectome and region files for the main job."""

from pathlib import Path

import numpy as np
import pandas as pd

from connpredict.utils import COORD_COLUMNS
from connpredict.utils._tables import read_delimited

_READERS = {".csv": ",", ".tsv": "\t", ".txt": "\t"}


def read_table_or_array(path, *, what, columns=()):
    """Read a labelled CSV/TSV table (labels in the first column) or a ``.npy`` array.

    Parameters
    ----------
    path : str or path-like
        The file: ``.csv`` (comma), ``.tsv`` or ``.txt`` (tab) with a header
        row and region labels in the first column, or ``.npy``.
    what : str
        What the file holds, for error messages (e.g. ``"--expression"``).
    columns : sequence of str, default=()
        Columns a table must have (e.g. ``("x", "y", "z")`` for a region
        file); a missing one is named with the file.

    Returns
    -------
    data : DataFrame or ndarray

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from connpredict.experiment._files import read_table_or_array
    >>> path = Path(tempfile.mkdtemp()) / "expr.csv"
    >>> _ = path.write_text("label,g1,g2\\nA,1.0,2.0\\nB,3.0,4.0\\n")
    >>> read_table_or_array(path, what="expression").loc["B", "g2"]
    np.float64(4.0)
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{what} file {path} not found.")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            return np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise ValueError(
                f"{what} file {path} is not a plain .npy array: {exc}"
            ) from None
    if suffix not in _READERS:
        raise ValueError(
            f"{what} file {path} has an unknown type {suffix or '(none)'}; use .csv, "
            ".tsv or .npy."
        )
    try:
        table = read_delimited(path, _READERS[suffix], what=f"{what}")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ValueError(f"{what} file {path} is not a readable table: {exc}") from None
    table.index = table.index.astype(str)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(
            f"{what} file {path} lacks the column(s) {', '.join(missing)} "
            f"(it has {', '.join(map(str, table.columns[:8])) or 'no data columns'}"
            f"{', ...' if table.shape[1] > 8 else ''}); give "
            f"{', '.join(columns)} in the header row."
        )
    return table


def load_user_dataset(
    expression, connectome, regions=None, *, reduction="mean", missing="drop"
):
    """The dataset Bunch of a user's files, via ``connpredict.datasets.make_dataset``.

    Parameters
    ----------
    expression : str or path-like
        Regions x genes table (CSV/TSV, region labels in the first column).
    connectome : str or path-like
        Square connectome: a labelled CSV/TSV, or ``.npy`` in the order of
        the expression rows.
    regions : str or path-like, default=None
        Region table (coordinates ``x, y, z``, optional ``hemisphere``,
        ``network``, ``sphere_x/y/z``).
    reduction : {"mean", "fisher_z"}, default="mean"
        How a stack of subject connectomes (a 3-D ``.npy``, or a 2-D ``.npy``
        of nilearn vectors, one subject per row) becomes one.
    missing : {"drop", "mirror", "nearest"}, default="drop"
        Regions whose expression is all NaN (``make_dataset``'s ``missing``).

    Returns
    -------
    dataset : Bunch
        As :func:`connpredict.datasets.load_dataset` returns.
    """
    try:
        from connpredict.datasets import make_dataset
    except ImportError:
        raise ValueError(
            "--expression/--connectome need connpredict.datasets.make_dataset, "
            "which this version lacks; use a registered --dataset."
        ) from None
    expr = read_table_or_array(expression, what="expression")
    if not isinstance(expr, pd.DataFrame):
        raise ValueError(
            "the expression file must be a labelled CSV/TSV table (regions x "
            "genes), not .npy: the labels align it with the connectome."
        )
    conn = read_table_or_array(connectome, what="connectome")
    if isinstance(conn, pd.DataFrame):
        conn.columns = conn.columns.astype(str)
    table = (
        None
        if regions is None
        else read_table_or_array(regions, what="regions", columns=COORD_COLUMNS)
    )
    if table is not None and not isinstance(table, pd.DataFrame):
        raise ValueError("the regions file must be a labelled CSV/TSV table.")
    dataset = make_dataset(expr, conn, table, reduction=reduction, missing=missing)
    dataset["name"] = Path(expression).name
    return dataset

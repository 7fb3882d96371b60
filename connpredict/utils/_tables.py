"""Reading a user's delimited text table, with a clear word on the delimiter."""

import pandas as pd

_NAMES = {",": "commas (,)", ";": "semicolons (;)", "\t": "tabs"}


def read_delimited(path, sep, *, what):
    """``pd.read_csv(path, sep=sep, index_col=0)``, refusing a wrong delimiter.

    A file separated by another delimiter than ``sep`` would read as one
    column of labels and no data (a table of shape ``(n, 0)``); the header
    row is checked first and the delimiter it uses is named instead.

    Parameters
    ----------
    path : Path
        The file.
    sep : {",", "\\t"}
        The delimiter its suffix promises.
    what : str
        What the file holds, for messages (e.g. ``"--expression"``).

    Returns
    -------
    table : DataFrame

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from connpredict.utils._tables import read_delimited
    >>> path = Path(tempfile.mkdtemp()) / "expr.csv"
    >>> _ = path.write_text("label;g1;g2\\nA;1,5;2\\n")
    >>> read_delimited(path, ",", what="expression")
    Traceback (most recent call last):
    ...
    ValueError: expression file ... is separated by semicolons (;), not commas ...
    """
    if path.suffix.lower() not in (".csv", ".tsv", ".tab", ".txt"):
        # compressed (.csv.gz, ...): pandas decompresses; no header check
        return pd.read_csv(path, sep=sep, index_col=0)
    with open(path, encoding="utf-8", errors="replace") as f:
        header = next((line for line in f if line.strip()), "")
    if sep not in header:
        used = [d for d in _NAMES if d != sep and d in header]
        if used:
            fix = (
                "save it as .tsv (tab-separated)"
                if used[0] == "\t"
                else "save it comma-separated as .csv (or tab-separated as .tsv)"
            )
            raise ValueError(
                f"{what} file {path} is separated by {_NAMES[used[0]]}, not "
                f"{_NAMES[sep]} as its suffix {path.suffix} says: {fix}."
            )
    return pd.read_csv(path, sep=sep, index_col=0)

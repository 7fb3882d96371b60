"""What the data home holds of each registered dataset."""

import pandas as pd

from connpredict.datasets import _registry
from connpredict.datasets._fetch import _sha256, get_data_home

_COLUMNS = [
    "status",
    "n_files",
    "n_cached",
    "default_ready",
    "missing",
    "corrupted",
    "size_mb",
    "summary",
]


def _file_state(home, key, sha256, verify):
    path = home / key
    if not path.is_file():
        return "missing", 0
    size = path.stat().st_size
    if verify and _sha256(path) != sha256:
        return "corrupted", size
    return "ok", size


def cache_status(data_home=None, *, verify=True):
    """Report which files of each registered dataset the data home holds.

    Every upstream file a dataset may read (all its ``target`` and
    ``stability`` options) is looked up in the data home and, with
    ``verify=True``, checked against its SHA-256 checksum. Nothing is
    downloaded.

    Parameters
    ----------
    data_home : str or path-like, default=None
        See :func:`get_data_home`.
    verify : bool, default=True
        Check each present file's checksum (reads every file once); if False,
        a present file counts as cached.

    Returns
    -------
    status : DataFrame
        One row per dataset (index ``name``, in :func:`dataset_names` order)
        with columns ``status`` (``"embedded"``: nothing to download,
        ``"cached"``: every file present and valid, ``"partial"``: some,
        ``"corrupted"``: a present file fails its checksum, ``"not cached"``:
        none), ``n_files``, ``n_cached`` (present and valid),
        ``default_ready`` (whether ``load_dataset(name)`` with default options
        runs without downloading), ``missing`` and ``corrupted`` (lists of
        upstream keys), ``size_mb`` (of the valid files) and ``summary``.

    See Also
    --------
    load_dataset : Loads a dataset, downloading missing files.
    fetch_file : Downloads one file and checks it.

    Examples
    --------
    >>> import tempfile
    >>> from connpredict.datasets import cache_status
    >>> status = cache_status(tempfile.mkdtemp())
    >>> status.loc["synthetic", "status"], status.loc["hcp-schaefer100", "status"]
    ('embedded', 'not cached')
    >>> bool(status.loc["hcp-schaefer100", "default_ready"])
    False
    """
    home = get_data_home(data_home)
    rows = []
    for name, spec in _registry.DATASETS.items():
        states = {}
        size = 0
        for key, sha in spec.checksums.items():
            state, nbytes = _file_state(home, key, sha, verify)
            states[key] = state
            if state == "ok":
                size += nbytes
        missing = [k for k, s in states.items() if s == "missing"]
        corrupted = [k for k, s in states.items() if s == "corrupted"]
        n_ok = len(states) - len(missing) - len(corrupted)
        if not states:
            status = "embedded"
        elif corrupted:
            status = "corrupted"
        elif n_ok == len(states):
            status = "cached"
        elif n_ok:
            status = "partial"
        else:
            status = "not cached"
        default_ready = all(states.get(k) == "ok" for k in spec.files())
        rows.append(
            {
                "name": name,
                "status": status,
                "n_files": len(states),
                "n_cached": n_ok,
                "default_ready": default_ready,
                "missing": missing,
                "corrupted": corrupted,
                "size_mb": round(size / 1e6, 2),
                "summary": spec.summary,
            }
        )
    return pd.DataFrame(rows, columns=["name", *_COLUMNS]).set_index("name")

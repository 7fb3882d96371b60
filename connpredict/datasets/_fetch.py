"""Data home and verified, atomic, cached downloads."""

import hashlib
import logging
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from connpredict.datasets._registry import CHECKSUMS, upstream_urls

logger = logging.getLogger(__name__)

_ENV_DATA_HOME = "CONNPREDICT_DATA"


def get_data_home(data_home=None):
    """Return the folder where connpredict caches downloaded data.

    The folder is chosen, in order, from the ``data_home`` argument, the
    environment variable ``CONNPREDICT_DATA`` and ``~/connpredict_data``. It is
    created if needed. Files are stored under their upstream path
    (``<source>/<path inside the source repository>``).

    Parameters
    ----------
    data_home : str or path-like, default=None
        An explicit folder; ``~`` is expanded.

    Returns
    -------
    data_home : pathlib.Path
        The folder, as an absolute path.

    Raises
    ------
    ValueError
        When the chosen path (or a folder above it) is a file.

    Examples
    --------
    >>> import tempfile
    >>> from connpredict.datasets import get_data_home
    >>> home = get_data_home(tempfile.mkdtemp())
    >>> home.is_dir(), home.is_absolute()
    (True, True)
    """
    if data_home is None:
        data_home = os.environ.get(_ENV_DATA_HOME) or os.path.join(
            "~", "connpredict_data"
        )
    path = Path(os.path.abspath(os.path.expanduser(str(data_home))))
    fix = "set CONNPREDICT_DATA (or data_home=) to a folder, or move that file away."
    if path.exists() and not path.is_dir():
        raise ValueError(f"The data home {path} is a file, not a folder: {fix}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in path.parents if p.is_file()), path)
        raise ValueError(
            f"Cannot create the data home {path}: {blocker} is a file, not a "
            f"folder; {fix}"
        ) from None
    return path


def _key_path(home, key):
    """Return ``home / key``, refusing keys that leave the data home.

    A key is a relative path ``<source>/<path>`` with ``/`` separators: an
    absolute path, a drive, a backslash or a ``..`` component could write
    outside the data home, so they are refused. Every existing folder on the
    way must be a folder and the file itself must not be one.
    """
    if not isinstance(key, str) or not key.strip():
        raise ValueError(
            f"A data file key must be a non-empty string '<source>/<path>', got "
            f"{key!r}."
        )
    parts = key.split("/")
    if (
        key.startswith("/")
        or "\\" in key
        or ":" in parts[0]
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise ValueError(
            f"Data file key {key!r} is not a plain relative path inside the data "
            "home (no leading '/', drive, backslash, '.' or '..' parts, no empty "
            "parts); use '<source>/<path>', e.g. 'enigma-extra/ahba/file.csv'."
        )
    dest = home.joinpath(*parts)
    for folder in reversed(dest.parents):
        if (
            folder.exists()
            and not folder.is_dir()
            and home in (folder, *folder.parents)
        ):
            raise ValueError(
                f"{folder} in the data home is a file, but data file {key} needs "
                "it to be a folder: move or delete that file."
            )
    if dest.is_dir():
        raise ValueError(
            f"The data file {dest} is a folder, not a file: delete or rename that "
            "folder so the file can be downloaded there."
        )
    return dest


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def upstream_url(key):
    """Return the download URL of a registered upstream path (pinned commit)."""
    return upstream_urls(key)[0]


def _download(url, dest, *, timeout):
    """Stream ``url`` into a temporary file beside ``dest``; return its path."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    try:
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(url, timeout=timeout) as response,
        ):
            shutil.copyfileobj(response, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def fetch_file(
    key,
    *,
    data_home=None,
    download_if_missing=True,
    n_retries=3,
    delay=1.0,
    timeout=15.0,
    url=None,
    sha256=None,
):
    """Return the local path of an upstream file, downloading it if needed.

    The cached copy is checked against its SHA-256 checksum; a missing or
    corrupted file is downloaded (when allowed) to a temporary file, verified
    and then moved into place atomically.

    Parameters
    ----------
    key : str
        Upstream path ``<source>/<path>``, e.g.
        ``"enigma-extra/ahba/allgenes_stable_r0.6_schaefer_100.csv"``.
    data_home : str or path-like, default=None
        See :func:`get_data_home`.
    download_if_missing : bool, default=True
        If False, raise instead of downloading.
    n_retries : int, default=3
        Download attempts before giving up.
    delay : float, default=1.0
        Seconds between attempts.
    timeout : float, default=15.0
        Network timeout of one attempt, in seconds.
    url : str, default=None
        Download from this URL instead of the registered upstream ones (the
        file at the source's pinned commit, then on its branch).
    sha256 : str, default=None
        Expected checksum; defaults to the registered one.

    Returns
    -------
    path : pathlib.Path
        The verified local file.

    Raises
    ------
    OSError
        When the file is missing or corrupted and cannot be downloaded; the
        message names the file, its URL and where to put it.
    ValueError
        When ``key`` would leave the data home (absolute, ``..``), the data
        home is a file, or the file's place in it is taken by a folder.

    Examples
    --------
    >>> from connpredict.datasets import fetch_file
    >>> fetch_file("nowhere/file.csv", download_if_missing=False,
    ...            sha256="0" * 64, url="https://example.org/file.csv")
    Traceback (most recent call last):
    ...
    OSError: Data file nowhere/file.csv is not in the data home ...
    """
    home = get_data_home(data_home)
    dest = _key_path(home, key)
    expected = sha256 if sha256 is not None else CHECKSUMS.get(key)
    if expected is None:
        raise KeyError(f"No checksum registered for {key!r}.")
    urls = upstream_urls(key) if url is None else [url]
    url = urls[0]
    where = (
        f"Download {url} and save it as {dest} (or set CONNPREDICT_DATA / data_home "
        "to a folder that has it)."
    )
    if dest.exists():
        if _sha256(dest) == expected:
            return dest
        if not download_if_missing:
            raise OSError(
                f"Data file {key} in the data home is corrupted (SHA-256 mismatch). "
                f"Delete {dest} and allow downloads, or: {where}"
            )
        logger.warning("%s fails its checksum; downloading it again.", dest)
    elif not download_if_missing:
        raise OSError(
            f"Data file {key} is not in the data home ({home}) and downloads are "
            f"disabled (download_if_missing=False). {where}"
        )
    last_error = None
    for url in urls:
        path, last_error, offline = _download_verified(
            url, dest, expected, n_retries=n_retries, delay=delay, timeout=timeout
        )
        if path is not None:
            return path
        if offline and not _is_not_found(last_error):
            break  # no network: the next URL cannot be reached either
    raise OSError(
        f"Could not download data file {key} from {url}: {last_error}. If this "
        f"machine is offline: {where}"
    )


def _download_verified(url, dest, expected, *, n_retries, delay, timeout):
    """Try ``url`` up to ``n_retries`` times; return (path, error, offline)."""
    last_error = None
    for attempt in range(1, max(1, n_retries) + 1):
        logger.info("Downloading %s (attempt %d)", url, attempt)
        try:
            tmp = _download(url, dest, timeout=timeout)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            last_error = exc
            if _is_offline(exc):
                return None, last_error, True
            if attempt < n_retries:
                time.sleep(delay)
            continue
        got = _sha256(tmp)
        if got != expected:
            tmp.unlink(missing_ok=True)
            last_error = OSError(
                f"checksum mismatch (expected {expected[:12]}..., got {got[:12]}...)"
            )
            if attempt < n_retries:
                time.sleep(delay)
            continue
        os.replace(tmp, dest)
        return dest, None, False
    return None, last_error, False


def _is_not_found(exc):
    return isinstance(exc, urllib.error.HTTPError) and exc.code == 404


def _is_offline(exc):
    """True when retrying cannot help (no route, DNS failure, refused)."""
    reason = getattr(exc, "reason", exc)
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 404
    text = str(reason).lower()
    return any(
        s in text
        for s in (
            "name or service not known",
            "temporary failure in name resolution",
            "nodename nor servname",
            "network is unreachable",
            "no route to host",
            "connection refused",
        )
    )

"""Writing an output folder safely: checked up front, locked, staged, renamed.

:func:`check_output_dir` checks a folder can be written before any work;
:func:`staged_folder` writes into a hidden sibling renamed at the end, under
:func:`output_lock`. ``ExperimentResult.save``, ``connpredict grid`` and
``connpredict predict`` write their folders this way.
"""

import contextlib
import errno
import os
import shutil
import threading
from pathlib import Path


def check_output_dir(directory, *, overwrite=False):
    """Check up front that a results folder can be written at ``directory``.

    Parameters
    ----------
    directory : str or path-like
        The results folder to be (re)created.
    overwrite : bool, default=False
        Whether an existing non-empty folder may be replaced.

    Returns
    -------
    path : Path
        The checked output folder.

    Raises
    ------
    ValueError
        When ``directory`` is a file, lies under a file, is a non-empty
        folder (without ``overwrite``) or cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from connpredict.utils import check_output_dir
    >>> root = Path(tempfile.mkdtemp())
    >>> check_output_dir(root / "new" / "results").name
    'results'
    >>> (root / "afile").write_text("x")
    1
    >>> check_output_dir(root / "afile" / "sub")
    Traceback (most recent call last):
    ...
    ValueError: cannot create the results folder .../afile/sub: ...
    """
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise ValueError(
            f"the output {path} is an existing file; choose a folder path."
        )
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise ValueError(
            f"the output folder {path} exists and is not empty; choose another "
            "output folder or pass overwrite (--overwrite) to replace it."
        )
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(
            f"cannot create the results folder {path}: {ancestor} is a file; "
            "choose another output folder."
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ValueError(
            f"cannot create the results folder {path}: {ancestor} is not writable."
        )
    return path


_FULL = (errno.ENOSPC, errno.EDQUOT)
# lock files this process holds: path -> [thread id, depth]
_HELD = {}
_HELD_GUARD = threading.Lock()


def _lock_file(path):
    path = Path(os.path.abspath(path))
    return path.parent / f".{path.name}.lock"


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _take(lock):
    """Create ``lock`` exclusively; False if another live owner holds it."""
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        try:
            pid = int(lock.read_text().strip() or 0)
        except (OSError, ValueError):
            return False
        if pid and pid != os.getpid() and not _pid_alive(pid):
            # left by a process that died (kill -9, power cut): take it over
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
            return _take(lock)
        return False
    with os.fdopen(fd, "w") as f:
        f.write(f"{os.getpid()}\n")
    return True


@contextlib.contextmanager
def output_lock(directory):
    """Hold an exclusive lock on an output folder while writing it.

    A lock file ``.<name>.lock`` beside ``directory`` is created with
    ``O_CREAT | O_EXCL`` (atomic on local file systems) and holds the
    owner's process id; it is removed on exit. A second writer of the same
    folder, in another process or another thread, fails at once instead of
    replacing the first one's results. Re-entrant in the thread holding it.
    A lock left by a process that no longer runs is taken over.

    Parameters
    ----------
    directory : str or path-like
        The output folder (it need not exist; its parent is created).

    Yields
    ------
    lock : Path
        The lock file.

    Raises
    ------
    ValueError
        When another process or thread holds the lock.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from connpredict.utils import output_lock
    >>> out = Path(tempfile.mkdtemp()) / "results"
    >>> with output_lock(out) as lock:
    ...     lock.exists()
    True
    >>> lock.exists()
    False
    """
    lock = _lock_file(directory)
    me = threading.get_ident()
    with _HELD_GUARD:
        held = _HELD.get(lock)
        if held is not None and held[0] == me:
            held[1] += 1
            reentered = True
        else:
            reentered = False
    if not reentered:
        lock.parent.mkdir(parents=True, exist_ok=True)
        with _HELD_GUARD:
            busy = lock in _HELD or not _take(lock)
            if not busy:
                _HELD[lock] = [me, 1]
        if busy:
            try:
                owner = lock.read_text().strip()
            except OSError:
                owner = "?"
            raise ValueError(
                f"another connpredict process (pid {owner}) is writing the output "
                f"folder {Path(directory)}; wait for it to finish or choose another "
                f"output folder (if no such process runs, delete {lock})."
            )
    try:
        yield lock
    finally:
        with _HELD_GUARD:
            _HELD[lock][1] -= 1
            if _HELD[lock][1] == 0:
                del _HELD[lock]
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()


@contextlib.contextmanager
def staged_folder(path, *, overwrite=False):
    """Write a folder atomically: yield a temporary sibling, rename it at the end.

    The caller checks ``path`` first (:func:`check_output_dir`). Files are
    written into a hidden sibling folder, which replaces ``path`` only when
    the ``with`` block ends without an error; on any error or interrupt the
    sibling is removed, so no folder that looks complete is left behind.
    The folder is locked (:func:`output_lock`) while it is written, and
    checked again before the rename: a folder another writer filled in the
    meantime is never replaced without ``overwrite``. A write that fails
    (a full disk, ``ENOSPC``) raises a one-line ``OSError`` naming the
    folder, after removing the sibling.

    Parameters
    ----------
    path : str or path-like
        The final folder (its parents are created).
    overwrite : bool, default=False
        Replace ``path`` when it is a non-empty folder at the end.

    Yields
    ------
    tmp : Path
        The folder to write into.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from connpredict.utils import staged_folder
    >>> out = Path(tempfile.mkdtemp()) / "run"
    >>> with staged_folder(out) as tmp:
    ...     _ = (tmp / "a.txt").write_text("done")
    >>> (out / "a.txt").read_text()
    'done'
    """
    path = Path(os.path.abspath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(path):
        tmp = path.parent / f".{path.name}.partial-{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        try:
            tmp.mkdir()
            yield tmp
            if path.is_dir() and any(path.iterdir()) and not overwrite:
                raise ValueError(
                    f"the output folder {path} was filled by another writer while "
                    "this one ran; its files are kept. Choose another output "
                    "folder or pass overwrite (--overwrite) to replace it."
                )
            _move_into_place(tmp, path)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if exc.errno is None:
                raise
            hint = "free some space or " if exc.errno in _FULL else ""
            raise OSError(
                exc.errno,
                f"could not write the output folder {path}: "
                f"{exc.strerror or os.strerror(exc.errno)}; nothing was written "
                f"({hint}choose another output folder)",
            ) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def _move_into_place(tmp, path):
    if path.is_dir() and not any(path.iterdir()):
        path.rmdir()
    if not path.exists():
        tmp.rename(path)
        return
    old = path.parent / f".{path.name}.old-{os.getpid()}"
    path.rename(old)
    tmp.rename(path)
    shutil.rmtree(old, ignore_errors=True)

"""``ExperimentResult``: the tables of one run and the results folder."""

import contextlib
import errno
import json
import logging
import os
import shutil
import threading
from pathlib import Path

from connpredict.experiment._schema import CONFIG_FILE, REPORT_FILE, TABLES
from connpredict.metrics._names import SUMMARY_METRICS

logger = logging.getLogger("connpredict.experiment")

#: metrics of the printed summary (all metrics are in results.csv)
SHOWN_METRICS = tuple(m for m in SUMMARY_METRICS if m != "geodesic_distance")


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
    >>> from connpredict.experiment import check_output_dir
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
    >>> from connpredict.experiment import output_lock
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
    >>> from connpredict.experiment._result import staged_folder
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


class ExperimentResult:
    """The tables of one :func:`run_experiment` run.

    Each parameter is kept as the attribute of the same name.

    Parameters
    ----------
    results : DataFrame
        One row per model x split x seed x fold x metric (``results.csv``).
    timings : DataFrame
        Fit + predict wall time per fold (``timings.csv``).
    folds : DataFrame
        The test fold of each region per split and seed (``folds.csv``).
    predictions : DataFrame
        True and predicted value of every test x test pair (``predictions.csv``).
    region_scores : DataFrame
        Per held-out region, the Pearson r between its predicted and true
        connectivity to the other regions of its fold (``region_scores.csv``).
    nulls : DataFrame
        Spin-null scores (``nulls.csv``; empty without a spin test).
    importances : DataFrame or None
        What predicts connectivity (``importances.csv``; None or empty unless
        ``run_experiment(inspect=...)``): gene scores, gene-set enrichment and
        permutation importances with spin p-values.
    regions : DataFrame or None
        The dataset's region table (``regions.csv``).
    config : dict
        The resolved options and ``elapsed_seconds`` (``config.json``).

    Examples
    --------
    >>> import tempfile
    >>> from connpredict import run_experiment
    >>> result = run_experiment(models=["decay"], cv=["random"], n_splits=3)
    >>> folder = result.save(tempfile.mkdtemp() + "/run")
    >>> sorted(p.name for p in folder.iterdir())[:3]
    ['config.json', 'folds.csv', 'predictions.csv']
    """

    def __init__(
        self,
        *,
        results,
        timings,
        folds,
        predictions,
        region_scores,
        nulls,
        importances=None,
        regions=None,
        config=None,
    ):
        self.results = results
        self.timings = timings
        self.folds = folds
        self.predictions = predictions
        self.region_scores = region_scores
        self.nulls = nulls
        self.importances = importances
        self.regions = regions
        self.config = dict(config or {})

    def __repr__(self):
        c = self.config
        return (
            f"ExperimentResult(dataset={c.get('dataset')!r}, models={c.get('models')}, "
            f"cv={c.get('cv')}, n_splits={c.get('n_splits')}, seeds={c.get('seeds')})"
        )

    def tables(self):
        """Return the non-empty tables by name (as in :data:`TABLES`).

        Returns
        -------
        tables : dict of str to DataFrame
            Each non-empty table under its name.
        """
        out = {}
        for name in TABLES:
            table = getattr(self, name)
            if name == "regions" and table is not None:
                table = table.rename_axis("region").reset_index()
            if table is not None and not table.empty:
                out[name] = table
        return out

    def summary(self):
        """Return the per-fold metric table and mean ± sd, as text.

        Returns
        -------
        text : str
            The table, ready to print.
        """
        results = self.results
        shown = results[results["metric"].isin(SHOWN_METRICS)]
        table = shown.pivot_table(
            index=["split", "model", "seed", "fold"], columns="metric", values="value"
        )
        metrics = [m for m in SHOWN_METRICS if m in table.columns]
        grouped = shown.groupby(["split", "model", "metric"])["value"]
        stats = grouped.agg(["mean", "std"])
        text = (
            stats["mean"].map("{:.3f}".format)
            + " ± "
            + stats["std"].map("{:.3f}".format)
        ).unstack("metric")[metrics]
        out = (
            "Per-fold test metrics (test x test region pairs)\n"
            + table[metrics].to_string(float_format=lambda v: f"{v:.3f}")
            + "\n\nMean ± sd over folds and seeds\n"
            + text.to_string()
        )
        if not self.nulls.empty:
            nulls = self.nulls.groupby("model").agg(
                r=("score", "first"),
                null_mean=("null_score", "mean"),
                p=("pvalue", "first"),
                n=("null_score", "size"),
            )
            out += (
                "\n\nSpin test (genes spun, coordinates and Y fixed)\n"
                + nulls.to_string(float_format=lambda v: f"{v:.4f}")
            )
        return out

    def save(self, directory, *, overwrite=False, report=False, config=None):
        """Write the results folder, atomically.

        Everything is written into a temporary sibling folder, which is
        renamed to ``directory`` at the end: an interrupted or failed save
        leaves no folder that looks complete, and an existing folder is only
        replaced with ``overwrite=True``.

        Parameters
        ----------
        directory : str or path-like
            The results folder (created; its parents too).
        overwrite : bool, default=False
            Replace an existing non-empty folder.
        report : bool, default=False
            Also write ``report.html`` (a failure to draw it, or matplotlib
            and nilearn missing, is logged as a warning, not raised: the
            results are kept).
        config : dict, default=None
            Extra entries for ``config.json`` (e.g. the input files).

        Returns
        -------
        path : Path
            The folder.
        """
        shown = check_output_dir(directory, overwrite=overwrite)
        path = Path(os.path.abspath(shown))  # "." and "a/.." have a real name
        with staged_folder(path, overwrite=overwrite) as tmp:
            self._write(tmp, dict(self.config, **(config or {}), output=str(shown)))
            if report:
                self._write_report(tmp, shown_path=path)
        logger.debug("results written to %s", path)
        return shown

    def report(self, directory, *, overwrite=False):
        """Write the results folder and its HTML report; return the report's path.

        Parameters
        ----------
        directory : str or path-like
            The results folder (see :meth:`save`).
        overwrite : bool, default=False
            Replace an existing non-empty folder.

        Returns
        -------
        path : Path
            ``directory / "report.html"``.
        """
        folder = self.save(directory, overwrite=overwrite, report=True)
        return folder / REPORT_FILE

    def _write(self, folder, config):
        for name, table in self.tables().items():
            schema = TABLES[name]
            columns = list(schema.columns)
            columns += [c for c in table.columns if c not in columns]
            table[columns].to_csv(folder / schema.file, index=False)
        (folder / CONFIG_FILE).write_text(
            json.dumps(config, indent=2, default=str) + "\n", encoding="utf-8"
        )

    def _write_report(self, folder, *, shown_path):
        from connpredict.report._html import _build_report
        from connpredict.utils import MissingDependencyError

        try:
            _build_report(folder, shown_path=shown_path)
        except MissingDependencyError as exc:
            logger.warning("report.html skipped (the results are saved): %s", exc)
        except Exception as exc:  # the results are saved; a report failure is not fatal
            logger.warning("the HTML report could not be built: %s", exc)
            logger.debug("report failure", exc_info=True)


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

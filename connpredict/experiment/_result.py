"""``ExperimentResult``: the tables of one run and the results folder."""

import importlib
import json
import logging
import os
import warnings
from pathlib import Path

import pandas as pd

from connpredict.experiment._schema import CONFIG_FILE, REPORT_FILE, TABLES
from connpredict.metrics import SUMMARY_METRICS
from connpredict.utils import check_output_dir, staged_folder

logger = logging.getLogger("connpredict.experiment")

#: metrics of the printed summary (all metrics are in results.csv)
SHOWN_METRICS = tuple(m for m in SUMMARY_METRICS if m != "geodesic_distance")


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

    @classmethod
    def load(cls, folder):
        """Read a results folder written by :meth:`save` (or ``connpredict run``).

        Only ``results.csv`` is required; every other file of :data:`TABLES`
        is read when present. A table whose file is absent is empty
        (``importances`` and ``regions``: None).

        Parameters
        ----------
        folder : str or path-like
            The results folder.

        Returns
        -------
        result : ExperimentResult
            The tables, and ``config`` from ``config.json`` (empty when
            absent).

        Raises
        ------
        FileNotFoundError
            When the folder or its ``results.csv`` does not exist.
        ValueError
            When a table lacks a required column.

        Examples
        --------
        >>> import tempfile
        >>> from connpredict import run_experiment
        >>> from connpredict.experiment import ExperimentResult
        >>> result = run_experiment(models=["decay"], cv=["random"], n_splits=3)
        >>> folder = result.save(tempfile.mkdtemp() + "/run")
        >>> back = ExperimentResult.load(folder)
        >>> back.results.equals(result.results), back.config["models"]
        (True, ['decay'])
        """
        path = Path(folder)
        if not path.is_dir():
            raise FileNotFoundError(
                f"results folder {path} does not exist; pass the folder written by "
                "`connpredict run`."
            )
        tables = {}
        for name, schema in TABLES.items():
            file = path / schema.file
            if file.exists():
                tables[name] = _read_table(file, schema)
            elif name == "results":
                raise FileNotFoundError(
                    f"{file} not found; is {path} a folder written by "
                    "`connpredict run`?"
                )
            elif name in ("importances", "regions"):
                tables[name] = None
            else:
                logger.info("%s not found", file)
                tables[name] = pd.DataFrame(columns=list(schema.columns))
        if tables["regions"] is not None:
            tables["regions"] = tables["regions"].set_index("region")
        config_file = path / CONFIG_FILE
        config = (
            json.loads(config_file.read_text(encoding="utf-8"))
            if config_file.exists()
            else {}
        )
        return cls(**tables, config=config)

    def save(self, directory, *, overwrite=False, report="deprecated", config=None):
        """Write the results folder, atomically.

        Everything is written into a temporary sibling folder, which is
        renamed to ``directory`` at the end: an interrupted or failed save
        leaves no folder that looks complete, and an existing folder is only
        replaced with ``overwrite=True``. The HTML report is drawn by
        :func:`connpredict.report.build_report` (``connpredict run`` calls it
        after the save).

        Parameters
        ----------
        directory : str or path-like
            The results folder (created; its parents too).
        overwrite : bool, default=False
            Replace an existing non-empty folder.
        report : bool, default="deprecated"
            Also write ``report.html`` (False when not given).

            .. deprecated:: 0.1
               ``report`` is deprecated and will be removed in 0.3; call
               ``connpredict.report.build_report(result, folder,
               errors="warn")`` after the save.
        config : dict, default=None
            Extra entries for ``config.json`` (e.g. the input files).

        Returns
        -------
        path : Path
            The folder.
        """
        if report != "deprecated":
            warnings.warn(
                "ExperimentResult.save(report=...) is deprecated since 0.1 and will "
                "be removed in 0.3; call connpredict.report.build_report(result, "
                "folder, errors='warn') after the save.",
                FutureWarning,
                stacklevel=2,
            )
        shown = check_output_dir(directory, overwrite=overwrite)
        path = Path(os.path.abspath(shown))  # "." and "a/.." have a real name
        with staged_folder(path, overwrite=overwrite) as tmp:
            self._write(tmp, dict(self.config, **(config or {}), output=str(shown)))
        logger.debug("results written to %s", path)
        if report is True:
            saved = dict(self.config, **(config or {}))
            _deprecated_report(ExperimentResult(**self._tables(), config=saved), shown)
        return shown

    def report(self, directory, *, overwrite=False):
        """Write the results folder and its HTML report; return the report's path.

        .. deprecated:: 0.1
           ``report`` is deprecated and will be removed in 0.3; call
           :meth:`save`, then ``connpredict.report.build_report(result,
           folder)``.

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
        warnings.warn(
            "ExperimentResult.report is deprecated since 0.1 and will be removed in "
            "0.3; call result.save(folder), then "
            "connpredict.report.build_report(result, folder).",
            FutureWarning,
            stacklevel=2,
        )
        folder = self.save(directory, overwrite=overwrite)
        _deprecated_report(self, folder)
        return folder / REPORT_FILE

    def _tables(self):
        return {name: getattr(self, name) for name in TABLES}

    def _write(self, folder, config):
        for name, table in self.tables().items():
            schema = TABLES[name]
            columns = list(schema.columns)
            columns += [c for c in table.columns if c not in columns]
            table[columns].to_csv(folder / schema.file, index=False)
        (folder / CONFIG_FILE).write_text(
            json.dumps(config, indent=2, default=str) + "\n", encoding="utf-8"
        )


def _deprecated_report(result, folder):
    """The report of the deprecated ``save(report=True)`` and ``report()``.

    ``experiment`` does not import ``report`` (the report reads results, not
    the other way round); this transitional path, removed with them in 0.3,
    looks the function up at run time.
    """
    build_report = importlib.import_module("connpredict.report").build_report
    build_report(result, folder, errors="warn")


def _read_table(path, schema):
    table = pd.read_csv(path, dtype={c: str for c in schema.text})
    missing = [c for c in schema.required if c not in table.columns]
    if missing:
        raise ValueError(
            f"{path} lacks the column(s) {', '.join(missing)}; it must have "
            f"{', '.join(schema.required)} (as written by `connpredict run`)."
        )
    return table

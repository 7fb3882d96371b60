"""Reading a results folder written by ``connpredict run`` (deprecated here)."""

import warnings
from pathlib import Path

from sklearn.utils import Bunch

from connpredict.experiment import TABLES, ExperimentResult


def load_results(results_dir):
    """Read the files of a results folder written by ``connpredict run``.

    .. deprecated:: 0.1
       ``load_results`` is deprecated and will be removed in 0.3; use
       :meth:`ExperimentResult.load <connpredict.experiment.ExperimentResult.load>`,
       which returns the result itself.

    Parameters
    ----------
    results_dir : str or path-like
        The results folder.

    Returns
    -------
    results : Bunch
        One DataFrame per table of :data:`connpredict.experiment.TABLES`,
        None when its file is absent; ``config`` (dict, empty when
        ``config.json`` is absent) and ``path`` (the folder).

    Examples
    --------
    >>> import tempfile
    >>> import warnings
    >>> from connpredict import run_experiment
    >>> from connpredict.report import load_results
    >>> folder = run_experiment(models=["decay"], cv=["random"],
    ...                         n_splits=3).save(tempfile.mkdtemp() + "/run")
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", FutureWarning)
    ...     res = load_results(folder)
    >>> res.results.columns.tolist()[:3], res.importances is None
    (['model', 'split', 'seed'], True)
    """
    warnings.warn(
        "load_results is deprecated since 0.1 and will be removed in 0.3; use "
        "connpredict.experiment.ExperimentResult.load(folder).",
        FutureWarning,
        stacklevel=2,
    )
    result = ExperimentResult.load(results_dir)
    out = Bunch(path=Path(results_dir), config=result.config)
    for name in TABLES:
        table = getattr(result, name)
        out[name] = None if table is None or table.empty else table
    return out

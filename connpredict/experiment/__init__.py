"""The main job of connpredict as a library: :func:`run_experiment`.

``connpredict run`` parses its options and calls :func:`run_experiment`, which
returns an :class:`ExperimentResult`; :meth:`ExperimentResult.save` writes the
results folder whose files are declared once in :data:`TABLES` (and read back
by :func:`connpredict.report.load_results`).
"""

from connpredict.experiment._result import (
    ExperimentResult,
    check_output_dir,
    output_lock,
)
from connpredict.experiment._run import region_scores, run_experiment
from connpredict.experiment._schema import TABLES

__all__ = [
    "TABLES",
    "ExperimentResult",
    "check_output_dir",
    "output_lock",
    "region_scores",
    "run_experiment",
]

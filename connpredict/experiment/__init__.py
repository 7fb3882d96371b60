"""The main job of connpredict as a library: :func:`run_experiment`.

``connpredict run`` parses its options and calls :func:`run_experiment`, which
returns an :class:`ExperimentResult`; :meth:`ExperimentResult.save` writes the
results folder whose files are declared once in :data:`TABLES` (and read back
by :meth:`ExperimentResult.load`); :func:`connpredict.report.build_report`
draws the HTML page of a result.
"""

from connpredict.experiment._result import ExperimentResult
from connpredict.experiment._run import region_scores, run_experiment

# importable, outside __all__ (the "as" marks a re-export): the report's file
# name, for connpredict.report, and two helpers that moved to
# connpredict.utils (one home for writing output folders)
from connpredict.experiment._schema import REPORT_FILE as REPORT_FILE
from connpredict.experiment._schema import TABLES
from connpredict.utils import check_output_dir as check_output_dir
from connpredict.utils import output_lock as output_lock

__all__ = [
    "TABLES",
    "ExperimentResult",
    "region_scores",
    "run_experiment",
]

"""The main job of connpredict as a library: :func:`run_experiment`.

``connpredict run`` parses its options and calls :func:`run_experiment`, which
returns an :class:`ExperimentResult`; :meth:`ExperimentResult.save` writes the
results folder whose files are declared once in :data:`TABLES` (and read back
by :meth:`ExperimentResult.load`); :func:`connpredict.report.build_report`
draws the HTML page of a result.
"""

from connpredict.experiment._result import ExperimentResult
from connpredict.experiment._run import region_scores, run_experiment
from connpredict.experiment._schema import REPORT_FILE, TABLES

# moved to connpredict.utils (one home for writing output folders)
from connpredict.utils import check_output_dir, output_lock

# importable, outside __all__: the report's file name (for connpredict.report)
# and the two helpers that moved
_REEXPORTED = (REPORT_FILE, check_output_dir, output_lock)

__all__ = [
    "TABLES",
    "ExperimentResult",
    "region_scores",
    "run_experiment",
]

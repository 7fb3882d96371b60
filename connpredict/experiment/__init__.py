"""The main job of connpredict as a library: :func:`run_experiment`.

``connpredict run`` parses its options and calls :func:`run_experiment`, which
returns an :class:`ExperimentResult`; :meth:`ExperimentResult.save` writes the
results folder whose files are declared once in :data:`TABLES` (and read back
by :func:`connpredict.report.load_results`).
"""

# the command line's helpers, public to connpredict but not in __all__
from connpredict.experiment._files import load_user_dataset as load_user_dataset
from connpredict.experiment._files import read_table_or_array as read_table_or_array
from connpredict.experiment._options import GRID_OPTIONS as GRID_OPTIONS
from connpredict.experiment._options import RUN_OPTIONS as RUN_OPTIONS
from connpredict.experiment._options import Option as Option
from connpredict.experiment._options import add_flags as add_flags
from connpredict.experiment._options import file_options as file_options
from connpredict.experiment._options import grid_keywords as grid_keywords
from connpredict.experiment._options import read_config as read_config
from connpredict.experiment._options import read_grid_config as read_grid_config
from connpredict.experiment._options import resolve_options as resolve_options
from connpredict.experiment._options import run_keywords as run_keywords
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

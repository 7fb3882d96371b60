"""The main job of connpredict as a library: :func:`run_experiment`.

``connpredict run`` parses its options and calls :func:`run_experiment`, which
returns an :class:`ExperimentResult`; :meth:`ExperimentResult.save` writes the
results folder whose files are declared once in :data:`TABLES` (and read back
by :meth:`ExperimentResult.load`); :func:`connpredict.report.build_report`
draws the HTML page of a result.
"""

import importlib

# the option tables (light: the command line's parser imports them)
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

# name -> module, imported on first use (pandas, scikit-learn): `connpredict
# --help` and the parser stay free of them
_LAZY = {
    "TABLES": "connpredict.experiment._schema",
    "ExperimentResult": "connpredict.experiment._result",
    "REPORT_FILE": "connpredict.experiment._schema",
    # moved to connpredict.utils (one home for writing output folders)
    "check_output_dir": "connpredict.utils",
    "output_lock": "connpredict.utils",
    "region_scores": "connpredict.experiment._run",
    "run_experiment": "connpredict.experiment._run",
    # the command line's file readers, public to connpredict, not in __all__
    "load_user_dataset": "connpredict.experiment._files",
    "read_table_or_array": "connpredict.experiment._files",
}

__all__ = [
    "TABLES",
    "ExperimentResult",
    "region_scores",
    "run_experiment",
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'connpredict.experiment' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

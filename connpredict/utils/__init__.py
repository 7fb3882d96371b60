"""Helpers of the data contract (regions are samples, Y is a square connectome).

Also :func:`import_optional`, the one import of optional dependencies, and
the safe writing of output folders (:func:`check_output_dir`,
:func:`output_lock`, :func:`staged_folder`).
"""

from connpredict.utils._contract import (
    COORD_COLUMNS,
    check_connectome,
    check_pair_target,
    check_regions_X,
    cross_block,
    gene_columns,
    matrix_to_pairs,
    pair_indices,
    pairs_to_matrix,
    split_features,
    train_block,
    upper_triangle,
)
from connpredict.utils._dask import dask_cluster
from connpredict.utils._optional import MissingDependencyError, import_optional
from connpredict.utils._output import check_output_dir, output_lock, staged_folder

__all__ = [
    "COORD_COLUMNS",
    "MissingDependencyError",
    "check_connectome",
    "check_output_dir",
    "check_pair_target",
    "check_regions_X",
    "cross_block",
    "dask_cluster",
    "gene_columns",
    "import_optional",
    "matrix_to_pairs",
    "output_lock",
    "pair_indices",
    "pairs_to_matrix",
    "split_features",
    "staged_folder",
    "train_block",
    "upper_triangle",
]

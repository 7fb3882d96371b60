"""Helpers of the data contract (regions are samples, Y is a square connectome).

Also :func:`import_optional`, the one import of optional dependencies.
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

__all__ = [
    "COORD_COLUMNS",
    "MissingDependencyError",
    "check_connectome",
    "check_pair_target",
    "check_regions_X",
    "cross_block",
    "dask_cluster",
    "gene_columns",
    "import_optional",
    "matrix_to_pairs",
    "pair_indices",
    "pairs_to_matrix",
    "split_features",
    "train_block",
    "upper_triangle",
]

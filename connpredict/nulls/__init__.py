"""Null models: spins, random permutations and model-level spin tests.

- :func:`spin_permutations`: spatial-autocorrelation-preserving permutations
  of regions from random rotations of the cortical sphere (and of the
  subcortical centroids), per hemisphere.
- :func:`random_permutations`: the non-spatial null.
- :func:`variogram_surrogates`: surrogate maps matching a map's variogram.
- :func:`spin_test`: cross-validated score of a model against refits on
  spun gene expression, with a p-value; :func:`has_fast_path` says whether
  it refits a model in closed form.
- :func:`plot_null_distribution`, :func:`read_spin_table` (the research
  system's CSV spin tables).
"""

from connpredict.nulls._fast import has_fast_path
from connpredict.nulls._io import read_spin_table
from connpredict.nulls._plot import plot_null_distribution
from connpredict.nulls._spin_test import (
    SpinTestResult,
    permutation_pvalue,
    spin_test,
)
from connpredict.nulls._spins import (
    random_permutations,
    random_rotations,
    spin_permutations,
)
from connpredict.nulls._surrogates import variogram_surrogates

__all__ = [
    "SpinTestResult",
    "has_fast_path",
    "permutation_pvalue",
    "plot_null_distribution",
    "random_permutations",
    "random_rotations",
    "read_spin_table",
    "spin_permutations",
    "spin_test",
    "variogram_surrogates",
]

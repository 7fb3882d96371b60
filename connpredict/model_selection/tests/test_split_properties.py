"""Property-based tests of the splitters (Hypothesis).

Strategies and profiles: ``connpredict/tests/strategies.py``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import strategies as st  # noqa: E402

from connpredict.model_selection import (  # noqa: E402
    CommunitySplit,
    NetworkSplit,
    RandomSplit,
    SpatialSplit,
)
from connpredict.tests.strategies import regions, scaled_settings  # noqa: E402

# -- splitters ----------------------------------------------------------------------
_SPLITTERS = {
    "random": lambda k: RandomSplit(k, random_state=0),
    "spatial": lambda k: SpatialSplit(k, random_state=0),
    "community": lambda k: CommunitySplit(random_state=0),
    "network": lambda k: NetworkSplit(),
}


@pytest.mark.parametrize("name", sorted(_SPLITTERS))
@scaled_settings(0.8)
@hypothesis.given(
    data=regions(max_n=14), k=st.integers(1, 8), n_groups=st.integers(1, 4)
)
def test_splitters_partition_regions_or_refuse(name, data, k, n_groups):
    X, Y, _ = data
    n = len(X)
    groups = pd.Series(np.arange(n) % n_groups, index=X.index).map(lambda g: f"N{g}")
    splitter = _SPLITTERS[name](k)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tiny folds warn
            folds = list(splitter.split(X, Y, groups=groups))
    except (ValueError, TypeError) as exc:
        assert str(exc).strip()
        return
    seen = np.zeros(n, dtype=int)
    for train, test in folds:
        assert len(test) > 0
        assert np.intersect1d(train, test).size == 0
        assert np.all((train >= 0) & (train < n)) and np.all((test >= 0) & (test < n))
        assert len(train) + len(test) == n
        seen[test] += 1
    assert np.all(seen == 1), "test folds must partition the regions"
    if name == "network":
        for _, test in folds:  # a fold is one network
            assert groups.iloc[test].nunique() == 1

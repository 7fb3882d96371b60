"""Property-based tests of spin_test (Hypothesis).

Strategies and profiles: ``connpredict/tests/strategies.py``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import strategies as st  # noqa: E402

from connpredict.model_selection import (  # noqa: E402
    RandomSplit,
)
from connpredict.models import (  # noqa: E402
    BilinearRegressor,
)
from connpredict.nulls import spin_test  # noqa: E402
from connpredict.tests.strategies import regions, scaled_settings  # noqa: E402


# -- spin_test ------------------------------------------------------------------------
@scaled_settings(0.4)
@hypothesis.given(
    data=regions(min_n=4, max_n=10, bad=False),
    n_splits=st.integers(2, 4),
    n_perm=st.integers(1, 4),
    constant=st.booleans(),
)
def test_spin_test_pvalue_is_valid_and_never_significant_when_undefined(
    data, n_splits, n_perm, constant
):
    X, Y, _ = data
    if constant:  # every score undefined (constant target)
        Y = pd.DataFrame(1.0, index=Y.index, columns=Y.columns)
    rng = np.random.default_rng(0)
    perms = np.array([rng.permutation(len(X)) for _ in range(n_perm)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = spin_test(
                BilinearRegressor(encoder=None, alpha=1.0),
                X,
                Y,
                cv=RandomSplit(n_splits, random_state=0),
                permutations=perms,
                random_state=0,
            )
        except (ValueError, TypeError) as exc:
            assert str(exc).strip()
            return
    p = res.pvalue
    if np.isnan(res.score):
        assert np.isnan(p), "an undefined score must not give a p-value"
        assert caught
        return
    assert 1.0 / (n_perm + 1) - 1e-12 <= p <= 1.0
    null = np.asarray(res.null_scores, dtype=float)
    expected = (1 + np.sum(null >= res.score - 1e-12 * abs(res.score))) / (
        1 + len(null)
    )
    if np.all(np.isfinite(null)):
        assert p == pytest.approx(expected)

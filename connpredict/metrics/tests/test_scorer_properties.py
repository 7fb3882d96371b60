"""Property-based tests of the scorers (Hypothesis).

Strategies and profiles: ``connpredict/tests/strategies.py``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import strategies as st  # noqa: E402

from connpredict.metrics import get_scorer  # noqa: E402
from connpredict.models import (  # noqa: E402
    ExponentialDecayRegressor,
)
from connpredict.tests.strategies import regions, scaled_settings  # noqa: E402
from connpredict.utils import upper_triangle  # noqa: E402

# -- scorers ------------------------------------------------------------------------
_SCORER_NAMES = [
    "pearson_r",
    "spearman_r",
    "r2",
    "neg_mse",
    "neg_mae",
    "neg_mean_squared_error",
]


@pytest.mark.parametrize("scoring", _SCORER_NAMES)
@scaled_settings(0.6)
@hypothesis.given(
    data=regions(min_n=6, bad=False), m=st.integers(0, 8), constant=st.booleans()
)
def test_scorers_are_finite_nan_with_warning_or_refuse(scoring, data, m, constant):
    X, Y, _ = data
    model = ExponentialDecayRegressor().fit(X, Y)
    test = X.index[: min(m, len(X))]
    Yt = Y.loc[test]
    if constant:  # a constant true block: correlations are undefined
        Yt = pd.DataFrame(0.5, index=Yt.index, columns=Yt.columns)
    scorer = get_scorer(scoring)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = scorer(model, X.loc[test], Yt)
        except (ValueError, TypeError) as exc:
            assert str(exc).strip()
            return
    assert isinstance(value, float)
    t = upper_triangle(Yt.loc[test, test].to_numpy())
    p = upper_triangle(model.predict(X.loc[test]).to_numpy())
    if np.isnan(value):
        assert caught, "an undefined score must come with a warning"
        return
    assert np.isfinite(value)
    if scoring == "pearson_r":
        assert np.std(t) > 0 and np.std(p) > 0
        assert value == pytest.approx(np.corrcoef(t, p)[0, 1], abs=1e-9)
    elif scoring in ("neg_mse", "neg_mean_squared_error"):
        assert value == pytest.approx(-np.mean((t - p) ** 2), rel=1e-9)
    elif scoring == "neg_mae":
        assert value == pytest.approx(-np.mean(np.abs(t - p)), rel=1e-9)

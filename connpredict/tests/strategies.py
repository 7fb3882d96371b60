"""Hypothesis strategies and profiles shared by the property-based tests.

The property tests live next to their units (``models/tests/test_properties.py``,
``model_selection/tests/test_split_properties.py``,
``metrics/tests/test_scorer_properties.py``,
``nulls/tests/test_spin_test_properties.py``): random inputs -- sizes, label
kinds, duplicate labels, NaN patterns, dtypes, shuffled orders, misaligned
rows, tiny folds -- are given to every public estimator, the splitters, the
scorers and ``spin_test``. Each must either raise a ``ValueError`` /
``TypeError`` (with a message) or return finite results aligned with the
region labels; never a silently misaligned result, and never a significant
p-value from an undefined score.

Profiles: ``connpredict-ci`` (selected when the environment variable ``CI``
is set, e.g. ``CI=true``) runs a fixed, derandomised set of examples;
``connpredict-dev`` (the default) draws fresh examples, and
``HYPOTHESIS_PROFILE`` picks any profile.
"""

import os

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_COMMON = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "connpredict-ci", max_examples=40, derandomize=True, database=None, **_COMMON
)
settings.register_profile("connpredict-dev", max_examples=25, **_COMMON)
_PROFILE = os.environ.get(
    "HYPOTHESIS_PROFILE",
    "connpredict-ci" if os.environ.get("CI") else "connpredict-dev",
)
_BASE = settings.get_profile(_PROFILE)


def scaled_settings(scale=1.0):
    """The module's profile, with ``scale`` times its number of examples."""
    return settings(_BASE, max_examples=max(1, int(_BASE.max_examples * scale)))


# -- generators -------------------------------------------------------------------
@st.composite
def regions(draw, *, min_n=0, max_n=12, bad=True):
    """A region table X, its connectome Y and what is wrong with them.

    Returns ``(X, Y, problems)``: ``problems`` lists the defects drawn (empty
    for a valid pair), each of which must make fitting fail with a clear
    error.
    """
    n = draw(st.integers(min_n, max_n))
    n_genes = draw(st.integers(0 if bad else 1, 4))
    with_coords = draw(st.booleans()) if bad else True
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    problems = []
    if n < 3:
        problems.append("few regions")
    kind = draw(st.sampled_from(["str", "int", "range"]))
    if kind == "str":
        labels = [f"R{i:02d}" for i in rng.permutation(n)]
    elif kind == "int":
        labels = [int(v) for v in rng.choice(10 * n + 10, size=n, replace=False)]
    else:
        labels = list(range(n))
    if bad and n >= 2 and draw(st.integers(0, 9)) == 0:
        labels[1] = labels[0]
        problems.append("duplicate labels")
    dtype = draw(
        st.sampled_from(["float64", "float32", "int64"] + (["bool"] if bad else []))
    )
    genes = rng.normal(size=(n, n_genes))
    coords = rng.uniform(-60, 60, size=(n, 3))
    X = pd.DataFrame(genes, index=labels, columns=[f"G{j}" for j in range(n_genes)])
    if dtype == "int64":
        X = (X * 10).round().astype("int64")
    elif dtype == "float32":
        X = X.astype("float32")
    elif dtype == "bool" and n_genes:
        X = X > 0
        problems.append("boolean genes")
    if with_coords:
        X[["x", "y", "z"]] = coords
    if X.shape[1] == 0:
        problems.append("no columns")
    if bad and n and X.shape[1] and draw(st.integers(0, 7)) == 0:
        col = X.columns[0]
        X[col] = X[col].astype(float)
        X.iloc[draw(st.integers(0, n - 1)), 0] = np.nan
        problems.append("NaN in X")
    # connectome: a smooth function of distance and genes, plus noise
    d = np.linalg.norm(coords[:, None] - coords[None], axis=-1)
    signal = np.exp(-d / 40.0)
    if n_genes:
        signal = signal + 0.3 * genes[:, :1] @ genes[:, :1].T
    A = signal + 0.05 * rng.normal(size=(n, n))
    A = (A + A.T) / 2
    if draw(st.booleans()):
        np.fill_diagonal(A, np.nan)  # the diagonal is never data
    if bad and n >= 2 and draw(st.integers(0, 7)) == 0:
        A[0, 1] = A[1, 0] = np.nan
        problems.append("NaN off the diagonal of Y")
    Y = pd.DataFrame(A, index=labels, columns=labels)
    order = draw(st.sampled_from(["same"] * 4 + (["shuffled", "rows"] if bad else [])))
    if order != "same" and n >= 2:
        perm = np.roll(np.arange(n), 1)
        if order == "shuffled":  # same connectome, other order: must not be used
            Y = Y.iloc[perm, perm]
            problems.append("Y in another order")
        else:  # rows of other regions: misaligned
            Y = pd.DataFrame(A[perm], index=labels, columns=labels)
    return X, Y, problems

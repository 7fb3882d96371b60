"""Property-based tests of every registered estimator and transformer (Hypothesis).

The strategies and profiles are in ``connpredict/tests/strategies.py``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")

from connpredict.models import (  # noqa: E402
    BilinearRegressor,
)
from connpredict.tests.strategies import regions, scaled_settings  # noqa: E402


def _estimators():
    """``(id, estimator)`` for every registered estimator that predicts pairs.

    Each is built with the first of its registry ``test_params`` (small and
    fast; neural models train 2 epochs of tiny networks), plus a
    distance-using bilinear model.
    """
    import importlib

    from connpredict.models._registry import model_specs

    out = []
    for spec in model_specs():
        if spec.task == "transform":
            continue
        cls = getattr(importlib.import_module(spec.module), spec.name)
        out.append((spec.name, cls(**dict(spec.test_params[0]))))
    out.append(
        ("BilinearRegressor-dist", BilinearRegressor(encoder=None, use_distance=True))
    )
    return out


_ESTIMATORS = _estimators()


# closed-form (or tightly converged) fits. Left out: the distance-using
# bilinear model, whose decay length is a 1-D numerical optimum that can be
# flat on tiny random data, PLS, whose NIPALS iterations stop at a tolerance,
# and iterative or stochastic models: there the summation order moves the
# result within the solver's tolerance (~1e-3). Their alignment with the
# labels is checked by the first property.
_DETERMINISTIC_FIT = {
    "ExponentialDecayRegressor",
    "GaussianKernelRegressor",
    "CGERegressor",
    "BilinearRegressor",
}


def _needs(X, estimator):
    """What ``estimator`` needs that ``X`` lacks."""
    missing = []
    genes = [c for c in X.columns if c not in ("x", "y", "z")]
    has_coords = all(c in X.columns for c in ("x", "y", "z"))
    needs_coords = (
        estimator._requires_coords or getattr(estimator, "use_distance", None) is True
    )
    if needs_coords and not has_coords:
        missing.append("coordinates")
    if estimator._requires_genes and not genes:
        missing.append("genes")
    return missing


def _target_for(estimator, Y):
    """Binarise ``Y`` (above its off-diagonal median) for classifiers."""
    from sklearn.base import is_classifier

    if not is_classifier(estimator):
        return Y
    values = Y.to_numpy(dtype=float)
    off = ~np.eye(len(Y), dtype=bool)
    finite = values[off & np.isfinite(values)]
    cut = np.median(finite) if finite.size else 0.0
    binary = np.where(np.isfinite(values), (values > cut).astype(float), np.nan)
    return pd.DataFrame(binary, index=Y.index, columns=Y.columns)


def _fit_predict(estimator, X, Y):
    from sklearn.base import clone

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = clone(estimator).fit(X, Y)
        return model, model.predict(X)


# -- estimators -------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, estimator", _ESTIMATORS, ids=[e[0] for e in _ESTIMATORS]
)
@scaled_settings(0.6)
@hypothesis.given(data=regions())
def test_estimator_errors_or_aligned_finite_predictions(name, estimator, data):
    X, Y, problems = data
    problems = problems + _needs(X, estimator)
    Y = _target_for(estimator, Y)
    try:
        model, P = _fit_predict(estimator, X, Y)
    except (ValueError, TypeError) as exc:
        assert str(exc).strip(), "errors must say what is wrong"
        return
    assert not problems, f"{name} accepted bad input ({problems}) without an error"
    assert isinstance(P, pd.DataFrame)
    assert P.index.equals(X.index) and P.columns.equals(X.index)
    values = P.to_numpy()
    assert np.all(np.isfinite(values))
    np.testing.assert_allclose(values, values.T, rtol=1e-5, atol=1e-6)
    # predictions follow the labels: a shuffled X gives the shuffled matrix
    perm = np.random.default_rng(0).permutation(len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Pp = model.predict(X.iloc[perm])
    expected = P.iloc[perm, perm]
    assert Pp.index.equals(expected.index)
    np.testing.assert_allclose(Pp.to_numpy(), expected.to_numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "name, estimator",
    [e for e in _ESTIMATORS if e[0] in _DETERMINISTIC_FIT],
    ids=[e[0] for e in _ESTIMATORS if e[0] in _DETERMINISTIC_FIT],
)
@scaled_settings(0.4)
@hypothesis.given(data=regions(min_n=6, bad=False))
def test_fit_does_not_depend_on_region_order(name, estimator, data):
    # valid input in two orders (X and Y reordered together): the same model
    X, Y, problems = data
    assert not problems
    perm = np.random.default_rng(1).permutation(len(X))
    try:
        _, P = _fit_predict(estimator, X, Y)
    except (ValueError, TypeError) as exc:  # e.g. too few regions for a setting
        assert str(exc).strip()
        return
    _, Pp = _fit_predict(estimator, X.iloc[perm], Y.iloc[perm, perm])
    np.testing.assert_allclose(
        Pp.loc[X.index, X.index].to_numpy(), P.to_numpy(), rtol=1e-5, atol=1e-7
    )


def _transformers():
    import importlib

    from connpredict.models._registry import model_specs

    out = []
    for spec in model_specs():
        if spec.task == "transform":
            cls = getattr(importlib.import_module(spec.module), spec.name)
            out.append((spec.name, cls(**dict(spec.test_params[0]))))
    return out


_TRANSFORMERS = _transformers()


@pytest.mark.parametrize(
    "name, transformer", _TRANSFORMERS, ids=[e[0] for e in _TRANSFORMERS]
)
@scaled_settings(0.4)
@hypothesis.given(data=regions())
def test_transformers_error_or_keep_rows_and_coordinates(name, transformer, data):
    from sklearn.base import clone

    X, _, _ = data
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = clone(transformer).fit(X)
            Z = model.transform(X)
            Zp = model.transform(X.iloc[::-1])
    except (ValueError, TypeError) as exc:
        assert str(exc).strip()
        return
    assert isinstance(Z, pd.DataFrame) and Z.index.equals(X.index)
    assert np.all(np.isfinite(Z.to_numpy(dtype=float)))
    # rows follow the labels; coordinates pass through unchanged
    assert Zp.index.equals(X.index[::-1])
    np.testing.assert_allclose(
        Zp.iloc[::-1].to_numpy(dtype=float), Z.to_numpy(dtype=float), atol=1e-9
    )
    for c in ("x", "y", "z"):
        if c in X.columns:
            np.testing.assert_array_equal(Z[c].to_numpy(), X[c].to_numpy(dtype=float))

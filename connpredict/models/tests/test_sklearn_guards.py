"""The guards against scikit-learn's per-sample callers (models/_sklearn_guards.py).

They recognise scikit-learn's string scorers and ``cross_val_predict`` on the
call stack by scikit-learn's private names. These tests check, with the
installed scikit-learn (its version is in the test id), that every private
name the guards rely on still exists and that the guards still fire.
"""

import importlib
import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_val_predict,
    cross_val_score,
    cross_validate,
    permutation_test_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from connpredict.datasets import make_synthetic_connectome
from connpredict.models import BilinearRegressor, CGERegressor
from connpredict.models._sklearn_guards import (
    FORWARDING_MODULES,
    SKLEARN_PRIVATE_NAMES,
    SKLEARN_VERSIONS,
)

INSTALLED = sklearn.__version__


def _version(text):
    return tuple(int(part) for part in re.findall(r"\d+", text)[:2])


@pytest.fixture(scope="module")
def data():
    ds = make_synthetic_connectome(n_regions=30, n_genes=12, random_state=0)
    return ds.X, ds.Y


@pytest.mark.parametrize("version", [INSTALLED], ids=lambda v: f"sklearn-{v}")
def test_installed_sklearn_is_in_the_supported_range(version):
    low, high = SKLEARN_VERSIONS
    assert low.startswith(">=") and high.startswith("<")
    assert _version(low[2:]) <= _version(version) < _version(high[1:]), (
        f"scikit-learn {version} is outside the range {SKLEARN_VERSIONS} whose "
        "private names models/_sklearn_guards.py was checked against"
    )
    pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"
    if pyproject.exists():  # a checkout: the dependency declares the same range
        assert f'"scikit-learn{low},{high}"' in pyproject.read_text(encoding="utf-8")


@pytest.mark.parametrize("version", [INSTALLED], ids=lambda v: f"sklearn-{v}")
@pytest.mark.parametrize("module_name", sorted(SKLEARN_PRIVATE_NAMES))
def test_private_names_exist(module_name, version):
    module = importlib.import_module(module_name)
    for name in SKLEARN_PRIVATE_NAMES[module_name]:
        assert hasattr(module, name), f"{module_name}.{name} (scikit-learn {version})"


@pytest.mark.parametrize("version", [INSTALLED], ids=lambda v: f"sklearn-{v}")
def test_private_details_the_guards_read(version):
    from sklearn.metrics import _scorer as sk_scorer
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import _validation

    # the guard reads the local variable ``scorer`` of _fit_and_score
    assert "scorer" in inspect.signature(_validation._fit_and_score).parameters
    # a string scorer is defined in sklearn.metrics._scorer; several of them
    # are held in _MultimetricScorer._scorers
    assert type(get_scorer("r2")).__module__ == "sklearn.metrics._scorer"
    multi = sk_scorer._MultimetricScorer(scorers={"r2": get_scorer("r2")})
    assert set(multi._scorers) == {"r2"}
    for module_name in FORWARDING_MODULES:
        importlib.import_module(module_name)


@pytest.mark.parametrize("version", [INSTALLED], ids=lambda v: f"sklearn-{v}")
def test_guards_fire(data, version):
    X, Y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"get_scorer\('r2'\)"):
            cross_val_score(BilinearRegressor(), X, Y, cv=KFold(3), scoring="r2")
    with pytest.raises(ValueError, match=r"model_selection\.cross_val_predict"):
        cross_val_predict(BilinearRegressor(), X, Y, cv=KFold(3))
    # a fitted model scored by scikit-learn's scorer outside cross-validation
    from sklearn.metrics import get_scorer

    model = BilinearRegressor().fit(X, Y)
    with pytest.raises(ValueError, match=r"get_scorer\('r2'\)"):
        get_scorer("r2")(model, X, Y)
    # and the same model works directly and with its own score
    assert np.isfinite(model.score(X, Y))


# -- the guards' messages, case by case ----------------------------------------
@pytest.mark.parametrize(
    "scoring", ["r2", "neg_mean_squared_error", ["r2", "neg_max_error"]]
)
def test_sklearn_string_scorers_are_refused_with_the_fix(data, scoring):
    X, Y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"get_scorer\('r2'\)"):
            cross_validate(BilinearRegressor(), X, Y, cv=KFold(3), scoring=scoring)
    with pytest.raises(ValueError, match=r"get_scorer\('r2'\)"):
        GridSearchCV(
            BilinearRegressor(),
            {"alpha": [0.1, 1.0]},
            cv=KFold(2),
            scoring=scoring,
            refit=False,
        ).fit(X, Y)
    # scoring=None (the estimator's score) still works, also in a Pipeline
    pipe = make_pipeline(StandardScaler(), BilinearRegressor())
    scores = cross_val_score(pipe, X, Y, cv=KFold(3))
    assert np.all(np.isfinite(scores))


def test_sklearn_cross_val_predict_points_to_ours(data):
    X, Y = data
    with pytest.raises(
        ValueError, match=r"connpredict\.model_selection\.cross_val_predict"
    ):
        cross_val_predict(BilinearRegressor(), X, Y, cv=KFold(3))
    with pytest.raises(
        ValueError, match=r"connpredict\.model_selection\.cross_val_predict"
    ):
        cross_val_predict(make_pipeline(StandardScaler(), CGERegressor()), X, Y, cv=3)
    # classifiers too (their predict goes through predict_proba)
    from connpredict.models import BilinearClassifier

    Yb = (Y > Y.median().median()).astype(int)
    for method in ("predict", "predict_proba"):
        with pytest.raises(ValueError, match=r"model_selection\.cross_val_predict"):
            cross_val_predict(
                BilinearClassifier(n_components=3), X, Yb, cv=KFold(3), method=method
            )


def test_permutation_test_score_hints_spin_test(data):
    X, Y = data
    with pytest.raises(ValueError, match=r"permutation_test_score.*spin_test"):
        permutation_test_score(BilinearRegressor(), X, Y, cv=KFold(3), n_permutations=2)

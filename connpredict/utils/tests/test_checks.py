"""The parameter checks and their error policy (TypeError for a wrong type,
ValueError for a value of the right type out of range)."""

import numpy as np
import pytest

from connpredict.utils._checks import (
    MIN_REGIONS,
    check_bool,
    check_choice,
    check_count_or_fraction,
    check_float,
    check_int,
)


@pytest.mark.parametrize("value", [3, np.int64(3), np.int8(3)])
def test_check_int_accepts_integers_and_returns_python_ints(value):
    out = check_int(value, "n", low=1, high=5)
    assert out == 3 and type(out) is int


@pytest.mark.parametrize("value", [True, np.bool_(True), 3.0, "3", None, [3]])
def test_check_int_wrong_type_is_a_type_error(value):
    with pytest.raises(TypeError, match=r"^n must be an integer >= 1, got "):
        check_int(value, "n", low=1)


@pytest.mark.parametrize("value, bounds", [(0, {"low": 1}), (6, {"high": 5})])
def test_check_int_out_of_range_is_a_value_error(value, bounds):
    with pytest.raises(ValueError, match=f"^n must be an integer .*, got {value}.$"):
        check_int(value, "n", **bounds)


def test_check_int_none():
    assert check_int(None, "n", low=1, none_ok=True) is None
    with pytest.raises(TypeError, match="or None"):
        check_int("x", "n", low=1, none_ok=True)


def test_check_float_bounds_open_and_closed():
    assert check_float(0, "p", low=0, high=1) == 0.0
    assert check_float(np.float32(0.5), "p", low=0, high=1, high_open=True) == 0.5
    for bad, kw in [
        (1.0, {"high": 1, "high_open": True}),
        (0.0, {"low": 0, "low_open": True}),
        (-0.1, {"low": 0}),
        (float("nan"), {}),
    ]:
        with pytest.raises(ValueError, match=r"^p must be a number"):
            check_float(bad, "p", **kw)
    for bad in (True, "0.5", None, [0.5]):
        with pytest.raises(TypeError, match=r"^p must be a number"):
            check_float(bad, "p", low=0)
    assert check_float(None, "p", none_ok=True) is None


def test_check_bool_refuses_look_alikes():
    assert check_bool(np.bool_(False), "flag") is False
    for bad in (0, 1, "yes", None):
        with pytest.raises(TypeError, match=r"^flag must be True or False"):
            check_bool(bad, "flag")


def test_check_choice_is_a_value_error_whatever_the_type():
    assert check_choice(None, "cls", (None, "coords")) is None
    for bad in ("batch", 3, np.array([1, 2]), None):
        with pytest.raises(ValueError, match=r"^mode must be one of 'a', 'b'; got "):
            check_choice(bad, "mode", ("a", "b"))


def test_check_count_or_fraction():
    assert check_count_or_fraction(np.int64(4), "k") == 4
    assert check_count_or_fraction(0.9, "k") == 0.9
    for bad in (0, 1.0, 0.0, -2):
        with pytest.raises(ValueError, match="fraction in"):
            check_count_or_fraction(bad, "k")
    for bad in (True, "5", None):
        with pytest.raises(TypeError, match="fraction in"):
            check_count_or_fraction(bad, "k")


def test_one_minimum_number_of_regions():
    """Splitters, the data contract and the spin test share one minimum."""
    import inspect

    from connpredict.model_selection import MIN_TEST_REGIONS
    from connpredict.utils._contract import check_regions_X

    assert MIN_REGIONS == 3 and MIN_TEST_REGIONS is MIN_REGIONS
    default = inspect.signature(check_regions_X).parameters["min_regions"].default
    assert default is MIN_REGIONS


def test_no_estimator_shadows_sklearns_validate_params():
    """Estimators check their parameters in ``_check_params``; scikit-learn's
    ``_validate_params`` (its ``_parameter_constraints`` machinery) keeps its
    meaning."""
    from sklearn.base import BaseEstimator

    import connpredict.models as models

    for name in models.__all__:
        cls = getattr(models, name)
        if isinstance(cls, type) and issubclass(cls, BaseEstimator):
            assert cls._validate_params is BaseEstimator._validate_params, name

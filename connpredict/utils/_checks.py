"""The package's parameter checks: one vocabulary, one error policy.

Every parameter of a public function or estimator is checked with these
helpers (estimators call them from their ``_check_params`` hook, at the
start of ``fit``). The error policy is Python's and scikit-learn's
(:func:`sklearn.utils.check_scalar`):

- a value of the wrong **type** raises :class:`TypeError` (``max_iter="5"``,
  ``n_splits=2.0``, ``random=True`` for a count);
- a value of the right type **out of range** or not among the allowed
  choices raises :class:`ValueError` (``max_iter=0``, ``sampler="blocks"``).

Booleans are never accepted as numbers: ``True`` is an ``int`` to Python
but a count of ``True`` hides a mistake. Messages name the parameter, what
it must be and what was passed.

``MIN_REGIONS`` is the one minimum number of regions of a scored block: a
Pearson r over the pairs among fewer than 3 regions (fewer than 3 pairs) is
undefined, so test folds, spin-test folds and fitted training sets need at
least that many.
"""

import numbers

import numpy as np

#: Fewest regions in a block that is scored (3 regions give 3 pairs, the
#: fewest for which a Pearson r is defined) or fitted.
MIN_REGIONS = 3


def _bound_text(low, high, low_open=False, high_open=False):
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high}")
    return " and ".join(parts)


def _got(value):
    return f"{value!r} of type {type(value).__name__}"


def check_int(value, name, *, low=None, high=None, none_ok=False):
    """Return ``value`` as an int, checked against the error policy.

    Parameters
    ----------
    value : object
        The value passed by the user.
    name : str
        The parameter's name, as the user typed it (used in messages).
    low, high : int or None, default=None
        Inclusive bounds; None means unbounded.
    none_ok : bool, default=False
        Accept (and return) None.

    Returns
    -------
    value : int or None
        ``int(value)`` (numpy integers become Python ints).

    Raises
    ------
    TypeError
        If ``value`` is not an integer (booleans, floats such as ``5.0`` and
        strings are refused).
    ValueError
        If it is an integer outside ``[low, high]``.

    Examples
    --------
    >>> from connpredict.utils._checks import check_int
    >>> check_int(5, "max_iter", low=1)
    5
    >>> check_int(0, "max_iter", low=1)
    Traceback (most recent call last):
    ...
    ValueError: max_iter must be an integer >= 1, got 0.
    """
    if value is None and none_ok:
        return None
    bounds = _bound_text(low, high)
    what = f"an integer {bounds}".rstrip() + (" or None" if none_ok else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {what}, got {_got(value)}.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {what}, got {value}.")
    return int(value)


def check_float(
    value,
    name,
    *,
    low=None,
    high=None,
    low_open=False,
    high_open=False,
    none_ok=False,
):
    """Return ``value`` as a float, checked against the error policy.

    Parameters
    ----------
    value, name : object, str
        The value passed and the parameter's name, as in :func:`check_int`.
    low, high : float or None, default=None
        Bounds; None means unbounded.
    low_open, high_open : bool, default=False
        Exclude the bound itself (``low < value``, ``value < high``).
    none_ok : bool, default=False
        Accept (and return) None.

    Returns
    -------
    value : float or None
        ``float(value)``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (booleans and strings are refused).
    ValueError
        If it is a number outside the bounds, or NaN.

    Examples
    --------
    >>> from connpredict.utils._checks import check_float
    >>> check_float(0.5, "dropout", low=0, high=1, high_open=True)
    0.5
    """
    if value is None and none_ok:
        return None
    bounds = _bound_text(low, high, low_open, high_open)
    what = f"a number {bounds}".rstrip() + (" or None" if none_ok else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {what}, got {_got(value)}.")
    v = float(value)
    bad = np.isnan(v)
    if low is not None:
        bad |= v <= low if low_open else v < low
    if high is not None:
        bad |= v >= high if high_open else v > high
    if bad:
        raise ValueError(f"{name} must be {what}, got {value!r}.")
    return v


def check_count_or_fraction(value, name):
    """Return an integer >= 1 as int, or a fraction in (0, 1) as float.

    The two ways to size a reduction (``n_components=20``: 20 components;
    ``n_components=0.95``: the fewest explaining 95% of the variance).

    Parameters
    ----------
    value, name : object, str
        The value passed and the parameter's name, as in :func:`check_int`.

    Returns
    -------
    value : int or float

    Raises
    ------
    TypeError
        If ``value`` is not a number (booleans and strings are refused).
    ValueError
        If it is an integer < 1 or a float outside (0, 1).

    Examples
    --------
    >>> from connpredict.utils._checks import check_count_or_fraction
    >>> check_count_or_fraction(0.95, "n_components")
    0.95
    """
    what = "an integer >= 1 or a fraction in (0, 1)"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {what}, got {_got(value)}.")
    if isinstance(value, numbers.Integral):
        if value < 1:
            raise ValueError(f"{name} must be {what}, got {value}.")
        return int(value)
    if not 0 < value < 1:
        raise ValueError(f"{name} must be {what}, got {value!r}.")
    return float(value)


def check_bool(value, name):
    """Return ``value`` as a bool; anything but True/False is a TypeError.

    Parameters
    ----------
    value, name : object, str
        The value passed and the parameter's name, as in :func:`check_int`.

    Returns
    -------
    value : bool

    Raises
    ------
    TypeError
        If ``value`` is not a bool (``0``, ``"yes"`` and None are refused).

    Examples
    --------
    >>> from connpredict.utils._checks import check_bool
    >>> check_bool(True, "standardize")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_got(value)}.")
    return bool(value)


def check_choice(value, name, choices):
    """Return ``value`` if it is one of ``choices``, else raise ValueError.

    Parameters
    ----------
    value, name : object, str
        The value passed and the parameter's name, as in :func:`check_int`.
    choices : sequence
        The allowed values (compared with ``==``; None may be one).

    Returns
    -------
    value : object

    Raises
    ------
    ValueError
        If ``value`` is not among ``choices`` (a value of another type is not
        among them either, so this is a ValueError too, as scikit-learn's
        ``StrOptions`` constraint has it).

    Examples
    --------
    >>> from connpredict.utils._checks import check_choice
    >>> check_choice("block", "sampler", ("block", "random"))
    'block'
    """
    try:
        ok = any(value is c or (c is not None and value == c) for c in choices)
    except (TypeError, ValueError):  # e.g. an array compared with a str
        ok = False
    if not ok:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}.")
    return value

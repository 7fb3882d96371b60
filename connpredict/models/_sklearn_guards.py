"""Guards against scikit-learn callers that misread a connectome prediction.

A connectome estimator predicts a regions x regions block. Two of
scikit-learn's callers read ``predict``'s output as one row per sample and
give meaningless numbers without an error:

- its *string* scorers (``cross_val_score(model, X, Y, scoring="r2")``,
  ``GridSearchCV(..., scoring="neg_mean_squared_error")``), which compare the
  block with ``Y.iloc[test]`` row by row;
- ``sklearn.model_selection.cross_val_predict``, which stacks the blocks of
  the folds as rows.

scikit-learn offers no public hook to tell who calls ``fit`` or
``predict``, so the guards walk the call stack and recognise those callers
by scikit-learn's *private* module, function and class names. Every such
name is listed once, in :data:`SKLEARN_PRIVATE_NAMES` (and the frames that
only forward a call in :data:`FORWARDING_MODULES`);
``connpredict/models/tests/test_sklearn_guards.py`` checks that they exist in
the installed scikit-learn and that the guards still fire. When a new
scikit-learn release renames one of them, that test fails first: update
the names here, and the range of ``scikit-learn`` in ``pyproject.toml``.

:class:`~connpredict.models._base.BaseConnectomeRegressor` calls
:func:`refuse_sklearn_scorer_in_fit` first thing in ``fit`` and
:func:`refuse_sklearn_per_sample_callers` first thing in ``predict``.
"""

import sys

#: the scikit-learn versions these names were checked against (pyproject.toml
#: declares the same range for the dependency)
SKLEARN_VERSIONS = (">=1.6", "<1.11")

_VALIDATION = "sklearn.model_selection._validation"
_SCORER = "sklearn.metrics._scorer"
_RESPONSE = "sklearn.utils._response"
_FIT_AND_SCORE = "_fit_and_score"  # its local variable ``scorer`` is read
_FIT_AND_PREDICT = "_fit_and_predict"
_MULTIMETRIC = "_MultimetricScorer"  # its attribute ``_scorers`` is read
_PASSTHROUGH = "_PassthroughScorer"

#: modules whose frames only forward a call to the estimator (a Pipeline's
#: predict, available_if wrappers): skipped when looking for the real caller
FORWARDING_MODULES = (
    "sklearn.pipeline",
    "sklearn.utils._available_if",
    "sklearn.utils._set_output",
    "sklearn.utils.metaestimators",
    "sklearn.utils._metadata_requests",
    "sklearn.compose",
    "functools",
)

#: every private scikit-learn name the guards rely on: module -> names read
#: in it (an empty tuple: only the module name is matched)
SKLEARN_PRIVATE_NAMES = {
    _VALIDATION: (_FIT_AND_SCORE, _FIT_AND_PREDICT),
    _SCORER: (_MULTIMETRIC, _PASSTHROUGH),
    _RESPONSE: (),
    **{m: () for m in FORWARDING_MODULES if m.startswith("sklearn.utils._")},
}

_OWN_PREDICT_METHODS = frozenset(
    ("predict", "predict_proba", "predict_log_proba", "decision_function")
)


def _sklearn_caller(depth=12):
    """Which scikit-learn caller reads ``predict``'s output per sample, if any.

    Returns ``"scorer"`` for scikit-learn's own scorers (which compare
    ``predict(X)`` with ``y`` sample by sample), ``"cross_val_predict"`` for
    :func:`sklearn.model_selection.cross_val_predict` (which stacks the
    per-fold predictions as rows), else None.
    """
    # frames: this function, refuse_sklearn_per_sample_callers, predict
    frame = sys._getframe(3)
    for _ in range(depth):
        if frame is None:
            return None
        module = frame.f_globals.get("__name__", "")
        if module.startswith(FORWARDING_MODULES) or (
            # a classifier's predict / predict_proba / decision_function
            module.startswith("connpredict.models")
            and frame.f_code.co_name in _OWN_PREDICT_METHODS
        ):
            frame = frame.f_back
            continue
        if module in (_RESPONSE, _SCORER):
            return "scorer"
        if module == _VALIDATION and frame.f_code.co_name == _FIT_AND_PREDICT:
            return "cross_val_predict"
        return None
    return None


def _is_sklearn_sample_scorer(scorer):
    """True for scikit-learn's own scorers (``get_scorer("r2")`` and the like).

    Those call ``predict`` and compare it with ``y`` sample by sample. The
    pass-through scorer (``scoring=None``, i.e. ``estimator.score``) and
    connpredict's scorers are fine.
    """
    cls = type(scorer)
    if cls.__module__ != _SCORER:
        return False
    if cls.__name__ == _MULTIMETRIC:
        return any(
            _is_sklearn_sample_scorer(s)
            for s in getattr(scorer, "_scorers", {}).values()
        )
    return cls.__name__ != _PASSTHROUGH


def refuse_sklearn_scorer_in_fit(estimator, depth=16):
    """Refuse up front a cross-validation that scores with scikit-learn's scorers.

    ``cross_val_score(model, X, Y, scoring="r2")`` (and ``cross_validate``,
    ``GridSearchCV``) resolve the string in scikit-learn's own registry; the
    scorer would compare the predicted block with ``Y`` row by row and every
    fold would score NaN. scikit-learn fits through ``_fit_and_score(...,
    scorer=...)``; when that frame is found on the call stack with a
    scikit-learn scorer, ``fit`` raises, so that the user gets one clear
    error (scikit-learn raises when every fit fails) instead of NaN scores.
    A fit from ``sklearn.model_selection.cross_val_predict``
    (``_fit_and_predict``) is refused the same way.

    Call it directly from ``fit`` (it inspects the caller of its caller).
    """
    frame = sys._getframe(2)  # the caller of fit
    for _ in range(depth):
        if frame is None:
            return
        module = frame.f_globals.get("__name__", "")
        if (
            module.startswith(FORWARDING_MODULES)
            or module == "sklearn.base"
            or (
                module.startswith("connpredict.models")
                and frame.f_code.co_name == "fit"
            )
        ):
            frame = frame.f_back
            continue
        if module == _VALIDATION:
            if frame.f_code.co_name == _FIT_AND_SCORE:
                scorer = frame.f_locals.get("scorer")
                if _is_sklearn_sample_scorer(scorer):
                    raise ValueError(_scorer_message(estimator))
            elif frame.f_code.co_name == _FIT_AND_PREDICT:
                raise ValueError(_cross_val_predict_message(estimator))
        return


def refuse_sklearn_per_sample_callers(estimator):
    """Raise when scikit-learn would read ``predict``'s output as one row per sample.

    scikit-learn's string scorers (``scoring="r2"``,
    ``"neg_mean_squared_error"``) compare the predicted block with
    ``Y.iloc[test]`` row by row, and its ``cross_val_predict`` stacks the
    blocks of the folds as rows: both give meaningless numbers (or NaN
    scores). Those two callers are recognised on the call stack and refused
    with the connpredict equivalent.

    Call it directly from ``predict`` (it inspects the caller of its caller).
    """
    caller = _sklearn_caller()
    if caller is None:
        return
    if caller == "scorer":
        raise ValueError(_scorer_message(estimator))
    raise ValueError(_cross_val_predict_message(estimator))


def _scorer_message(estimator):
    return (
        f"{type(estimator).__name__}.predict returns a regions x regions block, "
        "which scikit-learn's scorers (scoring='r2', 'neg_mean_squared_error', "
        "...) compare with Y row by row. Pass a connectome scorer instead, e.g. "
        "scoring=connpredict.metrics.get_scorer('r2') (or 'pearson_r', "
        "'neg_mse'): it scores the upper triangle of the test x test block."
    )


def _cross_val_predict_message(estimator):
    return (
        "sklearn.model_selection.cross_val_predict stacks per-region predictions, "
        f"but {type(estimator).__name__}.predict returns a regions x regions "
        "block. Use connpredict.model_selection.cross_val_predict(estimator, X, "
        "Y, cv=...), which returns the labelled regions x regions matrix of "
        "held-out blocks."
    )

"""scikit-learn's estimator checks on the connectome regressors.

Most of scikit-learn's checks fit with a 1-D ``y`` (or an ``(n_samples,
n_outputs)`` one): our regressors need a square connectome ``Y`` aligned with
``X`` (DESIGN.md, "the data contract"), so those checks are expected to fail,
each listed below with its reason (``xfail_strict`` notices one that starts
passing). The properties those checks would have tested are tested on square
connectomes at the end of this file.
"""

import pickle

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.utils.estimator_checks import parametrize_with_checks

import connpredict.models
from connpredict.datasets import make_synthetic_connectome
from connpredict.models._registry import model_specs


def _estimators(tasks=None):
    """One estimator per ``test_params`` entry of every registered model.

    ``tasks`` restricts them to those tasks (None: all, transformers too).
    """
    return [
        getattr(connpredict.models, spec.name)(**params)
        for spec in model_specs()
        if tasks is None or spec.task in tasks
        for params in spec.test_params
    ]


def _is_transformer(estimator):
    names = {s.name for s in model_specs() if s.task == "transform"}
    return type(estimator).__name__ in names


# connectome estimators (fit on a square Y, predict a block)
_CONNECTOME_TASKS = ("regression", "classification")


def _is_neural(estimator):
    neural = {s.name for s in model_specs() if s.family == "neural"}
    return type(estimator).__name__ in neural


def test_every_registered_model_is_checked():
    checked = {type(est).__name__ for est in _estimators()}
    assert checked == {spec.name for spec in model_specs()}
    # every public name of connpredict.models is an estimator, except the
    # declared non-estimators (RESEARCH_PARAMS)
    others = set(connpredict.models._OTHER)
    assert set(connpredict.models.__all__) - others == checked


_SQUARE_Y = (
    "the check fits with a 1-D (or n_samples x n_outputs) y, but a connectome "
    "regressor needs a square connectome Y (regions x regions) aligned with X, "
    "as the data contract of DESIGN.md requires"
)

_SQUARE_Y_CHECKS = [
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_regressor_data_not_an_array",
    "check_regressor_multioutput",
    "check_regressors_int",
    "check_regressors_no_decision_function",
    "check_regressors_train",
]

_OTHER_REASONS = {
    "check_complex_data": (
        "the target is validated before X, so complex X is rejected by the "
        "message about the 1-D y (a connectome must be square), not by the "
        "'Complex data not supported' message the check looks for"
    ),
    "check_dtype_object": (
        "object columns are rejected with an explicit error instead of being "
        "converted to numbers, because a text column in a region table is almost "
        "always a label that belongs in the index"
    ),
    "check_estimators_empty_data_messages": (
        "a table without feature columns gets the message 'X has no feature "
        "columns; pass genes and/or x, y, z', not scikit-learn's '0 feature(s)' "
        "wording"
    ),
    "check_fit2d_1sample": (
        "one region forms no region pair; the error says that at least 3 "
        "regions are needed to form region pairs, not scikit-learn's '1 sample' "
        "wording"
    ),
}


# the classifier versions of the checks above (fit with a 1-D class vector)
_SQUARE_Y_CLASSIFIER_CHECKS = [
    "check_classifier_data_not_an_array",
    "check_classifier_multioutput",
    "check_classifiers_classes",
    "check_classifiers_one_label",
    "check_classifiers_regression_target",
    "check_classifiers_train",
    "check_decision_proba_consistency",
]


def _expected_failed_checks(estimator):
    if _is_transformer(estimator):
        return {}  # region-feature transformers are ordinary transformers
    failed = dict.fromkeys(_SQUARE_Y_CHECKS, _SQUARE_Y)
    if is_classifier(estimator):
        failed.update(dict.fromkeys(_SQUARE_Y_CLASSIFIER_CHECKS, _SQUARE_Y))
    failed.update(_OTHER_REASONS)
    if "max_iter" in estimator.get_params():
        # sklearn fits estimators with a max_iter parameter on iris here
        failed["check_non_transformer_estimators_n_iter"] = _SQUARE_Y
    if _is_neural(estimator):
        # ``transform`` (region embeddings) makes these transformers as well
        for name in (
            "check_transformer_n_iter",
            "check_transformer_general",
            "check_transformer_data_not_an_array",
        ):
            failed[name] = _SQUARE_Y
    return failed


@parametrize_with_checks(_estimators(), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    name = getattr(check, "func", check).__name__
    if name not in _expected_failed_checks(estimator):
        check(estimator)
        return
    # an expected failure: re-raise it with a one-frame traceback, because
    # formatting the deep traceback of ~300 expected failures is what makes
    # this module slow
    try:
        check(estimator)
    except Exception as exc:
        raise AssertionError(f"{type(exc).__name__}: {exc}") from None


# -- the same properties, on square connectomes ----------------------------------------
@pytest.fixture(scope="module")
def data():
    return make_synthetic_connectome(n_regions=30, n_genes=12, random_state=0)


def _ids(est):
    return type(est).__name__


@pytest.mark.parametrize("estimator", _estimators(_CONNECTOME_TASKS), ids=_ids)
def test_square_target_contract(estimator, data):
    X, Y = data.X, data.Y
    est = clone(estimator)
    clf = is_classifier(est)
    if clf:  # a binary connectome, about a third of the pairs connected
        Y = (Y > np.quantile(Y.to_numpy()[np.triu_indices(len(Y), 1)], 0.67)) * 1.0
    params_before = est.get_params()
    dict_before = dict(est.__dict__)
    assert est.fit(X.iloc[:22], Y.iloc[:22]) is est
    # fit does not change parameters and sets fitted attributes only
    assert est.get_params() == params_before
    assert set(dict_before) <= set(est.__dict__)
    assert est.n_features_in_ == X.shape[1]
    # classifiers: compare probabilities (labels at 0.5 are too brittle)
    predict = est.predict_proba if clf else est.predict
    first = predict(X.iloc[22:]).to_numpy()
    # predict leaves the estimator unchanged
    state = {k: v for k, v in est.__dict__.items() if not k.startswith("X_train")}
    est.predict(X)
    assert set(state) == {k for k in est.__dict__ if not k.startswith("X_train")}
    # fitting again gives the same model (idempotent)
    est.fit(X.iloc[:22], Y.iloc[:22])
    predict = est.predict_proba if clf else est.predict
    np.testing.assert_array_equal(predict(X.iloc[22:]).to_numpy(), first)
    # pickling keeps predictions
    again = pickle.loads(pickle.dumps(est))
    predict_again = again.predict_proba if clf else again.predict
    np.testing.assert_array_equal(predict_again(X.iloc[22:]).to_numpy(), first)
    # float32 networks agree to float32 precision across batch compositions
    atol = 1e-6 if _is_neural(est) else 1e-10
    # reordering the regions to predict reorders the prediction
    order = np.array([3, 0, 7, 1, 5, 2, 6, 4])
    P = predict(X.iloc[22:].iloc[order]).to_numpy()
    np.testing.assert_allclose(P, first[np.ix_(order, order)], atol=atol)
    # predicting a subset gives the subset of the prediction
    np.testing.assert_allclose(
        predict(X.iloc[22:26]).to_numpy(), first[:4, :4], atol=atol
    )
    # the default score is the upper-triangle Pearson r (accuracy: classifiers)
    iu = np.triu_indices(8, 1)
    y_true = Y.iloc[22:, 22:].to_numpy()[iu]
    if clf:
        labels = est.classes_[(first[iu] >= 0.5).astype(int)]
        expected = np.mean(labels == y_true)
    else:
        expected = np.corrcoef(y_true, first[iu])[0, 1]
    assert est.score(X.iloc[22:], Y.iloc[22:]) == pytest.approx(expected)
    # read-only and Fortran-ordered inputs work
    Xf = np.asfortranarray(X.to_numpy())
    Xf.setflags(write=False)
    Yf = Y.to_numpy().copy()
    Yf.setflags(write=False)
    kw = {}
    if "coord_columns" in est.get_params():
        kw["coord_columns"] = tuple(X.columns.get_indexer(["x", "y", "z"]))
    est_np = clone(est).set_params(**kw).fit(Xf[:22], Yf[:22, :22])
    predict_np = est_np.predict_proba if clf else est_np.predict
    np.testing.assert_allclose(predict_np(Xf[22:]), first, atol=1e-8)


def test_unfitted_predict_raises(data):
    from sklearn.exceptions import NotFittedError

    for est in _estimators(_CONNECTOME_TASKS):
        with pytest.raises(NotFittedError):
            est.predict(data.X)

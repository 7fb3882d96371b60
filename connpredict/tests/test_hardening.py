"""Hardening of the models against bad input and scikit-learn idioms (issue 11).

Each test is one case of the issue: Ctrl-C, divergence, PLS inputs, error
names, scikit-learn scorers and ``cross_val_predict``, pipelines and
``permutation_test_score``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
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
from sklearn.utils.validation import check_is_fitted

from connpredict.datasets import make_synthetic_connectome
from connpredict.metrics import get_scorer
from connpredict.models import (
    BilinearRegressor,
    CGERegressor,
    ExponentialDecayRegressor,
    GaussianKernelRegressor,
    PLSBilinearRegressor,
)
from connpredict.utils import gene_columns, upper_triangle

torch = pytest.importorskip("torch")

from connpredict.models import PairMLPRegressor, SMTRegressor  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def data():
    ds = make_synthetic_connectome(n_regions=30, n_genes=8, random_state=0)
    return ds.X, ds.Y


def _tiny(kind, **kw):
    common = dict(max_iter=2, batch_size=128, n_ensemble=1, random_state=0)
    common.update(kw)
    if kind == "mlp":
        return PairMLPRegressor(hidden_dims=(16,), **common)
    return SMTRegressor(token_size=4, d_model=8, n_heads=2, n_layers=1, **common)


def _all_models():
    return [
        ExponentialDecayRegressor(),
        GaussianKernelRegressor(),
        CGERegressor(),
        BilinearRegressor(),
        PLSBilinearRegressor(n_components=3),
        _tiny("mlp"),
        _tiny("smt"),
    ]


# -- Ctrl-C ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["mlp", "smt"])
def test_keyboard_interrupt_propagates_and_leaves_model_unfitted(data, kind):
    from skorch.callbacks import Callback

    class CtrlC(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                raise KeyboardInterrupt

    X, Y = data
    model = _tiny(kind, max_iter=5, callbacks=[("ctrl_c", CtrlC())])
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, Y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    assert not hasattr(model, "X_train_") and not hasattr(model, "nets_")
    # a refit interrupted the same way drops the earlier fit too
    model.set_params(callbacks=None).fit(X, Y)
    check_is_fitted(model)
    model.set_params(callbacks=[("ctrl_c", CtrlC())])
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, Y)
    assert not hasattr(model, "net_")


def test_early_stopping_is_not_an_interrupt(data):
    X, Y = data
    model = _tiny("mlp", max_iter=100, n_iter_no_change=1, lr=5e-2).fit(X, Y)
    assert 2 <= len(model.history_) < 100


# -- divergence ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["mlp", "smt"])
def test_divergent_training_stops_with_a_clear_error(data, kind):
    X, Y = data
    model = _tiny(kind, lr=1e6, max_iter=5)
    with pytest.raises(ValueError, match=r"diverged.*smaller lr"):
        model.fit(X, Y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def test_non_finite_predictions_are_refused(data):
    X, Y = data
    model = _tiny("mlp").fit(X, Y)
    with torch.no_grad():
        next(model.net_.module_.parameters()).fill_(float("nan"))
    with pytest.raises(ValueError, match=r"NaN or infinite connectivity.*lr"):
        model.predict(X)


# -- PLS -------------------------------------------------------------------------
def _nan_diagonal(Y):
    a = Y.to_numpy().copy()
    np.fill_diagonal(a, np.nan)
    return pd.DataFrame(a, Y.index, Y.columns)


def test_pls_ignores_a_nan_diagonal(data):
    X, Y = data
    ref = PLSBilinearRegressor(n_components=3).fit(X, Y).predict(X)
    got = PLSBilinearRegressor(n_components=3).fit(X, _nan_diagonal(Y)).predict(X)
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match="diagonal='impute'"):
        PLSBilinearRegressor(n_components=3, diagonal="include").fit(
            X, _nan_diagonal(Y)
        )


def test_pls_constant_genes(data):
    X, Y = data
    genes = gene_columns(X)
    # some constant genes carry no information: same model as without them
    Xc = X.copy()
    Xc[genes[:3]] = 2.5
    with_const = PLSBilinearRegressor(n_components=3).fit(Xc, Y).predict(Xc)
    Xd = Xc.drop(columns=genes[:3])
    without = PLSBilinearRegressor(n_components=3).fit(Xd, Y).predict(Xd)
    np.testing.assert_allclose(with_const.to_numpy(), without.to_numpy(), atol=1e-8)
    # all constant: an error naming the columns
    Xc[genes] = 1.0
    with pytest.raises(ValueError, match=r"All 8 gene column\(s\) are constant.*G0001"):
        PLSBilinearRegressor(n_components=3).fit(Xc, Y)


def test_pls_huge_genes_are_named(data):
    X, Y = data
    Xh = X.copy()
    Xh["G0002"] = Xh["G0002"] * 1e200
    with pytest.raises(ValueError, match=r"\['G0002'\].*rescale"):
        PLSBilinearRegressor(n_components=3).fit(Xh, Y)
    # large but representable values are fine, and scale-free with scale=True
    Xl = X.copy()
    Xl["G0002"] = Xl["G0002"] * 1e100
    big = PLSBilinearRegressor(n_components=3).fit(Xl, Y).predict(Xl)
    ref = PLSBilinearRegressor(n_components=3).fit(X, Y).predict(X)
    np.testing.assert_allclose(big.to_numpy(), ref.to_numpy(), rtol=1e-6, atol=1e-8)


# -- X_other naming -----------------------------------------------------------------
def test_predict_errors_name_X_other(data):
    X, Y = data
    model = BilinearRegressor().fit(X, Y)
    bad = X.iloc[:4].copy()
    bad.iloc[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"^X_other contains NaN"):
        model.predict(X, bad)
    with pytest.raises(ValueError, match=r"^X_other has 2 columns"):
        model.predict(X, X.iloc[:, :2])
    with pytest.raises(ValueError, match=r"^X_other has duplicate region labels"):
        model.predict(X, pd.concat([X.iloc[:2], X.iloc[:1]]))
    with pytest.raises(ValueError, match=r"^X contains NaN"):
        model.predict(bad, X)


# -- scikit-learn scorers and cross_val_predict ----------------------------------------
def _manual_scores(model, X, Y, test):
    Xte = X.iloc[test]
    t = upper_triangle(Y.loc[Xte.index, Xte.index].to_numpy())
    p = upper_triangle(model.predict(Xte).to_numpy())
    return {
        "r2": 1 - np.sum((t - p) ** 2) / np.sum((t - t.mean()) ** 2),
        "neg_mean_squared_error": -np.mean((t - p) ** 2),
        "neg_mean_absolute_error": -np.mean(np.abs(t - p)),
        "pearson_r": np.corrcoef(t, p)[0, 1],
    }


@pytest.mark.parametrize(
    "name", ["r2", "neg_mean_squared_error", "neg_mean_absolute_error", "pearson_r"]
)
def test_connectome_scorers_for_sklearn_names(data, name):
    X, Y = data
    cv = KFold(3, shuffle=True, random_state=0)
    model = BilinearRegressor()
    got = cross_val_score(model, X, Y, cv=cv, scoring=get_scorer(name))
    expected = []
    for train, test in cv.split(X):
        fitted = BilinearRegressor().fit(X.iloc[train], Y.iloc[train])
        expected.append(_manual_scores(fitted, X, Y, test)[name])
    np.testing.assert_allclose(got, expected, rtol=1e-10)


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


def test_sklearn_scorer_names_without_equivalent_are_refused():
    with pytest.raises(ValueError, match="row by row"):
        get_scorer("explained_variance")


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


# -- pipelines ---------------------------------------------------------------------
def _registered_models():
    """One small instance of every registered estimator that predicts pairs."""
    import importlib

    from connpredict.models._registry import model_specs

    out = []
    for spec in model_specs():
        if spec.task == "transform":
            continue
        cls = getattr(importlib.import_module(spec.module), spec.name)
        out.append(cls(**dict(spec.test_params[0])))
    return out


@pytest.mark.parametrize("model", _registered_models(), ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("output", ["default", "pandas"])
def test_every_model_after_a_scaler_in_a_pipeline(data, model, output):
    X, Y = data
    if is_classifier(model):
        Y = (Y > np.median(upper_triangle(Y.to_numpy()))).astype(int)
    genes = gene_columns(X)
    Xg = X[genes]
    pipe = make_pipeline(StandardScaler(), model)
    if model._requires_coords or isinstance(
        model, (ExponentialDecayRegressor, GaussianKernelRegressor)
    ):
        # models using x, y, z: the recipe that scales only the genes
        Xg = X
        pipe = make_pipeline(
            ColumnTransformer(
                [("genes", StandardScaler(), genes)], remainder="passthrough"
            ),
            model,
        )
        output = "pandas"
    if output == "pandas":
        pipe.set_output(transform="pandas")
    pred = pipe.fit(Xg, Y).predict(Xg)
    if output == "pandas":
        assert pred.index.equals(X.index) and pred.columns.equals(X.index)
    # computed on the scaler's output: equal to the model fitted on the
    # standardised table directly
    Xs = Xg.copy()
    Xs[genes] = (Xg[genes] - Xg[genes].mean()) / Xg[genes].std(ddof=0)
    ref = clone(model).fit(Xs, Y).predict(Xs)
    np.testing.assert_allclose(
        np.asarray(pred, dtype=float), ref.to_numpy(dtype=float), rtol=1e-5, atol=1e-6
    )
    score = pipe.score(Xg, Y)
    assert np.isfinite(score)


@pytest.mark.parametrize("kind", ["mlp", "smt"])
def test_set_output_pandas_for_neural_models(data, kind):
    X, Y = data
    genes = gene_columns(X)
    pipe = make_pipeline(StandardScaler(), _tiny(kind)).set_output(transform="pandas")
    pred = pipe.fit(X[genes], Y).predict(X[genes])
    assert pred.index.equals(X.index) and pred.columns.equals(X.index)
    model = pipe[-1]
    emb = model.transform(pipe[0].transform(X[genes]))
    assert isinstance(emb, pd.DataFrame) and emb.index.equals(X.index)
    names = model.get_feature_names_out()
    assert list(emb.columns) == list(names)
    assert names[0] == f"{type(model).__name__.lower()}0"


def test_column_transformer_recipe_keeps_coordinates(data):
    X, Y = data
    genes = gene_columns(X)
    for verbose_names in (True, False):
        scale_genes = ColumnTransformer(
            [("genes", StandardScaler(), genes)],
            remainder="passthrough",
            verbose_feature_names_out=verbose_names,
        )
        pipe = make_pipeline(
            scale_genes, BilinearRegressor(use_distance=True)
        ).set_output(transform="pandas")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "coordinates rescaled" warning
            pred = pipe.fit(X, Y).predict(X)
        Xs = X.copy()
        Xs[genes] = (X[genes] - X[genes].mean()) / X[genes].std(ddof=0)
        ref = BilinearRegressor(use_distance=True).fit(Xs, Y).predict(Xs)
        np.testing.assert_allclose(pred.to_numpy(), ref.to_numpy(), rtol=1e-6)
        assert pipe[-1].decay_lambda_ == pytest.approx(
            BilinearRegressor(use_distance=True).fit(Xs, Y).decay_lambda_
        )


def test_scaled_coordinates_warn(data):
    X, Y = data
    pipe = make_pipeline(StandardScaler(), ExponentialDecayRegressor()).set_output(
        transform="pandas"
    )
    with pytest.warns(UserWarning, match="rescaled them"):
        pipe.fit(X, Y)


def test_unlabelled_array_takes_the_labels_of_Y(data):
    X, Y = data
    X = X[gene_columns(X)]
    model = BilinearRegressor().fit(X.to_numpy(), Y)
    ref = BilinearRegressor().fit(X, Y)
    assert list(model.X_train_.index) == list(Y.index)
    np.testing.assert_allclose(
        model.predict(X.to_numpy()), ref.predict(X).to_numpy(), rtol=1e-12
    )
    assert model.score(X.to_numpy(), Y) == pytest.approx(ref.score(X, Y))
    # a mismatch in length stays an error
    with pytest.raises(ValueError, match="no region labels"):
        BilinearRegressor().fit(X.to_numpy()[:10], Y)


# -- progress display ----------------------------------------------------------------
def test_verbose_shows_one_bar_across_ensemble_members(data, capsys):
    X, Y = data
    _tiny("mlp", n_ensemble=2, max_iter=2, verbose=1).fit(X, Y)
    captured = capsys.readouterr()
    assert captured.out == ""  # no skorch epoch table
    assert "member=2/2" in captured.err and "/4" in captured.err


# -- the leakage guide's pipeline recipe runs as written -----------------------------
def test_leakage_guide_recipe_runs():
    import doctest
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "docs" / "user_guide" / "leakage.rst"
    if not path.exists():
        pytest.skip("docs/ is not shipped with the installed package")
    text = path.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, "leakage.rst", str(path), 0)
    assert len(test.examples) >= 10
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no rescaled-coordinates warning
        runner.run(test)
    assert runner.failures == 0


@pytest.mark.parametrize("pairs", ["test-test", "test-train", "test-all"])
def test_scorers_on_a_pipeline_with_array_output(data, pairs):
    # a scaler's unlabelled output is scored like the labelled (pandas) one
    X, Y = data
    X = X[gene_columns(X)]
    scorer = get_scorer("pearson_r", pairs=pairs)
    cv = KFold(3, shuffle=True, random_state=0)
    plain = make_pipeline(StandardScaler(), BilinearRegressor())
    labelled = make_pipeline(StandardScaler(), BilinearRegressor()).set_output(
        transform="pandas"
    )
    a = cross_val_score(plain, X, Y, cv=cv, scoring=scorer, error_score="raise")
    b = cross_val_score(labelled, X, Y, cv=cv, scoring=scorer, error_score="raise")
    np.testing.assert_allclose(a, b, rtol=1e-10)
    assert np.all(np.isfinite(a))

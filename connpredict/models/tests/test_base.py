"""The data contract of the base class: predict errors, unlabelled arrays, pipelines."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from connpredict.datasets import make_synthetic_connectome
from connpredict.models import (
    BilinearRegressor,
    ExponentialDecayRegressor,
    GaussianKernelRegressor,
)
from connpredict.utils import gene_columns, upper_triangle

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def data():
    ds = make_synthetic_connectome(n_regions=30, n_genes=8, random_state=0)
    return ds.X, ds.Y


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


# -- the leakage guide's pipeline recipe runs as written -----------------------------
def test_leakage_guide_recipe_runs():
    import doctest
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "docs" / "user_guide" / "leakage.rst"
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

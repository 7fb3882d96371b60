"""Connectome scorers under scikit-learn's names, and on pipelines."""

import numpy as np
import pytest
from sklearn.model_selection import (
    KFold,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from connpredict.datasets import make_synthetic_connectome
from connpredict.metrics import get_scorer
from connpredict.models import (
    BilinearRegressor,
)
from connpredict.utils import gene_columns, upper_triangle


@pytest.fixture(scope="module")
def data():
    ds = make_synthetic_connectome(n_regions=30, n_genes=8, random_state=0)
    return ds.X, ds.Y


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


def test_sklearn_scorer_names_without_equivalent_are_refused():
    with pytest.raises(ValueError, match="row by row"):
        get_scorer("explained_variance")


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

"""Adding a metric is one entry of the metric vocabulary (metrics/_names.py).

The test registers a new metric over all pairs in that one place and checks
that it is reachable everywhere a metric should be: ``evaluate``'s table,
``get_scorer`` / ``get_scorer_names`` (a loss, so as ``neg_<name>``), the
labels and formats, and the results of ``connpredict run``.
"""

import numpy as np
import pytest

from connpredict.datasets import make_synthetic_connectome
from connpredict.metrics import (
    MetricSpec,
    _names,
    evaluate,
    format_value,
    get_scorer,
    get_scorer_names,
    metric_label,
    metric_names,
)
from connpredict.models import BilinearRegressor
from connpredict.utils import upper_triangle


def _max_abs_error(t, p):
    return float(np.max(np.abs(t - p)))


@pytest.fixture
def new_metric(monkeypatch):
    spec = MetricSpec(
        "max_abs_error", "basic", False, "max |error|", ".2f", _max_abs_error
    )
    monkeypatch.setattr(_names, "METRICS", (*_names.METRICS, spec))
    return spec


@pytest.fixture(scope="module")
def data():
    ds = make_synthetic_connectome(n_regions=24, n_genes=6, random_state=0)
    return ds.X, ds.Y


def test_a_new_metric_is_reachable_everywhere(new_metric, data):
    X, Y = data
    Y_pred = Y * 0.5 + 0.1
    t = upper_triangle(Y.to_numpy())
    p = upper_triangle(Y_pred.to_numpy())
    expected = np.max(np.abs(t - p))  # independent of the formula's code

    # evaluate's table, after the metrics declared before it
    scores = evaluate(Y, Y_pred)
    assert scores["max_abs_error"] == pytest.approx(expected, rel=1e-12)
    assert list(scores.index[:6]) == [*metric_names("basic")]
    assert evaluate(Y, Y_pred, metrics=["max_abs_error"]).tolist() == [
        pytest.approx(expected, rel=1e-12)
    ]
    # the vocabulary's views
    assert "max_abs_error" in metric_names("basic")
    assert metric_label("max_abs_error") == "max |error|"
    assert format_value(expected, "max_abs_error") == f"{expected:.2f}"
    # a loss: scored negated under neg_<name>
    assert "neg_max_abs_error" in get_scorer_names()
    model = BilinearRegressor().fit(X, Y)
    test = X.index[:10]
    got = get_scorer("neg_max_abs_error")(model, X.loc[test], Y.loc[test])
    tt = upper_triangle(Y.loc[test, test].to_numpy())
    pp = upper_triangle(model.predict(X.loc[test]).to_numpy())
    assert got == pytest.approx(-np.max(np.abs(tt - pp)), rel=1e-12)
    with pytest.raises(ValueError, match="Losses are negated"):
        get_scorer("max_abs_error")


def test_a_new_metric_reaches_the_results_of_run(new_metric):
    from connpredict.experiment import run_experiment

    result = run_experiment(
        "synthetic", ["decay"], cv=["random"], n_splits=3, null="none"
    )
    rows = result.results[result.results["metric"] == "max_abs_error"]
    assert len(rows) == 3
    # each fold's value: the largest error among that fold's held-out pairs
    pred = result.predictions
    expected = (pred["y_true"] - pred["y_pred"]).abs().groupby(pred["fold"]).max()
    got = rows.set_index("fold")["value"]
    np.testing.assert_allclose(got.sort_index(), expected.sort_index(), rtol=1e-12)


def test_without_registration_the_metric_is_unknown():
    assert "neg_max_abs_error" not in get_scorer_names()
    with pytest.raises(ValueError, match="Unknown metric"):
        evaluate(np.eye(3), np.eye(3), metrics=["max_abs_error"])

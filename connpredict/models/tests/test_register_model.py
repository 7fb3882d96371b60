"""Adding a model is one entry of the model registry (models/_registry.py).

The test registers a new estimator in that one place and checks that it is
reachable everywhere a model should be: ``connpredict.models`` (its
``__all__`` and attributes), the command-line model names
(``connpredict run --models``, its help) and the main job's results.
"""

import numpy as np
import pytest

from connpredict.models import _registry
from connpredict.models._base import BaseConnectomeRegressor
from connpredict.models._registry import ModelSpec


class MeanConnectivityRegressor(BaseConnectomeRegressor):
    """Predicts the mean training connectivity for every pair (a toy model)."""

    def __init__(self, shift=0.0):
        self.shift = shift

    def _fit(self, X, Y_block):
        values = np.asarray(Y_block, dtype=float)
        off = ~np.eye(len(values), dtype=bool)
        self.mean_ = float(np.nanmean(values[off])) + self.shift
        return self

    def _predict_block(self, X_rows, X_cols):
        return np.full((len(X_rows), len(X_cols)), self.mean_)


@pytest.fixture
def new_model(monkeypatch):
    spec = ModelSpec(
        "MeanConnectivityRegressor",
        __name__,  # the module defining the class: this test module
        "rules",
        "mean",
        params={"shift": 0.0},
    )
    monkeypatch.setattr(_registry, "MODELS", (*_registry.MODELS, spec))
    yield spec
    import connpredict.models

    vars(connpredict.models).pop("MeanConnectivityRegressor", None)


def test_a_new_model_is_reachable_everywhere(new_model, tmp_path, capsys):
    import connpredict.models
    from connpredict.cli import build_parser, main
    from connpredict.experiment import run_experiment

    assert "MeanConnectivityRegressor" in connpredict.models.__all__
    assert connpredict.models.MeanConnectivityRegressor is MeanConnectivityRegressor
    assert _registry.cli_models()["mean"] is new_model
    # the command line's model names (--models and its help)
    run_help = _subparsers(build_parser())["run"].format_help()
    assert "decay, gaussian, cge, bilinear, pls, mlp, smt, mean" in " ".join(
        run_help.split()
    )
    # the main job, from Python and from the command line
    result = run_experiment("synthetic", ["mean"], cv=["random"], n_splits=3,
                            null="none")  # fmt: skip
    pred = result.predictions
    assert set(pred["model"]) == {"mean"}
    # each fold predicts the mean of its training pairs (the diagonal left out)
    assert pred.groupby("fold")["y_pred"].nunique().eq(1).all()
    out = tmp_path / "out"
    argv = ["run", "--models", "mean", "--cv", "random", "--n-splits", "3"]
    argv += ["--null", "none", "--silent", "--no-report", "--output", str(out)]
    assert main(argv) == 0
    assert "mean" in (out / "results.csv").read_text(encoding="utf-8")


def _subparsers(parser):
    """The subcommand parsers of the command line, by name."""
    for action in parser._actions:
        if isinstance(getattr(action, "choices", None), dict):
            return action.choices
    raise AssertionError("no subcommands")


def test_without_registration_the_model_is_unknown():
    import connpredict.models
    from connpredict.experiment import run_experiment

    assert "MeanConnectivityRegressor" not in connpredict.models.__all__
    assert "mean" not in _registry.cli_models()
    with pytest.raises(ValueError, match="unknown model 'mean'"):
        run_experiment("synthetic", ["mean"], cv=["random"], n_splits=3, null="none")

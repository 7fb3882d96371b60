"""The progress bar of connpredict run."""

import io

import pytest

from connpredict.utils import _progress
from connpredict.utils._progress import Progress


def test_eta_uses_each_keys_own_mean(monkeypatch):
    clock = iter([0.0, 1.0, 3.0, 13.0])  # start, then the end of each step
    monkeypatch.setattr(_progress.time, "perf_counter", lambda: next(clock))
    out = io.StringIO()
    bar = Progress(["fast", "fast", "slow", "slow", "fast", "new"], stream=out)
    bar.advance("a")  # fast: 1 s
    bar.advance("b")  # fast: 2 s
    bar.advance("c")  # slow: 10 s
    # left: slow (10) + fast (mean 1.5) + new (mean of all finished, 13 / 3)
    assert bar.eta() == pytest.approx(10 + 1.5 + 13 / 3)
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("[3/6]  50%") and lines[-1].endswith("c")
    assert "left ~0:16" in lines[-1]


def test_disabled_bar_writes_nothing():
    out = io.StringIO()
    bar = Progress(["a"], enabled=False, stream=out)
    bar.advance("x")
    bar.close()
    assert out.getvalue() == ""


def test_quick_leaves_out_the_neural_models_unless_named():
    from connpredict.experiment._run import _model_table

    assert "mlp" not in _model_table(None, quick=True)
    assert "smt" not in _model_table(None, quick=True)
    assert {"mlp", "smt"} <= set(_model_table(None, quick=False))
    assert list(_model_table(["mlp"], quick=True)) == ["mlp"]

"""Tests of plot_splits."""

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.model_selection import ShuffleSplit  # noqa: E402

from connpredict.model_selection import SpatialSplit, plot_splits  # noqa: E402


@pytest.fixture
def X():
    rng = np.random.RandomState(0)
    coords = rng.uniform(-60, 60, size=(24, 3))
    return pd.DataFrame(np.c_[rng.randn(24), coords], columns=["g", "x", "y", "z"])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _points(ax):
    """Label -> (n, 2) offsets of each scatter collection of an Axes."""
    return {c.get_label(): np.asarray(c.get_offsets()) for c in ax.collections}


def test_plot_splits_three_projections(X):
    cv = SpatialSplit(3, method="kmeans", random_state=0)
    fig = plot_splits(X, cv)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3
    folds = [test for _, test in cv.split(X)]
    coords = X[["x", "y", "z"]].to_numpy()
    for ax, (h, v) in zip(fig.axes, [(1, 2), (0, 2), (0, 1)], strict=True):
        pts = _points(ax)
        assert len(pts) == 3
        for f, test in enumerate(folds):
            got = pts[f"fold {f} ({len(test)})"]
            np.testing.assert_allclose(got, coords[test][:, [h, v]])


def test_plot_splits_untested_regions_are_grey(X):
    cv = ShuffleSplit(n_splits=1, test_size=6, random_state=0)
    fig = plot_splits(X, cv)
    pts = _points(fig.axes[0])
    assert len(pts["never tested (18)"]) == 18
    assert len(pts["fold 0 (6)"]) == 6


def test_plot_splits_on_given_axes(X):
    fig, axes = plt.subplots(1, 3)
    out = plot_splits(X, SpatialSplit(2, random_state=0), ax=axes)
    assert out is fig
    assert all(len(ax.collections) == 2 for ax in axes)
    with pytest.raises(ValueError, match="3 Axes"):
        plot_splits(X, SpatialSplit(2, random_state=0), ax=axes[:2])


def test_plot_splits_glass(X):
    pytest.importorskip("nilearn")
    fig = plot_splits(X, SpatialSplit(2, random_state=0), kind="glass")
    assert isinstance(fig, Figure)
    assert len(fig.axes) >= 3


def test_plot_splits_errors(X):
    with pytest.raises(ValueError, match="kind must be"):
        plot_splits(X, SpatialSplit(2), kind="surface")
    with pytest.raises(ValueError, match="lacks the column"):
        plot_splits(X[["g"]], ShuffleSplit(1, random_state=0))

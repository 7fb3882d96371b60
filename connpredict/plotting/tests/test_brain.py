"""The glass-brain outlines drawn as one collection per view."""

import importlib
import io

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
pytest.importorskip("nilearn")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402

from connpredict.plotting import plot_glass_markers  # noqa: E402
from connpredict.plotting._brain import (  # noqa: E402
    NILEARN_PRIVATE_NAMES,
    _fast_outlines,
)

COORDS = np.array([[-40.0, -20, 30], [40, -20, 30], [0, 40, 0], [10, -70, 20]])


def test_the_private_nilearn_names_exist():
    for module, names in NILEARN_PRIVATE_NAMES.items():
        mod = importlib.import_module(module)
        for name in names:
            assert callable(getattr(mod, name, None)), f"{module}.{name} is gone"


def _draw(fast):
    fig = plt.figure(figsize=(8, 3))
    if fast:
        plot_glass_markers(
            fig,
            [0.1, -0.3, 0.5, 0.2],
            COORDS,
            cmap="RdBu_r",
            vmin=-0.5,
            vmax=0.5,
            colorbar_label="r",
        )
    else:
        from nilearn.plotting import plot_markers

        plot_markers(
            [0.1, -0.3, 0.5, 0.2],
            COORDS,
            node_size=30,
            node_cmap="RdBu_r",
            node_vmin=-0.5,
            node_vmax=0.5,
            display_mode="ortho",
            figure=fig,
            colorbar=True,
        )
    return fig


def _pixels(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    plt.close(fig)
    buf.seek(0)
    return plt.imread(buf)[..., :3]


def test_one_outline_collection_per_view_with_nilearns_paths():
    nilearn_fig, fast_fig = _draw(False), _draw(True)
    brain_axes = [ax for ax in nilearn_fig.axes if ax.patches]
    assert len(brain_axes) == 3  # nilearn's own outlines: patches in x, y, z views
    n_patches = [len(ax.patches) for ax in brain_axes]
    fast_axes = [
        ax
        for ax in fast_fig.axes
        if any(
            isinstance(c, PathCollection) and len(c.get_paths()) > 100
            for c in ax.collections
        )
    ]
    assert len(fast_axes) == 3
    for ax, n in zip(fast_axes, n_patches):
        assert not any(isinstance(p, PathPatch) for p in ax.patches)
        outline = max(ax.collections, key=lambda c: len(c.get_paths()))
        assert len(outline.get_paths()) == n  # every nilearn patch, as one path
    # the same limits (nilearn's object bounds) and the same picture
    for a, b in zip(brain_axes, fast_axes):
        np.testing.assert_allclose(a.get_xlim(), b.get_xlim())
        np.testing.assert_allclose(a.get_ylim(), b.get_ylim())
    old, new = _pixels(nilearn_fig), _pixels(fast_fig)
    assert old.shape == new.shape
    differ = np.abs(old - new).max(axis=-1) > 0.15
    assert differ.mean() < 1e-3


def test_the_original_nilearn_function_is_restored():
    module = importlib.import_module("nilearn.plotting.displays._axes")
    original = module.plot_brain_schematics
    with _fast_outlines():
        assert module.plot_brain_schematics is not original
    assert module.plot_brain_schematics is original
    with pytest.raises(RuntimeError), _fast_outlines():
        raise RuntimeError("a failed drawing")
    assert module.plot_brain_schematics is original


def test_without_the_private_names_nilearn_draws_its_own(monkeypatch):
    import connpredict.plotting._brain as brain

    monkeypatch.setitem(
        brain.NILEARN_PRIVATE_NAMES,
        "nilearn.plotting.glass_brain",
        ("_a_name_no_nilearn_has",),
    )
    fig = _draw(True)
    assert sum(len(ax.patches) for ax in fig.axes) > 100  # nilearn's patches
    plt.close(fig)

"""The drawing primitives of connpredict.plotting."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
pytest.importorskip("nilearn")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from connpredict.plotting import (  # noqa: E402
    figure_to_data_uri,
    fold_colors,
    network_sequence,
    plot_connectivity_matrices,
    plot_glass_edges,
    plot_glass_folds,
    plot_null_distribution,
    strongest_edges,
    symmetric_limit,
)


def test_strongest_edges_keeps_the_largest_absolute_values():
    i, j = np.array([0, 0, 1, 2]), np.array([1, 2, 2, 3])
    adj, kept = strongest_edges(i, j, [0.1, -0.9, 0.5, 0.2], 4, 2)
    assert kept == 2
    expected = np.zeros((4, 4))
    expected[0, 2] = expected[2, 0] = -0.9
    expected[1, 2] = expected[2, 1] = 0.5
    np.testing.assert_array_equal(adj, expected)
    # more edges asked than pairs: all kept; NaN ranks last
    adj, kept = strongest_edges(i[:2], j[:2], [np.nan, 0.3], 4, 10)
    assert kept == 2 and adj[0, 2] == 0.3 and np.isnan(adj[0, 1])


def test_symmetric_limit_is_the_largest_finite_absolute_value():
    values = np.array([0.2, -0.7, np.inf, np.nan, 0.1])
    assert symmetric_limit(values) == np.max(np.abs(values[np.isfinite(values)]))
    assert symmetric_limit([]) == 1.0 and symmetric_limit([0.0, 0.0]) == 1.0


def test_fold_colors_are_distinct_up_to_twenty_folds():
    for n in (3, 10, 20):
        colors = fold_colors(n)
        assert len(colors) == n and len(set(colors)) == n
    assert fold_colors(21)[20] == fold_colors(21)[0]  # tab20 cycles


def test_glass_figures_draw_what_they_are_given():
    coords = np.array([[-40.0, -20, 30], [40, -20, 30], [0, 40, 0], [0, -60, 10]])
    labels = np.array([0, 1, 1, -1])
    fig = plot_glass_folds(
        coords, labels, fold_colors(2), title="t", fold_names=["Vis", "Default"]
    )
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Vis (1)", "Default (2)", "never tested"]
    plt.close(fig)

    adj, _ = strongest_edges(np.array([0, 1]), np.array([1, 2]), [0.8, -0.4], 4, 2)
    fig = plt.figure(figsize=(8, 3))
    plot_glass_edges(fig, adj, coords, vmax=0.8, title="edges", units="FC")
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert labels == ["FC"]
    uri = figure_to_data_uri(fig)
    assert uri.startswith("data:image/png;base64,") and not plt.fignum_exists(fig)


def test_connectivity_matrices_follow_the_network_order():
    labels = list("abcd")
    Y = pd.DataFrame(np.arange(16.0).reshape(4, 4), labels, labels)
    nets = pd.Series(["Default", "Vis", "Other", "Vis"], index=labels)
    assert network_sequence(nets) == ["Vis", "Default", "Other"]
    fig = plot_connectivity_matrices({"Y": Y}, networks=nets)
    shown = fig.axes[0].images[0].get_array()
    order = ["b", "d", "a", "c"]  # Vis (b, d), Default (a), Other (c)
    expected = Y.loc[order, order].to_numpy().copy()
    np.fill_diagonal(expected, np.nan)
    np.testing.assert_array_equal(shown.filled(np.nan), expected)
    plt.close(fig)


def test_null_distribution_marks_the_true_score():
    result = SimpleNamespace(
        score=0.4, null_scores=np.r_[np.linspace(0, 0.3, 20)], pvalue=1 / 21
    )
    fig = plot_null_distribution(result, bins=5)
    ax = fig.axes[0]
    counts = [patch.get_height() for patch in ax.patches]
    np.testing.assert_array_equal(counts, np.histogram(result.null_scores, 5)[0])
    assert ax.lines[0].get_xdata()[0] == 0.4
    plt.close(fig)


def test_figure_to_data_uri_draws_what_savefig_draws_as_rgb():
    import base64
    import io

    from matplotlib.figure import Figure
    from PIL import Image

    def figure():
        fig = plt.figure(figsize=(4, 3), layout="constrained")
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 2])
        ax.set_title("a title")
        ax.set_ylabel("a long label to lay out")
        fig.colorbar(ax.imshow(np.eye(3)), ax=ax, label="bar")
        return fig

    buf = io.BytesIO()
    reference = figure()
    reference.savefig(buf, format="png", dpi=96, facecolor="white")
    plt.close(reference)
    expected = np.asarray(Image.open(buf).convert("RGB"))
    fig = figure()
    uri = figure_to_data_uri(fig)
    png = base64.b64decode(uri.removeprefix("data:image/png;base64,"))
    img = Image.open(io.BytesIO(png))
    assert img.mode == "RGB" and not plt.fignum_exists(fig)
    np.testing.assert_array_equal(np.asarray(img), expected)  # the same pixels
    # a figure made without pyplot (no Agg canvas yet) is drawn as well
    plain = Figure(figsize=(2, 1))
    plain.add_subplot().plot([0, 1])
    assert figure_to_data_uri(plain, dpi=50).startswith("data:image/png;base64,")

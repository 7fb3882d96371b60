import base64
import io
import json
import re
from html.parser import HTMLParser

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from connpredict.experiment import ExperimentResult
from connpredict.report import (
    best_model,
    build_report,
    load_results,
    network_names,
    plot_folds,
    plot_nulls,
    plot_predicted_connectome,
    summarize_results,
)

ALL_SECTIONS = (
    "metrics",
    "scores",
    "connectome",
    "brains",
    "distance",
    "networks",
    "folds",
    "nulls",
    "run",
)


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.sections, self.external = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag == "section":
            self.sections.append(attrs.get("id"))
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            if re.match(r"^(https?:)?//", value):
                self.external.append(value)


def _parse(path):
    parser = _Collector()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _decode_png(uri):
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    raw = base64.b64decode(uri[len(prefix) :], validate=True)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    return plt.imread(io.BytesIO(raw), format="png")


@pytest.fixture(scope="module")
def full_report(tmp_path_factory, make_results_folder):
    folder = tmp_path_factory.mktemp("results")
    ds = make_results_folder(folder, n_regions=30, n_splits=3)
    path = build_report(folder, dataset=ds)
    return folder, path, ds


def test_full_report_has_every_section_and_valid_pngs(full_report):
    folder, path, _ = full_report
    assert path == folder / "report.html"
    parsed = _parse(path)
    assert parsed.sections == list(ALL_SECTIONS)
    # one figure per section except the table and the run details, plus the
    # brains section's 3 figures (the connectome is drawn once, by network;
    # the folds once, in their own section)
    assert len(parsed.images) == len(ALL_SECTIONS) - 2 + 2
    for uri in parsed.images:
        img = _decode_png(uri)
        assert img.shape[0] > 150 and img.shape[1] > 300
        # not a blank image: many distinct grey levels are drawn
        grey = np.round(img[..., :3].mean(axis=-1), 2)
        assert np.unique(grey).size > 20
    assert parsed.external == []
    html = path.read_text(encoding="utf-8")
    assert "could not be drawn" not in html
    assert "<script src" not in html and "<link" not in html


def test_table_shows_mean_and_sd(full_report):
    folder, path, _ = full_report
    results = pd.read_csv(folder / "results.csv")
    html = path.read_text(encoding="utf-8")
    sel = (results["model"] == "smt") & (results["split"] == "spatial")
    vals = results[sel & (results["metric"] == "pearson_r")]["value"].to_numpy()
    expected = f'{vals.mean():.3f} <span class="sd">± {vals.std(ddof=1):.3f}</span>'
    assert expected in html


def test_optional_sections_left_out(tmp_path, make_results_folder):
    ds = make_results_folder(
        tmp_path,
        n_regions=24,
        n_splits=2,
        splits=("random",),
        predictions=False,
        nulls=False,
    )
    parsed = _parse(build_report(tmp_path, dataset=ds.regions))
    assert "connectome" not in parsed.sections
    assert "nulls" not in parsed.sections
    assert {"metrics", "scores", "folds", "run"} <= set(parsed.sections)
    assert len(parsed.images) == len(parsed.sections) - 2


def test_results_only_and_output_path(tmp_path):
    folder = tmp_path / "res"
    folder.mkdir()
    pd.DataFrame(
        {
            "model": ["a", "a", "b", "b"],
            "split": "random",
            "seed": 0,
            "fold": [0, 1, 0, 1],
            "metric": "pearson_r",
            "value": [0.1, 0.2, 0.3, 0.5],
        }
    ).to_csv(folder / "results.csv", index=False)
    out = build_report(folder, output=tmp_path / "elsewhere" / "r.html")
    assert out == tmp_path / "elsewhere" / "r.html"
    parsed = _parse(out)
    assert parsed.sections == ["metrics", "scores", "run"]
    assert not (folder / "report.html").exists()


def test_unknown_dataset_gives_a_note(tmp_path, make_results_folder):
    make_results_folder(
        tmp_path,
        n_regions=20,
        n_splits=2,
        splits=("random",),
        predictions=False,
        nulls=False,
    )
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["dataset"] = "no-such-dataset"
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    html = build_report(tmp_path).read_text(encoding="utf-8")
    assert 'id="folds"' in html
    assert "region coordinates are unavailable" in html


def test_load_results_is_deprecated_and_reads_through_the_result(tmp_path):
    pd.DataFrame(
        {
            "model": ["a"],
            "split": ["random"],
            "seed": [0],
            "fold": [0],
            "metric": ["pearson_r"],
            "value": [0.5],
        }
    ).to_csv(tmp_path / "results.csv", index=False)
    with pytest.warns(FutureWarning, match="ExperimentResult.load"):
        res = load_results(tmp_path)
    assert res.results.equals(ExperimentResult.load(tmp_path).results)
    assert res.folds is None and res.regions is None and res.config == {}
    assert res.path == tmp_path
    with pytest.warns(FutureWarning), pytest.raises(FileNotFoundError):
        load_results(tmp_path / "missing")


def test_build_report_takes_a_result_and_its_folder(tmp_path):
    from connpredict.experiment import run_experiment

    result = run_experiment(models=["decay"], cv=["random"], n_splits=3)
    folder = result.save(tmp_path / "run")
    page = build_report(result, folder).read_text(encoding="utf-8")
    # the same page as from the folder read back (the build time aside)
    (folder / "report.html").unlink()
    again = build_report(folder, output=tmp_path / "again.html").read_text("utf-8")
    stamp = r"built \d{4}-\d\d-\d\d \d\d:\d\d"
    assert re.sub(stamp, "", page) == re.sub(stamp, "", again)
    with pytest.raises(TypeError, match="needs the results folder"):
        build_report(result)
    with pytest.raises(TypeError, match="folder alone"):
        build_report(folder, folder)
    with pytest.raises(ValueError, match="errors must be"):
        build_report(result, folder, errors="ignore")


def test_build_report_can_warn_instead_of_raising(tmp_path, caplog, monkeypatch):
    import connpredict.report._html as page
    from connpredict.experiment import run_experiment

    def fail(*args):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(page, "_build_sections", fail)
    result = run_experiment(models=["decay"], cv=["random"], n_splits=3)
    folder = result.save(tmp_path / "run")
    with pytest.raises(RuntimeError, match="drawing failed"):
        build_report(result, folder)
    with caplog.at_level("WARNING", logger="connpredict"):
        assert build_report(result, folder, errors="warn") is None
    assert "could not be built: drawing failed" in caplog.text
    assert not (folder / "report.html").exists()


def test_summary_and_best_model_match_direct_computation():
    rng = np.random.RandomState(0)
    rows = []
    for model, shift in (("a", 0.1), ("b", 0.4), ("c", 0.2)):
        for split in ("random", "spatial"):
            for fold in range(4):
                rows.append(
                    {
                        "model": model,
                        "split": split,
                        "seed": 0,
                        "fold": fold,
                        "metric": "pearson_r",
                        "value": shift + rng.uniform(-0.05, 0.05),
                    }
                )
    results = pd.DataFrame(rows)
    summary = summarize_results(results)
    # spatial first, models by descending mean r on spatial
    assert summary["split"].tolist()[:3] == ["spatial"] * 3
    assert summary["model"].tolist()[:3] == ["b", "c", "a"]
    for _, row in summary.iterrows():
        vals = results[
            (results["model"] == row["model"]) & (results["split"] == row["split"])
        ]["value"].to_numpy()
        assert row["mean"] == pytest.approx(vals.mean())
        assert row["sd"] == pytest.approx(vals.std(ddof=1))
        assert row["n"] == 4
    assert best_model(results) == "b"
    results.loc[(results["model"] == "a") & (results["split"] == "random"), "value"] = 1
    assert best_model(results, split="random") == "a"
    assert best_model(results) == "b"


def test_network_names():
    results = pd.DataFrame(
        {
            "model": "m",
            "split": "s",
            "seed": 0,
            "fold": 0,
            "metric": [
                "intra_network_r",
                "intra_network_Vis_r",
                "inter_network_Vis_r",
                "intra_network_Sal_Vent_r",
            ],
            "value": 0.0,
        }
    )
    assert network_names(results) == ["Vis", "Sal_Vent"]


def test_predicted_connectome_matrices_hold_the_pairs():
    pred = pd.DataFrame(
        {
            "split": "random",
            "seed": 0,
            "model": "m",
            "region_i": ["a", "a", "b", "c"],
            "region_j": ["b", "c", "c", "d"],
            "y_true": [0.1, 0.2, 0.3, 0.4],
            "y_pred": [0.5, 0.6, 0.7, 0.8],
        }
    )
    folds = pd.DataFrame(
        {"split": "random", "seed": 0, "region": list("dcba"), "fold": [1, 0, 0, 0]}
    )
    fig = plot_predicted_connectome(pred, folds=folds)
    true = np.ma.filled(fig.axes[0].images[0].get_array(), np.nan)
    predicted = np.ma.filled(fig.axes[1].images[0].get_array(), np.nan)
    plt.close(fig)
    # order: fold 0 (c, b, a as in folds.csv), then fold 1 (d)
    order = ["c", "b", "a", "d"]
    pos = {lab: k for k, lab in enumerate(order)}
    for _, row in pred.iterrows():
        i, j = pos[row["region_i"]], pos[row["region_j"]]
        assert true[i, j] == true[j, i] == pytest.approx(row["y_true"])
        assert predicted[i, j] == predicted[j, i] == pytest.approx(row["y_pred"])
    assert np.isnan(np.diag(true)).all()
    assert np.isnan(true[pos["a"], pos["d"]])  # never predicted together


def test_plot_folds_checks_regions():
    regions = pd.DataFrame(
        {"x": [-40.0, 40], "y": [0.0, 0], "z": [0.0, 0]}, index=["a", "b"]
    )
    folds = pd.DataFrame(
        {"split": "random", "seed": 0, "region": ["a", "zz"], "fold": [0, 1]}
    )
    with pytest.raises(ValueError, match="not in the region table"):
        plot_folds(folds, regions)


def test_plot_nulls_one_panel_per_model_and_split():
    nulls = pd.DataFrame(
        {
            "model": ["a"] * 10 + ["b"] * 10 + ["b"] * 10,
            "split": ["spatial"] * 20 + ["random"] * 10,
            "score": 0.5,
            "pvalue": 0.1,
            "null_score": np.linspace(0, 0.4, 30),
        }
    )
    fig = plot_nulls(nulls)
    titles = [ax.get_title() for ax in fig.axes]
    plt.close(fig)
    assert titles == [
        "a · spatial (n = 10 nulls)",
        "b · spatial (n = 10 nulls)",
        "b · random (n = 10 nulls)",
    ]


def test_fake_models_rank_as_built(full_report, fake_models):
    # the fabricated predictions have increasing noise: smt < bilinear < decay
    folder, _, _ = full_report
    results = ExperimentResult.load(folder).results
    r = results[results["metric"] == "pearson_r"].groupby("model")["value"].mean()
    assert list(r.sort_values(ascending=False).index) == sorted(
        fake_models, key=fake_models.get
    )


def test_distance_bins_empty_in_a_split_stay_off_its_axis():
    import numpy as np
    import pandas as pd

    from connpredict.report import plot_distance_performance

    rows = []
    for split, long_r in (("spatial", np.nan), ("random", 0.2)):
        for fold in range(2):
            for metric, value in (("short_r", 0.6), ("mid_r", 0.4), ("long_r", long_r)):
                rows.append(
                    {
                        "model": "cge",
                        "split": split,
                        "seed": 0,
                        "fold": fold,
                        "metric": metric,
                        "value": value,
                    }
                )
    fig = plot_distance_performance(pd.DataFrame(rows))
    ticks = [len(ax.get_xticklabels()) for ax in fig.axes]
    assert ticks == [2, 3]  # spatial has no long-range value: no long bin


def test_spin_p_floor_is_stated_on_card_and_histogram(tmp_path):
    import numpy as np
    import pandas as pd

    from connpredict.report import build_report, plot_nulls
    from connpredict.report._figures import at_p_floor

    n = 20
    nulls = pd.DataFrame(
        {
            "model": "cge",
            "split": "spatial",
            "score": 0.9,
            "null_score": np.linspace(0.1, 0.5, n),
            "pvalue": 1 / 21,
            "scoring": "pearson_r",
        }
    )
    fig = plot_nulls(nulls)
    ax = fig.axes[0]
    assert "smallest attainable with 20 nulls" in ax.get_xlabel()
    assert ax.get_xlabel().startswith("Pearson r")  # a label, not the code name
    yticks = ax.get_yticks()
    assert np.allclose(yticks, np.round(yticks))  # counts are integers
    assert at_p_floor(1 / (n + 1), n) and not at_p_floor(2 / (n + 1), n)
    pd.DataFrame(
        {
            "model": ["cge", "cge"],
            "split": "spatial",
            "seed": 0,
            "fold": [0, 1],
            "metric": "pearson_r",
            "value": [0.8, 0.9],
        }
    ).to_csv(tmp_path / "results.csv", index=False)
    nulls.to_csv(tmp_path / "nulls.csv", index=False)
    page = build_report(tmp_path).read_text()
    assert 'data-p-floor="true" data-n-spins="20"' in page
    assert "sits on its floor 1/(n+1) = 0.0476" in page
    assert 'data-best-model="cge"' in page
    nulls.assign(pvalue=3 / 21).to_csv(tmp_path / "nulls.csv", index=False)
    page = build_report(tmp_path).read_text()
    assert 'data-p-floor="false"' in page and "sits on its floor" not in page

"""The legibility grid: every cell is the cross_val_score of its model and data."""

import json
import os
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from connpredict.datasets import make_synthetic_connectome
from connpredict.inspection import (
    legibility_grid,
    legibility_report,
    plot_legibility_grid,
)
from connpredict.metrics import get_scorer
from connpredict.model_selection import SpatialSplit
from connpredict.models import (
    BilinearRegressor,
    CGERegressor,
    ExponentialDecayRegressor,
    PLSBilinearRegressor,
    TranscriptomePCA,
)
from connpredict.nulls import spin_test

XYZ = ["x", "y", "z"]
realdata = pytest.mark.skipif(
    not os.environ.get("CONNPREDICT_DATA"), reason="needs CONNPREDICT_DATA"
)


@pytest.fixture(scope="module")
def ds():
    return make_synthetic_connectome(n_regions=40, n_genes=12, random_state=0)


@pytest.fixture(scope="module")
def grid(ds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return legibility_grid(
            ds,
            inputs=["genes", "coords", "genes+coords", "pcs+coords"],
            targets=["fc"],
            models=["decay", "cge", "bilinear", "pls"],
            cv=SpatialSplit(n_splits=3, random_state=1),
            random_state=0,
        )


def _cell(grid, inp, target, model):
    row = grid[(grid.input == inp) & (grid.target == target) & (grid.model == model)]
    assert len(row) == 1
    return row.iloc[0]


def _cv(est, X, Y, folds):
    return cross_val_score(est, X, Y, cv=folds, scoring=get_scorer("pearson_r"))


def test_cells_equal_cross_val_score(ds, grid):
    genes = list(ds.genes)
    folds = list(SpatialSplit(n_splits=3, random_state=1).split(ds.X, ds.Y))
    cases = [
        ("genes", "cge", CGERegressor(), genes),
        ("genes", "bilinear", BilinearRegressor(random_state=0), genes),
        (
            "genes+coords",
            "bilinear",
            BilinearRegressor(use_distance=True, random_state=0),
            genes + XYZ,
        ),
        (
            "genes+coords",
            "pls",
            PLSBilinearRegressor(use_distance=True, random_state=0),
            genes + XYZ,
        ),
        ("coords", "decay", ExponentialDecayRegressor(), XYZ),
        (
            "pcs+coords",
            "bilinear",
            make_pipeline(
                TranscriptomePCA(), BilinearRegressor(use_distance=True, random_state=0)
            ),
            genes + XYZ,
        ),
    ]
    for inp, model, est, cols in cases:
        scores = _cv(est, ds.X[cols], ds.Y, folds)
        row = _cell(grid, inp, "fc", model)
        assert np.allclose(row.score_mean, scores.mean()), (inp, model)
        assert np.allclose(row.score_sd, scores.std(ddof=1)), (inp, model)
        assert row.n_folds == 3 and row.n_regions == 40
    decay = _cv(ExponentialDecayRegressor(), ds.X[XYZ], ds.Y, folds).mean()
    assert np.allclose(grid.decay_score, decay)
    ok = grid.score_mean.notna()
    assert np.allclose(grid.gain_over_decay[ok], grid.score_mean[ok] - decay)
    # the decay cell on coordinates is the baseline itself
    assert _cell(grid, "genes+coords", "fc", "decay").gain_over_decay == pytest.approx(
        0.0, abs=1e-12
    )
    assert grid.spin_p.isna().all()  # null=None


def test_not_applicable_cells_are_nan_with_a_note(grid):
    row = _cell(grid, "genes", "fc", "decay")
    assert np.isnan(row.score_mean) and "uses only the coordinates" in row.note
    row = _cell(grid, "coords", "fc", "cge")
    assert np.isnan(row.score_mean) and "other than coordinates" in row.note
    assert (grid.note == "").sum() == grid.score_mean.notna().sum()
    assert list(grid.columns) == [
        "input",
        "target",
        "model",
        "score_mean",
        "score_sd",
        "n_folds",
        "n_regions",
        "spin_p",
        "decay_score",
        "gain_over_decay",
        "estimator",
        "note",
    ]


def test_warns_about_nan_cells(ds):
    with pytest.warns(UserWarning, match="1 of 2 grid cells are NaN"):
        legibility_grid(
            ds, inputs=["genes"], models=["decay", "cge"], cv=3, random_state=0
        )


def test_network_target_and_spin_p_match_direct_computations(ds):
    network = ds.networks.value_counts().index[0]
    keep = (ds.networks == network).to_numpy()
    X, Y = ds.X.loc[keep], ds.Y.loc[keep, keep]
    cv = SpatialSplit(n_splits=2, random_state=3)
    grid = legibility_grid(
        ds,
        inputs=["genes"],
        targets=[f"fc:{network}"],
        models=["cge"],
        cv=cv,
        null="spin",
        n_permutations=7,
        random_state=5,
    )
    row = grid.iloc[0]
    folds = list(SpatialSplit(n_splits=2, random_state=3).split(X, Y))
    scores = _cv(CGERegressor(), X[list(ds.genes)], Y, folds)
    assert row.n_regions == keep.sum()
    assert np.allclose(row.score_mean, scores.mean())
    direct = spin_test(
        CGERegressor(),
        X[list(ds.genes)],
        Y,
        cv=folds,
        n_permutations=7,
        regions=ds.regions,
        random_state=5,
    )
    assert row.spin_p == pytest.approx(direct.pvalue)
    assert grid.attrs["folds"][f"fc:{network}"] == [
        list(X.index[te].astype(str)) for _, te in folds
    ]


def _one_line_error(match, **kwargs):
    with pytest.raises(ValueError, match=match) as info:
        legibility_grid(**kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


@pytest.mark.filterwarnings("ignore:SpatialSplit made a test fold")
def test_bad_cells_raise_one_line_naming_the_cell(ds):
    kw = dict(dataset=ds, cv=2, random_state=0, models=["cge"])
    msg = _one_line_error(
        re.escape("grid cell (input 'genes+rna', target 'fc')"),
        inputs=["genes+rna"],
        **kw,
    )
    assert "unknown input block" in msg
    _one_line_error("combines only with 'coords'", inputs=["pcs+genes"], **kw)
    msg = _one_line_error(
        re.escape("grid cell (input 'genes', target 'fc:Nowhere')"),
        inputs=["genes"],
        targets=["fc:Nowhere"],
        **kw,
    )
    assert "unknown network" in msg
    _one_line_error("one target, its Y", inputs=["genes"], targets=["sc"], **kw)
    _one_line_error(
        "unknown target connectome", inputs=["genes"], targets=["dti"], **kw
    )
    # a network too small for the folds
    smallest = ds.networks.value_counts().index[-1]
    assert (ds.networks == smallest).sum() < 6
    _one_line_error(
        re.escape(f"target 'fc:{smallest}'") + ".*at least 3",
        dataset=ds,
        inputs=["genes"],
        targets=[f"fc:{smallest}"],
        models=["cge"],
        cv=SpatialSplit(n_splits=2, random_state=0),
    )


def test_registered_dataset_without_the_block_names_the_cell():
    msg = _one_line_error(
        re.escape("grid cell (input 'sc', target 'fc')"),
        dataset="synthetic",
        inputs=["genes", "sc"],
        models=["cge"],
        cv=2,
    )
    assert "only genes and coordinates" in msg


def test_unknown_model_lists_the_valid_ones(ds):
    with pytest.raises(ValueError, match="unknown model 'forest'; choose from decay"):
        legibility_grid(ds, models=["forest"])
    with pytest.raises(ValueError, match="unknown parameter"):
        legibility_grid(ds, models={"cge": {"depth": 3}})
    with pytest.raises(ValueError, match="null must be None or 'spin'"):
        legibility_grid(ds, null="shuffle")


def test_heatmap_and_html_page(grid, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    ax = plot_legibility_grid(grid)
    texts = {t.get_text() for t in ax.texts}
    best = (
        grid.dropna(subset=["score_mean"])
        .sort_values("score_mean")
        .groupby(["input", "target"])
        .tail(1)
    )
    for _, row in best.iterrows():
        assert f"{row.model}\n{row.score_mean:.2f}" in texts
    matplotlib.pyplot.close(ax.figure)

    page = legibility_report(grid, tmp_path / "grid.html").read_text()
    assert "http://" not in page and "https://" not in page
    assert "<script src" not in page and "<link" not in page
    data = json.loads(re.search(r'id="grid-data">(.*?)</script>', page, re.S).group(1))
    assert data["inputs"] == ["genes", "coords", "genes+coords", "pcs+coords"]
    assert len(data["rows"]) == len(grid)
    by_key = {(r["input"], r["model"]): r for r in data["rows"]}
    for _, row in grid.iterrows():
        got = by_key[row.input, row.model]["score_mean"]
        if np.isnan(row.score_mean):
            assert got is None
        else:
            assert got == pytest.approx(row.score_mean)
    assert by_key["genes+coords", "decay"]["needs"] == "coords"
    assert by_key["genes+coords", "bilinear"]["needs"] == "genes+coords"


@realdata
@pytest.mark.realdata
def test_cell_types_on_schaefer100_names_the_cell():
    msg = _one_line_error(
        re.escape("grid cell (input 'genes+cell_types', target 'fc')"),
        dataset="hcp-schaefer100",
        inputs=["genes", "genes+cell_types"],
        models=["cge"],
    )
    assert "Schaefer-400" in msg


@realdata
@pytest.mark.realdata
def test_real_sc_input_binary_and_network_targets():
    from connpredict.datasets import load_dataset

    cv = SpatialSplit(n_splits=3, random_state=0)
    with pytest.warns(UserWarning, match="holds the target connectome"):
        grid = legibility_grid(
            "hcp-schaefer100",
            inputs=["sc", "genes"],
            targets=["fc:binary", "fc:Default", "sc"],
            models=["cge"],
            cv=cv,
            random_state=0,
        )
    fc = load_dataset("hcp-schaefer100", features=("sc", "coords"), binarize=True)
    sc_cols = [c for c in fc.X.columns if c.startswith("sc_")]
    folds = list(cv.split(fc.X, fc.Y))
    scores = _cv(CGERegressor(), fc.X[sc_cols], fc.Y, folds)
    assert np.allclose(_cell(grid, "sc", "fc:binary", "cge").score_mean, scores.mean())

    full = load_dataset("hcp-schaefer100", features=("genes", "coords"))
    keep = (full.networks == "Default").to_numpy()
    X, Y = full.X.loc[keep], full.Y.loc[keep, keep]
    folds = list(cv.split(X, Y))
    scores = _cv(CGERegressor(), X[list(full.genes)], Y, folds)
    row = _cell(grid, "genes", "fc:Default", "cge")
    assert np.allclose(row.score_mean, scores.mean())
    assert row.n_regions == keep.sum() == 24

    circular = _cell(grid, "sc", "sc", "cge")
    assert np.isnan(circular.score_mean) and "target connectome" in circular.note
    assert pd.notna(_cell(grid, "genes", "sc", "cge").score_mean)


def _write_config(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_cli_grid_writes_the_folder_and_refuses_to_overwrite(tmp_path, capsys):
    pytest.importorskip("yaml")
    from connpredict.cli import main

    config = _write_config(
        tmp_path / "grid.yaml",
        "dataset: synthetic\n"
        "inputs: [genes, coords, genes+coords]\n"
        "targets: [fc, 'fc:Cont']\n"
        "models: [decay, cge]\n"
        "n_splits: 3\n"
        "null: none\n"
        "seed: 2\n",
    )
    out = tmp_path / "out"
    assert main(["grid", "--config", config, "--output", str(out), "--silent"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json",
        "grid.csv",
        "grid.html",
        "heatmap.png",
    ]
    written = pd.read_csv(out / "grid.csv", keep_default_na=False, na_values=[""])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        direct = legibility_grid(
            "synthetic",
            inputs=["genes", "coords", "genes+coords"],
            targets=["fc", "fc:Cont"],
            models=["decay", "cge"],
            cv=SpatialSplit(n_splits=3, random_state=2),
            random_state=2,
        )
    assert np.allclose(written.score_mean, direct.score_mean, equal_nan=True)
    config_json = json.loads((out / "config.json").read_text())
    assert config_json["random_state"] == 2 and config_json["folds"].keys() == {
        "fc",
        "fc:Cont",
    }
    assert "best model per cell" in capsys.readouterr().out

    # an existing folder is kept without --overwrite
    assert main(["grid", "--config", config, "--output", str(out), "--silent"]) == 2
    assert "exists and is not empty" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text, message",
    [
        ("dataset: synthetic\nmodels: [forest]\n", "unknown model 'forest'"),
        ("dataset: synthetic\ninputs: [sc]\n", "grid cell (input 'sc', target 'fc')"),
        ("dataset: synthetic\ncolour: red\n", "unknown option(s) colour"),
        ("inputs: [genes]\n", "must name a registered dataset"),
    ],
)
def test_cli_grid_bad_config_is_one_line(tmp_path, capsys, text, message):
    pytest.importorskip("yaml")
    from connpredict.cli import main

    config = _write_config(tmp_path / "grid.yaml", text)
    out = tmp_path / "out"
    assert main(["grid", "--config", config, "--output", str(out), "--silent"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    assert not out.exists()


def test_user_estimator_and_missing_block(ds):
    from sklearn.utils import Bunch

    cv = SpatialSplit(n_splits=3, random_state=4)
    grid = legibility_grid(
        ds,
        inputs=["pcs"],
        models={"mine": CGERegressor(calibrate=False)},
        cv=cv,
        random_state=0,
    )
    row = grid.iloc[0]
    assert "TranscriptomePCA" in row.estimator and "calibrate=False" in row.estimator
    folds = list(cv.split(ds.X, ds.Y))
    expected = _cv(
        make_pipeline(TranscriptomePCA(), CGERegressor(calibrate=False)),
        ds.X[list(ds.genes)],
        ds.Y,
        folds,
    )
    assert np.allclose(row.score_mean, expected.mean())

    no_coords = Bunch(X=ds.X[list(ds.genes)], Y=ds.Y, genes=list(ds.genes))
    _one_line_error(
        re.escape("grid cell (input 'genes+coords', target 'fc')")
        + ".*no 'coords' columns",
        dataset=no_coords,
        inputs=["genes+coords"],
        models=["cge"],
        cv=2,
    )


def test_user_guide_grid_yaml_is_a_valid_config(tmp_path):
    pytest.importorskip("yaml")
    from pathlib import Path

    from connpredict.cli import read_grid_config
    from connpredict.models._registry import cli_models

    page = Path(__file__).resolve().parents[3] / "docs/user_guide/legibility.rst"
    if not page.exists():
        pytest.skip("docs/ is not next to this checkout")
    match = re.search(
        r"^\.\. code-block:: yaml\n   :caption: grid.yaml\n\n((?:   .*\n|\n)+)",
        page.read_text(encoding="utf-8"),
        flags=re.M,
    )
    config = tmp_path / "grid.yaml"
    config.write_text(re.sub(r"(?m)^   ", "", match.group(1)), encoding="utf-8")
    options = read_grid_config(config)
    assert set(options["models"]) <= set(cli_models())
    assert options["null"] == "spin" and options["dataset"] == "hcp-schaefer100"


def test_network_split_folds_are_the_dataset_networks():
    """A NetworkSplit gets the dataset's networks as groups: one fold each."""
    from connpredict.datasets import load_dataset
    from connpredict.model_selection import NetworkSplit

    ds = load_dataset("synthetic")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        grid = legibility_grid(
            "synthetic", inputs=["coords"], models=["decay"], cv=NetworkSplit()
        )
    expected = [
        sorted(ds.X.index[test])
        for _, test in NetworkSplit().split(ds.X, groups=ds.networks)
    ]
    assert grid["n_folds"].tolist() == [ds.networks.nunique()]
    assert [sorted(fold) for fold in grid.attrs["folds"]["fc"]] == expected

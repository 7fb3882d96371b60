"""The command line does what Python does (issue 20, section 2)."""

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from connpredict.cli import main
from connpredict.datasets import (
    load_dataset,
    make_dataset,
    make_synthetic_connectome,
)
from connpredict.experiment import run_experiment

RUN = ["run", "--silent", "--no-report"]


@pytest.fixture
def user_files(tmp_path):
    """Expression (with one region without samples), regions and connectome."""
    ds = make_synthetic_connectome(n_regions=24, n_genes=5, random_state=0)
    genes = ds.X.drop(columns=["x", "y", "z"])
    genes.iloc[5] = np.nan  # a parcel without tissue samples
    paths = {
        "expression": tmp_path / "expr.csv",
        "regions": tmp_path / "regions.csv",
        "connectome": tmp_path / "conn.csv",
    }
    genes.to_csv(paths["expression"])
    ds.regions.to_csv(paths["regions"])
    ds.Y.to_csv(paths["connectome"])
    return ds, genes, paths


def _files(paths, connectome=None):
    return [
        "--expression",
        str(paths["expression"]),
        "--connectome",
        str(connectome or paths["connectome"]),
        "--regions",
        str(paths["regions"]),
    ]


def _stderr_lines(capsys):
    return [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]


def test_python_dash_m_connpredict_runs_the_command():
    out = subprocess.run(
        [sys.executable, "-m", "connpredict", "models"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "pls-schaefer200-shared" in out.stdout


def test_quick_config_records_the_permutations_run(tmp_path):
    out = tmp_path / "q"
    argv = [*RUN, "--quick", "--models", "bilinear", "--cv", "random"]
    assert main([*argv, "--null", "bilinear", "--output", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    nulls = pd.read_csv(out / "nulls.csv")
    assert config["n_permutations"] == len(nulls) == 20
    # every parameter of the model as fitted is recorded, quick settings included
    assert config["estimator_params"]["bilinear"]["random_state"] == 0
    # and the file still re-runs the job
    again = tmp_path / "again"
    rerun = [*RUN, "--config", str(out / "config.json"), "--output", str(again)]
    assert main(rerun) == 0
    assert (out / "nulls.csv").read_bytes() == (again / "nulls.csv").read_bytes()


def test_missing_policies_match_make_dataset(user_files, tmp_path, capsys):
    ds, genes, paths = user_files
    common = ["--models", "decay,bilinear", "--cv", "random", "--n-splits", "3"]
    common += ["--null", "none"]
    for policy in ("drop", "nearest", "mirror"):
        out = tmp_path / policy
        argv = [*RUN, *common, *_files(paths), "--missing", policy]
        assert main([*argv, "--output", str(out)]) == 0
        got = pd.read_csv(out / "results.csv")
        with pytest.warns(UserWarning):
            data = make_dataset(genes, ds.Y, ds.regions, missing=policy)
        want = run_experiment(data, ["decay", "bilinear"], cv=["random"], n_splits=3)
        pd.testing.assert_frame_equal(got, want.results, atol=1e-10)
        folds = pd.read_csv(out / "folds.csv")
        assert folds["region"].nunique() == (23 if policy == "drop" else 24)
        assert json.loads((out / "config.json").read_text())["missing"] == policy
        err = _stderr_lines(capsys)
        # one line per warning, never a Python source line or file path
        assert err and all(ln.startswith("connpredict: warning: ") for ln in err)
        assert not any(".py:" in ln or "warnings.warn" in ln for ln in err)
        assert "--missing mirror" in err[0] or "<-" in err[0]


def test_fisher_z_reduction_of_a_subject_stack(user_files, tmp_path):
    ds, _, paths = user_files
    rng = np.random.default_rng(1)
    n = len(ds.Y)
    stack = []
    for _ in range(3):
        A = rng.uniform(-0.9, 0.9, size=(n, n))
        A = (A + A.T) / 2
        np.fill_diagonal(A, 1.0)
        stack.append(A)
    stack = np.stack(stack)
    np.save(tmp_path / "stack.npy", stack)
    # the expected group connectome, written out by hand as a labelled table
    off = ~np.eye(n, dtype=bool)
    Z = np.ones((n, n))
    Z[off] = np.tanh(np.mean(np.arctanh(stack[:, off]), axis=0))
    pd.DataFrame(Z, ds.Y.index, ds.Y.columns).to_csv(tmp_path / "z.csv")
    common = [*RUN, "--models", "decay", "--cv", "random", "--n-splits", "3"]
    a, b = tmp_path / "a", tmp_path / "b"
    stack_files = _files(paths, tmp_path / "stack.npy")
    argv = [*common, *stack_files, "--reduction", "fisher_z"]
    assert main([*argv, "--output", str(a)]) == 0
    assert main([*common, *_files(paths, tmp_path / "z.csv"), "--output", str(b)]) == 0
    ra, rb = (pd.read_csv(p / "results.csv") for p in (a, b))
    pd.testing.assert_frame_equal(ra, rb, atol=1e-10)
    # the mean reduction gives another target
    c = tmp_path / "c"
    assert main([*common, *stack_files, "--reduction", "mean", "--output", str(c)]) == 0
    assert not np.allclose(pd.read_csv(c / "results.csv")["value"], ra["value"])


def test_nilearn_vector_stack_npy(user_files, tmp_path):
    ds, _, paths = user_files
    n = len(ds.Y)
    rows, cols = np.tril_indices(n, k=-1)  # nilearn's order, no diagonal
    vectors = np.stack([ds.Y.to_numpy()[rows, cols]] * 2)
    np.save(tmp_path / "vec.npy", vectors)
    common = [*RUN, "--models", "decay", "--cv", "random", "--n-splits", "3"]
    a, b = tmp_path / "a", tmp_path / "b"
    vec_files = _files(paths, tmp_path / "vec.npy")
    assert main([*common, *vec_files, "--output", str(a)]) == 0
    assert main([*common, *_files(paths), "--output", str(b)]) == 0
    ra, rb = (pd.read_csv(p / "results.csv") for p in (a, b))
    pd.testing.assert_frame_equal(ra, rb, atol=1e-10)


def test_help_documents_the_connectome_forms(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("nilearn", "vectorize=True", "--reduction", "--missing", "network"):
        assert words in text


def test_community_and_network_cv(tmp_path):
    out = tmp_path / "cv"
    argv = [*RUN, "--models", "decay", "--cv", "network,community", "--n-splits", "3"]
    argv += ["--null", "decay", "--n-permutations", "2"]
    assert main([*argv, "--output", str(out)]) == 0
    # the spin test runs under the first scheme, its folds from the networks
    nulls = pd.read_csv(out / "nulls.csv")
    assert len(nulls) == 2 and set(nulls["split"]) == {"network"}
    folds = pd.read_csv(out / "folds.csv")
    assert set(folds["split"]) == {"community", "network"}
    ds = load_dataset("synthetic")
    net = folds[folds["split"] == "network"].set_index("region")["fold"]
    # one fold per network: regions share a fold exactly when they share a network
    nets = ds.networks.loc[net.index].to_numpy(dtype=str)
    same_fold = net.to_numpy()[:, None] == net.to_numpy()[None, :]
    assert np.array_equal(same_fold, nets[:, None] == nets[None, :])
    assert folds[folds["split"] == "community"]["fold"].nunique() == 3


def test_network_cv_without_networks_says_how(user_files, tmp_path, capsys):
    ds, _, paths = user_files
    ds.regions.drop(columns="network").to_csv(paths["regions"])
    argv = [*RUN, *_files(paths), "--models", "decay", "--cv", "network"]
    assert main([*argv, "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--regions FILE" in err and "'network' column" in err


def test_reduction_with_a_registered_dataset_is_refused(capsys, tmp_path):
    assert main([*RUN, "--missing", "nearest", "--output", str(tmp_path / "o")]) == 2
    assert "--expression/--connectome" in capsys.readouterr().err


def test_predict_drops_or_imputes_empty_regions_and_skips_the_page(tmp_path, capsys):
    from connpredict.pretrained import model_path, predict_connectome, read_metadata

    genes = read_metadata(model_path("pls-schaefer200-shared"))["info"]["genes"]
    rng = np.random.default_rng(0)
    labels = [f"r{i}" for i in range(8)]
    expr = pd.DataFrame(rng.normal(size=(8, len(genes))), labels, genes)
    expr.iloc[2] = np.nan
    xyz = rng.uniform(-50, 50, size=(8, 3))
    regions = pd.DataFrame(xyz, labels, ["x", "y", "z"])
    expr.to_csv(tmp_path / "e.csv")
    regions.to_csv(tmp_path / "r.csv")
    argv = ["predict", "--model", "pls-schaefer200-shared"]
    argv += ["--expression", str(tmp_path / "e.csv")]
    argv += ["--regions", str(tmp_path / "r.csv")]
    assert main([*argv, "--output", str(tmp_path / "d"), "--no-html"]) == 0
    err = _stderr_lines(capsys)
    assert any("Dropped 1 region" in ln and "'r2'" in ln for ln in err)
    assert all(ln.startswith("connpredict: warning: ") for ln in err)
    assert not (tmp_path / "d" / "prediction.html").exists()
    dropped = pd.read_csv(tmp_path / "d" / "connectome.csv", index_col=0)
    assert "r2" not in dropped.index and len(dropped) == 7
    assert main([*argv, "--output", str(tmp_path / "n"), "--missing", "nearest"]) == 0
    near = pd.read_csv(tmp_path / "n" / "connectome.csv", index_col=0)
    # r2 takes the expression of its nearest region; compare with Python
    d = np.linalg.norm(xyz - xyz[2], axis=1)
    d[2] = np.inf
    filled = expr.copy()
    filled.iloc[2] = expr.iloc[int(np.argmin(d))]
    want = predict_connectome("pls-schaefer200-shared", filled.join(regions))
    np.testing.assert_allclose(near.to_numpy(), want.to_numpy(), atol=1e-6)
    assert (tmp_path / "n" / "prediction.html").exists()


def test_models_command_lists_and_shows(capsys):
    from connpredict.pretrained import list_models, model_path, read_metadata

    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for name in list_models():
        assert name in out
    assert main(["models", "bilinear-schaefer300-shared"]) == 0
    out = capsys.readouterr().out
    genes = read_metadata(model_path("bilinear-schaefer300-shared"))["info"]["genes"]
    assert out.startswith("# Model card: bilinear-schaefer300-shared")
    assert f"## Genes ({len(genes)})" in out
    assert all(g in out for g in genes)
    assert main(["models", "nope"]) == 2
    err = capsys.readouterr().err
    assert "(connpredict models)" in err and "list_models" not in err


# a Python keyword argument (name=value) or a backquoted Python expression
_PYTHON = re.compile(r"\b[a-z_]+=['\"\w]|`[^`]*\(|\.to_numpy\(|read_metadata\(")


@pytest.mark.parametrize(
    "case, fix",
    [
        ("unlabelled", "save it as .npy"),
        ("mirror_without_hemisphere", "hemisphere column to --regions FILE"),
        ("nearest_without_xyz", "--regions FILE with x, y, z"),
        ("coordinates_in_expression", "--regions FILE (x, y, z columns)"),
        ("not_correlations", "--reduction mean"),
        ("low_coverage", "--min-coverage"),
        ("label_column", "first column of --expression FILE"),
        ("spatial_without_regions", "--regions FILE with x, y, z"),
        ("decay_without_regions", "--regions FILE with x, y, z"),
    ],
)
def test_errors_give_the_command_line_fix(case, fix, user_files, tmp_path, capsys):
    ds, genes, paths = user_files
    out = ["--output", str(tmp_path / "o")]
    argv = [*RUN, *_files(paths), "--models", "decay", "--cv", "random", *out]
    if case == "unlabelled":
        ds.Y.rename(index=lambda s: f"x{s}").to_csv(paths["connectome"])
    elif case == "mirror_without_hemisphere":
        ds.regions.drop(columns="hemisphere").to_csv(paths["regions"])
        argv += ["--missing", "mirror"]
    elif case == "nearest_without_xyz":
        argv = [a for a in argv if a not in ("--regions", str(paths["regions"]))]
        argv += ["--missing", "nearest"]
    elif case == "coordinates_in_expression":
        genes.assign(x=1.0).to_csv(paths["expression"])
    elif case == "not_correlations":
        np.save(tmp_path / "s.npy", np.stack([ds.Y.to_numpy() * 5] * 2))
        argv = [*RUN, *_files(paths, tmp_path / "s.npy"), *out]
        argv += ["--reduction", "fisher_z"]
    elif case in ("spatial_without_regions", "decay_without_regions"):
        argv = [a for a in argv if a not in ("--regions", str(paths["regions"]))]
        argv += ["--cv", "spatial"] if case.startswith("spatial") else []
    elif case == "label_column":
        genes.assign(region=1.0).to_csv(paths["expression"])
    elif case == "low_coverage":
        genes.to_csv(paths["expression"])
        argv = ["predict", "--model", "pls-schaefer200-shared", *out]
        argv += ["--expression", str(paths["expression"])]
        argv += ["--regions", str(paths["regions"])]
    assert main(argv) == 2
    *warned, err = capsys.readouterr().err.strip().splitlines()
    assert all(w.startswith("connpredict: warning: ") for w in warned)
    assert err.startswith("connpredict: error: ")
    assert fix in err, err
    assert not _PYTHON.search(err), err

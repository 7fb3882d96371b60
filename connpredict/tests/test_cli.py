import json

import pandas as pd
import pytest

from connpredict.cli import main


def test_run_quick_writes_results(tmp_path, capsys):
    out = tmp_path / "res"
    code = main(
        [
            "run",
            "--quick",
            "--models",
            "decay",
            "--cv",
            "spatial,random",
            "--n-splits",
            "3",
            "--output",
            str(out),
            "--silent",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "pearson_r" in printed and "decay" in printed
    results = pd.read_csv(out / "results.csv")
    assert set(results.columns) == {"model", "split", "seed", "fold", "metric", "value"}
    r = results[results.metric == "pearson_r"]
    assert len(r) == 2 * 3  # two splits x three folds
    assert r["value"].between(-1, 1).all()
    folds = pd.read_csv(out / "folds.csv")
    # every region is tested exactly once per split and seed
    assert (folds.groupby(["split", "seed"])["region"].nunique() == 100).all()
    assert len(folds) == 2 * 100
    config = json.loads((out / "config.json").read_text())
    assert config["models"] == ["decay"] and config["n_splits"] == 3
    assert config["null"] == []  # the default spin test needs the bilinear model
    preds = pd.read_csv(out / "predictions.csv")
    # test x test pairs of every fold: sum over folds of n_f (n_f - 1) / 2
    sizes = folds.groupby(["split", "seed", "fold"]).size()
    assert len(preds) == int((sizes * (sizes - 1) // 2).sum())
    first = preds[(preds.split == "spatial") & (preds.fold == 0)]
    r = results[
        (results.metric == "pearson_r")
        & (results.split == "spatial")
        & (results.fold == 0)
    ]["value"].item()
    assert abs(first[["y_true", "y_pred"]].corr().iloc[0, 1] - r) < 1e-9
    assert (out / "report.html").exists()
    assert not (out / "nulls.csv").exists()


def test_run_with_spin_test_and_report_command(tmp_path, capsys):
    out = tmp_path / "res"
    code = main(
        [
            "run",
            "--models",
            "bilinear",
            "--cv",
            "spatial",
            "--n-splits",
            "3",
            "--null",
            "bilinear",
            "--n-permutations",
            "9",
            "--output",
            str(out),
            "--silent",
        ]
    )
    assert code == 0
    nulls = pd.read_csv(out / "nulls.csv")
    assert len(nulls) == 9
    p = nulls["pvalue"].iloc[0]
    expected = (1 + (nulls["null_score"] >= nulls["score"].iloc[0]).sum()) / 10
    assert p == pytest.approx(expected)
    assert "Spin test" in capsys.readouterr().out
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert main(["report", str(tmp_path / "missing")]) == 2
    # two processes draw the same page (the build stamp aside)
    assert main(["report", str(out)]) == 0  # report.html now in the file list
    first = _unstamped(out / "report.html")
    assert main(["report", str(out), "--n-jobs", "2"]) == 0
    assert _unstamped(out / "report.html") == first
    assert main(["report", str(out), "--n-jobs", "0"]) == 2
    assert "n_jobs must be a non-zero integer" in capsys.readouterr().err


def _unstamped(path):
    import re

    return re.sub(r"built \d{4}-\d\d-\d\d \d\d:\d\d", "", path.read_text())


def test_console_script_returns_the_code_and_freezes_the_heap(monkeypatch, capsys):
    import gc

    from connpredict import cli

    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr("sys.argv", ["connpredict"])
    assert cli.console_main() == 2  # no command: the help, exit code 2
    assert frozen == [True]
    assert "usage: connpredict" in capsys.readouterr().out


def test_config_file_and_cli_override(tmp_path):
    cfg = tmp_path / "exp.yaml"
    cfg.write_text("models: [decay]\ncv: spatial\nn_splits: 2\nseeds: [1]\n")
    out = tmp_path / "res"
    assert (
        main(
            [
                "run",
                "--config",
                str(cfg),
                "--n-splits",
                "3",
                "--output",
                str(out),
                "--silent",
                "--no-report",
            ]
        )
        == 0
    )
    assert not (out / "report.html").exists()
    results = pd.read_csv(out / "results.csv")
    assert set(results["fold"]) == {0, 1, 2}
    assert set(results["seed"]) == {1}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--models", "nope"], "unknown model 'nope'"),
        (["run", "--cv", "diagonal"], "unknown cv 'diagonal'"),
        (["run", "--n-splits", "1"], "at least 2"),
        (["run", "--dataset", "nope", "--models", "decay"], "Unknown dataset"),
        (["run", "--config", "/nonexistent/exp.yaml"], "cannot read config"),
        (["run", "--models", "decay", "--null", "cge"], "not among the models"),
    ],
)
def test_bad_options_exit_2_with_one_line(argv, message, capsys, tmp_path):
    code = main([*argv, "--output", str(tmp_path / "o"), "--silent"])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_unknown_config_key(tmp_path, capsys):
    cfg = tmp_path / "exp.yaml"
    cfg.write_text("modles: [decay]\n")
    assert main(["run", "--config", str(cfg), "--silent"]) == 2
    assert "modles" in capsys.readouterr().err


def test_non_empty_output_refused(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("x")
    assert main(["run", "--models", "decay", "--output", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "x"


def test_datasets_command(tmp_path, capsys):
    assert main(["datasets", "--data-home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "synthetic" in out and "embedded" in out
    from connpredict.datasets import cache_status

    expected = cache_status(tmp_path).loc["hcp-schaefer400"]
    assert "hcp-schaefer400" in out
    assert f"0/{expected['n_files']} files cached" in out


def _one_line_error(capsys):
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--n-splits", "1000"], "at most 33"),
        (["--n-splits", "3.9"], "n_splits must be an integer"),
        (["--models", ""], "models is empty"),
        (["--cv", ""], "cv is empty"),
        (["--seeds", "a"], "seeds must be an integer"),
        (["--n-jobs", "0"], "n_jobs must not be 0"),
        (["--n-permutations", "x"], "n_permutations must be an integer"),
        (["--expression", "e.csv"], "go together"),
    ],
)
def test_more_bad_options_exit_2_with_one_line(argv, message, capsys, tmp_path):
    out = tmp_path / "o"
    code = main(["run", "--models", "decay", *argv, "--output", str(out), "--silent"])
    assert code == 2
    assert message in _one_line_error(capsys)
    assert not out.exists()


def test_cuda_without_gpu_exits_2(capsys, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    argv = ["run", "--models", "mlp", "--device", "cuda", "--silent"]
    assert main([*argv, "--output", str(tmp_path / "o")]) == 2
    assert "needs CUDA" in _one_line_error(capsys)


def test_output_that_is_a_file_or_under_a_file_fails_up_front(
    capsys, tmp_path, monkeypatch
):
    import connpredict.experiment

    def never(*args, **kwargs):
        raise AssertionError("the run must not start")

    monkeypatch.setattr(connpredict.experiment, "run_experiment", never)
    afile = tmp_path / "afile"
    afile.write_text("x")
    for output in (afile, afile / "sub"):
        assert main(["run", "--models", "decay", "--output", str(output)]) == 2
        err = _one_line_error(capsys)
        assert "existing file" in err or "afile is a file" in err
    assert afile.read_text() == "x"


def test_overwrite_flag_replaces_an_existing_folder(tmp_path, capsys):
    out = tmp_path / "res"
    out.mkdir()
    (out / "old.txt").write_text("x")
    argv = ["run", "--models", "decay", "--cv", "random", "--n-splits", "3"]
    argv.append("--no-report")
    assert main([*argv, "--output", str(out), "--silent"]) == 2
    assert (out / "old.txt").exists()
    assert main([*argv, "--output", str(out), "--silent", "--overwrite"]) == 0
    assert not (out / "old.txt").exists() and (out / "results.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


@pytest.mark.parametrize("where", ["run", "save"])
def test_ctrl_c_exits_130_without_a_results_folder(
    where, tmp_path, capsys, monkeypatch
):
    import connpredict.experiment
    from connpredict.experiment import ExperimentResult

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    if where == "run":
        monkeypatch.setattr(connpredict.experiment, "run_experiment", interrupt)
    else:  # while the tables are written
        monkeypatch.setattr(ExperimentResult, "_write", interrupt)
    out = tmp_path / "res"
    argv = ["run", "--models", "decay", "--cv", "random", "--n-splits", "3"]
    assert main([*argv, "--output", str(out), "--silent"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_the_report_is_drawn_keeps_the_saved_tables(
    tmp_path, capsys, monkeypatch
):
    import connpredict.report

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(connpredict.report, "build_report", interrupt)
    out = tmp_path / "res"
    argv = ["run", "--models", "decay", "--cv", "random", "--n-splits", "3"]
    assert main([*argv, "--output", str(out), "--silent"]) == 130
    assert "interrupted" in capsys.readouterr().err
    # the results were saved before the report: a complete folder without
    # report.html (`connpredict report` draws it), no temporary sibling
    assert [p.name for p in tmp_path.iterdir()] == ["res"]
    assert (out / "results.csv").exists() and not (out / "report.html").exists()


def test_ctrl_c_inside_a_fit_exits_130(tmp_path, capsys, monkeypatch):
    from connpredict.models import ExponentialDecayRegressor

    def fit(self, X, Y):
        raise KeyboardInterrupt

    monkeypatch.setattr(ExponentialDecayRegressor, "fit", fit)
    out = tmp_path / "res"
    argv = ["run", "--models", "decay", "--cv", "random", "--n-splits", "3"]
    assert main([*argv, "--output", str(out), "--silent"]) == 130
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("models: 5\n", "models must be a list of model names"),
        ("seeds: [0, x]\n", "seeds must be an integer, got 'x'"),
        ("n_splits: 3.9\n", "n_splits must be an integer, got 3.9"),
        ("quick: maybe\n", "quick must be true or false"),
        ("models: {bilinear: {nope: 1}}\n", "unknown parameter(s) nope"),
        ("models: {bilinear: 3}\n", "must map to a mapping of parameters"),
        ("- a\n- b\n", "must hold a mapping"),
        ("models: [decay\n", "not valid YAML"),
    ],
)
def test_bad_yaml_exits_2_with_one_line(text, message, tmp_path, capsys):
    cfg = tmp_path / "exp.yaml"
    cfg.write_text(text)
    argv = ["run", "--config", str(cfg), "--output", str(tmp_path / "o"), "--silent"]
    assert main(argv) == 2
    assert message in _one_line_error(capsys)


def test_non_utf8_yaml_exits_2(tmp_path, capsys):
    cfg = tmp_path / "exp.yaml"
    cfg.write_bytes(b"models: [d\xe9cay]\n")
    assert main(["run", "--config", str(cfg), "--silent"]) == 2
    assert "not UTF-8" in _one_line_error(capsys)


def test_yaml_null_key_quick_string_and_model_parameters(tmp_path):
    cfg = tmp_path / "exp.yaml"
    cfg.write_text(
        "models:\n  bilinear: {use_distance: true}\n  decay:\n"
        "cv: random\nn_splits: 3\nquick: 'false'\nnull: none\nn-permutations: 5\n"
    )
    out = tmp_path / "res"
    argv = ["run", "--config", str(cfg), "--silent", "--no-report"]
    assert main([*argv, "--output", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["quick"] is False
    assert config["null"] == []
    assert config["model_params"] == {"bilinear": {"use_distance": True}, "decay": {}}
    assert not (out / "nulls.csv").exists()
    # `null: bilinear` (a key YAML reads as None) selects the spin test
    cfg.write_text("models: [bilinear]\ncv: spatial\nn_splits: 3\nnull: bilinear\n")
    cfg.write_text(cfg.read_text() + "n_permutations: 3\n")
    out2 = tmp_path / "res2"
    assert main([*argv, "--output", str(out2)]) == 0
    assert len(pd.read_csv(out2 / "nulls.csv")) == 3


def test_user_files_give_the_same_results_as_the_registered_dataset(tmp_path):
    datasets = pytest.importorskip("connpredict.datasets")
    if not hasattr(datasets, "make_dataset"):
        pytest.skip("connpredict.datasets.make_dataset is not in this version")
    ds = datasets.load_dataset("synthetic")
    genes = ds.X.drop(columns=["x", "y", "z"])
    genes.to_csv(tmp_path / "expr.csv")
    ds.Y.to_csv(tmp_path / "conn.tsv", sep="\t")
    ds.regions.to_csv(tmp_path / "regions.csv")
    common = ["--models", "decay,bilinear", "--cv", "spatial", "--n-splits", "3"]
    common += ["--null", "none", "--silent"]
    user = ["--expression", str(tmp_path / "expr.csv")]
    user += ["--connectome", str(tmp_path / "conn.tsv")]
    user += ["--regions", str(tmp_path / "regions.csv")]
    assert main(["run", *common, *user, "--output", str(tmp_path / "u")]) == 0
    assert main(["run", *common, "--output", str(tmp_path / "s"), "--no-report"]) == 0
    a = pd.read_csv(tmp_path / "u" / "results.csv")
    b = pd.read_csv(tmp_path / "s" / "results.csv")
    pd.testing.assert_frame_equal(a, b, atol=1e-10)
    assert (tmp_path / "u" / "report.html").exists()
    # an .npy connectome in the order of the expression rows
    np_path = tmp_path / "conn.npy"
    __import__("numpy").save(np_path, ds.Y.to_numpy())
    user[3] = str(np_path)
    argv = ["run", *common, *user, "--no-report"]
    assert main([*argv, "--output", str(tmp_path / "n")]) == 0
    c = pd.read_csv(tmp_path / "n" / "results.csv")
    pd.testing.assert_frame_equal(c, b, atol=1e-10)


def test_config_json_of_a_results_folder_reruns_the_job(tmp_path):
    cfg = tmp_path / "exp.yaml"
    cfg.write_text(
        "models: {bilinear: {alpha: 2.0}, decay: }\ncv: random\nn_splits: 3\n"
        "seeds: [3]\nnull: none\n"
    )
    first, again = tmp_path / "first", tmp_path / "again"
    argv = ["run", "--silent", "--no-report"]
    assert main([*argv, "--config", str(cfg), "--output", str(first)]) == 0
    rerun = [*argv, "--config", str(first / "config.json"), "--output", str(again)]
    assert main(rerun) == 0
    config = json.loads((again / "config.json").read_text())
    assert config["model_params"] == {"bilinear": {"alpha": 2.0}, "decay": {}}
    assert (first / "results.csv").read_bytes() == (again / "results.csv").read_bytes()

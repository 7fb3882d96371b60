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
            ]
        )
        == 0
    )
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
        (["run", "--models", "decay", "--null", "cge"], "not among --models"),
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
    assert "hcp-schaefer400" in out and "0/3 files cached" in out

"""run_experiment, ExperimentResult and the results folder."""

import logging

import numpy as np
import pandas as pd
import pytest

from connpredict.cli import main
from connpredict.datasets import load_dataset
from connpredict.experiment import (
    TABLES,
    ExperimentResult,
    region_scores,
    run_experiment,
)
from connpredict.models import BilinearRegressor, ExponentialDecayRegressor

_SMALL = {"models": ["decay", "bilinear"], "cv": ["spatial", "random"], "n_splits": 3}


@pytest.fixture(scope="module")
def small_result():
    return run_experiment("synthetic", **_SMALL, null="none")


def test_library_and_command_give_identical_results_csv(small_result, tmp_path):
    lib = small_result.save(tmp_path / "lib")
    argv = ["run", "--models", "decay,bilinear", "--cv", "spatial,random"]
    argv += ["--n-splits", "3", "--null", "none", "--output", str(tmp_path / "cli")]
    assert main([*argv, "--silent", "--no-report"]) == 0
    for name in ("results", "folds", "predictions", "region_scores", "regions"):
        file = TABLES[name].file
        assert (lib / file).read_bytes() == (tmp_path / "cli" / file).read_bytes()


def test_tables_follow_the_schema(small_result, tmp_path):
    folder = small_result.save(tmp_path / "out")
    res = ExperimentResult.load(folder)
    for name, schema in TABLES.items():
        optional = ("nulls", "importances")  # only with a spin test / inspect
        written = pd.read_csv(folder / schema.file) if name not in optional else None
        if written is not None:
            assert list(written.columns[: len(schema.columns)]) == list(schema.columns)
    assert res.regions.index.tolist() == small_result.regions.index.astype(str).tolist()
    assert not (folder / "report.html").exists()  # save writes no report
    # 2 splits x 3 folds x 2 models timings, none of them in results.csv
    assert len(res.timings) == 12
    assert "fit_predict_seconds" not in set(res.results["metric"])


def test_results_match_a_direct_computation(small_result):
    """The fold's Pearson r and the per-region r, recomputed from predictions."""
    pred, res = small_result.predictions, small_result.results
    key = (pred.model == "bilinear") & (pred.split == "spatial") & (pred.fold == 1)
    block = pred[key]
    r = np.corrcoef(block["y_true"], block["y_pred"])[0, 1]
    row = res[
        (res.model == "bilinear")
        & (res.split == "spatial")
        & (res.fold == 1)
        & (res.metric == "pearson_r")
    ]
    assert row["value"].item() == pytest.approx(r, abs=1e-12)
    # per region: rebuild the symmetric blocks and correlate rows off-diagonal
    labels = sorted(set(block.region_i) | set(block.region_j))
    T = pd.DataFrame(np.nan, labels, labels)
    P = T.copy()
    for a, b, t, p in block[["region_i", "region_j", "y_true", "y_pred"]].itertuples(
        index=False
    ):
        T.loc[a, b] = T.loc[b, a] = t
        P.loc[a, b] = P.loc[b, a] = p
    scores = small_result.region_scores
    mine = scores[
        (scores.model == "bilinear") & (scores.split == "spatial") & (scores.fold == 1)
    ].set_index("region")
    for lab in labels[:5]:
        others = [o for o in labels if o != lab]
        expected = np.corrcoef(T.loc[lab, others], P.loc[lab, others])[0, 1]
        assert mine.loc[lab, "r"] == pytest.approx(expected, abs=1e-12)
        assert mine.loc[lab, "n_pairs"] == len(others)


def test_region_scores_nan_for_constant_or_tiny_blocks():
    labels = list("abc")
    Y = pd.DataFrame(np.ones((3, 3)), labels, labels)
    out = region_scores(Y, Y)
    assert out["r"].isna().all()  # 2 other regions: too few


def test_a_dataset_bunch_gives_the_same_results(small_result):
    ds = load_dataset("synthetic")
    again = run_experiment(ds, **_SMALL, null="none")
    pd.testing.assert_frame_equal(again.results, small_result.results)


def test_per_model_parameters_and_estimators():
    plain = run_experiment(models=["bilinear"], cv="spatial", n_splits=3, null="none")
    tuned = run_experiment(
        models={"bilinear": {"use_distance": True}, "mine": BilinearRegressor(alpha=5)},
        cv="spatial",
        n_splits=3,
        null="none",
    )
    assert tuned.config["model_params"]["bilinear"] == {"use_distance": True}
    assert set(tuned.results["model"]) == {"bilinear", "mine"}
    a = plain.predictions[plain.predictions.model == "bilinear"]["y_pred"].to_numpy()
    b = tuned.predictions[tuned.predictions.model == "bilinear"]["y_pred"].to_numpy()
    assert not np.allclose(a, b)  # the parameter reached the model
    with pytest.raises(
        ValueError, match=r"unknown parameter.*max_epochs.*valid: .*alpha"
    ):
        run_experiment(models={"bilinear": {"max_epochs": 3}})


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"models": []}, ValueError, "empty"),
        ({"models": ["nope"]}, ValueError, "unknown model 'nope'"),
        ({"models": 5}, TypeError, "list of model names"),
        ({"cv": ""}, ValueError, "cv is empty"),
        ({"cv": ["diagonal"]}, ValueError, "unknown cv"),
        ({"n_splits": 3.9}, TypeError, "n_splits must be an integer"),
        ({"n_splits": 1000}, ValueError, "at most 33"),
        ({"seeds": ["a"]}, TypeError, "integer"),
        ({"n_jobs": 0}, ValueError, "n_jobs must not be 0"),
        ({"quick": "false"}, TypeError, "quick must be true or false"),
        ({"n_permutations": 0}, ValueError, "at least 1"),
        ({"dataset": 3}, TypeError, "dataset must be"),
        ({"null": ["cge"]}, ValueError, "not among the models"),
    ],
)
def test_bad_options_are_refused_before_fitting(kwargs, error, match):
    options = {"models": ["decay"], **kwargs}
    with pytest.raises(error, match=match):
        run_experiment(**options)


def test_cuda_without_gpu_is_refused():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ValueError, match="needs CUDA"):
        run_experiment(models=["decay"], device="cuda")


def test_verbose_progress_goes_to_logging(caplog):
    with caplog.at_level(logging.INFO, logger="connpredict.experiment"):
        run_experiment(models=["decay"], cv="random", n_splits=3, verbose=1)
    lines = [r.getMessage() for r in caplog.records]
    assert any("fold 2" in line and "decay" in line for line in lines)


def test_save_is_atomic_and_never_overwrites_silently(small_result, tmp_path):
    out = tmp_path / "res"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        small_result.save(out)
    assert (out / "keep.txt").read_text() == "mine"
    small_result.save(out, overwrite=True)
    assert not (out / "keep.txt").exists() and (out / "results.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["res"]  # no temp siblings


def test_interrupted_save_leaves_no_folder(small_result, tmp_path, monkeypatch):
    def interrupt(self, folder, config):
        (folder / "results.csv").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(ExperimentResult, "_write", interrupt)
    with pytest.raises(KeyboardInterrupt):
        small_result.save(tmp_path / "res")
    assert list(tmp_path.iterdir()) == []


def test_load_reads_back_what_save_wrote(small_result, tmp_path):
    folder = small_result.save(tmp_path / "res", config={"note": "x"})
    back = ExperimentResult.load(folder)
    for name in ("results", "folds", "predictions", "region_scores", "timings"):
        mine, read = getattr(small_result, name), getattr(back, name)
        assert list(read.columns) == list(mine.columns)
        for column in mine.columns:
            if column == "fit_predict_seconds":
                continue
            expected = mine[column].to_numpy()
            if mine[column].dtype.kind in "fi":
                np.testing.assert_allclose(read[column], expected, rtol=1e-15)
            else:
                assert read[column].astype(str).tolist() == [str(v) for v in expected]
    assert back.nulls.empty
    assert list(back.nulls.columns) == list(TABLES["nulls"].columns)
    assert back.importances is None
    labels = small_result.regions.index.astype(str).tolist()
    assert back.regions.index.tolist() == labels
    assert back.config == dict(small_result.config, note="x", output=str(folder))
    assert back.summary() == small_result.summary()


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ExperimentResult.load(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match=r"results\.csv"):
        ExperimentResult.load(tmp_path)
    pd.DataFrame({"model": ["a"], "value": [1.0]}).to_csv(
        tmp_path / "results.csv", index=False
    )
    with pytest.raises(ValueError, match="split, seed, fold, metric"):
        ExperimentResult.load(tmp_path)


def test_report_on_save_and_report_method_are_deprecated(small_result, tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("nilearn")
    with pytest.warns(FutureWarning, match="build_report"):
        folder = small_result.save(tmp_path / "a", report=True)
    assert (folder / "report.html").exists()
    with pytest.warns(FutureWarning, match="build_report"):
        path = small_result.report(tmp_path / "b")
    assert path == tmp_path / "b" / "report.html" and path.exists()
    with pytest.warns(FutureWarning, match="build_report"):
        folder = small_result.save(tmp_path / "c", report=False)
    assert not (folder / "report.html").exists()


def test_output_under_a_file_is_refused_up_front(small_result, tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ValueError, match="afile is a file"):
        small_result.save(tmp_path / "afile" / "sub")
    with pytest.raises(ValueError, match="existing file"):
        small_result.save(tmp_path / "afile")


def test_a_make_dataset_bunch_gives_the_same_results(small_result):
    from connpredict.datasets import make_dataset

    ds = load_dataset("synthetic")
    genes = ds.X.drop(columns=["x", "y", "z"])
    own = make_dataset(genes, ds.Y, ds.regions)
    again = run_experiment(own, **_SMALL, null="none")
    pd.testing.assert_frame_equal(again.results, small_result.results, atol=1e-10)
    # the caller's tables are left untouched
    pd.testing.assert_frame_equal(genes, ds.X.drop(columns=["x", "y", "z"]))


def test_n_jobs_2_gives_the_same_results_as_n_jobs_1():
    # every fold fit runs with one torch/BLAS thread, in this process or in a
    # joblib worker, so the numbers do not depend on n_jobs
    pytest.importorskip("torch")
    models = {
        "bilinear": {},
        "mlp": {
            "hidden_dims": (16,),
            "embedding_dim": 8,
            "head_dims": (8,),
            "max_iter": 2,
            "n_ensemble": 1,
        },
    }
    # two splits: the parallel run pools the fits of every model and split,
    # longest (neural) first, and still writes the tables in the serial order
    kw = dict(
        models=models, cv=["spatial", "random"], n_splits=3, null="none", quick=True
    )
    one = run_experiment("synthetic", n_jobs=1, **kw)
    two = run_experiment("synthetic", n_jobs=2, **kw)
    pd.testing.assert_frame_equal(one.results, two.results, check_exact=True)
    pd.testing.assert_frame_equal(one.predictions, two.predictions, check_exact=True)
    pd.testing.assert_frame_equal(one.region_scores, two.region_scores)
    pd.testing.assert_frame_equal(one.folds, two.folds)
    order = one.timings[["model", "split", "fold"]]
    pd.testing.assert_frame_equal(order, two.timings[["model", "split", "fold"]])
    assert order.model.tolist() == ["bilinear"] * 3 + ["mlp"] * 3 + (
        ["bilinear"] * 3 + ["mlp"] * 3
    )


def test_a_closed_form_spin_test_runs_in_the_pool_beside_the_fits():
    from connpredict.datasets import load_dataset
    from connpredict.experiment._run import _model_table, _spin_tasks

    kw = dict(
        models=["decay", "bilinear", "pls"],
        cv=["spatial"],
        n_splits=3,
        null=["bilinear", "pls"],
        n_permutations=9,
    )
    one = run_experiment("synthetic", n_jobs=1, **kw)
    two = run_experiment("synthetic", n_jobs=2, **kw)
    # the same spins, scores and p-values whichever process ran the test
    pd.testing.assert_frame_equal(one.nulls, two.nulls, check_exact=False, rtol=1e-12)
    assert list(one.nulls["model"].unique()) == ["bilinear", "pls"]
    # the bilinear test is a task of the pool; PLS (no closed form) runs after
    config = {
        "cv": ["spatial"],
        "seeds": [0],
        "n_permutations": 9,
        "null": ["bilinear", "pls"],
        "quick": False,
        "device": "cpu",
        "n_splits": 3,
    }
    table = _model_table(["bilinear", "pls"], quick=False)
    spins = _spin_tasks(load_dataset("synthetic"), table, config)
    assert [(t["model_name"], t["fast"]) for t in spins] == [
        ("bilinear", True),
        ("pls", False),
    ]


def test_parallel_runs_order_the_fits_longest_first():
    from connpredict.datasets import load_dataset
    from connpredict.experiment._run import _fit_tasks, _model_table

    ds = load_dataset("synthetic")
    table = _model_table(["decay", "mlp", "bilinear"])
    config = dict(cv=["spatial"], seeds=[0], n_splits=4, quick=True, device="cpu")
    tasks, folds = _fit_tasks(ds, table, config)
    assert [t["name"] for t in tasks] == ["decay"] * 4 + ["mlp"] * 4 + ["bilinear"] * 4
    assert len(folds) == ds.X.shape[0]
    costs = {t["name"]: t["cost"] for t in tasks}
    assert costs["mlp"] > 50 * max(costs["decay"], costs["bilinear"])
    for t in tasks:
        assert t["cost"] % len(t["split"][0]) == 0


def test_parallel_runs_warm_their_workers_for_the_models_asked():
    from connpredict.experiment._run import _neural, _warm_worker, _warm_workers

    # torch is imported in the workers only when a neural model will run
    assert _neural(None, quick=False)
    assert not _neural(None, quick=True)
    assert _neural(["decay", "mlp"], quick=True)
    assert not _neural("bilinear,pls", quick=False)
    assert _neural("bilinear, smt", quick=False)
    assert not _neural({"custom": object()}, quick=False)
    assert _warm_worker(False) is True
    thread = _warm_workers(2, neural=False)
    thread.join(timeout=120)
    assert not thread.is_alive()


class _PidRecorder(ExponentialDecayRegressor):
    """A distance-decay model that notes which process fitted it (may fail)."""

    def __init__(self, log=None, fail_in=None, parent=None, sleep=0.0):
        super().__init__()
        self.log = log
        self.fail_in = fail_in
        self.parent = parent
        self.sleep = sleep

    def fit(self, X, Y):
        import os
        import time

        here = "parent" if os.getpid() == self.parent else "worker"
        if self.fail_in == here:
            raise RuntimeError(f"planted failure in the {here}")
        with open(self.log, "a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(self.sleep)  # long enough for the worker to take tasks too
        return super().fit(X, Y)


def test_parallel_runs_fit_in_this_process_and_in_the_workers(tmp_path):
    import os

    log = tmp_path / "pids.txt"
    model = _PidRecorder(log=str(log), parent=os.getpid(), sleep=0.5)
    kw = dict(
        models={"rec": model}, cv=["random"], n_splits=3, null="none", seeds=[0, 1, 2]
    )
    one = run_experiment("synthetic", n_jobs=1, **kw)
    log.unlink()
    two = run_experiment("synthetic", n_jobs=2, **kw)
    pids = [int(p) for p in log.read_text().split()]
    # nine fits shared by this process and one worker process
    assert len(pids) == 9
    assert os.getpid() in pids and len(set(pids)) == 2
    pd.testing.assert_frame_equal(one.results, two.results, check_exact=True)


@pytest.mark.parametrize("where", ["parent", "worker"])
def test_parallel_runs_raise_a_failed_fit_wherever_it_ran(tmp_path, where):
    import os

    model = _PidRecorder(
        log=str(tmp_path / "pids.txt"), fail_in=where, parent=os.getpid(), sleep=0.5
    )
    with pytest.raises(RuntimeError, match=f"planted failure in the {where}"):
        run_experiment(
            "synthetic",
            models={"rec": model},
            cv=["random"],
            n_splits=3,
            null="none",
            seeds=[0, 1, 2],
            n_jobs=2,
        )


def test_parallel_runs_under_another_joblib_backend_leave_every_fit_to_it(tmp_path):
    import os

    from joblib import parallel_config

    log = tmp_path / "pids.txt"
    model = _PidRecorder(log=str(log), parent=os.getpid())
    kw = dict(models={"rec": model}, cv=["random"], n_splits=3, null="none")
    one = run_experiment("synthetic", n_jobs=1, **kw)
    with parallel_config(backend="threading"):
        two = run_experiment("synthetic", n_jobs=2, **kw)
    # threads of this process ran all six fits (three per run)
    assert [int(p) for p in log.read_text().split()] == [os.getpid()] * 6
    pd.testing.assert_frame_equal(one.results, two.results, check_exact=True)

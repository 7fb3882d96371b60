"""Confusing inputs get errors that name the file, the column or the fix."""

import numpy as np
import pytest

from connpredict import (
    BilinearRegressor,
    ExponentialDecayRegressor,
    PLSBilinearRegressor,
    make_synthetic_connectome,
)
from connpredict.cli import main
from connpredict.datasets import make_dataset
from connpredict.utils import _memory


@pytest.fixture(scope="module")
def ds():
    return make_synthetic_connectome(n_regions=30, n_genes=5, random_state=0)


@pytest.fixture
def files(ds, tmp_path):
    genes = [c for c in ds.X.columns if c not in ("x", "y", "z")]
    ds.X[genes].to_csv(tmp_path / "expr.csv", index_label="label")
    ds.Y.to_csv(tmp_path / "conn.csv", index_label="label")
    ds.X[["x", "y", "z"]].to_csv(tmp_path / "regions.csv", index_label="label")
    ds.X[genes].to_csv(tmp_path / "semi.csv", index_label="label", sep=";")
    ds.X[genes].to_csv(tmp_path / "tabs.csv", index_label="label", sep="\t")
    ds.X[genes].to_csv(tmp_path / "commas.tsv", index_label="label")
    ds.X[["x", "y"]].to_csv(tmp_path / "no_z.csv", index_label="label")
    return tmp_path


def _run(files, *extra):
    argv = ["run", "--models", "decay", "--cv", "random", "--n-splits", "3"]
    argv += ["--null", "none", "--silent", "--no-report"]
    return main([*argv, "--output", str(files / "out"), *extra])


@pytest.mark.parametrize(
    "name, used, expected",
    [
        ("semi.csv", "semicolons (;)", "commas (,)"),
        ("tabs.csv", "tabs", "commas (,)"),
        ("commas.tsv", "commas (,)", "tabs"),
    ],
)
def test_wrong_delimiter_is_named(files, capsys, name, used, expected):
    code = _run(files, "--expression", str(files / name), "--connectome",
                str(files / "conn.csv"))  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"{name} is separated by {used}, not {expected}" in err
    # make_dataset with the path says the same
    with pytest.raises(ValueError, match=f"separated by {used.split()[0]}"):
        make_dataset(files / name, files / "conn.csv")
    # the same content with the right delimiter reads (semicolons: not sniffed,
    # as a ';' file often holds decimal commas)
    assert _run(files, "--expression", str(files / "expr.csv"), "--connectome",
                str(files / "conn.csv"), "--regions", str(files / "regions.csv"),
                "--overwrite") == 0  # fmt: skip


def test_regions_file_without_z_is_named(files, capsys):
    inputs = ["--expression", str(files / "expr.csv"), "--connectome",
              str(files / "conn.csv")]  # fmt: skip
    code = _run(files, *inputs, "--regions", str(files / "no_z.csv"))
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == (
        f"connpredict: error: regions file {files / 'no_z.csv'} lacks the "
        "column(s) z (it has x, y); give x, y, z in the header row."
    )
    code = main(["predict", "--model", "bilinear-schaefer300-shared",
                 "--expression", str(files / "expr.csv"),
                 "--regions", str(files / "no_z.csv"),
                 "--output", str(files / "pred")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert f"--regions file {files / 'no_z.csv'} lacks the column(s) z" in err


@pytest.mark.parametrize("Model", [BilinearRegressor, PLSBilinearRegressor])
def test_huge_gene_values_give_a_clear_error(ds, Model):
    X = ds.X.copy()
    genes = [c for c in X.columns if c not in ("x", "y", "z")]
    X[genes] = X[genes] * 1e200
    with pytest.raises(ValueError, match=r"too large .* rescale them") as info:
        Model().fit(X, ds.Y)
    assert genes[0] in str(info.value)
    # rescaled, the same data fit
    X[genes] = X[genes] / 1e200
    assert np.isfinite(Model().fit(X, ds.Y).predict(X).to_numpy()).all()


def test_pair_memory_is_checked_before_any_work(ds, monkeypatch, tmp_path, capsys):
    # 30 regions, 435 pairs at 100 bytes: 43,500 bytes needed
    monkeypatch.setattr(_memory, "available_memory", lambda: 40_000)
    with pytest.raises(MemoryError, match=r"30 regions means 435 region pairs"):
        ExponentialDecayRegressor().fit(ds.X, ds.Y)
    argv = ["run", "--models", "decay", "--cv", "random", "--n-splits", "3"]
    code = main([*argv, "--null", "none", "--silent", "--output", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "The dataset synthetic: 100 regions means 4,950 region pairs" in err
    monkeypatch.setattr(_memory, "available_memory", lambda: 50_000)
    ExponentialDecayRegressor().fit(ds.X, ds.Y)  # 43,500 bytes fit
    # 20,000 regions on a 16 GB machine: refused, with the figures
    with pytest.raises(MemoryError, match=r"199,990,000 region pairs: about 18\.6 GB"):
        _memory.check_pair_memory(20_000, available=16 * 2**30)

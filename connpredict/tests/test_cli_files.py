"""Confusing input files get errors that name the file, the column or the fix."""

import pytest

from connpredict import (
    make_synthetic_connectome,
)
from connpredict.cli import main
from connpredict.datasets import make_dataset


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

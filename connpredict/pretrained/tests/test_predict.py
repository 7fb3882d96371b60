"""Predicting a new parcellation: library functions and ``connpredict predict``."""

import numpy as np
import pandas as pd
import pytest

from connpredict.cli import main
from connpredict.pretrained import (
    combine_inputs,
    load_model,
    model_path,
    predict_connectome,
    read_metadata,
    region_summary,
)

NAME = "bilinear-schaefer300-shared"


@pytest.fixture(scope="module")
def atlas():
    genes = read_metadata(model_path(NAME))["info"]["genes"]
    rng = np.random.default_rng(1)
    labels = [f"reg{i}" for i in range(15)]
    expr = pd.DataFrame(rng.normal(size=(15, len(genes))), columns=genes, index=labels)
    regions = pd.DataFrame(
        rng.uniform(-60, 60, size=(15, 3)), columns=["x", "y", "z"], index=labels[::-1]
    )
    regions["hemisphere"] = "L"
    return expr, regions


def test_predict_connectome_equals_model_predict(atlas):
    expr, regions = atlas
    X = combine_inputs(expr[expr.columns[::-1]], regions)
    Y = predict_connectome(NAME, X)
    model = load_model(NAME)
    direct = model.predict(
        pd.concat([expr, regions.loc[expr.index, ["x", "y", "z"]]], axis=1)
    )
    np.testing.assert_allclose(Y.to_numpy(), direct.to_numpy(), rtol=0, atol=1e-12)
    assert list(Y.index) == list(expr.index)


def test_region_summary_against_numpy():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(6, 6))
    A = (A + A.T) / 2
    np.fill_diagonal(A, 0)
    Y = pd.DataFrame(A, index=list("abcdef"), columns=list("abcdef"))
    s = region_summary(Y)
    off = ~np.eye(6, dtype=bool)
    for k, lab in enumerate("abcdef"):
        row = A[k][off[k]]
        assert s.loc[lab, "mean"] == pytest.approx(row.mean())
        assert s.loc[lab, "mean_abs"] == pytest.approx(np.abs(row).mean())
        assert s.loc[lab, "strength_pos"] == pytest.approx(row[row > 0].sum())
        masked = np.where(off[k], A[k], -np.inf)
        assert s.loc[lab, "strongest_partner"] == "abcdef"[int(np.argmax(masked))]
        assert s.loc[lab, "strongest_value"] == pytest.approx(masked.max())


def test_combine_inputs_errors(atlas):
    expr, regions = atlas
    with pytest.raises(ValueError, match="no row in the region table"):
        combine_inputs(expr, regions.iloc[1:])
    with pytest.raises(ValueError, match="lacks column"):
        combine_inputs(expr, regions.drop(columns="z"))
    dup = expr.rename(index={"reg1": "reg0"})
    with pytest.raises(ValueError, match="unique in the expression table"):
        combine_inputs(dup, regions)


def test_cli_predict(atlas, tmp_path, capsys):
    expr, regions = atlas
    expr.iloc[:, 5:].to_csv(tmp_path / "expr.csv", index_label="label")  # 270/275
    regions.to_csv(tmp_path / "regions.csv", index_label="label")
    out = tmp_path / "out"
    code = main(
        [
            "predict",
            "--model",
            NAME,
            "--expression",
            str(tmp_path / "expr.csv"),
            "--regions",
            str(tmp_path / "regions.csv"),
            "--output",
            str(out),
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "coverage 98.2%" in err
    Y = pd.read_csv(out / "connectome.csv", index_col=0)
    assert Y.shape == (15, 15) and list(Y.index) == list(expr.index)
    with pytest.warns(UserWarning):
        ref = predict_connectome(NAME, combine_inputs(expr.iloc[:, 5:], regions))
    np.testing.assert_allclose(Y.to_numpy(), ref.to_numpy(), atol=1e-12)
    summary = pd.read_csv(out / "regions.csv", index_col=0)
    assert list(summary.columns)[:2] == ["mean", "mean_abs"]
    page = (out / "prediction.html").read_text()
    assert page.count("data:image/png;base64") == 2 and "glass brain" in page


def test_cli_predict_scores_a_measured_connectome_and_shows_coverage(atlas, tmp_path):
    expr, regions = atlas
    genes = list(expr.columns)
    expr.iloc[:, 3:].to_csv(tmp_path / "expr.csv", index_label="label")
    regions.assign(network=["Vis", "Default", "Limbic"] * 5).to_csv(
        tmp_path / "regions.csv", index_label="label"
    )
    with pytest.warns(UserWarning):
        ref = predict_connectome(NAME, combine_inputs(expr.iloc[:, 3:], regions))
    rng = np.random.default_rng(2)
    noise = rng.normal(size=ref.shape)
    measured = ref + (noise + noise.T)  # labelled, in another order
    measured = measured.iloc[::-1, ::-1]
    measured.to_csv(tmp_path / "measured.csv", index_label="label")
    out = tmp_path / "out"
    args = ["predict", "--model", NAME, "--output", str(out)]
    args += ["--expression", str(tmp_path / "expr.csv")]
    args += ["--regions", str(tmp_path / "regions.csv")]
    assert main([*args, "--connectome", str(tmp_path / "measured.csv")]) == 0
    page = (out / "prediction.html").read_text()
    i, j = np.triu_indices(15, 1)
    expected = np.corrcoef(
        ref.to_numpy()[i, j], measured.loc[ref.index, ref.index].to_numpy()[i, j]
    )[0, 1]
    got = float(page.split('data-score-r="')[1].split('"')[0])
    assert got == pytest.approx(expected, abs=1e-5)
    assert f'data-genes-matched="{len(genes) - 3}"' in page
    assert f'data-genes-required="{len(genes)}"' in page
    assert all(g in page for g in genes[:3])  # the missing genes are named
    assert "FC (Fisher z)" in page


def test_cli_predict_bad_inputs(atlas, tmp_path, capsys):
    expr, regions = atlas
    expr.iloc[:, :100].to_csv(tmp_path / "few.csv", index_label="label")
    regions.to_csv(tmp_path / "regions.csv", index_label="label")
    vox = regions.copy()
    vox[["x", "y", "z"]] = np.arange(45).reshape(15, 3) + 5
    vox.to_csv(tmp_path / "vox.csv", index_label="label")
    expr.to_csv(tmp_path / "expr.csv", index_label="label")
    base = ["predict", "--output", str(tmp_path / "o")]
    cases = [
        (
            ["--model", NAME, "--expression", str(tmp_path / "few.csv")],
            "below --min-coverage",
        ),
        (
            [
                "--model",
                NAME,
                "--expression",
                str(tmp_path / "expr.csv"),
                "--regions",
                str(tmp_path / "vox.csv"),
            ],
            "voxel indices",
        ),
        (
            ["--model", "nope", "--expression", str(tmp_path / "expr.csv")],
            "Unknown pretrained",
        ),
    ]
    for extra, msg in cases:
        if "--regions" not in extra:
            extra = [*extra, "--regions", str(tmp_path / "regions.csv")]
        assert main([*base, *extra]) == 2
        assert msg in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # refused inputs leave no folder


def test_cli_predict_output_is_checked_first_and_never_clobbered(
    atlas, tmp_path, capsys, monkeypatch
):
    expr, regions = atlas
    expr.to_csv(tmp_path / "expr.csv", index_label="label")
    regions.to_csv(tmp_path / "regions.csv", index_label="label")
    args = ["predict", "--model", NAME, "--expression", str(tmp_path / "expr.csv")]
    args += ["--regions", str(tmp_path / "regions.csv"), "--output"]
    # an output under a file fails before any model is loaded
    (tmp_path / "afile").write_text("x")
    import connpredict.pretrained as pretrained

    def no_load(name):  # pragma: no cover - must not be reached
        raise AssertionError("the model was loaded before the output was checked")

    with monkeypatch.context() as m:
        m.setattr(pretrained, "load_model", no_load)
        assert main([*args, str(tmp_path / "afile" / "sub")]) == 2
    assert "is a file" in capsys.readouterr().err
    # a non-empty folder is kept unless --overwrite
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    assert main([*args, str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]
    assert main([*args, str(out), "--overwrite"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["connectome.csv", "prediction.html", "regions.csv"]
    # no temporary sibling is left behind
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

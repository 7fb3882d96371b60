"""The shipped pretrained region encoder: loading, checksum, use in the SMT."""

import hashlib
import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from connpredict.pretrained import (
    list_models,
    load_estimator,
    load_model,
    model_card,
    model_path,
    predict_connectome,
    read_metadata,
)
from connpredict.pretrained._models import _index
from connpredict.pretrained.tests.test_models import SCRIPT, needs_data

pytest.importorskip("torch")

NAME = "encoder-masked-schaefer400"


def test_shipped_encoder_loads_with_its_genes():
    from connpredict.models import RegionEncoder

    assert NAME in list_models()
    entry = _index()[NAME]
    assert entry["estimator"] == "RegionEncoder"
    assert entry["dataset"] == "hcp-schaefer400" and entry["n_genes"] == 282
    enc = load_model(NAME)
    assert type(enc) is RegionEncoder and enc.__sklearn_is_fitted__()
    assert enc.objective == "masked" and enc.max_iter == 100
    assert enc.random_state == 0
    genes = read_metadata(model_path(NAME))["info"]["genes"]
    assert len(genes) == enc.n_genes_ == 282
    assert list(enc.genes_) == genes
    # trained: the loss curve of its 100 epochs fell
    losses = [h["loss"] for h in enc.history_]
    assert len(losses) == 100 and losses[-1] < 0.6 * losses[0]
    # timings are not stored (one pretraining, one file)
    assert np.isnan(enc.cpu_seconds_)
    card = model_card(NAME)
    assert card.startswith(f"# Model card: {NAME}\n")
    assert "Estimator: `RegionEncoder(" in card
    assert "Transductive" in card and "282 genes" in card


def test_tampered_encoder_is_refused(tmp_path, monkeypatch):
    from connpredict.pretrained import _models

    folder, shipped = tmp_path / "models", model_path(NAME)
    shutil.copytree(Path(shipped).parent, folder)
    path = folder / _index()[NAME]["file"]
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte in the weights
    path.write_bytes(bytes(raw))
    monkeypatch.setattr(_models, "_models_dir", lambda: folder)
    with pytest.raises(ValueError, match="does not match its recorded SHA-256"):
        load_model(NAME)
    # the file itself is refused too (its zip CRC or its own checksum)
    with pytest.raises(ValueError, match=r"Bad CRC|failed its integrity check"):
        load_estimator(path)
    # the untouched copy is accepted
    shutil.copy(shipped, path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == _index()[NAME]["sha256"]
    assert load_model(NAME).n_genes_ == 282


def test_an_encoder_predicts_no_connectome(tmp_path, capsys):
    import pandas as pd

    from connpredict.cli import main

    genes = read_metadata(model_path(NAME))["info"]["genes"]
    rng = np.random.default_rng(0)
    labels = [f"r{i}" for i in range(6)]
    X = pd.DataFrame(rng.normal(size=(6, len(genes))), columns=genes, index=labels)
    regions = pd.DataFrame(
        rng.uniform(-50, 50, size=(6, 3)), columns=["x", "y", "z"], index=labels
    )
    with pytest.raises(ValueError, match="predicts no connectome"):
        predict_connectome(NAME, X.join(regions))
    X.to_csv(tmp_path / "expr.csv", index_label="label")
    regions.to_csv(tmp_path / "regions.csv", index_label="label")
    argv = ["predict", "--model", NAME, "--expression", str(tmp_path / "expr.csv")]
    argv += ["--regions", str(tmp_path / "regions.csv")]
    code = main([*argv, "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("connpredict: error: The model is a RegionEncoder, which ")
    assert "predicts no connectome" in err and "(connpredict models)" in err
    assert not (tmp_path / "out" / "connectome.csv").exists()
    # `connpredict models` lists it, `connpredict models NAME` shows its card
    assert main(["models"]) == 0
    line = [s for s in capsys.readouterr().out.splitlines() if s.startswith(NAME)]
    assert len(line) == 1 and "RegionEncoder" in line[0] and "282 genes" in line[0]
    assert main(["models", NAME]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# Model card: {NAME}") and "## Genes (282)" in out


@pytest.mark.realdata
@needs_data
def test_frozen_shipped_encoder_in_the_smt():
    from connpredict import load_dataset
    from connpredict.models import SMTRegressor

    ds = load_dataset("hcp-schaefer400")
    rows = np.arange(0, len(ds.X), 12)[:30]  # 30 regions spread over the atlas
    X, Y = ds.X.iloc[rows], ds.Y.iloc[rows, rows]
    enc = load_model(NAME)
    genes = list(enc.genes_)
    before = {k: v.clone() for k, v in enc.encoder_state_.items()}
    smt = SMTRegressor(
        encoder=enc, freeze=True, max_iter=2, n_ensemble=1, random_state=0
    ).fit(X, Y)
    P = smt.predict(X)
    assert P.shape == (30, 30) and np.isfinite(P.to_numpy()).all()
    # the frozen weights are the shipped ones, in the encoder and in the SMT
    state = smt.net_.module_.state_dict()
    for key, value in before.items():
        np.testing.assert_array_equal(enc.encoder_state_[key].numpy(), value.numpy())
        np.testing.assert_array_equal(state[key].numpy(), value.numpy(), err_msg=key)
    # only the encoder's weights are frozen: the SMT's own head trains
    grads = dict((k, p.requires_grad) for k, p in smt.net_.module_.named_parameters())
    assert not any(grads[k] for k in before if k in grads)
    assert any(grads[k] for k in grads if k not in before)
    # another gene layout: the clear error naming the mismatch
    shuffled = X[X.columns[::-1]]
    with pytest.raises(ValueError, match="pretrained on 282 genes in another layout"):
        SMTRegressor(encoder=enc, freeze=True, max_iter=1, n_ensemble=1).fit(
            shuffled, Y
        )
    # which encoder.align fixes
    assert enc.align(shuffled).equals(X[[*genes, "x", "y", "z"]])


@pytest.mark.realdata
@needs_data
def test_build_script_reproduces_the_encoder_start():
    """The build path (data, genes, seed, settings) gives the shipped encoder.

    The full rebuild (100 epochs, about 20 CPU seconds) is
    ``build_pretrained.py --check --only encoder-masked-schaefer400``; here
    the first three epochs are rebuilt and compared with the shipped loss
    curve, which any change of corpus, gene order, seed or parameter moves.
    Tolerance: float32 training; another CPU's kernels change the last bits
    of each step, far below 1e-4 after three epochs.
    """
    if not SCRIPT.exists():
        pytest.skip("data/build_pretrained.py is not next to this checkout")
    spec = importlib.util.spec_from_file_location("build_pretrained", SCRIPT)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    shipped = load_model(NAME)
    rebuilt = build.fit_encoder(NAME, max_iter=3)
    assert list(rebuilt.genes_) == list(shipped.genes_)
    np.testing.assert_allclose(rebuilt.gene_mean_, shipped.gene_mean_, rtol=1e-10)
    np.testing.assert_allclose(rebuilt.gene_scale_, shipped.gene_scale_, rtol=1e-10)
    np.testing.assert_allclose(
        [h["loss"] for h in rebuilt.history_],
        [h["loss"] for h in shipped.history_[:3]],
        rtol=1e-4,
    )
    # and the shipped file is what write_encoder stores for this encoder
    meta = read_metadata(model_path(NAME))["info"]
    assert meta["dataset"] == "hcp-schaefer400" and meta["name"] == NAME

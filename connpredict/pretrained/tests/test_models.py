"""The shipped pretrained models: offline loading, cards, reproducibility."""

import hashlib
import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

from connpredict.pretrained import (
    list_models,
    load_model,
    model_card,
    model_path,
    read_metadata,
)
from connpredict.pretrained._models import _index

DATA = os.environ.get("CONNPREDICT_DATA")
HCP = "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/"
needs_data = pytest.mark.skipif(
    not DATA or not Path(DATA, HCP).is_dir(),
    reason="CONNPREDICT_DATA is unset or lacks the ENIGMA files (real-data test)",
)
SCRIPT = Path(__file__).resolve().parents[3] / "data" / "build_pretrained.py"


def test_index_matches_files():
    index = _index()
    assert list_models() == sorted(index)
    assert 2 <= len(index) <= 4
    for name, entry in index.items():
        raw = Path(model_path(name)).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == entry["sha256"]
        assert len(raw) == entry["size"] < 1_000_000
        meta = read_metadata(model_path(name))
        assert meta["info"]["name"] == name
        assert meta["info"]["coordinate_space"] == "MNI152"
        assert len(meta["info"]["genes"]) == entry["n_genes"]
        card = model_card(name)
        for needed in (
            "Training data and licences",
            "Intended use",
            "Limits",
            "spatial 4-fold CV",
            "shares subjects",
        ):
            assert needed in card, (name, needed)


def test_load_model_offline_and_predict_a_new_atlas():
    from connpredict.pretrained import align_regions

    model = load_model("bilinear-schaefer300-shared")
    genes = read_metadata(model_path("bilinear-schaefer300-shared"))["info"]["genes"]
    rng = np.random.default_rng(0)
    import pandas as pd

    n = 12
    X = pd.DataFrame(
        rng.normal(size=(n, len(genes))),
        columns=genes,
        index=[f"r{i}" for i in range(n)],
    )
    X[["x", "y", "z"]] = rng.uniform(-60, 60, size=(n, 3))
    Y = model.predict(align_regions(model, X[X.columns[::-1]]))
    assert Y.shape == (n, n) and list(Y.index) == list(X.index)
    assert np.isfinite(Y.to_numpy()).all()
    np.testing.assert_allclose(Y.to_numpy(), Y.to_numpy().T)


def test_unknown_and_tampered_model(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="Unknown pretrained model"):
        load_model("nope")
    from connpredict.pretrained import _models

    index = _index()
    name = list_models()[0]
    index[name]["sha256"] = "0" * 64
    monkeypatch.setattr(_models, "_index", lambda: index)
    with pytest.raises(ValueError, match="does not match its recorded SHA-256"):
        load_model(name)


@pytest.mark.realdata
@needs_data
def test_build_script_reproduces_the_bilinear_model(tmp_path):
    if not SCRIPT.exists():
        pytest.skip("data/build_pretrained.py is not next to this checkout")
    spec = importlib.util.spec_from_file_location("build_pretrained", SCRIPT)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    index = build.build(tmp_path, names=["bilinear-schaefer300-shared"], cards=False)
    shipped = json.loads(
        (
            Path(model_path("bilinear-schaefer300-shared")).parent / "index.json"
        ).read_text()
    )
    entry = index["bilinear-schaefer300-shared"]
    assert entry["sha256"] == shipped["bilinear-schaefer300-shared"]["sha256"]

"""The shipped pretrained models: offline loading, cards, reproducibility."""

import hashlib
import importlib.util
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
    assert 2 <= len(index) <= 5
    for name, entry in index.items():
        raw = Path(model_path(name)).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == entry["sha256"]
        assert len(raw) == entry["size"] < 1_000_000
        meta = read_metadata(model_path(name))
        assert meta["info"]["name"] == name
        assert meta["info"]["coordinate_space"] == "MNI152"
        assert len(meta["info"]["genes"]) == entry["n_genes"]
        card = model_card(name)
        needed = ["Training data and licences", "Intended use", "Limits"]
        if entry["estimator"] == "RegionEncoder":
            # expression only: what the corpus means for cross-validation
            needed += ["Transductive for", "SpatialSplit(4, random_state=0)"]
        else:
            needed += ["spatial 4-fold CV", "shares subjects"]
        for section in needed:
            assert section in card, (name, section)


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


# Rebuilding on another CPU or BLAS kernel changes the summation order, so the
# rebuilt file's bytes (and SHA-256) may differ from the shipped ones; only
# ``data/build_pretrained.py --check`` on the machine that built the models
# promises identical bytes. What must hold anywhere is the model itself:
# rounding differences are of order n * eps * condition (about 1e-12 for
# these well-conditioned PCA and least-squares fits on 300 regions), so
# rtol=1e-6 leaves a wide margin while still catching any real change (a
# different gene set, seed or parameter moves values in the 2nd-3rd digit).
RTOL, ATOL = 1e-6, 1e-9


def _assert_tree_close(a, b, where="estimator"):
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), where
        for k in a:
            _assert_tree_close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_tree_close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and not isinstance(a, bool):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL, err_msg=where)
    else:
        assert a == b, where


@pytest.mark.realdata
@needs_data
def test_build_script_reproduces_the_bilinear_model(tmp_path):
    if not SCRIPT.exists():
        pytest.skip("data/build_pretrained.py is not next to this checkout")
    from connpredict import load_dataset
    from connpredict.pretrained import align_regions, load_estimator
    from connpredict.pretrained._io import _load_checked

    spec = importlib.util.spec_from_file_location("build_pretrained", SCRIPT)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    name = "bilinear-schaefer300-shared"
    build.build(tmp_path, names=[name], cards=False)
    rebuilt_path = tmp_path / f"{name}.npz"
    meta, arrays = _load_checked(rebuilt_path)
    meta_shipped, arrays_shipped = _load_checked(model_path(name))
    # the same structure, parameters and genes; floats within the tolerance
    _assert_tree_close(meta, meta_shipped)
    assert sorted(arrays) == sorted(arrays_shipped)
    for key, a in arrays_shipped.items():
        assert arrays[key].shape == a.shape and arrays[key].dtype == a.dtype, key
        np.testing.assert_allclose(arrays[key], a, rtol=RTOL, atol=ATOL, err_msg=key)
    # and the same predictions, on the training atlas and on another one
    rebuilt, shipped = load_estimator(rebuilt_path), load_model(name)
    for dataset in ("hcp-schaefer300", "hcp-schaefer100"):
        X = align_regions(shipped, load_dataset(dataset).X)
        np.testing.assert_allclose(
            rebuilt.predict(X).to_numpy(),
            shipped.predict(X).to_numpy(),
            rtol=RTOL,
            atol=ATOL,
        )

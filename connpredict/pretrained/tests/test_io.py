"""Round trips of save_estimator / load_estimator for every registered model."""

import io
import json
import re
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import is_classifier

import connpredict.models
from connpredict.datasets import make_synthetic_connectome
from connpredict.models._registry import model_specs
from connpredict.pretrained import _io, load_estimator, read_metadata, save_estimator

_CASES = [
    pytest.param(spec.name, params, id=f"{spec.name}-{i}")
    for spec in model_specs()
    for i, params in enumerate(spec.test_params)
]


@pytest.fixture(scope="module")
def data():
    ds = make_synthetic_connectome(n_regions=24, n_genes=6, random_state=3)
    Y = ds.Y
    tri = Y.to_numpy()[np.triu_indices(len(Y), 1)]
    return ds.X, Y, (Y > np.quantile(tri, 0.67)) * 1.0


def _fitted(name, params, data):
    X, Y, Ybin = data
    est = getattr(connpredict.models, name)(**params)
    return est.fit(X, Ybin if is_classifier(est) else Y)


def _outputs(est, X):
    if hasattr(est, "predict"):
        out = [est.predict(X), est.predict(X.iloc[:7], X.iloc[7:])]
        if hasattr(est, "predict_proba"):
            out.append(est.predict_proba(X))
        return out
    return [est.transform(X)]


@pytest.mark.parametrize(("name", "params"), _CASES)
def test_round_trip_identical_predictions(name, params, data, tmp_path):
    est = _fitted(name, params, data)
    path = save_estimator(est, tmp_path / "m.npz")
    loaded = load_estimator(path)
    assert type(loaded) is type(est)
    assert loaded.get_params(deep=False).keys() == est.get_params(deep=False).keys()
    for a, b in zip(_outputs(est, data[0]), _outputs(loaded, data[0])):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
    # saving the loaded estimator gives the same bytes (stable serialisation)
    again = save_estimator(loaded, tmp_path / "again.npz")
    assert (tmp_path / "m.npz").read_bytes() == open(again, "rb").read()
    # joblib pickling keeps working, on the original and on the loaded one
    buf = io.BytesIO()
    joblib.dump(loaded, buf)
    buf.seek(0)
    for a, b in zip(_outputs(est, data[0]), _outputs(joblib.load(buf), data[0])):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_unfitted_round_trip(tmp_path):
    est = connpredict.models.BilinearRegressor(alpha=2.5, rank=3)
    loaded = load_estimator(save_estimator(est, tmp_path / "u.npz"))
    assert loaded.get_params() == est.get_params()


def test_metadata_records_genes_space_and_version(data, tmp_path):
    est = _fitted("BilinearRegressor", {}, data)
    path = save_estimator(est, tmp_path / "m.npz", info={"dataset": "synthetic"})
    meta = read_metadata(path)
    assert meta["format_version"] == _io.FORMAT_VERSION
    assert meta["connpredict_version"] == connpredict.__version__
    genes = [c for c in data[0].columns if c not in ("x", "y", "z")]
    assert meta["info"]["genes"] == genes
    assert meta["info"]["coordinates"] == ["x", "y", "z"]
    assert meta["info"]["coordinate_space"] == "MNI152"
    assert meta["info"]["dataset"] == "synthetic"
    # a plain numpy reader sees the arrays without pickle
    with np.load(path, allow_pickle=False) as npz:
        assert "__meta__" in npz.files


def _rewrite(path, edit):
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    edit(members)
    with zipfile.ZipFile(path, "w") as zf:
        for n, raw in members.items():
            zf.writestr(n, raw)


def test_tampered_file_is_refused(data, tmp_path):
    path = save_estimator(_fitted("BilinearRegressor", {}, data), tmp_path / "m.npz")

    def flip(members):
        name = next(n for n in sorted(members) if n.startswith("a"))
        raw = bytearray(members[name])
        raw[-1] ^= 0xFF
        members[name] = bytes(raw)

    _rewrite(path, flip)
    with pytest.raises(ValueError, match="integrity check"):
        load_estimator(path)


def test_truncated_file_is_refused(data, tmp_path):
    path = save_estimator(_fitted("BilinearRegressor", {}, data), tmp_path / "m.npz")
    raw = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="not a saved connpredict estimator"):
        load_estimator(path)


def _resign(members, edit_meta):
    meta = json.loads(bytes(np.load(io.BytesIO(members[_io._META]))).decode())
    edit_meta(meta)
    text = json.dumps(meta).encode()
    members[_io._META] = _io._npy_bytes(np.frombuffer(text, dtype=np.uint8))
    del members[_io._SUM]
    digest = _io._digest(members).encode()
    members[_io._SUM] = _io._npy_bytes(np.frombuffer(digest, dtype=np.uint8))


def test_other_format_version_is_refused(data, tmp_path):
    path = save_estimator(_fitted("BilinearRegressor", {}, data), tmp_path / "m.npz")
    _rewrite(path, lambda m: _resign(m, lambda meta: meta.update(format_version=99)))
    with pytest.raises(ValueError, match="format version 99"):
        load_estimator(path)


def test_unregistered_class_is_never_instantiated(data, tmp_path):
    path = save_estimator(_fitted("BilinearRegressor", {}, data), tmp_path / "m.npz")

    def evil(meta):
        meta["estimator"]["__estimator__"] = "os.system"

    _rewrite(path, lambda m: _resign(m, evil))
    with pytest.raises(ValueError, match="not a registered connpredict estimator"):
        load_estimator(path)


def _resum(members):
    """Recompute the stored checksum, as anyone editing a file can."""
    members.pop(_io._SUM, None)
    digest = _io._digest(members).encode()
    members[_io._SUM] = _io._npy_bytes(np.frombuffer(digest, dtype=np.uint8))


def test_header_claiming_a_huge_shape_is_refused_before_allocating(data, tmp_path):
    path = save_estimator(_fitted("BilinearRegressor", {}, data), tmp_path / "m.npz")

    def huge(members):
        name = next(n for n in sorted(members) if n.startswith("a"))
        raw = members[name]
        # a valid .npy header declaring 10**12 float64 (8 TB), over 8 bytes
        buf = io.BytesIO()
        header = {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
        np.lib.format.write_array_header_1_0(buf, header)
        members[name] = buf.getvalue() + raw[-8:]
        _resum(members)

    _rewrite(path, huge)
    with pytest.raises(ValueError, match=r"declares shape \(1000000000000,\)"):
        load_estimator(path)


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_unknown_extra_member_is_refused_unread(data, tmp_path, compression):
    path = save_estimator(_fitted("BilinearRegressor", {}, data), tmp_path / "m.npz")
    # 20 MB of zeros, a few kB compressed: refused by name, never decompressed
    with zipfile.ZipFile(path, "a", compression=compression) as zf:
        zf.writestr("extra.npy", b"\0" * 20_000_000)
    calls = []
    real_read = zipfile.ZipFile.read

    def spy(self, name, *args, **kwargs):
        calls.append(name)
        return real_read(self, name, *args, **kwargs)

    import unittest.mock

    with unittest.mock.patch.object(zipfile.ZipFile, "read", spy):
        with pytest.raises(ValueError, match=r"member\(s\) \['extra.npy'\]"):
            load_estimator(path)
    assert calls == []  # nothing read before the member list was checked


def test_compressed_known_member_is_refused(data, tmp_path):
    path = save_estimator(_fitted("BilinearRegressor", {}, data), tmp_path / "m.npz")
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n, raw in members.items():
            zf.writestr(n, raw)
    with pytest.raises(ValueError, match="compressed member"):
        load_estimator(path)


def test_unsavable_objects_raise_type_error(tmp_path):
    est = connpredict.models.BilinearRegressor(random_state=np.random.RandomState(0))
    with pytest.raises(TypeError, match="RandomState"):
        save_estimator(est, tmp_path / "m.npz")
    with pytest.raises(TypeError, match="registered connpredict estimators"):
        save_estimator(object(), tmp_path / "m.npz")


# -- region encoders and gradient positions (issue 23) -------------------------

_SMALL = {"token_size": 4, "d_model": 8, "n_heads": 2, "n_layers": 1}


@pytest.fixture(scope="module")
def encoded():
    """A synthetic dataset and a region encoder pretrained on its expression."""
    pytest.importorskip("torch")
    from connpredict.models import pretrain_region_encoder

    ds = make_synthetic_connectome(n_regions=20, n_genes=10, random_state=4)
    enc = pretrain_region_encoder(
        ds.X, objective="network", n_modules=2, max_iter=2, random_state=0, **_SMALL
    )
    return ds.X, ds.Y, enc


def _neural(name, **kw):
    params = {"max_iter": 2, "n_ensemble": 2, "random_state": 0}
    if name == "SMTRegressor":
        params.update(head_dims=(8,), **_SMALL)
    else:
        params.update(hidden_dims=(8,))
    params.update(kw)
    return getattr(connpredict.models, name)(**params)


def _assert_same_predictions(est, loaded, X):
    for a, b in zip(_outputs(est, X), _outputs(loaded, X)):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-12, atol=0)


def test_region_encoder_round_trip_and_reproducible_file(encoded, tmp_path):
    X, _, enc = encoded
    path = save_estimator(enc, tmp_path / "enc.npz")
    loaded = load_estimator(path)
    assert type(loaded) is type(enc)
    assert loaded.get_params() == enc.get_params()
    np.testing.assert_allclose(loaded.transform(X), enc.transform(X), rtol=1e-12)
    assert list(loaded.genes_) == list(enc.genes_)
    np.testing.assert_array_equal(loaded.token_modules_, enc.token_modules_)
    for key, value in enc.encoder_state_.items():
        assert loaded.encoder_state_[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded.encoder_state_[key], value)
    # wall-clock timings are not stored: NaN after loading, losses kept
    assert np.isnan(loaded.fit_seconds_) and np.isnan(loaded.cpu_seconds_)
    assert [h["loss"] for h in loaded.history_] == [h["loss"] for h in enc.history_]
    assert read_metadata(path)["info"]["genes"] == list(enc.genes_)
    # the same pretraining gives the same bytes, whatever its duration
    from connpredict.models import pretrain_region_encoder

    twin = pretrain_region_encoder(
        X, objective="network", n_modules=2, max_iter=2, random_state=0, **_SMALL
    )
    again = save_estimator(twin, tmp_path / "twin.npz")
    assert open(path, "rb").read() == open(again, "rb").read()
    resaved = save_estimator(loaded, tmp_path / "resaved.npz")
    assert open(path, "rb").read() == open(resaved, "rb").read()
    # an unfitted encoder keeps its parameters
    fresh = type(enc)("jepa", max_iter=3, **_SMALL)
    back = load_estimator(save_estimator(fresh, tmp_path / "fresh.npz"))
    assert back.get_params() == fresh.get_params()
    assert not hasattr(back, "encoder_state_")


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("SMTRegressor", {"freeze": True}),
        ("SMTRegressor", {"freeze": False}),
        ("PairMLPRegressor", {"freeze": True}),
        ("PairMLPRegressor", {"freeze": False}),
        ("PairMLPRegressor", {"freeze": False, "architecture": "shared"}),
        ("PairMLPClassifier", {"freeze": False}),
    ],
)
def test_estimators_with_an_encoder_round_trip(encoded, tmp_path, name, kw):
    X, Y, enc = encoded
    params = dict(kw)
    if name == "SMTRegressor":
        params.update(enc.smt_params())
    if name.endswith("Classifier"):
        Y = (Y > np.median(Y.to_numpy())) * 1.0
    est = _neural(name, encoder=enc, **params).fit(X.iloc[:14], Y.iloc[:14])
    path = save_estimator(est, tmp_path / "m.npz")
    loaded = load_estimator(path)
    assert type(loaded.net_.module_) is type(est.net_.module_)
    assert len(loaded.nets_) == 2
    _assert_same_predictions(est, loaded, X)
    assert isinstance(loaded.encoder_, type(enc))
    np.testing.assert_allclose(loaded.encoder_.transform(X), enc.transform(X))
    resaved = save_estimator(loaded, tmp_path / "again.npz")
    assert open(path, "rb").read() == open(resaved, "rb").read()
    # the loaded model refits like the original (clone keeps its encoder)
    from sklearn.base import clone

    refit = clone(loaded).fit(X.iloc[:14], Y.iloc[:14])
    np.testing.assert_allclose(refit.predict(X), est.predict(X), rtol=1e-6)


def test_encoder_pretrained_inside_fit_round_trips(encoded, tmp_path):
    X, Y, enc = encoded
    unfitted = type(enc)(max_iter=1, random_state=0, **_SMALL)
    est = _neural("PairMLPRegressor", encoder=unfitted).fit(X.iloc[:14], Y.iloc[:14])
    loaded = load_estimator(save_estimator(est, tmp_path / "m.npz"))
    _assert_same_predictions(est, loaded, X)
    assert not hasattr(loaded.encoder, "encoder_state_")  # still inductive
    assert loaded.encoder_.corpus_sizes_ == [14]


@pytest.mark.parametrize("name", ["SMTRegressor", "PairMLPRegressor"])
@pytest.mark.parametrize("mode", ["gradients", "both"])
def test_expression_gradient_positions_round_trip(encoded, tmp_path, name, mode):
    X, Y, _ = encoded
    est = _neural(name, region_position=mode, gradients="expression", n_gradients=2)
    est.fit(X.iloc[:14], Y.iloc[:14])
    loaded = load_estimator(save_estimator(est, tmp_path / "m.npz"))
    _assert_same_predictions(est, loaded, X)
    # the held-out regions are placed by the stored diffusion map
    np.testing.assert_array_equal(
        loaded.gradient_model_.embedding_, est.gradient_model_.embedding_
    )
    np.testing.assert_array_equal(loaded._tensors(X)[1], est._tensors(X)[1])
    # the training expression is what places new regions: not droppable
    with pytest.raises(ValueError, match="training_data=True"):
        save_estimator(est, tmp_path / "small.npz", training_data=False)


def test_user_gradients_and_encoder_without_training_data(encoded, tmp_path):
    X, Y, enc = encoded
    G = pd.DataFrame(np.random.default_rng(0).normal(size=(len(X), 3)), index=X.index)
    est = _neural(
        "PairMLPRegressor", encoder=enc, region_position="both", gradients=G
    ).fit(X.iloc[:14], Y.iloc[:14])
    loaded = load_estimator(
        save_estimator(est, tmp_path / "m.npz", training_data=False)
    )
    assert not hasattr(loaded, "X_train_")
    pd.testing.assert_frame_equal(loaded.gradients, G)
    np.testing.assert_allclose(loaded.predict(X), est.predict(X), rtol=1e-12)


def test_tampered_encoder_weights_are_refused(encoded, tmp_path):
    X, Y, enc = encoded
    est = _neural("PairMLPRegressor", encoder=enc).fit(X, Y)
    path = save_estimator(est, tmp_path / "m.npz")
    meta = json.loads(bytes(np.load(path)["__meta__"]).decode())
    tensors = re.findall(r'"__tensor__":\s*"(a[0-9]+)"', json.dumps(meta))
    assert tensors  # the encoder's weights are stored as tensors

    def flip(members):
        raw = bytearray(members[f"{tensors[0]}.npy"])
        raw[-1] ^= 0xFF
        members[f"{tensors[0]}.npy"] = bytes(raw)

    _rewrite(path, flip)
    with pytest.raises(ValueError, match="integrity check"):
        load_estimator(path)

"""Round trips of save_estimator / load_estimator for every registered model."""

import io
import json
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

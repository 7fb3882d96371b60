"""The dataset spec table, pinned upstream URLs and ``cache_status``."""

import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest

from connpredict.datasets import (
    cache_status,
    dataset_files,
    dataset_names,
    load_dataset,
)
from connpredict.datasets._fetch import upstream_url
from connpredict.datasets._registry import CHECKSUMS, DATASETS, SOURCES, upstream_urls

DATA = os.environ.get("CONNPREDICT_DATA")
needs_data = pytest.mark.skipif(
    not DATA or not Path(DATA, "SHA256SUMS").is_file(),
    reason="CONNPREDICT_DATA is unset or lacks SHA256SUMS (real-data test)",
)


def test_names_come_from_the_table():
    assert dataset_names() == list(DATASETS)
    assert dataset_names()[0] == "synthetic"
    assert {f"hcp-schaefer{n}" for n in (100, 200, 300, 400)} <= set(DATASETS)


def test_every_option_resolves_to_registered_files():
    for spec in DATASETS.values():
        for target in spec.targets:
            for stability in spec.expression or [None]:
                files = dataset_files(spec.name, target=target, stability=stability)
                assert all(k in CHECKSUMS for k in files)
                assert set(files) <= set(spec.checksums)
        assert dataset_files(spec.name) == spec.files()
    assert dataset_files("synthetic") == []
    assert len(CHECKSUMS) == 22 + 4  # + gene lists and Schaefer-400 cell types
    assert all(re.fullmatch(r"[0-9a-f]{64}", sha) for sha in CHECKSUMS.values())


def test_urls_are_pinned_to_commits_with_branch_fallback():
    key = "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/x.csv"
    first, fallback = upstream_urls(key)
    commit = SOURCES["ENIGMA"].commit
    assert re.fullmatch(r"[0-9a-f]{40}", commit)
    assert first == (
        "https://raw.githubusercontent.com/MICA-MNI/ENIGMA/"
        f"{commit}/enigmatoolbox/datasets/matrices/hcp_connectivity/x.csv"
    )
    assert fallback.endswith("/MICA-MNI/ENIGMA/master/" + key.split("/", 1)[1])
    assert upstream_url(key) == first
    for k in CHECKSUMS:
        assert "/master/" not in upstream_url(k)
    with pytest.raises(KeyError, match="nowhere"):
        upstream_urls("nowhere/file.csv")


def test_option_errors_name_the_allowed_values():
    with pytest.raises(ValueError, match=r"stability thresholds: 0\.6\.$"):
        dataset_files("hcp-schaefer300", stability=0.8)
    with pytest.raises(ValueError, match="target must be 'fc' or 'sc'"):
        dataset_files("hcp-schaefer100", target="dti")
    with pytest.raises(ValueError, match="target must be 'fc' for synthetic"):
        load_dataset("synthetic", target="sc")
    with pytest.raises(ValueError, match="Unknown dataset 'nope'; choose one of"):
        dataset_files("nope")


@needs_data
def test_checksums_match_the_data_home_manifest():
    """Every registered checksum equals the data home's SHA256SUMS entry."""
    manifest = {}
    for line in Path(DATA, "SHA256SUMS").read_text().splitlines():
        sha, path = line.split(maxsplit=1)
        manifest[path.removeprefix("./")] = sha
    for key, sha in CHECKSUMS.items():
        assert manifest[key] == sha, key


def _populate(home, keys):
    for key in keys:
        dest = home / key
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(DATA, key), dest)


def test_cache_status_of_an_empty_home(tmp_path):
    status = cache_status(tmp_path)
    assert list(status.index) == dataset_names()
    assert status.loc["synthetic", "status"] == "embedded"
    assert bool(status.loc["synthetic", "default_ready"])
    assert status.loc["synthetic", "n_files"] == 0
    for name in dataset_names()[1:]:
        row = status.loc[name]
        assert row["status"] == "not cached"
        assert row["n_cached"] == 0
        assert row["n_files"] == len(DATASETS[name].checksums)
        assert sorted(row["missing"]) == sorted(DATASETS[name].checksums)
        assert not row["default_ready"]


@needs_data
def test_cache_status_partial_cached_corrupted(tmp_path):
    spec = DATASETS["hcp-schaefer100"]
    default = spec.files()
    _populate(tmp_path, default)
    status = cache_status(tmp_path)
    row = status.loc["hcp-schaefer100"]
    assert row["status"] == "partial"
    assert bool(row["default_ready"])
    assert row["n_cached"] == len(default)
    expected_mb = sum(Path(DATA, k).stat().st_size for k in default) / 1e6
    assert row["size_mb"] == pytest.approx(expected_mb, abs=0.01)
    assert set(row["missing"]) == set(spec.checksums) - set(default)

    _populate(tmp_path, spec.checksums)
    assert cache_status(tmp_path).loc["hcp-schaefer100", "status"] == "cached"

    # a tampered file: corrupted, unless checksums are skipped
    victim = tmp_path / default[1]
    victim.write_bytes(victim.read_bytes() + b"0")
    assert hashlib.sha256(victim.read_bytes()).hexdigest() != CHECKSUMS[default[1]]
    row = cache_status(tmp_path).loc["hcp-schaefer100"]
    assert row["status"] == "corrupted"
    assert row["corrupted"] == [default[1]]
    assert not row["default_ready"]
    quick = cache_status(tmp_path, verify=False).loc["hcp-schaefer100"]
    assert quick["status"] == "cached"


@needs_data
def test_a_new_dataset_is_one_entry(monkeypatch, tmp_path):
    """Registering a dataset touches only the spec table.

    The new entry reuses the Schaefer-100 files under another name; the
    loaders, ``dataset_names``, ``dataset_files`` and ``cache_status`` pick
    it up with no other edit.
    """
    import dataclasses
    from types import MappingProxyType

    from connpredict.datasets import _registry

    entry = dataclasses.replace(DATASETS["hcp-schaefer100"], name="hcp-test")
    monkeypatch.setattr(
        _registry, "DATASETS", MappingProxyType({**DATASETS, "hcp-test": entry})
    )
    assert dataset_names()[-1] == "hcp-test"
    assert dataset_files("hcp-test") == dataset_files("hcp-schaefer100")
    new = load_dataset("hcp-test", download_if_missing=False)
    ref = load_dataset("hcp-schaefer100", download_if_missing=False)
    assert new.name == "hcp-test"
    assert new.X.equals(ref.X) and new.Y.equals(ref.Y)
    assert "hcp-test" in new.DESCR
    status = cache_status(DATA)
    assert status.loc["hcp-test", "status"] == "cached"
    assert cache_status(tmp_path).loc["hcp-test", "status"] == "not cached"

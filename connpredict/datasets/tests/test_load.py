"""Real-data loaders, against the populated data home in CONNPREDICT_DATA."""

import http.server
import os
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from connpredict.datasets import (
    dataset_files,
    genomic_order,
    get_data_home,
    load_dataset,
    load_region_table,
)

DATA = os.environ.get("CONNPREDICT_DATA")
HCP = "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/"
needs_data = pytest.mark.skipif(
    not DATA or not Path(DATA, HCP).is_dir(),
    reason="CONNPREDICT_DATA is unset or lacks the ENIGMA files (real-data test)",
)
pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def s100():
    return load_dataset("hcp-schaefer100", download_if_missing=False)


@needs_data
def test_schaefer100_shapes_and_alignment(s100):
    X, Y = s100.X, s100.Y
    assert X.shape == (114, 813)
    assert list(X.columns[-3:]) == ["x", "y", "z"]
    assert Y.shape == (114, 114)
    assert X.index.equals(Y.index) and Y.index.equals(Y.columns)
    labels = Path(DATA, HCP, "funcLabels_with_sctx_schaefer_100.csv").read_text()
    assert list(X.index) == labels.strip().split(",")
    np.testing.assert_array_equal(Y.to_numpy(), Y.to_numpy().T)
    raw = np.loadtxt(
        Path(DATA, HCP, "funcMatrix_with_ctx_schaefer_100.csv"), delimiter=","
    )
    np.testing.assert_array_equal(Y.to_numpy(), raw)
    assert s100.regions.index.equals(X.index)
    assert (s100.regions["structure"] == "subcortex").sum() == 14
    assert s100.missing_regions == []


@needs_data
def test_expression_values_match_file_in_genomic_order(s100):
    raw = pd.read_csv(
        Path(DATA, "enigma-extra/ahba/allgenes_stable_r0.6_schaefer_100.csv")
    ).set_index("label")
    genes = s100.genes
    assert sorted(genes) == sorted(raw.columns)
    pd.testing.assert_frame_equal(
        s100.X[genes], raw[genes], check_names=False, check_index_type=False
    )
    assert genes == genomic_order(raw.columns)[0]
    assert 0 <= s100.n_genes_unplaced < len(genes)


@needs_data
def test_schaefer400_drops_regions_without_expression():
    ds = load_dataset("hcp-schaefer400", download_if_missing=False)
    assert ds.X.shape[0] == 365
    assert len(ds.missing_regions) == 49
    assert ds.Y.shape == (365, 365)
    assert not ds.X.isna().any().any()
    assert ds.regions.index.equals(ds.X.index)
    kept = load_dataset("hcp-schaefer400", missing="keep", download_if_missing=False)
    assert kept.X.shape[0] == 414
    genes = kept.X[kept.genes]
    assert genes.isna().all(axis=1).sum() == 49
    assert set(genes.index[genes.isna().all(axis=1)]) == set(ds.missing_regions)


@needs_data
def test_options_subcortex_target_stability():
    ctx = load_dataset("hcp-schaefer100", subcortex=False, download_if_missing=False)
    assert ctx.X.shape[0] == 100
    assert (ctx.regions["structure"] == "cortex").all()
    sc = load_dataset("hcp-schaefer100", target="sc", download_if_missing=False)
    raw = np.loadtxt(
        Path(DATA, HCP, "strucMatrix_with_sctx_schaefer_100.csv"), delimiter=","
    )
    np.testing.assert_array_equal(sc.Y.to_numpy(), raw)
    s08 = load_dataset("hcp-schaefer100", stability=0.8, download_if_missing=False)
    assert s08.X.shape == (114, 34 + 3)


def test_bad_options():
    with pytest.raises(ValueError, match="stability"):
        dataset_files("hcp-schaefer200", stability=0.8)
    with pytest.raises(ValueError, match="target"):
        dataset_files("hcp-schaefer100", target="dti")
    with pytest.raises(ValueError, match="missing"):
        load_dataset("hcp-schaefer100", missing="impute")
    with pytest.raises(ValueError, match="Unknown dataset"):
        load_dataset("schaefer100")


def test_missing_file_offline_error(tmp_path):
    with pytest.raises(OSError, match=r"allgenes_stable_r0\.6_schaefer_100\.csv"):
        load_dataset("hcp-schaefer100", data_home=tmp_path, download_if_missing=False)


def test_region_tables_shipped():
    for n in (100, 200, 300, 400):
        table = load_region_table(n)
        assert table.shape[0] == n + 14
        assert {"hemisphere", "structure", "network", "x", "y", "z"} <= set(
            table.columns
        )


def _serve(root):
    """Serve ``root`` over HTTP on localhost; return (server, base URL)."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))

    class Quiet(handler.func):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Quiet, directory=str(root))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


def _mirror(tmp_path, monkeypatch, ref):
    """A local copy of GitHub's raw layout ``<owner>/<repo>/<ref>/<path>``.

    Each source's folder of the data home is linked at ``ref`` of its
    repository, and the registry's sources are pointed at the local server.
    """
    import dataclasses

    from connpredict.datasets import _registry

    root = tmp_path / "mirror"
    for key, source in _registry.SOURCES.items():
        link = root / source.repository / getattr(source, ref)
        link.parent.mkdir(parents=True, exist_ok=True)
        # the data home as the library resolves it: absolute, so the link
        # works whatever the working directory (README gives a relative one)
        link.symlink_to(get_data_home(DATA) / key, target_is_directory=True)
    httpd, base = _serve(root)
    monkeypatch.setattr(
        _registry,
        "SOURCES",
        {
            k: dataclasses.replace(s, base_url=base)
            for k, s in _registry.SOURCES.items()
        },
    )
    return httpd


@needs_data
@pytest.mark.parametrize("ref", ["commit", "branch"])
def test_download_into_empty_home_from_local_mirror(tmp_path, monkeypatch, ref):
    """The whole fetch path: files come from a local HTTP mirror, verified.

    ``ref="commit"``: the mirror has the pinned commit, the first URL tried.
    ``ref="branch"``: the pinned URL answers 404 and the branch serves the
    file (the checksum still decides).
    """
    httpd = _mirror(tmp_path, monkeypatch, ref)
    home = tmp_path / "home"
    try:
        ds = load_dataset("hcp-schaefer100", data_home=home)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert ds.X.shape == (114, 813)
    for key in dataset_files("hcp-schaefer100"):
        assert (home / key).read_bytes() == Path(DATA, key).read_bytes()

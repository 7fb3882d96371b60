"""Tests of the shipped region and gene-position tables and of the abagen shim."""

import os
import re
import sys
import textwrap
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from connpredict.datasets._abagen_compat import import_abagen, make_pkg_resources_shim

SCALES = [100, 200, 300, 400]
NETWORKS = ["Vis", "SomMot", "DorsAttn", "SalVentAttn", "Limbic", "Cont", "Default"]
SUBCORTEX = [
    f"{h}{s}"
    for h in "LR"
    for s in ["accumb", "amyg", "caud", "hippo", "pal", "put", "thal"]
]
REGION_COLUMNS = [
    "label",
    "hemisphere",
    "structure",
    "network",
    "x",
    "y",
    "z",
    "sphere_x",
    "sphere_y",
    "sphere_z",
]
CHROMOSOMES = [str(i) for i in range(1, 23)] + ["X", "Y", "MT"]

DATA_HOME = os.environ.get("CONNPREDICT_DATA")
needs_data = pytest.mark.skipif(
    not DATA_HOME, reason="set CONNPREDICT_DATA to a populated data home (real data)"
)
HCP_DIR = Path("ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity")


def _shipped(name):
    return resources.files("connpredict.datasets") / "data" / name


def _region_table(n):
    with resources.as_file(_shipped(f"regions_schaefer{n}.csv")) as path:
        return pd.read_csv(path)


def _gene_table():
    with resources.as_file(_shipped("gene_positions_hg38.csv.gz")) as path:
        return pd.read_csv(path, dtype={"chromosome": str})


# --------------------------------------------------------------------------
# region tables


@pytest.mark.parametrize("n", SCALES)
def test_region_table_shape_and_order(n):
    table = _region_table(n)
    assert list(table.columns) == REGION_COLUMNS
    assert len(table) == n + 14
    assert table["label"].is_unique
    assert (table["structure"].iloc[:n] == "cortex").all()
    assert (table["structure"].iloc[n:] == "subcortex").all()
    assert table["label"].iloc[n:].tolist() == SUBCORTEX
    # cortex: all left-hemisphere parcels first, numbered 1.. within each network
    assert (table["hemisphere"].iloc[: n // 2] == "L").all()
    assert (table["hemisphere"].iloc[n // 2 : n] == "R").all()


@pytest.mark.parametrize("n", SCALES)
def test_region_table_columns_parsed_from_labels(n):
    table = _region_table(n)
    pattern = re.compile(r"^7Networks_(LH|RH)_([A-Za-z]+)_")
    for row in table.itertuples():
        match = pattern.match(row.label)
        if row.structure == "cortex":
            assert match is not None, row.label
            assert row.hemisphere == match.group(1)[0]
            assert row.network == match.group(2)
        else:
            assert match is None
            assert row.hemisphere == row.label[0]
            assert row.network == "Subcortical"
    cortex = table[table["structure"] == "cortex"]
    for hemi in "LR":
        # every Yeo-7 network in each hemisphere, networks in contiguous blocks
        nets = cortex.loc[cortex["hemisphere"] == hemi, "network"].tolist()
        blocks = [k for i, k in enumerate(nets) if i == 0 or nets[i - 1] != k]
        assert blocks == NETWORKS


@pytest.mark.parametrize("n", SCALES)
def test_region_table_coordinates(n):
    table = _region_table(n)
    xyz = table[["x", "y", "z"]].to_numpy(float)
    assert np.isfinite(xyz).all()
    # hemisphere agrees with the side of the midline (cortex and subcortex)
    np.testing.assert_array_equal(xyz[:, 0] < 0, table["hemisphere"] == "L")
    # inside an MNI brain bounding box
    assert (np.abs(xyz[:, 0]) < 75).all()
    assert ((xyz[:, 1] > -110) & (xyz[:, 1] < 75)).all()
    assert ((xyz[:, 2] > -50) & (xyz[:, 2] < 85)).all()
    # no two regions share a centroid
    d = np.linalg.norm(xyz[:, None] - xyz[None], axis=2)
    assert d[np.triu_indices(len(xyz), 1)].min() > 1.0


@pytest.mark.parametrize("n", SCALES)
def test_region_table_sphere(n):
    table = _region_table(n)
    sph = table[["sphere_x", "sphere_y", "sphere_z"]].to_numpy(float)
    cortex = (table["structure"] == "cortex").to_numpy()
    np.testing.assert_allclose(np.linalg.norm(sph[cortex], axis=1), 1.0, atol=1e-5)
    assert np.isnan(sph[~cortex]).all()
    # distinct directions within each hemisphere's sphere
    for hemi in "LR":
        s = sph[cortex & (table["hemisphere"] == hemi).to_numpy()]
        cos = s @ s.T
        assert cos[np.triu_indices(len(s), 1)].max() < 0.9999


def test_region_tables_agree_across_scales():
    # the 14 subcortical rows are the same at every scale
    first = _region_table(100).iloc[100:].reset_index(drop=True)
    for n in SCALES[1:]:
        other = _region_table(n).iloc[n:].reset_index(drop=True)
        pd.testing.assert_frame_equal(first, other)


@needs_data
@pytest.mark.realdata
@pytest.mark.parametrize("n", SCALES)
def test_region_labels_equal_enigma_order(n):
    fname = Path(DATA_HOME) / HCP_DIR / f"funcLabels_with_sctx_schaefer_{n}.csv"
    labels = [s.strip() for s in re.split(r"[,\n]", fname.read_text()) if s.strip()]
    assert _region_table(n)["label"].tolist() == labels
    expr = (
        Path(DATA_HOME) / "enigma-extra/ahba" / f"allgenes_stable_r0.6_schaefer_{n}.csv"
    )
    assert pd.read_csv(expr, usecols=["label"])["label"].tolist() == labels


@needs_data
@pytest.mark.realdata
@pytest.mark.parametrize(
    ("n", "atlas"),
    [
        (100, "atlas-4S156Parcels_dseg_reformatted.csv"),
        (400, "atlas-4S456Parcels_dseg_reformatted.csv"),
    ],
)
def test_cortical_centroids_match_geneex2conn_atlas(n, atlas):
    # an independent set of MNI centroids of the same Schaefer parcels
    ref = pd.read_csv(Path(DATA_HOME) / "GeneEx2Conn/data/atlases" / atlas)
    ref = ref[ref["structure"] == "cortex"].set_index("label_7network")
    table = _region_table(n).set_index("label").iloc[:n]
    ref = ref.loc[table.index]
    assert (ref["network_label"] == table["network"]).all()
    assert (ref["hemisphere"] == table["hemisphere"]).all()
    diff = (
        table[["x", "y", "z"]].to_numpy() - ref[["mni_x", "mni_y", "mni_z"]].to_numpy()
    )
    dist = np.linalg.norm(diff, axis=1)
    assert np.median(dist) < 4.0
    assert dist.max() < 12.0


# --------------------------------------------------------------------------
# gene positions


def test_gene_table_format():
    genes = _gene_table()
    assert list(genes.columns) == ["symbol", "chromosome", "start"]
    assert genes["symbol"].is_unique
    assert genes["symbol"].notna().all()
    assert genes["chromosome"].isin(CHROMOSOMES).all()
    assert pd.api.types.is_integer_dtype(genes["start"])
    assert (genes["start"] > 0).all()
    # chromosome 1 (the longest) is about 248.9 Mb
    assert (genes["start"] < 250_000_000).all()
    assert 500 < len(genes) < 5000
    # rows are in genomic order
    key = list(zip(genes["chromosome"].map(CHROMOSOMES.index), genes["start"]))
    assert key == sorted(key)


def test_gene_table_known_positions():
    genes = _gene_table().set_index("symbol")
    # well-known AHBA genes (GRCh38 gene spans): chromosome, and the TSS at the
    # 5' end (the start on the + strand, the end on the - strand)
    for symbol, chrom, tss in [
        ("AR", "X", 67_544_021),  # + strand
        ("PVALB", "22", 36_819_479),  # - strand, spans 36.80-36.82 Mb
        ("SCN1A", "2", 166_149_214),  # - strand, spans 165.98-166.15 Mb
    ]:
        assert genes.loc[symbol, "chromosome"] == chrom
        assert abs(genes.loc[symbol, "start"] - tss) < 5_000


def test_shipped_files_are_small():
    names = [f"regions_schaefer{n}.csv" for n in SCALES] + [
        "gene_positions_hg38.csv.gz"
    ]
    total = 0
    for name in names:
        with resources.as_file(_shipped(name)) as path:
            total += path.stat().st_size
    assert total < 300_000


@needs_data
@pytest.mark.realdata
def test_gene_table_covers_ahba_genes():
    genes = set(_gene_table()["symbol"])
    files = sorted((Path(DATA_HOME) / "enigma-extra/ahba").glob("*.csv"))
    assert files
    ahba = set()
    for fname in files:
        ahba.update(c for c in pd.read_csv(fname, nrows=0).columns if c != "label")
    assert genes <= ahba  # only AHBA genes are shipped
    assert len(genes) >= 0.95 * len(ahba)


# --------------------------------------------------------------------------
# pkg_resources shim and import_abagen


def test_shim_resource_functions_on_real_package():
    shim = make_pkg_resources_shim()
    assert shim.__name__ == "pkg_resources"
    expected = (
        resources.files("connpredict.datasets") / "data" / "regions_schaefer100.csv"
    )
    path = shim.resource_filename(
        "connpredict", "datasets/data/regions_schaefer100.csv"
    )
    assert Path(path) == Path(str(expected))
    assert Path(path).is_file()
    assert (
        shim.resource_string("connpredict.datasets", "data/regions_schaefer100.csv")
        == Path(path).read_bytes()
    )
    with shim.resource_stream(
        "connpredict", "datasets/data/regions_schaefer100.csv"
    ) as fh:
        assert fh.read(5) == b"label"
    assert shim.resource_exists("connpredict", "datasets/data")
    assert not shim.resource_exists("connpredict", "datasets/data/nope.csv")
    # a module object is accepted; a plain module resolves to its package
    import connpredict.datasets._abagen_compat as compat

    assert shim.resource_filename(compat, "data") == str(
        resources.files("connpredict.datasets") / "data"
    )
    with pytest.raises(TypeError, match="package name"):
        shim.resource_filename(3, "data")


@pytest.fixture
def fake_abagen(tmp_path, monkeypatch):
    """A throw-away package named abagen that imports pkg_resources like abagen."""
    pkg = tmp_path / "abagen"
    (pkg / "data").mkdir(parents=True)
    (pkg / "data" / "atlas.csv").write_text("id,label\n1,x\n")
    (pkg / "__init__.py").write_text(
        textwrap.dedent("""
        from pkg_resources import resource_filename
        __version__ = "0.0-fake"
        ATLAS = resource_filename("abagen", "data/atlas.csv")
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "abagen", raising=False)
    yield pkg
    sys.modules.pop("abagen", None)


def test_import_abagen_installs_and_removes_shim(fake_abagen, monkeypatch):
    # simulate an environment without pkg_resources (recent setuptools)
    monkeypatch.delitem(sys.modules, "pkg_resources", raising=False)
    monkeypatch.setattr(
        "connpredict.datasets._abagen_compat._has_real_pkg_resources", lambda: False
    )
    abagen = import_abagen()
    assert abagen.__version__ == "0.0-fake"
    assert Path(abagen.ATLAS) == fake_abagen / "data" / "atlas.csv"
    assert Path(abagen.ATLAS).read_text().startswith("id,label")
    # the stand-in does not outlive the import
    assert "pkg_resources" not in sys.modules
    # a second call returns the module already imported
    assert import_abagen() is abagen


def test_import_abagen_missing_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "abagen", None)  # makes `import abagen` fail
    with pytest.raises(ImportError, match=r"pip install connpredict\[ahba\]"):
        import_abagen()

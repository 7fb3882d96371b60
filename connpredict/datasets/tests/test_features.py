"""Targets and feature blocks of load_dataset, against the raw files."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from connpredict.datasets import load_dataset
from connpredict.datasets._features import (
    RESEARCH_THRESHOLDS,
    binarize_connectome,
    scale_connectome,
)

DATA = os.environ.get("CONNPREDICT_DATA")
HCP = "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/"
GX = "GeneEx2Conn/data/enigma/"
needs_data = pytest.mark.skipif(
    not DATA or not Path(DATA, GX).is_dir() or not Path(DATA, HCP).is_dir(),
    reason="CONNPREDICT_DATA is unset or lacks the ENIGMA/GeneEx2Conn files",
)


def _raw_matrix(kind, n):
    prefix = "funcMatrix_with_ctx" if kind == "fc" else "strucMatrix_with_sctx"
    labels = pd.read_csv(
        Path(DATA, HCP, f"funcLabels_with_sctx_schaefer_{n}.csv"), header=None
    ).iloc[0]
    M = np.loadtxt(Path(DATA, HCP, f"{prefix}_schaefer_{n}.csv"), delimiter=",")
    return pd.DataFrame(M, index=list(labels), columns=list(labels))


def test_scale_minmax_matches_formula():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(6, 6))
    Y0 = (A + A.T) / 2
    np.fill_diagonal(Y0, 0.0)
    Y = pd.DataFrame(Y0.copy(), list("abcdef"), list("abcdef"))
    off = ~np.eye(6, dtype=bool)
    lo, hi = Y.values[off].min(), Y.values[off].max()
    S = scale_connectome(Y, "minmax")
    expected = (Y.values - lo) / (hi - lo)
    np.testing.assert_allclose(S.values[off], expected[off])
    assert np.all(np.diag(S.values) == 0.0)
    assert S.values[off].min() == 0.0 and S.values[off].max() == 1.0
    np.testing.assert_array_equal(Y.values, Y0)  # caller's Y untouched
    B = binarize_connectome(Y, 0.1)
    np.testing.assert_array_equal(B.values[off], (Y.values[off] > 0.1).astype(float))


def test_option_errors_before_loading():
    with pytest.raises(ValueError, match="never contain the target"):
        load_dataset("hcp-schaefer100", target="sc", features=("genes", "sc"))
    with pytest.raises(ValueError, match="never contain the target"):
        load_dataset("hcp-schaefer100", features=("fc", "coords"))
    with pytest.raises(ValueError, match="TopVarianceGenes"):
        load_dataset("hcp-schaefer100", genes="top_variance:500")
    with pytest.raises(ValueError, match="Unknown gene list"):
        load_dataset("hcp-schaefer100", genes="brain")
    with pytest.raises(ValueError, match="Unknown feature block"):
        load_dataset("hcp-schaefer100", features=("genes", "pca"))
    with pytest.raises(ValueError, match="Schaefer-400"):
        load_dataset("hcp-schaefer100", features=("genes", "cell_types"))
    with pytest.raises(ValueError, match="subcortex=False"):
        load_dataset("hcp-schaefer400", features=("genes", "cell_types"))
    with pytest.raises(ValueError, match="hemisphere"):
        load_dataset("hcp-schaefer100", hemisphere="LH")
    with pytest.raises(ValueError, match="scale"):
        load_dataset("hcp-schaefer100", scale="zscore")
    with pytest.raises(ValueError, match="binarize"):
        load_dataset("hcp-schaefer100", binarize="yes")
    with pytest.raises(ValueError, match="synthetic"):
        load_dataset("synthetic", hemisphere="left")


def test_synthetic_binarized():
    ds = load_dataset("synthetic", binarize=True)
    raw = load_dataset("synthetic")
    off = ~np.eye(len(raw.Y), dtype=bool)
    expected = (raw.Y.values[off] > RESEARCH_THRESHOLDS["fc"]).astype(float)
    np.testing.assert_array_equal(ds.Y.values[off], expected)


@pytest.mark.parametrize("threshold, every", [(5.0, "0"), (-5.0, "1")])
def test_binarize_outside_the_range_warns(threshold, every):
    raw = load_dataset("synthetic")
    off = ~np.eye(len(raw.Y), dtype=bool)
    lo, hi = raw.Y.values[off].min(), raw.Y.values[off].max()
    assert not lo <= threshold <= hi
    with pytest.warns(UserWarning, match=f"outside .* every pair becomes {every}"):
        ds = load_dataset("synthetic", binarize=threshold)
    assert np.ptp(ds.Y.values[off]) == 0  # the constant target it warns about
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # inside the range: no warning
        load_dataset("synthetic", binarize=float(np.median(raw.Y.values[off])))


@needs_data
@pytest.mark.realdata
def test_sc_target_scaled_and_fc_features():
    ds = load_dataset(
        "hcp-schaefer100",
        target="sc",
        scale="minmax",
        features=("genes", "fc", "coords"),
        download_if_missing=False,
    )
    raw_sc = _raw_matrix("sc", 100).loc[ds.Y.index, ds.Y.index].to_numpy()
    off = ~np.eye(len(raw_sc), dtype=bool)
    lo, hi = raw_sc[off].min(), raw_sc[off].max()
    np.testing.assert_allclose(ds.Y.to_numpy()[off], (raw_sc[off] - lo) / (hi - lo))
    raw_fc = _raw_matrix("fc", 100)
    fc_cols = [c for c in ds.X.columns if c.startswith("fc_")]
    assert fc_cols == [f"fc_{lab}" for lab in ds.X.index]
    np.testing.assert_array_equal(
        ds.X[fc_cols].to_numpy(), raw_fc.loc[ds.X.index, ds.X.index].to_numpy()
    )
    assert list(ds.X.columns[-3:]) == ["x", "y", "z"]
    assert ds.X.columns[0] == ds.genes[0]
    assert ds.X.shape[1] == len(ds.genes) + len(fc_cols) + 3


@needs_data
@pytest.mark.realdata
def test_sc_rows_gene_list_hemisphere_binarized():
    ds = load_dataset(
        "hcp-schaefer200",
        features=("genes", "sc"),
        genes="syngo",
        hemisphere="right",
        binarize=True,
        download_if_missing=False,
    )
    assert set(ds.regions["hemisphere"]) == {"R"}
    full = load_dataset("hcp-schaefer200", download_if_missing=False)
    right = full.regions.index[full.regions["hemisphere"] == "R"]
    assert list(ds.X.index) == list(right)
    syngo = Path(DATA, GX, "gene_lists/syngo.txt").read_text().split()
    assert ds.genes == [g for g in full.genes if g in set(syngo)]
    assert len(ds.genes) + len(ds.genes_not_found) == len(set(syngo))
    np.testing.assert_array_equal(
        ds.X[ds.genes].to_numpy(), full.X.loc[right, ds.genes].to_numpy()
    )
    sc = _raw_matrix("sc", 200).loc[right, right].to_numpy()
    np.testing.assert_array_equal(ds.X.filter(like="sc_").to_numpy(), sc)
    assert "x" not in ds.X.columns
    fc = full.Y.loc[right, right].to_numpy()
    off = ~np.eye(len(fc), dtype=bool)
    np.testing.assert_array_equal(ds.Y.to_numpy()[off], (fc[off] > 0.3).astype(float))
    assert ds.threshold == 0.3


@needs_data
@pytest.mark.realdata
def test_cell_types_schaefer400():
    ds = load_dataset(
        "hcp-schaefer400",
        subcortex=False,
        features=("cell_types", "coords"),
        download_if_missing=False,
    )
    jorstad = pd.read_csv(Path(DATA, GX, "schaef400_Jorstad_cell_types.csv"))
    lake = pd.read_csv(Path(DATA, GX, "schaef400_LakeDFC_cell_types.csv"))
    jorstad = jorstad.set_index("label_7network")
    lake = lake.set_index("label_7network")
    assert ds.X.shape == (351, jorstad.shape[1] + lake.shape[1] + 3)
    np.testing.assert_array_equal(
        ds.X[[f"jorstad_{c}" for c in jorstad.columns]].to_numpy(),
        jorstad.loc[ds.X.index].to_numpy(),
    )
    np.testing.assert_array_equal(
        ds.X[[f"lake_{c}" for c in lake.columns]].to_numpy(),
        lake.loc[ds.X.index].to_numpy(),
    )
    assert not ds.X.isna().any().any()

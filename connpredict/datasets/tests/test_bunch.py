"""One dataset Bunch: every loader returns the same keys (datasets/_bunch.py)."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from connpredict.datasets import (
    DATASET_KEYS,
    load_dataset,
    make_dataset,
    make_synthetic_connectome,
)

DATA = os.environ.get("CONNPREDICT_DATA")
HCP = "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/"


def _user_dataset():
    rng = np.random.default_rng(0)
    labels = [f"r{k}" for k in range(8)]
    expression = pd.DataFrame(rng.random((8, 3)), index=labels, columns=["A", "B", "C"])
    A = rng.normal(size=(8, 8))
    return make_dataset(expression, (A + A.T) / 2)


def test_the_loaders_return_the_same_keys():
    synthetic = make_synthetic_connectome(n_regions=20, n_genes=4, random_state=0)
    registered = load_dataset("synthetic")
    user = _user_dataset()
    for ds in (synthetic, registered, user):
        assert tuple(ds.keys()) == DATASET_KEYS
    # keys users read today keep their values
    assert registered.name == synthetic.name == "synthetic"
    assert user.name == user.target == "user"
    assert registered.target is None and registered.scale is None
    assert set(synthetic.ground_truth) == {
        "Z", "W", "gene_term", "distance_term", "network_term"
    }  # fmt: skip
    assert user.ground_truth is None and user.networks is None
    assert user.connectome_form and synthetic.connectome_form is None
    pd.testing.assert_series_equal(
        synthetic.networks, synthetic.regions["network"], check_names=False
    )
    assert synthetic.missing_regions == [] and user.imputed_regions == {}


@pytest.mark.realdata
@pytest.mark.skipif(
    not DATA or not Path(DATA, HCP).is_dir(),
    reason="CONNPREDICT_DATA is unset or lacks the ENIGMA files (real-data test)",
)
def test_a_downloaded_dataset_has_the_same_keys():
    ds = load_dataset("hcp-schaefer100", download_if_missing=False)
    assert tuple(ds.keys()) == DATASET_KEYS
    assert ds.target == "fc" and ds.threshold is None
    assert ds.networks.equals(ds.regions["network"])

"""Yeo-7 networks for a user's atlas from the nearest Schaefer-400 parcel."""

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from connpredict.datasets import assign_yeo_networks, load_region_table, make_dataset
from connpredict.model_selection import NetworkSplit

# measured with benchmarks/bench_network_assignment.py (cortical regions):
# Schaefer-100 88.0 %, -200 90.5 %, -300 93.3 % agree with their true networks
AGREEMENT = {100: 0.87, 200: 0.90, 300: 0.93}


@pytest.mark.parametrize("n_parcels", sorted(AGREEMENT))
def test_agreement_with_the_true_networks_of_schaefer(n_parcels):
    table = load_region_table(n_parcels)
    cortex = table["structure"] == "cortex"
    got = assign_yeo_networks(table)
    agreement = float((got[cortex] == table["network"][cortex]).mean())
    assert agreement >= AGREEMENT[n_parcels]
    assert (got[~cortex] == "Subcortical").all()
    # the reference onto itself: every parcel is its own nearest
    ref = load_region_table(400)
    assert (assign_yeo_networks(ref) == ref["network"]).all()


def test_nearest_parcel_of_the_same_hemisphere_by_hand():
    ref = load_region_table(400)
    ref = ref[ref["structure"] == "cortex"]
    rng = np.random.default_rng(0)
    xyz = ref[["x", "y", "z"]].to_numpy()[rng.choice(len(ref), 12)]
    xyz = xyz + rng.normal(scale=4.0, size=xyz.shape)
    regions = pd.DataFrame(xyz, [f"p{i}" for i in range(12)], ["x", "y", "z"])
    regions["hemisphere"] = np.where(regions["x"] < 0, "L", "R")
    got = assign_yeo_networks(regions)
    for label, row in regions.iterrows():
        pool = ref[ref["hemisphere"] == row["hemisphere"]]
        d = cdist(row[["x", "y", "z"]].to_numpy(float)[None], pool[["x", "y", "z"]])
        assert got[label] == pool["network"].iloc[int(np.argmin(d))]


def test_far_centroids_warn_with_names_and_bad_input_is_refused():
    regions = pd.DataFrame(
        {"x": [-200.0, 30.0], "y": [0.0, 0.0], "z": [0.0, 40.0],
         "name": ["far-region", "ok"]}, index=[1, 2],
    )  # fmt: skip
    with pytest.warns(UserWarning, match=r"1 region.*1 \(far-region\)"):
        assign_yeo_networks(regions)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['z'\]"):
        assign_yeo_networks(regions.drop(columns="z"))


def test_the_networks_route_of_make_dataset_feeds_network_split():
    table = load_region_table(100)
    table = table.drop(columns="network")  # a user atlas without networks
    rng = np.random.default_rng(0)
    expr = pd.DataFrame(rng.random((len(table), 3)), table.index, ["A", "B", "C"])
    n = len(table)
    ds = make_dataset(expr, rng.random(n * (n - 1) // 2), table)
    assert ds.networks is None
    with pytest.raises(ValueError, match="assign_yeo_networks"):
        list(NetworkSplit().split(ds.X, ds.Y, ds.networks))
    nets = assign_yeo_networks(table)
    ds = make_dataset(expr, rng.random(n * (n - 1) // 2), table, networks=nets)
    folds = list(NetworkSplit().split(ds.X, ds.Y, ds.networks))
    assert len(folds) == 8  # 7 Yeo networks + Subcortical
    for _, test in folds:
        assert ds.networks.iloc[test].nunique() == 1

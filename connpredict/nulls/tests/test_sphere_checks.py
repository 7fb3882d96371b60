"""Sphere centroids of the spin permutations: degenerate ones refused."""

import numpy as np
import pytest

from connpredict.datasets import make_synthetic_connectome
from connpredict.models import BilinearRegressor
from connpredict.nulls import (
    spin_permutations,
    spin_test,
)


@pytest.fixture(scope="module")
def ds():
    return make_synthetic_connectome(n_regions=24, n_genes=6, random_state=0)


# -- sphere centroids -----------------------------------------------------------
def _cortex_regions(ds):
    return ds.regions[ds.regions["structure"] == "cortex"].copy()


@pytest.mark.parametrize(
    "kind, message",
    [
        ("zero", "are all zero"),
        ("same", "are the same point"),
        ("mni", "do not lie on one sphere"),
    ],
)
def test_degenerate_sphere_centroids_refused(ds, kind, message):
    reg = _cortex_regions(ds)
    cols = ["sphere_x", "sphere_y", "sphere_z"]
    if kind == "zero":
        reg[cols] = 0.0
    elif kind == "same":
        reg[cols] = [0.0, 0.6, 0.8]
    else:  # MNI coordinates pasted into the sphere columns
        reg[cols] = reg[["x", "y", "z"]].to_numpy()
    with pytest.raises(ValueError, match=message):
        spin_permutations(reg, 2, random_state=0)
    X = ds.X.loc[reg.index]
    Y = ds.Y.loc[reg.index, reg.index]
    with pytest.raises(ValueError, match=message):
        spin_test(BilinearRegressor(), X, Y, cv=3, n_permutations=2, regions=reg)


def test_sphere_centroids_slightly_inside_the_sphere_accepted(ds):
    reg = _cortex_regions(ds)
    cols = ["sphere_x", "sphere_y", "sphere_z"]
    shrink = np.linspace(0.8, 1.0, len(reg))[:, None]  # averaged parcel centroids
    reg[cols] = reg[cols].to_numpy() * shrink
    assert spin_permutations(reg, 2, random_state=0).shape == (2, len(reg))

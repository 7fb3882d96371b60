"""Tiny folds, groups alignment, missing labels and empty connectomes."""

import warnings

import numpy as np
import pandas as pd
import pytest

from connpredict.model_selection import (
    MIN_TEST_REGIONS,
    CommunitySplit,
    NetworkSplit,
    RandomSplit,
    SpatialSplit,
    check_n_splits,
)


def _regions(n, seed=0):
    rng = np.random.RandomState(seed)
    labels = [f"R{i:02d}" for i in range(n)]
    X = pd.DataFrame(
        np.c_[rng.randn(n, 2), rng.uniform(-60, 60, size=(n, 3))],
        index=labels,
        columns=["g0", "g1", "x", "y", "z"],
    )
    return X


def _min_fold_size(cv, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return min(len(te) for _, te in cv.split(X))


# -- the minimum --------------------------------------------------------------
def test_min_test_regions_is_the_fewest_with_a_defined_pearson_r():
    rng = np.random.RandomState(0)
    for m in range(1, 6):
        n_pairs = m * (m - 1) // 2
        a, b = rng.randn(n_pairs), rng.randn(n_pairs)
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = np.corrcoef(a, b)[0, 1] if n_pairs else np.nan
        assert np.isfinite(r) == (m >= MIN_TEST_REGIONS)
    assert MIN_TEST_REGIONS == 3


# -- check_n_splits -------------------------------------------------------------
@pytest.mark.parametrize("n", [6, 7, 20, 23, 114])
def test_check_n_splits_matches_the_real_fold_sizes(n):
    X = _regions(n)
    for k in range(2, n + 1):
        sizes = [
            _min_fold_size(RandomSplit(k, random_state=0), X),
            _min_fold_size(SpatialSplit(k, random_state=0), X),
            _min_fold_size(SpatialSplit(k, method="kmeans", random_state=0), X),
        ]
        ok = min(sizes) >= MIN_TEST_REGIONS
        if ok:
            assert check_n_splits(k, n) == k
        else:
            with pytest.raises(ValueError, match=rf"n_splits <= {n // 3}\."):
                check_n_splits(k, n)
        if n > 30 and k > 12:  # keep the loop short on the larger atlas
            break


def test_check_n_splits_messages():
    with pytest.raises(
        ValueError,
        match=r"n_splits=50 on 114 regions leaves test "
        r"folds of 2 region\(s\).*at least 3 regions \(3 pairs\)",
    ):
        check_n_splits(50, 114)
    with pytest.raises(ValueError, match="5 regions are too few for 2 folds"):
        check_n_splits(2, 5)
    with pytest.raises(ValueError, match="n_splits must be an integer >= 2"):
        check_n_splits(1, 114)
    for bad in (2.0, "5", True, None):  # the wrong type
        with pytest.raises(TypeError, match="n_splits must be an integer >= 2"):
            check_n_splits(bad, 114)
    assert check_n_splits(np.int64(10), 20, min_test_regions=2) == 10
    with pytest.raises(ValueError, match="min_test_regions"):
        check_n_splits(2, 20, min_test_regions=0)


# -- splitters warn about tiny folds --------------------------------------------
@pytest.mark.parametrize(
    "cv",
    [
        RandomSplit(10, random_state=0),
        SpatialSplit(10, random_state=0),
        SpatialSplit(10, method="kmeans", random_state=0),
    ],
)
def test_tiny_folds_warn(cv):
    X = _regions(20)
    with pytest.warns(UserWarning, match=r"test fold of 2 region.*fewer splits"):
        folds = list(cv.split(X))
    assert len(folds) == 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(cv.set_params(n_splits=6).split(X))  # folds of >= 3: silent


def test_small_network_warns_with_its_own_fix():
    X = _regions(8)
    groups = ["a", "a", "a", "b", "b", "b", "c", "c"]
    with pytest.warns(UserWarning, match=r"fold of 2 region.*Merge small networks"):
        list(NetworkSplit().split(X, groups=groups))


def test_spin_test_on_tiny_random_folds_is_not_significant():
    from connpredict.datasets import make_synthetic_connectome
    from connpredict.models import BilinearRegressor
    from connpredict.nulls import spin_test

    ds = make_synthetic_connectome(n_regions=20, n_genes=5, random_state=0)
    with pytest.warns(UserWarning, match="test fold of 2 region"):
        with pytest.warns(RuntimeWarning, match="p-value is NaN"):
            res = spin_test(
                BilinearRegressor(),
                ds.X,
                ds.Y,
                cv=RandomSplit(10, random_state=0),
                n_permutations=9,
                regions=ds.regions,
                random_state=0,
            )
    assert np.isnan(res.pvalue)


# -- NetworkSplit groups --------------------------------------------------------
def _net_data():
    X = _regions(12)
    nets = np.array(["Vis", "Dmn", "Lim"] * 4, dtype=object)
    return X, pd.Series(nets, index=X.index)


def test_groups_series_aligned_by_label():
    X, groups = _net_data()
    shuffled = groups.sample(frac=1.0, random_state=0)
    assert not shuffled.index.equals(X.index)
    got = [te.tolist() for _, te in NetworkSplit().split(X, groups=shuffled)]
    want = [te.tolist() for _, te in NetworkSplit().split(X, groups=groups.to_numpy())]
    assert sorted(got) == sorted(want)
    for _, te in NetworkSplit().split(X, groups=shuffled):
        assert groups.iloc[te].nunique() == 1


def test_groups_series_with_other_labels_refused():
    X, groups = _net_data()
    other = groups.copy()
    other.index = [f"L{i}" for i in range(len(groups))]  # not the regions of X
    with pytest.raises(
        ValueError,
        match=r"12 region\(s\) of X are not in its index: "
        r"\['R00', 'R01'.*groups.to_numpy\(\)",
    ):
        list(NetworkSplit().split(X, groups=other))
    with pytest.raises(ValueError, match="not in its index"):
        NetworkSplit().get_n_splits(X, groups=other)
    partial = groups.drop(["R03", "R07"])
    with pytest.raises(ValueError, match=r"\['R03', 'R07'\]"):
        list(NetworkSplit().split(X, groups=partial.reindex(partial.index)))
    dup = pd.concat([groups, groups.iloc[:1]])
    with pytest.raises(ValueError, match=r"repeats \['R00'\]"):
        list(NetworkSplit().split(X, groups=dup))


def test_groups_without_labels_are_positional():
    X, groups = _net_data()
    plain = groups.reset_index(drop=True)  # default RangeIndex: no labels
    a = [te.tolist() for _, te in NetworkSplit().split(X, groups=plain)]
    b = [te.tolist() for _, te in NetworkSplit().split(X, groups=groups)]
    assert a == b
    # an unlabelled X takes any groups in row order
    c = [te.tolist() for _, te in NetworkSplit().split(X.to_numpy(), groups=groups)]
    assert c == b


@pytest.mark.parametrize(
    "make",
    [
        lambda g: list(g.where(g.index != "R04", np.nan)),  # list: numpy -> 'nan'
        lambda g: np.array(list(g.where(g.index != "R04", np.nan)), dtype=str),
        lambda g: g.where(g.index != "R04", None),
        lambda g: g.where(g.index != "R04", np.nan).astype(str),
    ],
)
def test_missing_network_labels_refused_naming_regions(make):
    X, groups = _net_data()
    with pytest.raises(
        ValueError,
        match=r"no network label for 1 region\(s\) "
        r"\['R04'\].*drop those regions",
    ):
        list(NetworkSplit().split(X, groups=make(groups)))


# -- CommunitySplit on an empty connectome -----------------------------------------
@pytest.mark.parametrize("n_splits", [None, 3])
@pytest.mark.parametrize("fill", [0.0, -0.5])
def test_community_split_refuses_a_connectome_without_positive_edges(n_splits, fill):
    X = _regions(12)
    A = np.full((12, 12), fill)
    np.fill_diagonal(A, 1.0)  # a diagonal alone is no connection
    Y = pd.DataFrame(A, index=X.index, columns=X.index)
    with pytest.raises(ValueError, match="no positive connection among the 12"):
        list(CommunitySplit(n_splits, random_state=0).split(X, Y))

"""Tests of the region splitters and of validation_split."""

import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from scipy.spatial.distance import cdist, pdist
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    ShuffleSplit,
    cross_val_score,
    cross_validate,
    permutation_test_score,
)

from connpredict.model_selection import (
    CommunitySplit,
    NetworkSplit,
    RandomSplit,
    SpatialSplit,
    validation_split,
)
from connpredict.models._base import BaseConnectomeRegressor

NETWORKS = ("Vis", "SomMot", "Default", "Limbic")


# ---------------------------------------------------------------------------
# synthetic data (independent of connpredict.datasets)
# ---------------------------------------------------------------------------
def _make_data(n=36, seed=0, n_genes=3):
    """Regions in a brain-sized box, FC decaying with distance, 4 networks."""
    rng = np.random.RandomState(seed)
    coords = rng.uniform([-70, -100, -40], [70, 70, 80], size=(n, 3))
    labels = [f"R{i:02d}" for i in range(n)]
    genes = rng.randn(n, n_genes)
    X = pd.DataFrame(
        np.c_[genes, coords],
        index=labels,
        columns=[f"G{i}" for i in range(n_genes)] + ["x", "y", "z"],
    )
    D = cdist(coords, coords)
    noise = 0.05 * rng.randn(n, n)
    Y = np.exp(-D / 40.0) + (noise + noise.T) / 2
    np.fill_diagonal(Y, 1.0)
    Y = pd.DataFrame(Y, index=labels, columns=labels)
    networks = pd.Series(
        [NETWORKS[i % len(NETWORKS)] for i in range(n)], index=labels, name="network"
    )
    return X, Y, networks


def _planted_communities(sizes, seed=0, within=0.8, between=0.05):
    """Connectome with planted blocks (plus small noise) and a region table."""
    rng = np.random.RandomState(seed)
    truth = np.repeat(np.arange(len(sizes)), sizes)
    n = truth.size
    W = np.where(truth[:, None] == truth[None, :], within, between)
    noise = 0.02 * rng.rand(n, n)
    W = W + (noise + noise.T) / 2
    np.fill_diagonal(W, 1.0)
    labels = [f"C{i:02d}" for i in range(n)]
    X = pd.DataFrame({"g": rng.randn(n)}, index=labels)
    return X, pd.DataFrame(W, labels, labels), truth


class DistanceDecay(BaseConnectomeRegressor):
    """Test-local model: mean training FC plus a linear distance term."""

    _requires_coords = True

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def _fit(self, X, Y_block):
        _, coords = self._split(X)
        iu = np.triu_indices(len(coords), 1)
        d = cdist(coords, coords)[iu]
        slope, intercept = np.polyfit(d, Y_block[iu], 1)
        self.coef_ = np.array([self.alpha * slope, intercept])
        return self

    def _predict_block(self, X_rows, X_cols):
        _, a = self._split(X_rows)
        _, b = self._split(X_cols)
        return self.coef_[1] + self.coef_[0] * cdist(a, b)


class PositionalMean(RegressorMixin, BaseEstimator):
    """Test-local model that ignores labels (for permutation_test_score)."""

    def fit(self, X, Y):
        self.mean_ = float(np.mean(np.asarray(Y, dtype=float)))
        return self

    def predict(self, X):
        n = len(X)
        return np.full((n, n), self.mean_)

    def score(self, X, Y):
        Y = np.asarray(Y, dtype=float)
        return -float(np.mean((Y - self.mean_) ** 2))


def _splitters():
    return [
        RandomSplit(4, random_state=0),
        SpatialSplit(4, random_state=0),
        SpatialSplit(4, method="kmeans", random_state=0),
        SpatialSplit(4, method="kmeans", mirror=True, random_state=0),
        CommunitySplit(4, random_state=0),
        CommunitySplit(random_state=0),
        NetworkSplit(),
    ]


SPLITTER_IDS = [
    "random",
    "greedy",
    "kmeans",
    "kmeans-mirror",
    "community4",
    "community",
    "network",
]


@pytest.fixture(scope="module")
def data():
    return _make_data()


def _folds(cv, X, Y, groups):
    return list(cv.split(X, Y, groups))


def _within_fold_distance(coords, folds):
    """Mean pairwise distance within test folds (pairs pooled over folds)."""
    dists = np.concatenate([pdist(coords[test]) for _, test in folds])
    return dists.mean()


# ---------------------------------------------------------------------------
# properties shared by all splitters
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cv", _splitters(), ids=SPLITTER_IDS)
def test_folds_partition_regions(cv, data):
    X, Y, networks = data
    folds = _folds(cv, X, Y, networks)
    n = len(X)
    assert len(folds) == cv.get_n_splits(X, Y, networks)
    tested = np.concatenate([test for _, test in folds])
    # every region is tested exactly once
    np.testing.assert_array_equal(np.sort(tested), np.arange(n))
    for train, test in folds:
        assert train.dtype.kind == "i" and test.dtype.kind == "i"
        assert isinstance(train, np.ndarray) and isinstance(test, np.ndarray)
        assert len(test) > 0 and len(train) > 0
        # no test region in training, and together they cover all regions
        assert np.intersect1d(train, test).size == 0
        np.testing.assert_array_equal(np.union1d(train, test), np.arange(n))


@pytest.mark.parametrize("cv", _splitters(), ids=SPLITTER_IDS)
def test_deterministic_and_clonable(cv, data):
    X, Y, networks = data
    first = _folds(cv, X, Y, networks)
    again = _folds(clone(cv), X, Y, networks)
    assert len(first) == len(again)
    for (tr1, te1), (tr2, te2) in zip(first, again, strict=True):
        np.testing.assert_array_equal(tr1, tr2)
        np.testing.assert_array_equal(te1, te2)
    cloned = clone(cv)
    assert cloned is not cv
    assert type(cloned) is type(cv)
    assert cloned.get_params() == cv.get_params()
    assert type(cv).__name__ in repr(cv)


@pytest.mark.parametrize(
    "cv",
    [RandomSplit(4), SpatialSplit(4), SpatialSplit(4, method="kmeans")],
    ids=["random", "greedy", "kmeans"],
)
def test_random_state_changes_folds(cv, data):
    X, _, _ = data

    def tests_of(seed):
        return [tuple(t) for _, t in clone(cv).set_params(random_state=seed).split(X)]

    assert tests_of(1) == tests_of(1)
    assert any(tests_of(s) != tests_of(1) for s in (2, 3, 4))


def test_set_params_rejects_unknown():
    cv = SpatialSplit()
    assert cv.set_params(n_splits=3, mirror=True) is cv
    assert cv.n_splits == 3 and cv.mirror is True
    with pytest.raises(ValueError, match="Invalid parameter 'nsplits'"):
        cv.set_params(nsplits=3)


@pytest.mark.parametrize(
    "bad, error",
    [
        (1, ValueError),
        (0, ValueError),
        (2.5, TypeError),
        ("3", TypeError),
        (True, TypeError),
    ],
)
def test_bad_n_splits(bad, error, data):
    """A wrong type is a TypeError, an integer < 2 a ValueError."""
    X, _, _ = data
    with pytest.raises(error, match="n_splits must be an integer >= 2"):
        list(RandomSplit(bad).split(X))


def test_more_folds_than_regions():
    X = pd.DataFrame(np.zeros((3, 3)), columns=["x", "y", "z"])
    with pytest.raises(ValueError, match="cannot split 3 regions"):
        list(SpatialSplit(4).split(X))


# ---------------------------------------------------------------------------
# RandomSplit
# ---------------------------------------------------------------------------
def test_random_split_sizes_and_numpy_input():
    X = np.zeros((10, 2))
    sizes = sorted(len(t) for _, t in RandomSplit(3, random_state=0).split(X))
    assert sizes == [3, 3, 4]


# ---------------------------------------------------------------------------
# SpatialSplit
# ---------------------------------------------------------------------------
def test_spatial_folds_more_compact_than_random():
    for seed in range(3):
        X, _, _ = _make_data(n=40, seed=seed)
        coords = X[["x", "y", "z"]].to_numpy()
        d = {
            name: _within_fold_distance(coords, list(cv.split(X)))
            for name, cv in [
                ("greedy", SpatialSplit(4, random_state=seed)),
                ("kmeans", SpatialSplit(4, method="kmeans", random_state=seed)),
                ("random", RandomSplit(4, random_state=seed)),
            ]
        }
        # the greedy leftover fold is scattered, so greedy gains less
        assert d["greedy"] < 0.9 * d["random"], d
        assert d["kmeans"] < 0.75 * d["random"], d
        assert d["kmeans"] < d["greedy"], d


def test_greedy_is_research_method(data):
    X, _, _ = data
    coords = X[["x", "y", "z"]].to_numpy()
    n, k = len(X), 5
    per = n // k
    folds = list(SpatialSplit(k, random_state=3).split(X))
    sizes = [len(t) for _, t in folds]
    assert sizes == [per] * (k - 1) + [n - per * (k - 1)]
    # replay: each fold is a member plus its per-1 nearest unassigned regions
    remaining = np.arange(n)
    for _, test in folds[:-1]:
        found = False
        for s in test:
            d = np.linalg.norm(coords[remaining] - coords[s], axis=1)
            nearest = np.sort(remaining[np.argsort(d)[:per]])
            if np.array_equal(nearest, test):
                found = True
                break
        assert found
        remaining = np.setdiff1d(remaining, test)
    np.testing.assert_array_equal(folds[-1][1], remaining)


@pytest.mark.parametrize(("n", "k"), [(36, 4), (37, 4), (30, 7), (11, 2)])
def test_kmeans_balanced_sizes(n, k):
    X, _, _ = _make_data(n=n, seed=n)
    sizes = [
        len(t) for _, t in SpatialSplit(k, method="kmeans", random_state=0).split(X)
    ]
    assert len(sizes) == k
    assert sum(sizes) == n
    assert max(sizes) - min(sizes) <= 1


def test_kmeans_recovers_separated_clusters():
    rng = np.random.RandomState(0)
    centres = np.array([[-60, 0, 0], [60, 0, 0], [0, 60, 0]], dtype=float)
    truth = np.repeat(np.arange(3), 8)
    coords = centres[truth] + rng.randn(24, 3)
    X = pd.DataFrame(coords, columns=["x", "y", "z"])
    folds = list(SpatialSplit(3, method="kmeans", random_state=1).split(X))
    found = sorted(tuple(test) for _, test in folds)
    expected = sorted(tuple(np.flatnonzero(truth == c)) for c in range(3))
    assert found == expected


def test_kmeans_assignment_is_optimal_for_sizes():
    # the balanced assignment must not be improvable by swapping two regions
    X, _, _ = _make_data(n=30, seed=5)
    coords = X[["x", "y", "z"]].to_numpy()
    folds = list(SpatialSplit(3, method="kmeans", random_state=0).split(X))
    labels = np.empty(len(X), dtype=int)
    for f, (_, test) in enumerate(folds):
        labels[test] = f
    cents = np.vstack([coords[labels == f].mean(0) for f in range(3)])
    cost = cdist(coords, cents, "sqeuclidean")
    for i in range(len(X)):
        for j in range(len(X)):
            a, b = labels[i], labels[j]
            if a != b:
                swap = cost[i, b] + cost[j, a] - cost[i, a] - cost[j, b]
                assert swap >= -1e-9


@pytest.mark.parametrize("method", ["greedy", "kmeans"])
def test_mirror_keeps_homotopic_regions_together(method):
    rng = np.random.RandomState(0)
    right = rng.uniform([5, -100, -40], [70, 70, 80], size=(20, 3))
    left = right * [-1, 1, 1]
    X = pd.DataFrame(np.vstack([left, right]), columns=["x", "y", "z"])
    n_pairs = 20

    def together(mirror):
        fracs = []
        for seed in range(3):
            cv = SpatialSplit(4, method=method, mirror=mirror, random_state=seed)
            labels = np.empty(2 * n_pairs, dtype=int)
            for f, (_, test) in enumerate(cv.split(X)):
                labels[test] = f
            fracs.append(np.mean(labels[:n_pairs] == labels[n_pairs:]))
        return np.mean(fracs)

    assert together(True) >= 0.9
    assert together(True) > together(False) + 0.3


def test_spatial_missing_coordinates_message():
    X = pd.DataFrame(np.random.RandomState(0).randn(10, 3), columns=["a", "b", "z"])
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['x', 'y'\]") as e:
        list(SpatialSplit(2).split(X))
    assert "coord_columns=" in str(e.value)
    with pytest.raises(ValueError, match="lacks the column"):
        list(SpatialSplit(2).split(np.zeros((10, 3))))


def test_spatial_coord_columns_and_nan():
    X, _, _ = _make_data()
    renamed = X.rename(columns={"x": "mni_x", "y": "mni_y", "z": "mni_z"})
    cv = SpatialSplit(3, random_state=0)
    cv2 = SpatialSplit(3, coord_columns=("mni_x", "mni_y", "mni_z"), random_state=0)
    for (_, a), (_, b) in zip(cv.split(X), cv2.split(renamed), strict=True):
        np.testing.assert_array_equal(a, b)
    bad = X.copy()
    bad.iloc[0, -1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        list(cv.split(bad))


def test_spatial_bad_method(data):
    X, _, _ = data
    with pytest.raises(ValueError, match="method must be 'greedy' or 'kmeans'"):
        list(SpatialSplit(3, method="ball").split(X))


# ---------------------------------------------------------------------------
# CommunitySplit
# ---------------------------------------------------------------------------
def _partition(folds):
    return sorted(tuple(test) for _, test in folds)


def test_community_recovers_planted_blocks():
    X, Y, truth = _planted_communities([6, 8, 7, 9])
    cv = CommunitySplit(random_state=0)
    assert cv.get_n_splits(X, Y) == 4
    expected = sorted(tuple(np.flatnonzero(truth == c)) for c in range(4))
    assert _partition(cv.split(X, Y)) == expected


def test_community_merges_to_requested_n_splits():
    X, Y, truth = _planted_communities([3, 4, 9, 10, 5, 8], seed=1)
    cv = CommunitySplit(3, random_state=0)
    folds = list(cv.split(X, Y))
    assert len(folds) == cv.get_n_splits() == 3
    # merging never cuts a planted community
    for _, test in folds:
        for c in np.unique(truth[test]):
            assert set(np.flatnonzero(truth == c)) <= set(test)


def test_community_merge_prefers_most_connected():
    # community 0 (small) is strongly tied to community 2, weakly to 1
    sizes = [3, 10, 10]
    X, Y, truth = _planted_communities(sizes, within=0.9, between=0.02)
    W = Y.to_numpy().copy()
    a, c = np.flatnonzero(truth == 0), np.flatnonzero(truth == 2)
    W[np.ix_(a, c)] = W[np.ix_(c, a)] = 0.3
    Y = pd.DataFrame(W, Y.index, Y.columns)
    folds = _partition(CommunitySplit(2, random_state=0).split(X, Y))
    assert tuple(np.sort(np.r_[a, c])) in folds


def test_community_splits_when_too_few():
    X, Y, _ = _planted_communities([10, 12])
    folds = list(CommunitySplit(5, random_state=0).split(X, Y))
    assert len(folds) == 5
    tested = np.sort(np.concatenate([t for _, t in folds]))
    np.testing.assert_array_equal(tested, np.arange(len(X)))


def test_community_keeps_positive_edges_only():
    X, Y, _ = _planted_communities([6, 8, 7], seed=2)
    W = Y.to_numpy().copy()
    rng = np.random.RandomState(0)
    neg = -rng.rand(*W.shape)
    between = W < 0.5
    W_neg = np.where(between, (neg + neg.T) / 2, W)
    Y_neg = pd.DataFrame(W_neg, Y.index, Y.columns)
    Y_pos = pd.DataFrame(np.clip(W_neg, 0, None), Y.index, Y.columns)
    cv = CommunitySplit(random_state=0)
    assert _partition(cv.split(X, Y_neg)) == _partition(cv.split(X, Y_pos))
    assert len(_partition(cv.split(X, Y_neg))) == 3


def test_community_uses_only_block_among_X_rows():
    X, Y, _ = _planted_communities([6, 8, 7, 9], seed=3)
    sub = X.iloc[::2]
    Y_rows = Y.loc[sub.index]  # what scikit-learn passes: rows only
    scrambled = Y_rows.copy()
    others = ~Y.columns.isin(sub.index)
    scrambled.loc[:, others] = np.random.RandomState(0).rand(len(sub), others.sum())
    cv = CommunitySplit(random_state=0)
    assert _partition(cv.split(sub, Y_rows)) == _partition(cv.split(sub, scrambled))


def test_community_needs_y(data):
    X, _, _ = data
    with pytest.raises(ValueError, match="needs the connectome"):
        list(CommunitySplit(3).split(X))
    with pytest.raises(ValueError, match=r"get_n_splits\(X, Y\)"):
        CommunitySplit().get_n_splits()
    assert CommunitySplit(3).get_n_splits() == 3


def test_community_numpy_input():
    X, Y, truth = _planted_communities([5, 6, 7])
    folds = _partition(CommunitySplit(random_state=0).split(X.to_numpy(), Y.to_numpy()))
    assert folds == sorted(tuple(np.flatnonzero(truth == c)) for c in range(3))


# ---------------------------------------------------------------------------
# NetworkSplit
# ---------------------------------------------------------------------------
def test_network_split_folds_are_networks(data):
    X, _, networks = data
    folds = list(NetworkSplit().split(X, groups=networks))
    assert len(folds) == NetworkSplit().get_n_splits(X, groups=networks) == 4
    for (_, test), name in zip(folds, NETWORKS, strict=True):  # first appearance
        np.testing.assert_array_equal(test, np.flatnonzero(networks == name))


def test_network_split_aligns_labelled_groups(data):
    X, _, networks = data
    sub = X.iloc[[5, 1, 8, 2, 3, 10]]
    with pytest.warns(UserWarning, match="test fold of 1 region"):
        folds = list(NetworkSplit().split(sub, groups=networks))
    for _, test in folds:
        assert networks.loc[sub.index[test]].nunique() == 1
    with pytest.raises(ValueError, match="has 36 labels but X has 6"):
        list(NetworkSplit().split(sub, groups=networks.to_numpy()))


def test_network_split_errors(data):
    X, _, networks = data
    msg = r"The 'groups' parameter should not be None; pass e\.g\. groups=ds\.networks"
    with pytest.raises(ValueError, match=msg):
        list(NetworkSplit().split(X))
    with pytest.raises(ValueError, match=msg):
        NetworkSplit().get_n_splits(X)
    with pytest.raises(ValueError, match="at least 2 distinct groups"):
        list(NetworkSplit().split(X, groups=["Vis"] * len(X)))
    with pytest.raises(ValueError, match="n_splits must be None"):
        NetworkSplit().inner_split(3)
    with pytest.raises(ValueError, match="should not be None"):
        cross_val_score(DistanceDecay(), X, networks.to_frame(), cv=NetworkSplit())


def test_network_split_metadata_routing(data):
    X, Y, networks = data
    assert NetworkSplit().get_metadata_routing().split.requests["groups"] is True
    with sklearn.config_context(enable_metadata_routing=True):
        gs = GridSearchCV(DistanceDecay(), {"alpha": [0.5, 1.0]}, cv=NetworkSplit())
        gs.fit(X, Y, groups=networks)
        assert len(gs.cv_results_["split3_test_score"]) == 2
        scores = cross_val_score(
            DistanceDecay(), X, Y, cv=NetworkSplit(), params={"groups": networks}
        )
        assert scores.shape == (4,)


# ---------------------------------------------------------------------------
# scikit-learn integration
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cv", _splitters(), ids=SPLITTER_IDS)
def test_sklearn_model_selection_tools(cv, data):
    X, Y, networks = data
    k = cv.get_n_splits(X, Y, networks)
    scores = cross_val_score(DistanceDecay(), X, Y, cv=cv, groups=networks)
    assert scores.shape == (k,) and np.all(np.isfinite(scores))

    res = cross_validate(
        DistanceDecay(),
        X,
        Y,
        cv=cv,
        groups=networks,
        return_estimator=True,
        return_indices=True,
    )
    for est, train, test in zip(
        res["estimator"], res["indices"]["train"], res["indices"]["test"], strict=True
    ):
        # the model was fitted on the training regions only
        assert set(est.X_train_.index) == set(X.index[train])
        assert not set(est.X_train_.index) & set(X.index[test])

    gs = GridSearchCV(DistanceDecay(), {"alpha": [0.5, 1.0]}, cv=cv)
    gs.fit(X, Y, groups=networks)
    assert gs.n_splits_ == k
    rs = RandomizedSearchCV(
        DistanceDecay(), {"alpha": [0.5, 1.0, 2.0]}, n_iter=2, cv=cv, random_state=0
    )
    rs.fit(X, Y, groups=networks)
    assert rs.n_splits_ == k

    score, perm, _ = permutation_test_score(
        PositionalMean(),
        X,
        Y,
        cv=cv,
        groups=networks,
        n_permutations=2,
        random_state=0,
    )
    assert np.isfinite(score) and perm.shape == (2,)


def test_nested_cross_validation_with_inner_split(data):
    X, Y, _ = data
    outer = SpatialSplit(3, method="kmeans", random_state=0)
    inner = outer.inner_split(n_splits=2)
    assert isinstance(inner, SpatialSplit) and inner.n_splits == 2
    assert inner.method == "kmeans" and inner.random_state == 0
    search = GridSearchCV(DistanceDecay(), {"alpha": [0.5, 1.0]}, cv=inner)
    scores = cross_val_score(search, X, Y, cv=outer)
    assert scores.shape == (3,)


@pytest.mark.parametrize("cv", _splitters()[:-1], ids=SPLITTER_IDS[:-1])
def test_inner_split_same_settings(cv):
    inner = cv.inner_split()
    assert type(inner) is type(cv) and inner is not cv
    assert inner.get_params() == cv.get_params()
    params = cv.inner_split(n_splits=2).get_params()
    assert params.pop("n_splits") == 2
    assert {k: v for k, v in cv.get_params().items() if k != "n_splits"} == params


def test_inner_split_on_training_regions_only(data):
    X, Y, _ = data
    outer = CommunitySplit(3, random_state=0)
    for train, _ in outer.split(X, Y):
        X_tr, Y_tr = X.iloc[train], Y.iloc[train]
        folds = list(outer.inner_split().split(X_tr, Y_tr))
        assert len(folds) == 3
        tested = np.sort(np.concatenate([t for _, t in folds]))
        np.testing.assert_array_equal(tested, np.arange(len(train)))


# ---------------------------------------------------------------------------
# validation_split
# ---------------------------------------------------------------------------
def _check_partition(train, val, n):
    assert train.dtype.kind == "i" and val.dtype.kind == "i"
    assert np.intersect1d(train, val).size == 0
    np.testing.assert_array_equal(np.sort(np.r_[train, val]), np.arange(n))
    np.testing.assert_array_equal(train, np.sort(train))
    np.testing.assert_array_equal(val, np.sort(val))


def test_validation_split_fraction_is_compact_block(data):
    X, _, _ = data
    coords = X[["x", "y", "z"]].to_numpy()
    n = len(X)
    train, val = validation_split(X, cv=0.25, random_state=0)
    _check_partition(train, val, n)
    assert len(val) == int(np.ceil(0.25 * n))
    # the block is some member's nearest neighbours (a ball)
    ok = False
    for s in val:
        nearest = np.argsort(np.linalg.norm(coords - coords[s], axis=1))[: len(val)]
        ok |= set(nearest) == set(val)
    assert ok
    again = validation_split(X, cv=0.25, random_state=0)
    np.testing.assert_array_equal(again[1], val)


def test_validation_split_without_coords_is_random(data):
    X, _, _ = data
    genes = X.drop(columns=["x", "y", "z"])
    vals = []
    for seed in range(5):
        train, val = validation_split(genes, random_state=seed)
        _check_partition(train, val, len(X))
        assert len(val) == int(np.ceil(0.2 * len(X)))  # None means 0.2
        vals.append(tuple(val))
    assert len(set(vals)) > 1
    train, val = validation_split(np.zeros((5, 2)), cv=0.1, random_state=0)
    assert len(val) == 2 and len(train) == 3  # at least 2 held out and kept


def test_validation_split_int_and_splitter(data):
    X, Y, networks = data
    train, val = validation_split(X, cv=4, random_state=0)
    first = next(SpatialSplit(4, method="kmeans", random_state=0).split(X))
    np.testing.assert_array_equal(val, first[1])
    _check_partition(train, val, len(X))

    train, val = validation_split(X.iloc[:, :3], cv=3, random_state=0)
    first = next(RandomSplit(3, random_state=0).split(X))
    np.testing.assert_array_equal(val, first[1])

    train, val = validation_split(X, cv=NetworkSplit(), groups=networks)
    np.testing.assert_array_equal(val, np.flatnonzero(networks == "Vis"))

    cv = CommunitySplit(3, random_state=0)
    train, val = validation_split(X, Y, cv=cv.inner_split())
    np.testing.assert_array_equal(val, next(cv.split(X, Y))[1])

    train, val = validation_split(X, cv=ShuffleSplit(1, test_size=5, random_state=0))
    assert len(val) == 5
    _check_partition(train, val, len(X))


@pytest.mark.parametrize(
    ("cv", "err"),
    [
        (1.5, ValueError),
        (0.0, ValueError),
        (1, ValueError),
        (True, TypeError),
        ("half", TypeError),
    ],
)
def test_validation_split_errors(cv, err, data):
    X, _, _ = data
    with pytest.raises(err):
        validation_split(X, cv=cv)


def test_synthetic_dataset_runs_through_all_splitters():
    datasets = pytest.importorskip("connpredict.datasets")
    make = getattr(datasets, "make_synthetic_connectome", None)
    if make is None:
        pytest.skip("make_synthetic_connectome is not available yet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = make(n_regions=30, n_genes=5, random_state=0)
    for cv in _splitters():
        with warnings.catch_warnings():
            # a 2-region network of the synthetic atlas: warned, tested elsewhere
            warnings.filterwarnings("ignore", "NetworkSplit made a test fold")
            folds = list(cv.split(ds.X, ds.Y, ds.networks))
        tested = np.sort(np.concatenate([t for _, t in folds]))
        np.testing.assert_array_equal(tested, np.arange(30))

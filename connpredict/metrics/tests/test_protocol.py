"""The research evaluation protocol: test-all pairs, min_pairs rule, geodesic."""

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from sklearn.model_selection import KFold, cross_validate

from connpredict.datasets import make_synthetic_connectome
from connpredict.metrics import evaluate, geodesic_distance, get_scorer, pair_table
from connpredict.metrics._evaluate import DISTANCE_EDGES, RESEARCH_MIN_PAIRS
from connpredict.models import BilinearRegressor, ExponentialDecayRegressor


@pytest.fixture(scope="module")
def data():
    return make_synthetic_connectome(n_regions=30, n_genes=12, random_state=3)


def _test_all_vectors(model, X, Y, test, train):
    """Direct numpy: test x test upper triangle, then every test x train entry."""
    te, tr = X.index[test], X.index[train]
    P_tt = np.asarray(model.predict(X.loc[te]), dtype=float)
    P_tr = np.asarray(model.predict(X.loc[te], X.loc[tr]), dtype=float)
    T_tt = Y.loc[te, te].to_numpy()
    T_tr = Y.loc[te, tr].to_numpy()
    iu = np.triu_indices(len(te), 1)
    t = np.concatenate([T_tt[iu], T_tr.ravel()])
    p = np.concatenate([P_tt[iu], P_tr.ravel()])
    return t, p


@pytest.mark.parametrize(
    "name", ["pearson_r", "neg_mse", "neg_mae", "spearman_r", "r2", "long_r"]
)
def test_test_all_scorer_matches_numpy(data, name):
    X, Y = data.X, data.Y
    cv = KFold(4, shuffle=True, random_state=0)
    scorer = get_scorer(name, pairs="test-all")
    for train, test in cv.split(X):
        model = BilinearRegressor(encoder="pca", n_components=4).fit(
            X.iloc[train], Y.iloc[train]
        )
        t, p = _test_all_vectors(model, X, Y, test, train)
        # each unordered pair once: n_test (n_test - 1) / 2 + n_test n_train
        assert t.size == len(test) * (len(test) - 1) // 2 + len(test) * len(train)
        if name == "pearson_r":
            expected = scipy.stats.pearsonr(t, p)[0]
        elif name == "neg_mse":
            expected = -np.mean((t - p) ** 2)
        elif name == "neg_mae":
            expected = -np.mean(np.abs(t - p))
        elif name == "spearman_r":
            expected = scipy.stats.spearmanr(t, p)[0]
        elif name == "r2":
            expected = 1 - np.sum((t - p) ** 2) / np.sum((t - t.mean()) ** 2)
        else:
            te, tr = X.index[test], X.index[train]
            c = X[["x", "y", "z"]]
            d_tt = np.linalg.norm(
                c.loc[te].to_numpy()[:, None] - c.loc[te].to_numpy()[None], axis=2
            )
            d_tr = np.linalg.norm(
                c.loc[te].to_numpy()[:, None] - c.loc[tr].to_numpy()[None], axis=2
            )
            d = np.concatenate([d_tt[np.triu_indices(len(te), 1)], d_tr.ravel()])
            mask = d > DISTANCE_EDGES[1]
            expected = scipy.stats.pearsonr(t[mask], p[mask])[0]
        got = scorer(model, X.iloc[test], Y.iloc[test])
        assert got == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_test_all_is_neither_test_test_nor_test_train(data):
    X, Y = data.X, data.Y
    train, test = np.arange(20), np.arange(20, 30)
    model = ExponentialDecayRegressor().fit(X.iloc[train], Y.iloc[train])
    scores = {
        pairs: get_scorer("neg_mse", pairs=pairs)(model, X.iloc[test], Y.iloc[test])
        for pairs in ("test-test", "test-train", "test-all")
    }
    n_tt, n_tr = 45, 200
    pooled = (n_tt * scores["test-test"] + n_tr * scores["test-train"]) / (n_tt + n_tr)
    assert scores["test-all"] == pytest.approx(pooled, rel=1e-12)


def test_test_all_in_cross_validate(data):
    X, Y = data.X, data.Y
    cv = KFold(3, shuffle=True, random_state=1)
    out = cross_validate(
        ExponentialDecayRegressor(),
        X,
        Y,
        cv=cv,
        scoring=get_scorer(["pearson_r", "neg_mse"], pairs="test-all"),
    )
    for k, (train, test) in enumerate(cv.split(X)):
        model = ExponentialDecayRegressor().fit(X.iloc[train], Y.iloc[train])
        t, p = _test_all_vectors(model, X, Y, test, train)
        assert out["test_pearson_r"][k] == pytest.approx(np.corrcoef(t, p)[0, 1])
        assert out["test_neg_mse"][k] == pytest.approx(-np.mean((t - p) ** 2))


def test_test_all_errors(data):
    X, Y = data.X, data.Y
    model = ExponentialDecayRegressor().fit(X, Y)
    scorer = get_scorer("pearson_r", pairs="test-all")
    with pytest.raises(ValueError, match="no training region outside X"):
        scorer(model, X, Y)
    with pytest.raises(ValueError, match="DataFrame"):
        scorer(model, X.iloc[:5], Y.iloc[:5].to_numpy())
    with pytest.raises(ValueError, match="pairs='test-test'"):
        get_scorer("neg_geodesic_distance", pairs="test-all")


def test_evaluate_row_block_counts_each_pair_once(data):
    X, Y = data.X, data.Y
    test = list(X.index[[3, 7, 1, 12]])
    rest = [lab for lab in X.index if lab not in test]
    cols = rest[:6] + test[::-1] + rest[6:]  # test regions anywhere, any order
    T = Y.loc[test, cols]
    P = T * 0.5 + 0.1
    tab = pair_table(T, P)
    assert len(tab) == 6 + 4 * (len(X) - 4)
    assert not tab.duplicated(["region_i", "region_j"]).any()
    unordered = {frozenset(pair) for pair in zip(tab.region_i, tab.region_j)}
    assert len(unordered) == len(tab)
    iu = np.triu_indices(4, 1)
    t = np.concatenate(
        [Y.loc[test, test].to_numpy()[iu], Y.loc[test, rest].to_numpy().ravel()]
    )
    scores = evaluate(T, P)
    assert scores["mse"] == pytest.approx(np.mean((t - (0.5 * t + 0.1)) ** 2))
    assert "geodesic_distance" not in scores.index


def test_evaluate_partial_overlap_still_refused(data):
    Y = data.Y
    T = Y.iloc[:5, 3:]
    with pytest.raises(ValueError, match="not every row region is a column"):
        evaluate(T, T)


def _research_bin_r(Y, P, D, mask_fn):
    """The research's bin metric (eval_utils.compute_*_metrics), written out.

    Its vectors hold every ordered pair (i, j), i != j, of the test regions
    (rows 2k and 2k + 1 of its pair dataset); a bin is scored when
    ``np.sum(mask) > 100`` over those ordered entries, else it is missing.
    """
    n = Y.shape[0]
    off = ~np.eye(n, dtype=bool)
    y, p, d = Y[off], P[off], D[off]
    mask = mask_fn(y, d)
    if np.sum(mask) > 100:
        return scipy.stats.pearsonr(y[mask], p[mask])[0]
    return np.nan


def test_min_pairs_research_rule():
    rng = np.random.default_rng(0)
    n = 40
    labels = [f"r{i}" for i in range(n)]
    regions = pd.DataFrame(
        {"x": rng.uniform(-70, 70, n), "y": rng.uniform(-90, 60, n), "z": 0.0},
        index=labels,
    )
    A = rng.normal(scale=0.35, size=(n, n))
    Y = pd.DataFrame((A + A.T) / 2, labels, labels)
    P = Y + rng.normal(scale=0.2, size=(n, n))
    P = (P + P.T) / 2
    tab = pair_table(Y, P, regions=regions)
    d, t = tab["distance"], tab["y_true"]
    c = regions[["x", "y", "z"]].to_numpy()
    D = np.linalg.norm(c[:, None] - c[None], axis=-1)
    lo, hi = DISTANCE_EDGES
    rules = {
        "short_r": lambda y, d: d <= lo,
        "mid_r": lambda y, d: (d > lo) & (d <= hi),
        "long_r": lambda y, d: d > hi,
        "strong_neg_r": lambda y, d: y < -0.3,
        "weak_r": lambda y, d: (y >= -0.3) & (y <= 0.3),
        "strong_pos_r": lambda y, d: y > 0.3,
    }
    research = evaluate(Y, P, regions=regions, min_pairs="research")
    explicit = evaluate(Y, P, regions=regions, min_pairs=RESEARCH_MIN_PAIRS)
    default = evaluate(Y, P, regions=regions)
    counts = {
        k: int(rule(t.to_numpy(), d.to_numpy()).sum()) for k, rule in rules.items()
    }
    # bins that counting unordered pairs against 100 would wrongly drop (51
    # to 100 pairs); the threshold itself is tested below
    assert any(51 <= c <= 100 for c in counts.values())
    assert any(c > 100 for c in counts.values())
    for key, rule in rules.items():
        expected = _research_bin_r(Y.to_numpy(), P.to_numpy(), D, rule)
        if np.isnan(expected):
            assert np.isnan(research[key]), key
        else:
            assert research[key] == pytest.approx(expected), key
        assert explicit[key] == research[key] or np.isnan(explicit[key])
        if counts[key] >= 10:
            mask = rules[key](t.to_numpy(), d.to_numpy())
            direct = scipy.stats.pearsonr(t[mask], tab["y_pred"][mask])[0]
            assert default[key] == pytest.approx(direct)
    # hemisphere subsets use 2 pairs under the research rule
    assert not np.isnan(research["left_hemi_r"])


@pytest.mark.parametrize("n_strong,scored", [(50, False), (51, True)])
def test_min_pairs_research_threshold_is_100_ordered_entries(n_strong, scored):
    # 1-D pair vectors: 200 weak pairs and n_strong strong ones; the research
    # counted each pair twice, so 50 pairs (100 entries) is not enough
    rng = np.random.default_rng(1)
    t = np.concatenate([rng.uniform(-0.2, 0.2, 200), rng.uniform(0.4, 0.9, n_strong)])
    p = t + rng.normal(scale=0.1, size=t.size)
    got = evaluate(t, p, min_pairs="research")["strong_pos_r"]
    ordered_t, ordered_p = np.repeat(t, 2), np.repeat(p, 2)
    mask = ordered_t > 0.3
    assert (np.sum(mask) > 100) == scored
    if scored:
        assert got == pytest.approx(scipy.stats.pearsonr(t[t > 0.3], p[t > 0.3])[0])
        assert got == pytest.approx(
            scipy.stats.pearsonr(ordered_t[mask], ordered_p[mask])[0]
        )
    else:
        assert np.isnan(got)


def test_min_pairs_dict_and_errors(data):
    Y = data.Y
    per_group = evaluate(Y, Y * 2, X=data.X, min_pairs={"distance": 10_000})
    assert np.isnan(per_group["short_r"]) and not np.isnan(per_group["weak_r"])
    for bad in (1, "paper", {"bins": 3}, {"distance": 1.5}, True):
        with pytest.raises(ValueError, match="min_pairs"):
            evaluate(Y, Y, min_pairs=bad)


def test_auc_roc_alias():
    rng = np.random.default_rng(1)
    t = (rng.uniform(size=300) > 0.6).astype(float)
    p = t * 0.3 + rng.uniform(size=300)
    from sklearn.metrics import roc_auc_score

    scores = evaluate(t, p, metrics=["auc_roc", "roc_auc"])
    assert list(scores.index) == ["auc_roc", "roc_auc"]
    assert scores["auc_roc"] == pytest.approx(roc_auc_score(t, p))
    assert scores["auc_roc"] == scores["roc_auc"]
    with pytest.raises(ValueError, match="binary Y_true"):
        evaluate(t + p, p, metrics=["auc_roc"])
    assert repr(get_scorer("auc_roc")) == repr(get_scorer("roc_auc"))


def _research_geodesic_numpy(A, B, eig_thresh=1e-3):
    A = A.copy()
    B = B.copy()
    np.fill_diagonal(A, 0.0)
    np.fill_diagonal(B, 0.0)
    A = (A + A.T) / 2
    B = (B + B.T) / 2
    u, s, _ = np.linalg.svd(A)
    s = np.where(s < eig_thresh, eig_thresh, s)
    Q = u @ np.diag(s**-0.5) @ u.T
    sv = np.linalg.svd(Q @ B @ Q, compute_uv=False)
    return np.sqrt(np.sum(np.log(sv) ** 2))


def test_geodesic_research_matches_numpy(data):
    Y = data.Y.to_numpy()[:15, :15]
    rng = np.random.default_rng(2)
    E = rng.normal(scale=0.1, size=Y.shape)
    P = Y + (E + E.T) / 2
    got = geodesic_distance(Y, P, method="research")
    assert got == pytest.approx(_research_geodesic_numpy(Y, P), rel=1e-10)
    ours = geodesic_distance(Y, P)
    assert np.isfinite(ours) and abs(ours - got) > 1e-3
    # not symmetric in its arguments, unlike ours
    assert geodesic_distance(P, Y, method="research") != pytest.approx(got)
    assert geodesic_distance(P, Y) == pytest.approx(ours, rel=1e-8)
    scores = evaluate(
        data.Y.iloc[:15, :15],
        pd.DataFrame(P, data.Y.index[:15], data.Y.index[:15]),
        metrics=["geodesic_distance"],
        geodesic_kwargs={"method": "research"},
    )
    assert scores["geodesic_distance"] == pytest.approx(got)


def test_geodesic_research_singular_is_infinite_with_warning():
    A = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.3], [0.2, 0.3, 1.0]])
    with pytest.warns(RuntimeWarning, match="infinite"):
        d = geodesic_distance(A, np.zeros((3, 3)), method="research")
    assert d == np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(geodesic_distance(A, np.zeros((3, 3))))
    with pytest.raises(ValueError, match="method"):
        geodesic_distance(A, A, method="svd")


_DATA = os.environ.get("CONNPREDICT_DATA")


@pytest.mark.realdata
@pytest.mark.skipif(
    not _DATA
    or not Path(
        _DATA, "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity"
    ).is_dir(),
    reason="CONNPREDICT_DATA is unset or lacks the ENIGMA files (real-data test)",
)
def test_test_all_network_folds_on_hcp_schaefer100():
    """The research's Schaefer-split protocol on real data, against numpy."""
    from connpredict.datasets import load_dataset
    from connpredict.model_selection import NetworkSplit

    ds = load_dataset("hcp-schaefer100", download_if_missing=False)
    X = ds.X[["x", "y", "z"]]
    cv = NetworkSplit()
    out = cross_validate(
        ExponentialDecayRegressor(),
        X,
        ds.Y,
        cv=cv,
        groups=ds.networks,
        scoring=get_scorer("pearson_r", pairs="test-all"),
    )
    folds = list(cv.split(X, ds.Y, groups=ds.networks))
    assert len(folds) == ds.networks.nunique()
    for k, (train, test) in enumerate(folds):
        model = ExponentialDecayRegressor().fit(X.iloc[train], ds.Y.iloc[train])
        t, p = _test_all_vectors(model, X, ds.Y, test, train)
        assert out["test_score"][k] == pytest.approx(np.corrcoef(t, p)[0, 1])

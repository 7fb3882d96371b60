"""``evaluate`` against explicit loops over region pairs."""

import itertools
import os

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from sklearn import metrics as skm

from connpredict.metrics import evaluate, geodesic_distance

SHORT, MID = 175 / 3, 350 / 3


def _r_or_nan(t, p, min_pairs):
    if len(t) < min_pairs:
        return np.nan
    return scipy.stats.pearsonr(t, p)[0]


def _expected_subsets(Y, P, regions, pairs, min_pairs, *, hemi_from_x=False):
    """Subset correlations by explicit loops over the given (label, label) pairs."""
    coords = regions[["x", "y", "z"]]
    groups = {}

    def add(key, a, b):
        groups.setdefault(key, []).append((Y.loc[a, b], P.loc[a, b]))

    for a, b in pairs:
        diff = coords.loc[a].to_numpy(float) - coords.loc[b].to_numpy(float)
        d = np.linalg.norm(diff)
        add("short_r" if d <= SHORT else "mid_r" if d <= MID else "long_r", a, b)
        y = Y.loc[a, b]
        add(
            "strong_neg_r" if y < -0.3 else "strong_pos_r" if y > 0.3 else "weak_r",
            a,
            b,
        )
        if hemi_from_x:
            xa, xb = regions.loc[a, "x"], regions.loc[b, "x"]
            ha = "L" if xa < 0 else "R" if xa > 0 else None
            hb = "L" if xb < 0 else "R" if xb > 0 else None
        else:
            ha, hb = regions.loc[a, "hemisphere"], regions.loc[b, "hemisphere"]
        if ha == hb == "L":
            add("left_hemi_r", a, b)
        elif ha == hb == "R":
            add("right_hemi_r", a, b)
        elif {ha, hb} == {"L", "R"}:
            add("inter_hemi_r", a, b)
        na, nb = regions.loc[a, "network"], regions.loc[b, "network"]
        add("intra_network_r" if na == nb else "inter_network_r", a, b)
        if na == nb:
            add(f"intra_network_{na}_r", a, b)
        else:
            add(f"inter_network_{na}_r", a, b)
            add(f"inter_network_{nb}_r", a, b)
    out = {}
    for key, vals in groups.items():
        t, p = np.array(vals).T
        out[key] = _r_or_nan(t, p, min_pairs)
    return out


def _label_pairs(Y):
    return [
        (Y.index[i], Y.index[j]) for i, j in itertools.combinations(range(len(Y)), 2)
    ]


def test_every_key_matches_explicit_loops(make_problem):
    Y, P, regions = make_problem(30, seed=0)
    scores = evaluate(Y, P, regions=regions, min_pairs=10)
    pairs = _label_pairs(Y)
    t = np.array([Y.loc[a, b] for a, b in pairs])
    p = np.array([P.loc[a, b] for a, b in pairs])
    assert len(t) == 30 * 29 // 2
    expected = {
        "mse": np.mean((t - p) ** 2),
        "mae": np.mean(np.abs(t - p)),
        "r2": skm.r2_score(t, p),
        "pearson_r": scipy.stats.pearsonr(t, p)[0],
        "spearman_r": scipy.stats.spearmanr(t, p)[0],
        "geodesic_distance": geodesic_distance(Y.to_numpy(), P.to_numpy()),
    }
    expected.update(_expected_subsets(Y, P, regions, pairs, 10))
    for name in regions["network"].unique():  # networks with no pair of a kind
        expected.setdefault(f"intra_network_{name}_r", np.nan)
        expected.setdefault(f"inter_network_{name}_r", np.nan)
    assert set(scores.index) == set(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(scores[key], value, rtol=1e-10, err_msg=key)
    # all subsets here are large enough: no NaN
    assert not scores.isna().any()
    # research key order: basic, geodesic, distance, strength, hemisphere, networks
    assert list(scores.index[:15]) == [
        "mse",
        "mae",
        "r2",
        "pearson_r",
        "spearman_r",
        "geodesic_distance",
        "short_r",
        "mid_r",
        "long_r",
        "strong_neg_r",
        "weak_r",
        "strong_pos_r",
        "left_hemi_r",
        "right_hemi_r",
        "inter_hemi_r",
    ]


def test_network_labels_follow_region_labels_not_positions(make_problem):
    """Permuting Y/P and the region table must not change any metric."""
    Y, P, regions = make_problem(24, seed=1)
    ref = evaluate(Y, P, regions=regions)
    order = np.random.default_rng(3).permutation(24)
    Yp = Y.iloc[order, order]
    Pp = P.iloc[order[::-1], order[::-1]]
    regions_p = regions.iloc[np.random.default_rng(4).permutation(24)]
    got = evaluate(Yp, Pp, regions=regions_p)
    pd.testing.assert_series_equal(got.loc[ref.index], ref, rtol=1e-10)
    # the per-network values differ between networks (labels matter)
    nets = [
        k
        for k in ref.index
        if k.startswith("intra_network_") and k != "intra_network_r"
    ]
    assert ref[nets].nunique() == len(nets)


def test_nine_networks_give_at_least_32_keys(make_problem, nine_networks):
    Y, P, regions = make_problem(36, networks=nine_networks, seed=2)
    scores = evaluate(Y, P, regions=regions)
    # 5 basic + geodesic + 3 distance + 3 strength + 3 hemisphere
    # + 2 pooled network + 9 intra + 9 inter
    assert len(scores) == 35
    for name in nine_networks:
        assert f"intra_network_{name}_r" in scores.index
        assert f"inter_network_{name}_r" in scores.index


def test_missing_information_leaves_metrics_out(make_problem):
    Y, P, regions = make_problem(20, seed=3)
    basic = [
        "mse",
        "mae",
        "r2",
        "pearson_r",
        "spearman_r",
        "geodesic_distance",
        "strong_neg_r",
        "weak_r",
        "strong_pos_r",
    ]
    assert list(evaluate(Y, P).index) == basic
    # network labels only: no distance, no hemisphere
    only_net = evaluate(Y, P, regions=regions[["network"]])
    assert not any(k in only_net for k in ("short_r", "left_hemi_r"))
    assert "intra_network_r" in only_net
    # coordinates from X: distances, and hemispheres by the sign of x
    X = regions[["x", "y", "z"]].assign(gene=1.0)
    from_x = evaluate(Y, P, X=X, min_pairs=5)
    assert {"short_r", "mid_r", "long_r", "left_hemi_r", "inter_hemi_r"} <= set(
        from_x.index
    )
    assert not any(k.startswith("intra_network") for k in from_x.index)
    exp = _expected_subsets(Y, P, regions, _label_pairs(Y), 5, hemi_from_x=True)
    for key in ("short_r", "long_r", "left_hemi_r", "right_hemi_r", "inter_hemi_r"):
        np.testing.assert_allclose(from_x[key], exp[key], rtol=1e-10, err_msg=key)
    # pair vectors: no geodesic distance
    iu = np.triu_indices(20, 1)
    vec = evaluate(Y.to_numpy()[iu], P.to_numpy()[iu])
    assert list(vec.index) == [k for k in basic if k != "geodesic_distance"]
    # ... unless the region table says which pairs they are
    vec_info = evaluate(Y.to_numpy()[iu], P.to_numpy()[iu], regions=regions)
    full = evaluate(Y, P, regions=regions)
    pd.testing.assert_series_equal(vec_info, full.drop("geodesic_distance"), rtol=1e-10)


def test_hemisphere_column_takes_precedence_over_sign_of_x(make_problem):
    Y, P, regions = make_problem(20, seed=4)
    flipped = regions.assign(hemisphere=np.where(regions["x"] < 0, "R", "L"))
    a = evaluate(Y, P, regions=regions, min_pairs=2)
    b = evaluate(Y, P, regions=flipped, min_pairs=2)
    assert a["left_hemi_r"] == pytest.approx(b["right_hemi_r"])
    assert a["right_hemi_r"] == pytest.approx(b["left_hemi_r"])


def test_min_pairs_threshold(make_problem):
    Y, P, regions = make_problem(16, seed=5)
    tab_pairs = _label_pairs(Y)
    n_left = sum(
        regions.loc[a, "hemisphere"] == regions.loc[b, "hemisphere"] == "L"
        for a, b in tab_pairs
    )
    assert n_left > 3
    at = evaluate(Y, P, regions=regions, min_pairs=n_left)
    above = evaluate(Y, P, regions=regions, min_pairs=n_left + 1)
    assert np.isfinite(at["left_hemi_r"])
    assert np.isnan(above["left_hemi_r"])
    with pytest.raises(ValueError, match="min_pairs"):
        evaluate(Y, P, min_pairs=1)


def test_rectangular_test_train_block(make_problem):
    Y, P, regions = make_problem(26, seed=6)
    test, train = Y.index[:8], Y.index[8:]
    scores = evaluate(
        Y.loc[test, train], P.loc[test, train], regions=regions, min_pairs=10
    )
    assert "geodesic_distance" not in scores
    pairs = [(a, b) for a in test for b in train]
    t = np.array([Y.loc[a, b] for a, b in pairs])
    p = np.array([P.loc[a, b] for a, b in pairs])
    assert scores["pearson_r"] == pytest.approx(scipy.stats.pearsonr(t, p)[0])
    assert scores["mse"] == pytest.approx(np.mean((t - p) ** 2))
    exp = _expected_subsets(Y, P, regions, pairs, 10)
    for key, value in exp.items():
        np.testing.assert_allclose(scores[key], value, rtol=1e-10, err_msg=key)
    with pytest.raises(ValueError, match="labels"):
        evaluate(
            Y.loc[test, train].to_numpy(),
            P.loc[test, train].to_numpy(),
            regions=regions,
        )


def test_binary_target_gives_classification_metrics(make_problem):
    Y, P, _ = make_problem(20, seed=7)
    Yb = (Y > 0.2).astype(float)
    prob = 1 / (1 + np.exp(-4 * P))
    scores = evaluate(Yb, prob)
    assert list(scores.index) == ["accuracy", "precision", "recall", "f1", "roc_auc"]
    iu = np.triu_indices(20, 1)
    t, p = Yb.to_numpy()[iu].astype(int), prob.to_numpy()[iu]
    hard = (p >= 0.5).astype(int)
    assert scores["accuracy"] == pytest.approx(np.mean(t == hard))
    tp = np.sum((t == 1) & (hard == 1))
    assert scores["precision"] == pytest.approx(tp / hard.sum())
    assert scores["recall"] == pytest.approx(tp / t.sum())
    assert scores["f1"] == pytest.approx(2 * tp / (hard.sum() + t.sum()))
    assert scores["roc_auc"] == pytest.approx(skm.roc_auc_score(t, p))
    # task="regression" forces regression metrics on the same target
    assert "pearson_r" in evaluate(Yb, prob, task="regression")


def test_metrics_argument_and_missing_reasons(make_problem):
    Y, P, regions = make_problem(15, seed=8)
    got = evaluate(Y, P, regions=regions, metrics=["long_r", "pearson_r"])
    assert list(got.index) == ["long_r", "pearson_r"]
    with pytest.raises(ValueError, match="coordinates"):
        evaluate(Y, P, metrics=["short_r"])
    with pytest.raises(ValueError, match="network"):
        evaluate(Y, P, metrics=["intra_network_Vis_r"])
    with pytest.raises(ValueError, match="Unknown metric"):
        evaluate(Y, P, metrics=["nonsense"])
    with pytest.raises(ValueError, match="task"):
        evaluate(Y, P, task="ranking")


def _region_table_from_data_home(data_home):
    """Schaefer-100 + 14 subcortical region table from the shipped raw files."""
    atlas = pd.read_csv(
        os.path.join(
            data_home,
            "GeneEx2Conn",
            "data",
            "atlases",
            "atlas-4S156Parcels_dseg_reformatted.csv",
        )
    )
    ctx = atlas[atlas["structure"] == "cortex"].set_index("label")
    regions = pd.DataFrame(
        {
            "x": ctx["mni_x"],
            "y": ctx["mni_y"],
            "z": ctx["mni_z"],
            "hemisphere": ctx["hemisphere"],
            "network": ctx["network_label"],
        }
    )
    sub = pd.DataFrame(
        {
            "x": np.r_[np.full(7, -20.0), np.full(7, 20.0)],
            "y": 0.0,
            "z": 0.0,
            "hemisphere": ["L"] * 7 + ["R"] * 7,
            "network": "Subcortical",
        },
        index=[f"sub{i}" for i in range(14)],
    )
    return pd.concat([regions, sub])


@pytest.mark.realdata
@pytest.mark.skipif(
    not os.environ.get("CONNPREDICT_DATA"),
    reason="CONNPREDICT_DATA is unset (the real data home is needed)",
)
def test_schaefer100_like_table_gives_at_least_32_metrics():
    data_home = os.environ["CONNPREDICT_DATA"]
    regions = _region_table_from_data_home(data_home)
    assert len(regions) == 114 and regions["network"].nunique() == 8
    fc = np.loadtxt(
        os.path.join(
            data_home,
            "ENIGMA",
            "enigmatoolbox",
            "datasets",
            "matrices",
            "hcp_connectivity",
            "funcMatrix_with_ctx_schaefer_100.csv",
        ),
        delimiter=",",
    )
    Y = pd.DataFrame(fc, regions.index, regions.index)
    rng = np.random.default_rng(0)
    noise = rng.normal(scale=0.1, size=fc.shape)
    P = Y + (noise + noise.T) / 2
    scores = evaluate(Y, P, regions=regions)
    assert len(scores) >= 32
    assert scores.notna().sum() >= 32


@pytest.mark.realdata
@pytest.mark.skipif(
    not os.environ.get("CONNPREDICT_DATA"),
    reason="CONNPREDICT_DATA is unset (the real data home is needed)",
)
def test_load_dataset_hcp_schaefer100_gives_at_least_32_metrics():
    from connpredict.datasets import load_dataset

    ds = load_dataset("hcp-schaefer100")
    rng = np.random.default_rng(0)
    noise = rng.normal(scale=0.1, size=ds.Y.shape)
    P = ds.Y + (noise + noise.T) / 2
    scores = evaluate(ds.Y, P, regions=ds.regions)
    assert len(scores) >= 32
    assert scores.notna().sum() >= 31  # no FC value is below -0.3: strong_neg_r NaN

import os

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from connpredict.datasets import make_synthetic_connectome
from connpredict.inspection import (
    fdr_bh,
    gene_scores,
    gene_set_enrichment,
    load_gene_sets,
    read_gmt,
)
from connpredict.nulls import spin_permutations


@pytest.fixture(scope="module")
def ds():
    return make_synthetic_connectome(n_regions=40, n_genes=30, random_state=0)


def _direct_scores(X, Y, genes):
    """Per gene: residualise pair co-expression and Y on a spline in distance."""
    coords = X[["x", "y", "z"]].to_numpy()
    n = len(X)
    rows, cols = np.triu_indices(n, 1)
    d = cdist(coords, coords)[rows, cols]
    knots = np.quantile(d, np.linspace(0.05, 0.95, 10))
    hinges = [np.maximum(d - k, 0) for k in knots]
    B = np.column_stack([np.ones_like(d), d, *hinges])

    def resid(v):
        return v - B @ np.linalg.lstsq(B, v, rcond=None)[0]

    y = resid(np.asarray(Y)[rows, cols])
    out = []
    for g in genes:
        u = X[g].to_numpy()
        u = (u - u.mean()) / u.std()
        c = resid(u[rows] * u[cols])
        out.append(np.corrcoef(c, y)[0, 1])
    return np.array(out)


def test_gene_scores_match_direct_computation(ds):
    got = gene_scores(ds.X, ds.Y)
    expected = _direct_scores(ds.X, ds.Y.to_numpy(), ds.genes)
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-8, atol=1e-10)
    assert list(got.index) == list(ds.genes)


def test_gene_scores_coordinates_from_region_table(ds):
    genes_only = ds.X[list(ds.genes)]
    np.testing.assert_allclose(
        gene_scores(genes_only, ds.Y, regions=ds.regions), gene_scores(ds.X, ds.Y)
    )
    with pytest.raises(ValueError, match="coordinates"):
        gene_scores(genes_only, ds.Y)


def test_distance_alone_scores_zero(ds):
    """A connectome that is a linear function of distance leaves nothing."""
    coords = ds.X[["x", "y", "z"]].to_numpy()
    D = cdist(coords, coords)
    Y = pd.DataFrame(1 - 0.01 * D, index=ds.X.index, columns=ds.X.index)
    with pytest.warns(RuntimeWarning, match="distance alone"):
        scores = gene_scores(ds.X, Y)
    assert scores.isna().all()


def test_fdr_bh_against_hand_computation():
    p = np.array([0.01, 0.04, 0.03, 0.5, np.nan, 0.02])
    # sorted finite: 0.01, 0.02, 0.03, 0.04, 0.5 (m = 5)
    # m p / rank: 0.05, 0.05, 0.05, 0.05, 0.5 -> running minimum from the top
    expected = np.array([0.05, 0.05, 0.05, 0.5, np.nan, 0.05])
    np.testing.assert_allclose(fdr_bh(p), expected)
    # a case where the running minimum matters
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205])
    m = p.size
    raw = p * m / np.arange(1, m + 1)
    hand = [min(raw[k:].min(), 1.0) for k in range(m)]
    np.testing.assert_allclose(fdr_bh(p), hand)
    assert fdr_bh([0.9, 0.95])[0] == pytest.approx(0.95)


def test_enrichment_pvalues_match_independent_computation(ds):
    sets = {"a": list(ds.genes[:8]), "b": list(ds.genes[10:16])}
    n_perm = 30
    table = gene_set_enrichment(
        ds.X, ds.Y, sets, regions=ds.regions, n_permutations=n_perm, random_state=3
    )
    scores = gene_scores(ds.X, ds.Y)
    rng = np.random.RandomState(3)
    perms = spin_permutations(ds.regions, n_perm, random_state=rng)
    Yv = ds.Y.to_numpy()
    null = {name: [] for name in sets}
    for p in perms:
        spun = pd.DataFrame(Yv[np.ix_(p, p)], index=ds.X.index, columns=ds.X.index)
        s = gene_scores(ds.X, spun)
        for name, genes in sets.items():
            null[name].append(s[genes].mean())
    for name, genes in sets.items():
        stat = scores[genes].mean()
        assert table.loc[name, "statistic"] == pytest.approx(stat, rel=1e-10)
        expected_p = (1 + np.sum(np.array(null[name]) >= stat - 1e-12)) / (1 + n_perm)
        assert table.loc[name, "p_spin"] == pytest.approx(expected_p)
        assert table.loc[name, "null_mean"] == pytest.approx(np.mean(null[name]))
    # random-gene null: the next draws of the same stream, per set size
    for name, genes in sets.items():
        draws = [rng.choice(30, len(genes), replace=False) for _ in range(n_perm)]
        rand = np.array([scores.to_numpy()[d].mean() for d in draws])
        stat = scores[genes].mean()
        expected_p = (1 + np.sum(rand >= stat - 1e-12)) / (1 + n_perm)
        assert table.loc[name, "p_random_genes"] == pytest.approx(expected_p)
    np.testing.assert_allclose(table["q_spin"], fdr_bh(table["p_spin"]))


def test_coverage_and_min_size(ds):
    sets = {"partial": [*list(ds.genes[:6]), "NOT_A_GENE", "ALSO_NOT"]}
    table = gene_set_enrichment(
        ds.X, ds.Y, sets, regions=ds.regions, n_permutations=5, random_state=0
    )
    assert table.loc["partial", "n_genes"] == 8
    assert table.loc["partial", "n_present"] == 6
    assert table.loc["partial", "coverage"] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="'tiny'"):
        gene_set_enrichment(
            ds.X,
            ds.Y,
            {"tiny": [*list(ds.genes[:3]), "NOPE"], "ok": ds.genes[:9]},
            regions=ds.regions,
            n_permutations=5,
        )


def test_spin_needs_sphere_coordinates(ds):
    with pytest.raises(ValueError, match="atlas_regions"):
        gene_set_enrichment(ds.X, ds.Y, {"a": list(ds.genes[:6])}, n_permutations=5)
    shuffled = gene_set_enrichment(
        ds.X,
        ds.Y,
        {"a": list(ds.genes[:6])},
        null="shuffle",
        n_permutations=5,
        random_state=0,
    )
    assert 0 < shuffled.loc["a", "p_spin"] <= 1


def test_gmt_file(ds, tmp_path):
    path = tmp_path / "sets.gmt"
    path.write_text(
        "# comment\nA\tfirst set\t" + "\t".join(ds.genes[:6]) + "\n\n"
        "B\tna\t" + "\t".join(ds.genes[6:12]) + "\t" + ds.genes[6] + "\n"
    )
    sets = read_gmt(path)
    assert sets == {"A": list(ds.genes[:6]), "B": list(ds.genes[6:12])}
    from_file = gene_set_enrichment(
        ds.X, ds.Y, path, regions=ds.regions, n_permutations=5, random_state=0
    )
    from_dict = gene_set_enrichment(
        ds.X, ds.Y, sets, regions=ds.regions, n_permutations=5, random_state=0
    )
    pd.testing.assert_frame_equal(from_file, from_dict)
    bad = tmp_path / "bad.gmt"
    bad.write_text("A G1 G2\n")
    with pytest.raises(ValueError, match="line 1"):
        read_gmt(bad)


def test_overlapping_sets_are_tested_separately(ds):
    sets = {"a": list(ds.genes[:10]), "b": list(ds.genes[5:15])}
    table = gene_set_enrichment(
        ds.X, ds.Y, sets, regions=ds.regions, n_permutations=10, random_state=0
    )
    alone = gene_set_enrichment(
        ds.X,
        ds.Y,
        {"b": sets["b"]},
        regions=ds.regions,
        n_permutations=10,
        random_state=0,
    )
    assert table.loc["b", "statistic"] == alone.loc["b", "statistic"]
    assert table.loc["b", "p_spin"] == alone.loc["b", "p_spin"]


@pytest.mark.realdata
@pytest.mark.skipif(not os.environ.get("CONNPREDICT_DATA"), reason="no data home")
def test_published_gene_sets():
    sets = load_gene_sets()
    assert set(sets) == {"richiardi2015", "syngo"}
    assert len(sets["richiardi2015"]) == 136
    assert len(sets["syngo"]) > 1000

"""Benchmark of connpredict.inspection on real expression (hcp-schaefer100).

Usage::

    CONNPREDICT_DATA=/path/to/data_home OMP_NUM_THREADS=1 \
        python benchmarks/bench_inspection.py [--draws 100] [--n-perm 999] \
        [--planted-draws 10] [--skip-fp] [--skip-planted] [--skip-richiardi]

Parts:

1. **False positives of gene-set enrichment.** Real AHBA expression of the
   cortical Schaefer regions (``--fp-parcels``, default 100); connectomes
   that depend on no gene: exponential distance decay (MNI distance, 25
   mm) + spatially smooth
   noise (products of smooth random fields on the hemisphere-mirrored
   sphere, the geometry spins preserve) + white noise, a fresh draw each
   time. Gene sets are coherent like real categories: the 30 genes most
   co-expressed with each of 20 random seed genes. Reports the share of
   ``p <= alpha`` for ``p_spin`` and ``p_random_genes`` over all draws x
   sets, with a binomial 95% interval.
2. **Planted-gene recovery.** 50 random real genes (z-scored; fewer genes
   than regions, else the planted ones are linear combinations of others
   and cannot be identified); connectivity from the
   interactions of 5 planted genes (pairs (g0, g1), (g2, g3) and g4 with
   itself) + distance decay + noise. Precision at 5 of the bilinear
   model's exact attributions and of held-out spin permutation importance.
3. **Richiardi 2015 and SynGO on hcp-schaefer100** (real FC, with
   subcortex): ``gene_set_enrichment`` (1,000 spins), and
   ``permutation_importance`` of the two sets (plus coordinates) for a
   bilinear model under ``SpatialSplit(4)``; with CPU times.

Numbers depend on the machine and its load; CPU times are of this process.
"""

import argparse
import time

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist
from scipy.stats import binomtest

from connpredict.datasets import load_dataset
from connpredict.inspection import (
    bilinear_attributions,
    gene_set_enrichment,
    load_gene_sets,
    permutation_importance,
)
from connpredict.inspection.tests._simulate import (
    planted_connectome,
    smooth_noise_connectome,
    sphere_positions,
)
from connpredict.model_selection import RandomSplit, SpatialSplit
from connpredict.models import BilinearRegressor

COORDS = ["x", "y", "z"]


def _rate(p, alpha):
    hits = int(np.sum(np.asarray(p) <= alpha))
    ci = binomtest(hits, len(p)).proportion_ci()
    return f"{hits / len(p):.3f} [{ci.low:.3f}, {ci.high:.3f}]"


def bench_false_positives(draws, n_perm, alpha=0.05, parcels=100):
    ds = load_dataset(f"hcp-schaefer{parcels}", subcortex=False)
    X = ds.X
    genes = [c for c in X.columns if c not in COORDS]
    rng = np.random.RandomState(0)
    seeds = rng.choice(len(genes), 20, replace=False)
    C = np.corrcoef(X[genes].to_numpy().T)
    sets = {
        f"coexp_{genes[s]}": [genes[k] for k in np.argsort(-C[s])[:30]] for s in seeds
    }
    P = sphere_positions(ds.regions)
    D = cdist(X[COORDS].to_numpy(), X[COORDS].to_numpy())
    n = len(X)
    p_spin, p_random = [], []
    t0 = time.process_time()
    for draw in range(draws):
        noise = np.random.RandomState(draw).randn(n, n)
        Y = (
            np.exp(-D / 25)
            + 0.5 * smooth_noise_connectome(P, length=50, random_state=10_000 + draw)
            + 0.1 * (noise + noise.T)
        )
        Y = pd.DataFrame(Y, index=X.index, columns=X.index)
        table = gene_set_enrichment(
            X, Y, sets, regions=ds.regions, n_permutations=n_perm, random_state=draw
        )
        p_spin.extend(table["p_spin"])
        p_random.extend(table["p_random_genes"])
    cpu = time.process_time() - t0
    print(
        f"\n## False positives: {n} cortical regions, {len(genes)} genes, "
        f"{len(sets)} coherent sets x {draws} null connectomes, {n_perm} spins"
    )
    print(f"alpha = {alpha}, tests = {len(p_spin)}")
    print(f"  p_spin         FP rate {_rate(p_spin, alpha)}")
    print(f"  p_random_genes FP rate {_rate(p_random, alpha)}")
    print(f"  CPU {cpu:.1f} s ({cpu / draws:.2f} s per enrichment call)")


def bench_planted(draws, n_genes=50, n_repeats=5):
    ds = load_dataset("hcp-schaefer100", subcortex=False)
    genes_all = [c for c in ds.X.columns if c not in COORDS]
    coords = ds.X[COORDS].to_numpy()
    prec_attr, prec_perm, cpu_attr, cpu_perm = [], [], [], []
    for draw in range(draws):
        rng = np.random.RandomState(draw)
        genes = list(rng.choice(genes_all, n_genes, replace=False))
        X = ds.X[genes + COORDS].copy()
        # z-scored genes: the ridge penalty of a raw-gene bilinear model
        # otherwise favours genes by their variance, not by their role
        X[genes] = (X[genes] - X[genes].mean()) / X[genes].std()
        planted_pairs = [(genes[0], genes[1]), (genes[2], genes[3]), (genes[4],) * 2]
        planted = set(genes[:5])
        Y = planted_connectome(
            X[genes], coords, planted_pairs, noise=0.5, random_state=draw
        )
        model = BilinearRegressor(
            encoder=None, alpha="gcv", use_distance=True, linear_terms=False
        )
        t0 = time.process_time()
        top = bilinear_attributions(model.fit(X, Y)).gene_scores.index[:5]
        cpu_attr.append(time.process_time() - t0)
        prec_attr.append(len(set(top) & planted) / 5)
        t0 = time.process_time()
        res = permutation_importance(
            model,
            X,
            Y,
            cv=RandomSplit(3, random_state=draw),
            regions=ds.regions,
            n_repeats=n_repeats,
            random_state=draw,
        )
        cpu_perm.append(time.process_time() - t0)
        top = res.importances_mean.sort_values(ascending=False).index[:5]
        prec_perm.append(len(set(top) & planted) / 5)
    print(
        f"\n## Planted genes: {len(ds.X)} cortical regions, {n_genes} random real "
        f"genes, 5 planted, {draws} draws"
    )
    print(
        f"  bilinear attributions   precision@5 mean {np.mean(prec_attr):.2f} "
        f"(min {np.min(prec_attr):.2f}), CPU {np.mean(cpu_attr):.2f} s per fit"
    )
    print(
        f"  permutation importance  precision@5 mean {np.mean(prec_perm):.2f} "
        f"(min {np.min(prec_perm):.2f}), CPU {np.mean(cpu_perm):.1f} s per call "
        f"({n_genes} genes x 3 folds x {n_repeats} spins)"
    )


def bench_richiardi(n_perm=1000):
    ds = load_dataset("hcp-schaefer100")
    sets = load_gene_sets()
    t0 = time.process_time()
    table = gene_set_enrichment(
        ds.X, ds.Y, sets, regions=ds.regions, n_permutations=n_perm, random_state=0
    )
    cpu = time.process_time() - t0
    print(f"\n## Gene-set enrichment on hcp-schaefer100 (FC, {len(ds.X)} regions)")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round(4).to_string())
    print(f"  CPU {cpu:.2f} s ({n_perm} spins)")
    genes = set(ds.X.columns) - set(COORDS)
    groups = {
        name: [g for g in members if g in genes] for name, members in sets.items()
    }
    groups["coords"] = COORDS
    model = BilinearRegressor(use_distance=True)
    t0 = time.process_time()
    res = permutation_importance(
        model,
        ds.X,
        ds.Y,
        cv=SpatialSplit(4, random_state=42),
        groups=groups,
        regions=ds.regions,
        n_repeats=19,
        random_state=0,
    )
    cpu = time.process_time() - t0
    print(
        f"\n## Permutation importance, BilinearRegressor(use_distance=True), "
        f"SpatialSplit(4), 19 spins (baseline r = {res.baseline_score:.3f})"
    )
    out = pd.DataFrame(
        {
            "importance": res.importances_mean,
            "sd": res.importances_std,
            "p": res.pvalues,
        }
    )
    print(out.round(4).to_string())
    print(f"  CPU {cpu:.1f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--n-perm", type=int, default=999)
    parser.add_argument("--planted-draws", type=int, default=10)
    parser.add_argument(
        "--fp-parcels", type=int, nargs="+", default=[100], choices=[100, 200, 300, 400]
    )
    parser.add_argument("--skip-fp", action="store_true")
    parser.add_argument("--skip-planted", action="store_true")
    parser.add_argument("--skip-richiardi", action="store_true")
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        print("load average:", f.read().strip())
    if not args.skip_richiardi:
        bench_richiardi()
    if not args.skip_planted:
        bench_planted(args.planted_draws)
    if not args.skip_fp:
        for parcels in args.fp_parcels:
            bench_false_positives(args.draws, args.n_perm, parcels=parcels)


if __name__ == "__main__":
    main()

"""Region positioning of the neural models: coordinates vs brain gradients (benchmark).

For each model (SMT, pair MLP), position (``xyz``, ``gradients``, ``both``)
and gradient source (``lemon-fc``, ``hcp-sc``, ``expression``), a spatial
4-fold cross-validation over regions for each seed; the score of a fold is
the Pearson r of the test x test block. ``--n-gradients`` with several values
chooses ``n_gradients`` by an inner spatial 3-fold cross-validation of the
training regions (GridSearchCV, refit on all training regions), so the
choice never sees the test regions; the chosen value is written per fold.

Writes one row per fold to ``--out`` (CSV) and prints the mean +/- SD table.
Needs the data home: ``CONNPREDICT_DATA=/path/to/data``.

Usage::

    CONNPREDICT_DATA=../shared/data python benchmarks/bench_positioning.py \
        [--datasets hcp-schaefer100 hcp-schaefer200 ...] [--seeds 0 1 2] \
        [--models smt mlp] [--positions xyz gradients both] \
        [--sources lemon-fc hcp-sc expression] [--n-gradients 2 3 5] \
        [--n-ensemble 5] [--max-iter 60] [--n-jobs 1] \
        [--out benchmarks/results/bench_positioning.csv]
"""

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd
import torch


def _estimator(model, position, source, n_gradients, seed, args):
    from connpredict.models import PairMLPRegressor, SMTRegressor

    kw = {
        "random_state": seed,
        "n_ensemble": args.n_ensemble,
        "max_iter": args.max_iter,
    }
    if position != "xyz":
        kw.update(region_position=position, gradients=source, n_gradients=n_gradients)
    if model == "smt":
        return SMTRegressor(**kw)
    if model == "smt_cls":
        return SMTRegressor(cls="coords", **kw)
    if model == "mlp":
        return PairMLPRegressor(**kw)
    if model == "mlp_coords":
        return PairMLPRegressor(use_coords=True, **kw)
    raise ValueError(f"unknown model {model!r}")


def _configs(args):
    for model in args.models:
        for position in args.positions:
            sources = [None] if position == "xyz" else args.sources
            for source in sources:
                yield model, position, source


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["hcp-schaefer100"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=["smt", "mlp"])
    parser.add_argument("--positions", nargs="+", default=["xyz", "gradients", "both"])
    parser.add_argument(
        "--sources", nargs="+", default=["lemon-fc", "hcp-sc", "expression"]
    )
    parser.add_argument("--n-gradients", type=int, nargs="+", default=[3])
    parser.add_argument("--n-ensemble", type=int, default=5)
    parser.add_argument("--max-iter", type=int, default=60)
    parser.add_argument("--n-jobs", type=int, default=1, help="outer folds in parallel")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument(
        "--out", default=os.path.join("benchmarks", "results", "bench_positioning.csv")
    )
    args = parser.parse_args()
    if "CONNPREDICT_DATA" not in os.environ:
        sys.exit("Set CONNPREDICT_DATA to the data home (e.g. ../shared/data).")
    torch.set_num_threads(args.threads)

    from joblib import Parallel, delayed
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    from connpredict.datasets import load_dataset
    from connpredict.model_selection import SpatialSplit

    def run_fold(est, X, Y, train, test, seed):
        t0 = time.process_time()
        chosen = getattr(est, "n_gradients", None)
        if isinstance(est, GridSearchCV):
            est.fit(X.iloc[train], Y.iloc[train])
            chosen = est.best_params_["n_gradients"]
        else:
            est.fit(X.iloc[train], Y.iloc[train])
        score = est.score(X.iloc[test], Y.iloc[test])
        return score, chosen, time.process_time() - t0

    rows = []
    for name in args.datasets:
        ds = load_dataset(name)
        print(f"{name}: {ds.X.shape[0]} regions; load {os.getloadavg()[0]:.1f}")
        for model, position, source in _configs(args):
            for seed in args.seeds:
                cv = SpatialSplit(n_splits=4, random_state=seed)
                est = _estimator(
                    model, position, source, args.n_gradients[0], seed, args
                )
                if position != "xyz" and len(args.n_gradients) > 1:
                    est = GridSearchCV(
                        est,
                        {"n_gradients": args.n_gradients},
                        cv=SpatialSplit(n_splits=3, random_state=seed),
                    )
                folds = list(cv.split(ds.X, ds.Y))
                out = Parallel(n_jobs=args.n_jobs)(
                    delayed(run_fold)(clone(est), ds.X, ds.Y, tr, te, seed)
                    for tr, te in folds
                )
                for fold, (score, chosen, cpu) in enumerate(out):
                    rows.append(
                        {
                            "dataset": name,
                            "model": model,
                            "position": position,
                            "source": source or "",
                            "seed": seed,
                            "fold": fold,
                            "score": score,
                            "n_gradients": chosen if position != "xyz" else "",
                            "cpu_s": round(cpu, 1),
                        }
                    )
                mean = np.mean([r[0] for r in out])
                print(
                    f"  {model} {position} {source or ''} seed {seed}: r = {mean:.3f}",
                    flush=True,
                )
                os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
                pd.DataFrame(rows).to_csv(args.out, index=False)
    table = pd.DataFrame(rows)
    summary = table.groupby(["dataset", "model", "position", "source"], sort=False)[
        "score"
    ].agg(["mean", "std", "count"])
    print()
    print("| dataset | model | position | source | r (mean ± SD over folds x seeds) |")
    print("|---|---|---|---|---|")
    for (dname, model, position, source), r in summary.iterrows():
        print(
            f"| {dname} | {model} | {position} | {source or '-'} | "
            f"{r['mean']:.3f} ± {r['std']:.3f} (n={int(r['count'])}) |"
        )


if __name__ == "__main__":
    main()

"""Accuracy table of the neural models next to the classical ones (benchmark).

For each dataset, split (spatial, random) and seed, a 4-fold cross-validation
over regions; each cell is the mean +/- SD over the 4 folds x seeds of the
test Pearson r (upper triangle of the test x test block). The neural models
early-stop on an inner validation split of the training regions only.

Needs the data home: ``CONNPREDICT_DATA=/path/to/data``.

Usage::

    CONNPREDICT_DATA=../shared/data python benchmarks/bench_neural_accuracy.py \
        [--dataset hcp-schaefer100] [--seeds 0 1 2] [--n-jobs 2] [--threads 1] \
        [--models smt smt_single smt_cls mlp mlp_single mlp_shared mlp_research
                  bilinear bilinear_coords exponential]
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
from sklearn.model_selection import cross_val_score


def _models(seed):
    from connpredict.models import (
        RESEARCH_PARAMS,
        BilinearRegressor,
        ExponentialDecayRegressor,
        PairMLPRegressor,
        SMTRegressor,
    )

    return {
        "smt": lambda: SMTRegressor(random_state=seed),
        "smt_single": lambda: SMTRegressor(n_ensemble=1, random_state=seed),
        "smt_cls": lambda: SMTRegressor(cls="coords", random_state=seed),
        "mlp": lambda: PairMLPRegressor(random_state=seed),
        "mlp_single": lambda: PairMLPRegressor(n_ensemble=1, random_state=seed),
        "mlp_shared": lambda: PairMLPRegressor(
            "shared", hidden_dims=(256,), n_ensemble=1, random_state=seed
        ),
        # the published recipe (connpredict.models.RESEARCH_PARAMS)
        "mlp_research": lambda: PairMLPRegressor(
            **RESEARCH_PARAMS["mlp"], random_state=seed
        ),
        "bilinear": lambda: BilinearRegressor(random_state=seed),
        "bilinear_coords": lambda: BilinearRegressor(
            use_distance=True, random_state=seed
        ),
        "exponential": lambda: ExponentialDecayRegressor(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="hcp-schaefer100")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--splits", nargs="+", default=["spatial", "random"])
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--n-jobs", type=int, default=2, help="folds in parallel")
    parser.add_argument(
        "--models",
        nargs="+",
        default=["smt", "mlp", "bilinear", "bilinear_coords", "exponential"],
    )
    args = parser.parse_args()
    if "CONNPREDICT_DATA" not in os.environ:
        sys.exit("Set CONNPREDICT_DATA to the data home (e.g. ../shared/data).")
    torch.set_num_threads(args.threads)

    from connpredict.datasets import load_dataset
    from connpredict.model_selection import RandomSplit, SpatialSplit

    ds = load_dataset(args.dataset)
    print(
        f"{args.dataset}: {ds.X.shape[0]} regions, {ds.X.shape[1] - 3} genes; "
        f"4 folds x seeds {args.seeds}; {torch.get_num_threads()} threads"
    )
    rows = []
    for name in args.models:
        cells = []
        for split in args.splits:
            scores = []
            t0 = time.perf_counter()
            for seed in args.seeds:
                cv = (
                    SpatialSplit(n_splits=4, random_state=seed)
                    if split == "spatial"
                    else RandomSplit(n_splits=4, random_state=seed)
                )
                model = _models(seed)[name]()
                scores.extend(
                    cross_val_score(model, ds.X, ds.Y, cv=cv, n_jobs=args.n_jobs)
                )
            dt = time.perf_counter() - t0
            cells.append(f"{np.mean(scores):.3f} ± {np.std(scores):.3f} ({dt:.0f} s)")
            print(f"  {name} {split}: {cells[-1]}", flush=True)
        rows.append((name, cells))
    print()
    print("| model | " + " | ".join(f"{s} r (time)" for s in args.splits) + " |")
    print("|---|" + "---|" * len(args.splits))
    for name, cells in rows:
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

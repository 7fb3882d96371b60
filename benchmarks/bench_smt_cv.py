"""Wall time of a 4-fold spatial cross-validation of the SMT (benchmark).

Runs ``cross_val_score(SMTRegressor(random_state=0), X, Y,
cv=SpatialSplit(n_splits=4, random_state=42))`` on ``hcp-schaefer100`` with
default parameters, and prints the wall time and the fold scores. On 2 CPU
cores the default runs 2 folds at a time with one torch thread each
(``--n-jobs 2 --threads 1``); on a shared machine two threads per process
are slowed down a lot by oversubscription. On a CUDA machine
``--device cuda --n-jobs 1`` runs the same on the GPU.

Needs the data home: ``CONNPREDICT_DATA=/path/to/data``.

Usage::

    CONNPREDICT_DATA=../shared/data python benchmarks/bench_smt_cv.py \
        [--n-jobs 2] [--threads 1] [--device cpu] [--dataset hcp-schaefer100]
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
from sklearn.model_selection import cross_val_score


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--n-jobs", type=int, default=2, help="folds in parallel")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dataset", default="hcp-schaefer100")
    parser.add_argument("--model", default="smt", choices=["smt", "mlp"])
    args = parser.parse_args()
    if "CONNPREDICT_DATA" not in os.environ:
        sys.exit("Set CONNPREDICT_DATA to the data home (e.g. ../shared/data).")
    torch.set_num_threads(args.threads)

    from connpredict.datasets import load_dataset
    from connpredict.model_selection import SpatialSplit
    from connpredict.models import PairMLPRegressor, SMTRegressor

    ds = load_dataset(args.dataset)
    cls = SMTRegressor if args.model == "smt" else PairMLPRegressor
    model = cls(random_state=0, device=args.device)
    cv = SpatialSplit(n_splits=4, random_state=42)
    t0 = time.perf_counter()
    scores = cross_val_score(model, ds.X, ds.Y, cv=cv, n_jobs=args.n_jobs)
    dt = time.perf_counter() - t0
    print(
        f"{cls.__name__} on {args.dataset} ({ds.X.shape[0]} regions, "
        f"{ds.X.shape[1] - 3} genes), 4-fold spatial CV, device={args.device}, "
        f"{args.n_jobs} fold(s) in parallel x {torch.get_num_threads()} thread(s): "
        f"{dt:.1f} s; "
        f"r = {np.mean(scores):.3f} +/- {np.std(scores):.3f} "
        f"(folds {np.round(scores, 3).tolist()})"
    )


if __name__ == "__main__":
    main()

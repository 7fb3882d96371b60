"""Benchmark of the classical connectome regressors on the HCP/AHBA datasets.

For each dataset and model: mean +- SD of the test Pearson r (upper triangle
of the test x test block) over ``n_splits`` spatial folds x seeds and over
``n_splits`` random folds x seeds, and the mean fit time per fold. Prints a
markdown table.

Usage (the data home must hold the HCP/AHBA files)::

    CONNPREDICT_DATA=../shared/data python benchmarks/bench_classical.py
    python benchmarks/bench_classical.py --datasets hcp-schaefer100 --seeds 0 1 \\
        --models decay bilinear-pca20

Hyper-parameters are either the defaults, fixed published values, chosen by
generalised cross-validation inside ``fit`` (``alpha="gcv"``) or, for the
"nested" row, by ``GridSearchCV`` with an inner spatial split of the training
regions: never on the outer test folds.
"""

import argparse
import logging
import sys
import time

import numpy as np
from sklearn.model_selection import GridSearchCV, cross_validate
from threadpoolctl import threadpool_limits

from connpredict.datasets import load_dataset
from connpredict.model_selection import RandomSplit, SpatialSplit
from connpredict.models import (
    BilinearRegressor,
    CGERegressor,
    ExponentialDecayRegressor,
    GaussianKernelRegressor,
    PLSBilinearRegressor,
)

logger = logging.getLogger("bench_classical")


def make_models(seed):
    """Model name -> (description, estimator) for one seed."""
    nested_grid = {"linear_terms": [False, True], "use_distance": [False, True]}
    return {
        "decay": ("ExponentialDecayRegressor()", ExponentialDecayRegressor()),
        "gaussian": ("GaussianKernelRegressor()", GaussianKernelRegressor()),
        "cge": ("CGERegressor() (all genes)", CGERegressor()),
        "cge-pca95": (
            "CGERegressor(n_components=0.95)",
            CGERegressor(n_components=0.95),
        ),
        "bilinear-pca20-plain": (
            "BilinearRegressor(alpha=0, linear_terms=False) (PCA-20, plain; not the "
            "research model, see bench_research.py)",
            BilinearRegressor(alpha=0.0, linear_terms=False),
        ),
        "bilinear-pca20": (
            "BilinearRegressor() (PCA-20, GCV alpha, linear terms)",
            BilinearRegressor(),
        ),
        "bilinear-pca20-coords": (
            "BilinearRegressor(use_distance=True)",
            BilinearRegressor(use_distance=True),
        ),
        "bilinear-pca20-coords-cv": (
            "BilinearRegressor(use_distance=True, alpha='cv')",
            BilinearRegressor(use_distance=True, alpha="cv", random_state=seed),
        ),
        "bilinear-genes-gcv": (
            "BilinearRegressor(encoder=None) (all genes, GCV alpha)",
            BilinearRegressor(encoder=None),
        ),
        "bilinear-genes-cv": (
            "BilinearRegressor(encoder=None, alpha='cv') (all genes)",
            BilinearRegressor(encoder=None, alpha="cv", random_state=seed),
        ),
        "bilinear-genes-coords-cv": (
            "BilinearRegressor(encoder=None, alpha='cv', use_distance=True)",
            BilinearRegressor(
                encoder=None, alpha="cv", use_distance=True, random_state=seed
            ),
        ),
        "bilinear-lowrank10": (
            "BilinearRegressor(rank=10) (PCA-20, early stopping)",
            BilinearRegressor(rank=10, random_state=seed),
        ),
        "bilinear-nested": (
            "GridSearchCV(BilinearRegressor(), linear_terms x use_distance, "
            "inner SpatialSplit(3))",
            GridSearchCV(
                BilinearRegressor(),
                nested_grid,
                cv=SpatialSplit(n_splits=3, method="kmeans", random_state=seed),
            ),
        ),
        "pls-plain": (
            "PLSBilinearRegressor(linear_terms=False, penalty='separable') "
            "(centred scores; not the research model, see bench_research.py)",
            PLSBilinearRegressor(linear_terms=False, penalty="separable"),
        ),
        "pls": (
            "PLSBilinearRegressor() (10 comps, GCV alpha)",
            PLSBilinearRegressor(),
        ),
        "pls-coords": (
            "PLSBilinearRegressor(use_distance=True)",
            PLSBilinearRegressor(use_distance=True),
        ),
    }


def run(dataset, model_names, seeds, n_splits, spatial_method):
    ds = load_dataset(dataset)
    X, Y = ds.X, ds.Y
    logger.info("%s: X %s, Y %s", dataset, X.shape, Y.shape)
    rows = []
    for name in model_names:
        res = {"spatial": [], "random": [], "fit_time": []}
        desc = None
        for seed in seeds:
            desc, model = make_models(seed)[name]
            splits = {
                "spatial": SpatialSplit(
                    n_splits=n_splits, method=spatial_method, random_state=seed
                ),
                "random": RandomSplit(n_splits=n_splits, random_state=seed),
            }
            for kind, cv in splits.items():
                out = cross_validate(model, X, Y, cv=cv, error_score="raise")
                res[kind].extend(out["test_score"])
                res["fit_time"].extend(out["fit_time"])
        rows.append((name, desc, res))
        logger.info(
            "%s %s: spatial %.3f, random %.3f",
            dataset,
            name,
            np.mean(res["spatial"]),
            np.mean(res["random"]),
        )
    return X.shape, rows


def main(argv=None):
    all_models = list(make_models(0))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", default=["hcp-schaefer100", "hcp-schaefer400"]
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--n-splits", type=int, default=4)
    parser.add_argument(
        "--spatial-method", default="greedy", choices=["greedy", "kmeans"]
    )
    parser.add_argument("--models", nargs="+", default=all_models, choices=all_models)
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads (default 1: on a busy shared machine multithreaded "
        "OpenBLAS can be ~100x slower on these small matrices)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(message)s",
    )
    with threadpool_limits(args.blas_threads):
        _report(args)


def _report(args):
    n_runs = args.n_splits * len(args.seeds)
    for dataset in args.datasets:
        t0 = time.perf_counter()
        shape, rows = run(
            dataset, args.models, args.seeds, args.n_splits, args.spatial_method
        )
        print(
            f"\n### {dataset} ({shape[0]} regions, {shape[1] - 3} genes + x, y, z); "
            f"{args.n_splits} folds x seeds {args.seeds} = {n_runs} runs per split; "
            f"SpatialSplit(method={args.spatial_method!r})\n"
        )
        print("| model | spatial r | random r | fit time (s) |")
        print("|---|---|---|---|")
        for name, desc, res in rows:
            sp, ra, ft = (np.asarray(res[k]) for k in ("spatial", "random", "fit_time"))
            print(
                f"| `{name}`: {desc} | {sp.mean():.3f} ± {sp.std(ddof=1):.3f} "
                f"| {ra.mean():.3f} ± {ra.std(ddof=1):.3f} | {ft.mean():.2f} |"
            )
        print(f"\n(total {time.perf_counter() - t0:.0f} s)")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

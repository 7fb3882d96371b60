"""Benchmark of connpredict.nulls: spin generation, fast path, spin-test p-values.

Usage::

    CONNPREDICT_DATA=/path/to/data_home python benchmarks/bench_nulls.py \
        [--n-spins 10000] [--n-null 1000] [--n-null-generic 100] \
        [--skip-spins] [--skip-fast] [--skip-models]

Parts (4. only with --dask):

1. Spin generation time of every method (``hungarian``, ``vasa``,
   ``nearest``) for the Schaefer-100 and Schaefer-400 region tables (+ 14
   subcortical regions; the shipped tables when present, else synthetic tables
   of the same sizes), and the fraction of spun regions that moved.
2. The fast path: 1,000 nulls of ``BilinearRegressor`` (closed form; default
   PCA-20 encoder and raw genes) with ``SpatialSplit(n_splits=4)`` on
   ``hcp-schaefer100``, with ``n_jobs=1`` and ``2``.
3. ``spin_test`` of every classical model on ``hcp-schaefer100`` with
   ``SpatialSplit(n_splits=4, random_state=42)``: true score, null mean and
   p-value, with wall time (the fast path is used where one exists).
4. Dask scale-out (``--dask 2``): nulls per second of a small
   ``PairMLPRegressor`` spin test on a local Dask cluster of 2, ...
   single-threaded worker processes, against the serial run.

Prints a table per part; numbers depend on the machine and its load. On a
busy machine, set ``OPENBLAS_NUM_THREADS=1``: the refits do small linear
algebra, and BLAS threads competing for few cores slow it down many-fold.
"""

import argparse
import os
import time

import numpy as np
from joblib import effective_n_jobs


def _region_table(n_parcels):
    from connpredict.nulls._testing import make_region_table

    try:
        from connpredict.datasets import load_region_table

        return load_region_table(n_parcels), "shipped"
    except Exception:  # table not there yet: a synthetic one of the same size
        return make_region_table(n_parcels, 14, random_state=0), "synthetic"


def bench_spins(n_spins, methods, atlases=(100, 400)):
    from connpredict.nulls import spin_permutations

    print(f"\n## Spin generation ({n_spins} spins, {effective_n_jobs(-1)} cores)")
    print(
        f"{'atlas':<14}{'table':<11}{'method':<11}{'n_jobs':>7}{'seconds':>9}"
        f"{'cpu s':>8}{'x nearest':>10}{'x nearest cpu':>14}{'moved':>8}"
    )
    # cpu s: CPU time of this process, all its threads (joblib runs the
    # assignments in threads here), so it does not grow with other jobs'
    # load the way wall time does. "x nearest": against the nearest spins
    # with the same n_jobs (their tree query uses every core either way).
    for n_parcels in atlases:
        regions, source = _region_table(n_parcels)
        nearest = {}
        for method in methods:
            # compiled kernels (numba) compile or load their cache here
            spin_permutations(regions, 2, method=method, random_state=0)
            for n_jobs in (1, 2):
                t0, c0 = time.perf_counter(), time.process_time()
                perms = spin_permutations(
                    regions, n_spins, method=method, random_state=0, n_jobs=n_jobs
                )
                dt, cpu = time.perf_counter() - t0, time.process_time() - c0
                if method == "nearest":
                    nearest[n_jobs] = (dt, cpu)
                if n_jobs in nearest:
                    ratio = f"{dt / nearest[n_jobs][0]:10.1f}"
                    ratio += f"{cpu / nearest[n_jobs][1]:14.1f}"
                else:
                    ratio = f"{'-':>10}{'-':>14}"
                moved = np.mean(perms != np.arange(perms.shape[1]))
                print(
                    f"schaefer{n_parcels:<6}{source:<11}{method:<11}{n_jobs:7d}"
                    f"{dt:9.2f}{cpu:8.2f}{ratio}{moved:8.2f}"
                )


def _classical_models():
    import connpredict.models as models

    wanted = {
        "ExponentialDecayRegressor": {},
        "GaussianKernelRegressor": {},
        "CGERegressor": {},
        "BilinearRegressor": {},
        "PLSBilinearRegressor": {},
    }
    out = {}
    for name, params in wanted.items():
        if name in models.__all__:
            out[name] = getattr(models, name)(**params)
    return out


def bench_fast_path(n_null, n_jobs_list):
    from connpredict.datasets import load_dataset
    from connpredict.model_selection import SpatialSplit
    from connpredict.models import BilinearRegressor
    from connpredict.nulls import spin_test

    ds = load_dataset("hcp-schaefer100")
    cv = SpatialSplit(n_splits=4, random_state=42)
    print(
        f"\n## Fast path: {n_null} nulls of BilinearRegressor (closed form) on "
        f"hcp-schaefer100 {ds.X.shape}, SpatialSplit(4), spins precomputed"
    )
    from connpredict.nulls import spin_permutations

    perms = spin_permutations(ds.regions, n_null, random_state=0)
    print(f"{'params':<36}{'n_jobs':>7}{'seconds':>9}{'cpu s':>8}{'p':>9}")
    runs = [({}, n) for n in n_jobs_list] + [({"encoder": None}, 1)]
    for params, n_jobs in runs:
        est = BilinearRegressor(**params)
        t0, c0 = time.perf_counter(), time.process_time()
        res = spin_test(est, ds.X, ds.Y, cv=cv, permutations=perms, n_jobs=n_jobs)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert res.fast_path
        # CPU time of this process (workers' time is not counted)
        cpu_s = f"{cpu:8.1f}" if n_jobs == 1 else f"{'-':>8}"
        print(f"{params!s:<36}{n_jobs!s:>7}{dt:9.1f}{cpu_s}{res.pvalue:9.4f}")


def bench_models(n_null, n_null_generic, n_jobs):
    from connpredict.datasets import load_dataset
    from connpredict.model_selection import SpatialSplit
    from connpredict.nulls import spin_test
    from connpredict.nulls._fast import has_fast_path

    ds = load_dataset("hcp-schaefer100")
    cv = SpatialSplit(n_splits=4, random_state=42)
    models = _classical_models()
    print(
        f"\n## spin_test on hcp-schaefer100 ({ds.X.shape[0]} regions), "
        "SpatialSplit(n_splits=4, random_state=42), hungarian spins "
        "(random_state=0), scoring='pearson_r'"
    )
    print(
        f"{'model':<28}{'path':<8}{'n':>6}{'score':>8}{'null mean':>11}"
        f"{'null sd':>9}{'p':>9}{'seconds':>9}{'cpu ms/null':>12}"
    )
    for name, est in models.items():
        fast = has_fast_path(est)
        n = n_null if fast else n_null_generic
        t0, c0 = time.perf_counter(), time.process_time()
        res = spin_test(
            est,
            ds.X,
            ds.Y,
            cv=cv,
            n_permutations=n,
            regions=ds.regions,
            random_state=0,
            n_jobs=n_jobs,
        )
        dt = time.perf_counter() - t0
        # CPU of this process per refit (true fit included; with n_jobs > 1
        # the workers' time is not counted)
        cpu_null = 1e3 * (time.process_time() - c0) / (n + 1)
        row = res.to_frame().iloc[0]
        print(
            f"{name:<28}{'fast' if res.fast_path else 'refit':<8}{n:6d}"
            f"{row.score:8.3f}{row.null_mean:11.3f}{row.null_sd:9.3f}"
            f"{row.pvalue:9.4f}{dt:9.1f}{cpu_null:12.1f}"
        )


# Dask's nanny starts every worker with MALLOC_TRIM_THRESHOLD_=65536; setting
# any glibc malloc threshold switches off its adaptive mmap threshold, so each
# tensor over 128 KiB is mapped and unmapped afresh (page faults at every
# optimiser step). Raising the mmap threshold restores the usual speed.
_MMAP_FIX = {"MALLOC_MMAP_THRESHOLD_": 32 * 2**20}


def bench_dask(n_null, workers_list):
    """Nulls per second of a neural model's spin test on a local Dask cluster.

    One worker process per core, one thread each (the setting of a real
    cluster); the cluster starts before the clock does. Every row times a
    whole ``spin_test`` (the true fit and the nulls). Every worker count runs
    twice: with Dask's default worker environment and with ``_MMAP_FIX``
    added to it. The serial run in this process (``n_jobs=1``, no Dask) is
    the reference; workers fit once before the clock starts, as this process
    does.
    """
    import dask
    import distributed
    from joblib import parallel_backend

    from connpredict.datasets import load_dataset
    from connpredict.model_selection import SpatialSplit
    from connpredict.models import PairMLPRegressor
    from connpredict.nulls import spin_permutations, spin_test

    ds = load_dataset("hcp-schaefer100")
    cv = SpatialSplit(n_splits=2, random_state=0)
    est = PairMLPRegressor(
        hidden_dims=(64, 32),
        max_iter=5,
        n_ensemble=1,
        validation_cv=None,
        n_iter_no_change=None,
        random_state=0,
    )
    perms = spin_permutations(ds.regions.loc[ds.X.index], n_null, random_state=0)
    print(
        f"\n## Dask scale-out: spin_test of PairMLPRegressor(hidden_dims=(64, 32), "
        f"max_iter=5, n_ensemble=1) on hcp-schaefer100, SpatialSplit(2), "
        f"{n_null} nulls ({effective_n_jobs(-1)} cores)"
    )
    spin_test(est, ds.X, ds.Y, cv=cv, permutations=perms[:1])  # warm-up
    t0 = time.perf_counter()
    serial = spin_test(est, ds.X, ds.Y, cv=cv, permutations=perms, n_jobs=1)
    t_serial = time.perf_counter() - t0
    print(
        f"{'workers':>8}  {'worker environment':<34}{'seconds':>9}{'nulls/s':>9}"
        f"{'x serial':>9}{'same nulls':>11}"
    )
    print(
        f"{'-':>8}  {'serial, n_jobs=1, no Dask':<34}{t_serial:9.1f}"
        f"{n_null / t_serial:9.3f}{1:9.2f}{'-':>11}"
    )
    environ = dask.config.get("distributed.nanny.pre-spawn-environ")
    for w in workers_list:
        if w == 1:
            print(f"{w:8d}  skipped: joblib runs one job in this process")
            continue
        for label, extra in (
            ("Dask default", {}),
            ("+ MALLOC_MMAP_THRESHOLD_=32MiB", _MMAP_FIX),
        ):
            with (
                dask.config.set(
                    {"distributed.nanny.pre-spawn-environ": {**environ, **extra}}
                ),
                distributed.LocalCluster(
                    n_workers=w,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                ) as cluster,
                distributed.Client(cluster) as client,
                parallel_backend("dask"),
            ):
                client.wait_for_workers(w)
                # Before the clock, every worker imports torch and fits once
                # (a fresh process's first fit costs about a second more).
                spin_test(est, ds.X, ds.Y, cv=cv, permutations=perms[: 4 * w],
                          n_jobs=-1)  # fmt: skip
                t0 = time.perf_counter()
                res = spin_test(est, ds.X, ds.Y, cv=cv, permutations=perms, n_jobs=-1)
                dt = time.perf_counter() - t0
            same = np.array_equal(res.null_scores, serial.null_scores)
            print(
                f"{w:8d}  {label:<34}{dt:9.1f}{n_null / dt:9.3f}"
                f"{t_serial / dt:9.2f}{same!s:>11}",
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-spins", type=int, default=10_000)
    parser.add_argument("--methods", default="nearest,vasa,hungarian")
    parser.add_argument("--atlases", default="100,400", help="Schaefer sizes")
    parser.add_argument(
        "--n-null",
        type=int,
        default=1000,
        help="null refits for models with a fast path",
    )
    parser.add_argument(
        "--n-null-generic",
        type=int,
        default=100,
        help="null refits for models without a fast path",
    )
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--skip-spins", action="store_true")
    parser.add_argument("--skip-fast", action="store_true")
    parser.add_argument("--skip-models", action="store_true")
    parser.add_argument(
        "--dask",
        default="",
        help="comma-separated worker counts for the Dask scale-out part, e.g. 1,2",
    )
    parser.add_argument("--n-null-neural", type=int, default=8)
    args = parser.parse_args()
    if not args.skip_spins:
        atlases = [int(a) for a in args.atlases.split(",")]
        bench_spins(args.n_spins, args.methods.split(","), atlases)
    if not os.environ.get("CONNPREDICT_DATA"):
        print("\n(CONNPREDICT_DATA unset: skipping the hcp-schaefer100 parts)")
        return
    if not args.skip_fast:
        bench_fast_path(args.n_null, [1, 2])
    if not args.skip_models:
        bench_models(args.n_null, args.n_null_generic, args.n_jobs)
    if args.dask:
        bench_dask(args.n_null_neural, [int(w) for w in args.dask.split(",")])


if __name__ == "__main__":
    main()

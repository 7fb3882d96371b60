"""Peak memory and CPU time of CGERegressor.fit at many regions.

Synthetic data (no data home): ``--n-regions`` regions with ``--n-genes``
genes and a matching connectome; fits ``CGERegressor()`` once and reports
the peak of Python-tracked allocations (``tracemalloc``, numpy included)
during ``fit`` and ``predict``, and their CPU times.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_cge_memory.py --n-regions 2000
"""

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd


def measure(func):
    tracemalloc.start()
    tracemalloc.reset_peak()
    cpu = time.process_time()
    out = func()
    cpu = time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, peak, cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-regions", type=int, default=2000)
    parser.add_argument("--n-genes", type=int, default=200)
    args = parser.parse_args(argv)
    from connpredict import CGERegressor

    rng = np.random.default_rng(0)
    n, g = args.n_regions, args.n_genes
    X = pd.DataFrame(rng.normal(size=(n, g)), columns=[f"g{i}" for i in range(g)])
    Y = np.corrcoef(X.to_numpy()) + 0.1 * rng.normal(size=(n, n))
    Y = (Y + Y.T) / 2
    np.fill_diagonal(Y, 0.0)
    input_mb = (X.to_numpy().nbytes + Y.nbytes) / 2**20
    est, fit_peak, fit_cpu = measure(lambda: CGERegressor().fit(X, Y))
    _, pred_peak, pred_cpu = measure(lambda: est.predict(X))
    print(f"CGERegressor, {n} regions x {g} genes (inputs {input_mb:.0f} MB)")
    print(f"fit:     peak {fit_peak / 2**20:8.1f} MB, cpu {fit_cpu:6.2f} s")
    print(f"predict: peak {pred_peak / 2**20:8.1f} MB, cpu {pred_cpu:6.2f} s")


if __name__ == "__main__":
    main()

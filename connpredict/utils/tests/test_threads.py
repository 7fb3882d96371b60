"""The thread policy and the Dask helper."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from connpredict.utils._threads import (
    ENV_THREADS,
    fit_threads,
    limit_threads,
    worker_environment,
)


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_fit_threads_reads_the_environment(monkeypatch):
    monkeypatch.delenv(ENV_THREADS, raising=False)
    assert fit_threads() == 1
    monkeypatch.setenv(ENV_THREADS, "3")
    assert fit_threads() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(ENV_THREADS, bad)
        with pytest.raises(ValueError, match=ENV_THREADS):
            fit_threads()


def test_limit_threads_sets_and_restores_torch_and_blas():
    torch = pytest.importorskip("torch")
    before_torch = torch.get_num_threads()
    before_blas = _blas_threads()
    target = 2 if before_torch == 1 else 1
    with limit_threads(target) as n:
        assert n == target
        assert torch.get_num_threads() == target
        assert all(t == target for t in _blas_threads())
    assert torch.get_num_threads() == before_torch
    assert _blas_threads() == before_blas


def test_limit_threads_restores_after_an_error():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), limit_threads(before + 1):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before


def test_worker_environment():
    env = worker_environment()
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == "1"
    assert env[ENV_THREADS] == "1"
    assert int(env["MALLOC_MMAP_THRESHOLD_"]) == 32 * 2**20
    env["OMP_NUM_THREADS"] = "8"  # a copy: the policy itself is unchanged
    assert worker_environment()["OMP_NUM_THREADS"] == "1"


def test_dask_cluster_sets_up_workers_and_matches_serial():
    pytest.importorskip("distributed")
    from joblib import parallel_config
    from sklearn.model_selection import KFold

    from connpredict.datasets import make_synthetic_connectome
    from connpredict.models import ExponentialDecayRegressor
    from connpredict.nulls import spin_test
    from connpredict.utils import dask_cluster

    ds = make_synthetic_connectome(n_regions=24, n_genes=10, random_state=0)
    kw = dict(
        cv=KFold(3, shuffle=True, random_state=0),
        regions=ds.regions,
        n_permutations=6,
        random_state=0,
    )
    serial = spin_test(ExponentialDecayRegressor(), ds.X, ds.Y, **kw)
    with dask_cluster(2) as client, parallel_config(backend="dask"):
        env = client.run(
            lambda: (
                __import__("os").environ.get("MALLOC_MMAP_THRESHOLD_"),
                __import__("os").environ.get("OMP_NUM_THREADS"),
            )
        )
        assert len(env) == 2
        assert all(v == (str(32 * 2**20), "1") for v in env.values())
        res = spin_test(ExponentialDecayRegressor(), ds.X, ds.Y, n_jobs=-1, **kw)
    np.testing.assert_array_equal(res.null_scores, serial.null_scores)
    with pytest.raises(ValueError, match="n_workers"), dask_cluster(0):
        pass

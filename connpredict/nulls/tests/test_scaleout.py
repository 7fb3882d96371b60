"""Spin tests of a neural model on a Dask cluster (joblib's dask backend)."""

import time

import numpy as np
from joblib import parallel_backend
from sklearn.model_selection import KFold

from connpredict.datasets import make_synthetic_connectome
from connpredict.models import PairMLPRegressor
from connpredict.nulls import spin_test


def _tiny_mlp():
    # random_state left to chance: spin_test seeds every fit from its own
    # random_state, whichever worker runs it.
    return PairMLPRegressor(
        hidden_dims=(8,),
        embedding_dim=4,
        head_dims=(4,),
        max_iter=2,
        batch_size=128,
        n_ensemble=1,
        validation_cv=None,
        n_iter_no_change=None,
    )


def test_neural_spin_test_on_dask_matches_serial(dask_client):
    ds = make_synthetic_connectome(n_regions=16, n_genes=4, random_state=0)
    kw = dict(
        cv=KFold(2, shuffle=True, random_state=0),
        n_permutations=4,
        regions=ds.regions,
        random_state=3,
    )
    serial = spin_test(_tiny_mlp(), ds.X, ds.Y, **kw)
    dask_client.get_task_stream()  # starts the scheduler's record of tasks
    start = time.time()
    with parallel_backend("dask"):
        remote = spin_test(_tiny_mlp(), ds.X, ds.Y, n_jobs=-1, **kw)
    assert len(dask_client.scheduler_info()["workers"]) == 2
    stream = dask_client.get_task_stream(start=start)
    # The two fold fits of the true score are tasks; each null's fold fits run
    # inside its batch's task, not as tasks of their own sent back to the
    # scheduler (joblib's Dask backend is inherited by nested calls).
    keys = [str(task["key"]) for task in stream]
    assert sum("_fit_and_score" in k for k in keys) == 2
    assert sum("_null_batch" in k for k in keys) >= 1
    assert np.all(np.isfinite(serial.null_scores))
    assert np.array_equal(serial.null_scores, remote.null_scores)
    assert np.array_equal(serial.permutations, remote.permutations)
    assert serial.pvalue == remote.pvalue
    # the nulls differ from each other: each refit saw different spun genes
    assert np.unique(serial.null_scores).size == serial.null_scores.size

"""A Dask client whose workers are set up for connpredict's work."""

import contextlib
import os

from connpredict.utils._threads import worker_environment


def _configure_worker():
    """Run on each worker: one torch and BLAS thread for the process."""
    import sys

    from threadpoolctl import threadpool_limits

    os.environ.update(
        {k: v for k, v in worker_environment().items() if k.endswith("_THREADS")}
    )
    threadpool_limits(limits=1, user_api="blas")
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    return os.environ.get("MALLOC_MMAP_THRESHOLD_")


@contextlib.contextmanager
def dask_cluster(n_workers=2, *, address=None, **cluster_kwargs):
    """A Dask client for spin tests and grid searches, workers set up right.

    Starts a :class:`distributed.LocalCluster` of ``n_workers`` worker
    processes with one thread each (or connects to the scheduler at
    ``address``) and yields a :class:`distributed.Client`. Inside, run
    connpredict's parallel work with joblib's Dask backend
    (``joblib.parallel_config(backend="dask")``): :func:`~connpredict.nulls.
    spin_test` with ``n_jobs=-1``, :class:`~sklearn.model_selection.
    GridSearchCV` with ``n_jobs=-1``.

    The workers get one torch, OpenMP and BLAS thread each (every task is a
    single-threaded fit; more threads only compete for the cores) and, for
    a local cluster, glibc's ``MALLOC_MMAP_THRESHOLD_=32 MiB``: Dask's nanny
    sets ``MALLOC_TRIM_THRESHOLD_``, which switches off glibc's adaptive
    mmap threshold, and without a fixed one every tensor over 128 KiB is
    mapped and unmapped afresh (neural refits then cost up to 64 % more).
    On a real cluster, set ``MALLOC_MMAP_THRESHOLD_`` in the workers'
    environment (``distributed.nanny.pre-spawn-environ``) yourself; the
    thread limits are applied to its running workers here.

    Parameters
    ----------
    n_workers : int, default=2
        Worker processes of the local cluster (ignored with ``address``).
        Note that joblib runs everything in the calling process when the
        cluster has a single worker; compare against the serial path, not
        against a one-worker cluster.
    address : str, default=None
        Scheduler address of an existing cluster, e.g.
        ``"tcp://scheduler:8786"``.
    **cluster_kwargs
        Passed to :class:`distributed.LocalCluster` (defaults:
        ``threads_per_worker=1``, ``processes=True``,
        ``dashboard_address=None``).

    Yields
    ------
    client : distributed.Client

    Examples
    --------
    >>> from joblib import parallel_config
    >>> from connpredict.utils import dask_cluster
    >>> with dask_cluster(2) as client:  # doctest: +SKIP
    ...     with parallel_config(backend="dask"):
    ...         pass
    """
    try:
        import dask
        import distributed
    except ImportError as exc:  # pragma: no cover - dask is optional
        raise ImportError(
            "dask_cluster needs Dask: pip install 'dask[distributed]'."
        ) from exc
    if address is not None:
        with distributed.Client(address) as client:
            client.run(_configure_worker)
            yield client
        return
    if int(n_workers) < 1:
        raise ValueError(f"n_workers must be a positive integer, got {n_workers!r}.")
    kwargs = {
        "n_workers": int(n_workers),
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": None,
        **cluster_kwargs,
    }
    key = "distributed.nanny.pre-spawn-environ"
    environ = {**(dask.config.get(key, default={}) or {}), **worker_environment()}
    with (
        dask.config.set({key: environ}),
        distributed.LocalCluster(**kwargs) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.wait_for_workers(kwargs["n_workers"])
        client.run(_configure_worker)
        yield client

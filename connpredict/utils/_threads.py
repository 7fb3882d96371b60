"""Thread policy: torch, BLAS and joblib workers together (private).

Small models on few cores gain nothing from intra-op threads: the threads
of torch and of the BLAS library wait for each other (spinning, which costs
CPU) and, next to joblib workers or other processes, oversubscribe the
cores. connpredict therefore trains and predicts with **one** torch thread
and one BLAS thread per process, and parallelises over processes (joblib's
``n_jobs``, Dask workers) instead.

``CONNPREDICT_NUM_THREADS`` (an environment variable) changes the number
of threads of a serial fit, for large models on an otherwise idle machine
(a GPU run is not affected: its work is on the device). Worker processes
always use one thread each.
"""

import contextlib
import os
import threading

#: Environment variable overriding the threads of a serial fit.
ENV_THREADS = "CONNPREDICT_NUM_THREADS"

#: What worker processes get (one thread each; see :func:`worker_environment`).
_WORKER_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "BLIS_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    ENV_THREADS: "1",
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_; any glibc malloc threshold
    # switches off the adaptive mmap threshold, so every tensor over 128 KiB
    # is mapped and unmapped afresh (page faults at each optimiser step).
    # A fixed, large mmap threshold restores the usual speed.
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),
}


def worker_environment():
    """Environment variables for worker processes: one thread each.

    Returns
    -------
    env : dict of str to str
        Thread counts of OpenMP, the BLAS libraries and connpredict's own
        torch threads set to 1, and glibc's ``MALLOC_MMAP_THRESHOLD_`` set
        to 32 MiB.

    Examples
    --------
    >>> from connpredict.utils._threads import worker_environment
    >>> worker_environment()["OMP_NUM_THREADS"]
    '1'
    """
    return dict(_WORKER_ENV)


def fit_threads():
    """Threads of one fit: ``CONNPREDICT_NUM_THREADS`` if set, else 1.

    Examples
    --------
    >>> from connpredict.utils._threads import fit_threads
    >>> fit_threads() >= 1
    True
    """
    value = os.environ.get(ENV_THREADS, "").strip()
    if not value:
        return 1
    try:
        n = int(value)
    except ValueError:
        raise ValueError(
            f"{ENV_THREADS} must be a positive integer, got {value!r}."
        ) from None
    if n < 1:
        raise ValueError(f"{ENV_THREADS} must be a positive integer, got {value!r}.")
    return n


@contextlib.contextmanager
def limit_threads(n_threads=None, *, torch_threads=True, user_api="blas"):
    """Run a block with ``n_threads`` torch and BLAS threads, then restore them.

    Parameters
    ----------
    n_threads : int, default=None
        Threads of torch's intra-op pool and of the native thread pools
        (through threadpoolctl); None means :func:`fit_threads`.
    torch_threads : bool, default=True
        Also set torch's threads (only if torch is already imported: this
        never imports it).
    user_api : {"blas", "openmp"} or None, default="blas"
        Which threadpoolctl pools to limit; None limits BLAS and OpenMP.

    Examples
    --------
    >>> from connpredict.utils._threads import limit_threads
    >>> with limit_threads(1):
    ...     pass
    """
    import sys

    from threadpoolctl import threadpool_limits

    n = fit_threads() if n_threads is None else int(n_threads)
    torch = sys.modules.get("torch") if torch_threads else None
    before = torch.get_num_threads() if torch is not None else None
    try:
        if torch is not None and before != n:
            torch.set_num_threads(n)
        with threadpool_limits(limits=n, user_api=user_api):
            yield n
    finally:
        if torch is not None and torch.get_num_threads() != before:
            torch.set_num_threads(before)


_SHARED_LOCK = threading.Lock()
_SHARED = {"depth": 0, "context": None}


@contextlib.contextmanager
def one_thread_shared():
    """One torch, BLAS and OpenMP thread, shared by concurrent blocks.

    :func:`limit_threads` (1 thread, every pool) entered by the first of
    concurrent users and left by the last: the limits are process-wide, so
    blocks running at once in threads of one process (a threading or
    in-process Dask backend) must not restore them while another still
    runs. Floating-point reductions can depend on the number of threads, so
    running every fit of a computation this way makes its results
    independent of how many run at once.

    Examples
    --------
    >>> from connpredict.utils._threads import one_thread_shared
    >>> with one_thread_shared():
    ...     pass
    """
    with _SHARED_LOCK:
        if _SHARED["depth"] == 0:
            context = limit_threads(1, user_api=None)
            context.__enter__()
            _SHARED["context"] = context
        _SHARED["depth"] += 1
    try:
        yield
    finally:
        with _SHARED_LOCK:
            _SHARED["depth"] -= 1
            if _SHARED["depth"] == 0:
                context, _SHARED["context"] = _SHARED["context"], None
                context.__exit__(None, None, None)

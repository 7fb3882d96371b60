"""Work shared by this process and warm worker processes (the ``n_jobs`` of runs).

A run's fold fits and a report's figures are both lists of independent
calls of uneven cost. :func:`run_calls` runs them in a given order on this
process *and* ``n_jobs - 1`` worker processes of joblib's reusable (loky)
pool: this process takes the next call whenever it is free, each worker one
call at a time, so a longest-first order holds across all of them and no
process waits at a barrier. This process has its imports done already; the
workers keep theirs between runs (the pool is reused).
"""

import collections
import threading

from connpredict.utils._threads import worker_environment

#: seconds an idle worker of the pool waits for work before it exits
WORKER_TIMEOUT = 300


def local_workers(n_jobs):
    """Worker processes beside this one: 0 when serial, None under a non-loky backend.

    Parameters
    ----------
    n_jobs : int or None
        joblib's ``n_jobs`` (-1: every core).

    Returns
    -------
    n_workers : int or None
        ``effective_n_jobs(n_jobs) - 1`` under joblib's default (loky)
        backend; None under another backend (``parallel_config(backend=
        "dask")``, ...), which should then run all the work itself.

    Examples
    --------
    >>> from connpredict.utils._parallel import local_workers
    >>> local_workers(1), local_workers(3)
    (0, 2)
    """
    from joblib import effective_n_jobs
    from joblib.parallel import get_active_backend

    if n_jobs == 1:
        return 0
    backend, _ = get_active_backend()
    if type(backend).__name__ != "LokyBackend":
        return None
    return effective_n_jobs(n_jobs) - 1


def worker_executor(n_workers):
    """joblib's reusable process pool (the loky backend's), one thread per worker.

    Parameters
    ----------
    n_workers : int
        Worker processes.

    Returns
    -------
    executor : loky executor
        Reused between calls with the same ``n_workers``.
    """
    from joblib.executor import get_memmapping_executor

    return get_memmapping_executor(
        n_workers, timeout=WORKER_TIMEOUT, env=worker_environment()
    )


def _indexed_call(i, func, args):
    return i, func(*args)


class TaskQueue:
    """Calls taken one at a time by this process and by worker processes.

    Each worker holds one call at a time; when it returns, its result goes
    to ``done(i, result)`` and the worker is handed the next pending call.

    Parameters
    ----------
    order : sequence of int
        The calls' positions, in the order they are taken.
    calls : sequence of (callable, tuple)
        The calls (picklable, for the workers).
    done : callable
        ``done(i, result)``, called in this process for every finished call
        (from a pool thread for the workers' calls).
    """

    def __init__(self, order, calls, done):
        self._pending = collections.deque(order)
        self._calls, self._done = calls, done
        self._cond = threading.Condition()
        self._running = 0
        self._executor = None
        self.error = None

    def take(self):
        """The next call's position, or None when none is left (or stopped)."""
        with self._cond:
            return self._pending.popleft() if self._pending else None

    def start_workers(self, n_workers):
        """Give each of ``n_workers`` pool workers its first call."""
        self._executor = worker_executor(n_workers)
        for _ in range(n_workers):
            self._submit_next()

    def _submit_next(self):
        i = self.take()
        if i is None:
            return
        with self._cond:
            self._running += 1
        try:
            func, args = self._calls[i]
            future = self._executor.submit(_indexed_call, i, func, args)
        except BaseException:
            self._finish()
            raise
        future.add_done_callback(self._finished)

    def _finished(self, future):
        try:
            i, result = future.result()
            self._done(i, result)
            self._submit_next()
        except BaseException as exc:  # raised again by wait()
            self.stop(exc)
        finally:
            self._finish()

    def _finish(self):
        with self._cond:
            self._running -= 1
            self._cond.notify_all()

    def stop(self, error=None):
        """Give no more calls; remember ``error`` (the first) for :meth:`wait`."""
        with self._cond:
            self._pending.clear()
            if error is not None and self.error is None:
                self.error = error

    def abort(self):
        """Give no more calls and end the workers' running ones now."""
        self.stop()
        if self._executor is not None:
            self._executor.shutdown(wait=False, kill_workers=True)

    def wait(self):
        """Wait for the workers' calls; raise the first failure."""
        with self._cond:
            self._cond.wait_for(lambda: self._running == 0)
        if self.error is not None:
            raise self.error


def run_calls(calls, n_jobs, *, order=None, done=None, local=None):
    """Run ``calls`` here and in ``n_jobs - 1`` warm worker processes.

    Parameters
    ----------
    calls : sequence of (callable, tuple)
        ``func(*args)`` for each; picklable when ``n_jobs != 1``.
    n_jobs : int or None
        Processes in all, this one included (joblib's convention: -1 is
        every core). Under a non-loky joblib backend the backend runs every
        call.
    order : sequence of int, default=None
        The order the calls are taken in (e.g. longest first); None is
        their own order.
    done : callable, default=None
        ``done(i, result)`` for every finished call, in this process (from a
        pool thread for the workers' calls, under a lock).
    local : callable, default=None
        How this process runs a call: ``local(func, args)``; None is
        ``func(*args)``.

    Returns
    -------
    results : list
        The result of each call, in the order of ``calls``.

    Raises
    ------
    Exception
        The first failure, here or in a worker; the workers' running calls
        are ended when this process fails or is interrupted.

    Examples
    --------
    >>> from operator import add
    >>> from connpredict.utils._parallel import run_calls
    >>> run_calls([(add, (1, 2)), (add, (3, 4))], n_jobs=1)
    [3, 7]
    """
    from joblib import Parallel, delayed

    order = list(range(len(calls))) if order is None else list(order)
    results = {}
    lock = threading.Lock()

    def record(i, result):
        with lock:
            results[i] = result
            if done is not None:
                done(i, result)

    n_workers = local_workers(n_jobs)
    if n_workers is None:  # another backend: it runs everything
        for i, result in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(_indexed_call)(i, *calls[i]) for i in order
        ):
            record(i, result)
        return [results[i] for i in range(len(calls))]
    queue = TaskQueue(order, calls, record)
    try:
        if n_workers:
            queue.start_workers(n_workers)
        while (i := queue.take()) is not None:
            func, args = calls[i]
            record(i, func(*args) if local is None else local(func, args))
    except BaseException:
        queue.abort()  # Ctrl-C or a failure here: stop the workers too
        raise
    queue.wait()
    return [results[i] for i in range(len(calls))]

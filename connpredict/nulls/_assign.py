"""Exact linear assignment of many small dense problems (the Hungarian spins).

The optimal one-to-one reassignment of a spin is a linear assignment problem
on the ``(n, n)`` matrix of distances between original and rotated centroids.
Two exact solvers are used, by measurement (``benchmarks/README.md``, "Spins"):

- the Jonker-Volgenant solver ``lapjvh`` of the optional package ``lapx``
  (``pip install connpredict[spins]``), run over a batch of matrices in C
  with one thread per job: about 2.3x faster than scipy on the
  Schaefer-400 hemispheres, with the same optimal permutations;
- :func:`scipy.optimize.linear_sum_assignment` otherwise.

Both return an optimal assignment; they can differ only where several
assignments have exactly the same total cost.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment


def _lapx_batch():
    """``lap.lapjvh_batch`` from ``lapx`` if installed, else None.

    The older ``lap`` package installs a module of the same name without the
    batch solver; it is not used.
    """
    try:
        import lap
    except ImportError:
        return None
    return getattr(lap, "lapjvh_batch", None)


_LAPX_BATCH = _lapx_batch()


def solve_assignments(costs, *, n_threads=1, backend=None):
    """Optimal assignment of each matrix of a batch.

    Parameters
    ----------
    costs : ndarray of shape (n_problems, n, n)
        Finite costs; ``costs[b, i, j]`` is the cost of giving row ``i``
        column ``j``.
    n_threads : int, default=1
        Threads of the ``lapx`` solver (ignored by scipy).
    backend : {None, "lapx", "scipy"}, default=None
        Force a solver; ``None`` takes ``lapx`` when installed.

    Returns
    -------
    columns : ndarray of int of shape (n_problems, n)
        ``columns[b, i]`` is the column assigned to row ``i``; each row a
        permutation minimising ``costs[b][arange(n), columns[b]].sum()``.
    """
    costs = np.ascontiguousarray(costs, dtype=np.float64)
    m, n, _ = costs.shape
    if backend is None:
        backend = "lapx" if _LAPX_BATCH is not None else "scipy"
    if backend == "lapx":
        if _LAPX_BATCH is None:
            raise ImportError(
                "The lapx solver is not installed; `pip install lapx` "
                "(or connpredict[spins])."
            )
        rows, cols = _LAPX_BATCH(
            costs, return_cost=False, n_threads=max(int(n_threads), 1)
        )
        out = np.empty((m, n), dtype=np.intp)
        for b in range(m):
            out[b, np.asarray(rows[b], dtype=np.intp)] = cols[b]
        return out
    out = np.empty((m, n), dtype=np.intp)
    for b in range(m):
        out[b] = linear_sum_assignment(costs[b])[1]
    return out

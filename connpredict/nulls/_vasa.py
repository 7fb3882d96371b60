"""Compiled greedy assignment of Váša et al. (2018) for many rotations.

The optional package ``numba`` (``pip install connpredict[spins]``) compiles
:func:`vasa_batch`, which solves one rotation at a time in a few hundred
kilobytes (the ``(n, n)`` squared distances stay in cache) and releases the
GIL, so threads share the work. Without numba, :mod:`._spins` runs the same
greedy rule vectorised over rotations in numpy.

Both compute squared distances, and both break ties by the lowest index, so
they give the same permutations; they could differ only where two squared
distances differ in the last bit, since numpy expands
``|p|^2 + |q|^2 - 2 p.q`` and this kernel sums the squared differences.
"""

import numpy as np


def _compile():
    """The compiled kernel, or None when numba is not installed."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(nogil=True, cache=True)
    def vasa_batch(points, rotations, out):  # pragma: no cover - compiled
        n = points.shape[0]
        d2 = np.empty((n, n))
        rotated = np.empty((n, 3))
        near = np.empty(n, np.int64)
        near_d = np.empty(n)
        taken = np.empty(n, np.bool_)
        for b in range(rotations.shape[0]):
            rot = rotations[b]
            for j in range(n):
                for a in range(3):
                    rotated[j, a] = (
                        rot[a, 0] * points[j, 0]
                        + rot[a, 1] * points[j, 1]
                        + rot[a, 2] * points[j, 2]
                    )
                taken[j] = False
            # d2[i, j] = |p_i - R p_j|^2; each row's nearest rotated region
            for i in range(n):
                best = np.inf
                best_j = 0
                for j in range(n):
                    e0 = points[i, 0] - rotated[j, 0]
                    e1 = points[i, 1] - rotated[j, 1]
                    e2 = points[i, 2] - rotated[j, 2]
                    d = e0 * e0 + e1 * e1 + e2 * e2
                    d2[i, j] = d
                    if d < best:
                        best = d
                        best_j = j
                near[i] = best_j
                near_d[i] = best
            for _ in range(n):
                # the unfilled position whose nearest free region is farthest
                i = 0
                worst = -np.inf
                for r in range(n):
                    if near_d[r] > worst:
                        worst = near_d[r]
                        i = r
                j = near[i]
                out[b, i] = j
                near_d[i] = -np.inf
                near[i] = -1
                taken[j] = True
                for r in range(n):  # rows that wanted j look again
                    if near[r] != j:
                        continue
                    best = np.inf
                    best_j = -1
                    for c in range(n):
                        if not taken[c] and d2[r, c] < best:
                            best = d2[r, c]
                            best_j = c
                    near[r] = best_j
                    near_d[r] = best

    return vasa_batch


_KERNEL = None
_TRIED = False


def compiled_vasa():
    """The compiled batch kernel ``(points, rotations, out) -> None``, or None.

    Compiled on first use (about a second, then cached on disk by numba).
    """
    global _KERNEL, _TRIED
    if not _TRIED:
        _KERNEL = _compile()
        _TRIED = True
    return _KERNEL


def assign_vasa_compiled(points, rotations):
    """Váša assignment of each rotation; ``out[b, i]`` is row i's column."""
    kernel = compiled_vasa()
    points = np.ascontiguousarray(points, dtype=np.float64)
    rotations = np.ascontiguousarray(rotations, dtype=np.float64)
    out = np.empty((rotations.shape[0], points.shape[0]), dtype=np.int64)
    kernel(points, rotations, out)
    return out.astype(np.intp, copy=False)

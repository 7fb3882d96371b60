"""Fast null refits that a model offers to :func:`spin_test` (its hook).

A model can make its spin test fast by exact shortcuts only it knows (for
the closed-form :class:`~connpredict.models.BilinearRegressor`, refits on a
small rotation of the genes; see :mod:`connpredict.models._bilinear_nulls`).
It offers them through a method ``_spin_null_refitter(coord_columns)``
returning None (no shortcut for these parameters) or a factory
``factory(X, Y, splits, gene_pos)`` whose result has
``batch(perms) -> ndarray (n_permutations, n_splits)``: the held-out Pearson r
of each fold after refitting on the genes permuted by each permutation.
Nothing here knows a model's parameters.

Before use, the shortcut is checked against a regular refit of the first
permutation; on any mismatch spin_test refits every permutation (with a
warning), so a change in a model cannot silently change results.
"""

import logging
import warnings

import numpy as np

from connpredict.utils._contract import COORD_COLUMNS

logger = logging.getLogger(__name__)

#: Name of the hook method on an estimator.
HOOK = "_spin_null_refitter"
_TOL = 1e-6
# the shortcuts compute Pearson r, which is also the estimators' ``score``
_FAST_SCORINGS = (None, "pearson_r")


def _refitter_factory(estimator, scoring, coord_columns):
    if not (scoring is None or isinstance(scoring, str)):
        return None
    if scoring not in _FAST_SCORINGS:
        return None
    hook = getattr(estimator, HOOK, None)
    if hook is None:
        return None
    return hook(tuple(coord_columns))


def has_fast_path(estimator, scoring="pearson_r", coord_columns=COORD_COLUMNS):
    """Whether :func:`spin_test` refits ``estimator`` by a closed-form fast path.

    The bilinear models (:class:`~connpredict.models.BilinearRegressor`)
    refit all spun permutations of a fold together, at a few milliseconds
    each; other models are refitted one permutation at a time.

    Parameters
    ----------
    estimator : estimator
        The model a spin test would refit.
    scoring : str, default="pearson_r"
        The spin test's scoring.
    coord_columns : tuple of str, default=("x", "y", "z")
        The coordinate columns of ``X`` (kept fixed by the spins).

    Returns
    -------
    fast : bool
        True when :func:`spin_test` uses the fast path (it still checks the
        first permutation against a regular refit).

    Examples
    --------
    >>> from connpredict.models import BilinearRegressor, ExponentialDecayRegressor
    >>> from connpredict.nulls import has_fast_path
    >>> has_fast_path(BilinearRegressor()), has_fast_path(ExponentialDecayRegressor())
    (True, False)
    """
    return _refitter_factory(estimator, scoring, coord_columns) is not None


def fast_null_scores(
    estimator,
    X,
    Y,
    splits,
    perms,
    scoring,
    gene_pos,
    *,
    coord_columns=COORD_COLUMNS,
    check=None,
    n_jobs=None,
):
    """Return null fold scores ``(n_permutations, n_splits)`` or None.

    None means no fast path applies (no hook, a hook declining these
    parameters, an unsupported scoring, or a failed self-check);
    :func:`spin_test` then refits generically. ``check(perm) -> fold scores``
    is the regular refit used to verify the first permutation.
    """
    factory = _refitter_factory(estimator, scoring, coord_columns)
    if factory is None:
        return None
    from joblib import Parallel, delayed, effective_n_jobs

    engine = factory(X, Y, splits, gene_pos)
    first = engine.batch(perms[:1])[0]
    if check is not None:
        expected = np.asarray(check(perms[0]), dtype=float)
        if not np.allclose(first, expected, rtol=_TOL, atol=_TOL, equal_nan=True):
            warnings.warn(
                "spin_test's closed-form fast path disagrees with a regular refit "
                f"({first} vs {expected}); refitting every permutation instead. "
                "Please report this.",
                RuntimeWarning,
                stacklevel=3,
            )
            return None
    rest = perms[1:]
    if len(rest) == 0:
        return first[None, :]
    workers = max(1, effective_n_jobs(n_jobs))
    # The engine refits its permutations in stacks; the stacks are the same
    # whatever the number of workers, so results do not depend on n_jobs.
    size = max(1, int(getattr(engine, "batch_size", len(rest))))
    chunks = [rest[i : i + size] for i in range(0, len(rest), size)]
    if workers == 1:
        parts = [engine.batch(c) for c in chunks]
    else:
        parts = Parallel(n_jobs=n_jobs)(delayed(engine.batch)(c) for c in chunks)
    return np.vstack([first[None, :], *parts])

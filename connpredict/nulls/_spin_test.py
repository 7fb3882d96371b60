"""Model-level spin test: is a cross-validated score better than spun genes?"""

import logging
import math
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs, parallel_config
from sklearn.base import clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv, cross_val_score
from sklearn.utils import check_random_state

from connpredict.nulls._given import given_permutations
from connpredict.nulls._regions import region_treatment
from connpredict.nulls._spins import (
    SPIN_METHODS,
    random_permutations,
    spin_permutations,
)
from connpredict.utils import import_optional
from connpredict.utils._checks import MIN_REGIONS, check_int
from connpredict.utils._contract import COORD_COLUMNS, check_regions_X
from connpredict.utils._stats import draw_seed
from connpredict.utils._threads import one_thread_shared

logger = logging.getLogger(__name__)

NULL_METHODS = (*SPIN_METHODS, "random")
# Permutations per joblib task: few enough for a live progress bar, many
# enough to amortise sending X and Y to a worker.
_MAX_BATCH = 25
# Relative tolerance under which a null score ties with the observed score.
_TIE_RTOL = 1e-12


@dataclass(repr=False)
class SpinTestResult:
    """Outcome of :func:`spin_test`.

    Parameters
    ----------
    score : float
        The true cross-validated score (mean over folds).
    null_scores : ndarray of shape (n_permutations,)
        Cross-validated scores with permuted gene expression.
    pvalue : float
        One-sided p-value ``(1 + #(null_scores >= score)) / (1 + n)``
        (:func:`permutation_pvalue`); NaN when ``score`` is undefined.
    permutations : ndarray of shape (n_permutations, n_regions)
        The permutations used (``X_genes[permutations[k]]``), or, with
        ``spin_test(surrogates=...)``, the surrogate maps (float) that
        replaced the single gene column.
    fold_scores : ndarray of shape (n_splits,)
        The true score of each fold.
    null_fold_scores : ndarray of shape (n_permutations, n_splits)
        The null score of each fold.
    method : str
        How the permutations were made (``"hungarian"``, ``"vasa"``,
        ``"nearest"``, ``"random"``, ``"given"`` or ``"surrogates"``).
    scoring : str
        Name of the score.
    fast_path : bool
        Whether the null refits used a batched closed-form path.
    region_treatment : Series or None
        For spins drawn from a region table: how each region was moved,
        ``"sphere"`` (spun on the sphere), ``"rotated"`` (no sphere centroid:
        rotated by its ``x, y, z`` centroid within its hemisphere and
        structure) or ``"fixed"`` (kept in place); see
        :func:`spin_permutations`. For cortex-only given permutations
        completed from ``regions``: ``"given"`` for the cortex and
        ``"rotated"``/``"fixed"`` for the others. None for random
        permutations and for given permutations that cover every region.

    See Also
    --------
    spin_test : Produces this result.
    plot_null_distribution : Histogram of ``null_scores``.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.nulls import SpinTestResult
    >>> res = SpinTestResult(score=0.5, null_scores=np.array([0.1, 0.6]),
    ...                      pvalue=2 / 3, permutations=np.zeros((2, 3), int))
    >>> res.to_frame()[["score", "pvalue", "n_permutations"]]
       score    pvalue  n_permutations
    0    0.5  0.666667               2
    """

    score: float
    null_scores: np.ndarray
    pvalue: float
    permutations: np.ndarray
    fold_scores: np.ndarray = field(default_factory=lambda: np.empty(0))
    null_fold_scores: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    method: str = "given"
    scoring: str = "score"
    fast_path: bool = False
    region_treatment: pd.Series | None = None

    def __repr__(self):
        return (
            f"{type(self).__name__}(scoring={self.scoring!r}, "
            f"score={self.score:.4g}, pvalue={self.pvalue:.4g}, "
            f"n_permutations={len(self.null_scores)}, method={self.method!r})"
        )

    def to_frame(self, kind="summary"):
        """Return a tidy table of the test.

        Parameters
        ----------
        kind : {"summary", "null"}, default="summary"
            ``"summary"``: one row with the scoring name, method, true score,
            null mean, standard deviation and 2.5/50/97.5 percentiles,
            ``z`` (``(score - null mean) / null sd``), p-value and number of
            permutations. ``"null"``: one row per score, with columns
            ``kind`` (``"true"`` or ``"null"``), ``permutation`` (-1 for the
            true score), ``scoring`` and ``score``.

        Returns
        -------
        table : DataFrame
            The table.
        """
        null = np.asarray(self.null_scores, dtype=float)
        if kind == "summary":
            ok = null[np.isfinite(null)]
            mean = sd = float("nan")
            q = [float("nan")] * 3
            if ok.size:
                mean = float(ok.mean())
                q = np.percentile(ok, [2.5, 50, 97.5])
            if ok.size > 1:
                sd = float(ok.std(ddof=1))
            z = (self.score - mean) / sd if sd and np.isfinite(sd) else float("nan")
            return pd.DataFrame(
                [
                    {
                        "scoring": self.scoring,
                        "method": self.method,
                        "score": float(self.score),
                        "null_mean": mean,
                        "null_sd": sd,
                        "null_q025": float(q[0]),
                        "null_median": float(q[1]),
                        "null_q975": float(q[2]),
                        "z": z,
                        "pvalue": float(self.pvalue),
                        "n_permutations": int(null.size),
                    }
                ]
            )
        if kind == "null":
            return pd.DataFrame(
                {
                    "kind": ["true"] + ["null"] * null.size,
                    "permutation": np.arange(-1, null.size),
                    "scoring": self.scoring,
                    "score": np.concatenate([[self.score], null]),
                }
            )
        raise ValueError(f"kind must be 'summary' or 'null', got {kind!r}.")


def permutation_pvalue(score, null_scores):
    """One-sided permutation p-value, ``(1 + #(null >= score)) / (1 + n)``.

    Parameters
    ----------
    score : float
        The observed statistic (greater is better).
    null_scores : array-like of shape (n_permutations,)
        Statistics under the null.

    Returns
    -------
    pvalue : float
        In ``[1 / (1 + n), 1]``, or NaN (with a :class:`RuntimeWarning`) when
        ``score`` is not finite or every null score is NaN.

    See Also
    --------
    spin_test : Uses this p-value.

    Notes
    -----
    **Ties.** A null score counts as reaching ``score`` when
    ``null >= score - tol`` with ``tol = 1e-12 * max(|score|, |null|)``:
    a refit that reproduces the observed score up to floating-point rounding
    (a closed-form path, an identity permutation, a different summation
    order) is a tie, not a smaller score.

    **Undefined scores.** A NaN (or infinite) observed score, e.g. a Pearson
    r over a test block of fewer than 3 regions, has no rank among the null
    scores: the p-value is NaN, never the most significant value
    ``1 / (1 + n)``. A NaN null score is a permutation whose score is
    unknown: it counts as reaching ``score``, so the p-value stays valid
    whatever its true value would have been (an upper bound; dropping it
    would be valid only if undefined scores arose independently of the
    score). Both cases warn. Infinite null scores are compared as numbers.

    Examples
    --------
    >>> from connpredict.nulls import permutation_pvalue
    >>> permutation_pvalue(0.5, [0.1, 0.2, 0.7])
    0.5
    """
    null = np.asarray(null_scores, dtype=float).ravel()
    score = float(score)
    if not np.isfinite(score):
        warnings.warn(
            f"The observed score is {score}, so it has no permutation p-value; "
            "returning NaN. A Pearson r needs at least 3 test regions (3 pairs) "
            "per fold: check the fold sizes and the predictions.",
            RuntimeWarning,
            stacklevel=2,
        )
        return float("nan")
    missing = np.isnan(null)
    if null.size and missing.all():
        warnings.warn(
            f"All {null.size} null scores are NaN; the p-value is undefined "
            "(returning NaN).",
            RuntimeWarning,
            stacklevel=2,
        )
        return float("nan")
    if missing.any():
        warnings.warn(
            f"{int(missing.sum())} of {null.size} null scores are NaN; they count "
            "as reaching the observed score (a conservative p-value).",
            RuntimeWarning,
            stacklevel=2,
        )
    defined = null[~missing]
    magnitude = np.where(np.isfinite(defined), np.abs(defined), 0.0)
    tol = _TIE_RTOL * np.maximum(abs(score), magnitude)
    exceed = int(np.sum(defined >= score - tol)) + int(missing.sum())
    return (1.0 + exceed) / (1.0 + null.size)


def _align_regions(regions, X):
    """Return the rows of the region table matching the regions of ``X``."""
    if not isinstance(regions, pd.DataFrame):
        raise TypeError(
            "regions must be the region table (a DataFrame indexed by region "
            "label), e.g. `load_dataset('hcp-schaefer100').regions`."
        )
    if isinstance(X.index, pd.RangeIndex) and not isinstance(
        regions.index, pd.RangeIndex
    ):
        if len(regions) != len(X):
            raise ValueError(
                f"X has {len(X)} unlabelled rows but regions has {len(regions)}; "
                "pass X as a DataFrame indexed by the labels of the region table."
            )
        return regions
    missing = X.index.difference(regions.index)
    if len(missing):
        raise ValueError(
            f"Regions {missing.tolist()[:5]} of X are not in the region table; "
            "regions must be indexed by the same labels as X (e.g. the `regions` "
            "of the same `load_dataset` Bunch)."
        )
    return regions.loc[X.index]


def _resolve_scorer(estimator, scoring):
    """Return ``(scorer, name)`` for ``scoring``."""
    if scoring is None:
        return check_scoring(estimator), "score"
    if isinstance(scoring, str):
        try:
            from connpredict.metrics import get_scorer
        except ImportError:  # pragma: no cover - metrics ships with the package
            get_scorer = None
        if get_scorer is not None:
            return get_scorer(scoring), scoring
        if scoring == "pearson_r":  # pragma: no cover
            return check_scoring(estimator), scoring
        raise ValueError(f"Unknown scoring {scoring!r}.")  # pragma: no cover
    if callable(scoring):
        return scoring, getattr(scoring, "__name__", type(scoring).__name__)
    raise ValueError(
        "scoring must be None, a scorer name (see "
        "`connpredict.metrics.get_scorer_names()`) or a callable "
        f"scorer(estimator, X, Y); got {scoring!r}."
    )


def _permuted_frame(X, values, gene_pos, perm):
    arr = values.copy()
    if perm.dtype.kind == "f":  # a surrogate map of the single gene column
        arr[:, gene_pos[0]] = perm
    else:
        arr[:, gene_pos] = values[perm][:, gene_pos]
    return pd.DataFrame(arr, index=X.index, columns=X.columns)


def _unseeded_params(estimator):
    """Names of the ``random_state`` parameters (at any depth) left to chance.

    Those are None, a RandomState or a Generator: a refit then draws from
    global or shared state, so its result would depend on which process runs
    it and in what order.
    """
    get_params = getattr(estimator, "get_params", None)
    if get_params is None:
        return []
    return sorted(
        name
        for name, value in get_params(deep=True).items()
        if (name == "random_state" or name.endswith("__random_state"))
        and (value is None or not isinstance(value, numbers.Integral))
    )


def _fit_seeds(root, n_fits):
    """One integer seed per fit, from a SeedSequence spawned per fit index."""
    children = np.random.SeedSequence(root).spawn(n_fits)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def _cv_fold_scores(estimator, X, Y, splits, scorer, seed=None, seeded=()):
    model = clone(estimator)
    if seed is not None and seeded:
        model.set_params(**dict.fromkeys(seeded, seed))
    return cross_val_score(
        model,
        X,
        Y,
        cv=splits,
        scoring=scorer,
        n_jobs=1,
        error_score="raise",
    )


def _null_batch(fits, perms, seeds):
    """Fold scores (n, n_splits) of refits of ``fits`` on permuted genes."""
    values = fits.X.to_numpy(dtype=float)
    # A batch is one task: its folds run here, one after the other. Without
    # the sequential backend, joblib's Dask backend (which ignores n_jobs and
    # is inherited by nested calls inside a worker) would send every fold fit
    # back to the scheduler while this task waits for it.
    with one_thread_shared(), parallel_config(backend="sequential"):
        return np.vstack(
            [
                _cv_fold_scores(
                    fits.estimator,
                    _permuted_frame(fits.X, values, fits.gene_pos, p),
                    fits.Y,
                    fits.splits,
                    fits.scorer,
                    seed,
                    fits.seeded,
                )
                for p, seed in zip(perms, seeds, strict=True)
            ]
        )


def spin_test(
    estimator,
    X,
    Y,
    *,
    cv,
    scoring="pearson_r",
    n_permutations=1000,
    method="hungarian",
    regions=None,
    permutations=None,
    groups=None,
    coord_columns=COORD_COLUMNS,
    fast=True,
    n_jobs=None,
    verbose=0,
    random_state=None,
    permutation_axis=0,
    surrogates=None,
    allow_duplicates=False,
):
    """Test a model's cross-validated score against spun gene expression.

    Like :func:`sklearn.model_selection.permutation_test_score`, but what is
    permuted are the **rows of the gene-expression columns of X**, by
    spatial-autocorrelation-preserving spins (:func:`spin_permutations`),
    while the coordinate columns, the target ``Y`` and the folds stay fixed.
    The null distribution therefore keeps the spatial smoothness of the
    expression maps and asks whether the *specific* expression pattern
    predicts connectivity beyond what any equally smooth map would.

    The score of a fit is the mean over the folds of ``cv`` (computed with
    :func:`~sklearn.model_selection.cross_val_score`, folds drawn once and
    reused for every permutation). Permutations and fit seeds are drawn up
    front from ``random_state``, and every fit runs single-threaded, so the
    result does not depend on ``n_jobs`` or the joblib backend, also for
    stochastic estimators (see Notes).

    Parameters
    ----------
    estimator : estimator object
        A connectome regressor (cloned for every fit).
    X : DataFrame of shape (n_regions, n_features)
        Region table of genes and (optionally) coordinates ``x, y, z``.
    Y : DataFrame of shape (n_regions, n_regions)
        Target connectome.
    cv : int, cross-validation generator or iterable
        Folds over regions, e.g. ``SpatialSplit(n_splits=4, random_state=0)``.
    scoring : str, callable or None, default="pearson_r"
        A name of :func:`connpredict.metrics.get_scorer`, a callable
        ``scorer(estimator, X, Y)`` (greater is better), or None for
        ``estimator.score``.
    n_permutations : int, default=1000
        Number of permutations drawn (ignored when ``permutations`` is given).
        Must be an integer >= 1 (floats, strings and booleans are refused).
    method : {"hungarian", "vasa", "nearest", "random"}, default="hungarian"
        Spin method of :func:`spin_permutations`, or ``"random"`` for uniform
        shuffles within hemisphere and structure
        (:func:`random_permutations`).
    regions : DataFrame, default=None
        Region table indexed like ``X`` (hemisphere, structure and sphere
        centroids), e.g. ``load_dataset(...).regions``. Required unless
        ``permutations`` is given.
    permutations : array-like of int of shape (n_permutations, n_regions), \
default=None
        Precomputed permutations (e.g. from :func:`read_spin_table`,
        neuromaps or netneurotools); row ``k`` replaces the genes of X by
        ``X_genes[permutations[k]]``. Each row must be a permutation of
        ``0..n_regions-1`` (see ``allow_duplicates``); an array whose rows
        are not but whose columns are is refused as transposed (see
        ``permutation_axis``). **Cortex-only spins**, of shape
        ``(n_permutations, n_cortex)``, for an X that also holds other
        regions are accepted with ``regions``: they permute the regions whose
        ``structure`` is ``"cortex"``, in their order in X, and every other
        region is moved as :func:`spin_permutations` moves a region without a
        sphere centroid (rotated by its ``x, y, z`` centroid within its
        hemisphere and structure, or kept in place when alone there);
        ``SpinTestResult.region_treatment`` says which (``"given"``,
        ``"rotated"``, ``"fixed"``).
    groups : array-like of shape (n_regions,), default=None
        Passed to ``cv.split``.
    coord_columns : tuple of str, default=("x", "y", "z")
        Columns of X that are not permuted.
    fast : bool, default=True
        Use a closed-form path when one exists for the estimator, which
        reuses everything that does not depend on the permutation:
        :class:`~connpredict.models.BilinearRegressor` with ``rank=None``,
        ``alpha`` a number or ``"gcv"``, ``encoder=None`` or ``"pca"`` and
        ``scoring="pearson_r"`` (or None).
        It is checked against a regular refit of the first permutation and
        abandoned, with a warning, if they disagree. Otherwise, and when
        False, every permutation is refitted with
        :func:`~sklearn.model_selection.cross_val_score`.
    n_jobs : int, default=None
        Parallel jobs over permutations (joblib; ``None`` means 1 unless in a
        :func:`joblib.parallel_backend` context, so a Dask or Ray cluster can
        run the refits).
    verbose : int, default=0
        Show a progress bar (tqdm) when > 0.
    random_state : int, RandomState instance or None, default=None
        Seed of the permutations, and of the fits of an estimator whose own
        ``random_state`` is left to chance (see Notes).
    permutation_axis : {0, 1}, default=0
        Layout of ``permutations``: 0, one permutation per row,
        ``(n_permutations, n_regions)``; 1, one per column,
        ``(n_regions, n_permutations)``, as neuromaps and netneurotools
        return spins (``data[spins[:, k]]`` is the k-th spun map). The
        layout is never guessed, but it is checked: a square array whose
        rows are not permutations while its columns are is refused (the
        error names the ``permutation_axis`` to pass).
    surrogates : callable or array-like of shape (n_permutations, n_regions), \
default=None
        Null maps for an X with a **single** gene column, used instead of
        permutations: the column is replaced by each surrogate map in turn.
        A callable is called once as ``surrogates(values, n_permutations,
        random_state=seed)`` with the column's values (ndarray of shape
        ``(n_regions,)``) and an integer seed drawn from ``random_state``,
        e.g. ``lambda v, n, random_state: variogram_surrogates(v, D, n,
        random_state=random_state)`` (:func:`variogram_surrogates`); an array
        gives the maps directly. Refused with several gene columns: per-map
        surrogates would destroy the covariance between genes, which whole-row
        spins keep (see the user guide, "Null models").
    allow_duplicates : bool, default=False
        Accept given ``permutations`` whose rows are not one-to-one (spins
        by nearest assignment, which repeat some regions and drop others);
        by default they are refused.

    Returns
    -------
    result : SpinTestResult
        ``score``, ``null_scores``, ``pvalue``, ``permutations``, per-fold
        scores, and ``to_frame()``.

    See Also
    --------
    spin_permutations : The spins used by default.
    random_permutations : The non-spatial null (``method="random"``).
    read_spin_table : Spins of the research system, for ``permutations=``.
    plot_null_distribution : Plot the result.

    Notes
    -----
    The p-value is one-sided, ``(1 + #(null >= score)) / (1 + n)``
    (Phipson & Smyth, 2010), never 0. Null scores within a relative
    ``1e-12`` of the true score count as ties (reaching it), so the
    closed-form fast path and regular refits give the same p-value; see
    :func:`permutation_pvalue`, which also explains the handling of NaN
    null scores.

    An undefined true score (NaN, e.g. a Pearson r over a test fold of fewer
    than 3 regions, whose test x test block has fewer than 3 pairs) gives a
    NaN p-value with a :class:`RuntimeWarning`, never a significant one.

    **Reproducibility.** An integer ``random_state`` of the estimator is
    used as given for every fit (true and null). A ``random_state`` of the
    estimator (or of any nested estimator, ``step__random_state``) that is
    None or a random generator is replaced, in each fit, by an integer seed
    from a :class:`numpy.random.SeedSequence` spawned per fit index (the true
    fit and each permutation) from ``random_state``, so a fit gets the same
    seed whichever worker runs it. Every fit runs with one BLAS, OpenMP and
    torch thread (restored afterwards), because floating-point sums can
    depend on the number of threads; use ``n_jobs`` to use more cores. On a
    GPU, results are reproducible only as far as the device's kernels are
    deterministic.

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.nulls import spin_test
    >>> from connpredict.model_selection import RandomSplit
    >>> from sklearn.base import BaseEstimator
    >>> ds = make_synthetic_connectome(n_regions=24, n_genes=5, random_state=0)
    >>> class Mean(BaseEstimator):  # a trivial connectome "model"
    ...     def fit(self, X, Y):
    ...         return self
    ...     def score(self, X, Y):
    ...         return float(X.iloc[:, 0].mean())
    >>> res = spin_test(Mean(), ds.X, ds.Y, cv=RandomSplit(3, random_state=0),
    ...                 scoring=None, n_permutations=9, regions=ds.regions,
    ...                 random_state=0)
    >>> res.null_scores.shape
    (9,)
    >>> 0 < res.pvalue <= 1
    True
    """
    n_permutations = check_int(n_permutations, "n_permutations", low=1)
    X = check_regions_X(X, coord_columns=coord_columns)
    gene_pos = _gene_positions(X, coord_columns)
    rng = check_random_state(random_state)
    if surrogates is not None and permutations is not None:
        raise ValueError("Pass either permutations= or surrogates=, not both.")
    if surrogates is not None:
        perms = _surrogate_maps(surrogates, X, gene_pos, n_permutations, rng)
        method_used, treatment = "surrogates", None
        fast = False  # the closed-form path replays row permutations only
    elif permutations is not None:
        perms, treatment = given_permutations(
            permutations,
            X,
            None if regions is None else _align_regions(regions, X),
            permutation_axis=permutation_axis,
            allow_duplicates=allow_duplicates,
            spin=spin_permutations,
            random_state=rng,
            method=method if method in SPIN_METHODS else "hungarian",
        )
        method_used = "given"
    else:
        perms, treatment = _drawn_permutations(regions, X, method, n_permutations, rng)
        method_used = method
    scorer, scoring_name = _resolve_scorer(estimator, scoring)
    splits = [
        (np.asarray(tr), np.asarray(te)) for tr, te in check_cv(cv).split(X, Y, groups)
    ]
    # Seeds for estimators left to chance: fit 0 is the true one, fit k + 1
    # the refit of permutation k, whichever worker runs it.
    seeded = _unseeded_params(estimator)
    seeds = _fit_seeds(draw_seed(rng), perms.shape[0] + 1)
    if not seeded:
        seeds = [None] * len(seeds)
    with one_thread_shared():
        fold_scores = _cv_fold_scores(estimator, X, Y, splits, scorer, seeds[0], seeded)
    score = float(np.mean(fold_scores))
    fits = _Refits(estimator, X, Y, splits, scorer, gene_pos, seeds, seeded)
    null_folds = None
    if fast:
        null_folds = _fast_nulls(fits, perms, scoring, coord_columns, n_jobs)
    fast_used = null_folds is not None
    if null_folds is None:
        null_folds = _generic_nulls(fits, perms, n_jobs, verbose)
    null_scores = null_folds.mean(axis=1)
    pvalue = _pvalue(score, fold_scores, null_scores, splits)
    return SpinTestResult(
        score=score,
        null_scores=null_scores,
        pvalue=pvalue,
        permutations=perms,
        fold_scores=np.asarray(fold_scores, dtype=float),
        null_fold_scores=null_folds,
        method=method_used,
        scoring=scoring_name,
        fast_path=fast_used,
        region_treatment=treatment,
    )


def _gene_positions(X, coord_columns):
    """Positions of X's gene columns (those spin_test permutes)."""
    coord_set = set(coord_columns)
    gene_pos = np.array(
        [k for k, c in enumerate(X.columns) if c not in coord_set], dtype=np.intp
    )
    if gene_pos.size == 0:
        raise ValueError(
            "X has no gene columns to permute (only coordinates); spin_test "
            "permutes gene expression, so pass X with its genes."
        )
    return gene_pos


def _drawn_permutations(regions, X, method, n_permutations, rng):
    """``(permutations, region treatment)`` drawn from the region table."""
    if regions is None:
        raise ValueError(
            "spin_test needs the region table to draw spins: pass "
            "`regions=` (e.g. `ds.regions` of `load_dataset(...)`, indexed "
            "like X, with hemisphere, structure and sphere_x/y/z columns), or "
            "precomputed `permutations=` (from `spin_permutations` or "
            "`read_spin_table`)."
        )
    if method not in NULL_METHODS:
        raise ValueError(f"method must be one of {list(NULL_METHODS)}, got {method!r}.")
    reg = _align_regions(regions, X)
    if method == "random":
        perms = random_permutations(
            reg,
            n_permutations,
            preserve="hemisphere_structure",
            random_state=rng,
        )
        return perms, None
    perms = spin_permutations(reg, n_permutations, method=method, random_state=rng)
    return perms, region_treatment(reg)


@dataclass
class _Refits:
    """What every null refit shares: the data, folds, scorer and fit seeds.

    ``seeds[0]`` is the true fit's, ``seeds[k + 1]`` permutation k's.
    """

    estimator: object
    X: pd.DataFrame
    Y: object
    splits: list
    scorer: object
    gene_pos: np.ndarray
    seeds: list
    seeded: list


def _fast_nulls(fits, perms, scoring, coord_columns, n_jobs):
    """Null fold scores by the closed-form path, or None when none applies."""
    from connpredict.nulls._fast import fast_null_scores

    null_folds = fast_null_scores(
        fits.estimator,
        fits.X,
        fits.Y,
        fits.splits,
        perms,
        scoring,
        fits.gene_pos,
        coord_columns=coord_columns,
        check=lambda p: _null_batch(fits, p[None, :], fits.seeds[1:2])[0],
        n_jobs=n_jobs,
    )
    if null_folds is not None:
        logger.info("spin_test: closed-form fast path for %s", type(fits.estimator))
    return null_folds


def _pvalue(score, fold_scores, null_scores, splits):
    """The p-value of ``score``; NaN with a warning when it is undefined."""
    if not np.isfinite(score):
        small = sorted({len(te) for _, te in splits if len(te) < MIN_REGIONS})
        hint = (
            f" Some test folds have only {small} regions: a Pearson r over a "
            f"test block needs at least {MIN_REGIONS} regions, so use fewer "
            "splits."
            if small
            else ""
        )
        warnings.warn(
            f"spin_test: the true score is {score} (fold scores "
            f"{np.round(fold_scores, 4).tolist()}), so the p-value is NaN.{hint}",
            RuntimeWarning,
            stacklevel=3,
        )
        pvalue = float("nan")
    else:
        pvalue = permutation_pvalue(score, null_scores)
    finite = null_scores[np.isfinite(null_scores)]
    logger.info(
        "spin_test: score %.4f, null mean %.4f, p = %.4g (%d permutations)",
        score,
        finite.mean() if finite.size else float("nan"),
        pvalue,
        null_scores.size,
    )
    return pvalue


def _surrogate_maps(surrogates, X, gene_pos, n_permutations, rng):
    """Validated surrogate maps (float, (n, n_regions)) of X's one gene column."""
    if gene_pos.size != 1:
        raise ValueError(
            f"surrogates= replaces a single map, but X has {gene_pos.size} gene "
            "columns; with several genes use spins (method=/permutations=), "
            "which permute whole rows and keep the covariance between genes."
        )
    values = X.iloc[:, gene_pos[0]].to_numpy(dtype=float)
    if callable(surrogates):
        maps = surrogates(values.copy(), n_permutations, random_state=draw_seed(rng))
    else:
        maps = surrogates
    maps = np.array(maps, dtype=float)
    if maps.ndim != 2 or maps.shape[1] != values.size or maps.shape[0] < 1:
        raise ValueError(
            f"surrogates must give an array of shape (n_surrogates, {values.size}) "
            f"(one map per row over the {values.size} regions of X), got "
            f"{maps.shape}."
        )
    if not np.all(np.isfinite(maps)):
        raise ValueError("surrogates contain NaN or inf; pass finite maps.")
    return maps


def _generic_nulls(fits, perms, n_jobs, verbose):
    """Null fold scores (n_permutations, n_splits) by regular refits."""
    n = perms.shape[0]
    workers = max(1, effective_n_jobs(n_jobs))
    batch = max(1, min(_MAX_BATCH, math.ceil(n / (4 * workers))))
    starts = range(0, n, batch)
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    seeds = fits.seeds[1:]
    results = parallel(
        delayed(_null_batch)(fits, perms[s : s + batch], seeds[s : s + batch])
        for s in starts
    )
    out = []
    bar = None
    if verbose:
        tqdm = import_optional("tqdm.auto", "spin_test(verbose=True)").tqdm

        bar = tqdm(total=n, desc="spin_test", unit="perm")
    try:
        for res in results:
            out.append(res)
            if bar is not None:
                bar.update(res.shape[0])
    finally:
        if bar is not None:
            bar.close()
    return np.vstack(out)

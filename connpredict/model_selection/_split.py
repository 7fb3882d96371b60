"""Cross-validation splitters over brain regions.

Regions are the samples (one row of ``X`` per region, ``Y`` a square
connectome). Every splitter here is a scikit-learn cross-validator: its
parameters are set in ``__init__`` and stored untouched, the data arrive only
through ``split(X, y=None, groups=None)``, and each fold is yielded as a pair
of integer index arrays ``(train, test)`` into the rows of ``X``. Folds
partition the regions: every region is tested exactly once and never appears
in the training set of its own fold.

Each splitter also offers :meth:`inner_split`, a splitter of the same style
with the same settings, to split the *training* regions of an outer fold
again (nested cross-validation, hyper-parameter search, early stopping), and
:func:`validation_split` returns one inner ``(train, validation)`` split of a
training set directly.
"""

import inspect
import math
import numbers
import warnings

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import check_random_state
from sklearn.utils.validation import _num_samples

from connpredict.utils import import_optional
from connpredict.utils._checks import MIN_REGIONS, check_int
from connpredict.utils._contract import COORD_COLUMNS, train_block
from connpredict.utils._stats import draw_seed

__all__ = [
    "MIN_TEST_REGIONS",
    "CommunitySplit",
    "NetworkSplit",
    "RandomSplit",
    "SpatialSplit",
    "check_n_splits",
    "validation_split",
]

#: Fewest test regions for which a fold's test x test block defines a Pearson
#: r: its upper triangle has ``m (m - 1) / 2`` pairs, so 2 regions give one
#: pair (a correlation over one point is undefined) and 3 regions give 3.
#: The package's one minimum (``connpredict.utils._checks.MIN_REGIONS``).
MIN_TEST_REGIONS = MIN_REGIONS


# ---------------------------------------------------------------------------
# shared machinery
# ---------------------------------------------------------------------------
class _RegionSplitter(BaseCrossValidator):
    """Base class: a splitter that assigns each region to one test fold.

    Subclasses implement ``_fold_labels(X, y, groups)`` returning an integer
    array (one fold number ``0..n_folds-1`` per row of ``X``) and
    ``get_n_splits``. ``split`` turns the labels into ``(train, test)``
    index pairs, so train is always the complement of test.
    """

    # What to do about a test fold too small to score (in the warning).
    _small_fold_fix = "Use fewer splits (`check_n_splits` gives the largest that works)"

    # -- parameters (clone / GridSearchCV support) ---------------------------
    @classmethod
    def _get_param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(
            name
            for name, p in sig.parameters.items()
            if name != "self" and p.kind != p.VAR_KEYWORD
        )

    def get_params(self, deep=True):
        """Get the parameters of this splitter.

        Parameters
        ----------
        deep : bool, default=True
            Ignored; present for scikit-learn compatibility (splitters hold no
            sub-estimators).

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set the parameters of this splitter.

        Parameters
        ----------
        **params : dict
            Splitter parameters.

        Returns
        -------
        self : object
            The splitter.
        """
        valid = self._get_param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(
                    f"Invalid parameter {key!r} for {type(self).__name__}; valid "
                    f"parameters are {valid}."
                )
            setattr(self, key, value)
        return self

    # -- splitting -------------------------------------------------------------
    def split(self, X, y=None, groups=None):
        """Generate indices to split the regions into training and test sets.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_regions, n_features)
            Region table (one row per region).
        y : DataFrame or array-like of shape (n_regions, n_regions), default=None
            The connectome; used only by :class:`CommunitySplit`.
        groups : array-like of shape (n_regions,), default=None
            Group labels; used only by :class:`NetworkSplit`.

        Yields
        ------
        train : ndarray of int
            Positional indices of the training regions of the fold.
        test : ndarray of int
            Positional indices of the test regions of the fold.
        """
        labels = self._fold_labels(X, y, groups)
        _warn_small_folds(self, labels)
        indices = np.arange(labels.shape[0])
        for fold in range(int(labels.max()) + 1):
            mask = labels == fold
            yield indices[~mask], indices[mask]

    def _fold_labels(self, X, y, groups):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of folds.

        Parameters
        ----------
        X, y, groups : object
            Ignored; present for API compatibility.

        Returns
        -------
        n_splits : int
            ``n_splits``.
        """
        return _check_n_splits(self.n_splits)

    def inner_split(self, n_splits=None):
        """Return a splitter of the same style for the training regions.

        Use it to split the training regions of an outer fold again, for
        nested cross-validation or hyper-parameter search (pass it as ``cv=``
        of :class:`~sklearn.model_selection.GridSearchCV` fitted on the outer
        training regions), or take its first fold for early stopping (see
        :func:`validation_split`). The outer test regions are never seen: the
        inner splitter only receives what it is given.

        Parameters
        ----------
        n_splits : int, default=None
            Number of inner folds; None keeps this splitter's ``n_splits``.

        Returns
        -------
        splitter : cross-validator
            A new, unfitted splitter of the same class with the same settings
            (and ``n_splits`` replaced when given).

        Examples
        --------
        >>> from connpredict.model_selection import SpatialSplit
        >>> SpatialSplit(n_splits=4, method="kmeans", random_state=0).inner_split(3)
        SpatialSplit(coord_columns=('x', 'y', 'z'), method='kmeans', mirror=False,
               n_splits=3, random_state=0)
        """
        params = self.get_params()
        if n_splits is not None:
            params["n_splits"] = n_splits
        return type(self)(**params)

    def __sklearn_clone__(self):
        return type(self)(**self.get_params())


def _check_n_splits(n_splits, *, allow_none=False, name="n_splits"):
    return check_int(n_splits, name, low=2, none_ok=allow_none)


def check_n_splits(n_splits, n_regions, *, min_test_regions=MIN_TEST_REGIONS):
    """Check that ``n_splits`` folds of ``n_regions`` regions can be scored.

    With ``k`` folds of :class:`RandomSplit` or :class:`SpatialSplit`, the
    smallest test fold has ``n_regions // k`` regions. A fold's test x test
    block needs at least ``min_test_regions`` regions: with the default 3,
    its upper triangle has 3 pairs, the fewest over which a Pearson r is
    defined (2 regions give 1 pair). Call this before building a splitter,
    e.g. to validate a command-line ``--n-splits``.

    Parameters
    ----------
    n_splits : int
        Number of folds, at least 2.
    n_regions : int
        Number of regions to split.
    min_test_regions : int, default=3
        Fewest regions a test fold may have.

    Returns
    -------
    n_splits : int
        ``n_splits``, checked.

    Raises
    ------
    TypeError
        When ``n_splits`` is not an integer.
    ValueError
        When ``n_splits`` is < 2 or leaves a test fold with fewer than
        ``min_test_regions`` regions; the message gives the largest
        ``n_splits`` that works.

    See Also
    --------
    RandomSplit : Folds whose sizes differ by at most one.
    SpatialSplit : Spatially compact folds.

    Examples
    --------
    >>> from connpredict.model_selection import check_n_splits
    >>> check_n_splits(5, 114)
    5
    >>> check_n_splits(50, 114)
    Traceback (most recent call last):
    ...
    ValueError: n_splits=50 on 114 regions leaves test folds of 2 region(s), ...
    """
    k = _check_n_splits(n_splits)
    minimum = check_int(min_test_regions, "min_test_regions", low=1)
    n = int(n_regions)
    best = n // minimum
    if n // k < minimum:
        fix = (
            f"use n_splits <= {best}"
            if best >= 2
            else f"{n} regions are too few for 2 folds of {minimum} regions"
        )
        raise ValueError(
            f"n_splits={k} on {n} regions leaves test folds of {n // k} "
            f"region(s), but a test fold needs at least {minimum} regions "
            f"({minimum * (minimum - 1) // 2} pairs) for its score to be "
            f"defined: {fix}."
        )
    return k


def _warn_small_folds(splitter, labels):
    """Warn when a test fold is too small for a test x test Pearson r."""
    sizes = np.bincount(labels)
    small = int(sizes.min())
    if small >= MIN_TEST_REGIONS:
        return
    n = labels.shape[0]
    warnings.warn(
        f"{type(splitter).__name__} made a test fold of {small} region(s) "
        f"(fold sizes {sorted(set(sizes.tolist()))}, {n} regions). A score over "
        f"the test x test block needs at least {MIN_TEST_REGIONS} regions per "
        f"fold (3 pairs): a Pearson r there is undefined (NaN). "
        f"{splitter._small_fold_fix}, or score test x train pairs.",
        UserWarning,
        stacklevel=3,
    )


def _check_enough(n_regions, n_splits, name):
    if n_splits > n_regions:
        raise ValueError(
            f"{name}(n_splits={n_splits}) cannot split {n_regions} regions: "
            "n_splits must not exceed the number of regions. Lower n_splits."
        )


def _get_coords(X, coord_columns, who):
    """Return the (n, 3) coordinate array of ``X`` or raise a clear error."""
    cols = list(coord_columns)
    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(
                f"{who} needs a 2-D region table X, got an array of shape {arr.shape}."
            )
        frame = pd.DataFrame(arr)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{who} needs region coordinates, but X lacks the column(s) {missing} "
            f"(looked for {cols}). Pass X as a DataFrame with the MNI coordinates "
            "of each region in columns 'x', 'y', 'z' (as `load_dataset` returns "
            "it), or set `coord_columns=` to the names of your coordinate columns."
        )
    coords = frame[cols].to_numpy(dtype=float)
    if not np.all(np.isfinite(coords)):
        raise ValueError(
            f"The coordinate columns {cols} of X contain NaN or infinite values; "
            "every region needs finite coordinates."
        )
    return coords


def _has_coords(X, coord_columns):
    return isinstance(X, pd.DataFrame) and all(c in X.columns for c in coord_columns)


# ---------------------------------------------------------------------------
# RandomSplit
# ---------------------------------------------------------------------------
class RandomSplit(_RegionSplitter):
    """Shuffled K-fold cross-validation over regions.

    The regions are permuted at random and cut into ``n_splits`` folds whose
    sizes differ by at most one. Each fold is used once as the test set.
    Test folds ignore space, so test regions sit next to training regions:
    use :class:`SpatialSplit` to measure how well a model generalises to
    unseen parts of the brain.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    random_state : int, RandomState instance or None, default=None
        Controls the shuffling. Pass an int for reproducible folds.

    See Also
    --------
    SpatialSplit : Spatially compact folds.
    sklearn.model_selection.KFold : The same idea for generic samples.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.model_selection import RandomSplit
    >>> X = np.zeros((9, 2))
    >>> cv = RandomSplit(n_splits=3, random_state=0)
    >>> for train, test in cv.split(X):
    ...     print(train, test)
    [0 3 4 5 6 8] [1 2 7]
    [0 1 2 3 5 7] [4 6 8]
    [1 2 4 6 7 8] [0 3 5]
    """

    def __init__(self, n_splits=5, *, random_state=None):
        self.n_splits = n_splits
        self.random_state = random_state

    def _fold_labels(self, X, y, groups):
        k = _check_n_splits(self.n_splits)
        n = _num_samples(X)
        _check_enough(n, k, type(self).__name__)
        rng = check_random_state(self.random_state)
        labels = np.empty(n, dtype=int)
        for fold, chunk in enumerate(np.array_split(rng.permutation(n), k)):
            labels[chunk] = fold
        return labels


# ---------------------------------------------------------------------------
# SpatialSplit
# ---------------------------------------------------------------------------
class SpatialSplit(_RegionSplitter):
    """Spatially compact folds from the regions' coordinates.

    Two methods are available:

    ``"greedy"`` (default, the method of the GeneEx2Conn research system)
        With ``per = n_regions // n_splits``: pick a seed region at random
        among the unassigned regions, assign it and its ``per - 1`` nearest
        unassigned neighbours (Euclidean distance) to the next fold, and
        repeat; the last fold takes every region left. The first folds are
        compact balls; the last fold holds the leftovers, which can be
        scattered across the brain and is larger when ``n_regions`` is not a
        multiple of ``n_splits``.
    ``"kmeans"``
        Size-constrained k-means: k-means centroids (k-means++ start), then
        alternately (a) assign regions to centroids under the constraint that
        fold sizes differ by at most one, solved exactly as an assignment
        problem (each centroid replicated into as many slots as its fold has
        regions, :func:`scipy.optimize.linear_sum_assignment` on squared
        distances) and (b) move each centroid to the mean of its regions,
        until the assignment no longer changes. Every fold is compact and the
        folds are balanced; there is no scattered leftover fold. On the
        Schaefer-100 + subcortex atlas (114 regions, 4 folds) the mean
        within-fold distance is lower than with ``"greedy"``; prefer it
        unless you need to reproduce the research setup.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    method : {"greedy", "kmeans"}, default="greedy"
        How folds are built (see above).
    mirror : bool, default=False
        Use ``|x|`` instead of ``x``, folding the left hemisphere onto the
        right, so that homotopic regions (mirror images across the midline)
        are close and nearly always fall in the same fold. This keeps a model
        from predicting a test region from its contralateral twin.
    coord_columns : tuple of str, default=("x", "y", "z")
        Names of the coordinate columns of ``X`` (MNI mm).
    random_state : int, RandomState instance or None, default=None
        Seeds the seed-region draws (``"greedy"``) or the k-means start
        (``"kmeans"``). Pass an int for reproducible folds.

    See Also
    --------
    RandomSplit : Folds that ignore space.
    plot_splits : Draw the folds on the brain.

    Notes
    -----
    Distances are Euclidean in the coordinate space, so for a whole brain a
    fold can cross the midline (use ``mirror=True`` to make left and right
    homologues share a fold instead).

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.model_selection import SpatialSplit
    >>> X = pd.DataFrame({"x": [0, 1, 2, 10, 11, 12], "y": 0.0, "z": 0.0})
    >>> cv = SpatialSplit(n_splits=2, method="kmeans", random_state=0)
    >>> for train, test in cv.split(X):
    ...     print(train, test)
    [3 4 5] [0 1 2]
    [0 1 2] [3 4 5]
    """

    def __init__(
        self,
        n_splits=5,
        *,
        method="greedy",
        mirror=False,
        coord_columns=COORD_COLUMNS,
        random_state=None,
    ):
        self.n_splits = n_splits
        self.method = method
        self.mirror = mirror
        self.coord_columns = coord_columns
        self.random_state = random_state

    def _fold_labels(self, X, y, groups):
        k = _check_n_splits(self.n_splits)
        if self.method not in ("greedy", "kmeans"):
            raise ValueError(
                f"method must be 'greedy' or 'kmeans', got {self.method!r}."
            )
        coords = _get_coords(X, self.coord_columns, type(self).__name__)
        _check_enough(coords.shape[0], k, type(self).__name__)
        if self.mirror:
            coords = coords.copy()
            coords[:, 0] = np.abs(coords[:, 0])
        rng = check_random_state(self.random_state)
        if self.method == "greedy":
            return _greedy_folds(coords, k, rng)
        return _balanced_kmeans_folds(coords, k, rng)


def _greedy_folds(coords, n_splits, rng):
    """Research method: seed + nearest unassigned regions, leftovers last."""
    n = coords.shape[0]
    per = n // n_splits
    labels = np.full(n, n_splits - 1, dtype=int)
    remaining = np.arange(n)
    for fold in range(n_splits - 1):
        seed = rng.choice(remaining)
        dist = np.linalg.norm(coords[remaining] - coords[seed], axis=1)
        dist[remaining == seed] = -1.0  # the seed itself always belongs
        take = remaining[np.argsort(dist, kind="stable")[:per]]
        labels[take] = fold
        remaining = np.setdiff1d(remaining, take, assume_unique=True)
    return labels


def _balanced_assignment(coords, centroids):
    """Assign regions to centroids, fold sizes differing by at most one.

    Minimises the total squared distance under the size constraint, as an
    assignment problem: each centroid gets ``n // k`` ordinary slots and one
    extra slot that carries a penalty larger than any possible total cost, so
    the optimum uses exactly ``n % k`` extra slots (the centroids that benefit
    most get them).
    """
    n, k = coords.shape[0], centroids.shape[0]
    base, extra = divmod(n, k)
    cost = cdist(coords, centroids, "sqeuclidean")
    slots = np.repeat(np.arange(k), base)
    columns = cost[:, slots]
    if extra:
        penalty = n * cost.max() + 1.0
        slots = np.r_[slots, np.arange(k)]
        columns = np.hstack([columns, cost + penalty])
    _, cols = linear_sum_assignment(columns)
    return slots[cols]


def _kmeans_centroids(coords, k, rng, n_init=4, max_iter=100):
    """Plain k-means (k-means++ starts, Lloyd iterations); best of n_init."""
    from sklearn.cluster import kmeans_plusplus

    best, best_inertia = None, np.inf
    for _ in range(n_init):
        centroids, _ = kmeans_plusplus(coords, k, random_state=draw_seed(rng))
        for _ in range(max_iter):
            labels = cdist(coords, centroids, "sqeuclidean").argmin(axis=1)
            new = np.vstack(
                [
                    coords[labels == f].mean(axis=0) if np.any(labels == f) else c
                    for f, c in enumerate(centroids)
                ]
            )
            if np.allclose(new, centroids):
                break
            centroids = new
        inertia = cdist(coords, centroids, "sqeuclidean").min(axis=1).sum()
        if inertia < best_inertia:
            best, best_inertia = centroids, inertia
    return best


def _balanced_kmeans_folds(coords, n_splits, rng, max_iter=100):
    """Size-constrained k-means: compact folds whose sizes differ by <= 1."""
    centroids = _kmeans_centroids(coords, n_splits, rng)
    labels = None
    for _ in range(max_iter):
        new = _balanced_assignment(coords, centroids)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        centroids = np.vstack(
            [coords[labels == f].mean(axis=0) for f in range(n_splits)]
        )
    # number folds by their first region, for a stable, readable order
    first = np.array([np.flatnonzero(labels == f)[0] for f in range(n_splits)])
    relabel = np.empty(n_splits, dtype=int)
    relabel[np.argsort(first)] = np.arange(n_splits)
    return relabel[labels]


# ---------------------------------------------------------------------------
# CommunitySplit
# ---------------------------------------------------------------------------
class CommunitySplit(_RegionSplitter):
    """Folds from the Louvain communities of the connectome.

    The connectome among the regions being split (the block of ``y`` among
    the rows of ``X``; in cross-validation ``y`` is the full ``Y`` and only
    that block is used) becomes a weighted graph, and
    :func:`networkx.community.louvain_communities` finds its communities.
    Each community is one test fold. Only **positive** edges are kept:
    negative correlations are dropped, because modularity (what Louvain
    maximises) is defined for non-negative weights; the research system fed
    negative weights in unchanged.

    When ``n_splits`` is given, the partition is adjusted until exactly
    ``n_splits`` folds come out:

    * too many communities: the smallest community (ties: the one holding
      the lowest index) is merged into the community whose merger increases
      modularity the most (the strongest connection relative to the
      expected one), repeatedly;
    * too few: the largest community is split by Louvain on its own
      subgraph, or by Kernighan-Lin bisection when Louvain leaves it whole.

    Parameters
    ----------
    n_splits : int, default=None
        Number of folds. None gives one fold per Louvain community; the
        number of folds then depends on the data, so
        :meth:`get_n_splits` needs ``X`` and ``y`` (and an int
        ``random_state`` makes ``get_n_splits`` and ``split`` agree).
    resolution : float, default=1.0
        Louvain resolution: larger values give more, smaller communities.
    random_state : int, RandomState instance or None, default=None
        Seeds Louvain and Kernighan-Lin. Pass an int for reproducible folds.

    See Also
    --------
    NetworkSplit : Folds from given network labels.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.model_selection import CommunitySplit
    >>> labels = list("abcdef")
    >>> Y = pd.DataFrame(np.kron(np.eye(2), np.ones((3, 3))), labels, labels)
    >>> X = pd.DataFrame({"g": np.arange(6.0)}, index=labels)
    >>> cv = CommunitySplit(random_state=0)
    >>> cv.get_n_splits(X, Y)
    2
    >>> for train, test in cv.split(X, Y):
    ...     print(train, test)
    [3 4 5] [0 1 2]
    [0 1 2] [3 4 5]
    """

    _small_fold_fix = "Set n_splits, or lower the resolution"

    def __init__(self, n_splits=None, *, resolution=1.0, random_state=None):
        self.n_splits = n_splits
        self.resolution = resolution
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of folds.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_regions, n_features), default=None
            Needed only when ``n_splits`` is None.
        y : DataFrame or array-like of shape (n_regions, n_regions), default=None
            The connectome; needed only when ``n_splits`` is None.
        groups : object
            Ignored.

        Returns
        -------
        n_splits : int
            ``n_splits``, or the number of communities found when it is None.
        """
        k = _check_n_splits(self.n_splits, allow_none=True)
        if k is not None:
            return k
        if X is None or y is None:
            raise ValueError(
                "CommunitySplit(n_splits=None) has one fold per community of the "
                "connectome, so get_n_splits needs the data: call "
                "get_n_splits(X, Y), or set n_splits to a number."
            )
        return int(self._fold_labels(X, y, groups).max()) + 1

    def _fold_labels(self, X, y, groups):
        k = _check_n_splits(self.n_splits, allow_none=True)
        if y is None:
            raise ValueError(
                "CommunitySplit needs the connectome: pass it as y, e.g. "
                "cv.split(X, Y) or cross_val_score(model, X, Y, cv=cv)."
            )
        n = _num_samples(X)
        if k is not None:
            _check_enough(n, k, type(self).__name__)
        W = train_block(X, y)
        _check_positive_edges(W)
        rng = check_random_state(self.random_state)
        communities = _community_partition(W, self.resolution, k, rng)
        labels = np.empty(n, dtype=int)
        for fold, members in enumerate(communities):
            labels[members] = fold
        return labels


def _check_positive_edges(W):
    """Refuse a connectome block with no positive edge (no communities)."""
    W = np.asarray(W, dtype=float)
    off = ~np.eye(W.shape[0], dtype=bool)
    with np.errstate(invalid="ignore"):
        positive = np.sum((W > 0) & off)
    if positive == 0:
        raise ValueError(
            f"CommunitySplit found no positive connection among the "
            f"{W.shape[0]} regions (the connectome block is all zero or negative "
            "off the diagonal), so it has no communities: every region "
            "would be a fold of its own. Check Y, or use SpatialSplit or "
            "RandomSplit."
        )


def _positive_graph(W):
    nx = import_optional("networkx", "CommunitySplit")

    A = np.where(W > 0, W, 0.0)
    np.fill_diagonal(A, 0.0)
    graph = nx.Graph()
    graph.add_nodes_from(range(A.shape[0]))
    rows, cols = np.nonzero(np.triu(A, k=1))
    graph.add_weighted_edges_from(
        zip(rows.tolist(), cols.tolist(), A[rows, cols].tolist(), strict=True)
    )
    return graph, A


def _community_partition(W, resolution, n_splits, rng):
    """Louvain communities of the positive part of ``W`` (lists of indices)."""
    nx = import_optional("networkx", "CommunitySplit")

    graph, A = _positive_graph(W)
    comms = nx.community.louvain_communities(
        graph, weight="weight", resolution=resolution, seed=draw_seed(rng)
    )
    comms = [sorted(c) for c in comms]
    if n_splits is not None:
        while len(comms) < n_splits:
            comms = _split_largest(graph, comms, resolution, rng)
        strength = A.sum(axis=1)
        two_m = strength.sum()
        while len(comms) > n_splits:
            comms = _merge_smallest(A, strength, two_m, comms, resolution)
    return sorted(comms, key=lambda c: c[0])


def _split_largest(graph, comms, resolution, rng):
    nx = import_optional("networkx", "CommunitySplit")

    order = sorted(range(len(comms)), key=lambda i: (-len(comms[i]), comms[i][0]))
    target = comms[order[0]]
    sub = graph.subgraph(target)
    parts = nx.community.louvain_communities(
        sub, weight="weight", resolution=resolution, seed=draw_seed(rng)
    )
    if len(parts) < 2:
        parts = nx.community.kernighan_lin_bisection(
            sub, weight="weight", seed=draw_seed(rng)
        )
    rest = [c for i, c in enumerate(comms) if i != order[0]]
    return rest + [sorted(p) for p in parts]


def _merge_smallest(A, strength, two_m, comms, resolution):
    small = min(range(len(comms)), key=lambda i: (len(comms[i]), comms[i][0]))
    members = comms[small]
    k_small = strength[members].sum()
    best, best_key = None, None
    for j, other in enumerate(comms):
        if j == small:
            continue
        if two_m > 0:
            w = A[np.ix_(members, other)].sum()
            # modularity gain of merging the two communities
            gain = 2 * w / two_m - resolution * 2 * k_small * strength[other].sum() / (
                two_m**2
            )
        else:
            gain = 0.0
        key = (gain, -len(other), -other[0])
        if best_key is None or key > best_key:
            best, best_key = j, key
    merged = sorted(members + comms[best])
    return [c for i, c in enumerate(comms) if i not in (small, best)] + [merged]


# ---------------------------------------------------------------------------
# NetworkSplit
# ---------------------------------------------------------------------------
class NetworkSplit(_RegionSplitter):
    """Leave-one-network-out cross-validation.

    Each distinct label in ``groups`` (for example the Yeo-7 network of each
    region, ``ds.networks``) is one test fold; training uses every other
    region. Folds come in the order in which the labels first appear.

    A pandas Series of labels indexed by region labels is aligned with the
    index of ``X`` by label (so ``groups=ds.networks`` also works for a
    subset or a reordering of the regions); if a region of ``X`` is missing
    from its index, or the index repeats a label, ``split`` raises. A Series
    with a default ``RangeIndex``, an array or a list is taken in the row
    order of ``X`` (as is any ``groups`` when ``X`` is an array) and must
    have one entry per row. A missing label (NaN, None, or the string
    ``'nan'`` that NumPy makes of NaN in a list of strings) is an error
    naming the regions: a region without a network cannot be held out with
    one.

    A dataset of your own atlas has ``ds.networks`` None unless its region
    table has a ``network`` column or ``make_dataset`` was given
    ``networks=``; :func:`connpredict.datasets.assign_yeo_networks` assigns
    each region the Yeo-7 network of the nearest Schaefer-400 parcel.

    See Also
    --------
    sklearn.model_selection.LeaveOneGroupOut : The same for generic samples.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.model_selection import NetworkSplit
    >>> X = np.zeros((9, 2))
    >>> groups = ["Vis", "Vis", "Default", "Limbic", "Default", "Limbic",
    ...           "Vis", "Default", "Limbic"]
    >>> cv = NetworkSplit()
    >>> cv.get_n_splits(X, groups=groups)
    3
    >>> for train, test in cv.split(X, groups=groups):
    ...     print(train, test)
    [2 3 4 5 7 8] [0 1 6]
    [0 1 3 5 6 8] [2 4 7]
    [0 1 2 4 6 7] [3 5 8]
    """

    __metadata_request__split = {"groups": True}  # noqa: RUF012
    _small_fold_fix = "Merge small networks or drop their regions"

    def __init__(self):
        pass

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of folds (distinct networks).

        Parameters
        ----------
        X : DataFrame or array-like, default=None
            Region table; used to align a labelled ``groups`` Series.
        y : object
            Ignored.
        groups : array-like of shape (n_regions,)
            Network label of each region. Required.

        Returns
        -------
        n_splits : int
            The number of distinct labels in ``groups``.
        """
        return len(_unique_in_order(self._groups(X, groups)))

    def inner_split(self, n_splits=None):
        """Return a new leave-one-network-out splitter for the training regions.

        Parameters
        ----------
        n_splits : None
            Must be None: the number of folds is the number of networks among
            the regions split.

        Returns
        -------
        splitter : NetworkSplit
            A new splitter.

        Examples
        --------
        >>> from connpredict.model_selection import NetworkSplit
        >>> NetworkSplit().inner_split()
        NetworkSplit()
        """
        if n_splits is not None:
            raise ValueError(
                "NetworkSplit has one fold per network, so n_splits must be None; "
                "use SpatialSplit or RandomSplit for a fixed number of inner folds."
            )
        return NetworkSplit()

    @staticmethod
    def _groups(X, groups):
        if groups is None:
            raise ValueError(
                "The 'groups' parameter should not be None; pass e.g. "
                "groups=ds.networks (the network label of each region). If "
                "ds.networks is None (your own atlas without a 'network' column), "
                "build the dataset with make_dataset(..., networks=...), e.g. "
                "networks=connpredict.datasets.assign_yeo_networks(regions), "
                "which gives each region the Yeo-7 network of the nearest "
                "Schaefer-400 parcel."
            )
        if (
            isinstance(groups, pd.Series)
            and isinstance(X, pd.DataFrame)
            and _is_labelled(groups.index)
            and not groups.index.equals(X.index)
        ):
            groups = _align_groups(groups, X)
        if isinstance(groups, pd.Series | pd.Index):
            values = groups.to_numpy(dtype=object)
        elif isinstance(groups, np.ndarray):
            values = groups
        else:
            # a list of strings with NaN must not become the string 'nan'
            values = np.asarray(groups, dtype=object)
        if values.ndim != 1:
            raise ValueError(
                f"groups must be 1-D (one label per region), got shape {values.shape}."
            )
        if X is not None and values.shape[0] != _num_samples(X):
            raise ValueError(
                f"groups has {values.shape[0]} labels but X has {_num_samples(X)} "
                "regions; pass one label per region (or a Series indexed by the "
                "region labels of X)."
            )
        missing = _missing_labels(values)
        if missing.any():
            if isinstance(X, pd.DataFrame):
                names = X.index[missing].tolist()
            else:
                names = [f"row {i}" for i in np.flatnonzero(missing)]
            raise ValueError(
                f"groups has no network label for {int(missing.sum())} region(s) "
                f"{_first_few(names)} (NaN, None or 'nan'); give every region a "
                "network, or drop those regions from X and Y before splitting."
            )
        return values

    def _fold_labels(self, X, y, groups):
        values = self._groups(X, groups)
        uniques = _unique_in_order(values)
        if len(uniques) < 2:
            raise ValueError(
                f"NetworkSplit needs at least 2 distinct groups, got {len(uniques)} "
                f"({list(uniques)})."
            )
        codes = {u: i for i, u in enumerate(uniques)}
        return np.array([codes[v] for v in values], dtype=int)


def _is_labelled(index):
    """False for a default ``RangeIndex`` (0, 1, ...), which carries no labels."""
    return not (
        isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
    )


def _align_groups(groups, X):
    """Return ``groups`` (a labelled Series) in the row order of ``X``."""
    if groups.index.has_duplicates:
        dups = groups.index[groups.index.duplicated()].unique().tolist()
        raise ValueError(
            f"groups is indexed by region labels but repeats {_first_few(dups)}; "
            "give each region one network label."
        )
    present = set(groups.index)
    absent = [label for label in X.index if label not in present]
    if absent:
        raise ValueError(
            f"groups is a Series indexed by region labels, but {len(absent)} "
            f"region(s) of X are not in its index: {_first_few(absent)} (its "
            f"index starts {_first_few(groups.index.tolist(), 3)}). Pass groups "
            "indexed by the region labels of X (e.g. ds.networks), or "
            "groups.to_numpy() if it is already in the row order of X."
        )
    return groups.loc[X.index]


_MISSING_STRINGS = frozenset({"nan", "NaN", "NAN", "None", "<NA>", "NaT", ""})


def _missing_labels(values):
    """Mask of labels that are missing: NaN/None, or their string forms."""
    mask = np.asarray(pd.isna(values), dtype=bool)
    for i, v in enumerate(values):
        if isinstance(v, str) and v.strip() in _MISSING_STRINGS:
            mask[i] = True
    return mask


def _first_few(items, k=5):
    items = list(items)
    more = f" and {len(items) - k} more" if len(items) > k else ""
    return f"{items[:k]}{more}"


def _unique_in_order(values):
    return list(pd.unique(pd.Series(values, dtype=object)))


# ---------------------------------------------------------------------------
# validation_split
# ---------------------------------------------------------------------------
def validation_split(
    X,
    y=None,
    *,
    cv=None,
    groups=None,
    random_state=None,
    coord_columns=COORD_COLUMNS,
):
    """Split (training) regions once into a fitting part and a validation part.

    Use it inside ``fit`` to hold out regions for early stopping or model
    selection without touching the outer test regions: pass only the
    training regions (``X``, ``Y`` as ``fit`` receives them). Returns
    positional indices into the rows of ``X``.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_regions, n_features)
        The regions to split.
    y : DataFrame or array-like, default=None
        The connectome rows of those regions; needed when ``cv`` is a
        :class:`CommunitySplit`.
    cv : float, int, cross-validator or None, default=None
        How to hold regions out:

        - float in (0, 1): the fraction of regions held out. When ``X`` has
          the coordinate columns, the held-out regions are one spatially
          compact block (a random seed region and its nearest neighbours);
          otherwise a random subset. At least one region is held out and one
          kept (two each when there are at least 4 regions).
        - int ``k``: the first fold of ``SpatialSplit(k, method="kmeans")``
          when ``X`` has coordinates, else of ``RandomSplit(k)``.
        - a splitter (any object with ``split``, e.g. one of this module's
          splitters or ``outer_cv.inner_split()``): its first fold on ``X``;
          its own ``random_state`` applies.
        - None: the same as ``0.2``.
    groups : array-like of shape (n_regions,), default=None
        Group labels, passed to the splitter (e.g. for :class:`NetworkSplit`).
    random_state : int, RandomState instance or None, default=None
        Seeds the choice for float and int ``cv``.
    coord_columns : tuple of str, default=("x", "y", "z")
        Names of the coordinate columns.

    Returns
    -------
    train : ndarray of int
        Sorted positional indices of the regions to fit on.
    validation : ndarray of int
        Sorted positional indices of the held-out regions.

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.model_selection import validation_split
    >>> X = pd.DataFrame({"x": [0.0, 1, 2, 3, 20, 21, 22, 23], "y": 0.0, "z": 0.0})
    >>> train, val = validation_split(X, cv=0.25, random_state=0)
    >>> train, val
    (array([0, 1, 2, 3, 6, 7]), array([4, 5]))
    """
    n = _num_samples(X)
    if n < 2:
        raise ValueError(f"validation_split needs at least 2 regions, got {n}.")
    if cv is None:
        cv = 0.2
    if hasattr(cv, "split"):
        try:
            train, val = next(iter(cv.split(X, y, groups)))
        except StopIteration:
            raise ValueError(f"{cv!r} produced no split.") from None
        return np.sort(np.asarray(train, dtype=int)), np.sort(
            np.asarray(val, dtype=int)
        )
    if isinstance(cv, bool) or not isinstance(cv, numbers.Real):
        raise TypeError(
            "cv must be a float fraction, an int number of folds, a splitter or "
            f"None; got {cv!r}."
        )
    spatial = _has_coords(X, coord_columns)
    if isinstance(cv, numbers.Integral):
        k = _check_n_splits(cv, name="cv")
        if spatial:
            splitter = SpatialSplit(
                k,
                method="kmeans",
                coord_columns=coord_columns,
                random_state=random_state,
            )
        else:
            splitter = RandomSplit(k, random_state=random_state)
        return validation_split(X, y, cv=splitter, groups=groups)
    frac = float(cv)
    if not 0.0 < frac < 1.0:
        raise ValueError(f"A float cv must lie strictly between 0 and 1, got {cv}.")
    low = 2 if n >= 4 else 1
    n_val = min(max(math.ceil(frac * n), low), n - low)
    rng = check_random_state(random_state)
    if spatial:
        coords = _get_coords(X, coord_columns, "validation_split")
        seed = rng.randint(n)
        dist = np.linalg.norm(coords - coords[seed], axis=1)
        dist[seed] = -1.0
        val = np.argsort(dist, kind="stable")[:n_val]
    else:
        val = rng.choice(n, size=n_val, replace=False)
    mask = np.zeros(n, dtype=bool)
    mask[val] = True
    indices = np.arange(n)
    return indices[~mask], indices[mask]

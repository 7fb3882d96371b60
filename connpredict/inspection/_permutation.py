"""Permutation importance of genes and gene groups on held-out region pairs."""

import logging
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import Bunch, check_random_state

from connpredict.inspection._common import draw_permutations
from connpredict.nulls import permutation_pvalue
from connpredict.utils import COORD_COLUMNS, check_connectome, check_regions_X
from connpredict.utils._checks import check_int

logger = logging.getLogger(__name__)


def _check_groups(groups, X, coord_columns):
    """Feature groups as ``{name: [column positions]}`` (one per gene if None)."""
    columns = list(X.columns)
    if groups is None:
        coord_set = set(coord_columns)
        return {c: [k] for k, c in enumerate(columns) if c not in coord_set}
    if not isinstance(groups, Mapping) or not groups:
        raise TypeError(
            "groups must be a non-empty mapping name -> list of columns of X, e.g. "
            "{'richiardi2015': [...genes...], 'coords': ['x', 'y', 'z']}."
        )
    position = {c: k for k, c in enumerate(columns)}
    out = {}
    seen = {}
    for name, members in groups.items():
        if isinstance(members, str):
            raise TypeError(
                f"groups[{name!r}] is a string; pass a list of column names."
            )
        members = list(dict.fromkeys(members))
        absent = [m for m in members if m not in position]
        if absent:
            raise ValueError(
                f"Group {name!r}: {len(absent)} of {len(members)} columns are not in "
                f"X (e.g. {absent[:5]}); restrict the group to the columns of X."
            )
        if not members:
            raise ValueError(f"Group {name!r} is empty.")
        out[name] = [position[m] for m in members]
        for m in members:
            seen.setdefault(m, []).append(name)
    shared = {m: names for m, names in seen.items() if len(names) > 1}
    if shared:
        example = next(iter(shared.items()))
        warnings.warn(
            f"{len(shared)} columns belong to more than one group (e.g. "
            f"{example[0]!r} in {example[1]}); each group is permuted on its own, "
            "so overlapping groups share importance and their importances do "
            "not add up.",
            UserWarning,
            stacklevel=3,
        )
    return out


def _resolve_scorer(estimator, scoring):
    if scoring is None:
        return check_scoring(estimator)
    if isinstance(scoring, str):
        from connpredict.metrics import get_scorer

        return get_scorer(scoring)
    if callable(scoring):
        return scoring
    raise ValueError(
        "scoring must be None (the estimator's score, the held-out Pearson r), a "
        "name of `connpredict.metrics.get_scorer_names()` or a callable "
        f"scorer(estimator, X, Y); got {scoring!r}."
    )


def _fold(estimator, X, Y, train, test, scorer, groups, perms):
    """Importances of one fold: (n_groups, n_repeats) score drops, and the score."""
    model = clone(estimator)
    # only the train x train block is handed to fit: held-out connectivity
    # cannot reach the model, whatever the estimator does with Y
    model.fit(X.iloc[train], Y.iloc[train, train])
    X_test = X.iloc[test]
    Y_test = Y.iloc[test]
    base = float(scorer(model, X_test, Y_test))
    values = X.to_numpy(dtype=float)
    test_values = values[test]
    drops = np.empty((len(groups), perms.shape[0]))
    for g, cols in enumerate(groups.values()):
        for r, perm in enumerate(perms):
            arr = test_values.copy()
            # the held-out regions receive the group's spun (or shuffled) map
            arr[:, cols] = values[perm[test]][:, cols]
            X_perm = pd.DataFrame(arr, index=X_test.index, columns=X.columns)
            drops[g, r] = base - float(scorer(model, X_perm, Y_test))
    return base, drops


def permutation_importance(
    estimator,
    X,
    Y,
    *,
    cv,
    groups=None,
    null="spin",
    regions=None,
    n_repeats=10,
    scoring=None,
    random_state=None,
    n_jobs=None,
    coord_columns=COORD_COLUMNS,
):
    """Held-out permutation importance of genes or gene groups.

    For each fold of ``cv`` a clone of ``estimator`` is fitted on the training
    regions (it receives only the train x train block of ``Y``), then scored
    on the held-out regions twice: with their true features, and with the
    map of one gene (or one group of columns) replaced by a null map. The
    importance is the drop in the held-out score, averaged over folds. The
    model is never refitted and never sees held-out connectivity.

    Parameters
    ----------
    estimator : estimator object
        A connectome regressor (any registered model; cloned for every fold).
    X : DataFrame of shape (n_regions, n_features)
        Genes and, optionally, coordinates ``x, y, z``.
    Y : DataFrame of shape (n_regions, n_regions)
        Target connectome.
    cv : int, cross-validation generator or iterable
        Folds over regions, e.g. ``SpatialSplit(n_splits=4, random_state=0)``.
    groups : mapping of str to list of str, default=None
        Groups of columns permuted together (gene sets, cell-type markers,
        feature blocks such as ``{"coords": ["x", "y", "z"]}``); a group's
        columns move together, keeping their covariance. None: every gene
        column on its own (coordinates are then not permuted). Columns in
        several groups trigger a warning: overlapping groups share importance.
    null : {"spin", "shuffle"}, default="spin"
        How a map is replaced. ``"spin"``: by its spun copy
        (:func:`connpredict.nulls.spin_permutations`), which keeps its
        spatial autocorrelation; needs ``regions`` with sphere centroids.
        ``"shuffle"``: by a uniform permutation of regions. Shuffled maps are
        rougher than any real map, so a model fitted to smooth maps degrades
        more on them: importances (and significance) are optimistic.
    regions : DataFrame, default=None
        Region table indexed like ``X`` (``hemisphere``, ``structure``,
        ``sphere_x/y/z``), e.g. ``load_dataset(...).regions`` or
        :func:`connpredict.datasets.atlas_regions`. Required for
        ``null="spin"``.
    n_repeats : int, default=10
        Null maps per gene or group. The same ``n_repeats`` permutations of
        regions serve every gene and group and every fold (the held-out rows
        of a permutation of all regions), so importances are compared on
        the same nulls.
    scoring : str, callable or None, default=None
        None: the estimator's ``score`` (Pearson r over the test x test pairs,
        the package default). A name of
        :func:`connpredict.metrics.get_scorer` (e.g. ``"neg_mse"``) or a
        callable ``scorer(estimator, X, Y)``, greater is better.
    random_state : int, RandomState instance or None, default=None
        Seed of the permutations.
    n_jobs : int, default=None
        Folds run in parallel (joblib).
    coord_columns : tuple of str, default=("x", "y", "z")
        Coordinate columns (not genes).

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        - ``importances_mean`` : Series (by gene or group), mean over repeats.
        - ``importances_std`` : Series, standard deviation over repeats.
        - ``importances`` : DataFrame (genes or groups x repeats), the drop
          of the fold-averaged score for each null map.
        - ``pvalues`` : Series, ``(1 + #(importance <= 0)) / (1 + n_repeats)``
          (see Notes).
        - ``fold_importances`` : ndarray (n_groups, n_splits, n_repeats).
        - ``baseline_score`` : float, mean held-out score with true features;
          ``fold_scores`` : ndarray of the folds' scores.
        - ``permutations`` : ndarray (n_repeats, n_regions), the null
          permutations; ``null`` : the null used.

    See Also
    --------
    gene_set_enrichment : Which gene sets' co-expression tracks connectivity.
    bilinear_attributions : Exact gene attributions of a bilinear model.
    connpredict.nulls.spin_test : Test whether the model beats spun genes at all.

    Notes
    -----
    **Pairs scored.** Scorers score the held-out fold as
    :func:`~sklearn.model_selection.cross_val_score` does, by default on the
    test x test pairs (only held-out regions' features enter). Only the
    held-out regions' maps are replaced: with a scorer of test x train pairs
    (``get_scorer(..., pairs="test-train")``) the training regions keep the
    features the model was fitted on (``X_train_``).

    **What the p-value tests.** For a fixed fitted model, whether the
    held-out score with the gene's true map beats its scores with null maps:
    ``(1 + #{repeats whose importance <= 0}) / (1 + n_repeats)``
    (:func:`connpredict.nulls.permutation_pvalue` of the true score among the
    null scores). It conditions on the fitted models and says whether the
    prediction *uses* the map beyond what an equally smooth map provides,
    not whether the gene is needed (a correlated gene can stand in for it
    when the model is refitted). Its smallest value is ``1 / (1 +
    n_repeats)``: use ``n_repeats >= 19`` to reach 0.05. With
    ``null="shuffle"`` it is optimistic.

    Every gene, each fold and each repeat is one prediction of the held-out
    block, so the cost is ``n_groups x n_splits x n_repeats`` predictions:
    for thousands of genes pass ``groups``.

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.inspection import permutation_importance
    >>> from connpredict.model_selection import RandomSplit
    >>> from connpredict.models import BilinearRegressor
    >>> ds = make_synthetic_connectome(n_regions=30, n_genes=6, random_state=0)
    >>> res = permutation_importance(
    ...     BilinearRegressor(alpha=1.0), ds.X, ds.Y,
    ...     cv=RandomSplit(3, random_state=0), regions=ds.regions,
    ...     n_repeats=3, random_state=0)
    >>> res.importances.shape
    (6, 3)
    """
    check_int(n_repeats, "n_repeats", low=1)
    X = check_regions_X(X, coord_columns=coord_columns)
    labelled = isinstance(Y, pd.DataFrame)
    Y = check_connectome(Y)
    if not labelled and len(Y) == len(X):
        Y = pd.DataFrame(Y.to_numpy(), index=X.index, columns=X.index)
    if not Y.index.equals(X.index) or not Y.columns.equals(X.index):
        raise ValueError(
            "Y must be a square DataFrame whose index and columns are the region "
            "labels of X, in the same order (e.g. `Y.loc[X.index, X.index]`)."
        )
    group_pos = _check_groups(groups, X, coord_columns)
    if not group_pos:
        raise ValueError("X has no gene columns to permute; pass X with its genes.")
    rng = check_random_state(random_state)
    perms = draw_permutations(
        null, X, regions, n_repeats, rng, what="permutation_importance"
    )
    scorer = _resolve_scorer(estimator, scoring)
    splits = [(np.asarray(tr), np.asarray(te)) for tr, te in check_cv(cv).split(X, Y)]
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fold)(estimator, X, Y, tr, te, scorer, group_pos, perms)
        for tr, te in splits
    )
    fold_scores = np.array([base for base, _ in results])
    folds = np.stack([drops for _, drops in results], axis=1)
    per_repeat = folds.mean(axis=1)
    names = pd.Index(list(group_pos), name="group" if groups else "gene")
    importances = pd.DataFrame(
        per_repeat, index=names, columns=pd.RangeIndex(n_repeats, name="repeat")
    )
    pvalues = [permutation_pvalue(0.0, -row) for row in per_repeat]
    std = (
        per_repeat.std(axis=1, ddof=1) if n_repeats > 1 else np.full(len(names), np.nan)
    )
    logger.info(
        "permutation_importance: %d groups, %d folds, %d repeats",
        len(names),
        len(splits),
        n_repeats,
    )
    return Bunch(
        importances_mean=pd.Series(per_repeat.mean(axis=1), index=names),
        importances_std=pd.Series(std, index=names),
        importances=importances,
        pvalues=pd.Series(pvalues, index=names),
        fold_importances=folds,
        baseline_score=float(np.mean(fold_scores)),
        fold_scores=fold_scores,
        permutations=perms,
        null=null,
    )

"""Cross-validated connectome predictions: the held-out blocks as one matrix."""

import logging

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import check_cv

from connpredict.utils import import_optional
from connpredict.utils._checks import check_int
from connpredict.utils._contract import align_unlabelled, check_pair_target

__all__ = ["cross_val_predict"]

logger = logging.getLogger("connpredict.model_selection")

_PAIRS = ("test-test", "test-all")


def _fit_and_predict(estimator, X, Y, train, test, pairs):
    """Fit a clone on ``train``; predict test x test (and test x train)."""
    model = clone(estimator).fit(X.iloc[train], Y.iloc[train])
    X_test = X.iloc[test]
    rows = np.asarray(model.predict(X_test), dtype=float)
    if pairs == "test-all" and len(train):
        cross = np.asarray(model.predict(X_test, X.iloc[train]), dtype=float)
    else:
        cross = None
    return rows, cross


def cross_val_predict(
    estimator, X, Y, *, cv=None, groups=None, pairs="test-test", n_jobs=None, verbose=0
):
    """Predict every held-out block of a cross-validation, as one labelled matrix.

    For each fold a clone of ``estimator`` is fitted on the training regions
    (``X.iloc[train]``, ``Y.iloc[train]``) and predicts the connectivity
    among the fold's test regions; those blocks are written into an
    ``n x n`` matrix. This is the connectome counterpart of
    :func:`sklearn.model_selection.cross_val_predict`, which stacks
    per-sample predictions as rows and does not apply to a regions x
    regions prediction (connpredict estimators refuse it, pointing here).

    Parameters
    ----------
    estimator : connectome estimator
        Not fitted; cloned for each fold.
    X : DataFrame of shape (n_regions, n_features)
        Region features, indexed by region label.
    Y : DataFrame of shape (n_regions, n_regions)
        The connectome, with the same labels as ``X`` on both axes. An
        unlabelled array ``X`` takes the labels of a DataFrame ``Y``.
    cv : int, cross-validator or iterable, default=None
        As in scikit-learn (None: 5-fold ``KFold``); connpredict's splitters
        (:class:`SpatialSplit`, ...) are the usual choice. Each region may be
        in at most one test fold.
    groups : array-like of shape (n_regions,), default=None
        Passed to ``cv.split`` (e.g. network labels of :class:`NetworkSplit`).
    pairs : {"test-test", "test-all"}, default="test-test"
        ``"test-test"``: only pairs of two regions held out in the same fold
        are predicted (both regions unseen, what ``score`` measures).
        ``"test-all"``: also the test x train pairs of each fold, so row
        ``i`` holds the predictions of the model that did not see region
        ``i``; that matrix is not symmetric (``[i, j]`` and ``[j, i]`` come
        from different folds when the regions are in different folds).
    n_jobs : int, default=None
        Folds fitted in parallel (joblib; None means 1).
    verbose : int, default=0
        When > 0: a progress bar over the folds (tqdm, on stderr) with
        ``n_jobs`` None or 1, else joblib's progress messages; and one log
        line per fold (logger ``connpredict.model_selection``).

    Returns
    -------
    Y_pred : DataFrame or ndarray of shape (n_regions, n_regions)
        Labelled like ``X`` (a DataFrame) when ``X`` or ``Y`` has labels.
        Entries never predicted -- the diagonal (self-pairs), pairs whose
        regions were held out in different folds (``"test-test"``), regions
        in no test fold -- are NaN.

    Raises
    ------
    ValueError
        When ``X`` and ``Y`` are not aligned, ``pairs`` is unknown or a
        region is in several test folds.

    See Also
    --------
    connpredict.metrics.evaluate : Scores of a predicted block.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.model_selection import RandomSplit, cross_val_predict
    >>> from connpredict.models import ExponentialDecayRegressor
    >>> ds = make_synthetic_connectome(n_regions=30, n_genes=5, random_state=0)
    >>> P = cross_val_predict(ExponentialDecayRegressor(), ds.X, ds.Y,
    ...                       cv=RandomSplit(3, random_state=0))
    >>> P.shape, int(np.isfinite(P.to_numpy()).sum())  # 3 blocks of 10 x 10
    ((30, 30), 270)
    """
    if pairs not in _PAIRS:
        raise ValueError(f"pairs must be one of {list(_PAIRS)}, got {pairs!r}.")
    if check_int(n_jobs, "n_jobs", none_ok=True) == 0:
        raise ValueError("n_jobs must be None or a non-zero integer, got 0.")
    labelled = isinstance(X, pd.DataFrame) or isinstance(Y, pd.DataFrame)
    X = align_unlabelled(X, Y)
    Xv, Y_block = check_pair_target(X, Y)
    n = Xv.shape[0]
    if Y_block.shape[0] != n or (
        isinstance(Y, pd.DataFrame) and not Y.columns.equals(Y.index)
    ):
        raise ValueError(
            "Y must be the square connectome of the regions of X (same labels, "
            "same order, on both axes)."
        )
    # the estimators slice rows of Y and read the train x train block
    Y_rows = pd.DataFrame(Y_block, index=X.index, columns=X.index)
    cv = check_cv(cv)
    splits = list(cv.split(X, Y_rows, groups))
    seen = np.zeros(n, dtype=int)
    for _, test in splits:
        seen[np.asarray(test)] += 1
    if np.any(seen > 1):
        twice = X.index[seen > 1].tolist()[:5]
        raise ValueError(
            f"Regions {twice} are in more than one test fold; cross_val_predict "
            "needs a cv whose test folds do not overlap (KFold-style, not "
            "ShuffleSplit or repeated splits)."
        )
    if verbose and n_jobs in (None, 1):
        # one progress bar over the folds (a neural estimator's own bar, for
        # its epochs and ensemble members, shows below it and disappears)
        tqdm = import_optional("tqdm.auto", "cross_val_predict(verbose=True)").tqdm

        results = [
            _fit_and_predict(estimator, X, Y_rows, train, test, pairs)
            for train, test in tqdm(
                splits, desc="cross_val_predict", unit="fold", dynamic_ncols=True
            )
        ]
    else:
        results = Parallel(n_jobs=n_jobs, verbose=verbose)(
            delayed(_fit_and_predict)(estimator, X, Y_rows, train, test, pairs)
            for train, test in splits
        )
    out = np.full((n, n), np.nan)
    for k, ((train, test), (block, cross)) in enumerate(zip(splits, results)):
        test = np.asarray(test, dtype=int)
        train = np.asarray(train, dtype=int)
        if block.shape != (len(test), len(test)):
            raise ValueError(
                f"{type(estimator).__name__}.predict returned shape {block.shape} "
                f"for {len(test)} regions; cross_val_predict needs a connectome "
                "estimator (a square block per call)."
            )
        block = block.copy()
        np.fill_diagonal(block, np.nan)
        out[np.ix_(test, test)] = block
        if cross is not None:
            out[np.ix_(test, train)] = cross
        if verbose:
            logger.info("cross_val_predict: fold %d/%d done", k + 1, len(splits))
    if labelled:
        return pd.DataFrame(out, index=X.index, columns=X.index)
    return out

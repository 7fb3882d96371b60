"""Scorers: ``scorer(estimator, X, Y)`` callables for scikit-learn's ``scoring=``.

A connectome estimator predicts a block of connectivity among regions (the
samples), so scikit-learn's own scorers, which compare ``predict(X)`` with
``y`` row by row, do not apply. The scorers here rebuild the right blocks:

- ``pairs="test-test"`` (default): ``Y_pred = estimator.predict(X)`` (the
  square block among the test regions) against ``Y_true`` = the test x test
  block of ``Y`` (:func:`connpredict.utils.train_block`).
- ``pairs="test-train"``: ``estimator.predict(X, estimator.X_train_)``
  against ``Y.loc[X.index, X_train_.index]``
  (:func:`connpredict.utils.cross_block`): the edges between held-out and
  training regions, every entry a distinct pair.
- ``pairs="test-all"``: both of the above together, each unordered pair
  once -- the test x test pairs (upper triangle) and the test x train
  pairs, the research system's protocol for its network (Schaefer) splits.
  ``Y_true = Y.loc[X.index, X.index + X_train_.index]``; scikit-learn
  passes ``Y.iloc[test]``, whose rows hold every column, so the truth of
  the test x train pairs is there. The training regions come from the
  fitted estimator's ``X_train_``.

The metrics themselves are those of :func:`connpredict.metrics.evaluate`.
"""

import copy
import warnings

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from connpredict.metrics._evaluate import _CLASSIFICATION_KEYS, MIN_PAIRS, evaluate
from connpredict.metrics._names import NETWORK_METRIC, scorer_names
from connpredict.utils._contract import align_unlabelled, cross_block, train_block

_PAIRS_OPTIONS = ("test-test", "test-train", "test-all")

# scorer name -> (evaluate key, sign) comes from the metric vocabulary
# (scorer_names(), read at each call): losses are negated (greater is better)
# and named neg_<key>; aliases such as scikit-learn's
# neg_mean_squared_error are in its one alias table.


def _block(Y_pred, rows, X_cols):
    """Predictions as a float array ordered like ``rows`` x ``X_cols.index``."""
    if isinstance(Y_pred, pd.DataFrame):
        return Y_pred.loc[rows, X_cols.index].to_numpy(dtype=float)
    return np.asarray(Y_pred, dtype=float)


def _unwrap_pipeline(estimator, X):
    """A pipeline ending in a connectome estimator: its final step and X.

    Test x train pairs need ``predict(X, X_train_)`` of the connectome
    estimator on transformed features: the pipeline's other steps (fitted on
    the training regions) transform ``X``, and the final step's ``X_train_``
    already holds the transformed training regions.
    """
    if isinstance(estimator, Pipeline) and hasattr(estimator[-1], "X_train_"):
        return estimator[-1], estimator[:-1].transform(X)
    return estimator, X


class ConnectomeScorer:
    """Score a connectome estimator on held-out regions.

    Use :func:`get_scorer` or :func:`make_scorer` rather than this class.
    Instances are callables ``scorer(estimator, X, Y)`` returning a float
    where greater is better, and pickle (so ``n_jobs > 1`` works).

    Parameters
    ----------
    metric : str or callable
        An :func:`evaluate` key, or a function ``f(Y_true, Y_pred, **kwargs)``
        of two labelled blocks (DataFrames) returning a float.
    sign : {1, -1}, default=1
        Multiplier of the metric (-1 for losses).
    pairs : {"test-test", "test-train", "test-all"}, default="test-test"
        Which pairs are scored (see the module description).
    regions : DataFrame, default=None
        Region table (indexed by label) passed to :func:`evaluate`, needed for
        network metrics; coordinates otherwise come from ``X``'s ``x, y, z``.
    min_pairs : int, "research" or dict, default=10
        Smallest number of pairs of a subset correlation (else NaN); see
        :func:`evaluate` (``"research"``: more than 100 ordered entries, i.e. 51
        pairs, per distance or strength bin, as in the research system).
    kwargs : dict, default=None
        Extra keyword arguments of the metric function (callables only).

    Examples
    --------
    >>> from connpredict.metrics import get_scorer
    >>> get_scorer("neg_mse")
    ConnectomeScorer(metric='mse', sign=-1, pairs='test-test')
    """

    def __init__(
        self,
        metric,
        *,
        sign=1,
        pairs="test-test",
        regions=None,
        min_pairs=MIN_PAIRS,
        kwargs=None,
    ):
        if pairs not in _PAIRS_OPTIONS:
            raise ValueError(
                f"pairs must be one of {list(_PAIRS_OPTIONS)}, got {pairs!r}."
            )
        if metric == "geodesic_distance" and pairs != "test-test":
            raise ValueError(
                f"The geodesic distance compares two square connectomes, so it "
                f"cannot score pairs={pairs!r}; use pairs='test-test'."
            )
        if sign not in (1, -1):
            raise ValueError(f"sign must be 1 or -1, got {sign!r}.")
        self.metric = metric
        self.sign = sign
        self.pairs = pairs
        self.regions = regions
        self.min_pairs = min_pairs
        self.kwargs = kwargs

    def __repr__(self):
        metric = (
            self.metric
            if isinstance(self.metric, str)
            else getattr(self.metric, "__name__", repr(self.metric))
        )
        return (
            f"{type(self).__name__}(metric={metric!r}, sign={self.sign}, "
            f"pairs={self.pairs!r})"
        )

    def _uses_proba(self, estimator):
        """Classification metrics score a classifier's probabilities."""
        return (
            isinstance(self.metric, str)
            and self.metric in _CLASSIFICATION_KEYS
            and hasattr(estimator, "predict_proba")
            and hasattr(estimator, "classes_")
        )

    def _blocks(self, estimator, X, Y):
        """Return labelled (Y_true, Y_pred) blocks and the region table X.

        A connectome classifier is scored on ``predict_proba`` (probability
        of ``classes_[1]``) against ``Y == classes_[1]`` coded 0/1, so that
        ``roc_auc`` ranks probabilities and the thresholded metrics use 0.5.
        """
        if self.pairs != "test-test":
            estimator, X = _unwrap_pipeline(estimator, X)
        # an unlabelled array (a transformer's output) takes Y's row labels
        X_df = align_unlabelled(X, Y)
        if self.pairs != "test-test":
            X = X_df
        predict = (
            estimator.predict_proba
            if self._uses_proba(estimator)
            else estimator.predict
        )
        if self.pairs == "test-test":
            Y_pred = predict(X)
            Y_true = train_block(X_df, Y)
            rows = cols = X_df.index
            X_info = X_df
        else:
            X_train = getattr(estimator, "X_train_", None)
            if X_train is None:
                raise ValueError(
                    f"pairs={self.pairs!r} needs the training regions: "
                    f"{type(estimator).__name__} has no `X_train_` attribute (a "
                    "fitted connpredict estimator stores it in fit)."
                )
            if not isinstance(Y, pd.DataFrame):
                raise ValueError(
                    f"pairs={self.pairs!r} needs Y as a DataFrame indexed by region "
                    "labels on both axes, to find the test x train block."
                )
            if not isinstance(X, pd.DataFrame):
                raise ValueError(
                    f"pairs={self.pairs!r} needs X as a DataFrame indexed by region "
                    "labels, to tell test regions from training regions."
                )
            others = X_train.loc[~X_train.index.isin(X_df.index)]
            if self.pairs == "test-train":
                Y_pred = _block(predict(X, X_train), X_df.index, X_train)
                Y_true = cross_block(X_df, X_train, Y)
                rows, cols = X_df.index, X_train.index
            else:
                if len(others) == 0:
                    raise ValueError(
                        "pairs='test-all' found no training region outside X; score "
                        "held-out regions of an estimator fitted on other regions."
                    )
                Y_pred = np.hstack(
                    [
                        _block(predict(X), X_df.index, X_df),
                        _block(predict(X, others), X_df.index, others),
                    ]
                )
                rows, cols = X_df.index, X_df.index.append(others.index)
                Y_true = cross_block(X_df, pd.DataFrame(index=cols), Y)
            X_info = pd.concat([X_df, others])
        Y_pred = _block(Y_pred, rows, pd.DataFrame(index=cols))
        if Y_pred.shape != Y_true.shape:
            raise ValueError(
                f"{type(estimator).__name__}.predict returned shape {Y_pred.shape}, "
                f"expected the {Y_true.shape} block of connectivity among the "
                "regions; is it a connpredict connectome estimator?"
            )
        if self._uses_proba(estimator):
            Y_true = (np.asarray(Y_true) == estimator.classes_[1]).astype(float)
        return (
            pd.DataFrame(Y_true, index=rows, columns=cols),
            pd.DataFrame(Y_pred, index=rows, columns=cols),
            X_info,
        )

    def __call__(self, estimator, X, y_true, sample_weight=None, **kwargs):
        """Score ``estimator`` on the regions of ``X``.

        Parameters
        ----------
        estimator : object
            A fitted connectome estimator (``predict(X[, X_other])``).
        X : DataFrame of shape (n_regions, n_features)
            Held-out regions.
        y_true : DataFrame of shape (n_regions, n_all_regions)
            Their connectivity rows (``Y.iloc[test]`` in cross-validation).
        sample_weight : None
            Not supported.
        **kwargs : dict
            Ignored (other metadata routed by scikit-learn).

        Returns
        -------
        score : float
            The metric times ``sign`` (greater is better).
        """
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported by connectome scorers.")
        Y_true, Y_pred, X_info = self._blocks(estimator, X, y_true)
        if callable(self.metric):
            value = self.metric(Y_true, Y_pred, **(self.kwargs or {}))
        else:
            task = (
                "classification"
                if self.metric in _CLASSIFICATION_KEYS
                else "regression"
            )
            value = evaluate(
                Y_true,
                Y_pred,
                regions=self.regions,
                X=X_info,
                min_pairs=self.min_pairs,
                metrics=[self.metric],
                task=task,
            )[self.metric]
        value = self.sign * float(value)
        if np.isnan(value):
            name = self.metric if isinstance(self.metric, str) else repr(self)
            warnings.warn(
                f"The {name} score is undefined (NaN) on these {Y_true.shape[0]} "
                f"test regions ({self.pairs} block of shape {Y_true.shape}): too "
                "few pairs, or a constant true or predicted block. Use larger "
                "test folds.",
                RuntimeWarning,
                stacklevel=2,
            )
        return value

    def _accept_sample_weight(self):
        # scikit-learn's multimetric scorer asks this before passing weights
        return False


def make_scorer(
    metric,
    *,
    greater_is_better=True,
    pairs="test-test",
    regions=None,
    min_pairs=MIN_PAIRS,
    **kwargs,
):
    """Make a connectome scorer from an :func:`evaluate` key or a function.

    Parameters
    ----------
    metric : str or callable
        An :func:`evaluate` key (e.g. ``"pearson_r"``, ``"long_r"``,
        ``"intra_network_Vis_r"``) or a function ``f(Y_true, Y_pred,
        **kwargs)`` of two labelled blocks (DataFrames, aligned) returning a
        float, such as :func:`pearson_corr`.
    greater_is_better : bool, default=True
        False negates the metric (a loss).
    pairs : {"test-test", "test-train", "test-all"}, default="test-test"
        Score the test x test block, the test x train edges, or both
        (``"test-all"``, each unordered pair once).
    regions : DataFrame, default=None
        Region table for network metrics (indexed by region label).
    min_pairs : int, "research" or dict, default=10
        Smallest number of pairs of a subset correlation (else NaN); see
        :func:`evaluate` (``"research"``: more than 100 ordered entries, i.e. 51
        pairs, per distance or strength bin, as in the research system).
    **kwargs : dict
        Extra keyword arguments of ``metric`` (callables only).

    Returns
    -------
    scorer : ConnectomeScorer
        Callable ``scorer(estimator, X, Y)``.

    Examples
    --------
    >>> from connpredict.metrics import make_scorer, mean_absolute_error
    >>> make_scorer(mean_absolute_error, greater_is_better=False)
    ConnectomeScorer(metric='mean_absolute_error', sign=-1, pairs='test-test')
    """
    if isinstance(metric, str) and kwargs:
        raise ValueError("Extra keyword arguments are only for callable metrics.")
    return ConnectomeScorer(
        metric,
        sign=1 if greater_is_better else -1,
        pairs=pairs,
        regions=regions,
        min_pairs=min_pairs,
        kwargs=kwargs or None,
    )


def _sklearn_scorer_names():
    from sklearn.metrics import get_scorer_names as sklearn_names

    return set(sklearn_names())


def get_scorer_names():
    """Return the names of the connectome scorers of :func:`get_scorer`.

    Network scorers ``intra_network_<N>_r`` and ``inter_network_<N>_r`` are
    accepted for any network ``N`` too (they need ``regions=``), and so are
    scikit-learn's ``neg_mean_squared_error`` and ``neg_mean_absolute_error``
    (aliases of ``neg_mse`` and ``neg_mae``, listed here; ``r2`` is a
    connectome scorer already).

    Returns
    -------
    names : list of str
        Sorted scorer names.

    Examples
    --------
    >>> from connpredict.metrics import get_scorer_names
    >>> "pearson_r" in get_scorer_names(), "neg_mse" in get_scorer_names()
    (True, True)
    """
    return sorted(scorer_names())


def get_scorer(scoring, *, pairs="test-test", regions=None, min_pairs=MIN_PAIRS):
    """Return a fresh scorer for a connectome estimator.

    Parameters
    ----------
    scoring : str, callable, list of str or dict
        A name of :func:`get_scorer_names` (losses are ``neg_mse``,
        ``neg_mae`` and ``neg_geodesic_distance``, negated so that greater is
        better), ``intra_network_<N>_r`` / ``inter_network_<N>_r`` for a
        network ``N`` of ``regions``, or scikit-learn's regression names
        ``r2``, ``neg_mean_squared_error`` and ``neg_mean_absolute_error``,
        computed over the region pairs like ``r2``, ``neg_mse`` and
        ``neg_mae``. scikit-learn's other scorer names are refused: they
        compare ``predict(X)`` with ``y`` row by row, which does not apply
        to a regions x regions prediction. A callable is deep-copied and
        returned. A list of names, or a dict mapping keys to names or
        callables, gives a dict of scorers to pass as ``scoring=`` to
        ``cross_validate`` or ``GridSearchCV``.
    pairs : {"test-test", "test-train", "test-all"}, default="test-test"
        ``"test-test"`` scores ``predict(X)`` against the test x test block of
        ``Y``; ``"test-train"`` scores ``predict(X, estimator.X_train_)``
        against ``Y.loc[X.index, X_train_.index]``; ``"test-all"`` scores
        the union of both pair sets, each unordered pair once (the test x
        test upper triangle and every test x train entry): the research
        system's protocol for network (Schaefer) splits
        (``test_shared_regions``). The geodesic distance needs a square
        block, so it is only available with ``"test-test"``.
    regions : DataFrame, default=None
        Region table indexed by region label; needed by network scorers, and
        used for coordinates and hemispheres when given (otherwise ``X``'s
        ``x, y, z`` columns are used).
    min_pairs : int, "research" or dict, default=10
        Smallest number of pairs of a subset correlation (else NaN); see
        :func:`evaluate` (``"research"``: more than 100 ordered entries, i.e. 51
        pairs, per distance or strength bin, as in the research system).

    Returns
    -------
    scorer : callable or dict
        ``scorer(estimator, X, Y) -> float``, usable as ``scoring=`` (alone or
        as a value of a ``scoring`` dict) in ``cross_val_score``,
        ``cross_validate`` and ``GridSearchCV``; a dict of them for a list or
        dict ``scoring``.

    Raises
    ------
    ValueError
        For an unknown name, or a scikit-learn scorer name without a
        connectome equivalent.

    Notes
    -----
    scikit-learn resolves a *string* ``scoring=`` in its own registry, which
    has no public way to add names: ``cross_val_score(model, X, Y,
    scoring="pearson_r")`` is rejected by scikit-learn, and
    ``scoring="r2"`` would pick scikit-learn's row-by-row scorer (connpredict
    estimators refuse it in ``fit`` with a message pointing here). Pass the
    scorer object instead: ``scoring=get_scorer("pearson_r")``. connpredict's
    own functions (:func:`connpredict.nulls.spin_test`, ``connpredict run``)
    take the plain names.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.metrics import get_scorer
    >>> class Constant:  # a stand-in for a fitted connectome estimator
    ...     def predict(self, X):
    ...         return pd.DataFrame(0.5, X.index, X.index)
    >>> labels = list("abcd")
    >>> X = pd.DataFrame({"g": [1.0, 2.0, 3.0, 4.0]}, index=labels)
    >>> Y = pd.DataFrame(np.full((4, 4), 0.7), labels, labels)
    >>> round(get_scorer("neg_mae")(Constant(), X, Y), 3)
    -0.2
    >>> sorted(get_scorer(["pearson_r", "neg_mse"]))
    ['neg_mse', 'pearson_r']
    """
    if isinstance(scoring, (list, tuple, dict)):
        items = (
            scoring.items()
            if isinstance(scoring, dict)
            else ((name, name) for name in scoring)
        )
        return {
            key: get_scorer(value, pairs=pairs, regions=regions, min_pairs=min_pairs)
            for key, value in items
        }
    if callable(scoring):
        return copy.deepcopy(scoring)
    if not isinstance(scoring, str):
        raise ValueError(
            f"scoring must be a string or a callable, got {type(scoring).__name__}."
        )
    common = {"pairs": pairs, "regions": regions, "min_pairs": min_pairs}
    scorers = scorer_names()
    if scoring in scorers:
        key, sign = scorers[scoring]
        return ConnectomeScorer(key, sign=sign, **copy.deepcopy(common))
    if NETWORK_METRIC.match(scoring):
        return ConnectomeScorer(scoring, sign=1, **copy.deepcopy(common))
    if scoring in _sklearn_scorer_names():
        raise ValueError(
            f"{scoring!r} is a scikit-learn scorer, which compares predict(X) with "
            "Y row by row and does not apply to a regions x regions prediction. "
            f"Use a connectome scorer: {get_scorer_names()}, or "
            "make_scorer(your_function) for another metric of the two blocks."
        )
    hint = ""
    losses = {}
    for name, (key, sign) in scorers.items():
        if sign < 0:
            losses.setdefault(key, name)  # the metric's own name before aliases
    if scoring in losses:
        hint = f" Losses are negated: use {losses[scoring]!r}."
    raise ValueError(
        f"{scoring!r} is not a valid scoring value.{hint} Connectome scorers: "
        f"{get_scorer_names()}, plus 'intra_network_<N>_r' and "
        "'inter_network_<N>_r' for a network N (with regions=), or "
        "make_scorer(your_function)."
    )

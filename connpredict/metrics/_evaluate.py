"""``evaluate``: every metric that the inputs allow, as one labelled Series."""

import functools

import numpy as np
import pandas as pd
from sklearn import metrics as sk_metrics

from connpredict.metrics import _names
from connpredict.metrics._names import ALIASES, NETWORK_METRIC, metric_names
from connpredict.metrics._pairs import _as_pairs, _pair_table
from connpredict.metrics._regression import geodesic_distance
from connpredict.utils._contract import COORD_COLUMNS
from connpredict.utils._stats import pearson_r

#: Distance bin edges in mm (the research system's 175/3 and 350/3).
DISTANCE_EDGES = (175.0 / 3.0, 350.0 / 3.0)
#: |y_true| threshold separating weak from strong connections.
STRENGTH_THRESHOLD = 0.3
#: Default smallest number of pairs for a subset correlation (else NaN).
MIN_PAIRS = 10
#: The research system's rule, in unordered pairs: a distance or strength bin
#: needs more than 100 *ordered* entries (the research scored both (i, j) and
#: (j, i)), i.e. more than 50 unordered pairs (so at least 51); hemisphere and
#: network subsets (which the research counted once per pair) need 2.
RESEARCH_MIN_PAIRS = {"distance": 51, "strength": 51, "hemisphere": 2, "network": 2}
_MIN_PAIRS_GROUPS = tuple(RESEARCH_MIN_PAIRS)

# the keys of each group come from the metric vocabulary (metrics/_names.py);
# the metrics over all pairs (with a formula) are read from it at each call,
# so that an entry added there is computed here
_DISTANCE_KEYS = metric_names("distance")
_STRENGTH_KEYS = metric_names("strength")
_HEMI_KEYS = metric_names("hemisphere")
_CLASSIFICATION_KEYS = metric_names("classification")

_NEEDS = {
    "geodesic_distance": "two square connectomes among one region set (2-D input)",
    "distance": "region coordinates: pass `regions=` or `X=` with columns x, y, z",
    "hemisphere": (
        "hemispheres: pass `regions=` with a 'hemisphere' column, or coordinates "
        "(x, y, z in `regions=` or `X=`; the sign of x gives the hemisphere)"
    ),
    "network": "network labels: pass `regions=` with a 'network' column",
}


def _network_names(regions):
    if not isinstance(regions, pd.DataFrame) or "network" not in regions.columns:
        return []
    values = regions["network"].dropna()
    return list(dict.fromkeys(str(v) for v in values))


def _check_min_pairs(min_pairs):
    """Validate ``min_pairs``; return a dict subset group -> smallest count."""

    def valid(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 2

    if isinstance(min_pairs, str):
        if min_pairs != "research":
            raise ValueError(
                f"min_pairs must be an integer >= 2, 'research' or a dict, got "
                f"{min_pairs!r}."
            )
        return dict(RESEARCH_MIN_PAIRS)
    if isinstance(min_pairs, dict):
        unknown = set(min_pairs) - set(_MIN_PAIRS_GROUPS)
        if unknown:
            raise ValueError(
                f"Unknown min_pairs group(s) {sorted(unknown)}; the groups are "
                f"{list(_MIN_PAIRS_GROUPS)}."
            )
        out = dict.fromkeys(_MIN_PAIRS_GROUPS, MIN_PAIRS)
        out.update(min_pairs)
    else:
        out = dict.fromkeys(_MIN_PAIRS_GROUPS, min_pairs)
    for group, value in out.items():
        if not valid(value):
            raise ValueError(
                f"min_pairs must be an integer >= 2 (for {group!r}), got {value!r}."
            )
    return out


def _subset_r(t, p, mask, min_pairs):
    if int(np.count_nonzero(mask)) < min_pairs:
        return float("nan")
    return pearson_r(t[mask], p[mask])


def _regression_metrics(pairs, tab, regions, min_pairs, geodesic_kwargs):
    """Ordered mapping key -> zero-argument function computing it."""
    t = tab["y_true"].to_numpy(dtype=float)
    p = tab["y_pred"].to_numpy(dtype=float)
    out = {
        spec.name: functools.partial(spec.formula, t, p)
        for spec in _names.METRICS
        if spec.formula is not None
    }
    if pairs.kind == "square" and pairs.Y_true is not None:
        out["geodesic_distance"] = lambda: geodesic_distance(
            pairs.Y_true, pairs.Y_pred, **geodesic_kwargs
        )
    if "distance" in tab.columns:
        d = tab["distance"].to_numpy(dtype=float)
        lo, hi = DISTANCE_EDGES
        masks = (d <= lo, (d > lo) & (d <= hi), d > hi)  # NaN distance: no bin
        for key, mask in zip(_DISTANCE_KEYS, masks):
            out[key] = _bind(t, p, mask, min_pairs["distance"])
    thr = STRENGTH_THRESHOLD
    for key, mask in zip(_STRENGTH_KEYS, (t < -thr, (t >= -thr) & (t <= thr), t > thr)):
        out[key] = _bind(t, p, mask, min_pairs["strength"])
    if "hemisphere_i" in tab.columns:
        hi_, hj = tab["hemisphere_i"].to_numpy(), tab["hemisphere_j"].to_numpy()
        left = (hi_ == "L") & (hj == "L")
        right = (hi_ == "R") & (hj == "R")
        inter = ((hi_ == "L") & (hj == "R")) | ((hi_ == "R") & (hj == "L"))
        for key, mask in zip(_HEMI_KEYS, (left, right, inter)):
            out[key] = _bind(t, p, mask, min_pairs["hemisphere"])
    if "network_i" in tab.columns:
        ni, nj = tab["network_i"].to_numpy(), tab["network_j"].to_numpy()
        known = pd.notna(ni) & pd.notna(nj)
        same = known & (ni == nj)
        mp = min_pairs["network"]
        out["intra_network_r"] = _bind(t, p, same, mp)
        out["inter_network_r"] = _bind(t, p, known & (ni != nj), mp)
        names = _network_names(regions)
        for name in names:
            out[f"intra_network_{name}_r"] = _bind(
                t, p, (ni == name) & (nj == name), mp
            )
        for name in names:
            out[f"inter_network_{name}_r"] = _bind(
                t, p, (ni == name) != (nj == name), mp
            )
    return out


def _bind(t, p, mask, min_pairs):
    return lambda: _subset_r(t, p, np.asarray(mask, dtype=bool), min_pairs)


def _is_binary(t):
    return bool(np.all((t == 0) | (t == 1)))


def _classification_metrics(t, p):
    values = np.unique(t)
    if values.size > 2:
        raise ValueError(
            f"task='classification' needs a binary Y_true, got {values.size} "
            "distinct values among the pairs."
        )
    if _is_binary(t):
        neg, pos = 0.0, 1.0
    elif values.size == 2:
        neg, pos = float(values[0]), float(values[1])
    else:
        raise ValueError(
            "Y_true holds a single value that is not 0 or 1; the positive class "
            "is unknown. Code the classes as 0 and 1."
        )
    y = (t == pos).astype(int)
    y_hat = (p >= (neg + pos) / 2.0).astype(int)
    kw = {"zero_division": np.nan}

    def auc():
        if np.unique(y).size < 2:
            return float("nan")
        return float(sk_metrics.roc_auc_score(y, p))

    return {
        "accuracy": lambda: float(sk_metrics.accuracy_score(y, y_hat)),
        "precision": lambda: float(sk_metrics.precision_score(y, y_hat, **kw)),
        "recall": lambda: float(sk_metrics.recall_score(y, y_hat, **kw)),
        "f1": lambda: float(sk_metrics.f1_score(y, y_hat, **kw)),
        "roc_auc": auc,
    }


def _missing_reason(key, task):
    key = ALIASES.get(key, key)
    if key in _CLASSIFICATION_KEYS and task == "regression":
        return "a binary Y_true (task='classification')"
    if key in (*metric_names("basic"), *_STRENGTH_KEYS, "geodesic_distance") and (
        task == "classification"
    ):
        return "a continuous Y_true (task='regression')"
    if key == "geodesic_distance":
        return _NEEDS["geodesic_distance"]
    if key in _DISTANCE_KEYS:
        return _NEEDS["distance"]
    if key in _HEMI_KEYS:
        return _NEEDS["hemisphere"]
    if NETWORK_METRIC.match(key):
        return _NEEDS["network"] + " that lists this network"
    return None


def evaluate(
    Y_true,
    Y_pred,
    *,
    regions=None,
    X=None,
    min_pairs=MIN_PAIRS,
    metrics=None,
    task="auto",
    coord_columns=COORD_COLUMNS,
    geodesic_kwargs=None,
):
    """Every connectome metric that the inputs allow, each pair counted once.

    Regression metrics (continuous target), with the research system's keys:

    Each unordered region pair counts once: the upper triangle of a square
    block (test x test), every entry of a block between two disjoint region
    sets (test x train), or both parts of a block of test rows against a
    region set that contains them (test x all, ``Y.loc[test, test +
    train]``: the research system's ``test-all`` protocol).

    - ``mse``, ``mae``, ``r2``, ``pearson_r``, ``spearman_r`` over all pairs;
    - ``geodesic_distance``: see :func:`geodesic_distance` (square blocks
      only);
    - ``short_r``, ``mid_r``, ``long_r``: Pearson r over pairs whose
      centroid distance is ``<= 175/3`` mm, in ``(175/3, 350/3]`` mm and
      ``> 350/3`` mm (needs coordinates);
    - ``strong_neg_r``, ``weak_r``, ``strong_pos_r``: r over pairs with
      ``y_true < -0.3``, ``-0.3 <= y_true <= 0.3`` and ``y_true > 0.3``;
    - ``left_hemi_r``, ``right_hemi_r``, ``inter_hemi_r``: both regions in the
      left, both in the right, one in each hemisphere (regions of unknown
      hemisphere, or with ``x = 0`` when the sign of ``x`` is used, are in
      none of these);
    - ``intra_network_r`` / ``inter_network_r``: pairs within one network /
      between two different networks (both labelled), then for each network
      ``N`` of ``regions["network"]``, in table order,
      ``intra_network_<N>_r`` (both regions in ``N``) and
      ``inter_network_<N>_r`` (exactly one region in ``N``).

    A subset correlation over fewer than ``min_pairs`` pairs, or with a
    constant side, is NaN. Metrics whose information is absent are left
    out. A binary target (every ``y_true`` 0 or 1, or ``task=
    "classification"``) gives ``accuracy``, ``precision``, ``recall``, ``f1``
    (predictions thresholded at 0.5, halfway between the classes) and
    ``roc_auc`` (on the raw predictions) instead.

    Parameters
    ----------
    Y_true, Y_pred : DataFrame or array-like
        Either two square blocks among one region set (test x test; the upper
        triangle ``i < j`` is used), two rectangular blocks between two
        disjoint region sets (test x train; every entry is a distinct pair),
        two labelled blocks of some regions against a set containing them
        (test x all; see above) or two 1-D vectors of pair values.
        DataFrames are aligned by labels; a square *array* is always read as
        a block among one region set, so label a square test x train block
        with DataFrames.
    regions : DataFrame, default=None
        Region table indexed by region label, with any of ``x``, ``y``, ``z``
        (MNI mm), ``hemisphere`` (``"L"``/``"R"``) and ``network``. Unlabelled
        blocks take its rows in order. 1-D pair vectors are matched to it
        when they hold ``n(n-1)/2`` values (upper-triangle order).
    X : DataFrame, default=None
        Region feature table (indexed by label); its ``x, y, z`` columns give
        distances and, without a ``hemisphere`` column in ``regions``, the
        hemisphere by the sign of ``x``.
    min_pairs : int, "research" or dict, default=10
        Smallest number of pairs for a subset correlation (distance,
        strength, hemisphere and network metrics); fewer gives NaN. An int
        applies to every subset; a dict sets it per group (keys
        ``"distance"``, ``"strength"``, ``"hemisphere"``, ``"network"``;
        groups left out keep 10). ``"research"`` is the research system's
        rule (:data:`RESEARCH_MIN_PAIRS`): a distance or strength bin needs
        *more than* 100 ordered entries, i.e. more than 50 pairs (51; the
        research scored both orders of every pair), a hemisphere or
        network subset 2. With
        few test regions (e.g. a network fold of a Schaefer-100 split) the
        research rule leaves many bins NaN; the default of 10 keeps them,
        at the price of noisier bin correlations.
    metrics : list of str, default=None
        Compute only these keys; a key that the inputs do not allow raises a
        ``ValueError`` saying what is missing. None computes all. The
        research system's name ``auc_roc`` is accepted for ``roc_auc`` (the
        result is labelled with the name asked for).
    task : {"auto", "regression", "classification"}, default="auto"
        ``"auto"`` treats a target whose pair values are all 0 or 1 as binary.
    coord_columns : tuple of str, default=("x", "y", "z")
        Names of the coordinate columns.
    geodesic_kwargs : dict, default=None
        Keyword arguments of :func:`geodesic_distance` (``method``,
        ``diagonal``, ``eps``); ``{"method": "research"}`` gives the research
        system's definition.

    Returns
    -------
    scores : Series of float
        Indexed by metric key.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.metrics import evaluate
    >>> rng = np.random.default_rng(0)
    >>> labels = [f"r{i}" for i in range(12)]
    >>> A = rng.normal(size=(12, 12)) * 0.3
    >>> Y = pd.DataFrame((A + A.T) / 2, labels, labels)
    >>> regions = pd.DataFrame({"x": np.linspace(-60, 60, 12), "y": 0.0, "z": 0.0,
    ...                         "network": ["Vis", "Default"] * 6}, index=labels)
    >>> scores = evaluate(Y, Y * 0.5, regions=regions)
    >>> float(scores["pearson_r"])
    1.0
    >>> for key in scores.index[-4:]:
    ...     print(key)
    intra_network_Vis_r
    intra_network_Default_r
    inter_network_Vis_r
    inter_network_Default_r
    """
    if task not in ("auto", "regression", "classification"):
        raise ValueError(
            f"task must be 'auto', 'regression' or 'classification', got {task!r}."
        )
    min_pairs = _check_min_pairs(min_pairs)
    pairs = _as_pairs(Y_true, Y_pred)
    tab = _pair_table(pairs, regions, X, coord_columns)
    if task == "auto":
        task = "classification" if _is_binary(pairs.true) else "regression"
    if task == "classification":
        available = _classification_metrics(pairs.true, pairs.pred)
    else:
        available = _regression_metrics(
            pairs, tab, regions, min_pairs, dict(geodesic_kwargs or {})
        )
    if metrics is None:
        keys = list(available)
    else:
        keys = [metrics] if isinstance(metrics, str) else list(metrics)
        for key in keys:
            if key in ALIASES and key not in available:
                available[key] = available.get(ALIASES[key])
                if available[key] is None:
                    del available[key]
            if key not in available:
                reason = _missing_reason(key, task)
                if reason is None:
                    raise ValueError(
                        f"Unknown metric {key!r}; available here: {list(available)}."
                    )
                raise ValueError(f"Metric {key!r} needs {reason}.")
    return pd.Series({key: available[key]() for key in keys}, dtype=float)

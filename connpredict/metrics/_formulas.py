"""The formulas of the pair metrics, on two 1-D vectors of pair values.

One formula per metric: the metric vocabulary (``metrics/_names.py``, whose
entries point here), the public functions of :mod:`connpredict.metrics`
(``mean_squared_error``, ...), :func:`connpredict.metrics.evaluate` and the
per-region scores all call these.
"""

import numpy as np
import scipy.stats

from connpredict.utils._stats import pearson_r


def mse(t, p):
    """Mean squared error of two pair vectors."""
    return float(np.mean((t - p) ** 2))


def mae(t, p):
    """Mean absolute error of two pair vectors."""
    return float(np.mean(np.abs(t - p)))


def r2(t, p):
    """Coefficient of determination; NaN when ``t`` is constant."""
    ss_tot = np.sum((t - t.mean()) ** 2)
    if not ss_tot > 0:
        return float("nan")
    return float(1.0 - np.sum((t - p) ** 2) / ss_tot)


def pearson(t, p):
    """Pearson r; NaN when either side is constant."""
    return pearson_r(t, p)


def spearman(t, p):
    """Spearman rho (Pearson r of average ranks); NaN for constant input."""
    if np.asarray(t).size < 2:
        return float("nan")
    return pearson_r(scipy.stats.rankdata(t), scipy.stats.rankdata(p))

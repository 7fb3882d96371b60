"""Small numeric helpers shared across subpackages (private).

One Pearson correlation and one way of drawing integer seeds, so that every
model, metric and null computes them the same way.
"""

import numpy as np
from sklearn.utils import check_random_state

#: Exclusive upper bound of drawn seeds: ``2**31 - 1`` fits a signed 32-bit
#: integer, which every consumer (NumPy, torch, networkx, scikit-learn)
#: accepts.
SEED_BOUND = np.iinfo(np.int32).max


def pearson_r(a, b):
    """Pearson correlation of two vectors, as a float in [-1, 1].

    NaN when the vectors have fewer than 2 entries or either is constant (the
    correlation is undefined); rounding is clipped so that ``|r| <= 1``.

    Parameters
    ----------
    a, b : array-like of shape (n,)
        The two vectors.

    Returns
    -------
    r : float

    Examples
    --------
    >>> from connpredict.utils._stats import pearson_r
    >>> pearson_r([1, 2, 3], [2, 4, 7])
    0.9933992677987828
    >>> pearson_r([1, 1, 1], [2, 4, 7])
    nan
    """
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    if a.size < 2:
        return float("nan")
    a = a - a.mean()
    b = b - b.mean()
    denom = np.sqrt(np.dot(a, a) * np.dot(b, b))
    if not denom > 0:
        return float("nan")
    return float(np.clip(np.dot(a, b) / denom, -1.0, 1.0))


def draw_seed(random_state):
    """Draw one integer seed in ``[0, 2**31 - 1)``.

    Pass a :class:`numpy.random.RandomState` to draw several seeds in
    sequence from one stream (an int or None is turned into a RandomState by
    :func:`sklearn.utils.check_random_state`, so an int always gives the same
    seed).

    Parameters
    ----------
    random_state : int, RandomState instance or None
        Where the seed comes from.

    Returns
    -------
    seed : int

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.utils._stats import draw_seed
    >>> rng = np.random.RandomState(0)
    >>> draw_seed(rng), draw_seed(rng)
    (209652396, 398764591)
    >>> draw_seed(0) == draw_seed(0)
    True
    """
    return int(check_random_state(random_state).randint(SEED_BOUND))

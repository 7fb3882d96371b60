import itertools

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from connpredict.nulls import random_permutations, variogram_surrogates


def _semivariance(values, D, lo, hi):
    """Mean of (v_i - v_j)^2 / 2 over pairs with lo < d_ij <= hi (definition)."""
    i, j = np.triu_indices(len(values), 1)
    m = (D[i, j] > lo) & (D[i, j] <= hi)
    return 0.5 * np.mean((values[i[m]] - values[j[m]]) ** 2)


@pytest.fixture(scope="module")
def smooth_map():
    rng = np.random.default_rng(0)
    xyz = rng.uniform(0, 100, (120, 3))
    values = np.sin(xyz[:, 0] / 20) + np.cos(xyz[:, 1] / 25)
    values += 0.2 * rng.standard_normal(120)
    return values, cdist(xyz, xyz)


def test_surrogates_keep_short_range_autocorrelation(smooth_map):
    values, D = smooth_map
    surr = variogram_surrogates(values, D, 40, random_state=0)
    shuf = values[random_permutations(len(values), 40, random_state=0)]
    orig = _semivariance(values, D, 0, 20)
    s = np.mean([_semivariance(m, D, 0, 20) for m in surr])
    r = np.mean([_semivariance(m, D, 0, 20) for m in shuf])
    assert orig < 0.3 * r  # the map is smooth
    assert abs(s - orig) < 0.35 * abs(r - orig)
    # resampled: same values, in a new order
    assert np.allclose(np.sort(surr, axis=1), np.sort(values))
    assert not np.allclose(surr[0], values)


def test_surrogates_determinism_and_errors(smooth_map):
    values, D = smooth_map
    a = variogram_surrogates(values, D, 3, random_state=1)
    b = variogram_surrogates(values, D, 3, random_state=1)
    assert np.array_equal(a, b)
    raw = variogram_surrogates(
        values, D, 3, resample=False, n_neighbors=[5, 20], random_state=1
    )
    assert raw.shape == (3, len(values))
    with pytest.raises(ValueError, match="distances"):
        variogram_surrogates(values, D[:-1], 2)
    with pytest.raises(ValueError, match="n_neighbors"):
        variogram_surrogates(values, D, 2, n_neighbors=[0])
    with pytest.raises(ValueError, match="n_surrogates"):
        variogram_surrogates(values, D, 0)


def test_resampled_surrogates_match_the_variogram(smooth_map):
    # Binned variogram by definition (10 bins up to the 25th percentile):
    # rank-matched surrogates stay much closer to the map's than shuffles do,
    # and the choice among neighbourhood sizes beats each size alone.
    values, D = smooth_map
    edges = np.linspace(0, np.percentile(D[np.triu_indices(len(D), 1)], 25), 11)

    def err(maps):
        emp = np.array(
            [_semivariance(values, D, a, b) for a, b in itertools.pairwise(edges)]
        )
        out = []
        for m in maps:
            g = np.array(
                [_semivariance(m, D, a, b) for a, b in itertools.pairwise(edges)]
            )
            out.append(np.sqrt(np.mean((g - emp) ** 2)))
        return np.mean(out)

    surr = variogram_surrogates(values, D, 30, random_state=2)
    shuf = values[random_permutations(len(values), 30, random_state=2)]
    assert err(surr) < 0.3 * err(shuf)
    # each fixed k alone is worse than the selection among them
    ks = np.unique(np.clip(np.linspace(12, 108, 9).astype(int), 2, 120))
    singles = [
        err(variogram_surrogates(values, D, 30, n_neighbors=[k], random_state=2))
        for k in ks
    ]
    assert err(surr) <= min(singles) + 1e-12

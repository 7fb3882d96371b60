"""Input checks shared by the null models (sphere centroids).

Counts are checked by :func:`connpredict.utils._checks.check_int`.
"""

import numpy as np

# Sphere centroids of a group must lie on one sphere about the origin: the
# smallest norm at least this fraction of the largest (parcel centroids
# averaged over a unit sphere sit a little inside it, never near the centre).
_MIN_NORM_RATIO = 0.5


def check_sphere_points(points, labels, columns):
    """Refuse sphere centroids that cannot define a spin.

    ``points`` (n, 3) are the finite sphere centroids of one hemisphere's
    cortex; ``labels`` name the rows in messages. A spin rotates them about
    the origin, so each must lie on a common sphere centred there: none at
    (or near) the origin, and not all at one point (then every rotation
    gives the same, arbitrary, assignment).
    """
    points = np.asarray(points, dtype=float)
    if points.shape[0] == 0:
        return
    norms = np.linalg.norm(points, axis=1)
    top = float(norms.max())
    if top == 0.0:
        raise ValueError(
            f"The sphere centroids {list(columns)} of regions "
            f"{_first(labels)} are all zero; spins need each cortical region's "
            "centroid on the (unit) sphere of its hemisphere's surface, as the "
            "region tables of `load_dataset` have them."
        )
    low = norms < _MIN_NORM_RATIO * top
    if low.any():
        bad = [labels[i] for i in np.flatnonzero(low)]
        raise ValueError(
            f"The sphere centroids {list(columns)} do not lie on one sphere "
            f"about the origin: regions {_first(bad)} have norm "
            f"{float(norms[low].min()):.3g} but others {top:.3g}. Pass centroids "
            "on the cortical sphere (e.g. unit vectors), not MNI coordinates or "
            "placeholders."
        )
    if points.shape[0] > 1 and np.ptp(points, axis=0).max() <= 1e-9 * top:
        raise ValueError(
            f"All {points.shape[0]} sphere centroids {list(columns)} of regions "
            f"{_first(labels)} are the same point; spins need distinct centroids "
            "spread over the sphere."
        )


def _first(labels, k=5):
    labels = list(labels)
    more = f" and {len(labels) - k} more" if len(labels) > k else ""
    return f"{labels[:k]}{more}"

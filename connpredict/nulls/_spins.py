"""Spatial-autocorrelation-preserving permutations of regions ("spins").

A spin rotates the cortical surface sphere at random and gives every region
the data of the region whose rotated centroid lands on (or is assigned to)
its own centroid (Alexander-Bloch et al., 2018). Rotations are drawn
uniformly on SO(3), independently for cortex and subcortex; the right
hemisphere's rotation is the mirror image of the left's,
``R_right = F R_left F`` with ``F = diag(-1, 1, 1)``, so the two hemispheres
move symmetrically.

Convention: row ``perm`` of the returned array maps regions to regions so
that ``X_null = X[perm]`` (region ``i`` receives the data of region
``perm[i]``). The identity rotation gives the identity permutation.
"""

import itertools

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from scipy.spatial import cKDTree
from sklearn.utils import check_random_state

from connpredict.nulls import _assign, _vasa
from connpredict.nulls._regions import needs_treatment, treated_spins
from connpredict.nulls._validation import check_sphere_points
from connpredict.utils._checks import check_int
from connpredict.utils._contract import SPHERE_COLUMNS

SPIN_METHODS = ("hungarian", "vasa", "nearest")
_MIRROR = np.diag([-1.0, 1.0, 1.0])
# Permutations processed at once by the vectorised methods (bounds memory).
_CHUNK = 128
# Rotations whose dense distance matrices are built and solved together by
# the Hungarian method: small enough for the matrices to stay in cache.
_LAP_CHUNK = 16


def random_rotations(n_rotations, *, random_state=None):
    """Draw rotation matrices uniformly (Haar measure) on SO(3).

    Uses normalised 4-D Gaussian vectors as unit quaternions, which are
    uniform on the 3-sphere and so give uniformly distributed rotations.

    Parameters
    ----------
    n_rotations : int
        Number of rotations.
    random_state : int, RandomState instance or None, default=None
        Seed or generator.

    Returns
    -------
    rotations : ndarray of shape (n_rotations, 3, 3)
        Proper rotation matrices (orthogonal, determinant +1).

    See Also
    --------
    spin_permutations : Uses these rotations.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.nulls import random_rotations
    >>> R = random_rotations(2, random_state=0)
    >>> R.shape
    (2, 3, 3)
    >>> bool(np.allclose(R[0] @ R[0].T, np.eye(3)))
    True
    """
    rng = check_random_state(random_state)
    q = rng.standard_normal((int(n_rotations), 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q.T
    R = np.empty((q.shape[0], 3, 3))
    R[:, 0, 0] = 1 - 2 * (y * y + z * z)
    R[:, 0, 1] = 2 * (x * y - z * w)
    R[:, 0, 2] = 2 * (x * z + y * w)
    R[:, 1, 0] = 2 * (x * y + z * w)
    R[:, 1, 1] = 1 - 2 * (x * x + z * z)
    R[:, 1, 2] = 2 * (y * z - x * w)
    R[:, 2, 0] = 2 * (x * z - y * w)
    R[:, 2, 1] = 2 * (y * z + x * w)
    R[:, 2, 2] = 1 - 2 * (x * x + y * y)
    return R


def _region_groups(regions):
    """Validate a region table; return ``[(indices, points, hemi_is_right)]``.

    Cortical groups carry their sphere centroids; subcortical groups their MNI
    centroids centred on the group's mean.
    """
    if not isinstance(regions, pd.DataFrame):
        raise TypeError(
            "regions must be the region table (a DataFrame with columns "
            "hemisphere, structure, x, y, z, sphere_x, sphere_y, sphere_z), e.g. "
            "`load_dataset('hcp-schaefer100').regions`."
        )
    missing = [c for c in ("hemisphere", "structure") if c not in regions.columns]
    if missing:
        raise ValueError(
            f"The region table lacks column(s) {missing}. Spins need each region's "
            "hemisphere ('L'/'R') and structure ('cortex'/'subcortex'); use "
            "`load_dataset(...).regions`."
        )
    hemi = regions["hemisphere"].astype(str).to_numpy()
    struct = regions["structure"].astype(str).to_numpy()
    bad = sorted(set(hemi) - {"L", "R"})
    if bad:
        raise ValueError(
            f"Unknown hemisphere value(s) {bad}; spins need 'L' or 'R' for every "
            "region. Drop or relabel midline regions first."
        )
    bad = sorted(set(struct) - {"cortex", "subcortex"})
    if bad:
        raise ValueError(
            f"Unknown structure value(s) {bad}; expected 'cortex' or 'subcortex'."
        )
    groups = []
    for s in ("cortex", "subcortex"):
        for h in ("L", "R"):
            idx = np.flatnonzero((hemi == h) & (struct == s))
            if idx.size == 0:
                continue
            if s == "cortex":
                cols = list(SPHERE_COLUMNS)
                if any(c not in regions.columns for c in cols):
                    raise ValueError(
                        f"Cortical spins need sphere centroids in columns {cols}; "
                        "the region tables of `load_dataset` have them."
                    )
                pts = regions.iloc[idx][cols].to_numpy(dtype=float)
                if not np.all(np.isfinite(pts)):
                    raise ValueError(
                        "Some cortical regions have no sphere centroid "
                        f"(NaN in {cols}); fill them or mark those regions "
                        "structure='subcortex'."
                    )
                check_sphere_points(pts, regions.index[idx].tolist(), cols)
            else:
                cols = ["x", "y", "z"]
                if any(c not in regions.columns for c in cols):
                    raise ValueError(
                        f"Subcortical spins need MNI centroids in columns {cols}."
                    )
                pts = regions.iloc[idx][cols].to_numpy(dtype=float)
                if not np.all(np.isfinite(pts)):
                    raise ValueError("Some subcortical regions have NaN x, y, z.")
                pts = pts - pts.mean(axis=0)
            groups.append((s, idx, pts, h == "R"))
    return groups


def _rotated_distances(points, rotations, *, squared=False):
    """Distances ``D[b, i, j] = |p_i - R_b p_j|`` for a batch of rotations.

    Row ``i`` is an original position, column ``j`` the rotated position of
    region ``j`` (where region ``j``'s data moves to).
    """
    rot = np.einsum("bkl,jl->bjk", rotations, points)
    sq = np.einsum("ij,ij->i", points, points)
    D = np.matmul(points[None], -2.0 * np.transpose(rot, (0, 2, 1)))
    D += sq[None, :, None]
    D += sq[None, None, :]
    np.maximum(D, 0.0, out=D)
    if squared:
        return D
    return np.sqrt(D, out=D)


def _assign_hungarian(points, rotations):
    # Exact: lapx's Jonker-Volgenant solver when installed, else scipy's.
    out = np.empty((rotations.shape[0], points.shape[0]), dtype=np.intp)
    for start in range(0, rotations.shape[0], _LAP_CHUNK):
        D = _rotated_distances(points, rotations[start : start + _LAP_CHUNK])
        out[start : start + D.shape[0]] = _assign.solve_assignments(D)
    return out


def _assign_vasa(points, rotations):
    # Compiled (numba) when installed, else vectorised numpy; same results.
    if _vasa.compiled_vasa() is not None:
        return _vasa.assign_vasa_compiled(points, rotations)
    return _assign_vasa_numpy(points, rotations)


def _assign_vasa_numpy(points, rotations):
    """Greedy assignment of Váša et al. (2018), vectorised over rotations.

    At every step, among the positions not yet filled, the one whose nearest
    still-available rotated region is farthest away is filled first, with
    that nearest region. Per rotation, the nearest available column of every
    row is cached and recomputed only for rows whose cached column was just
    taken.
    """
    n = points.shape[0]
    out = np.empty((rotations.shape[0], n), dtype=np.intp)
    for start in range(0, rotations.shape[0], _CHUNK):
        # Squared distances give the same order and the same nearest points.
        D = _rotated_distances(points, rotations[start : start + _CHUNK], squared=True)
        m = D.shape[0]
        rows = np.arange(m)
        near = np.argmin(D, axis=2)  # nearest available column of each row
        near_d = np.take_along_axis(D, near[:, :, None], axis=2)[:, :, 0]
        taken = np.zeros((m, n))  # +inf on columns already assigned
        for _ in range(n):
            i = np.argmax(near_d, axis=1)  # filled rows hold -inf
            j = near[rows, i]
            out[start + rows, i] = j
            near_d[rows, i] = -np.inf
            near[rows, i] = -1
            taken[rows, j] = np.inf
            bi, ri = np.nonzero(near == j[:, None])
            if bi.size:
                sub = D[bi, ri, :] + taken[bi]
                k = np.argmin(sub, axis=1)
                near[bi, ri] = k
                near_d[bi, ri] = sub[np.arange(bi.size), k]
    return out


def _assign_nearest(points, rotations):
    # Position i takes the region j minimising |p_i - R p_j| = |R^T p_i - p_j|:
    # a tree query of the inversely rotated positions.
    tree = cKDTree(points)
    out = np.empty((rotations.shape[0], points.shape[0]), dtype=np.intp)
    step = max(_CHUNK, 200_000 // max(points.shape[0], 1))
    for start in range(0, rotations.shape[0], step):
        rot = np.einsum("blk,il->bik", rotations[start : start + step], points)
        _, j = tree.query(rot.reshape(-1, 3), workers=-1)
        out[start : start + rot.shape[0]] = j.reshape(rot.shape[0], -1)
    return out


_ASSIGN = {
    "hungarian": _assign_hungarian,
    "vasa": _assign_vasa,
    "nearest": _assign_nearest,
}


def spin_permutations(
    regions, n_permutations, *, method="hungarian", random_state=None, n_jobs=None
):
    """Spatial-autocorrelation-preserving permutations of regions (spins).

    For each permutation, the cortical sphere centroids of the left
    hemisphere are rotated by a random rotation ``R`` (uniform on SO(3)) and
    those of the right hemisphere by its mirror image ``F R F`` with
    ``F = diag(-1, 1, 1)`` (Alexander-Bloch et al., 2018): the data of region
    ``j`` moves to ``R p_j``. Each region's original position ``p_i`` then
    receives the data of one region of its hemisphere according to
    ``method``, from the distances ``|p_i - R p_j|`` (Euclidean, i.e. chord,
    distances on the sphere).

    Subcortical regions (``structure == "subcortex"``) have no sphere: within
    each hemisphere their MNI centroids ``x, y, z`` are rotated about the
    hemisphere's subcortical centre (the mean centroid) by a second,
    independent random rotation (mirrored for the right hemisphere likewise)
    and reassigned among the subcortical regions of that hemisphere with the
    same ``method``. Every region therefore stays within its hemisphere and
    structure.

    Tables of other atlases from :func:`connpredict.datasets.atlas_regions`
    mark each region with a boolean ``has_sphere`` column and may hold
    regions without a sphere centroid (subcortex, cerebellum, or cortical
    regions the projection missed), other structure names and midline
    regions (hemisphere ``"B"``). In a table with ``has_sphere``, every
    region with a sphere centroid and a hemisphere ``"L"``/``"R"`` is spun
    with the cortex; the others are
    rotated by their ``x, y, z`` centroids within their hemisphere *and*
    structure (as subcortex above) when at least two share both, and
    otherwise held fixed (they keep their own data: a conservative null for
    them). ``spin_test`` reports this per region in
    ``SpinTestResult.region_treatment``.

    Parameters
    ----------
    regions : DataFrame of shape (n_regions, n_columns)
        The region table: columns ``hemisphere`` (``"L"``/``"R"``),
        ``structure`` (``"cortex"``/``"subcortex"``), ``x``, ``y``, ``z``
        (MNI mm) and ``sphere_x``, ``sphere_y``, ``sphere_z`` (unit-sphere
        centroids; needed for cortex only), e.g.
        ``load_dataset("hcp-schaefer100").regions``.
    n_permutations : int
        Number of spins.
    method : {"hungarian", "vasa", "nearest"}, default="hungarian"
        How rotated regions are reassigned.

        - ``"hungarian"``: optimal one-to-one assignment minimising the total
          distance, solved exactly by the Jonker-Volgenant solver of the
          optional package ``lapx`` (``pip install connpredict[spins]``,
          about 2x faster) or else by
          :func:`scipy.optimize.linear_sum_assignment`; both give the same
          optimal permutation unless two assignments tie exactly.
        - ``"vasa"``: the greedy one-to-one method of Váša et al. (2018), used
          by the GeneEx2Conn research code (through netneurotools): at each
          step, the position whose nearest still-unassigned rotated region is
          farthest away is served first, by that region. Compiled by the
          optional package ``numba`` (``pip install connpredict[spins]``,
          about 3x faster, and ``n_jobs`` runs it in threads), else
          vectorised in numpy; both give the same permutations.
        - ``"nearest"``: each position takes the data of the nearest rotated
          region. Fastest, but **not a permutation**: some regions are
          repeated and others dropped.
    random_state : int, RandomState instance or None, default=None
        Seed for the rotations.
    n_jobs : int, default=None
        Parallel jobs (joblib) for the ``"hungarian"`` and ``"vasa"``
        assignments of many spins. Rotations are drawn before the work is
        split, so the result does not depend on ``n_jobs``.

    Returns
    -------
    permutations : ndarray of int of shape (n_permutations, n_regions)
        Row ``k`` gives, for every region ``i``, the region whose data it
        receives: ``X[permutations[k]]`` is the spun table. With
        ``"hungarian"`` and ``"vasa"`` each row is a permutation of
        ``range(n_regions)``.

    See Also
    --------
    random_permutations : Non-spatial null.
    spin_test : Significance of a model's cross-validated score.

    References
    ----------
    Alexander-Bloch, A. F. et al. (2018). On testing for spatial
    correspondence between maps of human brain structure and function.
    NeuroImage, 178, 540-551.

    Váša, F. et al. (2018). Adolescent tuning of association cortex in human
    structural brain networks. Cerebral Cortex, 28(1), 281-294.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.nulls import spin_permutations
    >>> rng = np.random.default_rng(0)
    >>> p = rng.standard_normal((20, 3))
    >>> p /= np.linalg.norm(p, axis=1, keepdims=True)
    >>> regions = pd.DataFrame({
    ...     "hemisphere": np.where(p[:, 0] < 0, "L", "R"),
    ...     "structure": "cortex", "x": 50 * p[:, 0], "y": 50 * p[:, 1],
    ...     "z": 50 * p[:, 2], "sphere_x": p[:, 0], "sphere_y": p[:, 1],
    ...     "sphere_z": p[:, 2]})
    >>> perms = spin_permutations(regions, 5, random_state=0)
    >>> perms.shape
    (5, 20)
    >>> bool(all(np.array_equal(np.sort(row), np.arange(20)) for row in perms))
    True
    """
    if method not in _ASSIGN:
        raise ValueError(f"method must be one of {SPIN_METHODS}, got {method!r}.")
    n_permutations = check_int(n_permutations, "n_permutations", low=1)
    if needs_treatment(regions):  # user atlases: see nulls/_regions.py
        return treated_spins(
            regions, n_permutations, spin_permutations, random_state=random_state,
            method=method, n_jobs=n_jobs,
        )  # fmt: skip
    groups = _region_groups(regions)
    rng = check_random_state(random_state)
    # Drawn up front, in a fixed order, so results depend only on the seed.
    rotations = {
        "cortex": random_rotations(n_permutations, random_state=rng),
        "subcortex": random_rotations(n_permutations, random_state=rng),
    }
    return _spins_from_rotations(groups, rotations, method, len(regions), n_jobs=n_jobs)


def _spins_from_rotations(groups, rotations, method, n_regions, *, n_jobs=None):
    n_permutations = next(iter(rotations.values())).shape[0]
    out = np.empty((n_permutations, n_regions), dtype=np.intp)
    assign = _ASSIGN[method]
    workers = effective_n_jobs(n_jobs) if method != "nearest" else 1
    if workers > 1 and n_permutations >= 2 * _CHUNK:
        bounds = np.linspace(0, n_permutations, workers + 1).astype(int)
    else:
        bounds = np.array([0, n_permutations])
    tasks = []
    for structure, idx, pts, right in groups:
        R = rotations[structure]
        if right:
            R = _MIRROR @ R @ _MIRROR
        if idx.size == 1:
            out[:, idx] = idx[0]
            continue
        for a, b in itertools.pairwise(bounds):
            tasks.append((idx, a, b, pts, R[a:b]))
    if len(bounds) > 2:
        # lapx's solver and the numba Váša kernel release the GIL, so threads
        # share the work without copying results; scipy's solver and the
        # numpy Váša (many small numpy calls) hold it and go to processes.
        threads = (method == "hungarian" and _assign._LAPX_BATCH is not None) or (
            method == "vasa" and _vasa.compiled_vasa() is not None
        )
        parts = Parallel(n_jobs=n_jobs, prefer="threads" if threads else None)(
            delayed(assign)(pts, R) for _, _, _, pts, R in tasks
        )
    else:
        parts = [assign(pts, R) for _, _, _, pts, R in tasks]
    for (idx, a, b, _, _), local in zip(tasks, parts):
        out[a:b, idx] = idx[local]
    return out


def random_permutations(regions, n_permutations, *, preserve=None, random_state=None):
    """Uniform random permutations of regions (a non-spatial null).

    Parameters
    ----------
    regions : int or DataFrame
        The number of regions, or the region table (needed when
        ``preserve`` is set).
    n_permutations : int
        Number of permutations.
    preserve : {None, "hemisphere", "structure", "hemisphere_structure"}, \
default=None
        Shuffle only within groups of regions sharing these columns of the
        region table (e.g. ``"hemisphere_structure"`` keeps every region in
        its hemisphere and structure, like :func:`spin_permutations`).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    permutations : ndarray of int of shape (n_permutations, n_regions)
        Each row a permutation; ``X[permutations[k]]`` is the shuffled table.

    See Also
    --------
    spin_permutations : The spatial null.

    Examples
    --------
    >>> import numpy as np
    >>> from connpredict.nulls import random_permutations
    >>> perms = random_permutations(6, 3, random_state=0)
    >>> perms.shape
    (3, 6)
    >>> bool(np.array_equal(np.sort(perms[0]), np.arange(6)))
    True
    """
    n_permutations = check_int(n_permutations, "n_permutations", low=1)
    rng = check_random_state(random_state)
    if isinstance(regions, pd.DataFrame):
        n_regions = len(regions)
    else:
        n_regions = int(regions)
    options = {
        None: [],
        "hemisphere": ["hemisphere"],
        "structure": ["structure"],
        "hemisphere_structure": ["hemisphere", "structure"],
    }
    if preserve not in options:
        raise ValueError(f"preserve must be one of {list(options)}, got {preserve!r}.")
    cols = options[preserve]
    if cols:
        if not isinstance(regions, pd.DataFrame):
            raise ValueError(
                f"preserve={preserve!r} needs the region table: pass `regions` as "
                "a DataFrame (e.g. `load_dataset(...).regions`), not a count."
            )
        missing = [c for c in cols if c not in regions.columns]
        if missing:
            raise ValueError(f"The region table lacks column(s) {missing}.")
        keys = regions[cols].astype(str).agg("|".join, axis=1).to_numpy()
        labels = [np.flatnonzero(keys == k) for k in np.unique(keys)]
    else:
        labels = [np.arange(n_regions)]
    out = np.empty((n_permutations, n_regions), dtype=np.intp)
    for idx in labels:
        order = np.argsort(rng.random_sample((n_permutations, idx.size)), axis=1)
        out[:, idx] = idx[order]
    return out

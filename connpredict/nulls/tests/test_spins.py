import io
import os
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from connpredict.nulls import (
    _assign,
    _vasa,
    random_permutations,
    random_rotations,
    read_spin_table,
    spin_permutations,
)
from connpredict.nulls._spins import _region_groups, _spins_from_rotations
from connpredict.nulls._testing import make_region_table

ONE_TO_ONE = ("hungarian", "vasa")
METHODS = ("hungarian", "vasa", "nearest")


@pytest.fixture(scope="module")
def regions():
    return make_region_table(30, 8, random_state=0)


def _is_permutation(row):
    return np.array_equal(np.sort(row), np.arange(row.size))


def _morans_i(values, coords, same=None):
    """Moran's I with inverse-distance weights (zero diagonal), by definition.

    ``same`` (n x n bool) restricts the weights to pairs it marks.
    """
    d = cdist(coords, coords)
    with np.errstate(divide="ignore"):
        w = np.where(d > 0, 1.0 / d, 0.0)
    if same is not None:
        w = w * same
    z = values - values.mean()
    n = values.size
    return n / w.sum() * (z @ w @ z) / (z @ z)


# -- rotations ---------------------------------------------------------------


def test_random_rotations_are_proper_and_uniform():
    R = random_rotations(4000, random_state=0)
    eye = np.broadcast_to(np.eye(3), R.shape)
    assert np.allclose(R @ np.transpose(R, (0, 2, 1)), eye, atol=1e-12)
    assert np.allclose(np.linalg.det(R), 1.0)
    # Haar measure: the image of a fixed axis is uniform on the sphere, so each
    # coordinate of R e_z is uniform on [-1, 1] (Archimedes), and E[R] = 0.
    for col in R[:, :, 2].T:
        assert stats.kstest(col, stats.uniform(-1, 2).cdf).pvalue > 1e-3
    assert np.abs(R.mean(axis=0)).max() < 0.05


# -- spin permutations -------------------------------------------------------


@pytest.mark.parametrize("method", ONE_TO_ONE)
def test_rows_are_permutations(regions, method):
    perms = spin_permutations(regions, 20, method=method, random_state=1)
    assert perms.shape == (20, len(regions))
    assert np.issubdtype(perms.dtype, np.integer)
    assert all(_is_permutation(row) for row in perms)


@pytest.mark.parametrize("method", METHODS)
def test_hemisphere_and_structure_preserved(regions, method):
    perms = spin_permutations(regions, 20, method=method, random_state=2)
    key = (regions["hemisphere"] + regions["structure"]).to_numpy()
    assert np.all(key[perms] == key[None, :])


@pytest.mark.parametrize("method", METHODS)
def test_identity_rotation_gives_identity(regions, method):
    groups = _region_groups(regions)
    eye = np.broadcast_to(np.eye(3), (3, 3, 3)).copy()
    perms = _spins_from_rotations(
        groups, {"cortex": eye, "subcortex": eye}, method, len(regions)
    )
    assert np.array_equal(perms, np.tile(np.arange(len(regions)), (3, 1)))


@pytest.mark.parametrize("method", METHODS)
def test_right_rotation_mirrors_left(method):
    # Right hemisphere = exact mirror image of the left: its spin must be the
    # mirror image of the left one, region for region.
    reg = make_region_table(24, 6, mirror=True, random_state=3)
    perms = spin_permutations(reg, 10, method=method, random_state=0)
    hemi = reg["hemisphere"].to_numpy()
    left, right = np.flatnonzero(hemi == "L"), np.flatnonzero(hemi == "R")
    assert np.array_equal(perms[:, right] - left.size, perms[:, left])
    assert not np.array_equal(perms[:, left], np.tile(left, (10, 1)))


def _manual_assignments(regions, method, random_state, n):
    """Direct per-rotation computations from the definitions (loops, cdist)."""
    rng = np.random.RandomState(random_state)
    rot = {"cortex": random_rotations(n, random_state=rng)}
    rot["subcortex"] = random_rotations(n, random_state=rng)
    F = np.diag([-1.0, 1.0, 1.0])
    out = np.empty((n, len(regions)), dtype=int)
    for structure, idx, pts, right in _region_groups(regions):
        for b in range(n):
            R = rot[structure][b]
            if right:
                R = F @ R @ F
            D = cdist(pts, pts @ R.T)  # D[i, j] = |p_i - R p_j|
            if method == "hungarian":
                local = linear_sum_assignment(D)[1]
            elif method == "nearest":
                local = D.argmin(axis=1)
            else:  # greedy of Vasa et al.: farthest nearest-available first
                local = np.full(len(pts), -1)
                free_rows = np.ones(len(pts), bool)
                free_cols = np.ones(len(pts), bool)
                for _ in range(len(pts)):
                    nearest = np.where(free_cols, D, np.inf).min(axis=1)
                    i = np.argmax(np.where(free_rows, nearest, -np.inf))
                    j = np.argmin(np.where(free_cols, D[i], np.inf))
                    local[i] = j
                    free_rows[i] = False
                    free_cols[j] = False
            out[b, idx] = idx[local]
    return out


@pytest.mark.parametrize("method", METHODS)
def test_matches_direct_computation(regions, method):
    perms = spin_permutations(regions, 6, method=method, random_state=5)
    expected = _manual_assignments(regions, method, 5, 6)
    assert np.array_equal(perms, expected)


def test_hungarian_cost_not_above_vasa(regions):
    groups = _region_groups(regions)
    rot = random_rotations(15, random_state=0)
    for _, _, pts, _ in groups:
        if len(pts) < 3:
            continue
        rots = {"cortex": rot, "subcortex": rot}
        g = [("cortex", np.arange(len(pts)), pts, False)]
        hun = _spins_from_rotations(g, rots, "hungarian", len(pts))
        vas = _spins_from_rotations(g, rots, "vasa", len(pts))
        for b in range(15):
            D = cdist(pts, pts @ rot[b].T)
            rows = np.arange(len(pts))
            assert D[rows, hun[b]].sum() <= D[rows, vas[b]].sum() + 1e-9


@pytest.mark.parametrize("method", METHODS)
def test_spins_preserve_spatial_autocorrelation(method):
    # A smooth map on the cortical sphere; weights are inverse distances on
    # the sphere between regions of the same hemisphere.
    reg = make_region_table(60, 0, random_state=4)
    sphere = reg[["sphere_x", "sphere_y", "sphere_z"]].to_numpy()
    hemi = reg["hemisphere"].to_numpy()
    same = hemi[:, None] == hemi[None, :]
    rng = np.random.default_rng(0)
    values = sphere[:, 1] + 0.2 * rng.standard_normal(len(reg))
    i0 = _morans_i(values, sphere, same)
    spun = [
        _morans_i(values[p], sphere, same)
        for p in spin_permutations(reg, 40, method=method, random_state=0)
    ]
    rand = [
        _morans_i(values[p], sphere, same)
        for p in random_permutations(len(reg), 40, random_state=0)
    ]
    assert i0 > 0.1
    # Spins keep most of the autocorrelation; random shuffles destroy it
    # (E[I] = -1/(n-1) under randomisation).
    # (greedy assignment of 30 random points per hemisphere loses ~35%)
    assert np.mean(spun) > 0.5 * i0
    assert abs(np.mean(rand) + 1 / (len(reg) - 1)) < 0.2 * i0
    assert np.percentile(spun, 10) > np.percentile(rand, 90)


def test_determinism(regions):
    a = spin_permutations(regions, 5, random_state=7)
    b = spin_permutations(regions, 5, random_state=7)
    c = spin_permutations(regions, 5, random_state=8)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    # A RandomState instance seeded alike gives the same spins.
    d = spin_permutations(regions, 5, method="vasa", random_state=7)
    assert np.array_equal(
        spin_permutations(
            regions, 5, method="vasa", random_state=np.random.RandomState(7)
        ),
        d,
    )


def test_spin_errors(regions):
    with pytest.raises(ValueError, match="method"):
        spin_permutations(regions, 2, method="bogus")
    with pytest.raises(ValueError, match="sphere"):
        spin_permutations(regions.drop(columns="sphere_z"), 2)
    bad = regions.copy()
    bad.iloc[0, bad.columns.get_loc("hemisphere")] = "M"
    with pytest.raises(ValueError, match="hemisphere"):
        spin_permutations(bad, 2)
    with pytest.raises(TypeError, match="region table"):
        spin_permutations(regions.to_numpy(), 2)
    with pytest.raises(ValueError, match="n_permutations"):
        spin_permutations(regions, 0)
    nan = regions.copy()
    nan.iloc[0, nan.columns.get_loc("sphere_x")] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        spin_permutations(nan, 2)


# -- random permutations -----------------------------------------------------


def test_random_permutations(regions):
    perms = random_permutations(regions, 30, random_state=0)
    assert all(_is_permutation(r) for r in perms)
    key = regions["hemisphere"].to_numpy()
    assert np.any(key[perms] != key)  # unrestricted shuffles cross hemispheres
    kept = random_permutations(
        regions, 30, preserve="hemisphere_structure", random_state=0
    )
    both = (regions["hemisphere"] + regions["structure"]).to_numpy()
    assert all(_is_permutation(r) for r in kept)
    assert np.all(both[kept] == both)
    assert np.array_equal(
        kept,
        random_permutations(
            regions, 30, preserve="hemisphere_structure", random_state=0
        ),
    )
    with pytest.raises(ValueError, match="region table"):
        random_permutations(10, 2, preserve="hemisphere")
    with pytest.raises(ValueError, match="preserve"):
        random_permutations(regions, 2, preserve="lobe")


# -- research spin tables ----------------------------------------------------


def test_read_spin_table_small():
    text = (
        "cortical_spins,subcortical_spins,mean_error_rank\n"
        '"[2, 0, 1]","[1, 0]",2\n'
        '"[0, 1, 2]","[0, 1]",1\n'
    )
    perms = read_spin_table(io.StringIO(text))
    assert np.array_equal(perms, [[2, 0, 1, 4, 3], [0, 1, 2, 3, 4]])
    ranked = read_spin_table(io.StringIO(text), sort_by="mean_error_rank")
    assert np.array_equal(ranked, perms[::-1])
    text2 = 'true_random_spins\n"[1, 0, 2]"\n'
    assert np.array_equal(read_spin_table(io.StringIO(text2)), [[1, 0, 2]])


def test_read_spin_table_never_evaluates_code():
    text = "true_random_spins\n\"__import__('os').getcwd()\"\n"
    with pytest.raises(ValueError, match="not a list"):
        read_spin_table(io.StringIO(text))
    with pytest.raises(ValueError, match="permutations"):
        read_spin_table(io.StringIO('true_random_spins\n"[0, 0, 2]"\n'))
    with pytest.raises(ValueError, match="spin table"):
        read_spin_table(io.StringIO("a,b\n1,2\n"))


_DATA = os.environ.get("CONNPREDICT_DATA")


@pytest.mark.realdata
@pytest.mark.skipif(not _DATA, reason="needs CONNPREDICT_DATA (real data home)")
def test_read_research_spin_table():
    path = Path(_DATA) / "GeneEx2Conn" / "data" / "enigma" / "1000_null_spins.csv"
    if not path.exists():
        pytest.skip(f"{path} is not in the data home")
    perms = read_spin_table(path, sort_by="mean_error_rank")
    assert perms.shape == (1000, 456)
    assert all(_is_permutation(r) for r in perms)
    # cortex stays cortex, subcortex stays subcortex
    assert perms[:, :400].max() < 400
    assert perms[:, 400:].min() >= 400


def test_n_jobs_invariance_of_spins(regions):
    serial = spin_permutations(regions, 300, method="vasa", random_state=0)
    parallel = spin_permutations(regions, 300, method="vasa", random_state=0, n_jobs=2)
    assert np.array_equal(serial, parallel)


def test_shipped_schaefer100_table():
    from connpredict.datasets import load_region_table

    reg = load_region_table(100)
    perms = spin_permutations(reg, 30, method="hungarian", random_state=0)
    assert all(_is_permutation(r) for r in perms)
    key = (reg["hemisphere"] + reg["structure"]).to_numpy()
    assert np.all(key[perms] == key)
    # a smooth cortical map keeps its autocorrelation on the sphere
    ctx = np.flatnonzero(reg["structure"].to_numpy() == "cortex")
    sphere = reg[["sphere_x", "sphere_y", "sphere_z"]].to_numpy()[ctx]
    hemi = reg["hemisphere"].to_numpy()[ctx]
    same = hemi[:, None] == hemi[None, :]
    rng = np.random.default_rng(0)
    values = np.zeros(len(reg))
    values[ctx] = sphere[:, 2] + 0.3 * rng.standard_normal(ctx.size)
    i0 = _morans_i(values[ctx], sphere, same)
    spun = [_morans_i(values[p[ctx]], sphere, same) for p in perms]
    rand = [
        _morans_i(values[p[ctx]], sphere, same)
        for p in random_permutations(
            reg, 30, preserve="hemisphere_structure", random_state=0
        )
    ]
    assert np.mean(spun) > 0.7 * i0
    assert np.percentile(spun, 10) > np.percentile(rand, 90)


# -- exact assignment solvers --------------------------------------------------

BACKENDS = ["scipy"] + (["lapx"] if _assign._LAPX_BATCH is not None else [])


@pytest.mark.parametrize("backend", BACKENDS)
def test_hungarian_spins_exactly_optimal_over_many_rotations(backend, monkeypatch):
    # 1,200 rotations of 60 sphere centroids: the total cost of every spin
    # equals scipy's optimum on the same rotated centroids (cdist, not our
    # distance code), and with random centroids the optimum is unique, so the
    # permutations are identical.
    regions = make_region_table(60, 0, random_state=3)
    left = regions.assign(hemisphere="L")
    n_rot = 1200
    monkeypatch.setattr(
        _assign, "_LAPX_BATCH", _assign._LAPX_BATCH if backend == "lapx" else None
    )
    perms = spin_permutations(left, n_rot, random_state=11)
    rot = random_rotations(n_rot, random_state=np.random.RandomState(11))
    pts = left[["sphere_x", "sphere_y", "sphere_z"]].to_numpy()
    rows = np.arange(len(pts))
    gaps = np.empty(n_rot)
    same = 0
    for b in range(n_rot):
        D = cdist(pts, pts @ rot[b].T)
        best = linear_sum_assignment(D)[1]
        gaps[b] = D[rows, perms[b]].sum() - D[rows, best].sum()
        same += np.array_equal(perms[b], best)
    assert np.abs(gaps).max() < 1e-9
    assert same == n_rot


@pytest.mark.parametrize("backend", BACKENDS)
def test_solve_assignments_against_brute_force(backend):
    # Tiny problems: the optimum by enumerating all 5! permutations.
    import itertools

    rng = np.random.default_rng(0)
    costs = rng.random((50, 5, 5))
    got = _assign.solve_assignments(costs, backend=backend)
    perms = np.array(list(itertools.permutations(range(5))))
    for b in range(50):
        totals = costs[b][np.arange(5), perms].sum(axis=1)
        assert np.array_equal(got[b], perms[np.argmin(totals)])


def test_hungarian_n_jobs_invariance(regions):
    serial = spin_permutations(regions, 300, random_state=1)
    parallel = spin_permutations(regions, 300, random_state=1, n_jobs=2)
    assert np.array_equal(serial, parallel)


VASA_BACKENDS = ["numpy"] + (["numba"] if _vasa.compiled_vasa() is not None else [])


@pytest.mark.parametrize("backend", VASA_BACKENDS)
def test_vasa_spins_follow_the_greedy_rule_over_many_rotations(backend, monkeypatch):
    # 400 rotations of 60 sphere centroids, each against the rule written out
    # on cdist distances: the unfilled position whose nearest free rotated
    # region is farthest is served first, by that region.
    if backend == "numpy":
        monkeypatch.setattr(_vasa, "compiled_vasa", lambda: None)
    regions = make_region_table(60, 0, random_state=4)
    left = regions.assign(hemisphere="L")
    n_rot = 400
    perms = spin_permutations(left, n_rot, method="vasa", random_state=12, n_jobs=2)
    rot = random_rotations(n_rot, random_state=np.random.RandomState(12))
    pts = left[["sphere_x", "sphere_y", "sphere_z"]].to_numpy()
    n = len(pts)
    for b in range(n_rot):
        D = cdist(pts, pts @ rot[b].T)
        expected = np.full(n, -1)
        for _ in range(n):
            taken = np.isin(np.arange(n), expected)
            avail = np.where(taken[None, :], np.inf, D)
            nearest = avail.min(axis=1)
            nearest[expected != -1] = -np.inf
            i = int(np.argmax(nearest))
            expected[i] = int(np.argmin(avail[i]))
        assert np.array_equal(perms[b], expected), b


def test_vasa_backends_agree_on_schaefer_sized_tables(monkeypatch):
    if _vasa.compiled_vasa() is None:
        pytest.skip("numba is not installed")
    regions = make_region_table(400, 14, random_state=0)
    compiled = spin_permutations(regions, 150, method="vasa", random_state=2)
    monkeypatch.setattr(_vasa, "compiled_vasa", lambda: None)
    vectorised = spin_permutations(regions, 150, method="vasa", random_state=2)
    assert np.array_equal(compiled, vectorised)

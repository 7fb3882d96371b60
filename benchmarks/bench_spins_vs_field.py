"""Our spins side by side with netneurotools' and neuromaps' on the same centroids.

Usage::

    pip install "connpredict[bench]"   # lapx, netneurotools 0.2.5, neuromaps
    CONNPREDICT_DATA=/path/to/data_home python benchmarks/bench_spins_vs_field.py \
        [--atlas 400] [--n-spins 1000] [--n-slow 200]

For every assignment method (``nearest`` = netneurotools' ``original``,
``vasa``, ``hungarian``) and every tool that installs, the spins of the
Schaefer cortical sphere centroids (both hemispheres, right rotation the
mirror of the left in every tool) are timed in this one process, one job,
and compared with ours:

- ``ms/spin`` (wall) and ``cpu ms/spin`` (CPU time of this process, all
  threads), the ratio of CPU times to ours for the same method
  (``x ours``), and to our ``nearest`` spins (``x our nearest``): on a
  shared machine CPU time tracks the work done while wall time also counts
  waiting for a core;
- the per-parcel displacement on the sphere (the angle between a parcel's
  centroid and the centroid whose data it receives): the mean over all
  spins and parcels, and the Kolmogorov-Smirnov distance between the
  pooled displacements of the tool and ours;
- the fixed-point rate (fraction of parcels that keep their own data).

Means are given +- one standard error over spins: the parcels of one spin
are strongly dependent (a near-identity rotation fixes many), so the spins,
not the parcels, are the independent samples. Under uniform rotations every
parcel has the same expected displacement, so per-parcel means differ only
by sampling noise and are not tabulated.

The slow reference methods (their ``vasa`` and ``hungarian``) run
``--n-slow`` spins; their times are per spin. Duplicate checks of the
reference tools are off (they only redraw repeated spins, which do not
occur here, at a cost quadratic in the number of spins).

netneurotools 0.2.5 imports ``_chk2_asarray`` from a scipy module that no
longer has it; the benchmark puts a minimal one back before the import (a
shim here, not in the package).
"""

import argparse
import time

import numpy as np
from scipy import stats


def _region_coords(n_parcels):
    from connpredict.datasets import load_region_table

    reg = load_region_table(n_parcels)
    reg = reg[reg["structure"] == "cortex"].reset_index(drop=True)
    xyz = reg[["sphere_x", "sphere_y", "sphere_z"]].to_numpy(dtype=float)
    xyz /= np.linalg.norm(xyz, axis=1, keepdims=True)
    hemi = (reg["hemisphere"] == "R").to_numpy().astype(int)
    return reg, xyz, hemi


def _netneurotools():
    import scipy.stats._stats_py as stats_py

    if not hasattr(stats_py, "_chk2_asarray"):

        def _chk2_asarray(a, b, axis):
            a, b = np.asarray(a), np.asarray(b)
            if axis is None:
                return a.ravel(), b.ravel(), 0
            return a, b, axis

        stats_py._chk2_asarray = _chk2_asarray
    from netneurotools import stats as nnstats

    return nnstats.gen_spinsamples


def _neuromaps():
    from neuromaps.nulls.spins import gen_spinsamples

    return gen_spinsamples


def _ours(regions):
    from connpredict.nulls import spin_permutations

    def run(method, n, seed):
        return spin_permutations(regions, n, method=method, random_state=seed)

    return run


def _theirs(gen, xyz, hemi):
    names = {"nearest": "original", "vasa": "vasa", "hungarian": "hungarian"}

    def run(method, n, seed):
        out = gen(
            xyz,
            hemi,
            n_rotate=n,
            method=names[method],
            seed=seed,
            check_duplicates=False,
        )
        return np.asarray(out).T  # (n_spins, n_parcels), X[perm] convention

    return run


def _displacement(perms, xyz):
    """Angle (rad) between each parcel and the parcel whose data it gets."""
    cos = np.einsum("ik,sik->si", xyz, xyz[perms])
    return np.arccos(np.clip(cos, -1.0, 1.0))


def _binned_variogram(maps, D, n_bins=25, pct=25.0):
    """Plain binned variogram (mean of (x_i - x_j)^2 / 2 per distance bin).

    Independent of both tools' kernel-smoothed estimators: pairs up to the
    ``pct`` percentile of distances, ``n_bins`` equal-width bins.
    """
    rows, cols = np.triu_indices(D.shape[0], 1)
    d = D[rows, cols]
    keep = d <= np.percentile(d, pct)
    rows, cols, d = rows[keep], cols[keep], d[keep]
    edges = np.linspace(0.0, d.max(), n_bins + 1)
    which = np.clip(np.digitize(d, edges) - 1, 0, n_bins - 1)
    counts = np.bincount(which, minlength=n_bins)
    ok = counts > 0
    maps = np.atleast_2d(maps)
    half_sq = 0.5 * (maps[:, rows] - maps[:, cols]) ** 2
    out = np.stack([np.bincount(which, w, minlength=n_bins) for w in half_sq])
    return out[:, ok] / counts[ok]


def bench_variogram(n_parcels, n_surrogates, seed):
    """Our variogram surrogates against brainsmash's Base on one real map."""
    from brainsmash.mapgen.base import Base
    from scipy.spatial.distance import cdist

    from connpredict.datasets import load_dataset
    from connpredict.nulls import variogram_surrogates

    ds = load_dataset(f"hcp-schaefer{n_parcels}")
    reg = ds.regions.loc[ds.X.index]
    left = ((reg["hemisphere"] == "L") & (reg["structure"] == "cortex")).to_numpy()
    xyz = ds.X.loc[left, ["x", "y", "z"]].to_numpy(dtype=float)
    D = cdist(xyz, xyz)
    genes = [c for c in ds.X.columns if c not in ("x", "y", "z")]
    # the gene with the strongest short-range autocorrelation (smoothest map)
    G = ds.X.loc[left, genes].to_numpy(dtype=float)
    G = (G - G.mean(0)) / G.std(0)
    near = D < np.percentile(D[np.triu_indices(len(D), 1)], 10)
    np.fill_diagonal(near, False)
    smooth = np.einsum("ig,ij,jg->g", G, near, G) / near.sum()
    gene = genes[int(np.argmax(smooth))]
    x = ds.X.loc[left, gene].to_numpy(dtype=float)
    emp = _binned_variogram(x, D)[0]

    def errors(maps):
        g = _binned_variogram(maps, D)
        per_map = np.sqrt(np.mean((g - emp) ** 2, axis=1)) / emp.mean()
        bias = np.sqrt(np.mean((g.mean(0) - emp) ** 2)) / emp.mean()
        return per_map.mean(), bias

    rng = np.random.default_rng(seed)
    rows = {}
    t0 = time.process_time()
    ours = variogram_surrogates(x, D, n_surrogates, random_state=seed)
    rows["connpredict"] = (time.process_time() - t0, ours)
    t0 = time.process_time()
    base = Base(x, D, resample=True, seed=seed)
    theirs = base(n=n_surrogates)
    rows["brainsmash Base"] = (time.process_time() - t0, theirs)
    rows["random permutation"] = (
        0.0,
        np.stack([rng.permutation(x) for _ in range(n_surrogates)]),
    )

    print(
        f"\n## Variogram surrogates: {gene}, Schaefer-{n_parcels} left cortex "
        f"({len(x)} regions, Euclidean MNI distances), {n_surrogates} surrogates"
    )
    print(
        "| generator | cpu ms/surrogate | x ours | variogram error (mean) "
        "| error of mean variogram |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, (dt, maps) in rows.items():
        err, bias = errors(maps)
        ms = dt / n_surrogates * 1e3
        ratio = (
            "-" if name != "brainsmash Base" else f"{dt / rows['connpredict'][0]:.1f}"
        )
        print(f"| {name} | {ms:.2f} | {ratio} | {err:.3f} | {bias:.3f} |", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--atlas", type=int, default=400, help="Schaefer parcels")
    parser.add_argument("--n-spins", type=int, default=1000)
    parser.add_argument("--n-slow", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-surrogates", type=int, default=200)
    parser.add_argument("--skip-spins", action="store_true")
    parser.add_argument("--skip-variogram", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_variogram:
        bench_variogram(args.atlas, args.n_surrogates, args.seed)
    if args.skip_spins:
        return

    regions, xyz, hemi = _region_coords(args.atlas)
    tools = {"connpredict": _ours(regions)}
    for name, load in (("netneurotools", _netneurotools), ("neuromaps", _neuromaps)):
        try:
            tools[name] = _theirs(load(), xyz, hemi)
        except Exception as exc:  # not installed / does not import here
            print(f"# {name} skipped: {type(exc).__name__}: {exc}")

    print(
        f"\n## Schaefer-{args.atlas} cortex ({len(xyz)} parcels), "
        f"{args.n_spins} spins ({args.n_slow} for the slow reference methods)"
    )
    print(
        "| method | tool | ms/spin | cpu ms/spin | x ours (cpu) | x our nearest (cpu) "
        "| mean displacement (rad) | KS D vs ours | fixed-point rate |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    nearest_cpu = None
    for method in ("nearest", "vasa", "hungarian"):
        ref = None
        for tool, run in tools.items():
            slow = tool != "connpredict" and method != "nearest"
            n = args.n_slow if slow else args.n_spins
            if tool == "connpredict":
                run(method, 2, args.seed)  # compiled kernels: compile first
            t0, c0 = time.perf_counter(), time.process_time()
            perms = run(method, n, args.seed + 1)
            ms = (time.perf_counter() - t0) / n * 1e3
            cpu = (time.process_time() - c0) / n * 1e3
            disp = _displacement(perms, xyz)
            fixed = np.mean(perms == np.arange(perms.shape[1]), axis=1)
            nearest_cpu = nearest_cpu or cpu  # the first row: our nearest
            if ref is None:
                ref = (cpu, disp)
                ratio = ks = "-"
            else:
                ratio = f"{cpu / ref[0]:.1f}"
                ks = f"{stats.ks_2samp(disp.ravel(), ref[1].ravel()).statistic:.3f}"
            # +- one standard error over spins (parcels of a spin are dependent)
            print(
                f"| {method} | {tool} | {ms:.3f} | {cpu:.3f} | {ratio} "
                f"| {cpu / nearest_cpu:.1f} "
                f"| {disp.mean():.4f} ± {_se(disp.mean(1)):.4f} | {ks} "
                f"| {fixed.mean():.4f} ± {_se(fixed):.4f} |",
                flush=True,
            )


def _se(per_spin):
    return float(np.std(per_spin, ddof=1) / np.sqrt(per_spin.size))


if __name__ == "__main__":
    main()

"""The legibility grid of hcp-schaefer100: what predicts which connectome.

Usage::

    CONNPREDICT_DATA=/path/to/data_home python benchmarks/bench_grid.py \
        [--n-permutations 50] [--n-jobs 1] [--scale minmax|none] [--output DIR]

Runs :func:`connpredict.inspection.legibility_grid` on ``hcp-schaefer100``
(114 regions, 810 genes) with the inputs ``genes``, ``coords``,
``genes+coords``, ``sc`` (each region's structural-connectivity row) and
``pcs`` (gene principal components fitted in each fold), the targets FC, SC,
binarised FC and the FC among the regions of the Default and Visual
networks, the classical models ``decay``, ``cge``, ``bilinear`` and ``pls``,
``SpatialSplit(n_splits=4, random_state=0)`` and a spin test of every cell
that has non-coordinate inputs. The targets are min-max scaled by default
(``dataset_options={"scale": "minmax"}``, the research system's HCP
preprocessing): the distance-decay model fixes ``y = 1`` at distance 0, so on
the raw ENIGMA SC (0 to 11.7) it degenerates (Pearson r -0.09 against 0.47
scaled); the binarisation threshold (FC > 0.3) is in those units too. Prints
the best model of each cell (mean Pearson r over folds, its gain over
distance decay and spin p), the wall time and the load average; with
``--output``, writes the grid folder (grid.csv, grid.html, heatmap.png) there.

Set ``OPENBLAS_NUM_THREADS=1`` on a shared machine: the fits do small linear
algebra and BLAS threads competing for few cores slow them down.
"""

import argparse
import os
import time
import warnings
from pathlib import Path

INPUTS = ["genes", "coords", "genes+coords", "sc", "pcs"]
TARGETS = ["fc", "sc", "fc:binary", "fc:Default", "fc:Vis"]
MODELS = ["decay", "cge", "bilinear", "pls"]


def best_table(grid):
    """Input x target table of 'model r (gain, p)' for the best model per cell."""
    import pandas as pd

    best = grid.dropna(subset=["score_mean"]).sort_values("score_mean")
    best = best.groupby(["input", "target"]).tail(1).set_index(["input", "target"])
    table = {}
    for target in grid.attrs["targets"]:
        column = []
        for inp in grid.attrs["inputs"]:
            if (inp, target) not in best.index:
                column.append("n/a")
                continue
            row = best.loc[(inp, target)]
            p = "" if pd.isna(row.spin_p) else f", p={row.spin_p:.2f}"
            column.append(
                f"{row.model} {row.score_mean:.3f} ({row.gain_over_decay:+.2f}{p})"
            )
        table[target] = column
    return pd.DataFrame(table, index=grid.attrs["inputs"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-permutations", type=int, default=50)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--scale", choices=["minmax", "none"], default="minmax")
    parser.add_argument("--output", help="folder for grid.csv, grid.html, heatmap.png")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from connpredict.inspection import (
        legibility_grid,
        legibility_report,
        plot_legibility_grid,
    )
    from connpredict.model_selection import SpatialSplit

    start = time.perf_counter()
    cpu = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        grid = legibility_grid(
            "hcp-schaefer100",
            inputs=INPUTS,
            targets=TARGETS,
            models=MODELS,
            cv=SpatialSplit(n_splits=4, random_state=0),
            null="spin",
            n_permutations=args.n_permutations,
            random_state=0,
            n_jobs=args.n_jobs,
            dataset_options={"scale": None if args.scale == "none" else args.scale},
        )
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    load = Path("/proc/loadavg").read_text().split()[:3]
    n_cells = int(grid.score_mean.notna().sum())
    n_spun = int(grid.spin_p.notna().sum())
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(
            "best model per cell: mean Pearson r over 4 spatial folds "
            "(gain over distance decay, spin p)"
        )
        print(best_table(grid).to_string())
        print()
        print("decay baseline per target:")
        print(grid.groupby("target", sort=False)["decay_score"].first().round(3))
    print(
        f"\n{len(grid)} cells ({n_cells} scored, {n_spun} spin-tested with "
        f"{args.n_permutations} spins), scale={args.scale}, n_jobs={args.n_jobs}: "
        f"wall {wall:.0f} s, "
        f"CPU of this process {cpu:.0f} s; load average {' '.join(load)}"
    )
    if args.output:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        grid.to_csv(out / "grid.csv", index=False)
        legibility_report(grid, out / "grid.html")
        ax = plot_legibility_grid(grid)
        ax.figure.savefig(out / "heatmap.png", dpi=150)
        plt.close(ax.figure)
        print(f"written to {out}/")


if __name__ == "__main__":
    if "CONNPREDICT_DATA" not in os.environ:
        raise SystemExit("set CONNPREDICT_DATA to the data home")
    main()

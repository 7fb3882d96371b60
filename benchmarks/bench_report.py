"""What the HTML report costs: an old tree and this one side by side (issue 22).

Usage::

    python -m connpredict run --output /tmp/run1        # the default main job
    git archive main connpredict | tar -x -C /tmp/old    # the previous code
    python benchmarks/bench_report.py /tmp/run1 --old-tree /tmp/old \
        [--new-tree DIR] [--repeats 2] [--surface schaefer100]

``--new-tree`` defaults to this checkout.

Each measurement is one child process (``PYTHONPATH`` = the old tree or this
one, one BLAS/torch thread) that builds the report of the results folder
from scratch, as ``connpredict report FOLDER`` does, and reports its CPU
time (``time.process_time``: imports included, matplotlib's first-figure
warm-up included) split by section and, within the sections that hold several
figures, by figure; the HTML size and the bytes of each PNG. Old and new
children alternate, ``--repeats`` times each; the table gives the median of
each figure. The load average (``/proc/loadavg``) is printed before and after:
on a shared machine CPU time of the same work is comparable side by side,
wall time is not.

``--surface NAME`` also times the cortex figure alone on a Schaefer region
table (``schaefer100`` ... ``schaefer400``: the shipped parcels path, what
the ``hcp-schaefer*`` datasets draw) with random per-region scores, drawing
and PNG encoding, after one warm-up figure.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1]

#: the child: build the report with every section and figure timed
_CHILD = r"""
import json, os, sys, time
t_start = time.process_time()
from connpredict.experiment import ExperimentResult
from connpredict.report import _html
times, sizes = {}, {}
mark = [time.process_time()]

def timed_section(name, builder):
    def run(res, regions):
        mark[0] = time.process_time()
        out = builder(res, regions)
        times[name] = times.get(name, 0.0) + time.process_time() - mark[0]
        return out
    return run

figure_html = _html._figure_html

def timed_figure(fig, alt, caption, **kwargs):
    out = figure_html(fig, alt, caption, **kwargs)
    now = time.process_time()
    times["figure: " + alt] = now - mark[0]  # drawn since the last mark, and saved
    sizes[alt] = len(out) * 3 // 4
    mark[0] = now
    return out

skip = ("_figure_section", "_section", "_inspection_section")
for name in dir(_html):
    func = getattr(_html, name)
    if name.endswith(("_section", "_sections")) and name not in skip:
        setattr(_html, name, timed_section("section " + name.strip("_"), func))
_html._figure_html = timed_figure
folder, out = sys.argv[1], sys.argv[2]
t0 = time.process_time()
res = ExperimentResult.load(folder)
page = _html.build_report(res, folder, output=out)
total = time.process_time() - t_start
print(json.dumps({"total": total, "build": time.process_time() - t0,
                  "imports": t0 - t_start, "html_bytes": os.path.getsize(out),
                  "times": times, "png_bytes": sizes}))
"""

#: the child of --surface: the cortex figure alone on a Schaefer table
_SURFACE_CHILD = r"""
import json, sys, time
import numpy as np, pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from connpredict.datasets import load_region_table
from connpredict.plotting import figure_to_data_uri
from connpredict.report import plot_region_scores
table = load_region_table(int(sys.argv[1].removeprefix("schaefer")))
rng = np.random.RandomState(0)
scores = pd.DataFrame({"model": "m", "split": "random", "seed": 0,
                       "region": table.index, "r": rng.uniform(-0.5, 0.9, len(table))})
figure_to_data_uri(plt.figure())  # matplotlib's first-figure warm-up
import nilearn.plotting  # imported by the report's glass brains before
t0 = time.process_time()
fig = plot_region_scores(scores, table, kind="surface")
t1 = time.process_time()
uri = figure_to_data_uri(fig)
t2 = time.process_time()
print(json.dumps({"draw": t1 - t0, "save": t2 - t1, "png_bytes": len(uri) * 3 // 4}))
"""


def loadavg():
    try:
        return Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        return ["?"]


def child(code, tree, *args):
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(tree),
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MPLBACKEND="Agg",
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        env=env,
        cwd=tempfile.gettempdir(),  # not this checkout: PYTHONPATH picks the tree
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_runs(runs):
    """Median CPU of each figure, of each section's other work, and the totals."""
    keys = list(dict.fromkeys(k for run in runs for k in run["times"]))
    out = {}
    for key in keys:
        out[key] = float(np.median([run["times"].get(key, 0.0) for run in runs]))
    for key in ("imports", "build", "total"):
        out[key] = float(np.median([run[key] for run in runs]))
    out["figures (drawn and saved)"] = sum(
        v for k, v in out.items() if k.startswith("figure: ")
    )
    out["tables, HTML and the rest"] = out["build"] - out["figures (drawn and saved)"]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="results folder of `connpredict run`")
    parser.add_argument(
        "--old-tree", required=True, help="folder holding the old connpredict/"
    )
    parser.add_argument(
        "--new-tree", default=HERE, help="folder holding the new connpredict/"
    )
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--surface", default=None, help="e.g. schaefer100")
    args = parser.parse_args(argv)
    trees = {"old": Path(args.old_tree).resolve(), "new": Path(args.new_tree).resolve()}
    print("load average before:", " ".join(loadavg()))
    runs = {"old": [], "new": []}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeats):
            for name, tree in trees.items():
                out = Path(tmp) / f"{name}{k}.html"
                runs[name].append(child(_CHILD, tree, args.folder, out))
    med = {name: median_runs(r) for name, r in runs.items()}
    rows = [
        k
        for k in dict.fromkeys([*med["old"], *med["new"]])
        if max(med["old"].get(k, 0), med["new"].get(k, 0)) >= 0.005
    ]
    print(f"\nCPU seconds (median of {args.repeats} children each), old -> new")
    print(f"{'part':58s} {'old':>7s} {'new':>7s} {'ratio':>6s}")
    for row in rows:
        old, new = med["old"].get(row, np.nan), med["new"].get(row, np.nan)
        ratio = old / new if new > 0 else np.nan
        print(f"{row[:58]:58s} {old:7.2f} {new:7.2f} {ratio:6.1f}")
    sizes = {n: runs[n][-1] for n in runs}
    print(
        f"\nHTML size: old {sizes['old']['html_bytes'] / 1e3:.0f} kB, "
        f"new {sizes['new']['html_bytes'] / 1e3:.0f} kB"
    )
    for alt in dict.fromkeys([*sizes["old"]["png_bytes"], *sizes["new"]["png_bytes"]]):
        old = sizes["old"]["png_bytes"].get(alt, 0) / 1e3
        new = sizes["new"]["png_bytes"].get(alt, 0) / 1e3
        print(f"  PNG {alt[:50]:50s} {old:6.0f} kB -> {new:6.0f} kB")
    if args.surface:
        print(f"\ncortex figure alone on {args.surface} (CPU s, median)")
        surf = {"old": [], "new": []}
        for _ in range(args.repeats):
            for name, tree in trees.items():
                surf[name].append(child(_SURFACE_CHILD, tree, args.surface))
        for name in surf:
            draw = np.median([s["draw"] for s in surf[name]])
            save = np.median([s["save"] for s in surf[name]])
            print(
                f"  {name}: draw {draw:.2f} + PNG {save:.2f} = {draw + save:.2f} s, "
                f"{surf[name][-1]['png_bytes'] / 1e3:.0f} kB"
            )
    print("load average after:", " ".join(loadavg()))


if __name__ == "__main__":
    main()

"""Wall and CPU time of each gallery example, with the machine's load average.

Runs every ``examples/plot_*.py`` in its own Python process (matplotlib's Agg
backend, one thread per library), one after the other, and prints one line
per example: wall seconds, CPU seconds (user + system of the process) and the
1-minute load average before and after. CPU time is the figure to compare
across machines and loads; wall time only on an idle machine.

    CONNPREDICT_DATA=/path/to/data python benchmarks/bench_gallery.py [NAME ...]
"""

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load():
    return float(Path("/proc/loadavg").read_text().split()[0])


def run(path):
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0, start = _load(), time.perf_counter()
    proc = subprocess.run(
        [sys.executable, path.name],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    status = "ok" if proc.returncode == 0 else f"FAILED ({proc.returncode})"
    print(
        f"{path.name:<36} wall {wall:7.1f} s  cpu {cpu:7.1f} s  "
        f"load {load0:.2f} -> {_load():.2f}  {status}",
        flush=True,
    )
    if proc.returncode:
        print(proc.stderr[-2000:], file=sys.stderr)


def main(names):
    paths = sorted(EXAMPLES.glob("plot_*.py"))
    if names:
        paths = [p for p in paths if any(n in p.name for n in names)]
    for path in paths:
        run(path)


if __name__ == "__main__":
    main(sys.argv[1:])

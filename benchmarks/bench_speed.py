"""Where the time goes: old and new code paths side by side (issue 22).

Usage::

    CONNPREDICT_DATA=/path/to/data python benchmarks/bench_speed.py \
        [--parts nulls,neural,cv,njobs,dask] [--old-tree /tmp/connpredict_main]

Every part reports CPU-time ratios measured in one run, old path next to new
path, and the machine's load average (``/proc/loadavg``) before and after:
on a shared machine wall times mean little, CPU time of the same work much
more (though a loaded machine inflates both paths' CPU through cache and
frequency effects).

Parts:

``nulls``
    CPU per null of the bilinear spin-test fast path (default PCA-20 and raw
    genes) on hcp-schaefer100 with SpatialSplit(4): the previous
    per-permutation engine (``--old-tree``'s ``_bilinear_nulls.py``, loaded
    beside the new one in this process, on its own ``_linalg.py``) against
    the stacked one, with the largest difference of their null scores and
    the p-values of both; each engine's CPU is the least of
    ``--null-rounds`` rounds run alternately (old, new, old, new...), which
    damps the other processes' load. PLS (no fast path) is timed per null by
    the generic refit.
``neural``
    CPU time of a fixed number of epochs (no early stopping, so both paths
    do the same work) of PairMLPRegressor and SMTRegressor on the training
    regions of one fold of hcp-schaefer100, in this process: the previous
    training set-up (torch's default threads, ``nn.Dropout``, per-parameter
    AdamW) against the new one (one thread, the cheaper dropout mask, fused
    AdamW).
``cv``
    The 4-fold SpatialSplit CV of the default PairMLPRegressor and
    SMTRegressor (early stopping, ensembles) on hcp-schaefer100: previous
    code (``--old-tree``, a copy of the main branch's ``connpredict``
    folder, run in a child process) against this tree (another child),
    CPU time of each child, mean and fold-wise test r and epochs trained
    per member; ``--mid-tree`` adds a third tree (e.g. the main branch
    before a change, beside an older ``--old-tree``).
``cvpair``
    The same 4-fold CV in this process: the previous session's module code
    (e3d6ba6, restored by monkeypatching) against this tree, one thread,
    CPU time and mean test r (``--n-ensemble`` members).
``njobs``
    ``connpredict run`` (the default job, or ``--run-args``) with
    ``--n-jobs 1`` and ``2`` (children): wall and CPU time, the serial part
    (wall minus the run's "fitting" seconds) and whether ``results.csv`` is
    identical. Only meaningful on an idle machine.
``mainjob``
    ``connpredict run`` (the default job, or ``--run-args``) with
    ``--n-jobs 1 --no-report`` under ``--old-tree``, ``--mid-tree`` (if
    given) and this tree, one child each: CPU and wall time, the mean test r
    and summed fit seconds of the neural models.
``heap``
    Neural fits (two folds of hcp-schaefer100, two members) with the frozen
    heap and with it replaced by a no-op, alternating in one process: CPU
    time and fold scores (``--models``).
``patience``
    Test r of every early-stopping patience (3-10) of the default
    PairMLPRegressor and SMTRegressor (``--params`` changes others) on
    ``--dataset`` (default hcp-schaefer200, where the default patience was
    chosen), SpatialSplit(4), from one fit per fold at patience 10 that
    keeps the weights of each improving epoch: exact, since a smaller
    patience trains the same epochs up to its stop.
``dask``
    Spin-test nulls per second of a small PairMLPRegressor on a local Dask
    cluster of 1 and 2 worker processes set up by
    :func:`connpredict.utils.dask_cluster`, against the serial path, and a
    64-worker projection from the measured per-task cost and transfer size.
"""

import argparse
import contextlib
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def _child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# -- nulls ---------------------------------------------------------------------
def _old_module(old_tree, name):
    spec = importlib.util.spec_from_file_location(
        f"old_{name}", os.path.join(old_tree, "connpredict", "models", f"{name}.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _old_bilinear_nulls(old_tree):
    """The old tree's null engine, on the old tree's ridge solver.

    Its ``from connpredict.models._linalg import ...`` is pointed at the old
    ``_linalg.py`` while it loads (this tree's solver may differ). Old trees
    read the settings through ``_validated_settings`` (since renamed
    ``_check_params``): :func:`_old_names` provides it.
    """
    key = "connpredict.models._linalg"
    current = sys.modules[key]
    sys.modules[key] = _old_module(old_tree, "_linalg")
    try:
        return _old_module(old_tree, "_bilinear_nulls")
    finally:
        sys.modules[key] = current


def _old_names(est):
    """``est`` as an old tree sees it: also answering ``_validated_settings``
    (the settings method's former name), cloneable (a subclass)."""
    cls = type(est)
    sub = type(f"Old{cls.__name__}", (cls,), {"_validated_settings": cls._check_params})
    return sub(**est.get_params(deep=False))


def bench_nulls(old_tree, n_null, n_pls, rounds=3):
    from connpredict.datasets import load_dataset
    from connpredict.model_selection import SpatialSplit
    from connpredict.models import BilinearRegressor, PLSBilinearRegressor
    from connpredict.models import _bilinear_nulls as new
    from connpredict.nulls import permutation_pvalue, spin_permutations, spin_test
    from connpredict.utils import COORD_COLUMNS

    old = _old_bilinear_nulls(old_tree)
    ds = load_dataset("hcp-schaefer100")
    splits = list(SpatialSplit(n_splits=4, random_state=42).split(ds.X, ds.Y))
    perms = spin_permutations(ds.regions.loc[ds.X.index], n_null, random_state=0)
    gene_pos = np.flatnonzero(~ds.X.columns.isin(COORD_COLUMNS))
    print(
        f"\n## Bilinear spin-test nulls: {n_null} nulls, hcp-schaefer100 "
        f"{ds.X.shape}, SpatialSplit(4), least CPU of {rounds} alternate "
        f"rounds; load {_load()}"
    )
    print(
        f"{'params':<24}{'old ms/null':>12}{'new ms/null':>12}{'x less CPU':>11}"
        f"{'max |diff|':>11}{'p old':>8}{'p new':>8}"
    )
    for params in ({}, {"encoder": None}, {"use_distance": True}):
        est = BilinearRegressor(**params)
        true = float(
            np.mean(
                [
                    BilinearRegressor(**params)
                    .fit(ds.X.iloc[tr], ds.Y.iloc[tr])
                    .score(ds.X.iloc[te], ds.Y.iloc[te])
                    for tr, te in splits
                ]
            )
        )
        engines = {
            name: mod.bilinear_null_refitter(
                _old_names(est) if name == "old" else est, COORD_COLUMNS
            )(ds.X, ds.Y, splits, gene_pos)
            for name, mod in (("old", old), ("new", new))
        }
        out = {}
        for _ in range(rounds):
            for name, engine in engines.items():
                c0 = time.process_time()
                scores = engine.batch(perms)
                cpu = time.process_time() - c0
                out[name] = (scores, min(cpu, out.get(name, (None, np.inf))[1]))
        diff = np.max(np.abs(out["old"][0] - out["new"][0]))
        p = {k: permutation_pvalue(true, v[0].mean(axis=1)) for k, v in out.items()}
        print(
            f"{params!s:<24}{1e3 * out['old'][1] / n_null:12.1f}"
            f"{1e3 * out['new'][1] / n_null:12.1f}"
            f"{out['old'][1] / out['new'][1]:11.1f}{diff:11.1e}"
            f"{p['old']:8.4f}{p['new']:8.4f}"
        )
    c0 = time.process_time()
    res = spin_test(
        PLSBilinearRegressor(),
        ds.X,
        ds.Y,
        cv=splits,
        permutations=perms[:n_pls],
        n_jobs=1,
    )
    cpu = time.process_time() - c0
    print(
        f"{'PLSBilinearRegressor':<24}{'(no fast path: generic refits)':>35} "
        f"{1e3 * cpu / (n_pls + 1):.0f} ms CPU per null "
        f"({n_pls} nulls, p={res.pvalue:.3f}); load {_load()}"
    )


# -- neural training, old and new set-up in one process -------------------------
@contextlib.contextmanager
def previous_training_setup():
    """The training set-up before issue 22, for side-by-side timing.

    torch's default threads (no limit), ``nn.Dropout`` masks and AdamW's
    per-parameter loop.
    """
    import torch
    from torch.nn import functional as F

    from connpredict.models import _torch_modules, _torch_train

    saved = (
        _torch_train.limit_threads,
        _torch_train._fused_optimizer,
        _torch_modules.Dropout.forward,
    )

    @contextlib.contextmanager
    def no_limit(*args, **kwargs):
        yield torch.get_num_threads()

    def bernoulli_forward(self, x):
        return F.dropout(x, self.p, self.training)

    _torch_train.limit_threads = no_limit
    _torch_train._fused_optimizer = lambda device: None
    _torch_modules.Dropout.forward = bernoulli_forward
    try:
        yield
    finally:
        (
            _torch_train.limit_threads,
            _torch_train._fused_optimizer,
            _torch_modules.Dropout.forward,
        ) = saved


@contextlib.contextmanager
def session4_module_code():
    """The module code of main at e3d6ba6 (after issue 22's first session).

    Its dropout mask ``x * (rand_like(x) >= p) * scale``, pair gathers by
    advanced indexing, and the concat MLP decoding gathered whole rows.
    """
    import torch

    from connpredict.models import _torch_modules as tm

    def dropout_forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand_like(x) >= self.p
        return x * keep * (1.0 / (1.0 - self.p))

    def decoded_forward(self, genes, coords, left, right):
        emb = self.encode(genes, coords)
        ca = cb = None
        if coords is not None:
            ca, cb = coords[left], coords[right]
        return self.decode(emb[left], emb[right], ca, cb)

    saved = (tm.Dropout.forward, tm._Decoded.forward, tm.PairMLPModule.forward)
    tm.Dropout.forward = dropout_forward
    tm._Decoded.forward = decoded_forward
    tm.PairMLPModule.forward = decoded_forward
    try:
        yield
    finally:
        tm.Dropout.forward, tm._Decoded.forward, tm.PairMLPModule.forward = saved


def bench_neural(epochs, repeats):
    import torch

    from connpredict.datasets import load_dataset
    from connpredict.model_selection import SpatialSplit
    from connpredict.models import PairMLPRegressor, SMTRegressor

    ds = load_dataset("hcp-schaefer100")
    tr, te = next(SpatialSplit(n_splits=4, random_state=42).split(ds.X, ds.Y))
    default_threads = torch.get_num_threads()
    print(
        f"\n## Neural training: {epochs} epochs, one member, no early stopping, "
        f"{len(tr)} training regions of hcp-schaefer100 (fold 0 of SpatialSplit(4, "
        f"random_state=42)); torch default threads {default_threads}; load {_load()}"
    )
    print(
        "old: 34217ab's set-up (default threads, nn.Dropout, per-parameter AdamW);"
        " old1: the same on one thread; e3d6ba6: the previous session's code (one"
        " thread); new: this tree. CPU seconds (median of repeats), then test r."
    )
    print(
        f"{'model':<6}{'old':>8}{'old1':>8}{'e3d6ba6':>9}{'new':>8}"
        f"{'old/new':>9}{'old1/new':>10}{'e3d/new':>9}{'r e3d':>8}{'r new':>8}"
    )
    labels = ("old", "old1", "e3d6ba6", "new")

    def context(label):
        stack = contextlib.ExitStack()
        if label != "new":
            stack.enter_context(session4_module_code())
        if label in ("old", "old1"):
            stack.enter_context(previous_training_setup())
        return stack

    for name, cls in (("mlp", PairMLPRegressor), ("smt", SMTRegressor)):
        # warm-up: the first optimiser of a process imports torch._dynamo
        # (seconds of CPU), which no timed fit should pay
        cls(max_iter=1, n_iter_no_change=None, n_ensemble=1).fit(
            ds.X.iloc[tr[:20]], ds.Y.iloc[tr[:20]]
        )
        times = {k: [] for k in labels}
        scores = {}
        for _ in range(repeats):
            for label in labels:
                est = cls(
                    max_iter=epochs, n_iter_no_change=None, n_ensemble=1, random_state=0
                )
                # "old1": the 34217ab set-up limited to one thread, to separate
                # the thread policy from the code changes
                threads = default_threads if label == "old" else 1
                with context(label):
                    torch.set_num_threads(threads)
                    c0 = time.process_time()
                    est.fit(ds.X.iloc[tr], ds.Y.iloc[tr])
                    times[label].append(time.process_time() - c0)
                    torch.set_num_threads(default_threads)
                    scores[label] = est.score(ds.X.iloc[te], ds.Y.iloc[te])
        old, old1, e3d, new = (np.median(times[k]) for k in labels)
        print(
            f"{name:<6}{old:8.2f}{old1:8.2f}{e3d:9.2f}{new:8.2f}{old / new:9.2f}"
            f"{old1 / new:10.2f}{e3d / new:9.2f}{scores['e3d6ba6']:8.4f}"
            f"{scores['new']:8.4f}",
            flush=True,
        )
    print(f"load {_load()}")


# -- 4-fold CV: previous tree and this tree in child processes -------------------
_CV_CHILD = """
import json, sys, time, numpy as np
from connpredict.datasets import load_dataset
from connpredict.model_selection import SpatialSplit
from connpredict.models import PairMLPRegressor, SMTRegressor
ds = load_dataset("hcp-schaefer100")
cls = {"mlp": PairMLPRegressor, "smt": SMTRegressor}[sys.argv[1]]
scores, epochs = [], []
c0, t0 = time.process_time(), time.perf_counter()
for tr, te in SpatialSplit(n_splits=4, random_state=42).split(ds.X, ds.Y):
    est = cls(random_state=0).fit(ds.X.iloc[tr], ds.Y.iloc[tr])
    scores.append(est.score(ds.X.iloc[te], ds.Y.iloc[te]))
    epochs.append([len(net.history) for net in est.nets_])
print(json.dumps({"cpu": time.process_time() - c0, "wall": time.perf_counter() - t0,
                  "r": float(np.mean(scores)), "folds": scores, "epochs": epochs}))
"""


def _run_child(tree, args, env_extra=None):
    env = dict(os.environ, PYTHONPATH=tree, **(env_extra or {}))
    c0 = _child_cpu()
    out = subprocess.run(
        [sys.executable, "-c", _CV_CHILD, *args],
        env=env,
        # not the checkout: `python -c` puts the working folder first on
        # sys.path, which would shadow ``tree``
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        check=True,
    )
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["child_cpu"] = _child_cpu() - c0
    return res


def bench_cv(old_tree, models, mid_tree=None):
    """Each tree's 4-fold CV in its own child: CPU, mean and fold-wise r.

    ``mid_tree`` (optional) is a third tree run between the two, e.g. the
    main branch before the change under test beside an older baseline.
    """
    trees = [("old", old_tree)]
    if mid_tree:
        trees.append(("mid", mid_tree))
    trees.append(("new", ROOT))
    print(
        "\n## 4-fold SpatialSplit(random_state=42) CV on hcp-schaefer100, "
        "default estimators (random_state=0), one child process per tree ("
        + ", ".join(f"{label}: {path}" for label, path in trees)
        + f"); load {_load()}"
    )
    head = f"{'model':<6}" + "".join(f"{label + ' cpu s':>12}" for label, _ in trees)
    head += "".join(f"{label + '/new':>9}" for label, _ in trees[:-1])
    head += "".join(f"{label + ' r':>8}" for label, _ in trees)
    print(head)
    folds = []
    for name in models:
        res = [_run_child(path, [name]) for _, path in trees]
        cpu = [r["child_cpu"] for r in res]
        line = f"{name:<6}" + "".join(f"{c:12.1f}" for c in cpu)
        line += "".join(f"{c / cpu[-1]:9.2f}" for c in cpu[:-1])
        line += "".join(f"{r['r']:8.4f}" for r in res)
        print(line, flush=True)
        for (label, _), r in zip(trees, res):
            folds.append(
                f"  {name} {label}: fold r "
                + " ".join(f"{x:.4f}" for x in r["folds"])
                + (f", epochs per member {r['epochs']}" if "epochs" in r else "")
            )
    print("\n".join(folds))
    print(f"load {_load()}")


def bench_cv_pair(models, n_ensemble):
    """4-fold CV, the previous session's module code and this tree, one process.

    Same folds and seeds; ``session4_module_code`` restores e3d6ba6's
    dropout, gathers and concat decoding; one thread for both.
    """
    from connpredict.datasets import load_dataset
    from connpredict.model_selection import SpatialSplit
    from connpredict.models import PairMLPRegressor, SMTRegressor

    ds = load_dataset("hcp-schaefer100")
    splits = list(SpatialSplit(n_splits=4, random_state=42).split(ds.X, ds.Y))
    print(
        f"\n## 4-fold SpatialSplit(random_state=42) CV on hcp-schaefer100, "
        f"n_ensemble={n_ensemble}, random_state=0, e3d6ba6 module code vs this "
        f"tree in one process; load {_load()}"
    )
    print(
        f"{'model':<6}{'e3d cpu s':>10}{'new cpu s':>10}{'x less':>8}"
        f"{'e3d r':>8}{'new r':>8}"
    )
    classes = {"mlp": PairMLPRegressor, "smt": SMTRegressor}
    for name in models:
        cls = classes[name]
        cls(max_iter=1, n_iter_no_change=None, n_ensemble=1).fit(
            ds.X.iloc[:20], ds.Y.iloc[:20]
        )  # warm-up (torch._dynamo import)
        out = {}
        for label in ("e3d", "new"):
            ctx = session4_module_code() if label == "e3d" else contextlib.nullcontext()
            scores = []
            with ctx:
                c0 = time.process_time()
                for tr, te in splits:
                    est = cls(n_ensemble=n_ensemble, random_state=0)
                    est.fit(ds.X.iloc[tr], ds.Y.iloc[tr])
                    scores.append(est.score(ds.X.iloc[te], ds.Y.iloc[te]))
                out[label] = (time.process_time() - c0, float(np.mean(scores)))
        (c_old, r_old), (c_new, r_new) = out["e3d"], out["new"]
        print(
            f"{name:<6}{c_old:10.1f}{c_new:10.1f}{c_old / c_new:8.2f}"
            f"{r_old:8.4f}{r_new:8.4f}",
            flush=True,
        )
    print(f"load {_load()}")


# -- connpredict run --n-jobs 1 vs 2 --------------------------------------------------
def _timed_run(tree, launcher, args, out):
    """``connpredict run ARGS --output OUT`` in a child on ``tree``: (proc, wall, cpu).

    ``launcher`` starts the command (``["-m", "connpredict"]``, or
    ``["-c", _RUN_CHILD]`` for trees without ``__main__``).
    """
    c0, t0 = _child_cpu(), time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *launcher, "run", *args, "--output", out],
        env=dict(os.environ, PYTHONPATH=tree),
        cwd=tempfile.gettempdir(),
        check=True,
        capture_output=True,
        text=True,
    )
    return proc, time.perf_counter() - t0, _child_cpu() - c0


def bench_njobs(tree, run_args):
    """``connpredict run RUN_ARGS --n-jobs 1`` then ``2``: wall, CPU, phases.

    The phases come from the run's own last line ("T s in all; fitting F s;
    report R s")
    and ``timings.csv`` (the fits' summed seconds): ``T - F`` is the serial
    part that n_jobs does not touch (start-up, tables, report).
    """
    import re

    import pandas as pd

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n_jobs in (1, 2):
            out = os.path.join(tmp, f"run{n_jobs}")
            proc, wall, cpu = _timed_run(
                tree,
                ["-m", "connpredict"],
                ["--silent", *run_args.split(), "--n-jobs", str(n_jobs)],
                out,
            )
            m = re.search(
                r"\(([\d.]+) s in all; fitting ([\d.]+) s(?:; report ([\d.]+) s)?\)",
                proc.stdout,
            )
            total, fitting = float(m.group(1)), float(m.group(2))
            report = float(m.group(3)) if m.group(3) else float("nan")
            fits = pd.read_csv(os.path.join(out, "timings.csv"))
            rows.append(
                (
                    n_jobs,
                    wall,
                    cpu,
                    total,
                    fitting,
                    report,
                    fits.fit_predict_seconds.sum(),
                    out,
                )
            )
        same = _same_results(rows[0][-1], rows[1][-1])
    print(
        f"\n## connpredict run {run_args or '(default job)'} --silent, "
        f"--n-jobs 1 then 2 ({tree}); load {_load()}"
    )
    print(
        f"{'n_jobs':>7}{'wall s':>8}{'cpu s':>8}{'in all':>8}{'fitting':>8}"
        f"{'report':>8}{'serial':>8}{'sum of fits':>12}"
    )
    for n_jobs, wall, cpu, total, fitting, report, fits, _ in rows:
        print(
            f"{n_jobs:7d}{wall:8.1f}{cpu:8.1f}{total:8.1f}{fitting:8.1f}"
            f"{report:8.1f}{wall - fitting:8.1f}{fits:12.1f}"
        )
    print(f"report share of the n_jobs=1 wall time: {rows[0][5] / rows[0][1]:.1%}")
    print(
        f"wall ratio 2/1: {rows[1][1] / rows[0][1]:.2f}; fitting ratio 2/1: "
        f"{rows[1][4] / rows[0][4]:.2f}; identical results.csv: {same}"
    )


def _stop_and_best(valid_loss, patience, threshold=1e-4):
    """skorch's EarlyStopping on a loss curve: (stop epoch, best epoch).

    An epoch improves when its loss is below the best so far times
    ``1 - threshold``; training stops after ``patience`` epochs in a row
    without improvement (0-based epoch indices).
    """
    best, bound, misses = 0, np.inf, 0
    for epoch, value in enumerate(valid_loss):
        if value < bound:
            best, bound, misses = epoch, value * (1 - threshold), 0
        else:
            misses += 1
        if misses == patience:
            return epoch, best
    return len(valid_loss) - 1, best


def bench_patience(dataset, models, params, patiences=(3, 4, 5, 6, 8, 10)):
    """Test r of every early-stopping patience up to the largest, from one fit.

    Each model is fitted once per fold with ``n_iter_no_change`` set to the
    largest patience, keeping the weights of every epoch that improved the
    validation loss. A run with a smaller patience is the same training up
    to its stop, so its result is the kept weights of its best epoch: the
    table is exact, not an estimate. CPU shares count epochs trained.
    """
    from skorch.callbacks import Callback

    from connpredict.datasets import load_dataset
    from connpredict.model_selection import SpatialSplit
    from connpredict.models import PairMLPRegressor, SMTRegressor

    kept = []

    class KeepBest(Callback):
        def on_train_begin(self, net, **kwargs):
            kept.append({})

        def on_epoch_end(self, net, **kwargs):
            if net.history[-1].get("valid_loss_best"):
                state = net.module_.state_dict()
                kept[-1][len(net.history) - 1] = {
                    k: v.detach().clone() for k, v in state.items()
                }

    ds = load_dataset(dataset)
    splits = list(SpatialSplit(n_splits=4, random_state=42).split(ds.X, ds.Y))
    classes = {"mlp": PairMLPRegressor, "smt": SMTRegressor}
    top = max(patiences)
    print(
        f"\n## early-stopping patience from one fit at patience {top}, "
        f"{dataset}, SpatialSplit(4, random_state=42), random_state=0, "
        f"params {params}; load {_load()}"
    )
    for name in models:
        scores = {p: [] for p in patiences}
        epochs = dict.fromkeys(patiences, 0)
        cpu = 0.0
        for tr, te in splits:
            kept.clear()
            est = classes[name](
                random_state=0,
                n_iter_no_change=top,
                callbacks=[("keep_best", KeepBest())],
                **params,
            )
            c0 = time.process_time()
            est.fit(ds.X.iloc[tr], ds.Y.iloc[tr])
            cpu += time.process_time() - c0
            nets = est.nets_
            for p in patiences:
                for net, states in zip(nets, kept):
                    curve = net.history[:, "valid_loss"]
                    stop, best = _stop_and_best(curve, p)
                    epochs[p] += stop + 1
                    net.module_.load_state_dict(states[best])
                scores[p].append(est.score(ds.X.iloc[te], ds.Y.iloc[te]))
        print(f"{name}: CPU {cpu:.1f} s at patience {top}")
        print(f"{'patience':>9}{'mean r':>8}{'epochs':>8}{'share':>7}  fold r")
        for p in patiences:
            print(
                f"{p:9d}{np.mean(scores[p]):8.4f}{epochs[p]:8d}"
                f"{epochs[p] / epochs[top]:7.2f}  "
                + " ".join(f"{x:.4f}" for x in scores[p]),
                flush=True,
            )
    print(f"load {_load()}")


_RUN_CHILD = "import sys; from connpredict.cli import main; sys.exit(main())"


def bench_main_job(trees, run_args=""):
    """``connpredict run RUN_ARGS --n-jobs 1 --no-report`` with each tree.

    One child per tree (``python -c`` into ``connpredict.cli.main``, which
    older trees without ``__main__`` also have); CPU of the child, and per
    neural model the mean test Pearson r over every split, seed and fold of
    its ``results.csv``.
    """
    import pandas as pd

    print(
        f"\n## connpredict run {run_args or '(default job)'} --n-jobs 1 "
        f"--no-report, one child per tree; load {_load()}"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, tree in trees:
            out = os.path.join(tmp, label)
            _, wall, cpu = _timed_run(
                tree,
                ["-c", _RUN_CHILD],
                ["--silent", "--no-report", *run_args.split(), "--n-jobs", "1"],
                out,
            )
            res = pd.read_csv(os.path.join(out, "results.csv"))
            r = res[res.metric == "pearson_r"].groupby("model").value.mean()
            fits = pd.read_csv(os.path.join(out, "timings.csv"))
            rows.append((label, tree, wall, cpu, fits, r))
    print(f"{'tree':<6}{'wall s':>8}{'cpu s':>8}  mean r (neural) and fit s")
    for label, tree, wall, cpu, fits, r in rows:
        per = fits.groupby("model").fit_predict_seconds.sum()
        neural = [m for m in ("mlp", "smt") if m in r.index]
        print(
            f"{label:<6}{wall:8.1f}{cpu:8.1f}  "
            + ", ".join(
                f"{m} r {r[m]:.4f} fit {per.get(m, float('nan')):.1f} s" for m in neural
            )
            + f"  ({tree})"
        )
    base = rows[0][3]
    print(
        "CPU ratios against the first tree: "
        + ", ".join(f"{row[0]} {base / row[3]:.2f}x" for row in rows[1:])
    )
    print(f"load {_load()}")


def _same_results(a, b):
    import pandas as pd

    fa = pd.read_csv(os.path.join(a, "results.csv"))
    fb = pd.read_csv(os.path.join(b, "results.csv"))
    drop = [c for c in fa.columns if "time" in c.lower()]
    return fa.drop(columns=drop).equals(fb.drop(columns=drop))


# -- Dask ---------------------------------------------------------------------------
def bench_dask(n_null, workers_list):
    import pickle

    from joblib import parallel_backend

    from connpredict.datasets import load_dataset
    from connpredict.model_selection import SpatialSplit
    from connpredict.models import PairMLPRegressor
    from connpredict.nulls import spin_permutations, spin_test
    from connpredict.utils import dask_cluster

    ds = load_dataset("hcp-schaefer100")
    cv = SpatialSplit(n_splits=2, random_state=0)
    est = PairMLPRegressor(
        hidden_dims=(64, 32),
        max_iter=5,
        n_ensemble=1,
        validation_cv=None,
        n_iter_no_change=None,
        random_state=0,
    )
    perms = spin_permutations(ds.regions.loc[ds.X.index], n_null, random_state=0)
    spin_test(est, ds.X, ds.Y, cv=cv, permutations=perms[:1])  # warm-up
    t0, c0 = time.perf_counter(), time.process_time()
    serial = spin_test(est, ds.X, ds.Y, cv=cv, permutations=perms, n_jobs=1)
    t_serial, c_serial = time.perf_counter() - t0, time.process_time() - c0
    # what one task ships: the estimator, the data and a permutation
    payload = len(pickle.dumps((est, ds.X, ds.Y, perms[:1])))
    print(
        f"\n## Dask: spin_test nulls of a small PairMLPRegressor, {n_null} nulls, "
        f"SpatialSplit(2); load {_load()}"
    )
    print(f"{'setting':<28}{'seconds':>9}{'nulls/s':>9}{'x serial':>9}{'same':>6}")
    print(f"{'serial (no Dask)':<28}{t_serial:9.1f}{n_null / t_serial:9.3f}{1:9.2f}")
    for w in workers_list:
        with dask_cluster(n_workers=w) as client, parallel_backend("dask"):
            spin_test(est, ds.X, ds.Y, cv=cv, permutations=perms[: 2 * w], n_jobs=-1)
            t0 = time.perf_counter()
            res = spin_test(est, ds.X, ds.Y, cv=cv, permutations=perms, n_jobs=-1)
            dt = time.perf_counter() - t0
            del client
        same = np.array_equal(res.null_scores, serial.null_scores)
        print(
            f"{f'{w} worker process(es)':<28}{dt:9.1f}{n_null / dt:9.3f}"
            f"{t_serial / dt:9.2f}{same!s:>6}",
            flush=True,
        )
    # 64 workers on paper: each null costs what it costs serially; the
    # scheduler ships each task's payload once per worker (data are scattered
    # once) and spends ~1 ms per task.
    per_task = c_serial / (n_null + 1)
    bandwidth = 100e6  # bytes/s, a modest cluster network
    startup = 64 * payload / bandwidth
    for n in (1_000, 10_000):
        t64 = startup + n * (per_task + 1e-3) / 64
        print(
            f"projection, 64 workers, {n} nulls: {t64:.0f} s "
            f"({n / t64:.1f} nulls/s; per task {per_task:.2f} s CPU, "
            f"payload {payload / 1e6:.1f} MB)"
        )


def bench_heap(models, rounds=2):
    """Neural fits with and without the frozen heap, side by side in one process.

    Two folds of ``SpatialSplit(4, random_state=42)`` on hcp-schaefer100,
    two members; in the "off" rounds ``frozen_heap`` is replaced by a no-op
    context; least CPU of ``rounds`` rounds each, fold scores printed.
    """
    import contextlib

    import connpredict.models._torch_train as training
    from connpredict.datasets import load_dataset
    from connpredict.model_selection import SpatialSplit
    from connpredict.models import PairMLPRegressor, SMTRegressor

    ds = load_dataset("hcp-schaefer100")
    splits = list(SpatialSplit(n_splits=4, random_state=42).split(ds.X, ds.Y))[:2]
    classes = {"mlp": PairMLPRegressor, "smt": SMTRegressor}
    real = training.frozen_heap
    print(f"\n## frozen heap off/on, 2 folds, 2 members, one process; load {_load()}")
    try:
        for name in models:
            cpu = {"off": [], "on": []}
            for _ in range(rounds):
                for mode in ("off", "on"):
                    training.frozen_heap = (
                        real if mode == "on" else contextlib.nullcontext
                    )
                    c0, scores = time.process_time(), []
                    for tr, te in splits:
                        est = classes[name](random_state=0, n_ensemble=2)
                        est.fit(ds.X.iloc[tr], ds.Y.iloc[tr, tr])
                        scores.append(est.score(ds.X.iloc[te], ds.Y.iloc[te, te]))
                    cpu[mode].append(time.process_time() - c0)
            print(
                f"{name}: off {min(cpu['off']):.2f} s, on {min(cpu['on']):.2f} s "
                f"CPU ({min(cpu['off']) / min(cpu['on']):.2f}x); fold r "
                + " ".join(f"{r:.4f}" for r in scores)
            )
    finally:
        training.frozen_heap = real
    print(f"load {_load()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="nulls,neural,cv,njobs,dask")
    parser.add_argument(
        "--old-tree",
        default=os.path.join(tempfile.gettempdir(), "connpredict_main"),
        help="a folder holding the previous code's connpredict package "
        "(e.g. `git archive main connpredict | tar -x -C DIR`)",
    )
    parser.add_argument(
        "--mid-tree",
        default=None,
        help="cv part: a third tree run beside --old-tree and this one (e.g. "
        "the main branch before the change, with --old-tree an older release)",
    )
    parser.add_argument(
        "--dataset",
        default="hcp-schaefer200",
        help="patience part: the dataset the choice is made on",
    )
    parser.add_argument(
        "--params",
        default="",
        help="patience part: estimator parameters as JSON, e.g. "
        "'{\"batch_size\": 2048}'",
    )
    parser.add_argument("--n-null", type=int, default=200)
    parser.add_argument("--null-rounds", type=int, default=3)
    parser.add_argument("--n-pls", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--models", default="mlp,smt")
    parser.add_argument(
        "--n-ensemble", type=int, default=5, help="members in the cvpair part"
    )
    parser.add_argument(
        "--run-args",
        default="",
        help="options of the njobs part's `connpredict run` (default: the "
        "default job), e.g. '--quick --dataset hcp-schaefer100'",
    )
    parser.add_argument("--n-null-dask", type=int, default=8)
    args = parser.parse_args()
    parts = args.parts.split(",")
    print(f"bench_speed: {os.cpu_count()} cores, load {_load()}")
    if not os.environ.get("CONNPREDICT_DATA"):
        sys.exit("CONNPREDICT_DATA is unset: every part needs hcp-schaefer100.")
    if "nulls" in parts:
        bench_nulls(args.old_tree, args.n_null, args.n_pls, args.null_rounds)
    if "neural" in parts:
        bench_neural(args.epochs, args.repeats)
    if "cv" in parts:
        bench_cv(args.old_tree, args.models.split(","), args.mid_tree)
    if "cvpair" in parts:
        bench_cv_pair(args.models.split(","), args.n_ensemble)
    if "njobs" in parts:
        bench_njobs(ROOT, args.run_args)
    if "patience" in parts:
        bench_patience(
            args.dataset, args.models.split(","), json.loads(args.params or "{}")
        )
    if "mainjob" in parts:
        trees = [("old", args.old_tree)]
        if args.mid_tree:
            trees.append(("mid", args.mid_tree))
        bench_main_job([*trees, ("new", ROOT)], args.run_args)
    if "heap" in parts:
        bench_heap(args.models.split(","))
    if "dask" in parts:
        bench_dask(args.n_null_dask, [1, 2])


if __name__ == "__main__":
    main()

"""The research recipes next to connpredict's defaults (honest benchmark).

For each dataset, model, split (spatial, random) and seed, a 4-fold
cross-validation over regions; a cell is the mean +- SD over folds x seeds of
the test Pearson r (each test x test region pair once). Rows:

- ``research-<key>``: ``Estimator(**RESEARCH_PARAMS[key])``, the research
  recipe ``key`` (named for its source: the sweep's best parameters or the
  logged runs; see docs/user_guide/research.rst for the departures);
- ``<name>``: a connpredict estimator with its default parameters;
- ``<name>-genes``: a neural default with ``use_distance=False`` (genes
  only, as the research SMT and MLP);
- ``bilinear-coords``: ``BilinearRegressor(use_distance=True)``.

Every fold's score is appended to a CSV file (``--out``) as soon as it is
known, so a long run can be split over several processes and resumed (folds
already in the file are skipped); ``--table`` prints the Markdown table of
one or more CSV files. Runs with ``--max-iter`` / ``--n-ensemble`` record
the reduction, and the table marks those cells: they are not the full
protocol.

``--nested bilinear`` (or ``pls``) instead checks defaults by nested
cross-validation: within each outer spatial training set, ``GridSearchCV``
with inner spatial folds (training regions only) chooses the model's
``use_distance``, ``linear_terms``, ``alpha`` and ``n_components``; it prints
how often each setting was chosen and the outer scores of the nested model
and of the defaults.

Usage::

    CONNPREDICT_DATA=../shared/data python benchmarks/bench_research.py \\
        [--datasets hcp-schaefer100 ...] [--seeds 0 1 2] [--splits spatial random] \\
        [--models research-smt smt ...] [--quick] [--max-iter N] \\
        [--n-ensemble N] [--out results.csv]
    python benchmarks/bench_research.py --table results.csv [more.csv ...]
    python benchmarks/bench_research.py --nested bilinear --datasets hcp-schaefer100
"""

import argparse
import collections
import csv
import logging
import os
import sys
import time
import warnings

import numpy as np

DATASETS = ("hcp-schaefer100", "hcp-schaefer200", "hcp-schaefer300", "hcp-schaefer400")
RESEARCH_KEYS = (
    "smt",
    "smt_logged",
    "smt_cls",
    "smt_cls_logged",
    "mlp",
    "bilinear",
    "bilinear_lowrank",
    "pls",
    "cge",
    "decay",
    "gaussian",
)
NEURAL = {
    "research-smt",
    "research-smt_logged",
    "research-smt_cls",
    "research-smt_cls_logged",
    "research-mlp",
    "research-bilinear_lowrank",
    "smt",
    "mlp",
    "smt-genes",
    "mlp-genes",
}
FIELDS = (
    "dataset",
    "model",
    "split",
    "seed",
    "fold",
    "r",
    "fit_s",
    "reduced",
    "n_regions",
    "n_genes",
)


def model_names():
    names = [f"research-{k}" for k in RESEARCH_KEYS]
    names += ["decay", "gaussian", "cge", "bilinear", "bilinear-coords", "pls"]
    names += ["mlp", "mlp-genes", "smt", "smt-genes"]
    return names


def make_model(name, seed, reduce):
    """The estimator of row ``name``; ``reduce`` caps neural training."""
    from connpredict import models
    from connpredict.models import RESEARCH_PARAMS
    from connpredict.models._research import RESEARCH_ESTIMATORS

    if name.startswith("research-"):
        key = name[len("research-") :]
        cls = getattr(models, RESEARCH_ESTIMATORS[key])
        params = dict(RESEARCH_PARAMS[key])
    else:
        base = {
            "decay": ("ExponentialDecayRegressor", {}),
            "gaussian": ("GaussianKernelRegressor", {}),
            "cge": ("CGERegressor", {}),
            "bilinear": ("BilinearRegressor", {}),
            "bilinear-coords": ("BilinearRegressor", {"use_distance": True}),
            "pls": ("PLSBilinearRegressor", {}),
            "mlp": ("PairMLPRegressor", {}),
            "mlp-genes": ("PairMLPRegressor", {"use_distance": False}),
            "smt": ("SMTRegressor", {}),
            "smt-genes": ("SMTRegressor", {"use_distance": False}),
        }[name]
        cls = getattr(models, base[0])
        params = dict(base[1])
    if "random_state" in cls().get_params():
        params["random_state"] = seed
    note = ""
    if name in NEURAL and reduce:
        est = cls(**params)
        parts = []
        if reduce.get("max_iter") and est.max_iter > reduce["max_iter"]:
            params["max_iter"] = reduce["max_iter"]
            parts.append(f"max_iter {reduce['max_iter']}")
        if reduce.get("n_ensemble") and est.n_ensemble > reduce["n_ensemble"]:
            params["n_ensemble"] = reduce["n_ensemble"]
            parts.append(f"n_ensemble {reduce['n_ensemble']}")
        note = ", ".join(parts)
    return cls(**params), note


def _folds(split, seed, ds):
    """The 4 folds of a splitter named in connpredict.model_selection.SPLITTERS."""
    from connpredict.model_selection import make_splitter

    groups = ds.get("networks") if split == "network" else None
    return make_splitter(split, 4, random_state=seed).split(ds.X, ds.Y, groups)


def _done(path):
    done = set()
    if path and os.path.exists(path):
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                key = (row["dataset"], row["model"], row["split"], row["seed"])
                done.add((*key, row["fold"], row["reduced"]))
    return done


def run(args):
    import torch

    from connpredict.datasets import load_dataset

    torch.set_num_threads(args.threads)
    reduce = {}
    if args.quick:
        reduce = {"max_iter": 20, "n_ensemble": 1}
    if args.max_iter:
        reduce["max_iter"] = args.max_iter
    if args.n_ensemble:
        reduce["n_ensemble"] = args.n_ensemble
    done = _done(args.out)
    new = not (args.out and os.path.exists(args.out))
    out = open(args.out, "a", newline="") if args.out else None
    writer = csv.DictWriter(out or sys.stdout, fieldnames=FIELDS)
    if new:
        writer.writeheader()
    try:
        for dataset in args.datasets:
            ds = load_dataset(dataset)
            X, Y = ds.X, ds.Y
            n_genes = X.shape[1] - 3
            for name in args.models:
                for split in args.splits:
                    for seed in args.seeds:
                        for fold, (tr, te) in enumerate(_folds(split, seed, ds)):
                            model, note = make_model(name, seed, reduce)
                            key = (dataset, name, split, str(seed), str(fold), note)
                            if key in done:
                                continue
                            t0 = time.perf_counter()
                            model.fit(X.iloc[tr], Y.iloc[tr])
                            fit_s = time.perf_counter() - t0
                            r = model.score(X.iloc[te], Y.iloc[te])
                            writer.writerow(
                                {
                                    "dataset": dataset,
                                    "model": name,
                                    "split": split,
                                    "seed": seed,
                                    "fold": fold,
                                    "r": f"{r:.6f}",
                                    "fit_s": f"{fit_s:.2f}",
                                    "reduced": note,
                                    "n_regions": X.shape[0],
                                    "n_genes": n_genes,
                                }
                            )
                            (out or sys.stdout).flush()
                            logging.info(
                                "%s %s %s seed %d fold %d: r %.3f (%.1f s)",
                                dataset,
                                name,
                                split,
                                seed,
                                fold,
                                r,
                                fit_s,
                            )
    finally:
        if out:
            out.close()


def table(paths):
    """Markdown table (models x dataset/split) of the CSV files."""
    cells = collections.defaultdict(list)
    notes = collections.defaultdict(set)
    fit = collections.defaultdict(list)
    datasets, models = [], []
    seen = set()
    for path in paths:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                d, m, s = row["dataset"], row["model"], row["split"]
                key = (d, m, s, row["seed"], row["fold"], row["reduced"])
                if key in seen:  # a fold run twice (parallel runs): keep one
                    continue
                seen.add(key)
                if d not in datasets:
                    datasets.append(d)
                if m not in models:
                    models.append(m)
                cells[d, m, s].append(float(row["r"]))
                fit[d, m].append(float(row["fit_s"]))
                if row["reduced"]:
                    notes[d, m].add(row["reduced"])
    order = {m: i for i, m in enumerate(model_names())}
    models.sort(key=lambda m: order.get(m, len(order)))
    datasets.sort(key=lambda d: DATASETS.index(d) if d in DATASETS else 99)
    splits = ("spatial", "random")
    short = {d: d.replace("hcp-schaefer", "S") for d in datasets}
    head = ["model"] + [f"{short[d]} {s}" for d in datasets for s in splits]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    footnotes = []
    for m in models:
        row = [f"`{m}`"]
        for d in datasets:
            for s in splits:
                v = cells.get((d, m, s))
                if not v:
                    row.append("")
                    continue
                v = np.asarray(v)
                sd = v.std(ddof=1) if len(v) > 1 else float("nan")
                text = f"{v.mean():.3f} ± {sd:.3f}"
                if len(v) != 12:
                    text += f" (n={len(v)})"
                if notes.get((d, m)):
                    mark = "; ".join(sorted(notes[d, m]))
                    if mark not in footnotes:
                        footnotes.append(mark)
                    text += "*" * (footnotes.index(mark) + 1)
                row.append(text)
        lines.append("| " + " | ".join(row) + " |")
    for i, mark in enumerate(footnotes):
        lines.append("")
        lines.append(f"{'*' * (i + 1)} reduced run, not the full protocol: {mark}.")
    lines.append("")
    lines.append("Mean fit time per fold (s):")
    lines.append("")
    lines.append("| model | " + " | ".join(short[d] for d in datasets) + " |")
    lines.append("|---|" + "---|" * len(datasets))
    for m in models:
        vals = [
            f"{np.mean(fit[d, m]):.2f}" if fit.get((d, m)) else "" for d in datasets
        ]
        lines.append(f"| `{m}` | " + " | ".join(vals) + " |")
    return "\n".join(lines)


NESTED_GRIDS = {
    "bilinear": {
        "use_distance": [False, True],
        "linear_terms": [False, True],
        "alpha": ["gcv", "cv"],
        "n_components": [10, 20, 40],
    },
    "pls": {
        "use_distance": [False, True],
        "linear_terms": [False, True],
        "alpha": [0.01, "gcv"],
        "n_components": [10, 25, 40],
    },
}


def nested(args):
    """Nested-CV choice of a classical model's defaults (inner spatial folds)."""
    from sklearn.model_selection import GridSearchCV

    from connpredict.datasets import load_dataset
    from connpredict.model_selection import SpatialSplit
    from connpredict.models import BilinearRegressor, PLSBilinearRegressor

    name = args.nested
    cls = {"bilinear": BilinearRegressor, "pls": PLSBilinearRegressor}[name]
    grid = NESTED_GRIDS[name]
    for dataset in args.datasets:
        ds = load_dataset(dataset)
        X, Y = ds.X, ds.Y
        chosen = collections.Counter()
        per_param = {k: collections.Counter() for k in grid}
        outer, default = [], []
        t0 = time.perf_counter()
        for seed in args.seeds:
            cv = SpatialSplit(n_splits=4, random_state=seed)
            for tr, te in cv.split(X):
                inner = SpatialSplit(n_splits=3, random_state=seed)
                search = GridSearchCV(cls(random_state=seed), grid, cv=inner)
                search.fit(X.iloc[tr], Y.iloc[tr])
                best = search.best_params_
                chosen[tuple(sorted(best.items()))] += 1
                for k, v in best.items():
                    per_param[k][v] += 1
                outer.append(search.score(X.iloc[te], Y.iloc[te]))
                base = cls(random_state=seed).fit(X.iloc[tr], Y.iloc[tr])
                default.append(base.score(X.iloc[te], Y.iloc[te]))
        n = len(outer)
        print(
            f"\n### Nested CV of {cls.__name__} on {dataset} "
            f"(outer SpatialSplit(4) x seeds {args.seeds} = {n} folds; inner "
            f"SpatialSplit(3) on the outer training regions; "
            f"{time.perf_counter() - t0:.0f} s)\n"
        )
        print(f"| parameter | times chosen (of {n}) |")
        print("|---|---|")
        for k, counter in per_param.items():
            text = ", ".join(f"`{v!r}`: {c}" for v, c in counter.most_common())
            print(f"| `{k}` | {text} |")
        print("\nMost frequent full settings:\n")
        for setting, c in chosen.most_common(4):
            print(f"- {dict(setting)}: {c}")
        o, dft = np.asarray(outer), np.asarray(default)
        print(
            f"\nOuter test r: nested model {o.mean():.3f} ± {o.std(ddof=1):.3f}; "
            f"defaults {dft.mean():.3f} ± {dft.std(ddof=1):.3f}"
        )
        sys.stdout.flush()


def main(argv=None):
    from connpredict.model_selection import SPLITTERS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--splits",
        nargs="+",
        default=["spatial", "random"],
        choices=list(SPLITTERS),
        help="splitters by name (connpredict.model_selection.SPLITTERS)",
    )
    parser.add_argument(
        "--models", nargs="+", default=model_names(), choices=model_names()
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="neural models: at most 20 epochs, one network (a reduced run)",
    )
    parser.add_argument("--max-iter", type=int, help="cap neural max_iter (epochs)")
    parser.add_argument("--n-ensemble", type=int, help="cap neural n_ensemble")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--out", help="CSV file the fold scores are appended to")
    parser.add_argument("--table", nargs="+", metavar="CSV", help="print the table")
    parser.add_argument(
        "--nested",
        choices=sorted(NESTED_GRIDS),
        help="nested-CV check of this model's defaults instead of the table",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(message)s",
    )
    if args.table:
        print(table(args.table))
        return
    if "CONNPREDICT_DATA" not in os.environ:
        sys.exit("Set CONNPREDICT_DATA to the data home (e.g. ../shared/data).")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        if args.nested:
            nested(args)
        else:
            run(args)


if __name__ == "__main__":
    main()

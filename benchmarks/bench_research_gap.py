"""The gap between the research's figures and the recipes on our data, by cause.

Each research recipe (``RESEARCH_PARAMS[key]``) is cross-validated on
``hcp-schaefer400`` (the atlas closest to the research's Schaefer-400 + 56),
random and spatial 4-fold splits over regions, then again with one departure
from the research changed at a time, so that the distance between our figure
and the research's is split into named causes:

- ``genes-0.8``: the data home's 0.8-stability gene list (2 genes on
  Schaefer-400) instead of the 0.6 one (282 genes); ``genes-N``: a fixed
  random subset of N genes of the 0.6 list. Together they trace r against
  the number of genes, the one factor that cannot be removed offline (the
  research used 7,380 abagen genes on 455 regions; see the notes printed with
  the table);
- ``all-regions``: no inner validation split: a fixed epoch budget on all
  training regions, as the research trained (``n_iter_no_change=None``; the
  plateau schedule steps on the training loss instead of the test fold);
- ``no-swap`` / ``swap``: the strong-edge batch replacement off (recipes
  that have it) or on (``strong_edge_swap=0.3``, recipes without it);
- ``region-masks``: one dropout mask per region and batch instead of one
  per pair;
- ``unit-diagonal``: a target with a unit diagonal fitted as given
  (``diagonal="include"``), which is what not zeroing it does; and
  ``impute-diagonal``: connpredict's default (off-diagonal entries only).

A cell is the mean +- SD over seeds x folds of the test Pearson r (each
test x test region pair once); a change (Δ) is the mean +- SD of the paired
per-fold differences from the recipe row, marked "inside fold spread" when
it is smaller than the recipe row's SD over folds. Neural rows can be reduced
(``--max-iter``, ``--folds``): the table marks them with the number of folds
(``n=``) and the epochs. Every fold is appended to ``--out`` as soon as it is
known, and folds already there are skipped, so a run can be split and
resumed; ``--table`` prints the Markdown table.

Usage::

    CONNPREDICT_DATA=../shared/data python benchmarks/bench_research_gap.py \\
        --rows bilinear pls bilinear:genes-0.8 ... [--splits random spatial] \\
        [--seeds 0 1 2] [--folds 4] [--max-iter N] [--quick] --out gap.csv
    python benchmarks/bench_research_gap.py --table gap.csv
    python benchmarks/bench_research_gap.py --list      # every known row
"""

import argparse
import collections
import csv
import logging
import os
import sys
import time

import numpy as np

DATASET = "hcp-schaefer400"
NEURAL = {"smt", "smt_logged", "smt_cls", "smt_cls_logged", "mlp", "bilinear_lowrank"}
CLASSICAL = ("bilinear", "pls", "cge", "decay", "gaussian")
GENE_SUBSETS = (35, 70, 141)

# (figure, label) per recipe and split: the research's mean test r
# (UK Biobank, 455 regions, 7,380 genes, 40 runs); "published" = Tables 1-2
# of the paper (notebooks/NeurIPS/NeurIPS_Table1&2_Fig5B_main_results.ipynb),
# "logged runs" = notebooks/NeurIPS_artifacts/results/UKBB_true/*.csv
RESEARCH_FIGURES = {
    "smt": {"random": (0.794, "published"), "spatial": (0.719, "published")},
    "smt_logged": {"random": (0.789, "logged runs")},
    "smt_cls": {"random": (0.844, "published"), "spatial": (0.699, "published")},
    "smt_cls_logged": {"random": (0.798, "logged runs")},
    "mlp": {"random": (0.781, "published"), "spatial": (0.721, "published")},
    "bilinear": {"random": (0.506, "published"), "spatial": (0.423, "published")},
    "bilinear_lowrank": {
        "random": (0.772, "published"),
        "spatial": (0.660, "published"),
    },
    "pls": {"random": (0.720, "published"), "spatial": (0.579, "published")},
    "cge": {"random": (0.226, "published"), "spatial": (0.305, "published")},
    "decay": {"random": (0.346, "published"), "spatial": (0.441, "published")},
    "gaussian": {"random": (0.303, "published"), "spatial": (0.408, "published")},
}

FIELDS = (
    "recipe",
    "variant",
    "split",
    "seed",
    "fold",
    "r",
    "cpu_s",
    "reduced",
    "n_regions",
    "n_genes",
)


def variants_of(key):
    """The departures that apply to recipe ``key``."""
    from connpredict.models import RESEARCH_PARAMS

    params = RESEARCH_PARAMS[key]
    out = ["recipe"]
    if key not in ("decay", "gaussian"):  # the distance models use no genes
        out += ["genes-0.8"] + [f"genes-{n}" for n in GENE_SUBSETS]
    if key in NEURAL:
        out.append("all-regions")
        out.append("no-swap" if params.get("strong_edge_swap") else "swap")
        if params.get("dropout_masks") == "pair":
            out.append("region-masks")
    if params.get("diagonal") == "zero":
        out += ["unit-diagonal", "impute-diagonal"]
    return out


def all_rows():
    from connpredict.models import RESEARCH_PARAMS

    return [f"{k}:{v}" for k in RESEARCH_PARAMS for v in variants_of(k)]


def make_model(key, variant, seed, reduce):
    """Estimator of a row and the text recording any reduction."""
    from connpredict import models
    from connpredict.models import RESEARCH_PARAMS
    from connpredict.models._research import RESEARCH_ESTIMATORS

    cls = getattr(models, RESEARCH_ESTIMATORS[key])
    params = dict(RESEARCH_PARAMS[key])
    if variant == "all-regions":
        params["n_iter_no_change"] = None
    elif variant == "no-swap":
        params["strong_edge_swap"] = 0.0
    elif variant == "swap":
        params["strong_edge_swap"] = 0.3
    elif variant == "region-masks":
        params["dropout_masks"] = "region"
    elif variant == "unit-diagonal":
        params["diagonal"] = "include"
    elif variant == "impute-diagonal":
        params["diagonal"] = "impute"
    if "random_state" in cls().get_params():
        params["random_state"] = seed
    note = ""
    if key in NEURAL and reduce.get("max_iter"):
        if params["max_iter"] > reduce["max_iter"]:
            params["max_iter"] = reduce["max_iter"]
            note = f"{reduce['max_iter']} epochs"
    return cls(**params), note


def _data(variant, cache):
    """(X, Y, networks) of a variant: gene list, gene subset or unit diagonal."""
    from connpredict.datasets import load_dataset

    stability = 0.8 if variant == "genes-0.8" else 0.6
    if stability not in cache:
        ds = load_dataset(DATASET, stability=stability)
        cache[stability] = (ds.X, ds.Y, ds.get("networks"))
    X, Y, networks = cache[stability]
    if variant.startswith("genes-") and variant != "genes-0.8":
        n = int(variant.split("-")[1])
        genes = [c for c in X.columns if c not in ("x", "y", "z")]
        keep = np.random.default_rng(0).choice(len(genes), size=n, replace=False)
        keep = [genes[i] for i in sorted(keep)]  # genomic order kept
        X = X[[*keep, "x", "y", "z"]]
    if variant == "unit-diagonal":
        Y = Y.copy()
        values = Y.to_numpy(copy=True)
        np.fill_diagonal(values, 1.0)
        Y.iloc[:, :] = values
    return X, Y, networks


def _folds(split, seed, X, Y, networks):
    """The 4 folds of a splitter named in connpredict.model_selection.SPLITTERS."""
    from connpredict.model_selection import make_splitter

    groups = networks if split == "network" else None
    return list(make_splitter(split, 4, random_state=seed).split(X, Y, groups))


def _done(path):
    done = set()
    if path and os.path.exists(path):
        with open(path, newline="") as f:
            first = f.readline()
            f.seek(0)
            names = None if first.startswith("recipe,") else FIELDS
            for row in csv.DictReader(f, fieldnames=names):
                done.add(
                    (row["recipe"], row["variant"], row["split"], row["seed"],
                     row["fold"], row["reduced"])
                )  # fmt: skip
    return done


def run(args):
    import torch

    torch.set_num_threads(args.threads)
    reduce = {}
    if args.quick:
        reduce["max_iter"] = 10
    if args.max_iter:
        reduce["max_iter"] = args.max_iter
    done = _done(args.out)
    new = not (args.out and os.path.exists(args.out))
    out = open(args.out, "a", newline="") if args.out else None
    writer = csv.DictWriter(out or sys.stdout, fieldnames=FIELDS)
    if new:
        writer.writeheader()
        (out or sys.stdout).flush()
    cache = {}
    try:
        for row in args.rows:
            key, _, variant = row.partition(":")
            variant = variant or "recipe"
            if variant not in variants_of(key):
                raise SystemExit(f"unknown row {row!r}; see --list")
            X, Y, networks = _data(variant, cache)
            n_folds = args.folds
            if key not in NEURAL:
                n_folds = 4  # classical rows always run in full
            for split in args.splits:
                for seed in args.seeds:
                    folds = _folds(split, seed, X, Y, networks)[:n_folds]
                    for fold, (tr, te) in enumerate(folds):
                        model, note = make_model(key, variant, seed, reduce)
                        mark = (key, variant, split, str(seed), str(fold), note)
                        if mark in done:
                            continue
                        t0 = time.process_time()
                        model.fit(X.iloc[tr], Y.iloc[tr])
                        cpu_s = time.process_time() - t0
                        r = model.score(X.iloc[te], Y.iloc[te])
                        writer.writerow(
                            {
                                "recipe": key,
                                "variant": variant,
                                "split": split,
                                "seed": seed,
                                "fold": fold,
                                "r": f"{r:.6f}",
                                "cpu_s": f"{cpu_s:.1f}",
                                "reduced": note,
                                "n_regions": X.shape[0],
                                "n_genes": X.shape[1] - 3,
                            }
                        )
                        (out or sys.stdout).flush()
                        logging.info(
                            "%s:%s %s seed %d fold %d: r %.3f (%.0f s CPU)",
                            key, variant, split, seed, fold, r, cpu_s,
                        )  # fmt: skip
    finally:
        if out:
            out.close()


def _cells(paths):
    cells = collections.defaultdict(dict)
    genes = {}
    for path in paths:
        with open(path, newline="") as f:
            first = f.readline()
            f.seek(0)
            # a file whose header was lost (a run killed before its first
            # flush) is read with the known column names
            names = None if first.startswith("recipe,") else FIELDS
            for row in csv.DictReader(f, fieldnames=names):
                key = (row["recipe"], row["variant"], row["split"], row["reduced"])
                cells[key][row["seed"], row["fold"]] = float(row["r"])
                genes[row["recipe"], row["variant"]] = int(row["n_genes"])
    return cells, genes


def _fmt(values, note):
    v = np.asarray(values)
    text = f"{v.mean():.3f}"
    if len(v) > 1:
        text += f" ± {v.std(ddof=1):.3f}"
    extra = [] if len(v) == 12 else [f"n={len(v)}"]
    if note:
        extra.append(note)
    if extra:
        text += f" ({', '.join(extra)})"
    return text


def table(paths):
    """Markdown table: recipe -> each departure changed -> research figure."""
    from connpredict.models import RESEARCH_PARAMS

    cells, genes = _cells(paths)
    lines = [
        "| recipe | variant | genes | random | Δ | spatial | Δ |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in RESEARCH_PARAMS:
        notes = {}
        for k, v, _split, note in cells:
            if k == key:
                notes.setdefault(v, note)
        if not notes:
            continue
        base = {}
        for variant in variants_of(key):
            if variant not in notes:
                continue
            row = [f"`{key}`", variant, str(genes[key, variant])]
            for split in ("random", "spatial"):
                vals = cells.get((key, variant, split, notes[variant]))
                if not vals:
                    row += ["", ""]
                    continue
                row.append(_fmt(list(vals.values()), notes[variant]))
                if variant == "recipe":
                    base[split] = vals
                    row.append("")
                    continue
                ref = base.get(split)
                common = sorted(set(vals) & set(ref or {}))
                if not common:
                    row.append("")
                    continue
                diffs = [vals[c] - ref[c] for c in common]
                diff = np.mean(diffs)
                text = f"{diff:+.3f}"
                if len(common) > 1:
                    # the paired differences' SD, and whether the change is
                    # smaller than the recipe row's own fold spread
                    text += f" ± {np.std(diffs, ddof=1):.3f}"
                    if abs(diff) < np.std([ref[c] for c in common], ddof=1):
                        text += " (inside fold spread)"
                row.append(text)
            lines.append("| " + " | ".join(row) + " |")
        figs = RESEARCH_FIGURES.get(key, {})
        row = [f"`{key}`", "**research**", "7380"]
        for split in ("random", "spatial"):
            fig = figs.get(split)
            row += [f"{fig[0]:.3f} ({fig[1]})" if fig else "", ""]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", *_gene_trend(cells, genes)]
    return "\n".join(lines)


def _gene_trend(cells, genes):
    """Lines: r against log2(genes) per recipe, extrapolated to 7,380 genes.

    A least-squares line through the means of the 35-gene to full-list rows
    (the 2-gene list is left out: too few genes for a trend); what it
    predicts at 7,380 genes is an estimate of the gene factor, valid only if
    the trend held that far.
    """
    out = []
    for (key, variant, split, _note), vals in sorted(cells.items()):
        if variant != "recipe":
            continue
        points = []
        for v in ("recipe", *(f"genes-{n}" for n in GENE_SUBSETS)):
            for (k, v2, s2, _n2), vv in cells.items():
                if (k, v2, s2) == (key, v, split):
                    points.append((genes[key, v], np.mean(list(vv.values()))))
        if len(points) < 3:
            continue
        n, r = np.array(points).T
        slope, icept = np.polyfit(np.log2(n), r, 1)
        at = icept + slope * np.log2(7380)
        out.append(
            f"- `{key}` {split}: {slope:+.3f} r per doubling of the genes "
            f"({int(n.min())}-{int(n.max())}); at 7,380 genes the line gives "
            f"{at:.3f} ({at - np.mean(list(vals.values())):+.3f} over the recipe)."
        )
    return out


def main(argv=None):
    from connpredict.model_selection import SPLITTERS

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", nargs="+", default=[f"{k}" for k in CLASSICAL])
    parser.add_argument(
        "--splits",
        nargs="+",
        default=["random", "spatial"],
        choices=list(SPLITTERS),
        help="splitters by name (connpredict.model_selection.SPLITTERS)",
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--folds", type=int, default=4, help="first N folds (neural rows only)"
    )
    parser.add_argument("--max-iter", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="neural: 10 epochs")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=None)
    parser.add_argument("--table", nargs="+", default=None)
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.list:
        print("\n".join(all_rows()))
        return
    if args.table:
        print(table(args.table))
        return
    if "CONNPREDICT_DATA" not in os.environ:
        raise SystemExit("set CONNPREDICT_DATA to a populated data home")
    run(args)


if __name__ == "__main__":
    main()

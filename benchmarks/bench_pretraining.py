"""Does self-supervised pretraining of the region encoder help? (benchmark)

SMT and pair MLP, without an encoder (``objective=none``) and with an encoder
pretrained by each objective of :class:`connpredict.models.RegionEncoder`,
under spatial 4-fold cross-validation (``SpatialSplit(4,
random_state=seed)``), for each seed, and in the low-label regime: the model
is fitted on a random ``fraction`` of each outer training fold's regions
(25 %, 50 %, 100 %), always scored on the held-out fold (test x test Pearson
r).

Pretraining protocol (``--protocol``):

``inductive`` (default)
    Each encoder is pretrained per outer fold on the expression of that
    fold's training regions (all of them, labelled or not: in the low-label
    regime the unlabelled training regions still give their expression). The
    test regions' expression is never seen before prediction.
``transductive``
    One encoder per seed pretrained on every region of the dataset,
    test regions included (expression is an input, never the target; this is
    what a user who pretrains on a whole atlas and then cross-validates gets).

``objective=random`` is the control: the same encoder untrained
(``max_iter=0``), frozen in the SMT; it separates the effect of pretraining
from that of freezing a random transformer.

``--nested`` adds the row ``objective=nested``: GridSearchCV over
``encoder in [None, each pretrained encoder]`` (and ``freeze in [False,
True]`` for the SMT) with an inner ``SpatialSplit(3)`` on the labelled
training regions, then refit; the chosen setting is recorded. The outer-fold
encoders are reused in the inner loop (they saw no labels and no outer test
region). ``--freeze`` adds frozen SMT rows. ``--region-position`` is a
further axis when ``SMTRegressor`` has that parameter (issue 23 item 2);
otherwise only ``xyz`` runs.

``--time-corpora`` instead pretrains one encoder per shipped table
(Schaefer-100 ... 400 with the 14 subcortical structures) and on all of them
pooled, and reports CPU seconds (with the load average).

Results go to ``benchmarks/results/bench_pretraining_<date>.csv`` (one row
per fit, appended as the run goes) and a summary table
``..._summary.md`` (mean +/- sd over seeds x folds, and the paired
difference from ``objective=none``).

Usage::

    CONNPREDICT_DATA=../shared/data OMP_NUM_THREADS=1 \
        python benchmarks/bench_pretraining.py [--datasets hcp-schaefer100 ...]
        [--seeds 0 1 2] [--fractions 1 0.5 0.25] [--models smt mlp]
        [--objectives none masked network jepa autoencode] [--nested]
        [--freeze] [--n-ensemble N] [--pretrain-iter 100] [--time-corpora]

The full grid (``--datasets hcp-schaefer100 hcp-schaefer200 hcp-schaefer300
hcp-schaefer400 --nested --freeze``) is hours of CPU; see the closing note of
issue 23 for what was run.
"""

import argparse
import datetime
import os
import sys
import time

import numpy as np
import pandas as pd

OBJECTIVES = ("none", "random", "masked", "network", "jepa", "autoencode")
_KEYS = [
    "dataset",
    "seed",
    "fold",
    "fraction",
    "model",
    "objective",
    "freeze",
    "region_position",
    "protocol",
]


def _loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def _estimator(model, args, seed, **params):
    from connpredict.models import PairMLPRegressor, SMTRegressor

    common = {"random_state": seed}
    if args.n_ensemble is not None:
        common["n_ensemble"] = args.n_ensemble
    if model == "smt":
        return SMTRegressor(**common, **params)
    params.pop("freeze", None)
    return PairMLPRegressor(**common, **params)


def _has_region_position():
    from connpredict.models import SMTRegressor

    return "region_position" in SMTRegressor().get_params()


def _pretrain(X, objective, seed, args):
    from connpredict.models import pretrain_region_encoder

    if objective == "random":  # control: the same encoder, untrained
        return pretrain_region_encoder(X, random_state=seed, max_iter=0)
    return pretrain_region_encoder(
        X, objective=objective, random_state=seed, max_iter=args.pretrain_iter
    )


def _append(path, row):
    frame = pd.DataFrame([row])
    frame.to_csv(path, mode="a", header=not os.path.exists(path), index=False)


def run_grid(args, out_csv):
    from sklearn.model_selection import GridSearchCV

    from connpredict.datasets import load_dataset
    from connpredict.model_selection import SpatialSplit

    positions = ["xyz"]
    if _has_region_position():
        positions = list(args.region_position)
    elif set(args.region_position) - {"xyz"}:
        print("SMTRegressor has no region_position parameter yet: xyz only.")
    objectives = [o for o in args.objectives if o in OBJECTIVES]
    done = set()
    if os.path.exists(out_csv):  # resume: skip the fits already written
        prev = pd.read_csv(out_csv)
        prev["freeze"] = prev["freeze"].fillna("-").astype(str)
        done = set(prev[_KEYS].astype(str).itertuples(index=False, name=None))
    for name in args.datasets:
        ds = load_dataset(name)
        X, Y = ds.X, ds.Y
        for seed in args.seeds:
            cv = SpatialSplit(n_splits=4, random_state=seed)
            full_encoders = {}
            for fold, (train, test) in enumerate(cv.split(X, Y)):
                encoders, pre_cpu = {}, {}
                for obj in objectives:
                    if obj == "none":
                        continue
                    if args.protocol == "transductive":
                        if obj not in full_encoders:
                            full_encoders[obj] = _pretrain(X, obj, seed, args)
                        enc = full_encoders[obj]
                    else:
                        enc = _pretrain(X.iloc[train], obj, seed, args)
                    encoders[obj] = enc
                    pre_cpu[obj] = enc.cpu_seconds_
                Xte, Yte = X.iloc[test], Y.iloc[test, test]
                for frac in args.fractions:
                    rng = np.random.RandomState([seed, fold, int(frac * 1000)])
                    n_lab = max(4, round(frac * len(train)))
                    lab = np.sort(rng.choice(train, size=n_lab, replace=False))
                    Xl, Yl = X.iloc[lab], Y.iloc[lab, lab]
                    for model in args.models:
                        for rp in positions:
                            extra = (
                                {}
                                if rp == "xyz" and not _has_region_position()
                                else {"region_position": rp}
                            )
                            cells = []
                            for obj in objectives:
                                freezes = [False]
                                if obj != "none" and model == "smt" and args.freeze:
                                    freezes = [False, True]
                                if obj == "random":
                                    # frozen only: fine-tuning it is training
                                    # from another random initialisation
                                    freezes = [True] if model == "smt" else [False]
                                for fr in freezes:
                                    enc = encoders.get(obj)
                                    cells.append(
                                        (
                                            obj,
                                            fr,
                                            _estimator(
                                                model,
                                                args,
                                                seed,
                                                encoder=enc,
                                                freeze=fr,
                                                **extra,
                                            ),
                                        )
                                    )
                            if args.nested and encoders:
                                grid = [{"encoder": [None]}]
                                encs = list(encoders.values())
                                if model == "smt":
                                    grid.append(
                                        {"encoder": encs, "freeze": [False, True]}
                                    )
                                else:
                                    grid.append({"encoder": encs})
                                search = GridSearchCV(
                                    _estimator(model, args, seed, **extra),
                                    grid,
                                    cv=SpatialSplit(n_splits=3, random_state=seed),
                                )
                                cells.append(("nested", None, search))
                            for obj, fr, est in cells:
                                key = (
                                    name,
                                    seed,
                                    fold,
                                    frac,
                                    model,
                                    obj,
                                    "-" if fr is None else fr,
                                    rp,
                                    args.protocol,
                                )
                                if tuple(str(k) for k in key) in done:
                                    continue
                                c0, t0 = time.process_time(), time.perf_counter()
                                est.fit(Xl, Yl)
                                r = float(est.score(Xte, Yte))
                                chosen = ""
                                if obj == "nested":
                                    enc = est.best_params_["encoder"]
                                    chosen = "none" if enc is None else enc.objective
                                    if "freeze" in est.best_params_:
                                        chosen += (
                                            f" freeze={est.best_params_['freeze']}"
                                        )
                                row = {
                                    "dataset": name,
                                    "seed": seed,
                                    "fold": fold,
                                    "fraction": frac,
                                    "n_labelled": n_lab,
                                    "model": model,
                                    "objective": obj,
                                    "freeze": fr,
                                    "region_position": rp,
                                    "protocol": args.protocol,
                                    "r": r,
                                    "fit_cpu_s": time.process_time() - c0,
                                    "fit_wall_s": time.perf_counter() - t0,
                                    "pretrain_cpu_s": pre_cpu.get(obj, np.nan),
                                    "chosen": chosen,
                                    "loadavg": _loadavg(),
                                }
                                _append(out_csv, row)
                                print(
                                    f"{name} seed={seed} fold={fold} frac={frac} "
                                    f"{model} {obj} freeze={fr} {rp}: r={r:.3f} "
                                    f"{chosen}",
                                    flush=True,
                                )


def summarise(csv, out_md):
    df = pd.read_csv(csv)
    df["freeze"] = df["freeze"].fillna("-").astype(str)
    keys = [
        "dataset",
        "protocol",
        "fraction",
        "model",
        "region_position",
        "objective",
        "freeze",
    ]
    g = df.groupby(keys)["r"]
    table = g.agg(["mean", "std", "count"]).reset_index()
    # paired difference from no pretraining, fold by fold
    base = df[df.objective == "none"].set_index(
        ["dataset", "protocol", "seed", "fold", "fraction", "model", "region_position"]
    )["r"]
    idx = [
        "dataset",
        "protocol",
        "seed",
        "fold",
        "fraction",
        "model",
        "region_position",
    ]
    diff = df.set_index(idx)["r"] - base.reindex(df.set_index(idx).index).to_numpy()
    df["delta"] = diff.to_numpy()
    d = df.groupby(keys)["delta"].agg(["mean", "std"]).reset_index()
    table = table.merge(d, on=keys, suffixes=("", "_delta"))
    lines = [
        f"# bench_pretraining ({os.path.basename(csv)})",
        "",
        "Test x test Pearson r on the held-out spatial fold, mean +/- sd over "
        "seeds x folds; delta = paired difference from objective=none.",
        "",
        "| dataset | protocol | fraction | model | position | objective | freeze "
        "| r (mean +/- sd) | delta vs none | n |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, row in table.iterrows():
        lines.append(
            f"| {row.dataset} | {row.protocol} | {row.fraction:g} | {row.model} | "
            f"{row.region_position} | {row.objective} | {row.freeze} | "
            f"{row['mean']:.3f} +/- {row['std']:.3f} | "
            f"{row['mean_delta']:+.3f} +/- {row['std_delta']:.3f} | "
            f"{int(row['count'])} |"
        )
    chosen = df[df.objective == "nested"]
    if len(chosen):
        lines += ["", "Nested choices:", ""]
        for (frac, model), sub in chosen.groupby(["fraction", "model"]):
            counts = sub["chosen"].value_counts().to_dict()
            lines.append(f"- fraction {frac:g}, {model}: {counts}")
    pre = df.dropna(subset=["pretrain_cpu_s"]).drop_duplicates(
        ["dataset", "seed", "fold", "objective"]
    )
    if len(pre):
        lines += ["", "Pretraining CPU seconds per outer fold (mean):", ""]
        for obj, sub in pre.groupby("objective"):
            lines.append(f"- {obj}: {sub['pretrain_cpu_s'].mean():.1f} s")
    lines += ["", f"Load average at the end: {_loadavg()}", ""]
    with open(out_md, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


def time_corpora(args, out_csv):
    from connpredict.datasets import load_dataset

    tables = {}
    for name in (
        "hcp-schaefer100",
        "hcp-schaefer200",
        "hcp-schaefer300",
        "hcp-schaefer400",
    ):
        tables[name] = load_dataset(name).X
    corpora = dict(tables)
    corpora["all pooled (275 common genes)"] = list(tables.values())
    for obj in [o for o in args.objectives if o != "none"]:
        for name, X in corpora.items():
            enc = _pretrain(X, obj, 0, args)
            row = {
                "corpus": name,
                "objective": obj,
                "regions": sum(enc.corpus_sizes_),
                "genes": enc.n_genes_,
                "epochs": len(enc.history_),
                "cpu_s": enc.cpu_seconds_,
                "wall_s": enc.fit_seconds_,
                "loadavg": _loadavg(),
            }
            _append(out_csv, row)
            print(row, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["hcp-schaefer100"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--fractions", nargs="+", type=float, default=[1.0, 0.5, 0.25])
    parser.add_argument("--models", nargs="+", default=["smt", "mlp"])
    parser.add_argument("--objectives", nargs="+", default=list(OBJECTIVES))
    parser.add_argument("--region-position", nargs="+", default=["xyz"])
    parser.add_argument(
        "--protocol", default="inductive", choices=["inductive", "transductive"]
    )
    parser.add_argument("--nested", action="store_true")
    parser.add_argument("--freeze", action="store_true")
    parser.add_argument(
        "--n-ensemble",
        type=int,
        default=None,
        help="ensemble size of both models (default: theirs, 5)",
    )
    parser.add_argument("--pretrain-iter", type=int, default=100)
    parser.add_argument("--time-corpora", action="store_true")
    parser.add_argument("--summarise", default=None, help="only summarise this CSV")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if "CONNPREDICT_DATA" not in os.environ:
        sys.exit("Set CONNPREDICT_DATA to the data home (e.g. ../shared/data).")
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    os.makedirs(here, exist_ok=True)
    stamp = datetime.date.today().isoformat()
    if args.summarise:
        summarise(args.summarise, args.summarise.replace(".csv", "_summary.md"))
        return
    if args.time_corpora:
        out = args.out or os.path.join(here, f"bench_pretraining_corpora_{stamp}.csv")
        time_corpora(args, out)
        return
    out = args.out or os.path.join(here, f"bench_pretraining_{stamp}.csv")
    run_grid(args, out)
    summarise(out, out.replace(".csv", "_summary.md"))


if __name__ == "__main__":
    main()

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
``shipped``
    The shipped encoder ``--encoder NAME`` (``connpredict.pretrained.
    load_model``) in every fold and seed, under its own objective (give
    ``--objectives none OBJECTIVE``). It was pretrained on every region of
    its dataset, so on that dataset this is transductive too (one fixed
    encoder, seed 0, rather than one per seed).

``objective=random`` is the control: the same encoder untrained
(``max_iter=0``), frozen in the SMT; it separates the effect of pretraining
from that of freezing a random transformer.

``--nested`` adds the row ``objective=nested``: one GridSearchCV over every
candidate at once, ``encoder in [None, each pretrained encoder]`` (x
``freeze in [False, True]`` for the SMT) x ``region_position in
--region-position``, with an inner ``SpatialSplit(3)`` on the labelled
training regions, then refit; the chosen setting is recorded per outer fold
and, when several positions compete, the row has ``region_position=nested``
and is compared with the fixed default (no encoder, ``xyz``) on the same
folds. The outer-fold encoders are reused in the inner loop (they saw no
labels and no outer test region). ``--freeze`` adds frozen SMT rows;
``--region-position`` (``xyz``, ``gradients``, ``both``; gradients from the
estimators' default reference, the MPI-LEMON FC) is a further axis.

``--time-corpora`` instead pretrains one encoder per shipped table
(Schaefer-100 ... 400 with the 14 subcortical structures) and on all of them
pooled, and reports CPU seconds (with the load average).

Results go to ``benchmarks/results/bench_pretraining_<date>.csv`` (or
``--out``; one row per fit, appended as the run goes; a rerun resumes, and
``--done`` names earlier CSVs whose fits are not redone) and a summary table
``..._summary.md`` (mean +/- sd over seeds x folds, the paired difference
from ``objective=none`` and from ``xyz``, with the folds better).

Usage::

    CONNPREDICT_DATA=../shared/data OMP_NUM_THREADS=1 \
        python benchmarks/bench_pretraining.py [--datasets hcp-schaefer100 ...]
        [--seeds 0 1 2] [--fractions 1 0.5 0.25] [--models smt mlp]
        [--objectives none masked network jepa autoencode] [--nested]
        [--freeze] [--region-position xyz both] [--n-ensemble N]
        [--pretrain-iter 100] [--time-corpora] [--done earlier.csv ...]
        [--protocol shipped --encoder encoder-masked-schaefer400]
    python benchmarks/bench_pretraining.py --summarise a.csv b.csv [--out t.md]

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
    # the pair MLP's rows use the encoder's embeddings as fixed features
    # (freeze=True; PairMLPRegressor fine-tunes by default since it has freeze)
    params["freeze"] = True
    return PairMLPRegressor(**common, **params)


def _pretrain(X, objective, seed, args):
    from connpredict.models import pretrain_region_encoder

    if objective == "random":  # control: the same encoder, untrained
        return pretrain_region_encoder(X, random_state=seed, max_iter=0)
    return pretrain_region_encoder(
        X, objective=objective, random_state=seed, max_iter=args.pretrain_iter
    )


def _encoder(obj, X, train, seed, encoders, pre_cpu, full_encoders, args):
    """The encoder of ``obj`` for one outer fold, pretrained on first use.

    A resumed run then pretrains only the encoders its missing rows need.
    """
    if obj == "none":
        return None
    if obj not in encoders:
        if args.protocol == "shipped":
            encoders[obj] = _shipped(args.encoder, obj)
        elif args.protocol == "transductive":
            if obj not in full_encoders:
                full_encoders[obj] = _pretrain(X, obj, seed, args)
            encoders[obj] = full_encoders[obj]
        else:
            encoders[obj] = _pretrain(X.iloc[train], obj, seed, args)
        pre_cpu[obj] = encoders[obj].cpu_seconds_
    return encoders[obj]


def _shipped(name, obj):
    from connpredict.pretrained import load_model

    if name is None:
        sys.exit("--protocol shipped needs --encoder NAME (a shipped encoder).")
    enc = load_model(name)
    if getattr(enc, "objective", None) != obj:
        sys.exit(
            f"--encoder {name} is a {getattr(enc, 'objective', type(enc).__name__)}"
            f" encoder; give --objectives none {getattr(enc, 'objective', '')}."
        )
    return enc


def _append(path, row):
    frame = pd.DataFrame([row])
    frame.to_csv(path, mode="a", header=not os.path.exists(path), index=False)


def run_grid(args, out_csv):
    from sklearn.model_selection import GridSearchCV

    from connpredict.datasets import load_dataset
    from connpredict.model_selection import SpatialSplit

    positions = list(args.region_position)
    objectives = [o for o in args.objectives if o in OBJECTIVES]
    done = set()
    # resume: skip the fits already written here or in --done files (runs are
    # deterministic under the seed, so a fit in another file is not redone)
    for path in [out_csv, *args.done]:
        if os.path.exists(path):
            prev = pd.read_csv(path)
            prev["freeze"] = prev["freeze"].fillna("-").astype(str)
            done |= set(prev[_KEYS].astype(str).itertuples(index=False, name=None))
    for name in args.datasets:
        ds = load_dataset(name)
        X, Y = ds.X, ds.Y
        for seed in args.seeds:
            cv = SpatialSplit(n_splits=4, random_state=seed)
            full_encoders = {}
            for fold, (train, test) in enumerate(cv.split(X, Y)):
                encoders, pre_cpu = {}, {}

                def encoder(
                    obj, fold_data=(X, train, seed, encoders, pre_cpu, full_encoders)
                ):
                    return _encoder(obj, *fold_data, args)

                Xte, Yte = X.iloc[test], Y.iloc[test, test]
                for frac in args.fractions:
                    rng = np.random.RandomState([seed, fold, int(frac * 1000)])
                    n_lab = max(4, round(frac * len(train)))
                    lab = np.sort(rng.choice(train, size=n_lab, replace=False))
                    Xl, Yl = X.iloc[lab], Y.iloc[lab, lab]
                    for model in args.models:
                        cells = []
                        for rp in positions:
                            for obj in objectives:
                                freezes = [model == "mlp" and obj != "none"]
                                if obj != "none" and model == "smt" and args.freeze:
                                    freezes = [False, True]
                                if obj == "random":
                                    # frozen only: fine-tuning it is training
                                    # from another random initialisation
                                    freezes = [True]
                                for fr in freezes:
                                    cells.append((obj, fr, rp))
                        nested_objs = [
                            o for o in objectives if o not in ("none", "random")
                        ]
                        if args.nested and nested_objs:
                            # one inner search over every candidate at once:
                            # encoder (and freeze for the SMT) x position
                            cells.append(
                                (
                                    "nested",
                                    None,
                                    "nested" if len(positions) > 1 else positions[0],
                                )
                            )
                        for obj, fr, rp in cells:
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
                            if obj == "nested":
                                encs = [encoder(o) for o in nested_objs]
                                rps = {"region_position": positions}
                                grid = [{"encoder": [None], **rps}]
                                if model == "smt":
                                    grid.append(
                                        {
                                            "encoder": encs,
                                            "freeze": [False, True],
                                            **rps,
                                        }
                                    )
                                else:
                                    grid.append({"encoder": encs, **rps})
                                est = GridSearchCV(
                                    _estimator(model, args, seed),
                                    grid,
                                    cv=SpatialSplit(n_splits=3, random_state=seed),
                                )
                            else:
                                est = _estimator(
                                    model,
                                    args,
                                    seed,
                                    encoder=encoder(obj),
                                    freeze=fr,
                                    region_position=rp,
                                )
                            c0, t0 = time.process_time(), time.perf_counter()
                            est.fit(Xl, Yl)
                            r = float(est.score(Xte, Yte))
                            chosen = ""
                            if obj == "nested":
                                best = est.best_params_
                                enc = best["encoder"]
                                chosen = "none" if enc is None else enc.objective
                                if enc is not None and "freeze" in best:
                                    chosen += " frozen" if best["freeze"] else " tuned"
                                chosen += f" {best['region_position']}"
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


def _paired(df, base_mask, keys, match):
    """Per-row difference from the baseline row of the same fold.

    ``match`` maps a column to the baseline value it takes instead of the
    row's own (e.g. ``{"region_position": "xyz"}``); the other ``keys`` must
    be equal.
    """
    base = df[base_mask].set_index(keys)["r"]
    base = base[~base.index.duplicated()]
    look = df[keys].copy()
    for col, fn in match.items():
        look[col] = look.apply(fn, axis=1)
    idx = pd.MultiIndex.from_frame(look)
    return df["r"].to_numpy() - base.reindex(idx).to_numpy()


def summarise(csvs, out_md):
    df = pd.concat([pd.read_csv(c) for c in csvs], ignore_index=True)
    df["freeze"] = df["freeze"].fillna("-").astype(str)
    df["chosen"] = df["chosen"].astype(object).fillna("")
    # the same fit may sit in two files (a baseline rerun beside a new axis);
    # runs are deterministic, so keep the first
    df = df.drop_duplicates(_KEYS).reset_index(drop=True)
    keys = [
        "dataset",
        "protocol",
        "fraction",
        "model",
        "region_position",
        "objective",
        "freeze",
    ]
    fold = ["dataset", "protocol", "seed", "fold", "fraction", "model"]
    # vs no encoder at the same position; the nested choice (which also
    # chooses the position) against the fixed default: no encoder, xyz
    df["d_none"] = _paired(
        df,
        df.objective == "none",
        [*fold, "region_position"],
        {
            "region_position": lambda r: (
                "xyz" if r.region_position == "nested" else r.region_position
            )
        },
    )
    # vs xyz with the same encoder and freeze
    df["d_xyz"] = _paired(
        df,
        df.region_position == "xyz",
        [*fold, "objective", "freeze", "region_position"],
        {"region_position": lambda r: "xyz"},
    )
    df.loc[df.region_position.isin(["xyz", "nested"]), "d_xyz"] = np.nan

    def stat(x):
        x = x.dropna()
        if not len(x):
            return ""
        return f"{x.mean():+.3f} +/- {x.std():.3f} ({int((x > 0).sum())}/{len(x)})"

    lines = [
        f"# bench_pretraining ({', '.join(os.path.basename(c) for c in csvs)})",
        "",
        "Test x test Pearson r on the held-out spatial fold, mean +/- sd over "
        "seeds x folds. Paired differences, mean +/- sd (folds better / "
        "folds): vs none = from no encoder at the same position (the nested "
        "choice over positions: from no encoder at xyz, the default); vs xyz "
        "= from xyz with the same encoder and freeze.",
        "",
        "| dataset | protocol | fraction | model | position | objective | freeze "
        "| r (mean +/- sd) | vs none | vs xyz | n |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for k, sub in df.groupby(keys):
        dname, prot, frac, model, rp, obj, fr = k
        lines.append(
            f"| {dname} | {prot} | {frac:g} | {model} | {rp} | {obj} | {fr} | "
            f"{sub.r.mean():.3f} +/- {sub.r.std():.3f} | "
            f"{'' if obj == 'none' and rp != 'nested' else stat(sub.d_none)} | "
            f"{stat(sub.d_xyz)} | {len(sub)} |"
        )
    chosen = df[df.objective == "nested"]
    if len(chosen):
        lines += ["", "Nested choices (per outer fold):", ""]
        for (dname, frac, model), sub in chosen.groupby(
            ["dataset", "fraction", "model"]
        ):
            per = ", ".join(
                f"s{s}f{f}: {c}" for s, f, c in zip(sub.seed, sub.fold, sub.chosen)
            )
            lines.append(f"- {dname}, fraction {frac:g}, {model}: {per}")
    pre = df.dropna(subset=["pretrain_cpu_s"]).drop_duplicates(
        ["dataset", "seed", "fold", "objective"]
    )
    if len(pre):
        lines += ["", "Pretraining CPU seconds per outer fold (mean):", ""]
        for (dname, obj), sub in pre.groupby(["dataset", "objective"]):
            lines.append(f"- {dname} {obj}: {sub['pretrain_cpu_s'].mean():.1f} s")
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
        "--protocol",
        default="inductive",
        choices=["inductive", "transductive", "shipped"],
    )
    parser.add_argument(
        "--encoder",
        default=None,
        help="a shipped encoder (connpredict.pretrained.list_models()), "
        "for --protocol shipped",
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
    parser.add_argument(
        "--done",
        nargs="+",
        default=[],
        help="CSVs of earlier runs: fits found there are skipped (summarise "
        "them together with --summarise)",
    )
    parser.add_argument(
        "--summarise",
        nargs="+",
        default=None,
        help="only summarise these CSVs (pooled; the table goes beside the first)",
    )
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if "CONNPREDICT_DATA" not in os.environ:
        sys.exit("Set CONNPREDICT_DATA to the data home (e.g. ../shared/data).")
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    os.makedirs(here, exist_ok=True)
    stamp = datetime.date.today().isoformat()
    if args.summarise:
        out = args.out or args.summarise[0].replace(".csv", "_summary.md")
        summarise(args.summarise, out)
        return
    if args.time_corpora:
        out = args.out or os.path.join(here, f"bench_pretraining_corpora_{stamp}.csv")
        time_corpora(args, out)
        return
    out = args.out or os.path.join(here, f"bench_pretraining_{stamp}.csv")
    run_grid(args, out)
    summarise([out], out.replace(".csv", "_summary.md"))


if __name__ == "__main__":
    main()

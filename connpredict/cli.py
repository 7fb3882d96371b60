"""The ``connpredict`` command.

``connpredict run`` fits models under cross-validation on a dataset (the
embedded synthetic one by default), prints a per-fold metrics table and writes
a results folder. ``connpredict datasets`` lists datasets and whether their
files are cached.
"""

import argparse
import datetime
import json
import logging
import sys
import time
from pathlib import Path

from connpredict.metrics._names import SUMMARY_METRICS
from connpredict.models._registry import DEFAULT_CLI_MODELS, cli_models

_EXIT_USAGE = 2

# short name -> (class name in connpredict, constructor kwargs, kwargs under
# --quick), from the model registry (connpredict/models/_registry.py)
MODELS = {
    name: (spec.name, spec.params, spec.quick_params)
    for name, spec in cli_models().items()
}
DEFAULT_MODELS = DEFAULT_CLI_MODELS
CV_NAMES = ("spatial", "random")
# the metrics shown in the printed table (all metrics go to results.csv)
SHOWN_METRICS = tuple(m for m in SUMMARY_METRICS if m != "geodesic_distance")


class UsageError(Exception):
    """A bad option or input: reported in one line with exit code 2."""


def _available_models():
    import connpredict.models as models

    return [name for name, (cls, _, _) in MODELS.items() if cls in models.__all__]


def _make_model(name, *, quick, random_state, device="cpu"):
    import connpredict.models as models

    if name not in MODELS:
        raise UsageError(
            f"unknown model {name!r}; choose from {', '.join(_available_models())}"
        )
    cls_name, kwargs, quick_kwargs = MODELS[name]
    if cls_name not in models.__all__:
        raise UsageError(
            f"model {name!r} ({cls_name}) is not available in this version; choose "
            f"from {', '.join(_available_models())}"
        )
    cls = getattr(models, cls_name)
    params = dict(kwargs)
    if quick:
        params.update(quick_kwargs)
    defaults = cls().get_params()
    if "random_state" in defaults:
        params["random_state"] = random_state
    if "device" in defaults:
        params["device"] = device
    return cls(**params)


def _make_cv(name, n_splits, seed):
    from connpredict.model_selection import RandomSplit, SpatialSplit

    if name == "spatial":
        return SpatialSplit(n_splits=n_splits, random_state=seed)
    if name == "random":
        return RandomSplit(n_splits=n_splits, random_state=seed)
    raise UsageError(f"unknown cv {name!r}; choose from {', '.join(CV_NAMES)}")


def _load_config(path):
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            config = yaml.safe_load(fh) or {}
    except OSError as exc:
        raise UsageError(f"cannot read config file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"config file {path} is not valid YAML: {exc}") from None
    if not isinstance(config, dict):
        raise UsageError(f"config file {path} must hold a mapping of options")
    return {str(k).replace("-", "_"): v for k, v in config.items()}


def _as_list(value):
    if value is None:
        return None
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


def _resolve_run_config(args):
    config = {
        "dataset": "synthetic",
        "models": list(DEFAULT_MODELS),
        "cv": list(CV_NAMES),
        "n_splits": 4,
        "seeds": [0],
        "quick": False,
        "n_jobs": 1,
        "device": "cpu",
        "null": None,
        "n_permutations": 100,
        "output": None,
    }
    if args.config:
        file_config = _load_config(args.config)
        unknown = set(file_config) - set(config)
        if unknown:
            raise UsageError(
                f"unknown option(s) {', '.join(sorted(unknown))} in {args.config}; "
                f"allowed: {', '.join(sorted(config))}"
            )
        config.update(file_config)
    for key in config:
        value = getattr(args, key, None)
        if value is not None:
            config[key] = value
    config["models"] = _as_list(config["models"])
    config["cv"] = _as_list(config["cv"])
    config["seeds"] = [int(s) for s in _as_list(config["seeds"])]
    config["n_splits"] = int(config["n_splits"])
    if config["null"] is None:  # default: spin-test the bilinear model when it runs
        config["null"] = ["bilinear"] if "bilinear" in config["models"] else []
    config["null"] = [m for m in _as_list(config["null"]) if m != "none"]
    config["n_permutations"] = int(config["n_permutations"])
    if config["n_permutations"] < 1:
        raise UsageError("--n-permutations must be at least 1")
    if config["n_splits"] < 2:
        raise UsageError("--n-splits must be at least 2")
    for cv in config["cv"]:
        if cv not in CV_NAMES:
            raise UsageError(f"unknown cv {cv!r}; choose from {', '.join(CV_NAMES)}")
    available = _available_models()
    for model in config["models"]:
        if model not in MODELS:
            raise UsageError(
                f"unknown model {model!r}; choose from {', '.join(available)}"
            )
    if args.models is None and not args.config:
        config["models"] = [m for m in config["models"] if m in available]
    for model in config["null"]:
        if model not in config["models"]:
            raise UsageError(
                f"--null model {model!r} is not among --models "
                f"({', '.join(config['models'])}); add it there or pass --null none"
            )
    missing = [m for m in config["models"] if m not in available]
    if missing:
        raise UsageError(
            f"model(s) {', '.join(missing)} not available in this version; choose "
            f"from {', '.join(available)}"
        )
    return config


def _fold_metrics(Y, test_labels, prediction, regions):
    from connpredict.metrics import evaluate

    Y_true = Y.loc[test_labels, test_labels]
    return evaluate(Y_true, prediction, regions=regions.loc[test_labels])


def run(config, *, log=print):
    """Run the main job described by ``config``.

    Parameters
    ----------
    config : dict
        Resolved options (see ``connpredict run --help``).
    log : callable, default=print
        Receives progress lines.

    Returns
    -------
    out : dict of DataFrame
        ``results`` (one row per model x split x seed x fold x metric),
        ``folds`` (test fold of every region per split and seed),
        ``predictions`` (true and predicted value of every test x test
        region pair) and ``nulls`` (spin-test null scores; empty without
        ``--null``).
    """
    import pandas as pd
    from joblib import Parallel, delayed

    from connpredict.datasets import load_dataset

    try:
        ds = load_dataset(config["dataset"])
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"dataset {config['dataset']!r} unavailable: {exc}") from None
    X, Y, regions = ds.X, ds.Y, ds.regions
    log(f"dataset {config['dataset']}: {X.shape[0]} regions, {X.shape[1] - 3} genes")
    rows, fold_rows, pred_frames = [], [], []
    for cv_name in config["cv"]:
        for seed in config["seeds"]:
            cv = _make_cv(cv_name, config["n_splits"], seed)
            splits = list(cv.split(X, Y))
            for fold, (_, test) in enumerate(splits):
                fold_rows.extend(
                    {"split": cv_name, "seed": seed, "region": lab, "fold": fold}
                    for lab in X.index[test]
                )
            for model_name in config["models"]:
                model = _make_model(
                    model_name,
                    quick=config["quick"],
                    random_state=seed,
                    device=config["device"],
                )
                outcomes = Parallel(n_jobs=config["n_jobs"])(
                    delayed(_fit_fold)(model, X, Y, regions, train, test)
                    for train, test in splits
                )
                keys = {"model": model_name, "split": cv_name, "seed": seed}
                for fold, (metrics, seconds, pairs) in enumerate(outcomes):
                    rows.extend(
                        dict(keys, fold=fold, metric=key, value=float(value))
                        for key, value in metrics.items()
                    )
                    pred_frames.append(pairs.assign(**keys, fold=fold))
                    log(
                        f"{cv_name:>8} seed {seed} fold {fold} {model_name:>9}: "
                        f"r = {metrics['pearson_r']:.3f} ({seconds:.1f} s)"
                    )
    nulls = _run_nulls(config, ds, log)
    return {
        "results": pd.DataFrame(rows),
        "folds": pd.DataFrame(fold_rows),
        "predictions": pd.concat(pred_frames, ignore_index=True),
        "nulls": nulls,
    }


def _fit_fold(model, X, Y, regions, train, test):
    import numpy as np
    import pandas as pd
    from sklearn.base import clone

    from connpredict.utils import pair_indices

    start = time.perf_counter()
    est = clone(model).fit(X.iloc[train], Y.iloc[train])
    pred = est.predict(X.iloc[test])
    seconds = time.perf_counter() - start
    labels = X.index[test]
    metrics = _fold_metrics(Y, labels, pred, regions)
    metrics["fit_predict_seconds"] = seconds
    i, j = pair_indices(len(labels))
    pairs = pd.DataFrame(
        {
            "region_i": labels[i],
            "region_j": labels[j],
            "y_true": Y.loc[labels, labels].to_numpy()[i, j],
            "y_pred": np.asarray(pred, dtype=float)[i, j],
        }
    )
    return metrics, seconds, pairs


def _run_nulls(config, ds, log):
    """Spin test of each ``--null`` model under the first cv and seed."""
    import pandas as pd

    from connpredict.nulls import spin_test

    frames = []
    for model_name in config["null"]:
        cv_name, seed = config["cv"][0], config["seeds"][0]
        n_perm = (
            min(config["n_permutations"], 20)
            if config["quick"]
            else (config["n_permutations"])
        )
        log(
            f"spin test of {model_name} ({cv_name} cv, {n_perm} permutations, "
            "gene expression spun on the sphere)"
        )
        model = _make_model(
            model_name,
            quick=config["quick"],
            random_state=seed,
            device=config["device"],
        )
        start = time.perf_counter()
        result = spin_test(
            model,
            ds.X,
            ds.Y,
            cv=_make_cv(cv_name, config["n_splits"], seed),
            regions=ds.regions,
            n_permutations=n_perm,
            n_jobs=config["n_jobs"],
            random_state=seed,
        )
        log(
            f"spin test of {model_name}: r = {result.score:.3f}, null mean "
            f"{result.null_scores.mean():.3f}, p = {result.pvalue:.4f} "
            f"({time.perf_counter() - start:.1f} s)"
        )
        frames.append(
            pd.DataFrame(
                {
                    "model": model_name,
                    "split": cv_name,
                    "seed": seed,
                    "method": result.method,
                    "scoring": result.scoring,
                    "score": result.score,
                    "null_score": result.null_scores,
                    "pvalue": result.pvalue,
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=[
                "model",
                "split",
                "seed",
                "method",
                "scoring",
                "score",
                "null_score",
                "pvalue",
            ]
        )
    return pd.concat(frames, ignore_index=True)


def _format_table(results):
    shown = results[results["metric"].isin(SHOWN_METRICS)]
    table = shown.pivot_table(
        index=["split", "model", "seed", "fold"], columns="metric", values="value"
    )
    table = table[[m for m in SHOWN_METRICS if m in table.columns]]
    summary = shown.groupby(["split", "model", "metric"])["value"].agg(["mean", "std"])
    summary = (
        summary["mean"].map("{:.3f}".format)
        + " ± "
        + summary["std"].map("{:.3f}".format)
    )
    summary = summary.unstack("metric")[
        [m for m in SHOWN_METRICS if m in table.columns]
    ]
    return (
        "Per-fold test metrics (test x test region pairs)\n"
        + table.to_string(float_format=lambda v: f"{v:.3f}")
        + "\n\nMean ± sd over folds and seeds\n"
        + summary.to_string()
    )


def _default_output():
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(f"connpredict_results_{stamp}")


def _cmd_run(args):
    config = _resolve_run_config(args)
    out = Path(config["output"]) if config["output"] else _default_output()
    if out.exists() and any(out.iterdir()):
        raise UsageError(
            f"output folder {out} exists and is not empty; pass another --output"
        )
    start = time.perf_counter()
    log = print if not args.silent else (lambda *a, **k: None)
    tables = run(config, log=log)
    elapsed = time.perf_counter() - start
    out.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        if name == "nulls" and table.empty:
            continue
        table.to_csv(out / f"{name}.csv", index=False)
    saved = dict(config, output=str(out), elapsed_seconds=round(elapsed, 2))
    (out / "config.json").write_text(json.dumps(saved, indent=2) + "\n")
    print(_format_table(tables["results"]))
    if not tables["nulls"].empty:
        summary = (
            tables["nulls"]
            .groupby("model")
            .agg(
                r=("score", "first"),
                null_mean=("null_score", "mean"),
                p=("pvalue", "first"),
                n=("null_score", "size"),
            )
        )
        print("\nSpin test (genes spun, coordinates and Y fixed)")
        print(summary.to_string(float_format=lambda v: f"{v:.4f}"))
    report = _write_report(out, log)
    print(f"\nResults written to {out}/ ({elapsed:.1f} s)")
    if report is not None:
        print(f"Report: {report}")
    return 0


def _write_report(out, log):
    from connpredict.report import build_report

    try:
        return build_report(out)
    except Exception as exc:  # the results are saved; a report failure is not fatal
        log(f"warning: the HTML report could not be built: {exc}")
        logging.getLogger(__name__).debug("report failure", exc_info=True)
        return None


def _cmd_report(args):
    from connpredict.report import build_report

    try:
        path = build_report(args.results_dir)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    print(f"Report: {path}")
    return 0


def _cmd_datasets(args):
    from connpredict.datasets import dataset_files, dataset_names, get_data_home
    from connpredict.datasets._fetch import _sha256
    from connpredict.datasets._registry import CHECKSUMS

    home = get_data_home(args.data_home)
    print(f"data home: {home}")
    for name in dataset_names():
        files = dataset_files(name)
        if not files:
            status = "embedded (no download)"
        else:
            ok = [
                (home / f).exists() and _sha256(home / f) == CHECKSUMS[f] for f in files
            ]
            status = "cached" if all(ok) else f"{sum(ok)}/{len(ok)} files cached"
        print(f"  {name:<18} {status}")
    return 0


def build_parser():
    """Return the argument parser of the ``connpredict`` command."""
    parser = argparse.ArgumentParser(
        prog="connpredict",
        description="Predict brain connectivity from gene expression and space.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    sub = parser.add_subparsers(dest="command")
    p_run = sub.add_parser(
        "run",
        help="fit models under cross-validation and write a results folder",
        description="Fit models under spatial and random cross-validation on a "
        "dataset (default: the embedded synthetic one), print a per-fold metrics "
        "table and write results.csv, folds.csv, predictions.csv, nulls.csv, "
        "config.json and report.html.",
    )
    p_run.add_argument("--dataset", help="dataset name (default: synthetic)")
    p_run.add_argument(
        "--models", type=_as_list, help=f"comma-separated, from {', '.join(MODELS)}"
    )
    p_run.add_argument("--cv", type=_as_list, help="comma-separated: spatial,random")
    p_run.add_argument("--n-splits", type=int, dest="n_splits", help="folds (4)")
    p_run.add_argument("--seeds", type=_as_list, help="comma-separated seeds (0)")
    p_run.add_argument("--n-jobs", type=int, dest="n_jobs", help="parallel jobs")
    p_run.add_argument("--device", help="torch device of neural models (cpu)")
    p_run.add_argument(
        "--null",
        type=_as_list,
        help="models to spin-test (default: bilinear; 'none' to skip)",
    )
    p_run.add_argument(
        "--n-permutations",
        type=int,
        dest="n_permutations",
        help="spin permutations (100)",
    )
    p_run.add_argument("--output", help="results folder (default: timestamped)")
    p_run.add_argument("--config", help="YAML file with the same options")
    p_run.add_argument(
        "--quick", action="store_const", const=True, help="smoke-test settings"
    )
    p_run.add_argument("--silent", action="store_true", help="no progress lines")
    p_run.set_defaults(func=_cmd_run)
    p_rep = sub.add_parser("report", help="rebuild report.html of a results folder")
    p_rep.add_argument("results_dir", help="folder written by `connpredict run`")
    p_rep.set_defaults(func=_cmd_report)
    p_ds = sub.add_parser("datasets", help="list datasets and whether they are cached")
    p_ds.add_argument("--data-home", dest="data_home", help="data home folder")
    p_ds.set_defaults(func=_cmd_datasets)
    return parser


def main(argv=None):
    """Entry point of the ``connpredict`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help()
        return _EXIT_USAGE
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"connpredict: error: {exc}", file=sys.stderr)
        return _EXIT_USAGE
    except KeyboardInterrupt:
        print("connpredict: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

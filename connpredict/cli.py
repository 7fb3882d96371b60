"""The ``connpredict`` command.

``connpredict run`` parses its options (flags and an optional YAML file),
calls :func:`connpredict.run_experiment`, prints the metrics table and saves
the results folder with its report. ``connpredict report`` rebuilds a
report; ``connpredict datasets`` lists datasets and whether they are cached.
"""

import argparse
import datetime
import logging
import sys
import time
from pathlib import Path

_EXIT_USAGE = 2
_EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A bad option or input: reported in one line with exit code 2."""


def resolve_run_options(args):
    """Options of ``connpredict run``: defaults < YAML file < flags, validated."""
    from connpredict.experiment._options import OPTIONS, read_config, resolve_options

    try:
        file_config = read_config(args.config) if args.config else {}
        flags = {
            k: getattr(args, k) for k in OPTIONS if getattr(args, k, None) is not None
        }
        return resolve_options(file_config, flags)
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


def _dataset(config):
    if not config["expression"]:
        return config["dataset"] or "synthetic"
    from connpredict.experiment._files import load_user_dataset

    try:
        return load_user_dataset(
            config["expression"], config["connectome"], config["regions"]
        )
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(" ".join(str(exc).split())) from None


def _cmd_run(args):
    from connpredict.experiment import check_output_dir, run_experiment

    start = time.perf_counter()
    config = resolve_run_options(args)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(config["output"] or f"connpredict_results_{stamp}")
    dataset = _dataset(config)
    try:
        check_output_dir(out, overwrite=config["overwrite"])
        result = run_experiment(
            dataset,
            config["models"],
            **{k: config[k] for k in ("cv", "n_splits", "seeds", "null", "n_jobs")},
            **{k: config[k] for k in ("n_permutations", "device", "quick")},
            progress=not args.silent,
        )
        if not isinstance(dataset, str):
            result.config["dataset"] = None  # the files are recorded instead
        extra = {
            k: config[k] for k in ("expression", "connectome", "regions") if config[k]
        }
        print(result.summary())
        folder = result.save(
            out, overwrite=config["overwrite"], report=not args.no_report, config=extra
        )
    except (ValueError, TypeError) as exc:
        raise UsageError(" ".join(str(exc).split())) from None
    seconds = time.perf_counter() - start
    print(
        f"\nResults written to {folder}/ ({seconds:.1f} s in all; fitting "
        f"{result.config['elapsed_seconds']:.1f} s)"
    )
    if (folder / "report.html").exists():
        print(f"Report: {folder / 'report.html'}")
    return 0


def _cmd_report(args):
    from connpredict.report import build_report

    try:
        path = build_report(args.results_dir)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    print(f"Report: {path}")
    return 0


def _cmd_datasets(args):
    from connpredict.datasets import cache_status, get_data_home

    print(f"data home: {get_data_home(args.data_home)}")
    for name, row in cache_status(args.data_home).iterrows():
        status = row["status"]
        if status not in ("embedded", "cached"):
            status = f"{status}: {row['n_cached']}/{row['n_files']} files cached"
        print(f"  {name:<18} {status:<32} {row['summary']}")
    return 0


def _cmd_predict(args):
    import warnings

    import pandas as pd

    from connpredict.experiment import check_output_dir
    from connpredict.experiment._files import read_table_or_array
    from connpredict.pretrained import (
        combine_inputs,
        load_model,
        predict_connectome,
        write_prediction,
    )
    from connpredict.pretrained._align import gene_coverage
    from connpredict.utils._units import connectivity_label

    try:
        check_output_dir(args.output, overwrite=args.overwrite)
        expr = read_table_or_array(args.expression, what="--expression")
        regions = read_table_or_array(args.regions, what="--regions")
        if not all(isinstance(t, pd.DataFrame) for t in (expr, regions)):
            raise ValueError("--expression and --regions must be labelled CSV/TSV.")
        X = combine_inputs(expr, regions)
        model = load_model(args.model)
        measured = None
        if args.connectome:
            measured = read_table_or_array(args.connectome, what="--connectome")
            if not isinstance(measured, pd.DataFrame):
                raise ValueError("--connectome must be a labelled square CSV/TSV.")
            measured.index = measured.index.astype(str)
            measured.columns = measured.columns.astype(str)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            Y = predict_connectome(model, X, min_coverage=args.min_coverage)
        notes = [str(w.message) for w in caught]
        for note in notes:
            print(f"connpredict: warning: {note}", file=sys.stderr)
        paths = write_prediction(
            Y,
            X,
            args.output,
            model_name=args.model,
            notes=notes,
            overwrite=args.overwrite,
            # every shipped model was trained on the HCP group FC
            units=connectivity_label("fc"),
            coverage=gene_coverage(model, X),
            measured=measured,
        )
    except (ValueError, TypeError) as exc:
        raise UsageError(" ".join(str(exc).split())) from None
    print(f"Predicted {len(Y)} regions with {args.model}: {paths['connectome']}")
    print(f"Page: {paths['html']}")
    return 0


def build_parser():
    """Return the argument parser of the ``connpredict`` command."""
    from connpredict.models._registry import cli_models

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
        "dataset (default: the embedded synthetic one) or on your own files, print "
        "a per-fold metrics table and write a results folder (results.csv, "
        "folds.csv, predictions.csv, region_scores.csv, ..., report.html). The "
        "folder appears only when complete; an existing one is never overwritten "
        "without --overwrite. Ctrl-C stops the run (exit 130).",
    )
    add = p_run.add_argument
    add("--dataset", help="registered dataset name (default: synthetic)")
    add(
        "--expression",
        help="expression table: CSV/TSV, regions x genes, labels in column 1",
    )
    add(
        "--connectome",
        help="connectome: labelled square CSV/TSV, or .npy in expression order",
    )
    add(
        "--regions",
        help="region table CSV/TSV (x, y, z, hemisphere, network, sphere_*)",
    )
    add("--models", help=f"comma-separated, from {', '.join(cli_models())}")
    add("--cv", help="comma-separated: spatial,random")
    add("--n-splits", dest="n_splits", help="test folds (4)")
    add("--seeds", help="comma-separated seeds (0)")
    add("--n-jobs", dest="n_jobs", help="parallel jobs (1; -1 = all cores)")
    add("--device", help="torch device of neural models (cpu)")
    add("--null", help="models to spin-test (default: bilinear; 'none' to skip)")
    add("--n-permutations", dest="n_permutations", help="spin permutations (100)")
    add("--output", help="results folder (default: timestamped)")
    add("--overwrite", action="store_const", const=True, help="replace --output")
    add("--config", help="YAML file with the same options (+ per-model parameters)")
    add(
        "--quick",
        action="store_const",
        const=True,
        help="smoke test, quick even on a busy machine: skips the neural models "
        "mlp and smt unless --models names them (then a few epochs), at most 20 "
        "spins",
    )
    add(
        "--silent",
        action="store_true",
        help="no progress lines and no progress bar (the bar, with the time "
        "left, goes to stderr)",
    )
    add("--no-report", action="store_true", help="skip report.html (faster)")
    p_run.set_defaults(func=_cmd_run)
    p_rep = sub.add_parser("report", help="rebuild report.html of a results folder")
    p_rep.add_argument("results_dir", help="folder written by `connpredict run`")
    p_rep.set_defaults(func=_cmd_report)
    p_pr = sub.add_parser(
        "predict",
        help="predict the connectome of your parcellation with a pretrained model",
        description="Predict a connectome from regional expression and MNI "
        "centroids with a pretrained model; writes connectome.csv, regions.csv "
        "and prediction.html into --output.",
    )
    p_pr.add_argument("--model", required=True, help="pretrained model name")
    p_pr.add_argument("--expression", required=True, help="CSV/TSV regions x genes")
    p_pr.add_argument("--regions", required=True, help="CSV/TSV with x, y, z (MNI)")
    p_pr.add_argument("--output", required=True, help="folder to write")
    p_pr.add_argument(
        "--overwrite", action="store_true", help="replace a non-empty --output"
    )
    p_pr.add_argument(
        "--connectome",
        help="measured connectome (labelled square CSV/TSV) to score the "
        "prediction against",
    )
    p_pr.add_argument(
        "--min-coverage",
        dest="min_coverage",
        type=float,
        default=0.8,
        help="smallest fraction of the model's genes required (0.8)",
    )
    p_pr.set_defaults(func=_cmd_predict)
    p_ds = sub.add_parser("datasets", help="list datasets and whether they are cached")
    p_ds.add_argument("--data-home", dest="data_home", help="data home folder")
    p_ds.set_defaults(func=_cmd_datasets)
    return parser


def _show_progress(silent):
    """Progress lines of the experiment logger on stdout (the command's output)."""
    log = logging.getLogger("connpredict.experiment")
    log.handlers = [
        h for h in log.handlers if not getattr(h, "_connpredict_cli", False)
    ]
    log.propagate, log.level = True, logging.NOTSET
    if not silent:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._connpredict_cli = True
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


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
    _show_progress(getattr(args, "silent", True))
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"connpredict: error: {exc}", file=sys.stderr)
        return _EXIT_USAGE
    except KeyboardInterrupt:
        print("connpredict: interrupted; no results folder written", file=sys.stderr)
        return _EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

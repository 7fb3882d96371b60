"""The ``connpredict`` command.

``connpredict run`` parses its options (flags and an optional YAML file),
calls :func:`connpredict.run_experiment`, prints the metrics table and saves
the results folder with its report. ``connpredict report`` rebuilds a
report; ``connpredict datasets`` lists datasets and whether they are cached;
``connpredict predict`` predicts a parcellation with a pretrained model and
``connpredict models`` lists those models. ``python -m connpredict`` runs the
same command.
"""

import argparse
import contextlib
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
    from connpredict.experiment import RUN_OPTIONS, read_config, resolve_options

    try:
        file_config = read_config(args.config) if args.config else {}
        flags = {
            k: getattr(args, k)
            for k in RUN_OPTIONS
            if getattr(args, k, None) is not None
        }
        return resolve_options(file_config, flags)
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


def _dataset(config):
    if not config["expression"]:
        return config["dataset"] or "synthetic"
    from connpredict.experiment import load_user_dataset

    try:
        return load_user_dataset(
            config["expression"],
            config["connectome"],
            config["regions"],
            **_file_policies(config),
        )
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(_cli_message(exc)) from None


def _file_policies(config):
    """--reduction and --missing, their defaults (the first choice) filled in."""
    from connpredict.experiment import RUN_OPTIONS, file_options

    return {
        name: config[name] or RUN_OPTIONS[name].choices[0]
        for name in file_options()
        if RUN_OPTIONS[name].choices
    }


def _files_record(config):
    """The user's files and the policies used on them, for config.json."""
    from connpredict.experiment import RUN_OPTIONS, file_options

    files = {
        name: config[name]
        for name in file_options()
        if not RUN_OPTIONS[name].choices and config[name]
    }
    return {**files, **_file_policies(config)} if files else {}


def _cmd_run(args):
    from connpredict.experiment import run_experiment, run_keywords
    from connpredict.report import build_report
    from connpredict.utils import check_output_dir

    start = time.perf_counter()
    config = resolve_run_options(args)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(config["output"] or f"connpredict_results_{stamp}")
    dataset = _dataset(config)
    try:
        check_output_dir(out, overwrite=config["overwrite"])
        result = run_experiment(
            dataset, **run_keywords(config), progress=not config["silent"]
        )
        if not isinstance(dataset, str):
            result.config["dataset"] = None  # the files are recorded instead
        print(result.summary())
        result.config.update(_files_record(config))
        folder = result.save(out, overwrite=config["overwrite"])
        report_start = time.perf_counter()
        if not config["no_report"]:
            build_report(result, folder, errors="warn", n_jobs=config["n_jobs"])
        report_seconds = time.perf_counter() - report_start
    except (ValueError, TypeError) as exc:
        raise UsageError(_cli_message(exc)) from None
    seconds = time.perf_counter() - start
    report_part = "" if config["no_report"] else f"; report {report_seconds:.1f} s"
    print(
        f"\nResults written to {folder}/ ({seconds:.1f} s in all; fitting "
        f"{result.config['elapsed_seconds']:.1f} s{report_part})"
    )
    if (folder / "report.html").exists():
        print(f"Report: {folder / 'report.html'}")
    return 0


def _cmd_report(args):
    from connpredict.report import build_report

    try:
        path = build_report(args.results_dir, n_jobs=args.n_jobs)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    print(f"Report: {path}")
    return 0


def _cmd_datasets(args):
    from connpredict.datasets import cache_status, get_data_home

    try:
        home = get_data_home(args.data_home)
        status_table = cache_status(home)
    except ValueError as exc:  # a file given as the data home, ...
        raise UsageError(str(exc)) from None
    print(f"data home: {home}")
    for name, row in status_table.iterrows():
        status = row["status"]
        if status not in ("embedded", "cached"):
            status = f"{status}: {row['n_cached']}/{row['n_files']} files cached"
        print(f"  {name:<18} {status:<32} {row['summary']}")
    return 0


def _cmd_predict(args):
    import warnings

    import pandas as pd

    from connpredict.datasets import fill_missing_regions
    from connpredict.experiment import read_table_or_array
    from connpredict.pretrained import (
        combine_inputs,
        gene_coverage,
        load_model,
        predict_connectome,
        write_prediction,
    )
    from connpredict.utils import check_output_dir
    from connpredict.utils._units import connectivity_label

    try:
        check_output_dir(args.output, overwrite=args.overwrite)
        expr = read_table_or_array(args.expression, what="--expression")
        regions = read_table_or_array(
            args.regions, what="--regions", columns=("x", "y", "z")
        )
        if not all(isinstance(t, pd.DataFrame) for t in (expr, regions)):
            raise ValueError(
                "--expression and --regions must be labelled CSV/TSV tables "
                "(region labels in the first column), not .npy."
            )
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
            expr = _predict_missing(expr, regions, args.missing, fill_missing_regions)
            X = combine_inputs(expr, regions)
            Y = predict_connectome(model, X, min_coverage=args.min_coverage)
        notes = [_cli_message(w.message) for w in caught]
        for note in notes:
            print(f"connpredict: warning: {note}", file=sys.stderr)
        paths = write_prediction(
            Y,
            X,
            args.output,
            model_name=args.model,
            notes=notes,
            overwrite=args.overwrite,
            html_page=not args.no_html,
            # every shipped model was trained on the HCP group FC
            units=connectivity_label("fc"),
            coverage=gene_coverage(model, X),
            measured=measured,
        )
    except (ValueError, TypeError) as exc:
        raise UsageError(_cli_message(exc)) from None
    print(f"Predicted {len(Y)} regions with {args.model}: {paths['connectome']}")
    if paths.get("html"):
        print(f"Page: {paths['html']}")
    return 0


def _predict_missing(expr, regions, missing, fill):
    """Expression rows after the --missing policy (as `run` handles them)."""
    rows = [lab for lab in expr.index if lab in regions.index]
    table = regions.loc[rows] if len(rows) == len(expr) else None
    out = fill(expr, table, missing=missing)
    return out.expression.drop(index=out.dropped)


def _cmd_models(args):
    """List the pretrained models, or print one's card and genes."""
    import re
    import textwrap

    from connpredict.pretrained import (
        list_models,
        model_card,
        model_path,
        read_metadata,
    )

    if args.name is None:
        for name in list_models():
            info = read_metadata(model_path(name))["info"]
            found = re.search(r"Estimator: `([A-Za-z]+)", model_card(name))
            estimator = found.group(1) if found else ""
            print(
                f"{name:<30} {estimator:<22} {info.get('dataset', ''):<16} "
                f"{len(info.get('genes', []))} genes"
            )
        print("\nconnpredict models NAME prints a model's card and its genes.")
        return 0
    try:
        card = model_card(args.name)
    except ValueError as exc:
        raise UsageError(_cli_message(exc)) from None
    genes = read_metadata(model_path(args.name))["info"].get("genes", [])
    print(card.rstrip())
    print(f"\n## Genes ({len(genes)})\n")
    print(textwrap.fill(", ".join(genes), width=88))
    return 0


# Python spellings in library messages -> what the command line takes
_CLI_WORDS = (
    (
        r"SpatialSplit needs region coordinates, but X lacks .*? coordinate "
        r"columns\.",
        "cv spatial needs region centroids: pass --regions FILE with x, y, z "
        "columns (MNI mm), or use --cv random.",
    ),
    (
        r"X lacks the coordinate column\(s\) .*? Add them or set "
        r"`coord_columns=` to the names you use\.",
        "these models need region centroids: pass --regions FILE with x, y, z "
        "columns (MNI mm).",
    ),
    (r"Pass missing='mirror' or 'nearest'", "Pass --missing mirror or nearest"),
    (r"`missing=`", "--missing"),
    (
        r"make it the index \(`expression\.set_index\([^)]*\)` or "
        r"`pd\.read_csv\([^`]*\)`\)",
        "put the region labels in the first column of --expression FILE",
    ),
    (r"\bmissing=['\"](\w+)['\"]", r"--missing \1"),
    (r"\breduction=['\"](\w+)['\"]", r"--reduction \1"),
    (r"\bnull=['\"](\w+)['\"]", r"--null \1"),
    (r"\bn_splits=(\d+)", r"--n-splits \1"),
    (r"\bfewer n_splits\b", "a smaller --n-splits"),
    (r"\bmin_coverage=", "--min-coverage "),
    (r"\blower min_coverage\b", "lower --min-coverage"),
    (r"\bn_permutations\b", "--n-permutations"),
    (r"\bn_jobs\b", "--n-jobs"),
    (r"\bdevice ['\"](\w+)['\"]", r"--device \1"),
    (
        r"pass `regions` with x, y, z or `coords`",
        "pass --regions FILE with x, y, z columns",
    ),
    (
        r"pass `connectome\.to_numpy\(\)` if its rows are already in the order "
        r"of the expression rows",
        "save it as .npy (numpy.save) if its rows are already in the order of "
        "the expression rows",
    ),
    (
        r"pass coordinates through `regions` or `coords` instead",
        "pass them in --regions FILE (x, y, z columns)",
    ),
    (
        r"\(the model's genes are in read_metadata\(\)\)",
        "(the model's genes: connpredict models NAME)",
    ),
    (r"\(connpredict\.pretrained\.list_models\(\)\)", "(connpredict models)"),
    (r"use `load_dataset\(\.\.\.\)\.regions`", "add them to --regions FILE"),
    (
        r"the region tables of `load_dataset` have them",
        "add them to --regions FILE",
    ),
    (r"Use fewer splits \(`check_n_splits` gives [^)]*\)", "Use a smaller --n-splits"),
    (
        r"use atlas_regions\(\.\.\.\) or --missing nearest",
        "add a hemisphere column to --regions FILE or use --missing nearest",
    ),
)


def _cli_message(exc):
    """A library message in one line, in the command line's words."""
    import re

    text = " ".join(str(exc).split())
    for pattern, repl in _CLI_WORDS:
        text = re.sub(pattern, repl, text)
    return text


def read_grid_config(path):
    """Options of ``connpredict grid`` from its YAML file, with defaults."""
    from connpredict.experiment import read_grid_config as read

    try:
        return read(path)
    except (ValueError, TypeError) as exc:
        raise UsageError(" ".join(str(exc).split())) from None


def _cmd_grid(args):
    from connpredict.experiment import grid_keywords
    from connpredict.inspection import legibility_grid
    from connpredict.model_selection import make_splitter
    from connpredict.utils import check_output_dir

    options = read_grid_config(args.config)
    seed = options["seed"]
    try:
        out = check_output_dir(args.output, overwrite=args.overwrite)
        with _grid_progress(args.silent), _grid_notes():
            grid = legibility_grid(
                options["dataset"],
                cv=make_splitter(options["cv"], options["n_splits"], random_state=seed),
                random_state=seed,
                verbose=0 if args.silent else 1,
                **grid_keywords(options),
            )
    except (ValueError, TypeError) as exc:
        raise UsageError(" ".join(str(exc).split())) from None
    _write_grid(grid, options, out)
    _print_best_cells(grid)
    seconds = grid.attrs["elapsed_seconds"]
    print(f"\nGrid written to {out}/ ({seconds:.1f} s); page: {out / 'grid.html'}")
    return 0


@contextlib.contextmanager
def _grid_progress(silent):
    """The grid's progress lines (logger connpredict.inspection) on stdout."""
    if silent:
        yield
        return
    log = logging.getLogger("connpredict.inspection")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.propagate = False
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.propagate = True


@contextlib.contextmanager
def _grid_notes():
    """The grid's warnings (NaN cells...) as `connpredict: note:` lines."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        yield
    for note in caught:
        print(f"connpredict: note: {note.message}", file=sys.stderr)


def _write_grid(grid, options, out):
    """grid.csv, grid.html, heatmap.png and config.json, in one step."""
    import json

    from connpredict.inspection import legibility_report, plot_legibility_grid
    from connpredict.utils import staged_folder

    with staged_folder(out) as tmp:
        grid.to_csv(tmp / "grid.csv", index=False)
        legibility_report(grid, tmp / "grid.html")
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            print("connpredict: heatmap.png skipped (matplotlib is not installed)")
        else:
            ax = plot_legibility_grid(grid)
            ax.figure.savefig(tmp / "heatmap.png", dpi=150)
            plt.close(ax.figure)
        config = dict(options, **grid.attrs, output=str(out))
        (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def _print_best_cells(grid):
    """The best model of each (input, target) cell, as a table."""
    import pandas as pd

    best = grid.dropna(subset=["score_mean"]).sort_values("score_mean")
    best = best.groupby(["input", "target"]).tail(1)
    cells = best.set_index(["input", "target"])
    table = {
        target: [
            f"{cells.loc[(inp, target), 'model']} "
            f"{cells.loc[(inp, target), 'score_mean']:.3f}"
            if (inp, target) in cells.index
            else "n/a"
            for inp in grid.attrs["inputs"]
        ]
        for target in grid.attrs["targets"]
    }
    print("best model per cell (mean score over folds):")
    print(pd.DataFrame(table, index=grid.attrs["inputs"]).to_string())


def _add_grid_parser(sub):
    from connpredict.experiment import GRID_OPTIONS

    p_grid = sub.add_parser(
        "grid",
        help="legibility grid: every model on every input block x target",
        description="Cross-validate every model on every (input block, target) "
        "pair of a dataset (the legibility grid) and write grid.csv, grid.html "
        "(interactive), heatmap.png and config.json into --output. The YAML "
        f"file takes the keys {', '.join(GRID_OPTIONS)}.",
    )
    p_grid.add_argument("--config", required=True, help="YAML file of the grid")
    p_grid.add_argument("--output", required=True, help="folder to write")
    p_grid.add_argument(
        "--overwrite", action="store_true", help="replace a non-empty --output"
    )
    p_grid.add_argument("--silent", action="store_true", help="no progress lines")
    p_grid.set_defaults(func=_cmd_grid)


def build_parser():
    """Return the argument parser of the ``connpredict`` command."""
    parser = argparse.ArgumentParser(
        prog="connpredict",
        description="Predict brain connectivity from gene expression and space.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    sub = parser.add_subparsers(dest="command")
    _add_run_parser(sub)
    p_rep = sub.add_parser("report", help="rebuild report.html of a results folder")
    p_rep.add_argument("results_dir", help="folder written by `connpredict run`")
    p_rep.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="processes drawing the figures (-1: every core; default 1)",
    )
    p_rep.set_defaults(func=_cmd_report)
    _add_predict_parser(sub)
    _add_models_parser(sub)
    p_ds = sub.add_parser("datasets", help="list datasets and whether they are cached")
    p_ds.add_argument("--data-home", dest="data_home", help="data home folder")
    p_ds.set_defaults(func=_cmd_datasets)
    _add_grid_parser(sub)
    return parser


def _add_run_parser(sub):
    """`run`: its flags come from the option table (RUN_OPTIONS)."""
    from connpredict.experiment import add_flags
    from connpredict.models import cli_models

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
    add_flags(p_run, models=", ".join(cli_models()))
    p_run.set_defaults(func=_cmd_run)


def _add_predict_parser(sub):
    from connpredict.experiment import RUN_OPTIONS

    p_pr = sub.add_parser(
        "predict",
        help="predict the connectome of your parcellation with a pretrained model",
        description="Predict a connectome from regional expression and MNI "
        "centroids with a pretrained model; writes connectome.csv, regions.csv "
        "and prediction.html into --output.",
    )
    add = p_pr.add_argument
    add("--model", required=True, help="pretrained model name")
    add("--expression", required=True, help="CSV/TSV regions x genes")
    add("--regions", required=True, help="CSV/TSV with x, y, z (MNI)")
    add("--output", required=True, help="folder to write")
    add("--overwrite", action="store_true", help="replace a non-empty --output")
    add(
        "--connectome",
        help="measured connectome (labelled square CSV/TSV) to score the "
        "prediction against",
    )
    add(
        "--min-coverage",
        dest="min_coverage",
        type=float,
        default=0.8,
        help="smallest fraction of the model's genes required (0.8)",
    )
    choices = RUN_OPTIONS["missing"].choices  # as `connpredict run --missing`
    add(
        "--missing",
        choices=choices,
        default=choices[0],
        help="regions without expression (all-NaN rows), as in `connpredict "
        "run`: drop them, or impute from the other hemisphere (mirror) or the "
        f"nearest region (nearest) (default: {choices[0]})",
    )
    add(
        "--no-html",
        dest="no_html",
        action="store_true",
        help="write the CSV files only, not prediction.html (faster)",
    )
    p_pr.set_defaults(func=_cmd_predict)


def _add_models_parser(sub):
    p_mod = sub.add_parser(
        "models",
        help="list the shipped pretrained models, or show one's card and genes",
        description="Without NAME, list the pretrained models shipped with "
        "connpredict (for `connpredict predict --model`); with NAME, print its "
        "model card (training data, scores, intended use) and its genes.",
    )
    p_mod.add_argument("name", nargs="?", help="a pretrained model name")
    p_mod.set_defaults(func=_cmd_models)


@contextlib.contextmanager
def _one_line_warnings():
    """Show warnings as `connpredict: warning: ...`, without a source line."""
    import warnings

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"connpredict: warning: {_cli_message(message)}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


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


def _lock_output(stack, output):
    """Hold the output folder's lock for the whole command (a second
    ``connpredict`` writing the same folder fails at once, before any work)."""
    if not output:
        return
    from connpredict.utils import check_output_dir, output_lock

    try:
        # a file, a path under a file, an unwritable parent: the usual message
        check_output_dir(output, overwrite=True)
        stack.enter_context(output_lock(output))
    except ValueError as exc:
        raise UsageError(str(exc)) from None


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
        with contextlib.ExitStack() as stack:
            stack.enter_context(_one_line_warnings())
            _lock_output(stack, getattr(args, "output", None))
            return args.func(args)
    except UsageError as exc:
        print(f"connpredict: error: {exc}", file=sys.stderr)
        return _EXIT_USAGE
    except ImportError as exc:
        from connpredict.utils import MissingDependencyError

        if not isinstance(exc, MissingDependencyError):
            raise
        # an optional dependency this command needs: one line naming its extra
        print(f"connpredict: error: {exc}", file=sys.stderr)
        return _EXIT_USAGE
    except MemoryError as exc:
        print(f"connpredict: error: {exc or 'out of memory'}", file=sys.stderr)
        return 1
    except OSError as exc:
        # a full disk, a read-only or vanished folder: one line, not a traceback
        where = f": {exc.filename}" if exc.filename else ""
        print(f"connpredict: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("connpredict: interrupted; no results folder written", file=sys.stderr)
        return _EXIT_INTERRUPTED


def console_main():
    """The ``connpredict`` console script: :func:`main`, then a quick exit.

    Before the interpreter shuts down, every object is moved out of the
    garbage collector's reach (:func:`gc.freeze`): the collections of the
    shutdown would otherwise traverse every object torch, pandas and
    matplotlib created, about 1.5 s after a main job, for memory the
    process returns anyway. The shutdown itself (atexit handlers, worker
    processes, open files) runs as usual. :func:`main` is left as it is,
    for callers that go on running.
    """
    import gc

    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(console_main())

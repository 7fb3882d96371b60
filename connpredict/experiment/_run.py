"""``run_experiment``: the main job of connpredict as a library function."""

import contextlib
import logging
import sys
import time
import warnings

import numpy as np
import pandas as pd

from connpredict.experiment._options import check_option, record_options
from connpredict.experiment._result import ExperimentResult
from connpredict.experiment._schema import TABLES
from connpredict.metrics import PRIMARY_METRIC, region_scores
from connpredict.model_selection import make_splitter
from connpredict.models import DEFAULT_CLI_MODELS, cli_models
from connpredict.utils import COORD_COLUMNS, gene_columns
from connpredict.utils._checks import MIN_REGIONS
from connpredict.utils._memory import check_pair_memory, frozen_heap
from connpredict.utils._parallel import local_workers, run_calls, worker_executor

logger = logging.getLogger("connpredict.experiment")

#: smallest test fold: 3 regions give 3 pairs, the fewest for a correlation
MIN_FOLD_REGIONS = MIN_REGIONS
#: spin permutations under ``quick=True``
QUICK_PERMUTATIONS = 20


def _fail(message):
    raise ValueError(message)


def _model_table(models, *, quick=False):
    """Name -> (estimator class or instance, params) of the requested models.

    ``models`` (checked by its option's checker) is None, a list of names or a
    mapping name -> parameters or estimator; None takes the default set,
    without the neural models under ``quick``.
    """
    registry = cli_models()
    if models is None:
        import connpredict.models as models_module

        models = [
            m
            for m in DEFAULT_CLI_MODELS
            if registry[m].name in models_module.__all__
            and not (quick and registry[m].family == "neural")
        ]
    if not isinstance(models, dict):
        models = dict.fromkeys(models)
    table = {}
    for name, params in models.items():
        if params is not None and hasattr(params, "get_params"):
            table[name] = (params, {})
            continue
        if name not in registry:
            _fail(f"unknown model {name!r}; choose from {', '.join(registry)}.")
        cls = _model_class(registry[name])
        params = dict(params or {})
        valid = cls().get_params()
        unknown = sorted(set(params) - set(valid))
        if unknown:
            _fail(
                f"unknown parameter(s) {', '.join(map(str, unknown))} for model "
                f"{name!r} ({cls.__name__}); valid: {', '.join(sorted(valid))}."
            )
        table[name] = (cls, params)
    return table


def _model_class(spec):
    import connpredict.models as models_module

    if spec.name not in models_module.__all__:
        _fail(f"model {spec.cli!r} ({spec.name}) is not available in this version.")
    return getattr(models_module, spec.name)


def _estimator_params(table, quick, seed, device):
    """Every parameter of each model as fitted (first seed): a record only."""
    out = {}
    for name, entry in table.items():
        params = _make_model(
            name, entry, quick=quick, seed=seed, device=device
        ).get_params(deep=False)
        out[name] = {
            k: v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)
            for k, v in params.items()
        }
    return out


def _make_model(name, entry, *, quick, seed, device):
    from sklearn.base import clone

    model, user_params = entry
    if not isinstance(model, type):  # an estimator instance given by the caller
        est = clone(model)
        if est.get_params().get("random_state", 0) is None:
            est.set_params(random_state=seed)
        return est
    spec = cli_models()[name]
    params = dict(spec.params)
    if quick:
        params.update(spec.quick_params)
    defaults = model().get_params()
    if "random_state" in defaults:
        params["random_state"] = seed
    if "device" in defaults:
        params["device"] = device
    params.update(user_params)
    return model(**params)


def _resolve_dataset(dataset):
    from sklearn.utils import Bunch

    if isinstance(dataset, str):
        from connpredict.datasets import load_dataset

        try:
            return load_dataset(dataset), dataset
        except OSError as exc:
            _fail(f"dataset {dataset!r} unavailable: {exc}")
    if isinstance(dataset, Bunch) and {"X", "Y"} <= set(dataset):
        return dataset, str(dataset.get("name", "user data"))
    raise TypeError(
        "dataset must be a registered dataset name or the Bunch of "
        "load_dataset / make_dataset (with X, Y and regions), got "
        f"{type(dataset).__name__}."
    )


def _cv_groups(name, ds):
    """The ``groups`` of a split: the network labels for ``"network"``."""
    if name != "network":
        return None
    networks = ds.get("networks")
    if networks is None:
        _fail(
            "cv 'network' needs a network label per region, which this dataset "
            "lacks: give the region table (--regions FILE) a 'network' column; "
            "for your own atlas, connpredict.datasets.assign_yeo_networks "
            "assigns each region the Yeo-7 network of the nearest Schaefer-400 "
            "parcel. Or use another cv."
        )
    return networks


def _has_sphere(regions):
    return isinstance(regions, pd.DataFrame) and {
        "sphere_x",
        "sphere_y",
        "sphere_z",
    } <= set(regions.columns)


def _resolve_null(null, models, regions):
    """The models to spin-test, from the checked ``null`` option."""
    if null == "auto":
        if "bilinear" in models and _has_sphere(regions):
            return ["bilinear"]
        if "bilinear" in models:
            logger.info("no spin test: the regions lack sphere_x/y/z coordinates")
        return []
    names = [] if null == "none" else [m for m in null if m != "none"]
    for name in names:
        if name not in models:
            _fail(
                f"null model {name!r} is not among the models ({', '.join(models)}); "
                "add it there or pass null='none'."
            )
    if names and not _has_sphere(regions):
        _fail(
            "the spin test needs sphere coordinates (regions columns sphere_x, "
            "sphere_y, sphere_z), which this dataset lacks; pass null='none'."
        )
    return names


def _resolve_inspect(inspect, models, regions):
    """``(model name, gene sets)`` to inspect, or ``(None, None)``."""
    if inspect is False:
        return None, None
    gene_sets = {} if inspect is True else inspect
    if not _has_sphere(regions):
        _fail(
            "inspect spins the connectome and gene maps, which needs sphere "
            "coordinates (regions columns sphere_x, sphere_y, sphere_z; see "
            "connpredict.datasets.atlas_regions); pass inspect=False."
        )
    model = "bilinear" if "bilinear" in models else next(iter(models))
    return model, gene_sets


@contextlib.contextmanager
def _progress(verbose):
    """Show this module's INFO lines on stderr when ``verbose`` and nobody listens."""
    if not verbose or logger.hasHandlers():
        old = logger.level
        if verbose:
            logger.setLevel(logging.INFO)
        try:
            yield
        finally:
            logger.setLevel(old)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


def run_experiment(
    dataset="synthetic",
    models=None,
    *,
    cv=("spatial", "random"),
    n_splits=4,
    seeds=(0,),
    null="auto",
    n_permutations=100,
    n_jobs=1,
    device="cpu",
    quick=False,
    verbose=0,
    inspect=False,
    progress=False,
):
    """Fit models under cross-validation and collect every result table.

    The main job of ``connpredict run``, callable from Python: for each
    cross-validation scheme and seed, the regions are split into test folds;
    each model is fitted on the training regions and predicts the
    connectivity among the held-out regions of the fold. Returned are the
    metrics of :func:`connpredict.metrics.evaluate` per fold, the fold of
    every region, every held-out prediction, a per-region score and, for the
    models named in ``null``, the spin test of
    :func:`connpredict.nulls.spin_test` (under the first scheme and seed).

    Parameters
    ----------
    dataset : str or Bunch, default="synthetic"
        A registered dataset name (:func:`connpredict.datasets.load_dataset`)
        or a dataset Bunch with ``X``, ``Y`` and ``regions`` (as returned by
        ``load_dataset`` or ``connpredict.datasets.make_dataset``).
    models : list of str or dict, default=None
        Command-line model names (``decay``, ``gaussian``, ``cge``,
        ``bilinear``, ``pls``, ``mlp``, ``smt``), or a mapping name ->
        hyper-parameters (a dict, set on top of the main job's settings;
        unknown ones raise an error listing the valid ones) or name -> an
        estimator instance (cloned for each fold; a ``random_state`` of None
        is set to the seed, other parameters are kept). None runs
        the default set: decay, cge, bilinear, pls, mlp and smt.
    cv : list of str, default=("spatial", "random")
        Cross-validation schemes, names of
        :data:`connpredict.model_selection.SPLITTERS`: ``"spatial"``
        (:class:`~connpredict.model_selection.SpatialSplit`), ``"random"``
        (:class:`~connpredict.model_selection.RandomSplit`), ``"community"``
        (:class:`~connpredict.model_selection.CommunitySplit`, Louvain
        communities of the connectome; needs networkx) and ``"network"``
        (:class:`~connpredict.model_selection.NetworkSplit`, one fold per
        network of ``dataset.networks``; ``n_splits`` does not apply).
    n_splits : int, default=4
        Number of test folds; every fold must keep at least 3 regions.
    seeds : list of int, default=(0,)
        Seeds of the splits and of the stochastic models; one run per seed.
    null : "auto", "none" or list of str, default="auto"
        Models to spin-test. ``"auto"`` tests ``bilinear`` when it runs and
        the regions have sphere coordinates.
    n_permutations : int, default=100
        Spin permutations (at most 20 under ``quick``; ``config`` records
        the number run).
    n_jobs : int, default=1
        Fold fits at a time; -1 uses every core. This process fits too,
        beside ``n_jobs - 1`` joblib worker processes, each given one fit at
        a time, longest (neural) first; under a non-default joblib backend
        (``joblib.parallel_config(backend="dask")``) the backend runs every
        fit. Every fit uses one thread, so results do not depend on
        ``n_jobs``.
    device : str, default="cpu"
        Torch device of the neural models; ``"cuda"`` needs a GPU.
    quick : bool, default=False
        Smoke-test settings, quick even on a busy machine: with
        ``models=None`` the neural models (mlp, smt) are left out (name them
        to run them, then with a few epochs); at most 20 spins.
    verbose : int, default=0
        Above 0, progress lines (logger ``connpredict.experiment``, level
        INFO) go to stderr unless logging is configured to show them.
    inspect : bool or mapping of str to list of str, default=False
        What predicts connectivity (``importances`` table, the report's
        section of that name; needs sphere coordinates). True or a mapping of
        gene sets (name -> genes, e.g.
        :func:`connpredict.inspection.load_gene_sets`) runs, with
        ``n_permutations`` spins (under the first cv scheme and seed):
        distance-controlled scores of every gene and the enrichment of each
        gene set (:func:`connpredict.inspection.gene_set_enrichment`), and
        the held-out spin permutation importance
        (:func:`connpredict.inspection.permutation_importance`, at most 19
        repeats) of all genes together, of the coordinates and of each gene
        set, for ``bilinear`` when it runs, else the first model.
    progress : bool, default=False
        Show one progress bar over every fold fit and spin test, with the
        estimated time left, on stderr.

    Returns
    -------
    result : ExperimentResult
        The tables ``results``, ``timings``, ``folds``, ``predictions``,
        ``region_scores``, ``nulls``, ``importances`` and ``regions``, and
        ``config``.

    Raises
    ------
    ValueError or TypeError
        For an invalid option, before anything is fitted.

    Examples
    --------
    >>> from connpredict import run_experiment
    >>> result = run_experiment(models=["decay"], cv=["random"], n_splits=3)
    >>> result.results.columns.tolist()
    ['model', 'split', 'seed', 'fold', 'metric', 'value']
    >>> sorted(result.folds["fold"].unique().tolist())
    [0, 1, 2]
    """
    # each keyword is checked by its entry in the option table
    options = {
        name: check_option(name, value)
        for name, value in locals().items()
        if name != "dataset"
    }
    # parallel runs start their worker processes now, so that the workers'
    # imports overlap this process's set-up instead of the first fits
    warm = None
    if options["n_jobs"] != 1:  # this process fits too: one worker fewer
        warm = _warm_workers(
            options["n_jobs"], _neural(options["models"], options["quick"])
        )
    table = _model_table(options["models"], quick=options["quick"])
    if options["quick"]:  # recorded as run: config.json holds the values used
        options["n_permutations"] = min(options["n_permutations"], QUICK_PERMUTATIONS)
    ds, dataset_name = _resolve_dataset(dataset)
    _check_fold_size(options["n_splits"], ds.X.shape[0])
    regions = ds.get("regions")
    options["null"] = _resolve_null(options["null"], table, regions)
    inspect_model, gene_sets = _resolve_inspect(options["inspect"], table, regions)
    config = {
        "dataset": dataset_name,
        "models": list(table),
        "model_params": {
            name: (p if isinstance(m, type) else repr(m))
            for name, (m, p) in table.items()
        },
        **record_options(options),
        "estimator_params": _estimator_params(
            table, options["quick"], options["seeds"][0], options["device"]
        ),
        # what Y holds, for the report's units ("fc", "sc"; None when unknown)
        "target": ds.get("target"),
        "scale": ds.get("scale"),
    }
    if inspect_model is not None:
        config["inspect"] = {"model": inspect_model, "gene_sets": list(gene_sets)}
    start = time.perf_counter()
    # no wait for the workers' imports: this process starts on the first fit,
    # and a worker takes its first fit once its imports are done
    with _progress(options["verbose"]), frozen_heap():
        tables = _run(ds, dataset_name, table, config, options["progress"])
        if inspect_model is not None:
            tables["importances"] = _run_inspection(ds, table, config, gene_sets)
    if warm is not None:
        warm.join()
    config["elapsed_seconds"] = round(time.perf_counter() - start, 2)
    return ExperimentResult(**tables, regions=regions, config=config)


def _check_fold_size(n_splits, n_regions):
    if n_splits > n_regions // MIN_FOLD_REGIONS:
        _fail(
            f"n_splits={n_splits} leaves test folds of fewer than "
            f"{MIN_FOLD_REGIONS} regions ({n_regions} regions); use at most "
            f"{n_regions // MIN_FOLD_REGIONS}."
        )


def _run(ds, dataset_name, table, config, show_progress=False):
    from connpredict.utils._progress import Progress

    X = ds.X
    logger.info(
        "dataset %s: %d regions, %d features", dataset_name, X.shape[0], X.shape[1]
    )
    # the folds' fits use at most the train regions, the scores all pairs
    check_pair_memory(X.shape[0], what=f"The dataset {dataset_name}:")
    tasks, fold_rows = _fit_tasks(ds, table, config)
    spins = _spin_tasks(ds, table, config)
    # one pool over every fit of every model, split and seed, and the
    # closed-form spin tests, longest first (longest-processing-time order):
    # no barrier after each model's folds, and the short classical fits fill
    # the gaps at the end. Each fit is seeded on its own, so the order
    # changes no result. A spin test without a closed form runs afterwards,
    # its refits spread over the n_jobs processes.
    queued = tasks + [t for t in spins if t["fast"]]
    later = [t for t in spins if not t["fast"]]
    order = list(range(len(queued)))
    if config["n_jobs"] != 1:
        order.sort(key=lambda i: -queued[i]["cost"])
    steps = [queued[i]["step"] for i in order] + [t["step"] for t in later]
    bar = Progress(steps, enabled=show_progress)
    try:
        outcomes = _run_queue(ds, queued, order, config["n_jobs"], bar)
        nulls = {
            t["model_name"]: outcomes[i]
            for i, t in enumerate(queued)
            if i >= len(tasks)
        }
        for t in later:
            nulls[t["model_name"]] = _spin_frame(
                *_spin_args(t, ds), n_jobs=config["n_jobs"]
            )
            bar.advance(t["label"])
    finally:
        bar.close()
    return {
        **_fit_tables(tasks, outcomes),
        "folds": _frame("folds", fold_rows),
        "nulls": _concat("nulls", [nulls[name] for name in config["null"]]),
    }


def _run_queue(ds, queued, order, n_jobs, bar):
    """Run the queued fits and spin tests in ``order``, ``n_jobs`` at a time.

    With several jobs on joblib's default (loky) backend this process works
    too (:func:`~connpredict.utils._parallel.run_calls`): it takes the next
    task of ``order`` whenever it is free, while ``n_jobs - 1`` worker
    processes take theirs one at a time (so the longest-first order holds).
    A worker process imports torch and the models once more; this process
    has them already. Under another joblib backend
    (``parallel_config(backend="dask")``, ...) the backend runs every task.
    Returns the outcome of each task, in the order of ``queued``.
    """
    data = (ds.X, ds.Y, ds.get("regions"))

    def done(i, outcome):
        bar.advance(queued[i]["label"])

    # one thread here when workers fit beside it, as they do: results do not
    # depend on n_jobs
    n_threads = 1 if local_workers(n_jobs) else None

    def local(func, args):
        return func(*args, n_threads=n_threads)

    calls = [
        (_fit_fold, _fit_args(t, data))
        if "split" in t
        else (_spin_frame, _spin_args(t, ds))
        for t in queued
    ]
    return run_calls(calls, n_jobs, order=order, done=done, local=local)


def _fit_args(task, data):
    """The arguments of :func:`_fit_fold` for ``task``: model, X, Y, regions, split."""
    return (task["model"], *data, *task["split"])


def _fit_tables(tasks, outcomes):
    """results, timings, predictions and region_scores, in the serial order."""
    rows, timing_rows, pred_frames, region_frames = [], [], [], []
    for i, t in enumerate(tasks):
        metrics, seconds, pairs, per_region = outcomes[i]
        keys = {"model": t["name"], "split": t["cv"], "seed": t["seed"]}
        fold = t["fold"]
        rows.extend(
            dict(keys, fold=fold, metric=key, value=float(value))
            for key, value in metrics.items()
        )
        timing_rows.append(dict(keys, fold=fold, fit_predict_seconds=seconds))
        pred_frames.append(pairs.assign(**keys, fold=fold))
        region_frames.append(per_region.assign(**keys, fold=fold))
        logger.info(
            "%8s seed %d fold %d %9s: r = %.3f (%.1f s)",
            t["cv"],
            t["seed"],
            fold,
            t["name"],
            metrics.get(PRIMARY_METRIC, float("nan")),
            seconds,
        )
    return {
        "results": _frame("results", rows),
        "timings": _frame("timings", timing_rows),
        "predictions": _concat("predictions", pred_frames),
        "region_scores": _concat("region_scores", region_frames),
    }


def _fit_tasks(ds, table, config):
    """Every fold fit of the run, in the serial order, and the fold table rows.

    Each task holds the model, the split, its keys and ``cost``, a rough
    estimate of its time used only to order the work of parallel runs: the
    neural models' fits take about a hundred times longer than the others',
    and a fit's time grows with its training regions.
    """
    X = ds.X
    registry = cli_models()
    tasks, fold_rows = [], []
    for cv_name in config["cv"]:
        for seed in config["seeds"]:
            splits = _scheme_splits(ds, cv_name, seed, config["n_splits"])
            for fold, (_, test) in enumerate(splits):
                fold_rows.extend(
                    {"split": cv_name, "seed": seed, "region": lab, "fold": fold}
                    for lab in X.index[test]
                )
            for name, entry in table.items():
                model = _make_model(
                    name,
                    entry,
                    quick=config["quick"],
                    seed=seed,
                    device=config["device"],
                )
                spec = registry.get(name)
                weight = 100 if spec is not None and spec.family == "neural" else 1
                tasks.extend(
                    {
                        "name": name,
                        "cv": cv_name,
                        "seed": seed,
                        "fold": fold,
                        "model": model,
                        "split": (train, test),
                        "cost": weight * len(train),
                        "step": name,
                        "label": f"{name}, {cv_name} seed {seed} fold {fold}",
                    }
                    for fold, (train, test) in enumerate(splits)
                )
    return tasks, fold_rows


def _neural(models, quick):
    """Whether ``models`` (as given to run_experiment) names a neural model."""
    registry = cli_models()
    if models is None:
        names = [] if quick else DEFAULT_CLI_MODELS
    elif isinstance(models, str):
        names = [m.strip() for m in models.split(",")]
    else:
        names = [m for m in models if isinstance(m, str)]
    return any(name in registry and registry[name].family == "neural" for name in names)


def _warm_worker(neural):
    """Import what a fold fit needs (in a joblib worker); True when done.

    With ``neural``, torch and the training code too: the first optimiser of
    a process also imports ``torch._dynamo``.
    """
    import importlib.util

    from connpredict import metrics  # noqa: F401

    if not neural or importlib.util.find_spec("torch") is None:
        return True
    import torch

    from connpredict.models import PairNet  # noqa: F401  (the training code)

    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])
    return True


def _warm_workers(n_jobs, neural):
    """Start the fits' worker processes and their imports in a background thread.

    The fits use ``n_jobs - 1`` workers besides this process (see
    :func:`_run_queue`): none when that is 0 or under a non-loky joblib
    backend. Returns the thread (the fits need not wait for it). A failure
    here is left to the fits to report.
    """
    import threading

    n = local_workers(n_jobs)

    def warm():
        if not n:
            return
        try:
            executor = worker_executor(n)
            for future in [executor.submit(_warm_worker, neural) for _ in range(n)]:
                future.result()
        except Exception:  # the real run reports it
            logger.debug("warming the workers failed", exc_info=True)

    thread = threading.Thread(target=warm, name="connpredict-warm", daemon=True)
    thread.start()
    return thread


def _scheme_splits(ds, cv_name, seed, n_splits):
    """The (train, test) folds of one cv scheme and seed, checked."""
    groups = _cv_groups(cv_name, ds)
    splitter = make_splitter(cv_name, n_splits, random_state=seed)
    splits = list(splitter.split(ds.X, ds.Y, groups))
    smallest = min(len(test) for _, test in splits)
    if smallest < MIN_FOLD_REGIONS:
        _fail(
            f"the {cv_name} split (seed {seed}) made a test fold of "
            f"{smallest} region(s); at least {MIN_FOLD_REGIONS} are needed "
            "to score region pairs: use fewer n_splits."
        )
    return splits


def _frame(name, rows):
    return pd.DataFrame(rows, columns=list(TABLES[name].columns))


def _concat(name, frames):
    columns = list(TABLES[name].columns)
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _fit_fold(model, X, Y, regions, train, test, n_threads=None):
    from sklearn.base import clone

    from connpredict.metrics import evaluate
    from connpredict.utils._contract import pair_indices
    from connpredict.utils._threads import limit_threads

    start = time.perf_counter()
    # one thread per fit, in this process or a joblib worker: threads only
    # compete for the cores with the other workers, and the same thread
    # count makes results independent of n_jobs
    # frozen_heap: in a worker process, its imports need no collector scans
    with limit_threads(n_threads), frozen_heap():
        est = clone(model).fit(X.iloc[train], Y.iloc[train])
        pred = est.predict(X.iloc[test])
    seconds = time.perf_counter() - start
    labels = X.index[test]
    Y_true = Y.loc[labels, labels]
    pred = np.asarray(pred, dtype=float)
    metrics = evaluate(
        Y_true, pred, regions=None if regions is None else regions.loc[labels]
    ).to_dict()
    i, j = pair_indices(len(labels))
    pairs = pd.DataFrame(
        {
            "region_i": labels[i],
            "region_j": labels[j],
            "y_true": Y_true.to_numpy()[i, j],
            "y_pred": pred[i, j],
        }
    )
    per_region = region_scores(Y_true, pd.DataFrame(pred, labels, labels))
    return metrics, seconds, pairs, per_region.reset_index()


def _spin_tasks(ds, table, config):
    """The run's spin tests: one per null model, under the first scheme and seed.

    ``fast`` marks a model whose nulls have a closed form
    (:func:`connpredict.nulls.has_fast_path`): its whole test costs about
    one second and runs as one task beside the fits; the others spread their
    refits over the ``n_jobs`` processes afterwards.
    """
    from connpredict.nulls import has_fast_path

    cv_name, seed = config["cv"][0], config["seeds"][0]
    n_perm = config["n_permutations"]  # already capped under quick
    tasks = []
    for name in config["null"]:
        model = _make_model(
            name, table[name], quick=config["quick"], seed=seed, device=config["device"]
        )
        tasks.append(
            {
                "model_name": name,
                "model": model,
                "scheme": (cv_name, config["n_splits"], seed),
                "groups": _cv_groups(cv_name, ds),
                "n_permutations": n_perm,
                "fast": has_fast_path(model),
                # a closed-form test of 100 spins costs about ten classical fits
                "cost": 0.1 * n_perm * ds.X.shape[0],
                "step": f"spin test of {name}",
                "label": f"spin test of {name} ({n_perm} spins)",
            }
        )
    return tasks


def _spin_args(task, ds):
    """The arguments of :func:`_spin_frame` for a spin task."""
    return (
        task["model_name"],
        task["model"],
        ds.X,
        ds.Y,
        ds.get("regions"),
        task["groups"],
        task["scheme"],
        task["n_permutations"],
    )


def _spin_frame(
    name, model, X, Y, regions, groups, scheme, n_perm, n_threads=None, n_jobs=1
):
    """One spin test as rows of the nulls table (a task of the run's pool)."""
    from connpredict.nulls import spin_test
    from connpredict.utils._threads import limit_threads

    cv_name, n_splits, seed = scheme
    logger.info(
        "spin test of %s (%s cv, %d permutations, gene expression spun on the sphere)",
        name,
        cv_name,
        n_perm,
    )
    start = time.perf_counter()
    with limit_threads(n_threads):
        result = spin_test(
            model,
            X,
            Y,
            cv=make_splitter(cv_name, n_splits, random_state=seed),
            regions=regions,
            groups=groups,
            n_permutations=n_perm,
            n_jobs=n_jobs,
            random_state=seed,
        )
    logger.info(
        "spin test of %s: r = %.3f, null mean %.3f, p = %.4f (%.1f s)",
        name,
        result.score,
        float(np.mean(result.null_scores)),
        result.pvalue,
        time.perf_counter() - start,
    )
    return pd.DataFrame(
        {
            "model": name,
            "split": cv_name,
            "seed": seed,
            "method": result.method,
            "scoring": result.scoring,
            "score": result.score,
            "null_score": result.null_scores,
            "pvalue": result.pvalue,
        }
    )


def _run_inspection(ds, table, config, gene_sets):
    """Gene scores, gene-set enrichment and block importances (one table)."""
    from connpredict.inspection import gene_set_enrichment, permutation_importance

    X, Y, regions = ds.X, ds.Y, ds.regions
    cv_name, seed = config["cv"][0], config["seeds"][0]
    n_perm = config["n_permutations"]
    if config["quick"]:
        n_perm = min(n_perm, QUICK_PERMUTATIONS)
    genes = gene_columns(X)
    present = set(genes)
    start = time.perf_counter()
    singles = gene_set_enrichment(
        X,
        Y,
        {g: [g] for g in genes},
        regions=regions,
        n_permutations=n_perm,
        min_size=1,
        random_state=seed,
    )
    frames = [_inspection_rows("gene", singles)]
    if gene_sets:
        sets = gene_set_enrichment(
            X, Y, gene_sets, regions=regions, n_permutations=n_perm, random_state=seed
        )
        frames.append(_inspection_rows("gene_set", sets))
    groups = {"all genes": genes}
    if all(c in X.columns for c in COORD_COLUMNS):
        groups["coordinates"] = list(COORD_COLUMNS)
    for name, members in gene_sets.items():
        kept = [g for g in dict.fromkeys(members) if g in present]
        if kept:
            groups[name] = kept
    name = config["inspect"]["model"]
    model = _make_model(
        name, table[name], quick=config["quick"], seed=seed, device=config["device"]
    )
    with warnings.catch_warnings():
        # gene sets overlap "all genes" by construction
        warnings.filterwarnings("ignore", message=".*more than one group")
        res = permutation_importance(
            model,
            X,
            Y,
            cv=make_splitter(cv_name, config["n_splits"], random_state=seed),
            groups=groups,
            regions=regions,
            n_repeats=min(n_perm, 19),
            random_state=seed,
            n_jobs=config["n_jobs"],
        )
    frames.append(
        pd.DataFrame(
            {
                "kind": "importance",
                "name": list(groups),
                "model": name,
                "statistic": res.importances_mean.to_numpy(),
                "sd": res.importances_std.to_numpy(),
                "p_spin": res.pvalues.to_numpy(),
                "n_genes": [
                    sum(c in present for c in members) for members in groups.values()
                ],
            }
        )
    )
    logger.info("inspection of %s: %.1f s", name, time.perf_counter() - start)
    return _concat("importances", frames)


def _inspection_rows(kind, table):
    return pd.DataFrame(
        {
            "kind": kind,
            "name": table.index.astype(str),
            "statistic": table["statistic"].to_numpy(),
            "sd": table["null_sd"].to_numpy(),
            "p_spin": table["p_spin"].to_numpy(),
            "q_spin": table["q_spin"].to_numpy(),
            "p_random_genes": table["p_random_genes"].to_numpy(),
            "n_genes": table["n_present"].to_numpy(),
        }
    )

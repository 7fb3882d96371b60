"""The legibility grid: which input blocks predict which connectome targets.

After Ruffle et al. ("The legibility of the human brain"): every model is
cross-validated on every pair (input block, target), and the grid shows what
can be predicted from what, how much better than distance decay, and whether
the input's spatial pattern matters (spin test).

One cell is one ``cross_val_score`` of one estimator on the columns of one
input block, against one target connectome, over the folds of that target.
"""

import contextlib
import html
import json
import logging
import numbers
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import check_cv, cross_val_score
from sklearn.utils import Bunch, check_random_state

from connpredict.models import cli_models
from connpredict.utils import COORD_COLUMNS, import_optional
from connpredict.utils._checks import MIN_REGIONS, check_int
from connpredict.utils._stats import draw_seed

logger = logging.getLogger("connpredict.inspection")

#: input blocks of the grid; ``pcs`` are the genes' principal components,
#: fitted in each fold on the training regions
INPUT_BLOCKS = ("genes", "pcs", "cell_types", "sc", "fc", "coords")
#: connectomes a target can be built from (``<conn>[:binary][:<network>]``)
CONNECTOMES = ("fc", "sc")
#: models that use only the coordinate columns (the distance rules)
COORDINATE_MODELS = ("decay", "gaussian")
#: columns of the grid table, in order
GRID_COLUMNS = (
    "input",
    "target",
    "model",
    "score_mean",
    "score_sd",
    "n_folds",
    "n_regions",
    "spin_p",
    "decay_score",
    "gain_over_decay",
    "estimator",
    "note",
)
_EXCLUDED_TARGET = "excluded: the input holds the target connectome"


def _cell_error(inp, target, message):
    return ValueError(
        f"grid cell (input {inp!r}, target {target!r}): "
        + " ".join(str(message).split())
    )


# -- parsing -----------------------------------------------------------------
def _as_list(value, name):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"{name} must be a non-empty list of names, got {value!r}.")
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{name} must hold non-empty strings, got {value!r}.")
    value = [v.strip() for v in value]
    if len(set(value)) != len(value):
        raise ValueError(f"{name} lists an entry twice: {value}.")
    return value


def _parse_input(inp, target):
    blocks = [b.strip() for b in inp.split("+")]
    unknown = [b for b in blocks if b not in INPUT_BLOCKS]
    if unknown:
        raise _cell_error(
            inp,
            target,
            f"unknown input block(s) {unknown}; inputs combine "
            f"{list(INPUT_BLOCKS)} with '+' (e.g. 'genes+coords').",
        )
    if len(set(blocks)) != len(blocks):
        raise _cell_error(inp, target, "the input lists a block twice.")
    if "pcs" in blocks and set(blocks) - {"pcs", "coords"}:
        raise _cell_error(
            inp,
            target,
            "'pcs' (the genes' principal components) combines only with "
            "'coords'; use 'genes' for the raw expression.",
        )
    return tuple(blocks)


def _parse_target(target, inp):
    parts = [p.strip() for p in target.split(":")]
    conn, mods = parts[0], parts[1:]
    if conn not in CONNECTOMES:
        raise _cell_error(
            inp,
            target,
            f"unknown target connectome {conn!r}; targets are "
            f"'<conn>[:binary][:<network>]' with <conn> in {list(CONNECTOMES)} "
            "(e.g. 'fc', 'sc', 'fc:binary', 'fc:Default').",
        )
    binary = "binary" in mods
    networks = [m for m in mods if m != "binary"]
    if mods.count("binary") > 1 or len(networks) > 1 or "" in mods:
        raise _cell_error(
            inp, target, "a target takes at most one ':binary' and one ':<network>'."
        )
    return conn, binary, (networks[0] if networks else None)


def _resolve_models(models, random_state):
    """Name -> (estimator, from_registry) of the requested models."""
    registry = cli_models()
    if isinstance(models, str):
        models = [models]
    if isinstance(models, (list, tuple)):
        models = dict.fromkeys(_as_list(list(models), "models"))
    if not isinstance(models, dict) or not models:
        raise ValueError(
            "models must be a list of model names or a mapping name -> "
            f"parameters or estimator, got {models!r}."
        )
    import connpredict.models as models_module

    out = {}
    for name, entry in models.items():
        if entry is not None and hasattr(entry, "get_params"):
            out[name] = (clone(entry), False)
            continue
        if name not in registry:
            raise ValueError(
                f"unknown model {name!r}; choose from {', '.join(registry)}."
            )
        if entry is not None and not isinstance(entry, dict):
            raise TypeError(
                f"models[{name!r}] must be a dict of parameters, an estimator or "
                f"None, got {entry!r}."
            )
        spec = registry[name]
        cls = getattr(models_module, spec.name)
        params = dict(spec.params)
        params.update(entry or {})
        defaults = cls().get_params()
        unknown = sorted(set(params) - set(defaults))
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {unknown} for model {name!r} "
                f"({spec.name}); valid: {', '.join(sorted(defaults))}."
            )
        if "random_state" in defaults and params.get("random_state") is None:
            params["random_state"] = random_state
        out[name] = (cls(**params), True)
    return out


# -- data ----------------------------------------------------------------------
def _load(dataset, conn, binary, blocks, options):
    """The dataset Bunch for one target connectome (blocks loaded as features)."""
    from connpredict.datasets import load_dataset

    if not isinstance(dataset, str):
        return dataset
    features = tuple(
        b
        for b in ("genes", "cell_types", "sc", "fc", "coords")
        if b in blocks and b != conn
    )
    return load_dataset(
        dataset, target=conn, features=features, binarize=binary or None, **options
    )


def _block_columns(ds, block):
    """Columns of ``ds.X`` that hold one input block."""
    cols = list(ds.X.columns)
    coords = [c for c in COORD_COLUMNS if c in cols]
    if block == "coords":
        return coords
    prefixes = {"sc": "sc_", "fc": "fc_"}
    if block in prefixes:
        return [c for c in cols if str(c).startswith(prefixes[block])]
    genes = ds.get("genes")
    if genes is None:
        genes = [c for c in cols if c not in coords]
    genes = [g for g in genes if g in cols]
    if block in ("genes", "pcs"):
        return genes
    # cell types: what is neither a gene, a connectome row nor a coordinate
    other = set(genes) | set(coords)
    return [c for c in cols if c not in other and not str(c).startswith(("sc_", "fc_"))]


def _cv_groups(cv, ds, X_all):
    """The network of each region for a :class:`NetworkSplit`, else None."""
    from connpredict.model_selection import NetworkSplit

    if not isinstance(cv, NetworkSplit):
        return None
    networks = ds.get("networks")
    if networks is None and ds.get("regions") is not None:
        networks = ds.regions.get("network")
    return None if networks is None else pd.Series(networks).reindex(X_all.index)


def _folds(cv, X_all, Y, inp, target, groups=None):
    try:
        splits = [
            (np.asarray(tr), np.asarray(te))
            for tr, te in check_cv(cv).split(X_all, Y, groups)
        ]
    except ValueError as exc:
        raise _cell_error(inp, target, exc) from None
    small = min(len(te) for _, te in splits)
    if small < MIN_REGIONS:
        raise _cell_error(
            inp,
            target,
            f"{len(X_all)} regions give a test fold of {small} region(s); a "
            f"Pearson r needs at least {MIN_REGIONS} per fold: use fewer "
            "splits or a larger target.",
        )
    return splits


# -- estimators ----------------------------------------------------------------
def grid_estimator(model, blocks, *, from_registry=True):
    """The estimator a grid cell fits: the model adapted to its input blocks.

    An input with ``pcs`` puts :class:`~connpredict.models.TranscriptomePCA`
    first in a pipeline (the components are fitted on each fold's training
    regions). For the registered models (``from_registry``), a
    ``use_distance`` parameter is also set to whether the input holds
    ``coords`` (so that ``genes+coords`` adds the distance term to the
    bilinear and PLS models); a user's estimator instance keeps its
    parameters.

    Parameters
    ----------
    model : estimator
        The connectome regressor (cloned).
    blocks : tuple of str
        The input blocks of the cell, e.g. ``("genes", "coords")``.
    from_registry : bool, default=True
        Whether ``model`` comes from a registered model name.

    Returns
    -------
    estimator : estimator
        A fresh estimator.

    Examples
    --------
    >>> from connpredict.inspection import grid_estimator
    >>> from connpredict.models import BilinearRegressor
    >>> grid_estimator(BilinearRegressor(), ("genes", "coords"))
    BilinearRegressor(use_distance=True)
    """
    est = clone(model)
    if from_registry and "use_distance" in est.get_params():
        est.set_params(use_distance="coords" in blocks)
    if "pcs" in blocks:
        from sklearn.pipeline import make_pipeline

        from connpredict.models import TranscriptomePCA

        est = make_pipeline(TranscriptomePCA(), est)
    return est


def _applicable(name, from_registry, blocks):
    """None when the model can use the input, else the reason it cannot."""
    if not from_registry:
        return None
    if name in COORDINATE_MODELS:
        if "coords" not in blocks:
            return f"not applicable: {name} uses only the coordinates"
        return None
    if set(blocks) == {"coords"}:
        return f"not applicable: {name} needs a block other than coordinates"
    return None


# -- the grid --------------------------------------------------------------------
def legibility_grid(
    dataset,
    inputs=("genes", "coords", "genes+coords"),
    targets=("fc",),
    models=("decay", "cge", "bilinear"),
    *,
    cv=None,
    null=None,
    n_permutations=100,
    scoring="pearson_r",
    dataset_options=None,
    random_state=None,
    n_jobs=None,
    verbose=0,
):
    """Cross-validate every model on every (input block, target) pair.

    Each cell of the grid is ``cross_val_score(estimator, X_cell, Y_target,
    cv=folds, scoring=scoring)``: the columns of one input block, the
    target connectome among its regions, the folds of that target. The
    folds are drawn once per target (``cv.split(X, Y)`` on the target's
    regions) and shared by every input and model, so the cells of a target
    column are paired comparisons; a distance-decay model
    (:class:`~connpredict.models.ExponentialDecayRegressor`, on the
    coordinates) is fitted on the same folds as the baseline of each target.

    Parameters
    ----------
    dataset : str or Bunch
        A registered dataset name (:func:`connpredict.datasets.load_dataset`;
        each target and feature block is loaded from it), or a dataset Bunch
        (``load_dataset`` / ``make_dataset``): then the inputs are the
        columns of its ``X`` (``genes``, ``pcs``, ``coords``) and the target
        is its ``Y`` (named ``fc``; network blocks allowed, no ``:binary``).
    inputs : list of str, default=("genes", "coords", "genes+coords")
        Input blocks, combined with ``+``: ``genes`` (expression),
        ``pcs`` (principal components of the genes, fitted in each fold on
        the training regions, keeping 95% of the variance; combines only with
        ``coords``), ``cell_types`` (Jorstad and Lake proportions;
        Schaefer-400 cortex only, so pass ``dataset_options={"subcortex":
        False}``), ``sc`` / ``fc`` (each region's row of the structural /
        functional connectome, to every region, held-out ones included:
        legitimate because that connectome is an input, not the target) and
        ``coords`` (MNI ``x, y, z``).
    targets : list of str, default=("fc",)
        ``<conn>[:binary][:<network>]``: ``fc`` or ``sc``; ``:binary``
        binarises it at the research threshold (``load_dataset(binarize=True)``;
        the score of a regressor is then the point-biserial r); ``:<network>``
        keeps the regions of one network (e.g. ``fc:Default``, the FC among
        the Default-network regions, with its own folds).
    models : list of str or dict, default=("decay", "cge", "bilinear")
        Command-line model names (``decay``, ``gaussian``, ``cge``,
        ``bilinear``, ``pls``, ``mlp``, ``smt``), or a mapping name ->
        hyper-parameters (dict) or name -> estimator instance (used as given
        in every cell). Registered models are adapted to the input by
        :func:`grid_estimator`.
    cv : int, splitter or None, default=None
        Folds over regions; None is ``SpatialSplit(n_splits=4,
        random_state=random_state)``, an int ``n`` the same with ``n`` folds.
        Give a splitter an integer ``random_state`` so that targets on the
        same regions get the same folds.
    null : {None, "spin"}, default=None
        ``"spin"`` adds the spin-test p-value of each cell
        (:func:`connpredict.nulls.spin_test`: the rows of the input's
        non-coordinate columns are spun, coordinates, target and folds stay);
        NaN for inputs without such columns and for the distance models.
    n_permutations : int, default=100
        Spins per cell with ``null="spin"``.
    scoring : str, default="pearson_r"
        A name of :func:`connpredict.metrics.get_scorer`.
    dataset_options : dict, default=None
        Extra options of ``load_dataset`` (e.g. ``{"subcortex": False}``,
        ``{"stability": 0.8}``); ``target``, ``features`` and ``binarize``
        are set by the grid.
    random_state : int, RandomState or None, default=None
        Seed of the default folds, of the registered models'
        ``random_state`` and of the spins (the same spins for every cell of
        a target). An integer is used as given; otherwise one is drawn from
        it (recorded in ``grid.attrs["random_state"]``).
    n_jobs : int, default=None
        Cells fitted in parallel (joblib).
    verbose : int, default=0
        Above 0, one progress line per cell on the logger
        ``connpredict.inspection`` (level INFO).

    Returns
    -------
    grid : DataFrame
        One row per (input, target, model), columns ``input``, ``target``,
        ``model``, ``score_mean`` and ``score_sd`` (mean and sample standard
        deviation over folds), ``n_folds``, ``n_regions``, ``spin_p``,
        ``decay_score`` (the baseline's mean score on the same target and
        folds), ``gain_over_decay`` (``score_mean - decay_score``),
        ``estimator`` (the fitted estimator's repr) and ``note`` (why a cell
        is NaN, else empty). ``grid.attrs`` holds the settings and the test
        regions of every fold (``attrs["folds"][target]``).

    Raises
    ------
    ValueError
        Before anything is fitted, for a cell whose input or target does
        not exist for the dataset (one line naming the cell), an unknown
        model (listing the valid ones) or a target too small for the folds.

    Warns
    -----
    UserWarning
        When cells are NaN: an input holding the target connectome (``sc``
        predicting ``sc``; excluded by the data contract), or a model that
        cannot use the input (the distance rules without ``coords``, the
        others with ``coords`` only).

    See Also
    --------
    plot_legibility_grid : Heatmap of the best model per cell.
    legibility_report : Interactive HTML page of the grid.

    Examples
    --------
    >>> from connpredict import make_synthetic_connectome
    >>> from connpredict.inspection import legibility_grid
    >>> ds = make_synthetic_connectome(n_regions=30, n_genes=8, random_state=0)
    >>> grid = legibility_grid(ds, inputs=["genes", "genes+coords"],
    ...                        models=["decay", "cge"], cv=3, random_state=0)
    >>> grid.shape
    (4, 12)
    >>> grid[["input", "model"]].values.tolist()[:2]
    [['genes', 'decay'], ['genes', 'cge']]
    >>> grid.loc[grid["model"] == "decay", "note"].tolist()
    ['not applicable: decay uses only the coordinates', '']
    """
    start = time.perf_counter()
    inputs = _as_list(inputs, "inputs")
    targets = _as_list(targets, "targets")
    scorer, options = _check_settings(null, n_permutations, scoring, dataset_options)
    _check_dataset(dataset)
    if isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, bool
    ):
        seed = int(random_state)
    else:
        seed = draw_seed(check_random_state(random_state))
    model_table = _resolve_models(models, seed)
    if cv is None or isinstance(cv, numbers.Integral):
        from connpredict.model_selection import SpatialSplit

        cv = SpatialSplit(n_splits=4 if cv is None else int(cv), random_state=seed)
    # every cell is parsed and its data checked before anything is fitted
    parsed = {inp: _parse_input(inp, targets[0]) for inp in inputs}
    per_target = _target_data_all(dataset, parsed, targets, options, cv, null)
    jobs = _grid_jobs(per_target, parsed, model_table)
    with _progress(verbose):
        logger.info(
            "legibility grid: %d inputs x %d targets x %d models = %d cells",
            len(inputs),
            len(targets),
            len(model_table),
            len(jobs),
        )
        decay = {
            target: _baseline_score(data.X_all, data.Y, data.splits, scorer)
            for target, data in per_target.items()
        }
        cell = {"scoring": scoring, "null": null, "n_permutations": n_permutations}
        rows = _run_cells(jobs, per_target, n_jobs, seed=seed, **cell)
    grid = _grid_table(rows, decay)
    grid.attrs = {
        "dataset": dataset if isinstance(dataset, str) else str(dataset.get("name")),
        "inputs": inputs,
        "targets": targets,
        "models": list(model_table),
        "cv": " ".join(repr(cv).split()),
        "null": null,
        "n_permutations": int(n_permutations) if null else None,
        "scoring": scoring,
        "random_state": seed,
        "dataset_options": options,
        "folds": {
            target: [[str(v) for v in data.X_all.index[te]] for _, te in data.splits]
            for target, data in per_target.items()
        },
        "elapsed_seconds": round(time.perf_counter() - start, 2),
    }
    return grid


def _check_settings(null, n_permutations, scoring, dataset_options):
    """``(scorer, load_dataset options)`` after checking the grid's settings."""
    from connpredict.metrics import get_scorer

    if null not in (None, "spin"):
        raise ValueError(f"null must be None or 'spin', got {null!r}.")
    if null == "spin":
        check_int(n_permutations, "n_permutations", low=1)
    if not isinstance(scoring, str):
        raise TypeError(f"scoring must be a scorer name, got {scoring!r}.")
    scorer = get_scorer(scoring)
    if dataset_options is not None and not isinstance(dataset_options, dict):
        raise TypeError(
            "dataset_options must be a dict of load_dataset options, got "
            f"{dataset_options!r}."
        )
    options = dict(dataset_options or {})
    fixed = sorted({"target", "features", "binarize"} & set(options))
    if fixed:
        raise ValueError(
            f"dataset_options may not set {fixed}: the grid sets them from "
            "inputs and targets."
        )
    return scorer, options


def _check_dataset(dataset):
    if not isinstance(dataset, (str, Bunch)) or (
        isinstance(dataset, Bunch) and not {"X", "Y"} <= set(dataset)
    ):
        raise TypeError(
            "dataset must be a registered dataset name or a dataset Bunch with X "
            f"and Y, got {type(dataset).__name__}."
        )


def _target_data_all(dataset, parsed, targets, options, cv, null):
    """Target -> Bunch(X_all, Y, regions, splits, cells): every cell's data."""
    inputs = list(parsed)
    load_blocks = {"coords"} | {
        "genes" if b == "pcs" else b for blocks in parsed.values() for b in blocks
    }
    loaded, per_target = {}, {}
    for target in targets:
        conn, binary, network = _parse_target(target, inputs[0])
        if not isinstance(dataset, str) and (binary or conn != "fc"):
            raise _cell_error(
                inputs[0],
                target,
                "a Bunch dataset has one target, its Y (named 'fc'), without "
                "':binary'; pass a registered dataset name for other targets.",
            )
        if (conn, binary) not in loaded:
            try:
                loaded[conn, binary] = _load(
                    dataset, conn, binary, load_blocks, options
                )
            except ValueError as exc:
                raise _locate_error(
                    dataset, conn, binary, parsed, target, options, exc
                ) from None
        ds = loaded[conn, binary]
        X_all, Y, regions = _target_data(ds, inputs[0], target, network)
        cells = {
            inp: None
            if conn in blocks
            else X_all[_cell_columns(ds, inp, target, blocks)]
            for inp, blocks in parsed.items()
        }
        groups = _cv_groups(cv, ds, X_all)
        splits = _folds(cv, X_all, Y, inputs[0], target, groups)
        if null == "spin" and regions is None:
            raise _cell_error(
                inputs[0],
                target,
                "null='spin' needs the dataset's region table (ds.regions, with "
                "sphere_x/y/z; build one with connpredict.datasets.atlas_regions).",
            )
        per_target[target] = Bunch(
            X_all=X_all, Y=Y, regions=regions, splits=splits, cells=cells
        )
    return per_target


def _grid_jobs(per_target, parsed, model_table):
    """One job per cell: (input, target, model name, model, from_registry, ...)."""
    jobs = []
    for target, data in per_target.items():
        for inp, blocks in parsed.items():
            for name, (model, from_registry) in model_table.items():
                note = (
                    _EXCLUDED_TARGET
                    if data.cells[inp] is None
                    else _applicable(name, from_registry, blocks)
                )
                jobs.append((inp, target, name, model, from_registry, blocks, note))
    return jobs


def _run_cells(jobs, per_target, n_jobs, **settings):
    """Evaluate every cell (in parallel), logging each outcome as it comes."""
    from joblib import Parallel, delayed

    results = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_evaluate_cell)(
            *job,
            X=per_target[job[1]].cells[job[0]],
            Y=per_target[job[1]].Y,
            regions=per_target[job[1]].regions,
            splits=per_target[job[1]].splits,
            **settings,
        )
        for job in jobs
    )
    rows = []
    for row in results:
        rows.append(row)
        if row["note"]:
            outcome = row["note"]
        else:
            outcome = f"{row['score_mean']:.3f} +- {row['score_sd']:.3f}"
            if np.isfinite(row["spin_p"]):
                outcome += f", spin p {row['spin_p']:.3g}"
        logger.info(
            "[%d/%d] %s -> %s, %s: %s",
            len(rows),
            len(jobs),
            row["input"],
            row["target"],
            row["model"],
            outcome,
        )
    return rows


def _grid_table(rows, decay):
    """The grid's rows with the decay baseline; warns of NaN cells."""
    grid = pd.DataFrame(rows)
    grid["decay_score"] = grid["target"].map(decay).astype(float)
    grid["gain_over_decay"] = grid["score_mean"] - grid["decay_score"]
    grid = grid[list(GRID_COLUMNS)]
    nan_cells = grid[grid["note"] != ""]
    if len(nan_cells):
        warnings.warn(
            f"{len(nan_cells)} of {len(grid)} grid cells are NaN: "
            + "; ".join(sorted(set(nan_cells["note"])))
            + " (see the 'note' column).",
            UserWarning,
            stacklevel=3,
        )
    return grid


def _locate_error(dataset, conn, binary, parsed, target, options, exc):
    """The cell behind a failed load: the first input block that fails alone."""
    for inp, blocks in parsed.items():
        for block in blocks:
            if block == conn:
                continue
            try:
                _load(
                    dataset,
                    conn,
                    binary,
                    {"genes" if block == "pcs" else block},
                    options,
                )
            except ValueError as block_exc:
                return _cell_error(inp, target, _grid_hint(block_exc))
    return _cell_error(next(iter(parsed)), target, _grid_hint(exc))


def _grid_hint(exc):
    message = " ".join(str(exc).split())
    if "subcortex=False" in message:
        message += " In the grid: dataset_options={'subcortex': False}."
    return message


def _target_data(ds, inp, target, network):
    """``(X, Y, regions)`` among the target's regions (one network, or all)."""
    X, Y, regions = ds.X, ds.Y, ds.get("regions")
    if network is None:
        return X, Y, regions
    networks = ds.get("networks")
    if networks is None and regions is not None and "network" in regions:
        networks = regions["network"]
    if networks is None:
        raise _cell_error(inp, target, "the dataset has no network labels.")
    networks = pd.Series(networks).reindex(X.index)
    known = sorted(networks.dropna().unique().tolist())
    if network not in known:
        raise _cell_error(
            inp, target, f"unknown network {network!r}; this dataset has {known}."
        )
    keep = (networks == network).to_numpy()
    X, Y = X.loc[keep], Y.loc[keep, keep]
    return X, Y, None if regions is None else regions.loc[X.index]


def _cell_columns(ds, inp, target, blocks):
    columns = []
    for block in blocks:
        cols = _block_columns(ds, block)
        if not cols:
            raise _cell_error(
                inp,
                target,
                f"the dataset has no {block!r} columns (a registered dataset "
                "name loads every block it has; a dataset Bunch gives only the "
                "columns of its X).",
            )
        columns.extend(cols)
    return columns


def _baseline_score(X_all, Y, splits, scorer):
    """Mean score of distance decay on the coordinates (NaN without them)."""
    from connpredict.models import ExponentialDecayRegressor

    coords = list(COORD_COLUMNS)
    if not all(c in X_all.columns for c in coords):
        return float("nan")
    scores = cross_val_score(
        ExponentialDecayRegressor(),
        X_all[coords],
        Y,
        cv=splits,
        scoring=scorer,
        error_score="raise",
    )
    return float(np.mean(scores))


def _evaluate_cell(
    inp,
    target,
    name,
    model,
    from_registry,
    blocks,
    note,
    *,
    X,
    Y,
    regions,
    splits,
    scoring,
    null,
    n_permutations,
    seed,
):
    """One row of the grid: the cross-validated score (and spin p) of one cell."""
    from connpredict.metrics import get_scorer

    row = {
        "input": inp,
        "target": target,
        "model": name,
        "score_mean": float("nan"),
        "score_sd": float("nan"),
        "n_folds": len(splits),
        "n_regions": len(Y),
        "spin_p": float("nan"),
        "estimator": "",
        "note": note or "",
    }
    if note:
        return row
    est = grid_estimator(model, blocks, from_registry=from_registry)
    row["estimator"] = " ".join(repr(est).split())
    spinnable = name not in COORDINATE_MODELS and any(
        c not in COORD_COLUMNS for c in X.columns
    )
    if null == "spin" and spinnable:
        from connpredict.nulls import spin_test

        result = spin_test(
            est,
            X,
            Y,
            cv=splits,
            scoring=scoring,
            n_permutations=n_permutations,
            regions=regions,
            random_state=seed,
            n_jobs=1,
        )
        scores = result.fold_scores
        row["spin_p"] = float(result.pvalue)
    else:
        scores = cross_val_score(
            est, X, Y, cv=splits, scoring=get_scorer(scoring), error_score="raise"
        )
    scores = np.asarray(scores, dtype=float)
    row["score_mean"] = float(np.mean(scores))
    row["score_sd"] = float(np.std(scores, ddof=1)) if scores.size > 1 else 0.0
    return row


@contextlib.contextmanager
def _progress(verbose):
    """Show this module's INFO lines on stderr when ``verbose`` and nobody listens."""
    old = logger.level
    handler = None
    if verbose:
        logger.setLevel(logging.INFO)
        if not logger.hasHandlers():
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(message)s"))
            logger.addHandler(handler)
    try:
        yield
    finally:
        logger.setLevel(old)
        if handler is not None:
            logger.removeHandler(handler)


# -- views: best model per cell, heatmap, HTML page ---------------------------
def _check_grid(grid):
    missing = [c for c in ("input", "target", "model", "score_mean") if c not in grid]
    if not isinstance(grid, pd.DataFrame) or missing:
        raise ValueError(
            "grid must be the DataFrame returned by legibility_grid (columns "
            f"input, target, model, score_mean, ...); missing {missing}."
        )


def _needs(model, inp):
    """The input blocks a cell's model uses."""
    if model in COORDINATE_MODELS:
        return "coords"
    return inp


def _best_cells(grid, value="score_mean"):
    """One row per (input, target): the model with the greatest ``value``."""
    _check_grid(grid)
    if value not in ("score_mean", "gain_over_decay"):
        raise ValueError(
            f"value must be 'score_mean' or 'gain_over_decay', got {value!r}."
        )
    rows = []
    for (inp, target), cell in grid.groupby(["input", "target"], sort=False):
        ok = cell[np.isfinite(cell["score_mean"].to_numpy(dtype=float))]
        if ok.empty:
            rows.append({"input": inp, "target": target, "model": None})
            continue
        best = ok.loc[ok["score_mean"].astype(float).idxmax()]
        rows.append(dict(best))
    out = pd.DataFrame(rows)
    return out


def _matrix(grid, value):
    best = _best_cells(grid, value)
    inputs = list(dict.fromkeys(grid["input"]))
    targets = list(dict.fromkeys(grid["target"]))
    values = np.full((len(inputs), len(targets)), np.nan)
    labels = np.full((len(inputs), len(targets)), "", dtype=object)
    for _, row in best.iterrows():
        i, j = inputs.index(row["input"]), targets.index(row["target"])
        if row.get("model") is None or pd.isna(row.get("model")):
            labels[i, j] = "n/a"
            continue
        values[i, j] = float(row[value])
        labels[i, j] = f"{row['model']}\n{values[i, j]:.2f}"
    return inputs, targets, values, labels


def plot_legibility_grid(grid, *, value="score_mean", ax=None, cmap="viridis"):
    """Heatmap of a legibility grid: the best model of each cell and its score.

    Rows are the inputs, columns the targets; each cell shows the model with
    the greatest mean score and that score (or its gain over distance
    decay). Cells without a score are blank.

    Parameters
    ----------
    grid : DataFrame
        The table of :func:`legibility_grid`.
    value : {"score_mean", "gain_over_decay"}, default="score_mean"
        What the colours show (the best model is the one with the greatest
        mean score in both cases).
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.
    cmap : str, default="viridis"
        Matplotlib colormap.

    Returns
    -------
    ax : matplotlib Axes
        The axes with the heatmap (and a colorbar beside it).

    Examples
    --------
    >>> from connpredict import make_synthetic_connectome
    >>> from connpredict.inspection import legibility_grid, plot_legibility_grid
    >>> ds = make_synthetic_connectome(n_regions=30, n_genes=8, random_state=0)
    >>> grid = legibility_grid(ds, inputs=["genes+coords"], models=["decay", "cge"],
    ...                        cv=3, random_state=0)
    >>> ax = plot_legibility_grid(grid)
    >>> ax.get_title()
    'Best model per cell (mean pearson_r over folds)'
    """
    plt = import_optional("matplotlib.pyplot", "plot_legibility_grid")

    inputs, targets, values, labels = _matrix(grid, value)
    if ax is None:
        _, ax = plt.subplots(
            figsize=(1.6 + 1.3 * len(targets), 1.0 + 0.6 * len(inputs)),
            layout="constrained",
        )
    cm = plt.get_cmap(cmap).with_extremes(bad="#dddddd")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cm, aspect="auto")
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for i in range(len(inputs)):
        for j in range(len(targets)):
            dark = np.isfinite(values[i, j]) and values[i, j] < middle
            ax.text(
                j,
                i,
                labels[i, j],
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else "black",
            )
    ax.set_xticks(range(len(targets)), targets, rotation=30, ha="right")
    ax.set_yticks(range(len(inputs)), inputs)
    ax.set_xlabel("target")
    ax.set_ylabel("input")
    scoring = grid.attrs.get("scoring", "score")
    what = "gain over distance decay" if value == "gain_over_decay" else "mean"
    ax.set_title(f"Best model per cell ({what} {scoring} over folds)")
    ax.figure.colorbar(image, ax=ax, label=value)
    return ax


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Legibility grid: __TITLE__</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;
color:#222;max-width:1200px}
h1{font-size:1.4em;margin-bottom:4px}.meta{color:#555;font-size:.9em}
table.grid{border-collapse:collapse;margin-top:16px}
table.grid th{font-weight:600;padding:6px 10px;font-size:.9em}
table.grid th.row{text-align:right}
table.grid td{width:110px;height:48px;text-align:center;cursor:pointer;
border:2px solid #fff;font-size:.85em;line-height:1.25}
table.grid td.na{background:#e4e4e4;color:#888;cursor:default}
table.grid td.sel{outline:3px solid #d62728}
#tip{position:fixed;display:none;background:#fff;border:1px solid #999;
border-radius:4px;padding:8px 10px;font-size:.85em;box-shadow:0 2px 6px #0003;
pointer-events:none;max-width:320px}
#detail{margin-top:20px}#detail table{border-collapse:collapse;font-size:.9em}
#detail th,#detail td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}
#detail th:first-child,#detail td:first-child,#detail th:last-child,
#detail td:last-child{text-align:left}
.legend{display:inline-block;width:160px;height:12px;vertical-align:middle;
margin:0 6px}
.controls{margin-top:12px;font-size:.9em}
</style></head><body>
<h1>Legibility grid: what predicts connectivity</h1>
<div class="meta" id="meta"></div>
<div class="controls">Colour: <label><input type="radio" name="value"
value="score_mean" checked> score</label> <label><input type="radio"
name="value" value="gain_over_decay"> gain over distance decay</label>
<span id="lo"></span><span class="legend" id="legend"></span><span id="hi"></span>
</div>
<table class="grid" id="grid"></table>
<div id="tip"></div>
<div id="detail"><p class="meta">Hover a cell for its best model; click it for
every model's score.</p></div>
<script type="application/json" id="grid-data">__DATA__</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("grid-data").textContent);
const V = [[68,1,84],[59,82,139],[33,145,140],[94,201,98],[253,231,37]];
function colour(t){t=Math.max(0,Math.min(1,t));const x=t*(V.length-1);
const i=Math.min(V.length-2,Math.floor(x)),f=x-i;
const c=V[i].map((v,k)=>Math.round(v+f*(V[i+1][k]-v)));
return ["rgb("+c.join(",")+")",(0.299*c[0]+0.587*c[1]+0.114*c[2])<140];}
function fmt(v,d){return (v===null||v===undefined||Number.isNaN(v))?"n/a":
Number(v).toFixed(d===undefined?3:d);}
function esc(s){return String(s).replace(/[&<>"']/g,
c=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));}
function cellRows(inp,tgt){return D.rows.filter(r=>r.input===inp&&r.target===tgt);}
function best(rows){let b=null;for(const r of rows){if(r.score_mean===null)continue;
if(b===null||r.score_mean>b.score_mean)b=r;}return b;}
document.getElementById("meta").textContent=D.meta;
let value="score_mean",selected=null;
function draw(){const tab=document.getElementById("grid");
const bests=[];for(const i of D.inputs)for(const t of D.targets){
const b=best(cellRows(i,t));if(b&&b[value]!==null)bests.push(b[value]);}
const lo=Math.min(...bests),hi=Math.max(...bests);
document.getElementById("lo").textContent=fmt(lo,2);
document.getElementById("hi").textContent=fmt(hi,2);
document.getElementById("legend").style.background="linear-gradient(to right,"+
[0,.25,.5,.75,1].map(t=>colour(t)[0]).join(",")+")";
let h="<tr><th></th>"+D.targets.map(t=>"<th>"+esc(t)+"</th>").join("")+"</tr>";
for(const i of D.inputs){h+="<tr><th class='row'>"+esc(i)+"</th>";
for(const t of D.targets){const b=best(cellRows(i,t));
if(!b||b[value]===null){h+="<td class='na' data-i='"+esc(i)+"' data-t='"+
esc(t)+"'>n/a</td>";continue;}
const [bg,dark]=colour(hi>lo?(b[value]-lo)/(hi-lo):0.5);
h+="<td style='background:"+bg+";color:"+(dark?"#fff":"#000")+"' data-i='"+
esc(i)+"' data-t='"+esc(t)+"'>"+esc(b.model)+"<br>"+fmt(b[value],2)+"</td>";}
h+="</tr>";}tab.innerHTML=h;}
function tipHtml(i,t){const rows=cellRows(i,t),b=best(rows);
let h="<b>"+esc(i)+" &rarr; "+esc(t)+"</b><br>";
if(!b){return h+"no score: "+esc(rows.length?rows[0].note:"");}
return h+"best model: <b>"+esc(b.model)+"</b><br>score "+fmt(b.score_mean)+
" &plusmn; "+fmt(b.score_sd)+" ("+b.n_folds+" folds, "+b.n_regions+
" regions)<br>inputs it needs: "+esc(b.needs)+"<br>gain over distance decay: "+
fmt(b.gain_over_decay)+"<br>spin p: "+fmt(b.spin_p,4);}
function detail(i,t){const rows=cellRows(i,t).slice().sort((a,b)=>
(b.score_mean===null?-9:b.score_mean)-(a.score_mean===null?-9:a.score_mean));
let h="<h2>"+esc(i)+" &rarr; "+esc(t)+": all models</h2><table><tr><th>model</th>"+
"<th>score</th><th>sd</th><th>gain over decay</th><th>spin p</th><th>inputs it "+
"needs</th><th>note</th></tr>";
for(const r of rows){h+="<tr><td>"+esc(r.model)+"</td><td>"+fmt(r.score_mean)+
"</td><td>"+fmt(r.score_sd)+"</td><td>"+fmt(r.gain_over_decay)+"</td><td>"+
fmt(r.spin_p,4)+"</td><td>"+esc(r.note?"":r.needs)+"</td><td>"+esc(r.note)+
"</td></tr>";}
document.getElementById("detail").innerHTML=h+"</table>";}
const tab=document.getElementById("grid"),tip=document.getElementById("tip");
tab.addEventListener("mouseover",e=>{const td=e.target.closest("td");if(!td)return;
tip.innerHTML=tipHtml(td.dataset.i,td.dataset.t);tip.style.display="block";});
tab.addEventListener("mousemove",e=>{tip.style.left=(e.clientX+14)+"px";
tip.style.top=(e.clientY+14)+"px";});
tab.addEventListener("mouseout",e=>{if(!e.relatedTarget||
!e.relatedTarget.closest||!e.relatedTarget.closest("td"))tip.style.display="none";});
tab.addEventListener("click",e=>{const td=e.target.closest("td");if(!td)return;
for(const c of tab.querySelectorAll("td.sel"))c.classList.remove("sel");
td.classList.add("sel");selected=[td.dataset.i,td.dataset.t];detail(...selected);});
for(const r of document.querySelectorAll("input[name=value]"))
r.addEventListener("change",e=>{value=e.target.value;draw();});
draw();
const first=best(D.rows);if(first){detail(first.input,first.target);}
</script></body></html>
"""


def _json_value(value):
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    return value


def legibility_report(grid, path):
    """Write a self-contained interactive HTML page of a legibility grid.

    The page (inline CSS and JavaScript, no network access) shows the grid
    of inputs x targets coloured by the best model's score or by its gain
    over distance decay; hovering a cell shows the best model, its score
    with the standard deviation over folds, the input blocks it uses, its
    gain over decay and its spin p; clicking a cell lists every model.

    Parameters
    ----------
    grid : DataFrame
        The table of :func:`legibility_grid`.
    path : str or path-like
        The ``.html`` file to write (its folder must exist).

    Returns
    -------
    path : Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from connpredict import make_synthetic_connectome
    >>> from connpredict.inspection import legibility_grid, legibility_report
    >>> ds = make_synthetic_connectome(n_regions=30, n_genes=8, random_state=0)
    >>> grid = legibility_grid(ds, inputs=["genes+coords"], models=["decay", "cge"],
    ...                        cv=3, random_state=0)
    >>> page = legibility_report(grid, Path(tempfile.mkdtemp()) / "grid.html")
    >>> "grid-data" in page.read_text()
    True
    """
    from pathlib import Path

    _check_grid(grid)
    rows = []
    for record in grid.to_dict(orient="records"):
        record = {k: _json_value(v) for k, v in record.items()}
        record["needs"] = _needs(record["model"], record["input"])
        rows.append(record)
    attrs = grid.attrs
    meta = (
        f"dataset {attrs.get('dataset', '?')}; scoring {attrs.get('scoring', '?')}; "
        f"folds {attrs.get('cv', '?')}; null {attrs.get('null') or 'none'}"
        + (f" ({attrs['n_permutations']} spins)" if attrs.get("n_permutations") else "")
        + f"; random_state {attrs.get('random_state', '?')}"
        + (
            f"; {attrs['elapsed_seconds']:.0f} s"
            if attrs.get("elapsed_seconds") is not None
            else ""
        )
    )
    data = {
        "inputs": list(dict.fromkeys(grid["input"])),
        "targets": list(dict.fromkeys(grid["target"])),
        "rows": rows,
        "meta": meta,
    }
    text = json.dumps(data, allow_nan=False).replace("</", "<\\/")
    page = _PAGE.replace("__TITLE__", html.escape(str(attrs.get("dataset", ""))))
    page = page.replace("__DATA__", text)
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path

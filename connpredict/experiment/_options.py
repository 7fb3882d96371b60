"""The options of ``connpredict run``, each declared once.

:data:`RUN_OPTIONS` is the one table of the main job's options: each
:class:`Option` gives its name, default, checker (type, bounds, choices),
help text, and where it applies (a command-line flag, a key of the
``--config`` file, a keyword of :func:`~connpredict.run_experiment`, a field
of ``config.json``). Derived from it: the command-line flags
(:func:`add_flags`), the config file reader (:func:`read_config`), the
validation of both the command line and ``run_experiment``
(:func:`check_option`, :func:`resolve_options`), the forwarding from the
command line to ``run_experiment`` (:func:`run_keywords`) and the
``config.json`` record (:func:`record_options`). A test checks that
``run_experiment``'s signature agrees with the table.

:data:`GRID_OPTIONS` is the same for the YAML file of ``connpredict grid``
(:func:`read_grid_config`, :func:`grid_keywords`).

Adding an option of ``connpredict run`` is one entry in :data:`RUN_OPTIONS`:
a flag, a config key, its check and its help follow. When it is a keyword of
``run_experiment`` (``keyword=True``, the default), give ``run_experiment``
the same keyword and default (``connpredict/experiment/tests/test_options.py``
fails until they agree), document it there and use ``options[name]``;
``record=True`` also writes it to ``config.json``.

Errors follow one policy: a value of the wrong type raises ``TypeError``, a
value out of bounds or not among the choices ``ValueError``; the message
names the option and what it must be, in the same words for Python and the
command line.
"""

import json
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

# imported with the command line's parser: no numpy, pandas or scikit-learn here

_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


class Option(NamedTuple):
    """One option of the main job.

    Attributes
    ----------
    name : str
        Python name (``n_splits``); the flag is ``--n-splits``.
    default : object
        Its default; ``run_experiment``'s signature must use the same.
    check : callable
        ``check(value, name)`` returns the typed value or raises
        ``TypeError``/``ValueError``.
    help : str
        Help of the flag; ``{default}`` is replaced by the default.
    flag : bool
        A command-line flag of ``connpredict run``.
    config : bool
        A key of the ``--config`` file (YAML or a results folder's JSON).
    keyword : bool
        A keyword of :func:`~connpredict.run_experiment`.
    record : bool
        Written to ``config.json`` as ``run_experiment`` used it.
    choices : tuple or None
        The allowed values, shown by ``--help`` (argparse ``choices``).
    switch : bool
        A flag without a value (``--quick``).
    text : callable or None
        Reads a string of the command line or the config file
        (``"4"`` -> 4), leaving a value it cannot read to ``check``;
        ``run_experiment`` takes typed values only.
    files : bool
        An option of the user's own files (``--expression``...), recorded in
        ``config.json`` by the command line when given.
    """

    name: str
    default: Any
    check: Any
    help: str = ""
    flag: bool = True
    config: bool = True
    keyword: bool = True
    record: bool = False
    choices: tuple = None
    switch: bool = False
    text: Any = None
    files: bool = False


# -- checkers: (value, name) -> typed value ----------------------------------
def _any(value, name):
    return value


def _text(value, name):
    """None or a string."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {value!r}.")
    return value


def _int_text(value):
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    return value


def _bool_text(value):
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    return value


def _ints_text(value):
    """Comma-separated integers, or a list of them (some may be strings)."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        return value
    return [_int_text(v.strip() if isinstance(v, str) else v) for v in items]


def _integer(minimum=None):
    def check(value, name):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {value!r}.")
        if minimum is not None and value < minimum:
            raise ValueError(f"{name} must be at least {minimum}, got {value}.")
        return int(value)

    return check


def _boolean(value, name):
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be true or false (a bool), got {value!r}.")
    return value


def _names(value, name):
    """A list of names: a comma-separated string or a list of strings."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, str) for v in value
    ):
        raise TypeError(
            f"{name} must be a comma-separated list of names, got {value!r}."
        )
    if not value:
        raise ValueError(f"{name} is empty; name at least one.")
    return list(value)


def _splitters(value, name):
    """Names of :data:`connpredict.model_selection.SPLITTERS`."""
    from connpredict.model_selection import SPLITTERS

    names = _names(value, name)
    for split in names:
        if split not in SPLITTERS:
            raise ValueError(
                f"unknown {name} {split!r}; choose from {', '.join(SPLITTERS)}."
            )
    return names


def _choice(*choices):
    def check(value, name):
        if value is not None and value not in choices:
            raise ValueError(
                f"{name} must be one of {', '.join(choices)}, got {value!r}."
            )
        return value

    return check


def _models(value, name):
    """None, model names, or a mapping name -> parameters (or an estimator)."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        for key, params in value.items():
            if not isinstance(key, str):
                raise TypeError(f"model names must be strings, got {key!r}.")
            if not (
                params is None
                or isinstance(params, Mapping)
                or hasattr(params, "get_params")
            ):
                raise TypeError(
                    f"{name}: {key!r} must map to a mapping of parameters (or an "
                    f"estimator), got {params!r}."
                )
        if not value:
            raise ValueError(f"{name} is empty; name at least one.")
        return dict(value)
    if not isinstance(value, (str, list, tuple)):
        raise TypeError(
            f"{name} must be a list of model names or a mapping name -> "
            f"parameters (or estimator), got {value!r}."
        )
    return _names(value, name)


def _seeds(value, name):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise TypeError(f"{name} must be a non-empty list of integers, got {value!r}.")
    check = _integer(minimum=0)
    return [check(v, name) for v in value]


def _n_jobs(value, name):
    value = _integer()(value, name)
    if value == 0:
        raise ValueError(f"{name} must not be 0; use 1 (serial) or -1 (all cores).")
    return value


def _null(value, name):
    """ "auto", "none" or a list of model names (checked against the models later)."""
    if value is None or value in ("auto", "none"):
        return value or "auto"
    if isinstance(value, (list, tuple)) and not value:
        return []
    return _names(value, name)


def _device(value, name):
    if not isinstance(value, str) or not value:
        raise TypeError(
            f"{name} must be a torch device name like 'cpu', got {value!r}."
        )
    if value in ("cpu", "auto"):  # "auto": CUDA when available, else CPU
        return value
    from connpredict.utils import import_optional

    torch = import_optional("torch", f"device {value!r}")
    try:
        kind = torch.device(value).type
    except (RuntimeError, ValueError):
        raise ValueError(f"unknown device {value!r}; use 'cpu' or 'cuda'.") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {value!r} needs CUDA, which this torch build or machine "
            "lacks; use device 'cpu'."
        )
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ValueError(
            f"device {value!r} needs Apple MPS, which is unavailable; use device 'cpu'."
        )
    return value


def _inspect(value, name):
    if value is None or value is False or value is True:
        return bool(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(
        f"{name} must be False, True or a mapping of gene sets (name -> list of "
        f"genes), got {type(value).__name__}."
    )


def _table(*options):
    """Name -> option, in the given order."""
    return {option.name: option for option in options}


_FILES = {
    "keyword": False,
    "files": True,
}  # options of the user's files: command line and file
_CLI = {"config": False, "keyword": False}  # the command line only
_PYTHON = {"flag": False, "config": False}  # run_experiment only
#: every option of the main job, in the order of ``--help`` and ``config.json``
RUN_OPTIONS = _table(
    Option(
        "dataset",
        None,
        _text,
        "registered dataset name (default: synthetic)",
        keyword=False,
    ),
    Option(
        "expression",
        None,
        _text,
        "expression table: CSV/TSV, regions x genes, labels in column 1",
        **_FILES,
    ),
    Option(
        "connectome",
        None,
        _text,
        "connectome, in expression row order unless labelled: a square "
        "CSV/TSV labelled like the expression; or .npy: a square matrix, a "
        "stack (subjects, regions, regions), or nilearn "
        "ConnectivityMeasure(vectorize=True) vectors (one per subject row, "
        "lower triangle with or without the diagonal)",
        **_FILES,
    ),
    Option(
        "regions",
        None,
        _text,
        "region table CSV/TSV (x, y, z, hemisphere, network, sphere_*)",
        **_FILES,
    ),
    Option(
        "reduction",
        None,
        _choice("mean", "fisher_z"),
        "how a subject stack in --connectome becomes one connectome: "
        "element-wise mean, or fisher_z (tanh of the mean arctanh; needs "
        "correlations) (default: mean)",
        choices=("mean", "fisher_z"),
        **_FILES,
    ),
    Option(
        "missing",
        None,
        _choice("drop", "mirror", "nearest"),
        "regions of --expression without expression (all-NaN rows): drop "
        "them, or take the expression of the same region in the other "
        "hemisphere (mirror; needs a hemisphere column in --regions) or of the "
        "nearest region (nearest; needs x, y, z) (default: drop)",
        choices=("drop", "mirror", "nearest"),
        **_FILES,
    ),
    Option("models", None, _models, "comma-separated, from {models}"),
    Option(
        "cv",
        ("spatial", "random"),
        _splitters,
        "comma-separated, from spatial, random, community (Louvain "
        "communities of the connectome), network (one fold per network of "
        "the regions' 'network' column) (default: {default})",
        record=True,
    ),
    Option(
        "n_splits",
        4,
        _integer(2),
        "test folds ({default})",
        record=True,
        text=_int_text,
    ),
    Option(
        "seeds",
        (0,),
        _seeds,
        "comma-separated seeds ({default})",
        record=True,
        text=_ints_text,
    ),
    Option(
        "null",
        "auto",
        _null,
        "models to spin-test (default: bilinear; 'none' to skip)",
        record=True,
    ),
    Option(
        "n_permutations",
        100,
        _integer(1),
        "spin permutations ({default})",
        text=_int_text,
        record=True,
    ),
    Option(
        "n_jobs",
        1,
        _n_jobs,
        "parallel jobs ({default}; -1 = all cores)",
        text=_int_text,
        record=True,
    ),
    Option(
        "device",
        "cpu",
        _device,
        "torch device of neural models ({default})",
        record=True,
    ),
    Option(
        "quick",
        False,
        _boolean,
        "smoke test, quick even on a busy machine: skips the neural models "
        "mlp and smt unless --models names them (then a few epochs), at most "
        "20 spins",
        text=_bool_text,
        record=True,
        switch=True,
    ),
    Option(
        "output",
        None,
        _text,
        "results folder (default: timestamped)",
        keyword=False,
    ),
    Option(
        "overwrite",
        False,
        _boolean,
        "replace --output",
        keyword=False,
        switch=True,
        text=_bool_text,
    ),
    Option(
        "config",
        None,
        _text,
        "YAML file with the same options (+ per-model parameters)",
        **_CLI,
    ),
    Option(
        "silent",
        False,
        _boolean,
        "no progress lines and no progress bar (the bar, with the time left, "
        "goes to stderr)",
        text=_bool_text,
        switch=True,
        **_CLI,
    ),
    Option(
        "no_report",
        False,
        _boolean,
        "skip report.html (faster)",
        text=_bool_text,
        switch=True,
        **_CLI,
    ),
    Option("verbose", 0, _any, **_PYTHON),
    Option("inspect", False, _inspect, **_PYTHON),
    Option("progress", False, _any, **_PYTHON),
)


def _shown(default):
    """A default as the command line writes it."""
    if isinstance(default, (list, tuple)):
        return ",".join(map(str, default))
    return str(default)


def add_flags(parser, **fill):
    """Add a command-line flag to ``parser`` for each flag of :data:`RUN_OPTIONS`.

    Flags are strings (validated later, with the config file, by
    :func:`resolve_options`); an absent flag is None so that the config file's
    value stands. ``fill`` completes the help texts (``{models}``).
    """
    for option in RUN_OPTIONS.values():
        if not option.flag:
            continue
        kwargs = {"help": option.help.format(default=_shown(option.default), **fill)}
        if option.switch:
            # an option of the config file too: absent stays None (the file wins)
            kwargs.update(action="store_const", const=True)
            if not option.config:
                kwargs.update(default=False)
        if option.choices:
            kwargs["choices"] = option.choices
        parser.add_argument(
            "--" + option.name.replace("_", "-"), dest=option.name, **kwargs
        )


def check_option(name, value):
    """``value`` of the option ``name``, checked and typed by its table entry."""
    return RUN_OPTIONS[name].check(value, name)


def run_keywords(options):
    """The keywords of ``run_experiment`` among ``options`` (command line or file)."""
    return {
        name: options[name]
        for name, option in RUN_OPTIONS.items()
        if option.keyword and (option.flag or option.config) and name in options
    }


def record_options(values):
    """The options recorded in ``config.json``, in the table's order."""
    return {name: values[name] for name, option in RUN_OPTIONS.items() if option.record}


def file_options():
    """Names of the options that read a user's files, in the table's order."""
    return [name for name, option in RUN_OPTIONS.items() if option.files]


def read_mapping(path):
    """The mapping of options in a YAML or JSON file, keys with underscores.

    YAML needs pyyaml (``pip install 'connpredict[yaml]'``); a ``.json`` file
    is read without it. Dashes in keys read as underscores; the key ``null``
    (which YAML reads as a missing value) is the option ``null``.
    """
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValueError(f"config file {path} is not UTF-8 text") from None
    if Path(path).suffix.lower() == ".json":
        # a results folder's config.json: no YAML parser needed
        try:
            config = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"config file {path} is not valid JSON: {exc}") from None
    else:
        from connpredict.utils import import_optional

        yaml = import_optional("yaml", f"Reading the YAML config file {path}")
        try:
            config = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            problem = " ".join(str(exc).split())
            raise ValueError(
                f"config file {path} is not valid YAML: {problem}"
            ) from None
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ValueError(f"config file {path} must hold a mapping of options")
    # YAML reads the key `null:` as None: it is the option "null"
    return {
        ("null" if k is None else str(k)).replace("-", "_"): v
        for k, v in config.items()
    }


def check_keys(config, allowed, path):
    """Refuse keys of a config file that are not options."""
    unknown = sorted(set(config) - set(allowed))
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join(unknown)} in {path}; "
            f"allowed: {', '.join(allowed)}"
        )


def read_config(path):
    """Read a YAML file of main-job options (the config keys of :data:`RUN_OPTIONS`).

    YAML needs pyyaml (``pip install 'connpredict[yaml]'``); a ``.json`` file
    is read without it.

    Dashes in keys read as underscores; the key ``null`` (which YAML reads
    as a missing value) is the option ``null``. The ``config.json`` of a
    results folder is accepted too (its ``model_params`` become the
    ``models`` mapping), to re-run a job. Values are validated by
    :func:`resolve_options`.

    Parameters
    ----------
    path : str or path-like
        The YAML file (UTF-8).

    Returns
    -------
    config : dict
    """
    config = read_mapping(path)
    # the config.json of a results folder reads back: its per-model parameters
    # become the models mapping, its timing and the dataset's target/scale
    # (units for the report) are records only
    params = config.pop("model_params", None)
    for record in ("elapsed_seconds", "estimator_params", "target", "scale"):
        config.pop(record, None)
    if isinstance(params, dict) and isinstance(config.get("models"), list):
        config["models"] = {m: params.get(m) or None for m in config["models"]}
    allowed = sorted(name for name, option in RUN_OPTIONS.items() if option.config)
    check_keys(config, allowed, path)
    return config


def resolve_options(file_config=None, flags=None):
    """Validated options: defaults, then ``file_config``, then ``flags``.

    Parameters
    ----------
    file_config : dict, default=None
        Options of a YAML file (:func:`read_config`).
    flags : dict, default=None
        Options given on the command line (strings), which win.

    Returns
    -------
    options : dict
        Every option of :data:`RUN_OPTIONS` that the command line or the
        file takes, typed: ``models`` a list of names or a mapping name ->
        parameters, ``seeds`` a list of int, ...

    Raises
    ------
    ValueError or TypeError
        One line naming the bad option and what it must be.

    Examples
    --------
    >>> from connpredict.experiment import resolve_options
    >>> opts = resolve_options({"n_splits": 3, "quick": "false"}, {"seeds": "1,2"})
    >>> opts["n_splits"], opts["quick"], opts["seeds"]
    (3, False, [1, 2])
    >>> resolve_options({"n_splits": 3.9})
    Traceback (most recent call last):
    ...
    TypeError: n_splits must be an integer, got 3.9.
    """
    given = dict(file_config or {})
    given.update(flags or {})
    config = {}
    for name, option in RUN_OPTIONS.items():
        if option.flag or option.config:
            value = given.get(name, option.default)
            if option.text is not None:
                value = option.text(value)
            config[name] = check_option(name, value)
    # the files given (the options with choices are policies on them)
    user = [n for n in file_options() if not RUN_OPTIONS[n].choices and config[n]]
    _user_file_options(config, user)
    return config


def _user_file_options(config, user):
    """The user's files: not with --dataset, both files, policies only with them."""
    for name in file_options():
        if config[name] is not None and RUN_OPTIONS[name].choices and not user:
            raise ValueError(
                f"--{name} applies to your own --expression/--connectome files, "
                "not to a registered --dataset"
            )
    if user and config["dataset"]:
        raise ValueError("pass either --dataset or --expression/--connectome, not both")
    if user and not (config["expression"] and config["connectome"]):
        raise ValueError("--expression and --connectome go together; pass both")


# -- connpredict grid ---------------------------------------------------------
def _dataset_name(value, name):
    if not isinstance(value, str):
        raise ValueError(f"{name} must name a registered dataset ({name}: ...)")
    return value


def _grid_null(value, name):
    return None if value in ("none", False) else value


def _splitter(value, name):
    """One name of :data:`connpredict.model_selection.SPLITTERS`."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a splitter name, got {value!r}.")
    names = _splitters(value, name)
    if len(names) != 1:
        raise ValueError(f"{name} must name one splitter, got {value!r}.")
    return names[0]


_GRID = {"flag": False}  # the grid's options are keys of its YAML file
#: every key of the YAML file of ``connpredict grid``; ``keyword``: a keyword
#: of :func:`~connpredict.inspection.legibility_grid` of the same name
GRID_OPTIONS = _table(
    Option("dataset", None, _dataset_name, keyword=False, **_GRID),
    Option("inputs", ["genes", "coords", "genes+coords"], _any, **_GRID),
    Option("targets", ["fc"], _any, **_GRID),
    Option("models", ["decay", "cge", "bilinear"], _any, **_GRID),
    Option("cv", "spatial", _splitter, keyword=False, **_GRID),
    Option("n_splits", 4, _integer(), keyword=False, **_GRID),
    Option("null", None, _grid_null, **_GRID),
    Option("n_permutations", 100, _integer(), **_GRID),
    Option("seed", 0, _integer(), keyword=False, **_GRID),
    Option("n_jobs", 1, _integer(), **_GRID),
    Option("scoring", "pearson_r", _any, **_GRID),
    Option("dataset_options", None, _any, **_GRID),
)


def read_grid_config(path):
    """Options of ``connpredict grid`` from its YAML file, checked, with defaults.

    Parameters
    ----------
    path : str or path-like
        The YAML file (keys of :data:`GRID_OPTIONS`).

    Returns
    -------
    options : dict
        Every key of :data:`GRID_OPTIONS`.
    """
    config = read_mapping(path)
    check_keys(config, list(GRID_OPTIONS), path)
    options = {}
    for name, option in GRID_OPTIONS.items():
        value = config.get(name, option.default)
        options[name] = option.check(
            value if option.text is None else option.text(value), name
        )
    return options


def grid_keywords(options):
    """The keywords of ``legibility_grid`` among the grid's ``options``."""
    return {
        name: options[name] for name, option in GRID_OPTIONS.items() if option.keyword
    }

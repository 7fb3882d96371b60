"""Options of the main job, from a YAML file and command-line strings.

:data:`OPTIONS` lists every option of ``connpredict run`` with its default;
the YAML file of ``--config`` takes the same keys (plus per-model
hyper-parameters under ``models:``). :func:`resolve_options` validates and
types them, raising one-line ``ValueError`` messages.
"""

import json
from pathlib import Path

from connpredict.utils import import_optional

_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
# option -> default; the YAML file takes the same keys (dashes or underscores)
OPTIONS = {
    "dataset": None,
    "expression": None,
    "connectome": None,
    "regions": None,
    "reduction": None,
    "missing": None,
    "models": None,
    "cv": "spatial,random",
    "n_splits": 4,
    "seeds": "0",
    "quick": False,
    "n_jobs": 1,
    "device": "cpu",
    "null": "auto",
    "n_permutations": 100,
    "output": None,
    "overwrite": False,
}


def _int(value, key, *, minimum=None):
    """An integer option: an int, or a string of one (never a float or bool)."""
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{key} must be at least {minimum}, got {value}")
    return value


def _bool(value, key):
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false, got {value!r}")
    return value


def _names(value, key):
    """A list of names: a comma-separated string or a YAML list of strings."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(
            f"{key} must be a comma-separated list of names, got {value!r}"
        )
    if not value:
        raise ValueError(f"{key} is empty; name at least one")
    return value


def _models(value):
    """Model names, or (YAML) a mapping name -> hyper-parameters."""
    if isinstance(value, dict):
        for name, params in value.items():
            if not isinstance(name, str) or not (
                params is None or isinstance(params, dict)
            ):
                raise ValueError(
                    f"models: {name!r} must map to a mapping of parameters, "
                    f"got {params!r}"
                )
        if not value:
            raise ValueError("models is empty; name at least one")
        return value
    if not isinstance(value, (str, list)):
        raise ValueError(
            f"models must be a list of model names or a mapping name -> parameters, "
            f"got {value!r}"
        )
    return _names(value, "models")


def _seeds(value):
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise ValueError(f"seeds must be a list of integers, got {value!r}")
    return [
        _int(v.strip() if isinstance(v, str) else v, "seeds", minimum=0) for v in items
    ]


def _null(value):
    if value is None or value in ("auto", "none"):
        return value or "auto"
    return [] if value == [] else _names(value, "null")


def read_config(path):
    """Read a YAML file of main-job options (the keys of :data:`OPTIONS`).

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
    config = {
        ("null" if k is None else str(k)).replace("-", "_"): v
        for k, v in config.items()
    }
    # the config.json of a results folder reads back: its per-model parameters
    # become the models mapping, its timing and the dataset's target/scale
    # (units for the report) are records only
    params = config.pop("model_params", None)
    for record in ("elapsed_seconds", "estimator_params", "target", "scale"):
        config.pop(record, None)
    if isinstance(params, dict) and isinstance(config.get("models"), list):
        config["models"] = {m: params.get(m) or None for m in config["models"]}
    unknown = sorted(set(config) - set(OPTIONS))
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join(unknown)} in {path}; "
            f"allowed: {', '.join(sorted(OPTIONS))}"
        )
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
        Every key of :data:`OPTIONS`, typed: ``models`` a list of names or a
        mapping name -> parameters, ``seeds`` a list of int, ...

    Raises
    ------
    ValueError
        One line naming the bad option and what it must be.

    Examples
    --------
    >>> from connpredict.experiment._options import resolve_options
    >>> opts = resolve_options({"n_splits": 3, "quick": "false"}, {"seeds": "1,2"})
    >>> opts["n_splits"], opts["quick"], opts["seeds"]
    (3, False, [1, 2])
    >>> resolve_options({"n_splits": 3.9})
    Traceback (most recent call last):
    ...
    ValueError: n_splits must be an integer, got 3.9
    """
    config = dict(OPTIONS)
    config.update(file_config or {})
    config.update(flags or {})
    for key in ("dataset", "expression", "connectome", "regions", "output", "device"):
        if config[key] is not None and not isinstance(config[key], str):
            raise ValueError(f"{key} must be a string, got {config[key]!r}")
    if config["models"] is not None:
        config["models"] = _models(config["models"])
    config["cv"] = _names(config["cv"], "cv")
    config["seeds"] = _seeds(config["seeds"])
    config["null"] = _null(config["null"])
    config["n_splits"] = _int(config["n_splits"], "n_splits", minimum=2)
    config["n_permutations"] = _int(
        config["n_permutations"], "n_permutations", minimum=1
    )
    config["n_jobs"] = _int(config["n_jobs"], "n_jobs")
    if config["n_jobs"] == 0:
        raise ValueError("n_jobs must not be 0; use 1 (serial) or -1 (all cores)")
    config["quick"] = _bool(config["quick"], "quick")
    config["overwrite"] = _bool(config["overwrite"], "overwrite")
    user = [k for k in ("expression", "connectome", "regions") if config[k]]
    _user_file_options(config, user)
    if user and config["dataset"]:
        raise ValueError("pass either --dataset or --expression/--connectome, not both")
    if user and not (config["expression"] and config["connectome"]):
        raise ValueError("--expression and --connectome go together; pass both")
    return config


#: choices of the options that read a user's files (make_dataset's)
USER_FILE_CHOICES = {
    "reduction": ("mean", "fisher_z"),
    "missing": ("drop", "mirror", "nearest"),
}


def _user_file_options(config, user):
    """Check --reduction and --missing: choices, and only with user files."""
    for key, choices in USER_FILE_CHOICES.items():
        value = config[key]
        if value is None:
            continue
        if value not in choices:
            raise ValueError(
                f"{key} must be one of {', '.join(choices)}, got {value!r}"
            )
        if not user:
            raise ValueError(
                f"--{key} applies to your own --expression/--connectome files, "
                "not to a registered --dataset"
            )

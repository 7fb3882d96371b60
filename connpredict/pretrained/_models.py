"""The pretrained models shipped with the package."""

import hashlib
import json
from importlib import resources

_PACKAGE = "connpredict.pretrained"
_FOLDER = "models"


def _models_dir():
    return resources.files(_PACKAGE).joinpath(_FOLDER)


def _index():
    return json.loads(_models_dir().joinpath("index.json").read_text(encoding="utf-8"))


def list_models():
    """Names of the pretrained models shipped with connpredict.

    Returns
    -------
    names : list of str
        Sorted model names, each loadable with :func:`load_model` and
        described by :func:`model_card`.

    Examples
    --------
    >>> from connpredict.pretrained import list_models
    >>> "pls-schaefer200-shared" in list_models()
    True
    """
    return sorted(_index())


def _entry(name):
    index = _index()
    if name not in index:
        raise ValueError(
            f"Unknown pretrained model {name!r}; choose one of {sorted(index)} "
            "(connpredict.pretrained.list_models())."
        )
    return index[name]


def model_path(name):
    """Path of a pretrained model's file (a :func:`save_estimator` file).

    Parameters
    ----------
    name : str
        One of :func:`list_models`.

    Returns
    -------
    path : str

    Examples
    --------
    >>> from connpredict.pretrained import model_path
    >>> model_path("pls-schaefer200-shared").endswith(".npz")
    True
    """
    return str(_models_dir().joinpath(_entry(name)["file"]))


def model_card(name):
    """The model card of a pretrained model (Markdown text).

    Training data and licences, genes, coordinate space, within-atlas
    spatial cross-validation and cross-atlas transfer scores, intended use
    and limits.

    Parameters
    ----------
    name : str
        One of :func:`list_models`.

    Returns
    -------
    card : str

    Examples
    --------
    >>> from connpredict.pretrained import model_card
    >>> print(model_card("pls-schaefer200-shared").splitlines()[0])
    # Model card: pls-schaefer200-shared
    """
    card = _entry(name)["card"]
    return _models_dir().joinpath(card).read_text(encoding="utf-8")


def load_model(name, *, device=None):
    """Load a pretrained model, offline, as a fitted estimator.

    The file's SHA-256 is checked against the package's index before the
    file is read (then :func:`load_estimator` checks its own payload).

    Parameters
    ----------
    name : str
        One of :func:`list_models`.
    device : str or None, default=None
        Torch device for neural models (see :func:`load_estimator`).

    Returns
    -------
    estimator : estimator
        Fitted; predict on a new atlas through :func:`align_regions` or
        :func:`predict_connectome`, which match genes by name and check
        coordinates.

    Examples
    --------
    >>> from connpredict.pretrained import load_model
    >>> type(load_model("pls-schaefer200-shared")).__name__
    'PLSBilinearRegressor'
    """
    from connpredict.pretrained._io import load_estimator

    entry = _entry(name)
    path = model_path(name)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != entry["sha256"]:
        raise ValueError(
            f"The pretrained model file {path} does not match its recorded "
            "SHA-256 (corrupted or modified installation); reinstall connpredict."
        )
    return load_estimator(path, device=device)

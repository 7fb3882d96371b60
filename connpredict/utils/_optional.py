"""Optional dependencies: import one, or say in one line which extra installs it.

The core of connpredict needs numpy, scipy, pandas, scikit-learn and joblib
only. The neural models, plots and reports, the community split and YAML
configuration files need packages installed by the extras of
``pyproject.toml``; :func:`import_optional` is the one place that turns a
missing one into a one-line error naming the extra.
"""

import importlib

# top-level module -> (distribution to install, connpredict extra)
OPTIONAL_DEPENDENCIES = {
    "torch": ("torch", "neural"),
    "skorch": ("skorch", "neural"),
    "tqdm": ("tqdm", "neural"),
    "matplotlib": ("matplotlib", "plot"),
    "nilearn": ("nilearn", "plot"),
    "nibabel": ("nibabel", "plot"),
    "networkx": ("networkx", "community"),
    "yaml": ("pyyaml", "yaml"),
}


class MissingDependencyError(ModuleNotFoundError):
    """An optional dependency is not installed; the message names its extra.

    A subclass of :class:`ModuleNotFoundError` (so of :class:`ImportError`),
    raised by :func:`import_optional`.

    Examples
    --------
    >>> from connpredict.utils import MissingDependencyError
    >>> issubclass(MissingDependencyError, ImportError)
    True
    """


def _message(module, purpose):
    dist, extra = OPTIONAL_DEPENDENCIES[module]
    return f"{purpose} needs {dist}: pip install 'connpredict[{extra}]'"


def import_optional(module, purpose):
    """Import an optional dependency, or raise a one-line error naming its extra.

    Parameters
    ----------
    module : str
        The module to import, for example ``"torch"`` or
        ``"matplotlib.pyplot"``. Its top-level package must be one of the
        optional dependencies (torch, skorch, tqdm: ``[neural]``; matplotlib,
        nilearn, nibabel: ``[plot]``; networkx: ``[community]``; yaml: ``[yaml]``).
    purpose : str
        What needs it, starting the message, for example
        ``"PairMLPRegressor"``.

    Returns
    -------
    module : module
        The imported module.

    Raises
    ------
    MissingDependencyError
        When the package is not installed (or is blocked, ``None`` in
        ``sys.modules``): ``"<purpose> needs torch: pip install
        'connpredict[neural]'"``. An error raised while importing an
        installed package propagates unchanged.

    Examples
    --------
    >>> from connpredict.utils import import_optional
    >>> import_optional("yaml", "Reading a YAML config").safe_load("a: 1")
    {'a': 1}
    """
    root = module.partition(".")[0]
    if root not in OPTIONAL_DEPENDENCIES:
        raise ValueError(
            f"{root!r} is not an optional dependency of connpredict; "
            f"known: {', '.join(sorted(OPTIONAL_DEPENDENCIES))}."
        )
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        # only the package itself missing; a broken install's own missing
        # dependency is reported as is
        if exc.name is None or exc.name.partition(".")[0] != root:
            raise
        raise MissingDependencyError(_message(root, purpose), name=root) from None

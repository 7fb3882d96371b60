"""Import :mod:`abagen` on Python environments that lack ``pkg_resources``.

abagen 0.1.3 (the current release) runs ``from pkg_resources import
resource_filename`` at import time in four of its modules (``datasets.fetchers``,
``probes_``, ``samples_`` and ``mouse.io``). ``pkg_resources`` came with
setuptools and is gone from recent setuptools releases, so ``import abagen``
fails there with ``ModuleNotFoundError: No module named 'pkg_resources'``.

:func:`import_abagen` imports abagen normally when ``pkg_resources`` is
importable. Otherwise it registers a small stand-in module under the name
``pkg_resources`` for the duration of the import, built on
:mod:`importlib.resources`, that provides the functions abagen calls
(``resource_filename``, plus ``resource_exists``, ``resource_string`` and
``resource_stream`` for completeness), and removes it again afterwards so that
no other package mistakes it for the real ``pkg_resources``. abagen binds
``resource_filename`` when its modules are imported, and ``import abagen``
imports all four modules, so abagen keeps working after the stand-in is gone.
"""

import importlib
import importlib.util
import sys
import types
import warnings
from importlib import resources

__all__ = ["import_abagen", "make_pkg_resources_shim"]

_INSTALL_HINT = (
    "abagen is needed for this and is not installed. Install it with "
    "`pip install connpredict[ahba]` (or `pip install abagen`)."
)


def _package_name(package_or_requirement):
    """Return the importable package name of a ``pkg_resources`` argument."""
    if isinstance(package_or_requirement, types.ModuleType):
        name = package_or_requirement.__name__
        if not hasattr(package_or_requirement, "__path__"):
            # a plain module: resources live beside it, in its package
            name = name.rpartition(".")[0] or name
        return name
    if not isinstance(package_or_requirement, str):
        raise TypeError(
            "pkg_resources shim: expected a package name or module, got "
            f"{type(package_or_requirement).__name__}."
        )
    return package_or_requirement


def _resource_path(package_or_requirement, resource_name):
    """Traversable for ``resource_name`` (a '/'-separated path) in a package."""
    name = _package_name(package_or_requirement)
    root = resources.files(name)
    parts = [p for p in str(resource_name).split("/") if p not in ("", ".")]
    return root.joinpath(*parts) if parts else root


def _resource_filename(package_or_requirement, resource_name):
    """Absolute file-system path of a package resource (as a string)."""
    return str(_resource_path(package_or_requirement, resource_name))


def _resource_exists(package_or_requirement, resource_name):
    """Whether the package resource exists."""
    path = _resource_path(package_or_requirement, resource_name)
    return path.is_file() or path.is_dir()


def _resource_string(package_or_requirement, resource_name):
    """Contents of a package resource, as bytes."""
    return _resource_path(package_or_requirement, resource_name).read_bytes()


def _resource_stream(package_or_requirement, resource_name):
    """Binary file object reading a package resource."""
    return _resource_path(package_or_requirement, resource_name).open("rb")


def make_pkg_resources_shim():
    """Build a stand-in ``pkg_resources`` module (not registered anywhere).

    It offers the resource functions that abagen uses, implemented with
    :mod:`importlib.resources`, with the ``pkg_resources`` signatures
    ``f(package_or_requirement, resource_name)`` where the package is given
    by its import name (or as a module) and ``resource_name`` is a
    '/'-separated path inside it.

    Returns
    -------
    module : types.ModuleType
        A module named ``pkg_resources`` with ``resource_filename``,
        ``resource_exists``, ``resource_string`` and ``resource_stream``;
        its attribute ``__connpredict_shim__`` is True.

    Examples
    --------
    >>> from connpredict.datasets._abagen_compat import make_pkg_resources_shim
    >>> shim = make_pkg_resources_shim()
    >>> shim.resource_filename("connpredict", "datasets").endswith("datasets")
    True
    >>> shim.resource_exists("connpredict", "no/such/file.txt")
    False
    """
    shim = types.ModuleType(
        "pkg_resources",
        "Minimal pkg_resources stand-in installed by connpredict to import abagen.",
    )
    shim.resource_filename = _resource_filename
    shim.resource_exists = _resource_exists
    shim.resource_string = _resource_string
    shim.resource_stream = _resource_stream
    shim.__connpredict_shim__ = True
    return shim


def _has_real_pkg_resources():
    existing = sys.modules.get("pkg_resources")
    if existing is not None:
        return not getattr(existing, "__connpredict_shim__", False)
    try:
        return importlib.util.find_spec("pkg_resources") is not None
    except (ImportError, ValueError):
        return False


def import_abagen():
    """Import and return :mod:`abagen`, working around a missing ``pkg_resources``.

    If ``pkg_resources`` can be imported, abagen is imported as usual (the
    deprecation warning that setuptools emits for ``pkg_resources`` is
    silenced). Otherwise a stand-in ``pkg_resources`` from
    :func:`make_pkg_resources_shim` is registered in :data:`sys.modules` while
    abagen is imported and removed afterwards.

    Use it instead of ``import abagen``, which fails with ``No module named
    'pkg_resources'`` under setuptools 81 and later (abagen 0.1.3 imports
    ``pkg_resources`` at import time). After one call, ``import abagen``
    also works in the same Python session.

    Returns
    -------
    abagen : module
        The imported abagen package.

    Raises
    ------
    ImportError
        If abagen is not installed; the message says how to install it.

    Examples
    --------
    >>> from connpredict.datasets import import_abagen
    >>> try:
    ...     abagen = import_abagen()
    ... except ImportError as exc:  # abagen is an optional dependency
    ...     assert "connpredict[ahba]" in str(exc)
    ... else:
    ...     atlas = abagen.fetch_desikan_killiany()  # shipped with abagen
    ...     assert atlas["image"].endswith("atlas-desikankilliany.nii.gz")
    """
    if sys.modules.get("abagen") is not None:
        return sys.modules["abagen"]
    if importlib.util.find_spec("abagen") is None:
        raise ImportError(_INSTALL_HINT)

    installed_shim = False
    if not _has_real_pkg_resources():
        sys.modules["pkg_resources"] = make_pkg_resources_shim()
        installed_shim = True
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=".*pkg_resources.*", category=UserWarning
            )
            warnings.filterwarnings(
                "ignore", message=".*pkg_resources.*", category=DeprecationWarning
            )
            abagen = importlib.import_module("abagen")
    except ModuleNotFoundError as exc:
        if exc.name == "abagen":
            raise ImportError(_INSTALL_HINT) from exc
        raise ImportError(
            f"abagen is installed but importing it failed: {exc}. A dependency of "
            "abagen is missing; reinstall it with `pip install connpredict[ahba]`."
        ) from exc
    finally:
        if installed_shim and getattr(
            sys.modules.get("pkg_resources"), "__connpredict_shim__", False
        ):
            del sys.modules["pkg_resources"]
    return abagen

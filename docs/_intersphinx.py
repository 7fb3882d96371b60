"""Offline fallback inventories for intersphinx (used by ``conf.py``).

The documentation links to scikit-learn, NumPy, SciPy and nilearn through
intersphinx. Each project's published ``objects.inv`` is tried first; when the
build machine is offline, Sphinx falls back to a local inventory written here
from the installed packages: every public class and function of a fixed list
of modules, pointed at the page each project generates for it (all four
projects use one page per object, ``<prefix><full name>.html``). Sphinx only
logs an info message when a first location fails and a later one works, so
an offline build passes under ``-W``; online builds use the real inventories
(and Sphinx caches them).
"""

import importlib
import inspect
import zlib
from pathlib import Path

# project -> (documentation URL, page prefix, modules whose objects to list)
PROJECTS = {
    "sklearn": (
        "https://scikit-learn.org/stable/",
        "modules/generated/",
        (
            "sklearn.base",
            "sklearn.cluster",
            "sklearn.compose",
            "sklearn.cross_decomposition",
            "sklearn.decomposition",
            "sklearn.ensemble",
            "sklearn.exceptions",
            "sklearn.feature_selection",
            "sklearn.impute",
            "sklearn.inspection",
            "sklearn.kernel_ridge",
            "sklearn.linear_model",
            "sklearn.manifold",
            "sklearn.metrics",
            "sklearn.model_selection",
            "sklearn.neighbors",
            "sklearn.neural_network",
            "sklearn.pipeline",
            "sklearn.preprocessing",
            "sklearn.svm",
            "sklearn.utils",
            "sklearn.utils.validation",
        ),
    ),
    "numpy": ("https://numpy.org/doc/stable/", "reference/generated/", ("numpy",)),
    "scipy": (
        "https://docs.scipy.org/doc/scipy/",
        "reference/generated/",
        (
            "scipy.cluster.hierarchy",
            "scipy.linalg",
            "scipy.optimize",
            "scipy.sparse",
            "scipy.sparse.csgraph",
            "scipy.spatial",
            "scipy.spatial.distance",
            "scipy.stats",
        ),
    ),
    "nilearn": (
        "https://nilearn.github.io/stable/",
        "modules/generated/",
        (
            "nilearn.connectome",
            "nilearn.datasets",
            "nilearn.image",
            "nilearn.maskers",
            "nilearn.plotting",
            "nilearn.surface",
        ),
    ),
}

# objects documented away from the one-page-per-object layout
_EXTRA = {
    "numpy": (
        ("numpy.random.RandomState", "py:class", "reference/random/legacy.html"),
        ("numpy.random.Generator", "py:class", "reference/random/generator.html"),
        ("numpy.random.default_rng", "py:function", "reference/random/generator.html"),
    ),
}


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return [n for n in names if not n.startswith("_")]


def _entries(module_name, prefix):
    """``(name, role, uri)`` of the public classes and functions of a module."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return []
    out = []
    for name in _public_names(module):
        try:
            obj = getattr(module, name, None)
        except ImportError:  # experimental names that need an explicit enable
            continue
        if obj is None or inspect.ismodule(obj):
            continue
        full = f"{module_name}.{name}"
        page = f"{prefix}{full}.html"
        if inspect.isclass(obj):
            out.append((full, "py:class", page))
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and callable(member):
                    out.append((f"{full}.{attr}", "py:method", page))
        elif callable(obj):
            out.append((full, "py:function", page))
    return out


def write_inventory(project, path):
    """Write the fallback ``objects.inv`` of ``project`` to ``path``."""
    _, prefix, modules = PROJECTS[project]
    entries = {}
    for module_name in modules:
        for name, role, uri in _entries(module_name, prefix):
            entries.setdefault(name, (role, uri))
    for name, role, uri in _EXTRA.get(project, ()):
        entries[name] = (role, uri)
    lines = [
        f"{name} {role} 1 {uri}#$ -\n" for name, (role, uri) in sorted(entries.items())
    ]
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        "# Version: \n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header.encode() + zlib.compress("".join(lines).encode()))
    return path


def intersphinx_mapping(folder):
    """``intersphinx_mapping``: each project's inventory, then the fallback."""
    mapping = {}
    for project, (url, _, _) in PROJECTS.items():
        local = write_inventory(project, Path(folder) / f"{project}-objects.inv")
        mapping[project] = (url, (None, str(local)))
    return mapping

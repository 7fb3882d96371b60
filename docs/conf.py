"""Sphinx configuration of the connpredict documentation.

Build with ``bash docs/build.sh`` (warnings are errors). ``api.rst`` is
written here from the ``__all__`` of each public subpackage, so the API
reference always lists exactly the public names.
"""

import importlib
import os
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

import connpredict  # noqa: E402

project = "connpredict"
author = "connpredict developers"
copyright = "connpredict developers"
release = connpredict.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
root_doc = "index"
default_role = "literal"
nitpicky = False

# -- autodoc / autosummary / numpydoc -------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- intersphinx ----------------------------------------------------------------
# Each project's published inventory first; offline, a fallback inventory
# written from the installed packages (see _intersphinx.py), so the build
# neither fails nor loses the links without network.
sys.path.insert(0, str(DOCS))
from _intersphinx import intersphinx_mapping as _intersphinx_mapping  # noqa: E402

intersphinx_mapping = _intersphinx_mapping(DOCS / "_build" / "intersphinx")
intersphinx_timeout = 5

# -- HTML -----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"connpredict {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "navbar_align": "left",
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False

# -- sphinx-gallery -------------------------------------------------------------
os.environ.setdefault("MPLBACKEND", "Agg")
sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("connpredict",),
    "backreferences_dir": "generated/backreferences",
    "download_all_examples": False,
    "show_memory": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "capture_repr": ("_repr_html_", "__repr__"),
    "abort_on_example_error": True,
    "plot_gallery": "True",
}

warnings.filterwarnings(
    "ignore", category=UserWarning, message="Matplotlib is currently"
)
warnings.filterwarnings("ignore", category=DeprecationWarning, module="skorch")

# -- API reference, written from __all__ ----------------------------------------
API_SECTIONS = (
    (
        "connpredict.datasets",
        "Datasets",
        "Loaders, the synthetic generator, the data home.",
    ),
    (
        "connpredict.experiment",
        "The main job",
        "``run_experiment`` (the engine of ``connpredict run``) and its result.",
    ),
    (
        "connpredict.model_selection",
        "Model selection",
        "Cross-validation over regions (regions are the samples).",
    ),
    (
        "connpredict.models",
        "Models",
        "Connectome regressors and classifiers, a meta-estimator and "
        "region-feature transformers.",
    ),
    ("connpredict.metrics", "Metrics", "Metric functions, ``evaluate`` and scorers."),
    ("connpredict.nulls", "Null models", "Spin permutations and spin tests."),
    (
        "connpredict.pretrained",
        "Saved and pretrained models",
        "Pickle-free, checksummed model files; the pretrained models shipped "
        "with the package; predicting the connectome of a new parcellation.",
    ),
    ("connpredict.report", "Report", "The HTML report and its figures."),
    ("connpredict.utils", "Utilities", "Helpers of the data contract."),
)


def _model_groups(names):
    """Split the models section: estimators, then meta-estimators/transformers."""
    from connpredict.models._registry import model_specs

    second = {s.name for s in model_specs() if s.family in ("meta", "transformer")}
    return [
        (None, [n for n in names if n not in second]),
        (
            "Meta-estimators and region-feature transformers (fitted on the "
            "training\nregions only; use them in a "
            ":class:`~sklearn.pipeline.Pipeline`).",
            [n for n in names if n in second],
        ),
    ]


# module -> function(names) -> [(blurb or None, names), ...]
API_GROUPS = {"connpredict.models": _model_groups}


def _autosummary(names):
    lines = [
        ".. autosummary::",
        "   :toctree: generated/",
        "   :nosignatures:",
        "",
    ]
    lines += [f"   {name}" for name in sorted(names, key=str.lower)]
    lines.append("")
    return lines


def _api_rst():
    lines = [
        ".. _api:",
        "",
        "=============",
        "API reference",
        "=============",
        "",
        "The public names of each subpackage (its ``__all__``). The most used",
        "ones are also importable from ``connpredict`` itself.",
        "",
    ]
    for module_name, title, blurb in API_SECTIONS:
        module = importlib.import_module(module_name)
        names = list(getattr(module, "__all__", ()))
        lines += [
            f":mod:`{module_name}`: {title}",
            "=" * (len(module_name) + len(title) + 9),
            "",
            f".. automodule:: {module_name}",
            "   :no-members:",
            "   :no-inherited-members:",
            "",
            blurb,
            "",
            f".. currentmodule:: {module_name}",
            "",
        ]
        groups = API_GROUPS.get(module_name, lambda n: [(None, n)])(names)
        for group_blurb, group in groups:
            if not group:
                continue
            if group_blurb:
                lines += [group_blurb, ""]
            lines += _autosummary(group)
    return "\n".join(lines) + "\n"


def _write_if_changed(path, text):
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


_write_if_changed(DOCS / "api.rst", _api_rst())


def _skip_member(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated metadata-routing setters."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)

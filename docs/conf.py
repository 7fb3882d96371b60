"""Sphinx configuration of the connpredict documentation.

Build with ``bash docs/build.sh`` (warnings are errors). ``api.rst`` is
written here from the ``__all__`` of each public subpackage, so the API
reference always lists exactly the public names.
"""

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

# -- API reference, written from __all__ (see _api.py) ---------------------------
from _api import write_api_rst  # noqa: E402

write_api_rst(DOCS / "api.rst")


def _skip_member(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated metadata-routing setters."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)

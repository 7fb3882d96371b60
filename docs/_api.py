"""The API reference page ``api.rst``, written from ``__all__``.

``conf.py`` rewrites ``docs/api.rst`` with :func:`api_rst` when the text
changed; ``connpredict/tests/test_public_api.py`` checks that the committed
file equals it, so a docs build leaves no diff. After changing a public name,
run ``python docs/_api.py`` (or build the docs) and commit ``docs/api.rst``.
"""

import importlib
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent

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
        "connpredict.inspection",
        "Inspection",
        "Why a model predicts what it does: importances, attributions and gene-set\n"
        "enrichment, against spatial (spin) nulls; the legibility grid of inputs x\n"
        "targets.",
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
        "connpredict.plotting",
        "Plotting",
        "The drawing primitives every figure of connpredict uses: glass brains of\n"
        "folds and edges, network-ordered matrices, null distributions.",
    ),
    (
        "connpredict.pretrained",
        "Saved and pretrained models",
        "Pickle-free, checksummed model files; the pretrained models shipped with the\n"
        "package; predicting the connectome of a new parcellation.",
    ),
    ("connpredict.report", "Report", "The HTML report and its figures."),
    (
        "connpredict.utils",
        "Utilities",
        "Helpers of the data contract, and the import of optional dependencies.",
    ),
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


def api_rst():
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


def write_api_rst(path=DOCS / "api.rst"):
    """Write ``api.rst`` if its text changed; return the text."""
    text = api_rst()
    path = Path(path)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return text


if __name__ == "__main__":
    sys.path.insert(0, str(DOCS.parent))
    write_api_rst()

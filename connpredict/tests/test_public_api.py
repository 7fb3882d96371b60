import subprocess
import sys

import pytest

import connpredict

DESIGN_NAMES = [
    "SMTRegressor", "PairMLPRegressor", "BilinearRegressor", "PLSBilinearRegressor",
    "ExponentialDecayRegressor", "GaussianKernelRegressor", "CGERegressor",
    "RandomSplit", "SpatialSplit", "CommunitySplit", "NetworkSplit",
    "load_dataset", "make_synthetic_connectome", "get_scorer", "evaluate", "spin_test",
]  # fmt: skip


@pytest.mark.parametrize("name", DESIGN_NAMES)
def test_design_names_are_importable(name):
    obj = getattr(connpredict, name)
    assert name in connpredict.__all__
    assert obj.__module__.startswith("connpredict.")
    assert obj.__doc__ and "Examples" in obj.__doc__


def test_import_is_lazy_and_does_not_import_torch():
    code = (
        "import sys, connpredict; "
        "print(sorted(m for m in ('torch', 'skorch', 'sklearn', 'pandas') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="no attribute"):
        connpredict.NotAModel  # noqa: B018


def _api_rst_names():
    """Every name listed in an autosummary of docs/api.rst."""
    from pathlib import Path

    api = Path(__file__).resolve().parents[2] / "docs" / "api.rst"
    if not api.exists():  # an installed package without the docs folder
        pytest.skip("docs/api.rst is not next to this checkout")
    lines = api.read_text(encoding="utf-8").splitlines()
    return {ln.strip() for ln in lines if ln.startswith("   ") and ln.strip()}


def test_committed_api_rst_equals_generated():
    """A docs build rewrites docs/api.rst; the committed file must match it."""
    import importlib.util
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs"
    if not (docs / "_api.py").exists():  # an installed package without docs
        pytest.skip("docs/ is not next to this checkout")
    spec = importlib.util.spec_from_file_location(
        "_connpredict_docs_api", docs / "_api.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (docs / "api.rst").read_text(encoding="utf-8")
    assert committed == module.api_rst(), (
        "docs/api.rst is stale: run `python docs/_api.py` and commit docs/api.rst"
    )


def test_registered_models_are_exported_and_documented():
    from connpredict.models._registry import model_specs

    listed = _api_rst_names()
    for spec in model_specs():
        assert spec.name in connpredict.__all__, spec.name
        assert spec.name in connpredict.models.__all__, spec.name
        assert spec.name in listed, f"add {spec.name} to docs/api.rst"
        assert getattr(connpredict, spec.name).__module__ == spec.module


def test_model_registry_command_line_names_are_unique():
    from connpredict.models._registry import DEFAULT_CLI_MODELS, cli_models, model_specs

    short = [s.cli for s in model_specs() if s.cli is not None]
    assert len(short) == len(set(short))
    assert set(DEFAULT_CLI_MODELS) <= set(cli_models())


def test_metric_vocabulary_is_one_table():
    from connpredict.metrics import METRICS, get_scorer_names
    from connpredict.metrics._names import UNSCORED_GROUPS, scorer_names

    names = [m.name for m in METRICS]
    assert len(names) == len(set(names))
    # every scorer comes from the vocabulary, losses negated
    for spec in METRICS:
        if spec.group in UNSCORED_GROUPS:
            assert spec.name not in get_scorer_names()
            continue
        scorer = spec.name if spec.greater_is_better else f"neg_{spec.name}"
        assert scorer in get_scorer_names()
    assert set(scorer_names()) <= set(get_scorer_names())

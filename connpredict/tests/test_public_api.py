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

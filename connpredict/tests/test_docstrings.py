"""numpydoc validation of the public API's docstrings.

Every public callable of each subpackage (its ``__all__``) and every public
method or property that connpredict defines on a public class is checked with
:func:`numpydoc.validate.validate`. Enforced: all of numpydoc's checks except

- ``SA01`` (a See Also section), ``ES01`` (an extended summary): welcome,
  not required;
- ``RT02`` (the Returns line holds only a type): the project names returned
  values (``scores : ndarray``), as scikit-learn does;
- ``GL01``/``GL02`` (docstring starts/ends on the line of the quotes): a
  formatting choice that ``ruff format`` settles;
- ``EX01`` (an Examples section) on methods and properties: the project's
  rule is an example on each public function and class, which is checked.

Constants (``COORD_COLUMNS``, ``TABLES``...) are documented where they are
defined and in the API pages; numpydoc would read their type's docstring.
"""

import importlib
import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

SUBPACKAGES = (
    "connpredict.datasets",
    "connpredict.experiment",
    "connpredict.inspection",
    "connpredict.metrics",
    "connpredict.model_selection",
    "connpredict.models",
    "connpredict.nulls",
    "connpredict.plotting",
    "connpredict.report",
    "connpredict.utils",
)
NOT_ENFORCED = {"SA01", "ES01", "RT02", "GL01", "GL02"}
# Classes whose parameters are documented by reference ("As in
# PairMLPRegressor"): they take exactly their base regressor's parameters,
# which test_referenced_parameters_are_the_regressors checks instead.
BY_REFERENCE = {
    "connpredict.models.PairMLPClassifier": "connpredict.models.PairMLPRegressor",
    "connpredict.models.SMTClassifier": "connpredict.models.SMTRegressor",
}
PARAMETER_CHECKS = {"PR01", "PR02", "PR04"}


def _defined_here(func):
    return getattr(func, "__module__", "") and func.__module__.startswith("connpredict")


def _public_objects():
    """(import path, is a function or class) of every object to validate."""
    out, seen = [], set()
    for module_name in SUBPACKAGES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj):
                continue
            out.append((f"{module_name}.{name}", True))
            if not inspect.isclass(obj):
                continue
            for attr in dir(obj):
                if attr.startswith("_"):
                    continue
                member = inspect.getattr_static(obj, attr)
                if isinstance(member, property):
                    member = member.fget
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                if not inspect.isfunction(member) or not _defined_here(member):
                    continue
                if id(member) in seen:  # inherited: validated once
                    continue
                seen.add(id(member))
                out.append((f"{module_name}.{name}.{attr}", False))
    return out


OBJECTS = _public_objects()


def test_the_walk_finds_the_api():
    paths = {p for p, _ in OBJECTS}
    assert "connpredict.models.BilinearRegressor" in paths
    # methods shared through a base class are validated once, under the
    # first public class that has them
    fits = [
        p for p in paths if p.startswith("connpredict.models.") and p.endswith(".fit")
    ]
    assert fits
    assert "connpredict.datasets.load_dataset" in paths
    assert len(OBJECTS) > 80


@pytest.mark.parametrize(("path", "top_level"), OBJECTS, ids=[p for p, _ in OBJECTS])
def test_numpydoc_validation(path, top_level):
    result = numpydoc_validate.validate(path)
    skip = set(NOT_ENFORCED)
    if not top_level:
        skip.add("EX01")
    if path in BY_REFERENCE:
        skip |= PARAMETER_CHECKS
    errors = [f"{code}: {msg}" for code, msg in result["errors"] if code not in skip]
    assert not errors, f"{path} ({result['file']}:{result['file_line']}):\n" + (
        "\n".join(errors)
    )


@pytest.mark.parametrize("path", sorted(BY_REFERENCE))
def test_referenced_parameters_are_the_regressors(path):
    def load(p):
        module, _, name = p.rpartition(".")
        return getattr(importlib.import_module(module), name)

    cls, base = load(path), load(BY_REFERENCE[path])
    assert cls().get_params() == base().get_params()
    assert f":class:`{base.__name__}`" in cls.__doc__

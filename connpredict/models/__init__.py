"""Connectome regressors: rules-based, bilinear, PLS and neural models.

The neural models (:class:`PairMLPRegressor`, :class:`SMTRegressor` and their
classifiers) import torch and skorch only when first used; without them
(``pip install 'connpredict[neural]'``) that first use raises a one-line
:class:`~connpredict.utils.MissingDependencyError`.
"""

import importlib
import importlib.util

from connpredict.models._registry import model_specs

# public name -> private module defining it (from the model registry)
_MODELS = {spec.name: spec.module for spec in model_specs()}
# the neural models need the [neural] extra
_NEURAL = {spec.name for spec in model_specs() if spec.family == "neural"}
# public names that are not estimators
_OTHER = {
    # the published research recipes: parameter dicts of the estimators above
    "RESEARCH_PARAMS": "connpredict.models._research",
    # self-supervised region encoders (need the [neural] extra)
    "RegionEncoder": "connpredict.models._pretrain",
    "pretrain_region_encoder": "connpredict.models._pretrain",
}
_PUBLIC = {**_MODELS, **_OTHER}


def _module_exists(module):
    return importlib.util.find_spec(module) is not None


__all__ = [name for name, mod in _PUBLIC.items() if _module_exists(mod)]


def __getattr__(name):
    if name in _PUBLIC and name in __all__:
        if name in _NEURAL or _PUBLIC[name] == "connpredict.models._pretrain":
            # imported here: importing this package stays free of numpy
            from connpredict.utils import import_optional

            import_optional("torch", name)
            import_optional("skorch", name)
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'connpredict.models' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))

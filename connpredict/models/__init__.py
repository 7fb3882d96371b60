"""Connectome regressors: rules-based, bilinear, PLS and neural models.

The neural models (:class:`PairMLPRegressor`, :class:`SMTRegressor` and their
classifiers) import torch and skorch only when first used; without them
(``pip install 'connpredict[neural]'``) that first use raises a one-line
:class:`~connpredict.utils.MissingDependencyError`.
"""

import importlib
import importlib.util

from connpredict.models._registry import DEFAULT_CLI_MODELS as DEFAULT_CLI_MODELS
from connpredict.models._registry import cli_models as cli_models
from connpredict.models._registry import model_specs as model_specs

# public names that are not estimators
_OTHER = {
    # the published research recipes: parameter dicts of the estimators above
    "RESEARCH_PARAMS": "connpredict.models._research",
    # gradients of a connectome (region positions of the neural models)
    "diffusion_map_embedding": "connpredict.models._gradients",
    "region_gradients": "connpredict.models._gradients",
    # self-supervised region encoders (need the [neural] extra)
    "RegionEncoder": "connpredict.models._pretrain",
    "pretrain_region_encoder": "connpredict.models._pretrain",
}


def _public():
    """Public name -> private module defining it, from the model registry.

    Read at each call, so that an estimator registered in
    ``models/_registry.py`` (or patched into it by a test) is listed in
    ``__all__`` and importable from here.
    """
    return {spec.name: spec.module for spec in model_specs()} | _OTHER


# for other connpredict subpackages, outside __all__ (not the user API):
# name -> (private module, name there, needs torch). PairNet is the skorch net
# of the neural models, which connpredict.pretrained rebuilds from saved
# weights; DiffusionMap the fitted gradients a saved model may hold.
_SHARED = {
    "PairNet": ("connpredict.models._torch_train", "_PairNet", True),
    "DiffusionMap": ("connpredict.models._gradients", "DiffusionMap", False),
}


def _module_exists(module):
    return importlib.util.find_spec(module) is not None


def __getattr__(name):
    public = _public()
    if name == "__all__":  # the available public names, from the registry
        return [n for n, module in public.items() if _module_exists(module)]
    if name in public and _module_exists(public[name]):
        neural = {s.name for s in model_specs() if s.family == "neural"}
        if name in neural or public[name] == "connpredict.models._pretrain":
            # imported here: importing this package stays free of numpy
            from connpredict.utils import import_optional

            import_optional("torch", name)
            import_optional("skorch", name)
        value = getattr(importlib.import_module(public[name]), name)
        globals()[name] = value
        return value
    if name in _SHARED:
        module, attribute, needs_torch = _SHARED[name]
        if needs_torch:
            from connpredict.utils import import_optional

            import_optional("torch", name)
            import_optional("skorch", name)
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'connpredict.models' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__getattr__("__all__")))

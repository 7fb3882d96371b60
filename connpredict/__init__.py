"""connpredict: predict brain connectivity from regional gene expression and space.

The public names are imported lazily, so ``import connpredict`` is fast and
does not import torch; the first use of a name imports its module.

Examples
--------
>>> import connpredict
>>> ds = connpredict.make_synthetic_connectome(n_regions=20, n_genes=10,
...                                            random_state=0)
>>> ds.X.shape, ds.Y.shape
((20, 13), (20, 20))
"""

import importlib

from connpredict._version import __version__
from connpredict.models import model_specs

# public name -> module that defines it
_LAZY = {
    # datasets
    "load_dataset": "connpredict.datasets",
    "make_synthetic_connectome": "connpredict.datasets",
    "make_dataset": "connpredict.datasets",
    "atlas_regions": "connpredict.datasets",
    "get_data_home": "connpredict.datasets",
    # model selection
    "RandomSplit": "connpredict.model_selection",
    "SpatialSplit": "connpredict.model_selection",
    "CommunitySplit": "connpredict.model_selection",
    "NetworkSplit": "connpredict.model_selection",
    "validation_split": "connpredict.model_selection",
    "check_n_splits": "connpredict.model_selection",
    "cross_val_predict": "connpredict.model_selection",
    "plot_splits": "connpredict.model_selection",
    # models: added from the model registry below
    # metrics
    "get_scorer": "connpredict.metrics",
    "get_scorer_names": "connpredict.metrics",
    "evaluate": "connpredict.metrics",
    # the main job
    "run_experiment": "connpredict.experiment",
    "ExperimentResult": "connpredict.experiment",
    # nulls
    "spin_test": "connpredict.nulls",
    "spin_permutations": "connpredict.nulls",
    # inspection
    "permutation_importance": "connpredict.inspection",
    "gene_set_enrichment": "connpredict.inspection",
    "legibility_grid": "connpredict.inspection",
    # saved and pretrained models
    "save_estimator": "connpredict.pretrained",
    "load_estimator": "connpredict.pretrained",
    "list_models": "connpredict.pretrained",
    "load_model": "connpredict.pretrained",
}

_LAZY.update({spec.name: "connpredict.models" for spec in model_specs()})

_SUBMODULES = (
    "datasets",
    "experiment",
    "inspection",
    "metrics",
    "model_selection",
    "models",
    "nulls",
    "plotting",
    "pretrained",
    "report",
    "utils",
)


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        try:
            value = getattr(module, name)
        except AttributeError:
            raise AttributeError(
                f"connpredict.{name} is not available in this version."
            ) from None
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"connpredict.{name}")
    raise AttributeError(f"module 'connpredict' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))


__all__ = [*_LAZY, "__version__"]

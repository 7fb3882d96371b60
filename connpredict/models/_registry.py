"""The model registry: the one place a connpredict estimator is declared.

Each :class:`ModelSpec` names a public estimator class, the private module
defining it, its short name on the command line (``connpredict run --models``)
with the parameters the main job uses, and small fast settings for the
common estimator tests. Read by :mod:`connpredict.models` and the top-level
lazy import table, by :mod:`connpredict.experiment` and the command line, by
``connpredict/tests/test_common.py`` and by the test that checks
``docs/api.rst``. Registering a new estimator is one entry here (plus its
line in ``docs/api.rst``, which a test checks).

This module is pure Python: importing it imports neither scikit-learn nor
torch.
"""

from types import MappingProxyType
from typing import NamedTuple

_EMPTY = MappingProxyType({})


class ModelSpec(NamedTuple):
    """One registered estimator.

    Attributes
    ----------
    name : str
        Public class name, exported by :mod:`connpredict.models` and
        :mod:`connpredict`.
    module : str
        Private module that defines the class.
    family : str
        ``"rules"``, ``"linear"``, ``"neural"`` (neural models take
        ``device`` and import torch), ``"meta"`` (wraps other estimators) or
        ``"transformer"`` (region-feature transformers, fitted on training
        regions; first steps of a pipeline).
    cli : str or None
        Short name on the command line and in results tables; None keeps the
        estimator out of the main job.
    params : dict
        Parameters the main job sets (on top of the class defaults).
    quick_params : dict
        Extra parameters under ``--quick`` (smoke tests).
    test_params : tuple of dict
        Settings (each one estimator) for the common scikit-learn checks;
        keep them small and fast.
    task : str
        ``"regression"``, ``"classification"`` or ``"transform"``.
    """

    name: str
    module: str
    family: str
    cli: str = None
    params: dict = _EMPTY
    quick_params: dict = _EMPTY
    test_params: tuple = ({},)
    task: str = "regression"


# tiny, fast settings for the neural models in the common tests
_NEURAL_SMALL = {"max_iter": 2, "n_ensemble": 1, "batch_size": 64, "random_state": 0}
# the smallest transformer, for SMTRegressor's and SMTClassifier's tests
_SMT_SMALL = dict(
    token_size=2, d_model=8, n_heads=2, n_layers=1, head_dims=(8,), **_NEURAL_SMALL
)

MODELS = (
    ModelSpec(
        "ExponentialDecayRegressor", "connpredict.models._rules", "rules", "decay"
    ),
    ModelSpec(
        "GaussianKernelRegressor", "connpredict.models._rules", "rules", "gaussian"
    ),
    ModelSpec(
        "CGERegressor",
        "connpredict.models._rules",
        "rules",
        "cge",
        test_params=({}, {"n_components": 3}),
    ),
    ModelSpec(
        "BilinearRegressor",
        "connpredict.models._bilinear",
        "linear",
        "bilinear",
        test_params=(
            {},
            {"encoder": None, "alpha": 1.0, "use_distance": False},
            {"rank": 2, "max_iter": 10, "random_state": 0},
        ),
    ),
    ModelSpec(
        "PLSBilinearRegressor",
        "connpredict.models._pls",
        "linear",
        "pls",
        test_params=({"n_components": 3},),
    ),
    # the main job trains one network per neural model (the estimators'
    # default averages an ensemble of 5, five times slower)
    ModelSpec(
        "PairMLPRegressor",
        "connpredict.models._mlp",
        "neural",
        "mlp",
        params={"n_ensemble": 1},
        quick_params={"max_iter": 5},
        test_params=(
            dict(hidden_dims=(8,), head_dims=(8,), embedding_dim=4, **_NEURAL_SMALL),
            # the research recipes' options (RESEARCH_PARAMS "mlp", low rank)
            dict(
                hidden_dims=(8,),
                symmetric=False,
                standardize=False,
                lr_schedule={"factor": 0.3, "patience": 1},
                **_NEURAL_SMALL,
            ),
            dict(
                architecture="lowrank",
                embedding_dim=3,
                norm_penalty=1e-3,
                **_NEURAL_SMALL,
            ),
        ),
    ),
    ModelSpec(
        "SMTRegressor",
        "connpredict.models._smt",
        "neural",
        "smt",
        params={"n_ensemble": 1},
        quick_params={"max_iter": 3},
        test_params=(
            _SMT_SMALL,
            # the options of RESEARCH_PARAMS["smt"]
            dict(
                _SMT_SMALL,
                head="concat",
                symmetric=False,
                layer_norm="post",
                ffn_activation="relu",
                ffn_mult=4,
                attn_out_proj=False,
                alibi_slopes=(1.0, 0.5),
                embedding_dropout=0.0,
                clamp=(-1.0, 1.0),
                standardize=False,
                lr_schedule={"factor": 0.3, "patience": 1},
                restore_best=False,
            ),
        ),
    ),
    ModelSpec(
        "BilinearClassifier",
        "connpredict.models._classifiers",
        "linear",
        test_params=({"n_components": 3}, {"encoder": None, "use_distance": True}),
        task="classification",
    ),
    ModelSpec(
        "PairMLPClassifier",
        "connpredict.models._neural_classifiers",
        "neural",
        test_params=(
            dict(hidden_dims=(8,), head_dims=(8,), embedding_dim=4, **_NEURAL_SMALL),
        ),
        task="classification",
    ),
    ModelSpec(
        "SMTClassifier",
        "connpredict.models._neural_classifiers",
        "neural",
        test_params=(_SMT_SMALL,),
        task="classification",
    ),
    ModelSpec(
        "DecayResidualRegressor",
        "connpredict.models._meta",
        "meta",
        test_params=({},),
    ),
    ModelSpec(
        "TranscriptomePCA",
        "connpredict.models._transformers",
        "transformer",
        test_params=({"n_components": 2}, {"n_components": 0.9}),
        task="transform",
    ),
    ModelSpec(
        "TopVarianceGenes",
        "connpredict.models._transformers",
        "transformer",
        test_params=({"n_genes": 2},),
        task="transform",
    ),
)

#: command-line models run by default (``connpredict run`` without --models)
DEFAULT_CLI_MODELS = ("decay", "cge", "bilinear", "pls", "mlp", "smt")


def model_specs():
    """The registered estimators, in registration order.

    Returns
    -------
    specs : tuple of ModelSpec

    Examples
    --------
    >>> from connpredict.models._registry import model_specs
    >>> [s.name for s in model_specs()][:2]
    ['ExponentialDecayRegressor', 'GaussianKernelRegressor']
    """
    return MODELS


def cli_models():
    """Command-line short name -> :class:`ModelSpec`.

    Examples
    --------
    >>> from connpredict.models._registry import cli_models
    >>> cli_models()["bilinear"].name
    'BilinearRegressor'
    """
    return {spec.cli: spec for spec in MODELS if spec.cli is not None}

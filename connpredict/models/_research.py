"""Published recipes of the research system (GeneEx2Conn), as parameter dicts.

``RESEARCH_PARAMS[key]`` holds the constructor arguments that make one of
connpredict's estimators the research model ``key`` with its published
training. The estimator of each key is in ``RESEARCH_ESTIMATORS``:

=====================  =========================  ===============================
key                    estimator                  research ``model_type``
=====================  =========================  ===============================
``"smt"``              ``SMTRegressor``           ``shared_transformer``
``"smt_cls"``          ``SMTRegressor``           ``shared_transformer_cls``
``"mlp"``              ``PairMLPRegressor``       ``dynamic_mlp``
``"bilinear"``         ``BilinearRegressor``      ``bilinear_CM`` (all genes)
``"bilinear_lowrank"`` ``PairMLPRegressor``       ``bilinear_lowrank``
``"pls"``              ``PLSBilinearRegressor``   ``pls_bilineardecoder``
``"cge"``              ``CGERegressor``           ``cge``
``"decay"``            ``ExponentialDecayRegressor`` ``exponential_decay``
``"gaussian"``         ``GaussianKernelRegressor`` ``gaussian_kernel``
=====================  =========================  ===============================

The deliberate departures (the research's leaks, kept fixed) are listed in
the user guide page "The research recipes" (``docs/user_guide/research.rst``).
The dicts are shared: copy one before changing it (``dict(...)``).

Examples
--------
>>> from connpredict.datasets import make_synthetic_connectome
>>> from connpredict.models import RESEARCH_PARAMS, BilinearRegressor, SMTRegressor
>>> smt = SMTRegressor(**RESEARCH_PARAMS["smt"])
>>> smt.n_layers, smt.d_model, smt.token_size, smt.alibi_slopes
(4, 128, 60, (1.0, 1.0, 0.5, 0.5))
>>> ds = make_synthetic_connectome(n_regions=20, n_genes=30, random_state=0)
>>> model = BilinearRegressor(**RESEARCH_PARAMS["bilinear"]).fit(ds.X, ds.Y)
>>> model.predict(ds.X).shape
(20, 20)
"""

__all__ = ["RESEARCH_ESTIMATORS", "RESEARCH_PARAMS"]

# ReduceLROnPlateau settings of the research training loops; the scheduler
# steps on the inner validation split (the research stepped it on the test
# fold)
_SMT_PLATEAU = {
    "factor": 0.3,
    "patience": 30,
    "threshold": 0.1,
    "cooldown": 1,
    "min_lr": 1e-6,
}
_MLP_PLATEAU = {
    "factor": 0.3,
    "patience": 20,
    "threshold": 0.05,
    "cooldown": 1,
    "min_lr": 1e-6,
}
_LOWRANK_PLATEAU = {
    "factor": 0.3,
    "patience": 25,
    "threshold": 0.05,
    "cooldown": 1,
    "min_lr": 1e-6,
}

# the slopes of the published runs (the research code's older rule
# 1 / 2 ** floor(h / (n_heads / 2)); later commits switched to geometric ones)
_PUBLISHED_ALIBI = (1.0, 1.0, 0.5, 0.5)

_SMT_COMMON = {
    "d_model": 128,
    "n_heads": 4,
    "n_layers": 4,
    "positional": "alibi",
    "alibi_slopes": _PUBLISHED_ALIBI,
    "layer_norm": "post",
    "ffn_activation": "relu",
    "ffn_mult": 4,
    "attn_out_proj": False,
    "pooling": "flatten",
    "flatten_dim": 10,
    "embedding_dropout": 0.0,
    "head": "concat",
    "head_dims": (512, 256, 128),
    "symmetric": False,
    "use_distance": False,
    "max_iter": 110,
    "lr": 1e-4,
    "weight_decay": 1e-4,
    "dropout": 0.2,
    "input_dropout": 0.0,
    "standardize": False,
    "validation_cv": 0.2,
    "n_iter_no_change": 50,
    "restore_best": False,
    "n_ensemble": 1,
    "sampler": "random",
}

RESEARCH_PARAMS = {
    # models/smt.py SharedSelfAttentionModel, best_parameters of
    # shared_transformer_sweep_config.yml
    "smt": {
        **_SMT_COMMON,
        "token_size": 60,
        "cls": None,
        "clamp": (-1.0, 1.0),
        "batch_size": 512,
        "lr_schedule": dict(_SMT_PLATEAU),
    },
    # models/smt.py SharedSelfAttentionCLSModel (no output clamp)
    "smt_cls": {
        **_SMT_COMMON,
        "token_size": 20,
        "cls": "coords",
        "clamp": None,
        "batch_size": 1024,
        "lr_schedule": dict(_SMT_PLATEAU),
    },
    # models/dynamic_mlp.py DynamicMLP, genes only
    "mlp": {
        "architecture": "concat",
        "hidden_dims": (512, 256, 128),
        "symmetric": False,
        "use_coords": False,
        "use_distance": False,
        "max_iter": 125,
        "lr": 9e-5,
        "batch_size": 512,
        "weight_decay": 1e-4,
        "dropout": 0.1,
        "input_dropout": 0.0,
        "standardize": False,
        "lr_schedule": dict(_MLP_PLATEAU),
        "validation_cv": 0.2,
        "n_iter_no_change": 50,
        "restore_best": False,
        "n_ensemble": 1,
        "sampler": "random",
    },
    # models/bilinear.py BilinearCM, closed form on all genes:
    # W = A^-1 X^T Y X A^-1 (A = X^T X + 0.1 I, zero diagonal fitted),
    # b = mean residual
    "bilinear": {
        "encoder": None,
        "alpha": 0.1,
        "penalty": "separable",
        "diagonal": "include",
        "linear_terms": False,
        "intercept": "residual",
        "use_distance": False,
    },
    # models/bilinear.py BilinearLowRank: y_ij = <W x_i, W x_j>, rank 10,
    # Adam, MSE + 1e-3 ||theta||_2
    "bilinear_lowrank": {
        "architecture": "lowrank",
        "embedding_dim": 10,
        "symmetric": False,
        "use_coords": False,
        "use_distance": False,
        "max_iter": 125,
        "lr": 1e-4,
        "batch_size": 256,
        "weight_decay": 0.0,
        "norm_penalty": 1e-3,
        "dropout": 0.0,
        "input_dropout": 0.0,
        "standardize": False,
        "lr_schedule": dict(_LOWRANK_PLATEAU),
        "validation_cv": 0.2,
        "n_iter_no_change": 40,
        "restore_best": False,
        "n_ensemble": 1,
        "sampler": "random",
    },
    # models/pls.py PLS_BilinearDecoderModel: uncentred X @ x_rotations_,
    # closed-form bilinear decoder with lambda 0.01
    "pls": {
        "n_components": 25,
        "alpha": 0.01,
        "penalty": "separable",
        "diagonal": "include",
        "linear_terms": False,
        "intercept": "residual",
        "projection": "rotations",
        "scale": True,
        "pls_max_iter": 1000,
        "use_distance": False,
    },
    # models/rules_based.py CGEModel on the PCs explaining 95% of the variance
    "cge": {"n_components": 0.95, "calibrate": False},
    # models/rules_based.py: exponential decay, x mirrored, lambda in [0, 100]
    "decay": {"mirror": True, "lambda_bounds": (0.1, 100.0)},
    # models/rules_based.py: bare Gaussian kernel, sigma in [10, 40] mm
    "gaussian": {
        "mirror": True,
        "fit_offset": False,
        "sigma_bounds": (10.0, 40.0),
    },
}

RESEARCH_ESTIMATORS = {
    "smt": "SMTRegressor",
    "smt_cls": "SMTRegressor",
    "mlp": "PairMLPRegressor",
    "bilinear": "BilinearRegressor",
    "bilinear_lowrank": "PairMLPRegressor",
    "pls": "PLSBilinearRegressor",
    "cge": "CGERegressor",
    "decay": "ExponentialDecayRegressor",
    "gaussian": "GaussianKernelRegressor",
}

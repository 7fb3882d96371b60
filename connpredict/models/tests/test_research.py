"""Tests of the research recipes (RESEARCH_PARAMS) and the options they need."""

import copy

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

import connpredict.models as models  # noqa: E402
from connpredict.datasets import make_synthetic_connectome  # noqa: E402
from connpredict.models import (  # noqa: E402
    RESEARCH_PARAMS,
    BilinearRegressor,
    CGERegressor,
    PairMLPRegressor,
    PLSBilinearRegressor,
    SMTRegressor,
)
from connpredict.models._research import RESEARCH_ESTIMATORS  # noqa: E402

KEYS = (
    "smt",
    "smt_logged",
    "smt_cls",
    "smt_cls_logged",
    "mlp",
    "bilinear",
    "bilinear_lowrank",
    "pls",
    "cge",
    "decay",
    "gaussian",
)


pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def data():
    return make_synthetic_connectome(n_regions=24, n_genes=40, random_state=3)


def _recipe(key, **extra):
    cls = getattr(models, RESEARCH_ESTIMATORS[key])
    return cls(**{**RESEARCH_PARAMS[key], **extra})


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_recipe_keys_and_estimators():
    assert "RESEARCH_PARAMS" in models.__all__
    assert tuple(RESEARCH_PARAMS) == KEYS
    assert set(RESEARCH_ESTIMATORS) == set(KEYS)
    for key in KEYS:
        est = _recipe(key)
        params = est.get_params(deep=False)
        for name, value in RESEARCH_PARAMS[key].items():
            assert params[name] == value, (key, name)


@pytest.mark.parametrize("key", KEYS)
def test_recipes_construct_and_fit(key, data):
    before = copy.deepcopy(RESEARCH_PARAMS[key])
    extra = {}
    if "max_iter" in RESEARCH_PARAMS[key]:
        extra = {"max_iter": 1, "random_state": 0}
    if key.startswith("smt"):
        extra["token_size"] = 10  # 40 genes: 4 tokens (shape tests below)
    X, Y = data.X, data.Y
    model = _recipe(key, **extra).fit(X.iloc[:18], Y.iloc[:18, :18])
    pred = model.predict(X.iloc[18:])
    assert pred.shape == (6, 6)
    assert np.all(np.isfinite(pred.to_numpy()))
    # the shared recipe dicts are never modified
    assert RESEARCH_PARAMS[key] == before


def _smt_module(n_genes, key="smt"):
    """The module the SMT recipe builds for n_genes (from a 1-epoch fit)."""
    ds = make_synthetic_connectome(n_regions=12, n_genes=n_genes, random_state=0)
    model = _recipe(key, max_iter=1, random_state=0, batch_size=64)
    model.fit(ds.X, ds.Y)
    return model, model.module_


def test_smt_recipe_architecture_matches_published_numbers():
    _, m = _smt_module(7380)
    # 4 post-LN blocks, 4 heads of 32, d_model 128, no W_O, ReLU FFN x4
    assert len(m.blocks) == 4
    for block in m.blocks:
        assert not block.pre_norm
        assert block.attn.n_heads == 4 and block.attn.head_dim == 32
        assert (block.attn.qkv.in_features, block.attn.qkv.out_features) == (128, 384)
        assert isinstance(block.attn.proj, torch.nn.Identity)
        lin1, act, lin2 = block.ff
        assert (lin1.in_features, lin1.out_features) == (128, 512)
        assert isinstance(act, torch.nn.ReLU)
        assert (lin2.in_features, lin2.out_features) == (512, 128)
    assert isinstance(m.norm, torch.nn.Identity)
    np.testing.assert_array_equal(m.slopes.numpy(), [1.0, 1.0, 0.5, 0.5])
    # 60-gene tokens: 7380 / 60 = 123 tokens, projected to 10 and flattened
    assert (m.token_embed.in_features, m.token_embed.out_features) == (60, 128)
    assert m.n_tokens == 123 and m.pad == 0 and m.cls_embed is None
    assert (m.pool.in_features, m.pool.out_features) == (128, 10)
    assert m.embedding_dim == 1230
    # concat head [2460 -> 512 -> 256 -> 128 -> 1], ReLU-BatchNorm-Dropout
    linears = [x for x in m.head.mlp if isinstance(x, torch.nn.Linear)]
    dims = [(x.in_features, x.out_features) for x in linears]
    assert dims == [(2460, 512), (512, 256), (256, 128), (128, 1)]
    kinds = [type(x).__name__ for x in m.head.mlp]
    assert kinds == ["Linear", "ReLU", "BatchNorm1d", "Dropout"] * 3 + ["Linear"]
    assert not m.head.symmetric
    assert m.clamp == (-1.0, 1.0)  # raw targets: standardised units = raw
    # the research notebooks' printed count (NeurIPS_Fig5C, basic_sim_demo)
    assert _n_params(m) == 2_162_315


def test_smt_recipe_parameter_count_810_genes():
    _, m = _smt_module(810)
    # encoder 736,138 (independent of the gene count for a fixed token size);
    # 810 genes -> ceil(810 / 60) = 14 tokens -> head input 2 * 14 * 10
    head_in = 2 * 14 * 10
    head = (head_in + 1) * 512 + 2 * 512 + 513 * 256 + 2 * 256 + 257 * 128
    head += 2 * 128 + 129
    assert m.n_tokens == 14
    assert _n_params(m) == 736_138 + head == 1_046_155


def test_smt_cls_recipe_architecture():
    _, m = _smt_module(400, key="smt_cls")
    assert m.token_size == 60 and m.n_tokens == 7
    assert m.use_cls and m.seq_len == 8
    assert (m.cls_embed.in_features, m.cls_embed.out_features) == (3, 128)
    assert m.embedding_dim == 8 * 10
    assert m.clamp is None
    assert RESEARCH_PARAMS["smt_cls"]["batch_size"] == 512


def _module_only(key, n_genes=7380, **extra):
    """The torch module a recipe builds for ``n_genes`` (no data, no training)."""
    from connpredict.models._torch_modules import PairMLPModule, SMTModule

    est = _recipe(key, **extra)
    est.use_distance_ = bool(est.use_distance)
    est.y_mean_, est.y_scale_ = 0.0, 1.0  # raw targets (standardize=False)
    cls = SMTModule if key.startswith("smt") else PairMLPModule
    return cls(**est._module_kwargs(n_genes))


# (recipe, count at 7,380 genes, where the research prints it)
_COUNTS = [
    # NeurIPS_Fig5C_param_count.ipynb, basic_sim_demo.ipynb, embedding_viz
    ("smt", 2_162_315),
    # 2 layers, head [256, 128] (the logged final runs' configuration)
    ("smt_logged", 1_036_427),
    # notebooks/NeurIPS_artifacts/embedding_viz.ipynb, "SMT w/ CLS model"
    ("smt_cls", 2_173_067),
    # not printed by the research: our count of the logged runs' shape
    ("smt_cls_logged", 2_296_459),
    # NeurIPS_Fig5C_param_count.ipynb: 7,380 x 10
    ("bilinear_lowrank", 73_800),
]


@pytest.mark.parametrize("key,count", _COUNTS)
def test_recipe_module_parameter_counts(key, count):
    assert _n_params(_module_only(key)) == count


def test_recipe_counts_by_hand():
    # the logged SMT: encoder (token embedding, 2 post-LN blocks without W_O,
    # per-token projection) + head [2460 -> 256 -> 128 -> 1] with BatchNorm
    block = (128 * 384 + 384) + 2 * 256 + (128 * 512 + 512) + (512 * 128 + 128)
    encoder = (60 * 128 + 128) + 2 * block + (128 * 10 + 10)
    head = (2460 * 256 + 256) + 2 * 256 + (256 * 128 + 128) + 2 * 128 + 129
    assert encoder + head == 1_036_427
    # the research's SMT-CLS with 60-gene tokens: the 4-layer SMT plus the
    # [CLS] embedding Linear(3, 128) and one more token (10 more head inputs)
    assert 2_162_315 + (3 * 128 + 128) + 10 * 2 * 512 == 2_173_067
    # the HEAD config's 20-gene tokens would give 4,686,987
    assert _n_params(_module_only("smt_cls", token_size=20, lr=1e-4)) == 4_686_987


def test_mlp_recipe_module_count():
    m = _module_only("mlp")
    # the research's 7,723,777 plus the 512 unused second-half biases
    assert _n_params(m) - 512 == 7_723_777


def test_mlp_recipe_architecture():
    ds = make_synthetic_connectome(n_regions=12, n_genes=7380, random_state=0)
    model = _recipe("mlp", max_iter=1, random_state=0).fit(ds.X, ds.Y)
    m = model.module_
    linears = [m.first] + [x for x in m.rest if isinstance(x, torch.nn.Linear)]
    dims = [(x.in_features, x.out_features) for x in linears]
    # the first layer holds both halves of Linear(2 * 7380, 512)
    assert dims == [(7380, 1024), (512, 256), (256, 128), (128, 1)]
    assert not m.use_coords and not m.use_distance and not m.symmetric
    # the second half's bias cancels (see PairMLPModule.decode): the research
    # count, 7,723,777, plus 512 unused numbers
    assert _n_params(m) - 512 == 7_723_777


def test_lowrank_recipe_is_research_bilinear(data):
    X, Y = data.X, data.Y
    model = _recipe("bilinear_lowrank", max_iter=2, random_state=0)
    model.fit(X.iloc[:18], Y.iloc[:18, :18])
    W = model.module_.encoder.weight.detach().numpy().astype(float)
    assert W.shape == (10, 40) and model.module_.encoder.bias is None
    assert _n_params(model.module_) == 400
    genes = X.iloc[18:].drop(columns=["x", "y", "z"]).to_numpy()
    E = genes @ W.T  # raw genes (standardize=False)
    expected = E @ E.T
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(
        model.predict(X.iloc[18:]).to_numpy(), expected, rtol=1e-4, atol=1e-5
    )


def test_bilinear_recipe_matches_research_formula(data):
    from sklearn.decomposition import PCA

    X, Y = data.X, data.Y
    tr, te = slice(0, 18), slice(18, None)
    model = BilinearRegressor(**RESEARCH_PARAMS["bilinear"]).fit(
        X.iloc[tr], Y.iloc[tr, tr]
    )
    # the PCs explaining 95% of the variance, fitted on the training regions
    G = X.drop(columns=["x", "y", "z"]).to_numpy()
    pca = PCA(svd_solver="full").fit(G[tr])
    k = int(np.searchsorted(np.cumsum(pca.explained_variance_ratio_), 0.95) + 1)
    assert model.encoder_.n_components_ == k < G.shape[1]
    G = (G - G[tr].mean(axis=0)) @ pca.components_[:k].T
    Ytr = Y.to_numpy()[tr, tr]
    A = G[tr].T @ G[tr] + 0.1 * np.eye(G.shape[1])
    Ainv = np.linalg.inv(A)
    W = Ainv @ G[tr].T @ Ytr @ G[tr] @ Ainv
    b = np.mean(Ytr - G[tr] @ W @ G[tr].T)
    expected = G[te] @ W @ G[te].T + b
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(
        model.predict(X.iloc[te]).to_numpy(), expected, rtol=1e-7, atol=1e-10
    )


def test_pls_recipe_matches_research_formula(data):
    from sklearn.cross_decomposition import PLSRegression

    X, Y = data.X, data.Y
    tr, te = slice(0, 18), slice(18, None)
    params = {**RESEARCH_PARAMS["pls"], "n_components": 5}
    model = PLSBilinearRegressor(**params).fit(X.iloc[tr], Y.iloc[tr, tr])
    G = X.drop(columns=["x", "y", "z"]).to_numpy()
    Ytr = Y.to_numpy()[tr, tr]  # zero diagonal kept
    pls = PLSRegression(n_components=5, scale=True, max_iter=1000).fit(G[tr], Ytr)
    Z = G @ pls.x_rotations_  # uncentred: no mean removed
    A = Z[tr].T @ Z[tr] + 0.01 * np.eye(5)
    Ainv = np.linalg.inv(A)
    W = Ainv @ Z[tr].T @ Ytr @ Z[tr] @ Ainv
    b = np.mean(Ytr - Z[tr] @ W @ Z[tr].T)
    expected = Z[te] @ W @ Z[te].T + b
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(
        model.predict(X.iloc[te]).to_numpy(), expected, rtol=1e-6, atol=1e-9
    )
    # the default projection centres the scores: a different model
    default = PLSBilinearRegressor(n_components=5).fit(X.iloc[tr], Y.iloc[tr, tr])
    assert not np.allclose(default.predict(X.iloc[te]).to_numpy(), expected)


def test_cge_uncalibrated_is_raw_correlation(data):
    X, Y = data.X, data.Y
    model = CGERegressor(n_components=5, calibrate=False).fit(X, Y)
    Z = model.pca_.transform(X.drop(columns=["x", "y", "z"]).to_numpy())
    expected = np.corrcoef(Z)
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(model.predict(X).to_numpy(), expected, atol=1e-12)
    assert (model.coef_, model.intercept_) == (1.0, 0.0)


# -- the options behind the recipes ----------------------------------------------


def _small_smt(**kw):
    params = dict(
        token_size=10, d_model=16, n_heads=4, n_layers=2, max_iter=2,
        n_ensemble=1, batch_size=64, random_state=0,
    )  # fmt: skip
    params.update(kw)
    return SMTRegressor(**params)


def test_defaults_unchanged():
    smt = SMTRegressor()
    assert (smt.layer_norm, smt.ffn_activation, smt.ffn_mult) == ("pre", "gelu", 2)
    assert smt.attn_out_proj and smt.alibi_slopes is None and smt.clamp is None
    assert smt.symmetric and smt.standardize and smt.lr_schedule is None
    mlp = PairMLPRegressor()
    assert mlp.symmetric and mlp.standardize and mlp.norm_penalty == 0.0
    assert mlp.lr_schedule is None and mlp.clamp is None
    assert PLSBilinearRegressor().projection == "transform"
    assert BilinearRegressor().intercept == "joint"
    assert CGERegressor().calibrate


def test_post_ln_block_formula():
    from connpredict.models._torch_modules import TransformerBlock

    torch.manual_seed(0)
    block = TransformerBlock(8, 2, 0.0, 4, norm="post", activation="relu")
    block.eval()
    x = torch.randn(3, 5, 8)
    out, _ = block(x, None, "manual")
    # direct computation of LN(h + FFN(h)), h = LN(x + Attn(x))
    a, _ = block.attn(x, None, "manual")
    h = torch.nn.functional.layer_norm(
        x + a, (8,), block.norm1.weight, block.norm1.bias
    )
    f = block.ff[2](torch.relu(block.ff[0](h)))
    expected = torch.nn.functional.layer_norm(
        h + f, (8,), block.norm2.weight, block.norm2.bias
    )
    torch.testing.assert_close(out, expected)


def test_attention_without_output_projection_concatenates_heads():
    from connpredict.models._torch_modules import ALiBiSelfAttention

    torch.manual_seed(0)
    attn = ALiBiSelfAttention(8, 2, out_proj=False)
    x = torch.randn(2, 4, 8)
    out, _ = attn(x, None, "manual")
    q, k, v = attn.qkv(x).view(2, 4, 3, 2, 4).permute(2, 0, 3, 1, 4)
    w = ((q @ k.transpose(-2, -1)) / 2.0).softmax(-1)
    expected = (w @ v).transpose(1, 2).reshape(2, 4, 8)
    torch.testing.assert_close(out, expected)


def test_explicit_alibi_slopes_are_used(data):
    model = _small_smt(alibi_slopes=(1.0, 1.0, 0.5, 0.5)).fit(data.X, data.Y)
    np.testing.assert_array_equal(model.module_.slopes.numpy(), [1, 1, 0.5, 0.5])
    with pytest.raises(ValueError, match="alibi_slopes"):
        _small_smt(alibi_slopes=(1.0, 0.5)).fit(data.X, data.Y)


def test_lr_schedule_steps_on_inner_validation_loss(data):
    factor = 0.5
    model = _small_smt(
        max_iter=8,
        lr=1e-2,
        n_iter_no_change=1000,
        lr_schedule={"factor": factor, "patience": 0, "threshold": 0.0},
    ).fit(data.X, data.Y)
    hist = model.history_
    valid = hist[:, "valid_loss"]
    lrs = hist[:, "event_lr"]
    # ReduceLROnPlateau(mode="min", patience=0, threshold=0) by hand, on the
    # inner validation losses
    best, lr, expected = np.inf, 1e-2, []
    for v in valid:
        expected.append(lr)
        if v < best:
            best = v
        else:
            lr *= factor
    np.testing.assert_allclose(lrs, expected)
    assert min(lrs) < 1e-2  # it did reduce on this run
    # the validation regions are training regions, never held-out ones
    assert len(model.validation_indices_) > 0
    with pytest.raises(TypeError, match="lr_schedule"):
        _small_smt(lr_schedule="plateau").fit(data.X, data.Y)


def test_standardize_false_feeds_raw_values(data):
    model = _small_smt(standardize=False, cls="coords").fit(data.X, data.Y)
    assert np.all(model.gene_mean_ == 0) and np.all(model.gene_scale_ == 1)
    assert np.all(model.coord_mean_ == 0) and model.coord_scale_ == 1.0
    assert (model.y_mean_, model.y_scale_) == (0.0, 1.0)


def test_ordered_head_trains_both_orders_and_predicts_symmetric(data):
    X, Y = data.X, data.Y
    model = _small_smt(
        head="concat", symmetric=False, use_distance=False, max_iter=1
    ).fit(X, Y)
    n_tr = len(model.train_indices_)
    assert model.net_.history[-1, "batches"]  # trained
    rows, cols, _ = model._pairs(model.train_indices_, Y.to_numpy())
    assert len(rows) == n_tr * (n_tr - 1)
    assert set(zip(rows, cols)) == {
        (a, b) for a in model.train_indices_ for b in model.train_indices_ if a != b
    }
    m = model.module_
    g, _ = model._tensors(X)
    with torch.no_grad():
        emb = m.encode(g[:4], None)
        ab = m.decode(emb[[0, 1]], emb[[2, 3]])
        ba = m.decode(emb[[2, 3]], emb[[0, 1]])
    assert not torch.allclose(ab, ba)  # order-sensitive decoder
    pred = model.predict(X).to_numpy()
    np.testing.assert_allclose(pred, pred.T)
    # the square prediction averages the two orders
    block = model._predict_block(X.iloc[:4], X.iloc[:4])
    np.testing.assert_allclose(pred[:4, :4][~np.eye(4, dtype=bool)],
                               ((block + block.T) / 2)[~np.eye(4, dtype=bool)],
                               rtol=1e-6)  # fmt: skip


def test_clamp_bounds_predictions(data):
    X, Y = data.X, data.Y
    model = _small_smt(clamp=(-0.01, 0.02)).fit(X, Y)
    block = model._predict_block(X, X)
    assert block.min() >= -0.01 - 1e-6 and block.max() <= 0.02 + 1e-6
    free = _small_smt().fit(X, Y)._predict_block(X, X)
    assert free.max() > 0.03  # the clamp is what bounds them
    with pytest.raises(ValueError, match="clamp"):
        _small_smt(clamp=(1.0, -1.0)).fit(X, Y)


def test_norm_penalty_is_unsquared_l2_of_all_weights(data):
    X, Y = data.X, data.Y
    lam = 0.3
    model = PairMLPRegressor(
        "lowrank", embedding_dim=3, norm_penalty=lam, max_iter=1, n_ensemble=1,
        random_state=0,
    ).fit(X, Y)  # fmt: skip
    net = model.net_
    y_pred = torch.tensor([0.1, 0.2, 0.3])
    y_true = torch.tensor([0.0, 0.5, 0.1])
    loss = net.get_loss(y_pred, y_true).item()
    W = net.module_.encoder.weight.detach().numpy()
    expected = np.mean((y_pred - y_true).numpy() ** 2) + lam * np.sqrt((W**2).sum())
    assert loss == pytest.approx(expected, rel=1e-5)


def test_ffn_width_and_activation(data):
    model = _small_smt(ffn_mult=3, ffn_activation="relu").fit(data.X, data.Y)
    ff = model.module_.blocks[0].ff
    assert ff[0].out_features == 48 and isinstance(ff[1], torch.nn.ReLU)
    for bad in ({"layer_norm": "mid"}, {"ffn_activation": "tanh"}, {"ffn_mult": 0}):
        with pytest.raises(ValueError):
            _small_smt(**bad).fit(data.X, data.Y)


def test_bad_options_raise(data):
    X, Y = data.X, data.Y
    with pytest.raises(ValueError, match="intercept"):
        BilinearRegressor(intercept="after").fit(X, Y)
    with pytest.raises(ValueError, match="projection"):
        PLSBilinearRegressor(n_components=3, projection="raw").fit(X, Y)
    with pytest.raises(TypeError, match="calibrate must be True or False"):
        CGERegressor(calibrate="no").fit(X, Y)
    with pytest.raises(ValueError, match="lowrank"):
        PairMLPRegressor("lowrank", use_distance=True).fit(X, Y)
    with pytest.raises(ValueError, match="norm_penalty"):
        PairMLPRegressor(norm_penalty=-1.0).fit(X, Y)


def test_residual_intercept_is_mean_residual(data):
    X, Y = data.X, data.Y
    model = BilinearRegressor(
        encoder="pca", n_components=4, alpha=1.0, intercept="residual"
    ).fit(X, Y)
    Yv = Y.to_numpy()
    fitted = model.predict(X).to_numpy() - model.intercept_  # zero diagonal
    off = ~np.eye(len(Yv), dtype=bool)
    assert model.intercept_ == pytest.approx(np.mean((Yv - fitted)[off]))
    assert isinstance(pd.DataFrame(model.predict(X)), pd.DataFrame)


@pytest.mark.parametrize("restore", [True, False])
def test_restore_best_keeps_best_or_last_epoch(data, restore):
    X, Y = data.X, data.Y
    model = _small_smt(
        max_iter=4, lr=3e-2, n_iter_no_change=100, standardize=False,
        restore_best=restore,
    ).fit(X, Y)  # fmt: skip
    valid = model.history_[:, "valid_loss"]
    assert not np.isclose(min(valid), valid[-1], rtol=1e-3)  # a real choice
    va = model.validation_indices_
    rows, cols = np.triu_indices(len(va), k=1)
    pred = model._predict_block(X.iloc[va], X.iloc[va])[rows, cols]
    truth = Y.to_numpy()[np.ix_(va, va)][rows, cols]
    mse = np.mean((pred - truth) ** 2)  # raw units: standardize=False
    expected = min(valid) if restore else valid[-1]
    assert mse == pytest.approx(expected, rel=1e-4)
    assert RESEARCH_PARAMS["smt"]["restore_best"] is False

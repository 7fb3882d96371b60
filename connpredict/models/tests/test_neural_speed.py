"""The cheaper training set-up of the neural regressors (issue 22)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.model_selection import KFold, cross_val_score  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from connpredict.datasets import make_synthetic_connectome  # noqa: E402
from connpredict.models import (  # noqa: E402
    PairMLPRegressor,
    SMTRegressor,
    _torch_modules,
    _torch_train,
)
from connpredict.models._torch_modules import Dropout  # noqa: E402
from connpredict.models._torch_train import _autocast, resolve_device  # noqa: E402


@pytest.mark.parametrize("p", [0.1, 0.2, 0.3, 0.5, 0.9])
def test_dropout_zeroes_a_fraction_p_and_rescales(p):
    x = torch.ones(400, 500)
    drop = Dropout(p).train()
    torch.manual_seed(0)
    out = drop(x)
    n = x.numel()
    # the zero rate within 5 binomial standard errors of p
    zero = (out == 0).float().mean().item()
    assert abs(zero - p) < 5 * np.sqrt(p * (1 - p) / n)
    kept = out[out != 0]
    k = round(p * 2**15)
    torch.testing.assert_close(kept, torch.full_like(kept, 2**15 / (2**15 - k)))
    assert abs(1 / (1 - p) - 2**15 / (2**15 - k)) < 1e-4 / (1 - p) ** 2
    assert out.mean().item() == pytest.approx(1.0, abs=5 * np.sqrt(p / (1 - p) / n))
    # no lane of the random words is biased: each of the four positions
    # within a word (and each row) drops at rate p
    lanes = (out == 0).reshape(-1, 4).float().mean(0).numpy()
    assert np.all(np.abs(lanes - p) < 5 * np.sqrt(p * (1 - p) / (n / 4)))
    torch.manual_seed(0)
    torch.testing.assert_close(drop(x), out)  # reproducible under the seed
    assert drop.eval()(x) is x
    assert Dropout(0.0).train()(x) is x
    assert torch.count_nonzero(Dropout(1.0).train()(x)) == 0


def test_dropout_mask_is_fifteen_random_bits_per_entry_against_p():
    x = torch.randn(30, 41)  # 1230 entries: not a multiple of 4
    p = 0.25
    torch.manual_seed(3)
    out = Dropout(p).train()(x)
    torch.manual_seed(3)
    words = torch.empty(1230 // 4 + 1, dtype=torch.int64).random_().numpy()
    # the four 16-bit fields of each word (little-endian), top bit cleared
    u = words.astype(np.uint64)
    fields = np.stack(
        [(u >> np.uint64(16 * j)) & np.uint64(0x7FFF) for j in range(4)], axis=1
    ).reshape(-1)[:1230]
    keep = (fields >= 8192).reshape(30, 41)
    expected = x.numpy() * keep / 0.75
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=0)


def test_dropout_below_the_mask_resolution_uses_a_uniform_draw():
    x = torch.ones(1000)
    p = 1e-6
    torch.manual_seed(5)
    out = Dropout(p).train()(x)
    torch.manual_seed(5)
    expected = (torch.rand(1000) >= p).float() / (1 - p)
    torch.testing.assert_close(out, expected)


def test_dropout_gradient_is_the_mask():
    x = torch.randn(64, 33, requires_grad=True)
    torch.manual_seed(1)
    out = Dropout(0.2).train()(x)
    out.sum().backward()
    mask = out.detach() / x.detach()
    torch.testing.assert_close(x.grad, mask, rtol=1e-5, atol=1e-6)


def _gathered_forward(module, genes, coords, left, right):
    """``decode(emb[left], emb[right])``: the pair forward written out."""
    emb = module.encode(genes, coords)
    ca = None if coords is None else coords[left]
    cb = None if coords is None else coords[right]
    return module.decode(emb[left], emb[right], ca, cb)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(architecture="concat", hidden_dims=(16, 8)),
        dict(architecture="concat", hidden_dims=(16,), symmetric=False),
        dict(architecture="concat", hidden_dims=(16,), use_distance=True),
        dict(architecture="concat", hidden_dims=(16,), clamp=(-0.1, 0.1)),
        dict(architecture="shared", hidden_dims=(16,), use_distance=True),
        dict(architecture="lowrank", embedding_dim=5),
    ],
)
@pytest.mark.parametrize("training", [False, True])
def test_pair_forward_equals_decoding_gathered_rows(kwargs, training):
    torch.manual_seed(0)
    module = _torch_modules.PairMLPModule(12, dropout=0.3, **kwargs)
    module.train(training)
    genes, coords = torch.randn(9, 12), torch.randn(9, 3)
    left = torch.tensor([0, 1, 2, 3, 8, 5, 0, 7])
    right = torch.tensor([4, 6, 2, 1, 0, 5, 7, 3])
    torch.manual_seed(1)
    out = module(genes, coords, left, right)
    out.sum().backward()
    grads = [p.grad.clone() for p in module.parameters()]
    module.zero_grad()
    torch.manual_seed(1)
    ref = _gathered_forward(module, genes, coords, left, right)
    ref.sum().backward()
    torch.testing.assert_close(out, ref, rtol=1e-6, atol=1e-6)
    for g, p in zip(grads, module.parameters(), strict=True):
        torch.testing.assert_close(g, p.grad, rtol=1e-5, atol=1e-6)


def test_smt_pair_forward_equals_decoding_gathered_rows():
    torch.manual_seed(0)
    module = _torch_modules.SMTModule(
        30, token_size=8, d_model=16, n_heads=2, n_layers=1, use_distance=True
    ).eval()
    genes, coords = torch.randn(7, 30), torch.randn(7, 3)
    left, right = torch.tensor([0, 1, 2, 6]), torch.tensor([3, 1, 5, 4])
    torch.testing.assert_close(
        module(genes, coords, left, right),
        _gathered_forward(module, genes, coords, left, right),
        rtol=1e-6,
        atol=1e-6,
    )


class _RecordThreads(Callback):
    def on_epoch_end(self, net, **kwargs):
        net.history.record("torch_threads", torch.get_num_threads())


def _mlp(**kw):
    params = dict(
        hidden_dims=(64,),
        embedding_dim=16,
        head_dims=(16,),
        max_iter=30,
        batch_size=256,
        n_ensemble=2,
        dropout=0.2,
        n_iter_no_change=None,
        random_state=0,
    )
    params.update(kw)
    return PairMLPRegressor(**params)


def test_training_uses_one_thread_and_a_fused_optimizer():
    data = make_synthetic_connectome(n_regions=20, n_genes=12, random_state=0)
    before = torch.get_num_threads()
    est = _mlp(max_iter=2, n_ensemble=1, callbacks=[_RecordThreads()])
    est.fit(data.X, data.Y)
    assert est.history_[:, "torch_threads"] == [1, 1]
    assert torch.get_num_threads() == before
    assert est.net_.optimizer_.defaults["fused"] is True


@pytest.fixture
def previous_setup(monkeypatch):
    """Training as before issue 22: nn.Dropout's masks, per-parameter AdamW."""

    def bernoulli(self, x):
        return F.dropout(x, self.p, self.training)

    def gather_rows(self, genes, coords, left, right):
        emb = self.encode(genes, coords)
        ca = cb = None
        if coords is not None:
            ca, cb = coords[left], coords[right]
        return self.decode(emb[left], emb[right], ca, cb)

    monkeypatch.setattr(_torch_modules.Dropout, "forward", bernoulli)
    # the CPU attention through SDPA's own (math) path
    monkeypatch.setattr(
        _torch_modules,
        "_explicit_attention",
        lambda q, k, v, bias, head_dim: F.scaled_dot_product_attention(
            q, k, v, attn_mask=bias
        ),
    )
    monkeypatch.setattr(_torch_train, "_fused_optimizer", lambda device: None)
    # pairs gathered by advanced indexing, whole rows for the concat MLP
    monkeypatch.setattr(_torch_modules._Decoded, "forward", gather_rows)
    monkeypatch.setattr(_torch_modules.PairMLPModule, "forward", gather_rows)


def _cv_r(make):
    data = make_synthetic_connectome(
        n_regions=60, n_genes=30, noise=0.1, random_state=2
    )
    cv = KFold(3, shuffle=True, random_state=0)
    return cross_val_score(make(), data.X, data.Y, cv=cv).mean()


@pytest.mark.parametrize(
    "make",
    [
        lambda: _mlp(max_iter=20),
        lambda: SMTRegressor(
            token_size=8,
            d_model=16,
            n_heads=2,
            n_layers=1,
            head_dims=(16,),
            max_iter=40,
            lr=3e-3,
            batch_size=512,
            n_ensemble=2,
            n_iter_no_change=None,
            # without dropout: on this 60-region case two dropout streams
            # alone move the SMT's r by up to 0.04 per seed (measured), which
            # would swamp the comparison; the masks are checked above
            dropout=0.0,
            random_state=0,
        ),
    ],
    ids=["mlp", "smt"],
)
def test_same_accuracy_as_the_previous_setup(make, request):
    new = _cv_r(make)
    request.getfixturevalue("previous_setup")
    old = _cv_r(make)
    assert np.isfinite(new) and new > 0.3
    assert abs(new - old) < 0.01


def test_device_auto_resolves_to_cpu_without_cuda():
    if torch.cuda.is_available():  # pragma: no cover - GPU machines
        assert resolve_device("auto") == "cuda"
        return
    assert resolve_device("auto") == "cpu"
    assert resolve_device("cpu") == "cpu"
    data = make_synthetic_connectome(n_regions=16, n_genes=8, random_state=0)
    est = _mlp(max_iter=1, n_ensemble=1, device="auto").fit(data.X, data.Y)
    assert torch.device(est.net_.device).type == "cpu"
    assert est.predict(data.X).shape == (16, 16)


def test_autocast_is_a_no_op_on_cpu():
    a = torch.randn(8, 8)
    with _autocast("cpu"):
        inside = a @ a
    assert inside.dtype == torch.float32
    torch.testing.assert_close(inside, a @ a, rtol=0, atol=0)


@pytest.mark.parametrize("with_bias", [True, False])
def test_explicit_attention_equals_sdpa_values_and_gradients(with_bias):
    torch.manual_seed(0)
    B, H, S, dh = 3, 4, 11, 8
    qkv = torch.randn(3, B, H, S, dh, requires_grad=True)
    slopes = _torch_modules.alibi_slopes(H)
    bias = _torch_modules.alibi_bias(slopes, S) if with_bias else None
    ours = _torch_modules._explicit_attention(*qkv.unbind(0), bias, dh)
    (g_ours,) = torch.autograd.grad((ours * ours).sum(), qkv)
    ref = F.scaled_dot_product_attention(*qkv.unbind(0), attn_mask=bias)
    (g_ref,) = torch.autograd.grad((ref * ref).sum(), qkv)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(g_ours, g_ref, rtol=1e-5, atol=1e-6)
    # and against the softmax written with numpy, in float64
    q, k, v = (t.detach().double().numpy() for t in qkv.unbind(0))
    s = q @ k.swapaxes(-1, -2) / np.sqrt(dh)
    if with_bias:
        s = s + bias.double().numpy()
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    np.testing.assert_allclose(ours.detach().numpy(), w @ v, rtol=1e-5, atol=1e-6)


def test_smt_attention_on_cpu_takes_the_explicit_products(monkeypatch):
    calls = []
    explicit = _torch_modules._explicit_attention

    def spy(*args):
        calls.append(1)
        return explicit(*args)

    monkeypatch.setattr(_torch_modules, "_explicit_attention", spy)
    attn = _torch_modules.ALiBiSelfAttention(16, 2).train()
    x = torch.randn(4, 7, 16)
    slopes = _torch_modules.alibi_slopes(2)
    out, _ = attn(x, slopes, backend="sdpa")
    assert calls and out.shape == x.shape
    calls.clear()
    _torch_modules.ALiBiSelfAttention(16, 2, attn_dropout=0.1).train()(
        x, slopes, backend="sdpa"
    )
    assert not calls  # attention dropout: SDPA's own path


def test_default_patience_only_cuts_the_epochs_after_the_best():
    # the default stops 5 epochs without improvement after the best; until
    # then training is that of patience 10, epoch for epoch
    assert PairMLPRegressor().n_iter_no_change == 5
    assert SMTRegressor().n_iter_no_change == 5
    data = make_synthetic_connectome(n_regions=40, n_genes=16, random_state=1)
    kw = dict(hidden_dims=(32,), max_iter=60, n_ensemble=1, random_state=0)
    short = PairMLPRegressor(**kw, lr=1e-2).fit(data.X, data.Y)
    long = PairMLPRegressor(**kw, lr=1e-2, n_iter_no_change=10).fit(data.X, data.Y)
    vs = short.history_[:, "valid_loss"]
    vl = long.history_[:, "valid_loss"]
    assert len(vs) < len(vl) <= 60
    assert vs == vl[: len(vs)]
    # skorch's rule: a loss improves on the best by more than 1e-4 relative
    best, thr, misses = 0, np.inf, 0
    for epoch, value in enumerate(vs):
        if value < thr:
            best, thr, misses = epoch, value * (1 - 1e-4), 0
        else:
            misses += 1
    assert misses == 5 and len(vs) == best + 6

"""Tests of the Spatiomolecular Transformer (SMTRegressor and its modules)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from connpredict.datasets import make_synthetic_connectome  # noqa: E402
from connpredict.models._smt import SMTRegressor  # noqa: E402
from connpredict.models._torch_modules import (  # noqa: E402
    ALiBiSelfAttention,
    SMTModule,
    alibi_bias,
    alibi_slopes,
    flash_available,
)

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def data():
    return make_synthetic_connectome(n_regions=24, n_genes=45, random_state=1)


def _module(seed=0, **kw):
    params = dict(
        n_genes=45, token_size=10, d_model=16, n_heads=4, n_layers=2, dropout=0.0
    )
    params.update(kw)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return SMTModule(**params).eval()


def test_alibi_slopes_match_press_et_al():
    np.testing.assert_allclose(alibi_slopes(4).numpy(), [2**-2, 2**-4, 2**-6, 2**-8])
    np.testing.assert_allclose(
        alibi_slopes(8).numpy(), [2.0 ** -(k + 1) for k in range(8)]
    )
    s6 = alibi_slopes(6).numpy()
    # 4 slopes of the 4-head sequence, then every other slope of the 8-head one
    np.testing.assert_allclose(s6, [2**-2, 2**-4, 2**-6, 2**-8, 2**-1, 2**-3])


def test_alibi_bias_is_minus_slope_times_distance():
    slopes = torch.tensor([0.5, 0.25])
    bias = alibi_bias(slopes, 4).numpy()
    i, j = np.meshgrid(np.arange(4), np.arange(4), indexing="ij")
    np.testing.assert_allclose(bias[0], -0.5 * np.abs(i - j))
    np.testing.assert_allclose(bias[1], -0.25 * np.abs(i - j))


def _numpy_attention(attn, x, slopes):
    """Direct NumPy multi-head attention with ALiBi (independent reference)."""
    W = attn.qkv.weight.detach().numpy()
    b = attn.qkv.bias.detach().numpy()
    Wo = attn.proj.weight.detach().numpy()
    bo = attn.proj.bias.detach().numpy()
    B, S, D = x.shape
    H = attn.n_heads
    dh = D // H
    qkv = x @ W.T + b  # (B, S, 3D)
    q, k, v = qkv[..., :D], qkv[..., D : 2 * D], qkv[..., 2 * D :]
    out = np.zeros((B, S, D))
    for h in range(H):
        sl = slice(h * dh, (h + 1) * dh)
        scores = q[..., sl] @ np.swapaxes(k[..., sl], 1, 2) / math.sqrt(dh)
        pos = np.arange(S)
        scores = scores - slopes[h] * np.abs(pos[:, None] - pos[None, :])
        scores = scores - scores.max(-1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(-1, keepdims=True)
        out[..., sl] = p @ v[..., sl]
    return out @ Wo.T + bo


@pytest.mark.parametrize("backend", ["manual", "sdpa"])
def test_attention_matches_numpy_reference(backend):
    torch.manual_seed(0)
    attn = ALiBiSelfAttention(16, 4).eval()
    x = torch.randn(3, 7, 16)
    slopes = alibi_slopes(4)
    with torch.no_grad():
        out, _ = attn(x, slopes, backend=backend)
    ref = _numpy_attention(attn, x.numpy().astype(np.float64), slopes.numpy())
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"positional": "learned", "pooling": "attention"},
        {"cls": "coords", "pooling": "cls"},
        {"pooling": "flatten", "use_distance": True},
        {"positional": "none"},
    ],
)
def test_manual_and_sdpa_backends_agree(kw):
    torch.manual_seed(1)
    genes = torch.randn(6, 45)
    coords = torch.randn(6, 3)
    left = torch.tensor([0, 1, 2, 3])
    right = torch.tensor([5, 4, 3, 0])
    m_sdpa = _module(**kw, attention_backend="sdpa")
    m_manual = _module(**kw, attention_backend="manual")
    m_manual.load_state_dict(m_sdpa.state_dict())
    with torch.no_grad():
        a = m_sdpa(genes, coords, left, right)
        b = m_manual(genes, coords, left, right)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(
    not (torch.cuda.is_available() and flash_available("cuda")),
    reason="needs a CUDA device and flash-attn",
)
def test_flash_and_sdpa_backends_agree_on_cuda():
    genes = torch.randn(8, 45, device="cuda")
    left = torch.tensor([0, 1, 2], device="cuda")
    right = torch.tensor([7, 6, 2], device="cuda")
    m_sdpa = _module(attention_backend="sdpa", n_heads=2).cuda()
    m_flash = _module(attention_backend="flash", n_heads=2).cuda()
    m_flash.load_state_dict(m_sdpa.state_dict())
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
        a = m_sdpa(genes, None, left, right).float()
        b = m_flash(genes, None, left, right).float()
    torch.testing.assert_close(a, b, rtol=2e-2, atol=2e-2)


def test_tokens_are_consecutive_genes_with_zero_padding():
    m = _module(token_size=10)  # 45 genes -> 5 tokens, last padded by 5
    assert m.n_tokens == 5 and m.pad == 5
    genes = torch.randn(2, 45)
    W = m.token_embed.weight.detach()
    b = m.token_embed.bias.detach()
    with torch.no_grad():
        tok = m.tokens(genes)
    np.testing.assert_allclose(
        tok[:, 1].numpy(), (genes[:, 10:20] @ W.T + b).numpy(), rtol=1e-5, atol=1e-6
    )
    last = torch.cat([genes[:, 40:], torch.zeros(2, 5)], dim=1)
    np.testing.assert_allclose(
        tok[:, 4].numpy(), (last @ W.T + b).numpy(), rtol=1e-5, atol=1e-6
    )


def test_cls_token_comes_from_coordinates():
    m = _module(cls="coords")
    genes = torch.randn(2, 45)
    coords = torch.randn(2, 3)
    with torch.no_grad():
        tok = m.tokens(genes, coords)
        expected = m.cls_embed(coords)
    assert tok.shape == (2, 6, 16)
    np.testing.assert_allclose(tok[:, 0].numpy(), expected.numpy(), rtol=1e-6)


def test_decoder_is_exactly_symmetric():
    m = _module(pooling="flatten", use_distance=True)
    genes, coords = torch.randn(5, 45), torch.randn(5, 3)
    i, j = torch.tensor([0, 1, 2]), torch.tensor([4, 3, 1])
    with torch.no_grad():
        np.testing.assert_array_equal(
            m(genes, coords, i, j).numpy(), m(genes, coords, j, i).numpy()
        )


def test_attention_maps_and_transform(data):
    model = SMTRegressor(
        token_size=10,
        d_model=16,
        n_heads=4,
        n_layers=2,
        cls="coords",
        max_iter=2,
        n_iter_no_change=None,
        random_state=0,
    ).fit(data.X, data.Y)
    maps = model.attention_maps(data.X.iloc[:3])
    assert maps.shape == (3, 4, 6, 6)  # 45 genes -> 5 tokens + [CLS]
    np.testing.assert_allclose(maps.sum(-1), 1.0, rtol=1e-5)
    first = model.attention_maps(data.X.iloc[:3], layer=0)
    assert not np.allclose(first, maps)
    assert model.transform(data.X).shape == (24, 6 * 4)  # flatten: tokens x 4
    mean = SMTRegressor(
        token_size=10,
        d_model=16,
        pooling="mean",
        max_iter=1,
        n_iter_no_change=None,
        random_state=0,
    ).fit(data.X, data.Y)
    assert mean.transform(data.X).shape == (24, 16)


def test_alibi_attention_maps_prefer_nearby_tokens_at_init():
    # with zero queries/keys the scores are the ALiBi bias alone
    m = _module(n_heads=2)
    for block in m.blocks:
        torch.nn.init.zeros_(block.attn.qkv.weight)
        torch.nn.init.zeros_(block.attn.qkv.bias)
    with torch.no_grad():
        _, maps = m.encode_tokens(torch.randn(1, 45), need_weights=True)
    slopes = alibi_slopes(2).numpy()
    pos = np.arange(5)
    for h in range(2):
        logits = -slopes[h] * np.abs(pos[:, None] - pos[None, :])
        expected = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        np.testing.assert_allclose(maps[0][0, h].numpy(), expected, rtol=1e-5)


def test_backend_resolution_and_errors(data):
    assert SMTRegressor(attention_backend="auto")._resolved_backend() in (
        "sdpa",
        "flash",
    )
    assert SMTRegressor(device="cpu")._resolved_backend() == "sdpa"
    with pytest.raises(ValueError, match="flash"):
        SMTRegressor(attention_backend="flash", device="cpu", max_iter=1).fit(
            data.X, data.Y
        )
    with pytest.raises(ValueError, match="cls"):
        SMTRegressor(pooling="cls", max_iter=1).fit(data.X, data.Y)
    with pytest.raises(ValueError, match="multiple"):
        SMTRegressor(d_model=10, n_heads=4, max_iter=1).fit(data.X, data.Y)
    with pytest.raises(ValueError, match="token_size"):
        SMTRegressor(token_size=0, max_iter=1).fit(data.X, data.Y)


def test_gene_order_matters(data):
    # tokens are consecutive genes: reversing the gene order changes the model
    genes = [c for c in data.X.columns if c not in ("x", "y", "z")]
    X_rev = data.X[[*genes[::-1], "x", "y", "z"]]
    kw = dict(
        token_size=10, d_model=16, max_iter=2, n_iter_no_change=None, random_state=0
    )
    p1 = SMTRegressor(**kw).fit(data.X, data.Y).predict(data.X).to_numpy()
    p2 = SMTRegressor(**kw).fit(X_rev, data.Y).predict(X_rev).to_numpy()
    assert not np.allclose(p1, p2)


def test_flash_backend_falls_back_to_sdpa_off_cuda():
    # e.g. a model trained with flash-attn on a GPU, unpickled on a CPU
    genes = torch.randn(4, 45)
    left, right = torch.tensor([0, 1]), torch.tensor([2, 3])
    m_sdpa = _module(attention_backend="sdpa")
    m_flash = _module(attention_backend="flash")
    m_flash.load_state_dict(m_sdpa.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(
            m_flash(genes, None, left, right), m_sdpa(genes, None, left, right)
        )

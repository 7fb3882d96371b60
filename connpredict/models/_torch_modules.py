"""Torch modules of the neural connectome regressors (private; not estimators).

Every network here follows the same two-stage shape, which is what makes
training cost grow with regions rather than with region pairs:

* ``encode(genes, coords)`` maps each region (a row of features) to an
  embedding, once per region;
* ``decode(emb_a, emb_b, coords_a, coords_b)`` maps the embeddings of the
  two regions of each pair to one predicted connectivity value;
* ``forward(genes, coords, left, right)`` encodes the distinct regions of a
  batch and decodes the pairs ``(left[k], right[k])`` (indices into those
  regions).

All decoders are symmetric in the two regions by construction, so
``f(i, j) == f(j, i)`` exactly.

The SMT attention has three interchangeable implementations with the same
parameters: ``"manual"`` (explicit softmax, also used to return attention
maps), ``"sdpa"`` (:func:`torch.nn.functional.scaled_dot_product_attention`)
and ``"flash"`` (``flash_attn.flash_attn_qkvpacked_func``, CUDA and half
precision only, imported lazily).
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

# ---------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------


# dropout masks from random bits: each int16 lane of a random int64 word,
# with its top bit cleared, is uniform on [0, 2**15)
_MASK_BITS = 15
_MASK_LEVELS = 1 << _MASK_BITS


def dropout_mask(x, p):
    """Scaled keep mask of inverted dropout, the shape and dtype of ``x``.

    Each entry is 0 with probability ``k / 2**15`` (``k = round(p * 2**15)``,
    within ``2**-16`` of ``p``) and ``2**15 / (2**15 - k)`` otherwise, so its
    expectation is exactly 1. The mask is drawn as 15 random bits per entry
    (a quarter of a random int64 word each) compared with ``k``: about a
    third of the cost of a float uniform draw per entry (``rand_like``).
    Dropout rates below ``2**-16`` fall back to ``rand_like(x) >= p``.
    """
    k = round(p * _MASK_LEVELS)
    if k == 0:
        return torch.rand_like(x).ge_(p).mul_(1.0 / (1.0 - p))
    n = x.numel()
    words = torch.empty((n + 3) // 4, dtype=torch.int64, device=x.device).random_()
    lanes = words.view(torch.int16).bitwise_and_(_MASK_LEVELS - 1)[:n].view(x.shape)
    mask = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    torch.ge(lanes, k, out=mask)
    return mask.mul_(_MASK_LEVELS / (_MASK_LEVELS - k))


class Dropout(nn.Module):
    """Inverted dropout with a cheaper mask than :class:`torch.nn.Dropout`.

    Zeroes each entry with probability ``p`` during training and scales the
    others by ``1 / (1 - p)``, as ``nn.Dropout`` does; the mask comes from
    :func:`dropout_mask` (15 random bits per entry, ``p`` taken to the
    nearest multiple of ``2**-15``): on the CPU about 2.5x cheaper than a
    uniform draw per entry and 5x cheaper than ``nn.Dropout``'s Bernoulli
    sampling. Same state dict (none), same expectation; a different random
    stream.
    """

    def __init__(self, p=0.5):
        super().__init__()
        self.p = float(p)

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        if self.p >= 1.0:
            return torch.zeros_like(x)
        # the scaled mask in one buffer; autograd records one product
        return x * dropout_mask(x, self.p)

    def extra_repr(self):
        return f"p={self.p}"


def _mlp(in_dim, hidden_dims, out_dim, dropout, *, activation=nn.GELU):
    """Linear -> activation -> dropout for each hidden size, then Linear."""
    layers = []
    d = in_dim
    for h in hidden_dims:
        layers += [nn.Linear(d, h), activation(), Dropout(dropout)]
        d = h
    layers.append(nn.Linear(d, out_dim))
    return nn.Sequential(*layers)


def _relu_bn_dropout(width, dropout):
    """ReLU -> BatchNorm -> dropout, the research heads' block after a Linear."""
    return [nn.ReLU(), nn.BatchNorm1d(width), Dropout(dropout)]


def _relu_bn_layers(in_dim, hidden_dims, dropout):
    """Linear + :func:`_relu_bn_dropout` for each hidden size, then Linear to 1."""
    layers = []
    d = in_dim
    for h in hidden_dims:
        layers += [nn.Linear(d, h), *_relu_bn_dropout(h, dropout)]
        d = h
    layers.append(nn.Linear(d, 1))
    return layers


def _pair_distance(coords_a, coords_b, position_dims=None):
    """Euclidean distance between paired coordinate rows, shape (P, 1).

    With ``position_dims`` of several blocks (e.g. ``(3, 2)``: coordinates
    and gradients), one distance per block, shape (P, n_blocks).
    """
    if position_dims is None or len(position_dims) == 1:
        return torch.linalg.vector_norm(coords_a - coords_b, dim=-1, keepdim=True)
    diff = coords_a - coords_b
    parts = torch.split(diff, list(position_dims), dim=-1)
    return torch.cat(
        [torch.linalg.vector_norm(p, dim=-1, keepdim=True) for p in parts], dim=-1
    )


def _n_distances(use_distance, position_dims):
    """Distance features the decoder receives: 0, or one per position block."""
    if not use_distance:
        return 0
    return 1 if position_dims is None else len(position_dims)


class SymmetricPairHead(nn.Module):
    """Symmetric decoder ``g([e_i + e_j, e_i * e_j, |e_i - e_j|, (d_ij)])``.

    Each of the three combinations is invariant to swapping ``i`` and ``j``,
    so the prediction is exactly symmetric. ``use_distance`` appends the
    Euclidean distance between the regions' (standardised) coordinates.
    """

    def __init__(
        self,
        emb_dim,
        hidden_dims=(64,),
        dropout=0.0,
        use_distance=False,
        position_dims=None,
    ):
        super().__init__()
        self.use_distance = bool(use_distance)
        self.position_dims = position_dims
        in_dim = 3 * emb_dim + _n_distances(self.use_distance, position_dims)
        self.norm = nn.LayerNorm(emb_dim)
        self.mlp = _mlp(in_dim, hidden_dims, 1, dropout)

    def forward(self, emb_a, emb_b, coords_a=None, coords_b=None):
        a = self.norm(emb_a)
        b = self.norm(emb_b)
        feats = [a + b, a * b, (a - b).abs()]
        if self.use_distance:
            feats.append(
                _pair_distance(coords_a, coords_b, self.position_dims).to(a.dtype)
            )
        return self.mlp(torch.cat(feats, dim=-1)).squeeze(-1)


class ConcatPairHead(nn.Module):
    """MLP on ``[e_i, e_j, (d_ij)]``, the research's decoder.

    Linear -> ReLU -> BatchNorm -> Dropout blocks, then Linear(1). With
    ``symmetric=True`` it is applied to both orders ``(i, j)`` and ``(j, i)``
    in one batch and averaged, so the prediction is symmetric; with
    ``symmetric=False`` only ``(i, j)`` is decoded (the research decoder,
    order-sensitive).
    """

    def __init__(
        self,
        emb_dim,
        hidden_dims=(64,),
        dropout=0.0,
        use_distance=False,
        symmetric=True,
        position_dims=None,
    ):
        super().__init__()
        self.use_distance = bool(use_distance)
        self.symmetric = bool(symmetric)
        self.position_dims = position_dims
        in_dim = 2 * emb_dim + _n_distances(self.use_distance, position_dims)
        self.mlp = nn.Sequential(*_relu_bn_layers(in_dim, hidden_dims, dropout))

    def forward(self, emb_a, emb_b, coords_a=None, coords_b=None):
        ab = [emb_a, emb_b]
        ba = [emb_b, emb_a]
        if self.use_distance:
            dist = _pair_distance(coords_a, coords_b, self.position_dims).to(
                emb_a.dtype
            )
            ab.append(dist)
            ba.append(dist)
        if not self.symmetric:
            return self.mlp(torch.cat(ab, dim=-1)).squeeze(-1)
        x = torch.cat([torch.cat(ab, dim=-1), torch.cat(ba, dim=-1)], dim=0)
        out = self.mlp(x).squeeze(-1)
        n = emb_a.shape[0]
        return 0.5 * (out[:n] + out[n:])


def _make_head(
    kind,
    emb_dim,
    hidden_dims,
    dropout,
    use_distance,
    symmetric=True,
    position_dims=None,
):
    if kind == "symmetric":
        return SymmetricPairHead(
            emb_dim, tuple(hidden_dims), dropout, use_distance, position_dims
        )
    if kind == "concat":
        return ConcatPairHead(
            emb_dim, tuple(hidden_dims), dropout, use_distance, symmetric, position_dims
        )
    raise ValueError(f"unknown head {kind!r}")


class _Decoded(nn.Module):
    """Mixin-like base: ``forward`` = encode distinct regions, decode pairs.

    Subclasses implement ``encode`` and ``_decode``; ``decode`` clamps the
    output to ``self.clamp`` (``(low, high)`` or None) when set.
    """

    clamp = None

    def decode(self, emb_a, emb_b, coords_a=None, coords_b=None):
        out = self._decode(emb_a, emb_b, coords_a, coords_b)
        if self.clamp is not None:
            out = out.clamp(float(self.clamp[0]), float(self.clamp[1]))
        return out

    def forward(self, genes, coords, left, right):
        emb = self.encode(genes, coords)
        ca = cb = None
        if coords is not None:
            ca, cb = coords.index_select(0, left), coords.index_select(0, right)
        # index_select, not emb[left]: the same values, and its backward (a
        # row-wise index_add) costs half of advanced indexing's on the CPU
        ea, eb = emb.index_select(0, left), emb.index_select(0, right)
        return self.decode(ea, eb, ca, cb)


# ---------------------------------------------------------------------------
# pair MLP
# ---------------------------------------------------------------------------


class PairMLPModule(_Decoded):
    """Shared region encoder + pair decoder (the network of PairMLPRegressor).

    Parameters
    ----------
    n_genes : int
        Number of gene features.
    architecture : {"shared", "concat"}
        ``"shared"``: an MLP encodes each region's genes (and standardised
        coordinates when ``use_coords``) into ``embedding_dim`` features;
        :class:`SymmetricPairHead` decodes pairs. ``"concat"``: the research
        MLP, ``MLP([x_i, x_j])`` with Linear -> ReLU -> BatchNorm -> Dropout
        blocks, averaged over both orders. Its first layer is computed per
        region (``W [x_i, x_j] = W_a x_i + W_b x_j``), which is exact and lets
        regions be encoded once.
    hidden_dims : tuple of int
        Encoder hidden sizes (``"shared"``) or all hidden sizes (``"concat"``).
    embedding_dim : int
        Region embedding size (``"shared"`` only).
    head_dims : tuple of int
        Hidden sizes of the pair head (``"shared"`` only).
    dropout : float
        Dropout rate.
    use_coords : bool
        Append the 3 standardised coordinates to each region's input.
    use_distance : bool
        Give the decoder the distance between the two regions.
    symmetric : bool
        ``"concat"``: average both orders (True) or decode ``(i, j)`` only.
    clamp : tuple of float or None
        Clamp the (standardised) output to ``(low, high)``.
    position_dims : tuple of int or None
        Widths of the blocks of the region position vector (``coords``);
        None is ``(3,)``, the coordinates. Each block gets its own pair
        distance (``region_position="both"``: space and gradients).

    ``architecture="lowrank"`` is the research's low-rank bilinear model:
    ``encode(x) = W x`` (``W`` of shape ``(embedding_dim, n_inputs)``, no
    bias) and ``decode = <e_i, e_j>``, i.e. ``y_ij = x_i^T W^T W x_j``.
    """

    def __init__(
        self,
        n_genes,
        architecture="shared",
        hidden_dims=(256,),
        embedding_dim=64,
        head_dims=(64,),
        dropout=0.1,
        use_coords=False,
        use_distance=False,
        head="symmetric",
        input_dropout=0.0,
        symmetric=True,
        clamp=None,
        position_dims=None,
    ):
        super().__init__()
        self.input_drop = Dropout(input_dropout)
        self.architecture = architecture
        self.position_dims = None if position_dims is None else tuple(position_dims)
        n_position = 3 if position_dims is None else int(sum(position_dims))
        self.use_coords = bool(use_coords)
        self.use_distance = bool(use_distance)
        self.symmetric = bool(symmetric)
        self.clamp = None if clamp is None else tuple(float(c) for c in clamp)
        in_dim = n_genes + n_position * int(self.use_coords)
        hidden_dims = tuple(hidden_dims)
        if architecture == "lowrank":
            if self.use_distance:
                raise ValueError("architecture='lowrank' takes no pair distance")
            self.encoder = nn.Linear(in_dim, embedding_dim, bias=False)
        elif architecture == "shared":
            self.encoder = _mlp(in_dim, hidden_dims, embedding_dim, dropout)
            self.head = _make_head(
                head,
                embedding_dim,
                head_dims,
                dropout,
                use_distance,
                symmetric,
                self.position_dims,
            )
        elif architecture == "concat":
            if not hidden_dims:
                raise ValueError(
                    "architecture='concat' needs at least one hidden layer"
                )
            h1 = hidden_dims[0]
            # first layer split into the halves acting on region i and region j
            self.first = nn.Linear(in_dim, 2 * h1)
            n_dist = _n_distances(use_distance, self.position_dims)
            self.dist_proj = nn.Linear(n_dist, h1, bias=False) if n_dist else None
            self.rest = nn.Sequential(
                *_relu_bn_dropout(h1, dropout),
                *_relu_bn_layers(h1, hidden_dims[1:], dropout),
            )
            self._h1 = h1
        else:
            raise ValueError(f"unknown architecture {architecture!r}")

    def _inputs(self, genes, coords):
        genes = self.input_drop(genes)
        if self.use_coords:
            return torch.cat([genes, coords.to(genes.dtype)], dim=-1)
        return genes

    def encode(self, genes, coords=None):
        x = self._inputs(genes, coords)
        if self.architecture in ("shared", "lowrank"):
            return self.encoder(x)
        return self.first(x)  # (R, 2 * h1): [W_a x + b, W_b x]

    def forward(self, genes, coords, left, right):
        if self.architecture != "concat":
            return super().forward(genes, coords, left, right)
        # the concat decoder straight from the region encodings: the first
        # layer of both orders (i, j) and (j, i) as one (2P, h1) tensor of
        # gathered halves, without gathering whole rows, slicing and
        # concatenating (the same values as ``decode(emb[left], emb[right])``)
        emb = self.encode(genes, coords)
        h1 = self._h1
        n = left.shape[0]
        if self.symmetric:
            left, right = torch.cat([left, right]), torch.cat([right, left])
        x = (
            emb[:, :h1].index_select(0, left)
            + emb[:, h1:].index_select(0, right)
            - self.first.bias[h1:]
        )
        if self.dist_proj is not None:
            dist = self.dist_proj(
                _pair_distance(
                    coords.index_select(0, left),
                    coords.index_select(0, right),
                    self.position_dims,
                ).to(x.dtype)
            )
            x = x + dist
        out = self.rest(x).squeeze(-1)
        if self.symmetric:
            out = 0.5 * (out[:n] + out[n:])
        if self.clamp is not None:
            out = out.clamp(float(self.clamp[0]), float(self.clamp[1]))
        return out

    def _decode(self, emb_a, emb_b, coords_a=None, coords_b=None):
        if self.architecture == "lowrank":
            return (emb_a * emb_b).sum(dim=-1)
        if self.architecture == "shared":
            return self.head(emb_a, emb_b, coords_a, coords_b)
        h1 = self._h1
        # the bias lives in the first half; W_b x has it too, so remove it once
        bias = self.first.bias[h1:]
        ab = emb_a[:, :h1] + emb_b[:, h1:] - bias
        ba = emb_b[:, :h1] + emb_a[:, h1:] - bias
        if self.dist_proj is not None:
            dist = self.dist_proj(
                _pair_distance(coords_a, coords_b, self.position_dims).to(ab.dtype)
            )
            ab = ab + dist
            ba = ba + dist
        if not self.symmetric:
            return self.rest(ab).squeeze(-1)
        out = self.rest(torch.cat([ab, ba], dim=0)).squeeze(-1)
        n = emb_a.shape[0]
        return 0.5 * (out[:n] + out[n:])


# ---------------------------------------------------------------------------
# Spatiomolecular Transformer
# ---------------------------------------------------------------------------


def alibi_slopes(n_heads):
    """ALiBi slopes of Press et al.: a geometric sequence per head.

    For a power of two ``n``: ``2 ** (-8 * (h + 1) / n)``, ``h = 0..n-1``
    (4 heads: 1/4, 1/16, 1/64, 1/256). Other head counts interleave the
    slopes of the neighbouring powers of two, as in the paper.
    """

    def _pow2(n):
        start = 2.0 ** (-8.0 / n)
        return [start ** (i + 1) for i in range(n)]

    if math.log2(n_heads).is_integer():
        slopes = _pow2(n_heads)
    else:
        closest = 2 ** math.floor(math.log2(n_heads))
        slopes = _pow2(closest) + _pow2(2 * closest)[0::2][: n_heads - closest]
    return torch.tensor(slopes, dtype=torch.float32)


# alias: SMTModule has a parameter named ``alibi_slopes``
_geometric_slopes = alibi_slopes


def alibi_bias(slopes, seq_len, device=None, dtype=torch.float32):
    """Additive attention bias ``-slope_h * |i - j|``, shape (H, S, S).

    This is flash-attn's non-causal ALiBi convention, so the same slopes give
    the same attention on every backend.
    """
    pos = torch.arange(seq_len, device=device, dtype=torch.float32)
    dist = (pos[None, :] - pos[:, None]).abs()
    return (-slopes.to(device=device, dtype=torch.float32)[:, None, None] * dist).to(
        dtype
    )


def _flash_attn_func():
    """Return ``flash_attn_qkvpacked_func`` or None when flash-attn is missing."""
    try:
        from flash_attn import flash_attn_qkvpacked_func
    except ImportError:  # optional extra: fall back to SDPA
        return None
    return flash_attn_qkvpacked_func


def flash_available(device):
    """Whether the flash-attn kernel can run on ``device``."""
    dev = torch.device(device)
    return (
        dev.type == "cuda"
        and torch.cuda.is_available()
        and _flash_attn_func() is not None
    )


def _explicit_attention(q, k, v, bias, head_dim):
    """``softmax(q k^T / sqrt(head_dim) + bias) v`` in three products.

    What :func:`~torch.nn.functional.scaled_dot_product_attention` computes
    on the CPU with a float mask (its "math" path), without the extra passes
    that path spends guarding rows masked entirely with ``-inf`` (ALiBi
    biases are finite): about 15 % less time forward and backward.
    """
    scores = torch.matmul(q * (1.0 / math.sqrt(head_dim)), k.transpose(-2, -1))
    if bias is not None:
        # in place: the product's backward needs q and k, not its output
        scores = scores.add_(bias)
    return scores.softmax(dim=-1) @ v


class ALiBiSelfAttention(nn.Module):
    """Multi-head self-attention with an optional ALiBi bias and 3 backends."""

    def __init__(self, d_model, n_heads, attn_dropout=0.0, out_proj=True):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(
                f"d_model={d_model} must be a multiple of n_heads={n_heads}"
            )
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
        self.attn_dropout = attn_dropout
        self.qkv = nn.Linear(d_model, 3 * d_model)
        # without W_O the heads are simply concatenated (the research SMT)
        self.proj = nn.Linear(d_model, d_model) if out_proj else nn.Identity()

    def forward(self, x, slopes=None, backend="sdpa", need_weights=False):
        B, S, D = x.shape
        H, dh = self.n_heads, self.head_dim
        qkv = self.qkv(x).view(B, S, 3, H, dh)
        p = self.attn_dropout if self.training else 0.0
        weights = None
        flash = None
        if backend == "flash" and not need_weights and x.is_cuda:
            flash = _flash_attn_func()
        # "flash" falls back to SDPA off CUDA or without flash-attn (e.g. a
        # model trained on a GPU and unpickled on a CPU-only machine)
        if flash is not None:
            half = qkv
            if qkv.dtype not in (torch.float16, torch.bfloat16):
                half = qkv.to(torch.bfloat16)
            out = flash(
                half.contiguous(),
                dropout_p=p,
                causal=False,
                alibi_slopes=None if slopes is None else slopes.float().contiguous(),
            )
            out = out.to(x.dtype).reshape(B, S, D)
        else:
            q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (B, H, S, dh)
            bias = None
            if slopes is not None:
                bias = alibi_bias(slopes, S, device=x.device, dtype=q.dtype)
            if backend == "manual" or need_weights:
                scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(dh))
                if bias is not None:
                    scores = scores + bias
                attn = scores.float().softmax(dim=-1).to(q.dtype)
                weights = attn
                out = F.dropout(attn, p) @ v
            elif x.device.type == "cpu" and p == 0.0:
                out = _explicit_attention(q, k, v, bias, dh)
            else:
                out = F.scaled_dot_product_attention(
                    q, k, v, attn_mask=bias, dropout_p=p
                )
            out = out.transpose(1, 2).reshape(B, S, D)
        return self.proj(out), weights


_ACTIVATIONS = {"gelu": nn.GELU, "relu": nn.ReLU}


class TransformerBlock(nn.Module):
    """Transformer block, pre- or post-LayerNorm.

    ``norm="pre"``: ``x + Attn(LN(x))`` then ``x + FFN(LN(x))``.
    ``norm="post"`` (the original transformer and the research SMT):
    ``h = LN(x + Attn(x))`` then ``LN(h + FFN(h))``. The feed-forward network
    is ``Linear(d, ff_mult * d) -> activation -> Linear(ff_mult * d, d)``;
    dropout acts on both residual branches.
    """

    def __init__(
        self,
        d_model,
        n_heads,
        dropout=0.1,
        ff_mult=2,
        *,
        norm="pre",
        activation="gelu",
        out_proj=True,
    ):
        super().__init__()
        if norm not in ("pre", "post"):
            raise ValueError(f"norm must be 'pre' or 'post', got {norm!r}")
        self.pre_norm = norm == "pre"
        self.norm1 = nn.LayerNorm(d_model)
        self.attn = ALiBiSelfAttention(d_model, n_heads, out_proj=out_proj)
        self.drop1 = Dropout(dropout)
        self.norm2 = nn.LayerNorm(d_model)
        hidden = int(ff_mult * d_model)
        self.ff = nn.Sequential(
            nn.Linear(d_model, hidden),
            _ACTIVATIONS[activation](),
            nn.Linear(hidden, d_model),
        )
        self.drop2 = Dropout(dropout)

    def forward(self, x, slopes=None, backend="sdpa", need_weights=False):
        if self.pre_norm:
            a, w = self.attn(self.norm1(x), slopes, backend, need_weights)
            x = x + self.drop1(a)
            x = x + self.drop2(self.ff(self.norm2(x)))
            return x, w
        a, w = self.attn(x, slopes, backend, need_weights)
        x = self.norm1(x + self.drop1(a))
        x = self.norm2(x + self.drop2(self.ff(x)))
        return x, w


class AttentionPooling(nn.Module):
    """Softmax-weighted sum of tokens, scores from a small MLP per token."""

    def __init__(self, d_model, hidden=32):
        super().__init__()
        self.score = nn.Sequential(
            nn.Linear(d_model, hidden), nn.Tanh(), nn.Linear(hidden, 1)
        )

    def forward(self, x):
        w = self.score(x).float().softmax(dim=1).to(x.dtype)  # (B, S, 1)
        return (w * x).sum(dim=1)


def _alibi_slopes(n_heads, alibi_slopes):
    """ALiBi slope per head: the given ones, or Press et al.'s geometric ones."""
    if alibi_slopes is None:
        return _geometric_slopes(n_heads)
    if len(alibi_slopes) != n_heads:
        raise ValueError(
            f"alibi_slopes has {len(alibi_slopes)} values for {n_heads} heads"
        )
    return torch.tensor([float(v) for v in alibi_slopes], dtype=torch.float32)


def _token_pooling(pooling, d_model, flatten_dim, seq_len):
    """``(pooling layer or None, region embedding width)`` of ``pooling``."""
    if pooling == "attention":
        return AttentionPooling(d_model), d_model
    if pooling == "flatten":
        return nn.Linear(d_model, flatten_dim), flatten_dim * seq_len
    if pooling in ("mean", "cls"):
        return None, d_model
    raise ValueError(f"unknown pooling {pooling!r}")


class SMTModule(_Decoded):
    """Spatiomolecular Transformer: token encoder per region + pair decoder.

    Parameters
    ----------
    n_genes : int
        Number of genes (in genomic order).
    token_size : int
        Consecutive genes per token; the last token is zero-padded.
    d_model, n_heads, n_layers : int
        Transformer width, heads and depth.
    dropout : float
        Dropout on residual branches, pooling and head.
    positional : {"alibi", "learned", "none"}
        ALiBi attention biases, or learned absolute position embeddings.
    cls : {None, "coords"}
        Prepend a [CLS] token made from the standardised coordinates
        (``Linear(3, d_model)``). Under ALiBi it sits at position 0.
    pooling : {"mean", "attention", "cls", "flatten"}
        How token outputs become the region embedding. ``"flatten"`` is the
        research choice: per-token ``Linear(d_model, flatten_dim)``, then
        concatenation.
    flatten_dim : int
        Per-token width for ``pooling="flatten"``.
    head_dims : tuple of int
        Hidden sizes of the symmetric pair head.
    use_distance : bool
        Give the decoder the distance between the two regions.
    attention_backend : {"sdpa", "manual", "flash"}
        Attention implementation (see the module docstring).
    ffn_mult : int
        Feed-forward width multiplier.
    layer_norm : {"pre", "post"}
        LayerNorm placement of the blocks (see :class:`TransformerBlock`);
        pre-LN blocks are followed by a final LayerNorm, post-LN blocks end
        with one already.
    ffn_activation : {"gelu", "relu"}
        Feed-forward activation.
    attn_out_proj : bool
        Attention output projection ``W_O`` (False concatenates the heads).
    alibi_slopes : tuple of float or None
        Explicit ALiBi slopes, one per head; None uses the geometric slopes.
    embedding_dropout : float or None
        Dropout on the region embedding (None: ``dropout``).
    symmetric : bool
        ``head="concat"``: average both orders, or decode ``(i, j)`` only.
    clamp : tuple of float or None
        Clamp the (standardised) output to ``(low, high)``.
    position_dims : tuple of int or None
        Widths of the blocks of the region position vector (``coords``);
        None is ``(3,)``, the coordinates. Each block gets its own pair
        distance (``region_position="both"``: space and gradients).
    """

    def __init__(
        self,
        n_genes,
        token_size=20,
        d_model=64,
        n_heads=4,
        n_layers=2,
        dropout=0.1,
        positional="alibi",
        cls=None,
        pooling="mean",
        flatten_dim=4,
        head_dims=(64,),
        use_distance=False,
        attention_backend="sdpa",
        ffn_mult=2,
        head="symmetric",
        input_dropout=0.0,
        layer_norm="pre",
        ffn_activation="gelu",
        attn_out_proj=True,
        alibi_slopes=None,
        embedding_dropout=None,
        symmetric=True,
        clamp=None,
        position_dims=None,
    ):
        super().__init__()
        self.clamp = None if clamp is None else tuple(float(c) for c in clamp)
        self.input_drop = Dropout(input_dropout)
        self.position_dims = None if position_dims is None else tuple(position_dims)
        n_position = 3 if position_dims is None else int(sum(position_dims))
        self.token_size = int(token_size)
        self.n_tokens = math.ceil(n_genes / self.token_size)
        self.pad = self.n_tokens * self.token_size - n_genes
        self.use_cls = cls == "coords"
        self.seq_len = self.n_tokens + int(self.use_cls)
        self.positional = positional
        self.pooling = pooling
        self.attention_backend = attention_backend
        self.token_embed = nn.Linear(self.token_size, d_model)
        self.cls_embed = nn.Linear(n_position, d_model) if self.use_cls else None
        if positional == "learned":
            self.pos_embed = nn.Parameter(torch.randn(self.seq_len, d_model) * 0.02)
        else:
            self.pos_embed = None
        if positional == "alibi":
            self.register_buffer("slopes", _alibi_slopes(n_heads, alibi_slopes))
        else:
            self.slopes = None
        self.blocks = nn.ModuleList(
            TransformerBlock(
                d_model,
                n_heads,
                dropout,
                ffn_mult,
                norm=layer_norm,
                activation=ffn_activation,
                out_proj=attn_out_proj,
            )
            for _ in range(n_layers)
        )
        self.norm = nn.LayerNorm(d_model) if layer_norm == "pre" else nn.Identity()
        if pooling == "cls" and not self.use_cls:
            raise ValueError("pooling='cls' needs cls='coords'")
        self.pool, emb_dim = _token_pooling(pooling, d_model, flatten_dim, self.seq_len)
        self.embedding_dim = emb_dim
        self.pool_drop = Dropout(
            dropout if embedding_dropout is None else embedding_dropout
        )
        self.head = _make_head(
            head,
            emb_dim,
            head_dims,
            dropout,
            use_distance,
            symmetric,
            self.position_dims,
        )

    def tokens(self, genes, coords=None):
        """Token embeddings (R, S, d_model) of the regions' gene vectors."""
        R = genes.shape[0]
        genes = self.input_drop(genes)
        if self.pad:
            genes = F.pad(genes, (0, self.pad))
        x = self.token_embed(genes.view(R, self.n_tokens, self.token_size))
        if self.use_cls:
            cls = self.cls_embed(coords.to(x.dtype)).unsqueeze(1)
            x = torch.cat([cls, x], dim=1)
        if self.pos_embed is not None:
            x = x + self.pos_embed
        return x

    def _backend(self, need_weights):
        return "manual" if need_weights else self.attention_backend

    def encode_tokens(self, genes, coords=None, need_weights=False, backend=None):
        """Final token states and, if asked, the attention maps of each layer."""
        x = self.tokens(genes, coords)
        backend = backend or self._backend(need_weights)
        maps = []
        for block in self.blocks:
            x, w = block(x, self.slopes, backend, need_weights)
            maps.append(w)
        return self.norm(x), maps

    def encode(self, genes, coords=None, backend=None):
        x, _ = self.encode_tokens(genes, coords, backend=backend)
        if self.pooling == "mean":
            emb = x.mean(dim=1)
        elif self.pooling == "cls":
            emb = x[:, 0]
        elif self.pooling == "attention":
            emb = self.pool(x)
        else:
            emb = self.pool(x).flatten(1)
        return self.pool_drop(emb)

    def _decode(self, emb_a, emb_b, coords_a=None, coords_b=None):
        return self.head(emb_a, emb_b, coords_a, coords_b)

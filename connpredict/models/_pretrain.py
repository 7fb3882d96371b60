"""Self-supervised region encoders pretrained on gene expression alone.

:class:`RegionEncoder` pretrains the token encoder of the Spatiomolecular
Transformer (token embedding, transformer blocks, final LayerNorm; the same
modules and parameter names as :class:`~connpredict.models.SMTRegressor`'s)
without any connectivity: only the regions' expression is used. The fitted
encoder initialises an SMT (``SMTRegressor(encoder=...)``) or gives a pair
MLP extra region features (``PairMLPRegressor(encoder=...)``).
"""

import copy
import logging
import math
import time

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, _clone_parametrized
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback
from torch import nn
from torch.nn import functional as F

from connpredict.models._torch_modules import PairMLPModule, SMTModule
from connpredict.models._torch_train import _GLOBAL_RNG_LOCK, _fork_rng, resolve_device
from connpredict.utils._contract import COORD_COLUMNS
from connpredict.utils._stats import draw_seed
from connpredict.utils._threads import limit_threads

logger = logging.getLogger("connpredict.models")

OBJECTIVES = ("masked", "network", "jepa", "autoencode")

# encoder parameters that fix the token layout and the shapes of the weights
# shared with SMTRegressor (same names on both)
_SHARED_PARAMS = (
    "token_size",
    "d_model",
    "n_heads",
    "n_layers",
    "positional",
    "layer_norm",
    "ffn_activation",
    "ffn_mult",
    "attn_out_proj",
    "alibi_slopes",
)
_FITTED = (
    "genes_",
    "n_genes_",
    "n_tokens_",
    "gene_mean_",
    "gene_scale_",
    "token_modules_",
    "encoder_state_",
    "history_",
    "corpus_sizes_",
    "fit_seconds_",
    "cpu_seconds_",
)


# ---------------------------------------------------------------------------
# masks and the moving average (module-level so that tests can check them)
# ---------------------------------------------------------------------------


def draw_token_mask(n_regions, n_tokens, mask_ratio, rng):
    """Boolean mask (n_regions, n_tokens): ``round(mask_ratio * n_tokens)``
    tokens (at least one) drawn uniformly without replacement per region."""
    k = max(1, round(mask_ratio * n_tokens))
    k = min(k, n_tokens)
    mask = np.zeros((n_regions, n_tokens), dtype=bool)
    for r in range(n_regions):
        mask[r, rng.choice(n_tokens, size=k, replace=False)] = True
    return mask


def draw_module_mask(n_regions, token_modules, mask_ratio, rng):
    """Boolean mask (n_regions, n_tokens) covering whole token modules.

    Per region, modules are taken in a random order until at least
    ``mask_ratio`` of the tokens are masked (at least one module, never all
    of them when there are two or more).
    """
    token_modules = np.asarray(token_modules)
    n_tokens = token_modules.size
    labels = np.unique(token_modules)
    target = max(1, round(mask_ratio * n_tokens))
    mask = np.zeros((n_regions, n_tokens), dtype=bool)
    for r in range(n_regions):
        order = rng.permutation(labels)
        for i, lab in enumerate(order):
            if i > 0 and (mask[r].sum() >= target or i == len(labels) - 1):
                break
            mask[r] |= token_modules == lab
    return mask


def token_modules(Z, token_size, n_modules, random_state=None):
    """Gene modules as clusters of tokens with similar expression profiles.

    Each token's profile is the mean of its genes' standardised expression in
    every region of ``Z`` (regions x genes); k-means (``n_init=10``) groups
    the tokens into ``n_modules`` clusters. Returns one label per token.
    """
    from sklearn.cluster import KMeans

    n_regions, n_genes = Z.shape
    n_tokens = math.ceil(n_genes / token_size)
    pad = n_tokens * token_size - n_genes
    Zp = np.pad(Z, ((0, 0), (0, pad)), constant_values=np.nan)
    profiles = np.nanmean(Zp.reshape(n_regions, n_tokens, token_size), axis=2).T
    k = int(min(n_modules, n_tokens))
    if k < 2:
        return np.zeros(n_tokens, dtype=int)
    km = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(profiles)
    return km.labels_.astype(int)


@torch.no_grad()
def ema_update(target, online, momentum):
    """``target <- momentum * target + (1 - momentum) * online``, in place,
    for every parameter of two modules of the same shape (JEPA's target
    encoder)."""
    for pt, po in zip(target.parameters(), online.parameters(), strict=True):
        pt.mul_(momentum).add_(po.detach(), alpha=1.0 - momentum)


# ---------------------------------------------------------------------------
# the pretraining network
# ---------------------------------------------------------------------------


def _token_encoder(n_genes, params, dropout):
    """An SMTModule used for its token encoder only (no pair head).

    Its keyword arguments come from :meth:`SMTRegressor._module_kwargs`, the
    one place that maps the estimator's parameters onto the module's.
    """
    from connpredict.models._smt import SMTRegressor

    est = SMTRegressor(
        **params,
        dropout=dropout,
        pooling="mean",
        use_distance=False,
        attention_backend="sdpa",
    )
    est.use_distance_ = False
    module = SMTModule(**est._module_kwargs(n_genes))
    module.head = nn.Identity()  # never used here
    return module


def _token_states(enc, genes, mask=None, mask_embed=None):
    """Final token states (R, T, d) of ``enc``; masked tokens replaced by
    ``mask_embed`` before the position embedding and the blocks."""
    R = genes.shape[0]
    if enc.pad:
        genes = F.pad(genes, (0, enc.pad))
    x = enc.token_embed(genes.view(R, enc.n_tokens, enc.token_size))
    if mask is not None:
        x = torch.where(mask[..., None], mask_embed.to(x.dtype), x)
    if enc.pos_embed is not None:
        x = x + enc.pos_embed
    for block in enc.blocks:
        x, _ = block(x, enc.slopes, enc.attention_backend, False)
    return enc.norm(x)


def _shared_state(enc):
    """The weights an SMTRegressor takes from the encoder (CPU copies)."""
    keep = ("token_embed.", "blocks.", "norm.", "pos_embed", "slopes")
    return {
        k: v.detach().cpu().clone()
        for k, v in enc.state_dict().items()
        if k.startswith(keep)
    }


class RegionEncoder(BaseEstimator):
    """Self-supervised region encoder: an SMT token encoder pretrained on expression.

    The encoder is the token half of :class:`SMTRegressor`: each region's
    standardised gene vector (in the column order of ``X``, genomic order
    when the loader provides it) is cut into tokens of ``token_size``
    consecutive genes, embedded linearly and mixed by ``n_layers``
    transformer blocks. It is trained on the regions' expression alone, with
    one of four objectives:

    ``"masked"`` (Sequence-BERT)
        ``mask_ratio`` of each region's tokens, drawn uniformly, are replaced
        by a learned [MASK] embedding; a linear head reconstructs their
        standardised genes (mean squared error on the masked tokens' real
        genes).
    ``"network"`` (Network-BERT)
        As ``"masked"``, but whole gene modules are masked together. The
        modules are fixed before training: k-means (``n_modules`` clusters,
        seeded by ``random_state``) of the tokens' mean expression profiles
        across the corpus regions (:func:`token_modules`); per region, modules
        are masked in a random order until ``mask_ratio`` of the tokens are.
    ``"jepa"``
        A predictor maps the context encoder's states at the masked tokens to
        the target encoder's (layer-normalised) states of the unmasked input;
        the target encoder is an exponential moving average of the context
        encoder, ``theta_t <- m theta_t + (1 - m) theta_c`` after each step
        (``m = ema_momentum``); the context encoder is what is kept.
    ``"autoencode"``
        The mean of the token states (a ``d_model`` bottleneck) is decoded
        linearly back to all of the region's genes.

    Use :func:`pretrain_region_encoder` to fit one in a call, and pass the
    fitted encoder as ``SMTRegressor(encoder=...)`` or
    ``PairMLPRegressor(encoder=...)``. An unfitted encoder passed to those
    estimators is pretrained inside their ``fit`` on the training regions
    only (inductive).

    Parameters
    ----------
    objective : {"masked", "network", "jepa", "autoencode"}, default="masked"
        Pretraining task (see above).
    token_size, d_model, n_heads, n_layers : int, default=20, 64, 4, 2
        Token layout and transformer size; an SMT initialised from the
        encoder must have the same values (see :meth:`smt_params`).
    positional : {"alibi", "learned", "none"}, default="alibi"
        Token positions, as in :class:`SMTRegressor`.
    layer_norm : {"pre", "post"}, default="pre"
        Block style, as in :class:`SMTRegressor`.
    ffn_activation : {"gelu", "relu"}, default="gelu"
        Feed-forward activation, as in :class:`SMTRegressor`.
    ffn_mult : int, default=2
        Feed-forward width in multiples of ``d_model``.
    attn_out_proj : bool, default=True
        Attention output projection, as in :class:`SMTRegressor`.
    alibi_slopes : tuple of float or None, default=None
        ALiBi slope of each head (None: geometric slopes).
    mask_ratio : float, default=0.3
        Fraction of tokens masked per region (``"masked"``, ``"network"``,
        ``"jepa"``).
    n_modules : int, default=8
        Number of gene modules (``"network"``).
    ema_momentum : float, default=0.99
        Momentum of the target encoder's moving average (``"jepa"``).
    max_iter : int, default=100
        Epochs (passes over the corpus regions); 0 keeps the random
        initialisation (a control for benchmarks: an untrained encoder).
    lr : float, default=1e-3
        AdamW learning rate.
    batch_size : int, default=32
        Regions per step.
    weight_decay : float, default=1e-2
        AdamW weight decay.
    dropout : float, default=0.1
        Dropout on the transformer's residual branches during pretraining.
    device : str, default="cpu"
        Torch device (``"auto"``: CUDA when available).
    verbose : int, default=0
        Log the loss of each epoch (logger ``connpredict.models``) when > 0.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the masks, the region order, the dropout
        and the gene modules.
    coord_columns : tuple of str, default=("x", "y", "z")
        Columns of ``X`` that are not genes (ignored).

    Attributes
    ----------
    genes_ : ndarray of str
        The genes, in the token order the encoder was trained on.
    n_genes_, n_tokens_ : int
        Number of genes and of tokens.
    gene_mean_, gene_scale_ : ndarray of shape (n_genes,)
        Standardisation of the pooled corpus (used by :meth:`transform`).
    token_modules_ : ndarray of int or None
        Module of each token (``"network"``), else None.
    encoder_state_ : dict of str to torch.Tensor
        Weights of the token embedding, blocks and final LayerNorm, named as
        in the SMT's module.
    history_ : list of dict
        Per epoch: ``epoch``, ``loss`` (mean training loss), ``seconds``.
    corpus_sizes_ : list of int
        Regions of each corpus table.
    fit_seconds_, cpu_seconds_ : float
        Wall-clock and process CPU time of the pretraining (NaN on an
        encoder read by :func:`connpredict.pretrained.load_estimator`, which
        does not store timings).

    See Also
    --------
    pretrain_region_encoder : Fit an encoder in one call.
    SMTRegressor : Takes ``encoder=`` (initialisation, ``freeze=``).
    PairMLPRegressor : Takes ``encoder=`` (embeddings as extra inputs).

    Notes
    -----
    Leakage: the encoder sees expression, never connectivity, and expression
    is an input of every model, never a target. Still, an encoder pretrained
    on a corpus that contains a test fold's regions has seen those regions'
    inputs before cross-validation: it is *transductive*. Pass an unfitted
    encoder to an estimator for the *inductive* protocol (pretrained inside
    each ``fit`` on the training regions only).

    Persistence: :func:`connpredict.pretrained.save_estimator` saves an
    encoder (and any estimator holding one) without pickle, in one
    checksummed file; pickle and joblib work too.

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.models import RegionEncoder
    >>> ds = make_synthetic_connectome(n_regions=20, n_genes=30, random_state=0)
    >>> enc = RegionEncoder("masked", token_size=10, d_model=16, max_iter=2,
    ...                     random_state=0).fit(ds.X)
    >>> enc.transform(ds.X).shape
    (20, 16)
    """

    def __init__(
        self,
        objective="masked",
        *,
        token_size=20,
        d_model=64,
        n_heads=4,
        n_layers=2,
        positional="alibi",
        layer_norm="pre",
        ffn_activation="gelu",
        ffn_mult=2,
        attn_out_proj=True,
        alibi_slopes=None,
        mask_ratio=0.3,
        n_modules=8,
        ema_momentum=0.99,
        max_iter=100,
        lr=1e-3,
        batch_size=32,
        weight_decay=1e-2,
        dropout=0.1,
        device="cpu",
        verbose=0,
        random_state=None,
        coord_columns=COORD_COLUMNS,
    ):
        self.objective = objective
        self.token_size = token_size
        self.d_model = d_model
        self.n_heads = n_heads
        self.n_layers = n_layers
        self.positional = positional
        self.layer_norm = layer_norm
        self.ffn_activation = ffn_activation
        self.ffn_mult = ffn_mult
        self.attn_out_proj = attn_out_proj
        self.alibi_slopes = alibi_slopes
        self.mask_ratio = mask_ratio
        self.n_modules = n_modules
        self.ema_momentum = ema_momentum
        self.max_iter = max_iter
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.device = device
        self.verbose = verbose
        self.random_state = random_state
        self.coord_columns = coord_columns

    # -- sklearn protocol ----------------------------------------------------
    def __sklearn_is_fitted__(self):
        return hasattr(self, "encoder_state_")

    def __sklearn_clone__(self):
        # a fitted encoder is a fixed object (like sklearn's FrozenEstimator):
        # cloning an estimator that holds it keeps it as is; an unfitted one
        # is cloned as usual (and pretrained inside the estimator's fit)
        if self.__sklearn_is_fitted__():
            return self
        return _clone_parametrized(self)

    # -- validation ------------------------------------------------------------
    def _check_params(self):
        if self.objective not in OBJECTIVES:
            raise ValueError(
                f"objective must be one of {OBJECTIVES}, got {self.objective!r}."
            )
        for name in (
            "token_size",
            "d_model",
            "n_heads",
            "n_layers",
            "ffn_mult",
            "n_modules",
            "batch_size",
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}.")
        v = self.max_iter
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"max_iter must be an integer >= 0, got {v!r}.")
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model ({self.d_model}) must be a multiple of n_heads "
                f"({self.n_heads})."
            )
        if self.positional not in ("alibi", "learned", "none"):
            raise ValueError(
                "positional must be 'alibi', 'learned' or 'none', got "
                f"{self.positional!r}."
            )
        if not 0 < float(self.mask_ratio) < 1:
            raise ValueError(f"mask_ratio must be in (0, 1), got {self.mask_ratio!r}.")
        if not 0 <= float(self.ema_momentum) <= 1:
            raise ValueError(
                f"ema_momentum must be in [0, 1], got {self.ema_momentum!r}."
            )
        if not 0 <= float(self.dropout) < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}.")
        if not float(self.lr) > 0:
            raise ValueError(f"lr must be a positive number, got {self.lr!r}.")

    def _gene_table(self, X, what="X"):
        """Gene columns of one table, as a float DataFrame (coordinates dropped)."""
        if not isinstance(X, pd.DataFrame):
            raise ValueError(
                f"{what} must be a pandas DataFrame with gene names as columns "
                f"(got {type(X).__name__}): the encoder is tied to its genes."
            )
        coords = set(self.coord_columns)
        genes = X[[c for c in X.columns if c not in coords]]
        if genes.shape[1] == 0:
            raise ValueError(f"{what} has no gene columns.")
        values = genes.to_numpy(dtype=float)
        if not np.all(np.isfinite(values)):
            bad = genes.index[~np.isfinite(values).all(axis=1)]
            raise ValueError(
                f"{what} has missing or infinite expression in {len(bad)} regions "
                f"({list(bad[:5])}); drop them or load with missing='drop'."
            )
        return genes

    # -- fit -------------------------------------------------------------------
    def fit(self, X, y=None):
        """Pretrain the encoder on the expression of one or several tables.

        Parameters
        ----------
        X : DataFrame or list of DataFrame
            Regions x genes (coordinate columns are ignored). Several tables
            (e.g. every shipped atlas) are pooled on the genes common to all
            of them, in the first table's order (the shipped Schaefer-100 to
            -400 tables share 275 genes); use :meth:`align` to give an
            estimator those columns.
        y : None
            Ignored (self-supervised).

        Returns
        -------
        self : RegionEncoder
            The fitted encoder.
        """
        for name in _FITTED:
            self.__dict__.pop(name, None)
        self._check_params()
        tables = list(X) if isinstance(X, (list, tuple)) else [X]
        if not tables:
            raise ValueError("X is an empty list; pass at least one expression table.")
        frames = [
            self._gene_table(t, f"X[{i}]" if len(tables) > 1 else "X")
            for i, t in enumerate(tables)
        ]
        common = set(frames[0].columns)
        for f in frames[1:]:
            common &= set(f.columns)
        genes = [g for g in frames[0].columns if g in common]
        if not genes:
            raise ValueError(
                "The expression tables share no gene; pretrain on tables with "
                "common gene symbols."
            )
        if len(genes) < max(f.shape[1] for f in frames):
            logger.info(
                "RegionEncoder: %d genes common to the %d tables (of %s)",
                len(genes),
                len(frames),
                [f.shape[1] for f in frames],
            )
        blocks = [f[genes].to_numpy(dtype=float) for f in frames]
        raw = np.vstack(blocks)
        n_genes = raw.shape[1]
        mean = raw.mean(axis=0)
        sd = raw.std(axis=0)
        scale = np.where(sd > 1e-8, sd, 1.0)
        Z = (raw - mean) / scale

        rng = check_random_state(self.random_state)
        seed = draw_seed(rng)
        params = {k: getattr(self, k) for k in _SHARED_PARAMS}
        modules = None
        if self.objective == "network":
            modules = token_modules(
                Z, int(self.token_size), int(self.n_modules), draw_seed(rng)
            )
        device = resolve_device(self.device)
        t0, c0 = time.perf_counter(), time.process_time()
        with _GLOBAL_RNG_LOCK, _fork_rng(device), limit_threads():
            torch.manual_seed(seed)
            state, history = self._train(Z, params, modules, rng, device)
        # attributes only now: an interrupted fit (Ctrl-C) leaves none
        self.genes_ = np.asarray(genes, dtype=object)
        self.n_genes_ = n_genes
        self.n_tokens_ = math.ceil(n_genes / int(self.token_size))
        self.gene_mean_ = mean
        self.gene_scale_ = scale
        self.token_modules_ = modules
        self.history_ = history
        self.corpus_sizes_ = [len(t) for t in tables]
        self.fit_seconds_ = time.perf_counter() - t0
        self.cpu_seconds_ = time.process_time() - c0
        self.encoder_state_ = state
        return self

    def _train(self, Z, params, modules, rng, device):
        n_regions, n_genes = Z.shape
        enc = _token_encoder(n_genes, params, float(self.dropout)).to(device)
        d, ts, T = int(self.d_model), enc.token_size, enc.n_tokens
        heads = nn.ModuleDict()
        if self.objective in ("masked", "network", "jepa"):
            heads["mask_embed"] = nn.Embedding(1, d)
            nn.init.normal_(heads["mask_embed"].weight, std=0.02)
        if self.objective in ("masked", "network"):
            heads["recon"] = nn.Linear(d, ts)
        elif self.objective == "jepa":
            heads["predictor"] = nn.Sequential(
                nn.Linear(d, d), nn.GELU(), nn.Linear(d, d)
            )
        else:
            heads["decoder"] = nn.Linear(d, T * ts)
        heads = heads.to(device)
        target = None
        if self.objective == "jepa":
            target = copy.deepcopy(enc).eval()
            for p in target.parameters():
                p.requires_grad_(False)
        opt = torch.optim.AdamW(
            list(enc.parameters()) + list(heads.parameters()),
            lr=float(self.lr),
            weight_decay=float(self.weight_decay),
        )
        # real genes of each token (the last token is zero-padded)
        real = torch.ones(T * ts, device=device)
        if enc.pad:
            real[n_genes:] = 0
        real = real.view(T, ts)
        Zt = torch.as_tensor(Z, dtype=torch.float32)
        history = []
        bs = int(self.batch_size)
        for epoch in range(int(self.max_iter)):
            t0 = time.perf_counter()
            enc.train()
            order = rng.permutation(n_regions)
            total, count = 0.0, 0
            for start in range(0, n_regions, bs):
                idx = order[start : start + bs]
                g = Zt[idx].to(device)
                if self.objective == "network":
                    m = draw_module_mask(len(idx), modules, self.mask_ratio, rng)
                elif self.objective in ("masked", "jepa"):
                    m = draw_token_mask(len(idx), T, self.mask_ratio, rng)
                else:
                    m = None
                loss = self._loss(enc, heads, target, g, m, real, device)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if target is not None:
                    ema_update(target, enc, float(self.ema_momentum))
                total += float(loss.detach()) * len(idx)
                count += len(idx)
            mean_loss = total / count
            if not math.isfinite(mean_loss):
                raise ValueError(
                    f"RegionEncoder pretraining diverged (loss {mean_loss} at "
                    f"epoch {epoch + 1}); refit with a smaller lr (now {self.lr!r})."
                )
            history.append(
                {
                    "epoch": epoch + 1,
                    "loss": mean_loss,
                    "seconds": time.perf_counter() - t0,
                }
            )
            if self.verbose:
                logger.info("RegionEncoder epoch %d loss %.4f", epoch + 1, mean_loss)
        enc.eval()
        return _shared_state(enc), history

    def _loss(self, enc, heads, target, g, m, real, device):
        R = g.shape[0]
        T, ts = enc.n_tokens, enc.token_size
        gp = F.pad(g, (0, enc.pad)).view(R, T, ts) if enc.pad else g.view(R, T, ts)
        if self.objective == "autoencode":
            states = _token_states(enc, g)
            rec = heads["decoder"](states.mean(dim=1)).view(R, T, ts)
            w = real.expand(R, T, ts)
            return (((rec - gp) ** 2) * w).sum() / w.sum()
        mask = torch.as_tensor(m, device=device)
        states = _token_states(enc, g, mask, heads["mask_embed"].weight[0])
        if self.objective == "jepa":
            with torch.no_grad():
                tgt = _token_states(target, g)
                tgt = F.layer_norm(tgt, tgt.shape[-1:])
            pred = heads["predictor"](states[mask])
            return F.mse_loss(pred, tgt[mask])
        rec = heads["recon"](states[mask])  # (n_masked, ts)
        w = real[None].expand(R, T, ts)[mask]
        return (((rec - gp[mask]) ** 2) * w).sum() / w.sum()

    # -- use -------------------------------------------------------------------
    def check_genes(self, genes, what="X"):
        """Check that ``genes`` are the encoder's genes, in its order.

        Parameters
        ----------
        genes : list of str
            Gene names, in column order.
        what : str, default="X"
            Name of the table, for the message.

        Raises
        ------
        ValueError
            Naming the missing or new genes, or the first position where the
            order differs.
        """
        check_is_fitted(self)
        genes = [str(g) for g in genes]
        mine = [str(g) for g in self.genes_]
        if genes == mine:
            return
        have, want = set(genes), set(mine)
        missing = [g for g in mine if g not in have]
        extra = [g for g in genes if g not in want]
        if missing or extra:
            detail = (
                f"{len(missing)} of the encoder's genes are missing "
                f"(e.g. {missing[:5]}) and {len(extra)} genes are new "
                f"(e.g. {extra[:5]})"
            )
        else:
            first = next(i for i, (a, b) in enumerate(zip(genes, mine)) if a != b)
            detail = (
                f"the same genes in another order (first difference at column "
                f"{first}: {genes[first]!r} instead of {mine[first]!r}), so the "
                "tokens would hold other genes"
            )
        raise ValueError(
            f"The encoder was pretrained on {len(mine)} genes in another layout "
            f"than the {len(genes)} gene columns of {what}: {detail}. Align the "
            "table with encoder.align(X) (keeps the encoder's genes in its "
            "order; needs all of them), or pretrain an encoder on these genes."
        )

    def align(self, X):
        """Select and order the columns of ``X`` as the encoder's genes.

        Coordinates are kept last; a ValueError names the genes ``X`` lacks.

        Parameters
        ----------
        X : DataFrame
            Regions x genes (and coordinates).

        Returns
        -------
        X_aligned : DataFrame
            Columns ``genes_`` then the coordinate columns present in ``X``.
        """
        check_is_fitted(self)
        cols = [str(c) for c in X.columns]
        missing = [g for g in self.genes_ if str(g) not in set(cols)]
        if missing:
            raise ValueError(
                f"X lacks {len(missing)} of the encoder's {self.n_genes_} genes "
                f"(e.g. {missing[:5]}); an encoder can only be aligned to a table "
                "holding all its genes: pretrain one on this table's genes."
            )
        coords = [c for c in self.coord_columns if c in X.columns]
        return X[list(self.genes_) + coords]

    def check_smt(self, estimator):
        """Check that an SMT has the encoder's token layout.

        Parameters
        ----------
        estimator : SMTRegressor
            The estimator to initialise from the encoder.

        Raises
        ------
        ValueError
            Naming every setting that differs from the encoder's.
        """
        diff = [
            f"{k}={getattr(estimator, k)!r} (encoder: {getattr(self, k)!r})"
            for k in _SHARED_PARAMS
            if _normalise(getattr(estimator, k)) != _normalise(getattr(self, k))
        ]
        if diff:
            raise ValueError(
                "The encoder's token layout differs from the SMT's: "
                + ", ".join(diff)
                + ". Build the SMT with the encoder's settings: "
                "SMTRegressor(encoder=encoder, **encoder.smt_params())."
            )

    def smt_params(self):
        """The :class:`SMTRegressor` parameters that must match the encoder.

        Returns
        -------
        params : dict
            ``token_size``, ``d_model``, ``n_heads``, ``n_layers``,
            ``positional``, ``layer_norm``, ``ffn_activation``, ``ffn_mult``,
            ``attn_out_proj``, ``alibi_slopes``.
        """
        return {k: getattr(self, k) for k in _SHARED_PARAMS}

    def _module(self):
        params = self.smt_params()
        enc = _token_encoder(self.n_genes_, params, 0.0)
        enc.load_state_dict(self.encoder_state_, strict=False)
        return enc.eval()

    def transform(self, X):
        """Region embeddings: the mean of the encoder's token states.

        Parameters
        ----------
        X : DataFrame of shape (n_regions, n_features)
            Regions with the encoder's genes in its order (coordinate columns
            are ignored); standardised with the corpus statistics.

        Returns
        -------
        embeddings : ndarray of shape (n_regions, d_model)
            One row per region.
        """
        check_is_fitted(self)
        genes = self._gene_table(X)
        self.check_genes(genes.columns)
        Z = (genes.to_numpy(dtype=float) - self.gene_mean_) / self.gene_scale_
        enc = self._module()
        out = []
        with torch.no_grad(), limit_threads():
            Zt = torch.as_tensor(Z, dtype=torch.float32)
            for start in range(0, len(Zt), 256):
                out.append(_token_states(enc, Zt[start : start + 256]).mean(dim=1))
        return torch.cat(out).numpy().astype(float)


def _normalise(v):
    if isinstance(v, (list, tuple)):
        return tuple(float(x) for x in v)
    if isinstance(v, (np.integer, np.bool_)):
        return v.item()
    return v


def pretrain_region_encoder(X, *, objective="masked", random_state=None, **params):
    """Pretrain a region encoder on gene expression alone.

    Parameters
    ----------
    X : DataFrame or list of DataFrame
        One or several regions x genes tables (e.g. the ``X`` of every
        shipped dataset, or your own); coordinate columns are ignored.
    objective : {"masked", "network", "jepa", "autoencode"}, default="masked"
        The self-supervised task (see :class:`RegionEncoder`).
    random_state : int, RandomState instance or None, default=None
        Seeds everything random in pretraining.
    **params
        Other :class:`RegionEncoder` parameters (``token_size``, ``d_model``,
        ``max_iter``, ``mask_ratio``...).

    Returns
    -------
    encoder : RegionEncoder
        The fitted encoder, to pass as ``SMTRegressor(encoder=...)`` or
        ``PairMLPRegressor(encoder=...)``.

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.models import SMTRegressor, pretrain_region_encoder
    >>> ds = make_synthetic_connectome(n_regions=20, n_genes=30, random_state=0)
    >>> enc = pretrain_region_encoder(ds.X, objective="jepa", token_size=10,
    ...                               d_model=16, max_iter=2, random_state=0)
    >>> smt = SMTRegressor(encoder=enc, **enc.smt_params(), max_iter=2,
    ...                    n_ensemble=1, random_state=0).fit(ds.X, ds.Y)
    >>> smt.predict(ds.X).shape
    (20, 20)
    """
    return RegionEncoder(objective, random_state=random_state, **params).fit(X)


# ---------------------------------------------------------------------------
# use by the estimators
# ---------------------------------------------------------------------------


def _gene_frame(estimator, X):
    coords = set(estimator._coord_columns())
    return X[[c for c in X.columns if c not in coords]]


def resolve_encoder(estimator, X):
    """The fitted encoder an estimator's ``fit`` uses, checked against ``X``.

    None when ``estimator.encoder`` is None. An unfitted encoder is cloned
    and pretrained on ``X`` (the training regions only); a fitted one is
    returned as is. Raises a ValueError naming any mismatch of genes or
    token layout.
    """
    enc = estimator.encoder
    if enc is None:
        return None
    name = type(estimator).__name__
    if not isinstance(enc, RegionEncoder):
        raise ValueError(
            f"{name}(encoder=...) takes a RegionEncoder (from "
            f"pretrain_region_encoder) or None, got {type(enc).__name__}."
        )
    freeze = getattr(estimator, "freeze", False)
    if not isinstance(freeze, (bool, np.bool_)):
        raise ValueError(f"freeze must be True or False, got {freeze!r}.")
    if hasattr(estimator, "token_size"):
        enc.check_smt(estimator)
    if not isinstance(X, pd.DataFrame) or isinstance(X.columns, pd.RangeIndex):
        raise ValueError(
            f"{name}(encoder=...) needs X as a DataFrame with gene names as "
            "columns: the encoder is tied to its genes."
        )
    genes = _gene_frame(estimator, X)
    if not enc.__sklearn_is_fitted__():
        # inductive: pretrained on the training regions' expression only
        enc = _clone_parametrized(enc).fit(genes)
    enc.check_genes(genes.columns)
    return enc


def encoder_embeddings(estimator, X):
    """The encoder's region embeddings of ``X`` (regions x d_model)."""
    return estimator.encoder_.transform(_gene_frame(estimator, X))


def encoder_inputs(estimator, X):
    """The genes of ``X`` standardised as the encoder's input (its corpus
    statistics), for a network that runs the encoder itself."""
    enc = estimator.encoder_
    genes = _gene_frame(estimator, X)
    enc.check_genes(genes.columns)
    return (genes.to_numpy(dtype=float) - enc.gene_mean_) / enc.gene_scale_


class EncodedPairMLPModule(PairMLPModule):
    """A pair MLP that runs (and fine-tunes) a region encoder on its input.

    The network of ``PairMLPRegressor(encoder=..., freeze=False)``. Its gene
    input holds, per region, the MLP's standardised genes followed by the
    same genes standardised as the encoder's input (``encoder_n_genes``
    columns). The encoder (an SMT token encoder built from
    ``encoder_params``, initialised from the pretrained weights by
    :class:`InitFromEncoder`) maps the latter to the mean of its token
    states; standardised by ``embedding_mean``/``embedding_scale`` (training
    statistics of the pretrained encoder's embeddings), they replace those
    columns, and the rest is :class:`PairMLPModule` with ``n_genes -
    encoder_n_genes + d_model`` inputs.
    """

    def __init__(
        self,
        n_genes,
        *,
        encoder_params,
        encoder_n_genes,
        embedding_mean,
        embedding_scale,
        dropout=0.1,
        **kwargs,
    ):
        d_model = int(encoder_params["d_model"])
        super().__init__(
            int(n_genes) - int(encoder_n_genes) + d_model, dropout=dropout, **kwargs
        )
        self.encoder_n_genes = int(encoder_n_genes)
        self.region_encoder = _token_encoder(
            self.encoder_n_genes, dict(encoder_params), float(dropout)
        )
        self.register_buffer(
            "embedding_mean", torch.as_tensor(embedding_mean, dtype=torch.float32)
        )
        self.register_buffer(
            "embedding_scale", torch.as_tensor(embedding_scale, dtype=torch.float32)
        )

    def encode(self, genes, coords=None):
        n = self.encoder_n_genes
        own, enc_in = genes[:, :-n], genes[:, -n:]
        emb = _token_states(self.region_encoder, enc_in).mean(dim=1)
        emb = (emb.to(own.dtype) - self.embedding_mean) / self.embedding_scale
        return super().encode(torch.cat([own, emb.to(own.dtype)], dim=1), coords)


class InitFromEncoder(Callback):
    """skorch callback: copy the encoder's weights into the module at the
    start of training; with ``freeze`` they then get no gradient.

    ``prefix`` names the encoder inside the module: ``""`` for the SMT (its
    own token encoder), ``"region_encoder."`` for
    :class:`EncodedPairMLPModule`.
    """

    def __init__(self, encoder, freeze=False, prefix=""):
        self.encoder = encoder
        self.freeze = freeze
        self.prefix = prefix

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        module = net.module_
        own = dict(module.named_parameters())
        own.update(module.named_buffers())
        with torch.no_grad():
            for key, value in self.encoder.encoder_state_.items():
                dest = own.get(self.prefix + key)
                if dest is None:
                    raise ValueError(
                        f"The SMT has no weight {key!r} of the encoder; build it "
                        "with encoder.smt_params()."
                    )
                value = value.to(device=dest.device, dtype=dest.dtype)
                if key == "pos_embed" and dest.shape[0] == value.shape[0] + 1:
                    dest[1:].copy_(value)  # the [CLS] token keeps its own row
                elif dest.shape != value.shape:
                    raise ValueError(
                        f"The encoder's weight {key!r} has shape "
                        f"{tuple(value.shape)}, the SMT's {tuple(dest.shape)}; "
                        "build the SMT with encoder.smt_params()."
                    )
                else:
                    dest.copy_(value)
                if self.freeze and isinstance(dest, nn.Parameter):
                    dest.requires_grad_(False)

"""Spatiomolecular Transformer (SMT) regressor."""

import torch

from connpredict.models._param_docs import fill_param_docs
from connpredict.models._positioning import RegionPositionMixin
from connpredict.models._pretrain import InitFromEncoder, resolve_encoder
from connpredict.models._torch_modules import SMTModule, flash_available
from connpredict.models._torch_train import (
    NeuralConnectomeRegressor,
    _autocast,
    resolve_device,
)
from connpredict.utils._checks import check_choice, check_float, check_int
from connpredict.utils._contract import COORD_COLUMNS

_POSITIONAL = ("alibi", "learned", "none")
_POOLING = ("mean", "attention", "cls", "flatten")
_BACKENDS = ("auto", "sdpa", "manual", "flash")


@fill_param_docs
class SMTRegressor(RegionPositionMixin, NeuralConnectomeRegressor):
    """Spatiomolecular Transformer: attention over gene tokens, pairs decoded.

    Each region's gene vector, in the column order of ``X`` (genomic order
    when the loader provides it), is standardised with training statistics
    and cut into tokens of ``token_size`` consecutive genes (the last token
    is zero-padded, i.e. padded with the training mean). A linear layer
    embeds each token into ``d_model`` features; ``n_layers`` pre-LayerNorm
    transformer blocks (``x + Attn(LN(x))``, ``x + FFN(LN(x))``, final
    LayerNorm) mix the tokens, with ALiBi attention biases
    (``-slope_h * |i - j|`` between token positions, the research's
    positional scheme) or learned position embeddings. The optional [CLS]
    token is ``Linear(3, d_model)`` of the region's standardised coordinates,
    prepended to the sequence. Token states are pooled into a region
    embedding and a symmetric head ``g([e_i + e_j, e_i * e_j, |e_i - e_j|])``
    decodes each pair, so ``f(i, j) == f(j, i)``.

    Each region is encoded once per batch (batches gather the distinct
    regions of their pairs); prediction encodes every region once and
    decodes all pairs in chunks. Training and early stopping work as in
    :class:`PairMLPRegressor`.

    Parameters
    ----------
    token_size : int, default=20
        Consecutive genes per token.
    d_model : int, default=64
        Token embedding width.
    n_heads : int, default=4
        Attention heads (``d_model`` must be a multiple).
    n_layers : int, default=2
        Transformer blocks.
    positional : {"alibi", "learned", "none"}, default="alibi"
        Position information: ALiBi biases (geometric slopes of Press et al.),
        learned absolute embeddings, or none.
    cls : {None, "coords"}, default=None
        ``"coords"`` prepends a [CLS] token made from the region coordinates
        (the research's best random-split model). Under ALiBi it is position 0.
    pooling : {"flatten", "mean", "attention", "cls"}, default="flatten"
        Region embedding: the research's per-token projection to
        ``flatten_dim`` features, concatenated (keeps which genes each
        feature comes from; best in spatial cross-validation on
        ``hcp-schaefer100``), the mean of the token states, an
        attention-weighted sum, or the [CLS] state (needs ``cls="coords"``).
    flatten_dim : int, default=4
        Per-token width for ``pooling="flatten"`` (the research used 10).
    head : {"symmetric", "concat"}, default="symmetric"
        Pair decoder. ``"symmetric"``: an MLP on
        ``[e_i + e_j, e_i * e_j, |e_i - e_j|]`` (LayerNorm-ed embeddings,
        GELU). ``"concat"``: the research decoder, an MLP on ``[e_i, e_j]``
        with Linear -> ReLU -> BatchNorm -> Dropout blocks, averaged over
        both orders. Both are symmetric.
    head_dims : tuple of int, default=(64,)
        Hidden sizes of the pair head.
    symmetric : bool, default=True
        ``head="concat"`` only: average the decoder over both orders
        ``(i, j)`` and ``(j, i)`` (True), or decode ``[e_i, e_j]`` once as the
        research did (False; training then uses both orders of every pair
        and :meth:`predict` averages the two orders of a square block).
    layer_norm : {"pre", "post"}, default="pre"
        Block style: pre-LayerNorm (``x + Attn(LN(x))``, ``x + FFN(LN(x))``,
        a final LayerNorm) or post-LayerNorm (``LN(x + Attn(x))``,
        ``LN(h + FFN(h))``, the research SMT).
    ffn_activation : {"gelu", "relu"}, default="gelu"
        Activation of the feed-forward network (the research used ReLU).
    ffn_mult : int, default=2
        Width of the feed-forward network in multiples of ``d_model`` (the
        research used 4).
    attn_out_proj : bool, default=True
        Attention output projection ``W_O``; False concatenates the heads
        (the research SMT has none).
    alibi_slopes : tuple of float or None, default=None
        ALiBi slope of each head; None uses the geometric slopes of Press et
        al. The published SMT runs used ``(1, 1, 0.5, 0.5)``.
    embedding_dropout : float or None, default=None
        Dropout on the region embedding (None: ``dropout``; the research
        used none, 0).
    clamp : tuple of float or None, default=None
        Clamp predictions to ``(low, high)`` (in target units; the research
        SMT clamps to ``(-1, 1)``), in training too.
    use_distance : bool or "auto", default="auto"
        Give the pair decoder the Euclidean distance between the regions.
        ``"auto"``: when ``X`` has the coordinate columns.
    attention_backend : {"auto", "sdpa", "manual", "flash"}, default="auto"
        ``"sdpa"``: :func:`torch.nn.functional.scaled_dot_product_attention`
        with the ALiBi bias as ``attn_mask`` (on the CPU without attention
        dropout, its arithmetic written out as three products, which skips
        the passes SDPA spends on fully masked rows: 15 % cheaper).
        ``"flash"``: flash-attn's
        ``flash_attn_qkvpacked_func`` with ``alibi_slopes`` (CUDA, bf16; needs
        the ``[flash]`` extra). ``"manual"``: explicit softmax (reference).
        ``"auto"``: flash when the device is CUDA and flash-attn imports,
        else sdpa. All use the same weights.
    {max_iter}
    {lr}
    {batch_size}
    {weight_decay}
    dropout : float, default=0.2
        Dropout on residual branches, the region embedding and the head.
    {input_dropout}
    {standardize}
    lr_schedule : dict or None, default=None
        Keyword arguments of :class:`torch.optim.lr_scheduler.ReduceLROnPlateau`
        (e.g. ``{"factor": 0.3, "patience": 30}``), stepped on the loss of
        the inner validation split after each epoch (never on test
        regions), or on the training loss when there is no inner split
        (``n_iter_no_change=None``); None keeps the learning rate fixed.
    {validation_cv}
    {n_iter_no_change}
    {restore_best}
    {n_ensemble}
    sampler : {"block", "random"}, default="block"
        Batch composition (see :class:`PairMLPRegressor`).
    {strong_edge_swap}
    {strong_edge_threshold}
    {dropout_masks}
    {callbacks}
    device : str, default="cpu"
        Torch device (``"auto"``: CUDA when available, else the CPU); on
        CUDA the forward pass uses bfloat16 autocast.
    {verbose}
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, batch order, dropout and the inner split.
    {coord_columns}
    {region_position}
    {gradients}
    {n_gradients}
    encoder : RegionEncoder or None, default=None
        A self-supervised encoder (:func:`pretrain_region_encoder`) whose
        token embedding, transformer blocks and final LayerNorm initialise
        every ensemble member's (the rest is initialised as usual). Its token
        layout must match this SMT's (:meth:`RegionEncoder.smt_params`) and
        its genes the gene columns of ``X``, in order. A fitted encoder is
        used as is (and kept as is by ``clone``); an unfitted one is
        pretrained inside ``fit`` on the training regions only (inductive).
        None (default) trains from scratch.
    {freeze}

    Attributes
    ----------
    nets_ : list of skorch.NeuralNet
        The trained nets, one per ensemble member.
    net_ : skorch.NeuralNet
        The first trained net (``nets_[0]``); ``net_.module_`` is its torch
        module.
    history_ : skorch.History
        Per-epoch training and validation losses of ``net_``.
    use_distance_ : bool
        Whether the decoder received the pair distance (``use_distance``
        resolved).
    train_indices_, validation_indices_ : ndarray of int
        Positions of the regions used for fitting and for early stopping.
    n_features_in_ : int
        Number of columns of ``X`` in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of ``X`` in ``fit``.
    position_dims_ : tuple of int
        Widths of the blocks of the region position: ``(3,)`` for
        coordinates, ``(n_gradients,)`` for gradients, ``(3, n_gradients)``
        for both.
    gradient_model_ : DiffusionMap or None
        With ``gradients="expression"``: the diffusion map fitted on the
        training regions' expression similarity (its ``embedding_`` are their
        gradients); else None.
    encoder_ : RegionEncoder or None
        The fitted encoder used (``encoder``, or its clone pretrained in
        ``fit``), or None.

    See Also
    --------
    PairMLPRegressor : MLP region encoder with the same pair head.

    Notes
    -----
    Persistence: the estimator pickles (``pickle``/``joblib``) and saves
    without pickle with :func:`connpredict.pretrained.save_estimator` (with
    an encoder and gradient positions too). A model
    trained on a GPU unpickles on a CPU-only machine: skorch maps the weights
    to the CPU (with a warning) and prediction runs there, the flash-attn
    attention falling back to scaled_dot_product_attention. To move just the
    weights, use :meth:`save_weights` and, on an estimator with the same
    parameters, :meth:`load_weights` (weights are mapped onto its
    ``device``).

    Differences of the defaults from the research SMT: pre-LayerNorm blocks
    with an output projection, GELU feed-forward of width ``2 * d_model``,
    the pair distance in the decoder, a symmetric decoder, standardised
    inputs and targets, early stopping on training regions only, and the
    best epoch restored. ``SMTRegressor(**RESEARCH_PARAMS["smt"])`` (see
    :data:`connpredict.models.RESEARCH_PARAMS`) is the published model and
    training, with early stopping and the learning-rate schedule on an inner
    validation split instead of the test fold.

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.models import SMTRegressor
    >>> ds = make_synthetic_connectome(n_regions=20, n_genes=30, random_state=0)
    >>> model = SMTRegressor(token_size=10, d_model=16, max_iter=2,
    ...                      random_state=0).fit(ds.X, ds.Y)
    >>> model.predict(ds.X).shape
    (20, 20)
    >>> model.attention_maps(ds.X.iloc[:2]).shape
    (2, 4, 3, 3)
    """

    _module_class = SMTModule

    def __init__(
        self,
        token_size=20,
        *,
        d_model=64,
        n_heads=4,
        n_layers=2,
        positional="alibi",
        cls=None,
        pooling="flatten",
        flatten_dim=4,
        head="symmetric",
        head_dims=(64,),
        symmetric=True,
        layer_norm="pre",
        ffn_activation="gelu",
        ffn_mult=2,
        attn_out_proj=True,
        alibi_slopes=None,
        embedding_dropout=None,
        clamp=None,
        use_distance="auto",
        attention_backend="auto",
        max_iter=60,
        lr=1e-3,
        batch_size=1024,
        weight_decay=1e-2,
        dropout=0.2,
        input_dropout=0.0,
        standardize=True,
        lr_schedule=None,
        validation_cv=0.2,
        n_iter_no_change=5,
        restore_best=True,
        n_ensemble=5,
        sampler="block",
        strong_edge_swap=0.0,
        strong_edge_threshold=0.3,
        dropout_masks="region",
        callbacks=None,
        device="cpu",
        verbose=0,
        random_state=None,
        coord_columns=COORD_COLUMNS,
        region_position="xyz",
        gradients="lemon-fc",
        n_gradients=3,
        encoder=None,
        freeze=False,
    ):
        self.token_size = token_size
        self.d_model = d_model
        self.n_heads = n_heads
        self.n_layers = n_layers
        self.positional = positional
        self.cls = cls
        self.pooling = pooling
        self.flatten_dim = flatten_dim
        self.head = head
        self.head_dims = head_dims
        self.symmetric = symmetric
        self.layer_norm = layer_norm
        self.ffn_activation = ffn_activation
        self.ffn_mult = ffn_mult
        self.attn_out_proj = attn_out_proj
        self.alibi_slopes = alibi_slopes
        self.embedding_dropout = embedding_dropout
        self.clamp = clamp
        self.use_distance = use_distance
        self.attention_backend = attention_backend
        self.max_iter = max_iter
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.standardize = standardize
        self.lr_schedule = lr_schedule
        self.validation_cv = validation_cv
        self.n_iter_no_change = n_iter_no_change
        self.restore_best = restore_best
        self.n_ensemble = n_ensemble
        self.sampler = sampler
        self.strong_edge_swap = strong_edge_swap
        self.strong_edge_threshold = strong_edge_threshold
        self.dropout_masks = dropout_masks
        self.callbacks = callbacks
        self.device = device
        self.verbose = verbose
        self.random_state = random_state
        self.coord_columns = coord_columns
        self.region_position = region_position
        self.gradients = gradients
        self.n_gradients = n_gradients
        self.encoder = encoder
        self.freeze = freeze

    def _uses_coords(self):
        return bool(self.cls == "coords" or self.use_distance_)

    def _check_params(self):
        super()._check_params()
        check_choice(self.head, "head", ("symmetric", "concat"))
        for name in ("token_size", "ffn_mult"):
            check_int(getattr(self, name), name, low=1)
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model ({self.d_model}) must be a multiple of n_heads "
                f"({self.n_heads})."
            )
        for name, allowed in (
            ("positional", _POSITIONAL),
            ("pooling", _POOLING),
            ("attention_backend", _BACKENDS),
            ("layer_norm", ("pre", "post")),
            ("ffn_activation", ("gelu", "relu")),
            ("cls", (None, "coords")),
        ):
            check_choice(getattr(self, name), name, allowed)
        if self.alibi_slopes is not None and (
            len(self.alibi_slopes) != self.n_heads
            or not all(float(v) > 0 for v in self.alibi_slopes)
        ):
            raise ValueError(
                f"alibi_slopes must be None or {self.n_heads} positive numbers "
                f"(one per head), got {self.alibi_slopes!r}."
            )
        check_float(
            self.embedding_dropout,
            "embedding_dropout",
            low=0,
            high=1,
            high_open=True,
            none_ok=True,
        )
        if self.pooling == "cls" and self.cls != "coords":
            raise ValueError("pooling='cls' needs cls='coords'.")
        if self.attention_backend == "flash" and not flash_available(
            resolve_device(self.device)
        ):
            raise ValueError(
                "attention_backend='flash' needs a CUDA device and the flash-attn "
                "package (pip install 'connpredict[flash]'); use 'auto' to fall "
                "back to scaled_dot_product_attention."
            )

    def _fit(self, X, Y_block):
        # the encoder is resolved (and checked) before any training; with
        # encoder=None nothing else changes, so default fits are unchanged
        self.encoder_ = resolve_encoder(self, X)
        return super()._fit(X, Y_block)

    def _callbacks(self, has_valid, progress=None):
        cbs = super()._callbacks(has_valid, progress)
        if getattr(self, "encoder_", None) is not None:
            cbs.insert(0, ("encoder_init", InitFromEncoder(self.encoder_, self.freeze)))
        return cbs

    def _resolved_backend(self):
        if self.attention_backend == "auto":
            return "flash" if flash_available(resolve_device(self.device)) else "sdpa"
        return self.attention_backend

    def _module_kwargs(self, n_genes):
        return {
            "n_genes": int(n_genes),
            "token_size": int(self.token_size),
            "d_model": int(self.d_model),
            "n_heads": int(self.n_heads),
            "n_layers": int(self.n_layers),
            "dropout": float(self.dropout),
            "input_dropout": float(self.input_dropout),
            "positional": self.positional,
            "cls": self.cls,
            "pooling": self.pooling,
            "flatten_dim": int(self.flatten_dim),
            "head": self.head,
            "head_dims": tuple(int(h) for h in self.head_dims),
            "use_distance": bool(self.use_distance_),
            "attention_backend": self._resolved_backend(),
            "symmetric": bool(self.symmetric),
            "layer_norm": self.layer_norm,
            "ffn_activation": self.ffn_activation,
            "ffn_mult": int(self.ffn_mult),
            "attn_out_proj": bool(self.attn_out_proj),
            "alibi_slopes": None
            if self.alibi_slopes is None
            else tuple(float(v) for v in self.alibi_slopes),
            "embedding_dropout": None
            if self.embedding_dropout is None
            else float(self.embedding_dropout),
            "clamp": self._clamp_standardized(),
            **self._position_module_kwargs(),
        }

    def attention_maps(self, X, layer=-1):
        """Per-head attention maps of each region's token sequence.

        Computed with the explicit-softmax reference attention (ALiBi bias
        included), whatever ``attention_backend`` is, for the first ensemble
        member (``net_``).

        Parameters
        ----------
        X : DataFrame of shape (n_regions, n_features)
            Regions, with the same columns as in ``fit``.
        layer : int, default=-1
            Which transformer block (Python indexing).

        Returns
        -------
        maps : ndarray of shape (n_regions, n_heads, n_tokens, n_tokens)
            Row-stochastic attention weights; ``n_tokens`` counts the [CLS]
            token (first) when ``cls="coords"``.
        """
        X = self._validate_predict_X(X)
        module = self.net_.module_
        module.eval()
        device = self.net_.device
        g, c = self._tensors(X)
        out = []
        with torch.no_grad():
            for start in range(0, g.shape[0], 64):
                sl = slice(start, start + 64)
                gb = g[sl].to(device)
                cb = None if c is None else c[sl].to(device)
                with _autocast(device):
                    _, maps = module.encode_tokens(gb, cb, need_weights=True)
                out.append(maps[layer].float().cpu())
        return torch.cat(out, dim=0).numpy()

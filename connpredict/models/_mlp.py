"""Pair MLP regressor: region pairs decoded symmetrically from region features."""

import numpy as np
import torch

from connpredict.models._param_docs import fill_param_docs
from connpredict.models._positioning import RegionPositionMixin
from connpredict.models._pretrain import (
    EncodedPairMLPModule,
    InitFromEncoder,
    encoder_embeddings,
    encoder_inputs,
    resolve_encoder,
)
from connpredict.models._torch_modules import PairMLPModule
from connpredict.models._torch_train import NeuralConnectomeRegressor
from connpredict.utils._checks import check_choice
from connpredict.utils._contract import COORD_COLUMNS


class _ModuleClass:
    """The torch module class of a PairMLPRegressor: :class:`PairMLPModule`,
    or :class:`EncodedPairMLPModule` on an estimator whose fit fine-tunes an
    encoder (read on the class, it is the plain module)."""

    def __get__(self, obj, objtype=None):
        if obj is not None and obj._fine_tunes():
            return EncodedPairMLPModule
        return PairMLPModule


@fill_param_docs
class PairMLPRegressor(RegionPositionMixin, NeuralConnectomeRegressor):
    """Multi-layer perceptron on region pairs, symmetric by construction.

    ``architecture="concat"`` (default) is the research MLP made symmetric
    and efficient: an MLP on the concatenated standardised feature vectors of
    the two regions (Linear -> ReLU -> BatchNorm -> Dropout blocks), averaged
    over both orders, with the pair distance added to the first layer when
    ``use_distance``. Its first layer ``W [x_i, x_j] = W_a x_i + W_b x_j`` is
    computed once per region, so no pair x genes matrix is formed.
    ``architecture="shared"`` encodes each region (genes, and coordinates
    with ``use_coords``) with an MLP into an embedding and decodes pairs with
    a symmetric head (``head``). Either way ``f(i, j) == f(j, i)``.

    Training minimises the mean squared error of standardised targets with
    AdamW, through a skorch ``NeuralNet`` built in ``fit`` (``net_``). Early
    stopping monitors pairs among an inner validation split of the training
    regions (never the test regions) and restores the best epoch.

    Parameters
    ----------
    architecture : {"concat", "shared", "lowrank"}, default="concat"
        Network type (see above). ``"concat"`` scored best in spatial
        cross-validation on ``hcp-schaefer100`` (see the benchmarks);
        ``"shared"`` is smaller and faster and its region embeddings
        (:meth:`transform`) have ``embedding_dim`` features. ``"lowrank"``
        is the research's low-rank bilinear model
        ``y_ij = (W x_i)^T (W x_j)`` with ``W`` of shape
        ``(embedding_dim, n_inputs)``, no bias, trained by gradient descent.
    hidden_dims : tuple of int, default=(512, 256, 128)
        Hidden sizes of the pair MLP (``"concat"``; the research's best
        sizes) or of the region encoder (``"shared"``, e.g. ``(256,)``).
    embedding_dim : int, default=32
        Size of the region embedding (``"shared"``), or the rank of ``W``
        (``"lowrank"``).
    head : {"symmetric", "concat"}, default="symmetric"
        Pair decoder of ``architecture="shared"``. ``"symmetric"``: an MLP on
        ``[e_i + e_j, e_i * e_j, |e_i - e_j|]`` (LayerNorm-ed embeddings,
        GELU). ``"concat"``: the research decoder, an MLP on ``[e_i, e_j]``
        with Linear -> ReLU -> BatchNorm -> Dropout blocks, averaged over
        both orders. Both are symmetric.
    head_dims : tuple of int, default=(64,)
        Hidden sizes of the pair head (``"shared"`` only).
    symmetric : bool, default=True
        ``architecture="concat"`` (or ``head="concat"``): average the MLP over
        both orders ``(i, j)`` and ``(j, i)`` (True), or apply it to
        ``[x_i, x_j]`` once as the research did (False; training then uses
        both orders of every pair and :meth:`predict` averages the two
        orders of a square block).
    use_coords : bool, default=False
        Append the region's coordinates (columns ``x, y, z``, standardised
        with training statistics) to its input.
    use_distance : bool or "auto", default="auto"
        Give the pair decoder the Euclidean distance between the two regions
        (coordinates standardised with one isotropic training scale).
        ``"auto"``: when ``X`` has the coordinate columns. Distance is the
        strongest single predictor of functional connectivity, so this
        matters on spatial splits.
    {max_iter}
    {lr}
    {batch_size}
    {weight_decay}
    dropout : float, default=0.2
        Dropout rate of every hidden layer.
    {input_dropout}
    clamp : tuple of float or None, default=None
        Clamp predictions to ``(low, high)`` (target units), in training too.
    norm_penalty : float, default=0.0
        Adds ``norm_penalty * ||theta||_2`` (the unsquared Euclidean norm of
        all weights, the research's ``BilinearLoss``) to the training loss.
    {standardize}
    lr_schedule : dict or None, default=None
        Keyword arguments of :class:`torch.optim.lr_scheduler.ReduceLROnPlateau`
        (e.g. ``{"factor": 0.3, "patience": 20}``), stepped on the loss of
        the inner validation split after each epoch (never on test
        regions), or on the training loss when there is no inner split
        (``n_iter_no_change=None``); None keeps the learning rate fixed.
    {validation_cv}
    {n_iter_no_change}
    {restore_best}
    {n_ensemble}
    sampler : {"block", "random"}, default="block"
        ``"block"`` batches hold all pairs between two random groups of
        regions (few distinct regions per batch, so fast); ``"random"``
        batches are uniformly shuffled pairs.
    {strong_edge_swap}
    {strong_edge_threshold}
    {dropout_masks}
    {callbacks}
    device : str, default="cpu"
        Torch device, e.g. ``"cuda"``; ``"auto"`` uses CUDA when available,
        else the CPU. On CUDA the forward pass runs under
        bfloat16 autocast.
    {verbose}
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch order, dropout and the inner
        split (within ``fit`` only; global random states are left as they
        were).
    {coord_columns}
    {region_position}
    {gradients}
    {n_gradients}
    encoder : RegionEncoder or None, default=None
        A self-supervised encoder (:func:`pretrain_region_encoder`): its
        region embeddings (the mean of its token states, as
        :meth:`RegionEncoder.transform`; standardised with the training
        regions' statistics) are appended to each region's standardised
        genes. Its genes must be the gene columns of ``X``, in order. A
        fitted encoder is used as is (and kept as is by ``clone``); an
        unfitted one is pretrained inside ``fit`` on the training regions
        only (inductive). None (default): genes only.
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
        Positions (in the training ``X``) of the regions used for fitting and
        for early stopping.
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
        ``fit``), or None. Fine-tuned weights live in the network
        (``net_.module_.region_encoder``), not here.

    See Also
    --------
    SMTRegressor : Transformer encoder over gene tokens.

    Notes
    -----
    Persistence: the estimator pickles (``pickle``/``joblib``); a model
    trained on a GPU unpickles on a CPU-only machine (skorch maps the
    weights to the CPU). :func:`connpredict.pretrained.save_estimator`
    writes it without pickle (with an encoder and gradient positions too).
    :meth:`save_weights` / :meth:`load_weights` store and restore just the
    weights and preprocessing statistics (not with an encoder).

    ``PairMLPRegressor(**RESEARCH_PARAMS["mlp"])`` is the research MLP and
    ``PairMLPRegressor(**RESEARCH_PARAMS["bilinear_lowrank"])`` the research
    low-rank bilinear model, each with its published training (see
    :data:`connpredict.models.RESEARCH_PARAMS`).

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.models import PairMLPRegressor
    >>> ds = make_synthetic_connectome(n_regions=20, n_genes=10, random_state=0)
    >>> model = PairMLPRegressor(max_iter=3, random_state=0).fit(ds.X, ds.Y)
    >>> model.predict(ds.X).shape
    (20, 20)
    """

    _module_class = _ModuleClass()

    def __init__(
        self,
        architecture="concat",
        *,
        hidden_dims=(512, 256, 128),
        embedding_dim=32,
        head="symmetric",
        head_dims=(64,),
        symmetric=True,
        use_coords=False,
        use_distance="auto",
        max_iter=60,
        lr=1e-3,
        batch_size=1024,
        weight_decay=1e-2,
        dropout=0.2,
        input_dropout=0.0,
        clamp=None,
        norm_penalty=0.0,
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
        self.architecture = architecture
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.head = head
        self.head_dims = head_dims
        self.symmetric = symmetric
        self.use_coords = use_coords
        self.use_distance = use_distance
        self.max_iter = max_iter
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.clamp = clamp
        self.norm_penalty = norm_penalty
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

    def _fine_tunes(self):
        """Whether the network runs and trains the encoder (``freeze=False``)."""
        return getattr(self, "encoder_", None) is not None and not getattr(
            self, "freeze", False
        )

    def _uses_coords(self):
        return bool(self.use_coords or self.use_distance_)

    def _check_params(self):
        super()._check_params()
        check_choice(self.head, "head", ("symmetric", "concat"))
        check_choice(self.architecture, "architecture", ("shared", "concat", "lowrank"))
        if self.architecture == "lowrank" and self.use_distance is True:
            raise ValueError(
                "architecture='lowrank' takes no pair distance; set "
                "use_distance=False (or 'auto', which is off for it)."
            )

    def _fit(self, X, Y_block):
        # with encoder=None nothing changes, so default fits are unchanged
        self.encoder_ = resolve_encoder(self, X)
        return super()._fit(X, Y_block)

    def _fit_scalers(self, X):
        super()._fit_scalers(X)
        if getattr(self, "encoder_", None) is not None:
            emb = encoder_embeddings(self, X)
            self.embedding_mean_ = emb.mean(axis=0)
            sd = emb.std(axis=0)
            self.embedding_scale_ = np.where(sd > 1e-8, sd, 1.0)

    def _tensors(self, X):
        g, c = super()._tensors(X)
        if self._fine_tunes():
            # the network embeds the regions itself: give it the encoder's input
            z = encoder_inputs(self, X)
            g = torch.cat([g, torch.as_tensor(z, dtype=torch.float32)], dim=1)
        elif getattr(self, "encoder_", None) is not None:
            emb = (encoder_embeddings(self, X) - self.embedding_mean_) / (
                self.embedding_scale_
            )
            g = torch.cat([g, torch.as_tensor(emb, dtype=torch.float32)], dim=1)
        return g, c

    def _callbacks(self, has_valid, progress=None):
        cbs = super()._callbacks(has_valid, progress)
        if self._fine_tunes():
            init = InitFromEncoder(self.encoder_, prefix="region_encoder.")
            cbs.insert(0, ("encoder_init", init))
        return cbs

    def save_weights(self, f):
        """Save the trained weights and preprocessing statistics to ``f``.

        Not for a model with an encoder (its embeddings need the encoder):
        save that one with :func:`connpredict.pretrained.save_estimator`.

        Parameters
        ----------
        f : str, path-like or file object
            Where to write.
        """
        if getattr(self, "encoder_", None) is not None:
            raise ValueError(
                "save_weights stores the network and its input statistics, "
                "but this PairMLPRegressor also needs its region encoder to "
                "embed regions. Persist it with "
                "connpredict.pretrained.save_estimator (or pickle/joblib)."
            )
        super().save_weights(f)

    def _resolve_distance(self, X):
        if self.architecture == "lowrank" and self.use_distance == "auto":
            self.use_distance_ = False
            return
        super()._resolve_distance(X)

    def _module_kwargs(self, n_genes):
        return {
            "n_genes": int(n_genes),
            "architecture": self.architecture,
            "hidden_dims": tuple(int(h) for h in self.hidden_dims),
            "embedding_dim": int(self.embedding_dim),
            "head": self.head,
            "head_dims": tuple(int(h) for h in self.head_dims),
            "dropout": float(self.dropout),
            "input_dropout": float(self.input_dropout),
            "use_coords": bool(self.use_coords),
            "use_distance": bool(self.use_distance_),
            "symmetric": bool(self.symmetric),
            "clamp": self._clamp_standardized(),
            **self._position_module_kwargs(),
            **self._encoder_module_kwargs(),
        }

    def _encoder_module_kwargs(self):
        """Module arguments of the fine-tuned encoder (none without one)."""
        if not self._fine_tunes():
            return {}
        enc = self.encoder_
        return {
            "encoder_params": enc.smt_params(),
            "encoder_n_genes": int(enc.n_genes_),
            "embedding_mean": tuple(float(v) for v in self.embedding_mean_),
            "embedding_scale": tuple(float(v) for v in self.embedding_scale_),
        }

"""Training and prediction machinery shared by the neural regressors (private).

:class:`NeuralConnectomeRegressor` turns the training regions into a
:class:`~connpredict.models._torch_data.PairDataset`, builds a skorch
``NeuralNet`` around a module of :mod:`connpredict.models._torch_modules`
(composition: the estimator is not a skorch net, it holds one in ``net_``),
and predicts by encoding every region once and decoding pairs in chunks.
"""

import copy
import logging
import math
import threading

import numpy as np
import pandas as pd
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import TransformerTags, check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping
from skorch.helper import predefined_split

from connpredict.models._base import BaseConnectomeRegressor
from connpredict.models._torch_data import (
    PairBatch,
    PairDataset,
    PairLoader,
    StrongEdgeSwap,
)
from connpredict.utils import import_optional
from connpredict.utils._checks import check_bool, check_choice, check_float, check_int
from connpredict.utils._contract import pair_indices
from connpredict.utils._memory import frozen_heap
from connpredict.utils._stats import draw_seed
from connpredict.utils._threads import limit_threads

logger = logging.getLogger("connpredict.models")

# pairs decoded per chunk at prediction time, regions encoded per chunk
_PREDICT_PAIRS = 1 << 16
_ENCODE_REGIONS = 256


def resolve_device(device):
    """The torch device a ``device`` parameter names: ``"auto"`` is CUDA when
    available, else the CPU; anything else is returned unchanged."""
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _fused_optimizer(device):
    """Whether AdamW runs fused on ``device`` (CPU and CUDA; torch >= 2.4)."""
    return torch.device(device).type in ("cpu", "cuda")


def _autocast(device):
    """bf16 autocast on CUDA, a no-op context elsewhere."""
    dev = torch.device(device)
    if dev.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


# torch's default generator (weight initialisation, dropout) is process-wide
# and dropout takes no generator argument: fits running in threads of one
# process (joblib's threading backend, in-process Dask workers) would draw
# from it in an interleaved order. Seeded training holds this lock, so such
# fits run one at a time and each reproduces its serial result exactly.
_GLOBAL_RNG_LOCK = threading.RLock()


def _fork_rng(device):
    dev = torch.device(device)
    devices = []
    if dev.type == "cuda" and torch.cuda.is_available():
        devices = [dev.index if dev.index is not None else torch.cuda.current_device()]
    return torch.random.fork_rng(devices=devices)


class _TrainingInterrupted(BaseException):
    """Carries a KeyboardInterrupt past skorch, which swallows it."""


class _PairNet(NeuralNet):
    """skorch net whose batches are :class:`PairBatch` objects.

    It moves a batch to the device, runs the module under bf16 autocast on
    CUDA and returns float32 predictions (so the loss is computed in float32).
    A KeyboardInterrupt (Ctrl-C) during training is not swallowed, as
    skorch's ``partial_fit`` would: it stops the fit.
    """

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        # skorch's partial_fit catches KeyboardInterrupt and returns a partly
        # trained net; pass the interrupt through as another exception type
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt as exc:
            # skorch's EarlyStopping stops training by raising KeyboardInterrupt
            stopped = [
                getattr(cb, "requested_stop_", False) for _, cb in self.callbacks_
            ]
            if any(stopped):
                raise
            raise _TrainingInterrupted() from exc

    def infer(self, x, **fit_params):
        if isinstance(x, PairBatch):
            x = x.to(self.device)
            with _autocast(self.device):
                out = self.module_(x.genes, x.coords, x.left, x.right, **fit_params)
            return out.float()
        return super().infer(x, **fit_params)

    def __init__(self, *args, norm_penalty=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.norm_penalty = norm_penalty

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = y_true.to(device=y_pred.device, dtype=y_pred.dtype)
        loss = self.criterion_(y_pred, y_true)
        if self.norm_penalty:
            # the research's BilinearLoss: + lambda * ||theta||_2 (unsquared)
            params = [p.reshape(-1) for p in self.module_.parameters()]
            loss = loss + self.norm_penalty * torch.linalg.vector_norm(
                torch.cat(params)
            )
        return loss


class _EarlyStopping(EarlyStopping):
    """skorch's EarlyStopping, flagging the KeyboardInterrupt it raises to stop."""

    def on_train_begin(self, net, **kwargs):
        self.requested_stop_ = False
        return super().on_train_begin(net, **kwargs)

    def on_epoch_end(self, net, **kwargs):
        try:
            return super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:
            self.requested_stop_ = True
            raise


def _noop_sink(*args, **kwargs):
    """Discard skorch callback messages."""


def _divergence_message(estimator, what):
    return (
        f"{type(estimator).__name__} training diverged: {what}. The learning "
        f"rate lr={estimator.lr!r} is probably too large: refit with a smaller "
        "lr (the default is 1e-3), or a smaller batch_size / stronger "
        "weight_decay; also check that X holds no extreme values."
    )


class _CheckFinite(Callback):
    """Stop training with a clear error as soon as a loss is NaN or infinite."""

    def __init__(self, estimator):
        self.estimator = estimator

    def on_epoch_end(self, net, **kwargs):
        epoch = net.history[-1]
        for key in ("train_loss", "valid_loss"):
            value = epoch.get(key)
            if value is not None and not math.isfinite(value):
                raise ValueError(
                    _divergence_message(
                        self.estimator,
                        f"the {key.replace('_', ' ')} is {value} at epoch "
                        f"{epoch['epoch']}",
                    )
                )


class _Progress(Callback):
    """One progress bar over all epochs of all ensemble members.

    skorch's own epoch table and progress bar are turned off when this is
    used, so the display is one line: members done, epochs, current losses.
    """

    def __init__(self, bar, member, n_members, max_epochs):
        self.bar = bar
        self.member = member
        self.n_members = n_members
        self.max_epochs = max_epochs

    def on_epoch_end(self, net, **kwargs):
        epoch = net.history[-1]
        postfix = {"member": f"{self.member + 1}/{self.n_members}"}
        for key in ("train_loss", "valid_loss"):
            if key in epoch:
                postfix[key] = f"{epoch[key]:.4f}"
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(1)
        self.bar.refresh()

    def on_train_end(self, net, **kwargs):
        # early stopping: count the member's remaining epochs as done
        done = len(net.history)
        if done < self.max_epochs:
            self.bar.update(self.max_epochs - done)


def _check_training_options(est):
    """Check ``strong_edge_swap``, ``strong_edge_threshold``, ``dropout_masks``."""
    check_float(
        getattr(est, "strong_edge_swap", 0.0), "strong_edge_swap", low=0, high=1
    )
    check_float(
        getattr(est, "strong_edge_threshold", 0.3), "strong_edge_threshold", low=0
    )
    check_choice(
        getattr(est, "dropout_masks", "region"), "dropout_masks", ("region", "pair")
    )


def _strong_pairs(est, y):
    """Positions of the training pairs with ``|y| > strong_edge_threshold``.

    ``y`` holds the training pairs' targets in the units of ``Y`` (before any
    standardisation). Empty unless ``strong_edge_swap > 0``, which then needs
    at least one such pair.
    """
    if not getattr(est, "strong_edge_swap", 0.0):
        return np.array([], dtype=int)
    thr = float(est.strong_edge_threshold)
    strong = np.flatnonzero(np.abs(np.asarray(y, dtype=float)) > thr)
    if strong.size == 0:
        raise ValueError(
            f"strong_edge_swap={est.strong_edge_swap!r} replaces batches by "
            f"training pairs with |y| > {thr!r}, but no training pair is that "
            "strong; lower strong_edge_threshold (it is in the units of Y) or "
            "set strong_edge_swap=0."
        )
    return strong


class NeuralConnectomeRegressor(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseConnectomeRegressor
):
    """Base of the torch-backed regressors (not public).

    Subclasses set ``_module_class`` and implement ``_module_kwargs(n_genes)``
    and ``_uses_coords()``; they define every hyper-parameter in ``__init__``.
    ``transform`` returns region embeddings, so these estimators are also
    transformers: ``get_feature_names_out`` and ``set_output`` work (a
    Pipeline's ``set_output(transform="pandas")`` configures them too).
    """

    _requires_genes = True
    _module_class = None
    # the training loss (classifiers use BCEWithLogitsLoss on 0/1 targets)
    _criterion = torch.nn.MSELoss

    def _target_scaling(self, y):
        """``(mean, scale)`` standardising the training pair values."""
        if not self._standardizes():
            return 0.0, 1.0
        sd = float(y.std())
        return float(y.mean()), (sd if sd > 1e-12 else 1.0)

    # -- hooks -------------------------------------------------------------
    def _module_kwargs(self, n_genes):  # pragma: no cover - abstract
        raise NotImplementedError

    def _uses_coords(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _resolve_distance(self, X):
        """Resolve ``use_distance="auto"``: on when X has the coordinates."""
        if self.use_distance == "auto":
            _, coords = self._split(X)
            self.use_distance_ = coords is not None
        elif isinstance(self.use_distance, (bool, np.bool_)):
            self.use_distance_ = bool(self.use_distance)
        else:
            raise ValueError(
                "use_distance must be True, False or 'auto', got "
                f"{self.use_distance!r}."
            )

    def _check_params(self):
        """Check the hyper-parameters (TypeError/ValueError, see utils._checks)."""
        for name in ("max_iter", "batch_size", "n_ensemble"):
            check_int(getattr(self, name), name, low=1)
        check_float(self.lr, "lr", low=0, low_open=True)
        for name in ("dropout", "input_dropout"):
            check_float(getattr(self, name), name, low=0, high=1, high_open=True)
        check_choice(self.sampler, "sampler", ("block", "random"))
        check_int(self.n_iter_no_change, "n_iter_no_change", low=1, none_ok=True)
        schedule = getattr(self, "lr_schedule", None)
        if schedule is not None and not isinstance(schedule, dict):
            raise TypeError(
                "lr_schedule must be None or a dict of ReduceLROnPlateau "
                f"arguments, e.g. {{'factor': 0.3, 'patience': 30}}; got "
                f"{schedule!r}."
            )
        clamp = getattr(self, "clamp", None)
        if clamp is not None and not (
            len(clamp) == 2 and float(clamp[0]) < float(clamp[1])
        ):
            raise ValueError(
                f"clamp must be None or a (low, high) pair with low < high, got "
                f"{clamp!r}."
            )
        check_float(getattr(self, "norm_penalty", 0.0), "norm_penalty", low=0)
        _check_training_options(self)
        for name in ("standardize", "symmetric", "restore_best"):
            check_bool(getattr(self, name, True), name)

    def _clamp_standardized(self):
        """``clamp`` (target units) in the standardised units of the network."""
        clamp = getattr(self, "clamp", None)
        if clamp is None:
            return None
        lo, hi = (float(c) for c in clamp)
        return (
            (lo - self.y_mean_) / self.y_scale_,
            (hi - self.y_mean_) / self.y_scale_,
        )

    # -- preprocessing -----------------------------------------------------
    def _standardizes(self):
        return bool(getattr(self, "standardize", True))

    def _fit_scalers(self, X):
        genes, coords = self._split(X)
        if not self._standardizes():
            # raw inputs, as the research models take them
            self.gene_mean_ = np.zeros(genes.shape[1])
            self.gene_scale_ = np.ones(genes.shape[1])
            if self._uses_coords() and coords is not None:
                self.coord_mean_ = np.zeros(coords.shape[1])
                self.coord_scale_ = 1.0
                return
        else:
            self.gene_mean_ = genes.mean(axis=0)
            sd = genes.std(axis=0)
            self.gene_scale_ = np.where(sd > 1e-8, sd, 1.0)
        if self._uses_coords():
            if coords is None:
                raise ValueError(
                    f"{type(self).__name__} with these settings uses region "
                    "coordinates, but X lacks the columns "
                    f"{list(self._coord_columns())}. Add them, or turn the "
                    "coordinate options off."
                )
            self.coord_mean_ = coords.mean(axis=0)
            # one isotropic scale keeps distances meaningful
            scale = float(np.sqrt(((coords - self.coord_mean_) ** 2).sum(1).mean()))
            self.coord_scale_ = scale if scale > 0 else 1.0
        else:
            self.coord_mean_ = None
            self.coord_scale_ = None

    def _tensors(self, X):
        genes, coords = self._split(X)
        g = torch.as_tensor(
            (genes - self.gene_mean_) / self.gene_scale_, dtype=torch.float32
        )
        c = None
        if self.coord_mean_ is not None:
            c = torch.as_tensor(
                (coords - self.coord_mean_) / self.coord_scale_, dtype=torch.float32
            )
        return g, c

    # -- fit ---------------------------------------------------------------
    def _inner_split(self, X, Y_block, random_state):
        if self.n_iter_no_change is None:
            n = X.shape[0]
            return np.arange(n), np.array([], dtype=int)
        from connpredict.model_selection import validation_split

        Y_df = pd.DataFrame(Y_block, index=X.index, columns=X.index)
        tr, va = validation_split(
            X,
            Y_df,
            cv=self.validation_cv,
            random_state=random_state,
            coord_columns=self._coord_columns(),
        )
        return np.asarray(tr, dtype=int), np.asarray(va, dtype=int)

    def _pairs(self, idx, Y_block):
        idx = np.asarray(idx, dtype=int)
        r, c = pair_indices(len(idx))
        rows, cols = idx[r], idx[c]
        if not getattr(self, "symmetric", True):
            # an order-sensitive decoder learns both (i, j) and (j, i)
            rows, cols = np.concatenate([rows, cols]), np.concatenate([cols, rows])
        return rows, cols, Y_block[rows, cols]

    def _scheduler_callback(self, monitor="valid_loss"):
        """ReduceLROnPlateau on the inner validation loss (``lr_schedule``).

        Without an inner validation split (``n_iter_no_change=None``) it
        steps on the training loss (``monitor="train_loss"``).
        """
        schedule = getattr(self, "lr_schedule", None)
        if schedule is None:
            return None
        from skorch.callbacks import LRScheduler

        return LRScheduler(
            policy=torch.optim.lr_scheduler.ReduceLROnPlateau,
            monitor=monitor,
            **dict(schedule),
        )

    def _callbacks(self, has_valid, progress=None):
        cbs = [("check_finite", _CheckFinite(self))]
        if has_valid:
            sink = logger.info if self.verbose else _noop_sink
            cbs.append(
                (
                    "early_stopping",
                    _EarlyStopping(
                        monitor="valid_loss",
                        patience=self.n_iter_no_change,
                        load_best=bool(getattr(self, "restore_best", True)),
                        sink=sink,
                    ),
                )
            )
        scheduler = self._scheduler_callback(
            "valid_loss" if has_valid else "train_loss"
        )
        if scheduler is not None:
            cbs.append(("lr_scheduler", scheduler))
        if progress is not None:
            cbs.append(("progress", progress))
        for i, cb in enumerate(self.callbacks or []):
            if isinstance(cb, tuple):
                cbs.append((cb[0], copy.deepcopy(cb[1])))
            else:
                cbs.append((f"user_callback_{i}", copy.deepcopy(cb)))
        return cbs

    def _fit(self, X, Y_block):
        self._check_params()
        self._resolve_distance(X)
        rng = check_random_state(self.random_state)
        seed = draw_seed(rng)
        split_seed = draw_seed(rng)
        self._fit_scalers(X)
        genes, coords = self._tensors(X)
        self.n_genes_ = genes.shape[1]

        tr, va = self._inner_split(X, Y_block, split_seed)
        self.train_indices_, self.validation_indices_ = tr, va
        if len(tr) < 2:
            raise ValueError(
                "The inner training split keeps fewer than 2 regions; pass more "
                "regions or set n_iter_no_change=None."
            )
        rows, cols, y = self._pairs(tr, Y_block)
        self.y_mean_, self.y_scale_ = self._target_scaling(y)

        def _ds(r, c, t, per_pair=False):
            yt = torch.as_tensor(
                (t - self.y_mean_) / self.y_scale_, dtype=torch.float32
            )
            return PairDataset(genes, coords, r, c, yt, per_pair=per_pair)

        per_pair = getattr(self, "dropout_masks", "region") == "pair"
        train_ds = _ds(rows, cols, y, per_pair)
        self._strong_pairs = _strong_pairs(self, y)
        valid_ds = None
        if len(va) >= 2:
            valid_ds = _ds(*self._pairs(va, Y_block))

        member_seeds = [seed] + [draw_seed(rng) for _ in range(self.n_ensemble - 1)]
        nets = []
        bar = self._progress_bar()
        try:
            # the collector's full passes during training skip the objects
            # alive before it (the caller's, torch's, pandas')
            with frozen_heap():
                for member, member_seed in enumerate(member_seeds):
                    progress = None
                    if bar is not None:
                        progress = _Progress(
                            bar, member, len(member_seeds), self.max_iter
                        )
                    nets.append(
                        self._fit_net(train_ds, valid_ds, member_seed, progress)
                    )
        finally:
            if bar is not None:
                bar.close()
        self.nets_ = nets
        self.net_ = nets[0]
        self.history_ = nets[0].history
        return self

    def _edge_swap(self):
        """A fresh :class:`StrongEdgeSwap` for one net, or None."""
        prob = float(getattr(self, "strong_edge_swap", 0.0))
        if prob == 0.0:
            return None
        return StrongEdgeSwap(self._strong_pairs, prob, self.max_iter)

    def _progress_bar(self):
        """The one progress display of ``verbose`` (a tqdm bar), or None."""
        if not self.verbose:
            return None
        tqdm = import_optional("tqdm.auto", f"{type(self).__name__}(verbose=1)").tqdm

        return tqdm(
            total=self.n_ensemble * self.max_iter,
            desc=type(self).__name__,
            unit="epoch",
            leave=False,
            dynamic_ncols=True,
        )

    def _fit_net(self, train_ds, valid_ds, seed, progress=None):
        """Build and train one skorch net, seeded by ``seed``."""
        device = resolve_device(self.device)
        generator = torch.Generator().manual_seed(seed)
        net = _PairNet(
            module=self._module_class,
            criterion=self._criterion,
            optimizer=torch.optim.AdamW,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            # one fused kernel for all parameters instead of a loop of small
            # tensor operations per parameter (the same update)
            optimizer__fused=_fused_optimizer(device),
            batch_size=self.batch_size,
            max_epochs=self.max_iter,
            train_split=predefined_split(valid_ds) if valid_ds is not None else None,
            iterator_train=PairLoader,
            iterator_train__shuffle=True,
            iterator_train__sampler=self.sampler,
            iterator_train__generator=generator,
            iterator_train__swap=self._edge_swap(),
            iterator_valid=PairLoader,
            iterator_valid__batch_size=max(4096, self.batch_size),
            iterator_valid__sampler="random",
            callbacks=self._callbacks(valid_ds is not None, progress),
            device=device,
            # skorch's epoch table would interleave with the progress bar
            verbose=0,
            norm_penalty=float(getattr(self, "norm_penalty", 0.0)),
            **{
                f"module__{k}": v for k, v in self._module_kwargs(self.n_genes_).items()
            },
        )
        with _GLOBAL_RNG_LOCK, _fork_rng(device), limit_threads():
            torch.manual_seed(seed)
            try:
                net.fit(train_ds, None)
            except _TrainingInterrupted:
                raise KeyboardInterrupt from None
        if not all(torch.isfinite(p).all() for p in net.module_.parameters()):
            raise ValueError(
                _divergence_message(self, "the network weights are NaN or infinite")
            )
        # drop references to the data and the generator (small pickles)
        net.train_split = None
        net.iterator_train__generator = None
        net.iterator_train__swap = None
        net.module_.eval()
        return net

    # -- predict -----------------------------------------------------------
    @property
    def module_(self):
        """The fitted torch module (``net_.module_``)."""
        check_is_fitted(self, "net_")
        return self.net_.module_

    def _encode(self, g, c, net=None):
        net = self.net_ if net is None else net
        module = net.module_
        device = net.device
        out = []
        for start in range(0, g.shape[0], _ENCODE_REGIONS):
            sl = slice(start, start + _ENCODE_REGIONS)
            gb = g[sl].to(device)
            cb = None if c is None else c[sl].to(device)
            with _autocast(device):
                out.append(module.encode(gb, cb).float())
        return torch.cat(out, dim=0)

    def _predict_block(self, X_rows, X_cols):
        with limit_threads():
            return self._predict_block_threads(X_rows, X_cols)

    def _predict_block_threads(self, X_rows, X_cols):
        same = X_rows is X_cols
        ga, ca = self._tensors(X_rows)
        gb, cb = (ga, ca) if same else self._tensors(X_cols)
        nets = getattr(self, "nets_", None) or [self.net_]
        total = None
        for net in nets:
            block = self._predict_block_net(net, ga, ca, gb, cb, same)
            total = block if total is None else total + block
        total /= len(nets)
        block = total.numpy().astype(float) * self.y_scale_ + self.y_mean_
        if not np.all(np.isfinite(block)):
            raise ValueError(
                f"{type(self).__name__} predicts NaN or infinite connectivity for "
                f"{int(np.sum(~np.isfinite(block)))} of {block.size} pairs: the "
                "inputs are far outside the training range, or training diverged "
                f"(lr={self.lr!r}; refit with a smaller lr)."
            )
        return block

    def _predict_block_net(self, net, ga, ca, gb, cb, same):
        """Standardised predictions of one net for all (row, col) pairs."""
        module = net.module_
        device = net.device
        module.eval()
        with torch.no_grad():
            ea = self._encode(ga, ca, net)
            eb = ea if same else self._encode(gb, cb, net)
            ca = None if ca is None else ca.to(device)
            cb = None if cb is None else cb.to(device)
            nr, nc = ea.shape[0], eb.shape[0]
            out = torch.empty(nr, nc)
            rows_per_chunk = max(1, _PREDICT_PAIRS // max(nc, 1))
            col_idx = torch.arange(nc, device=ea.device)
            for start in range(0, nr, rows_per_chunk):
                stop = min(nr, start + rows_per_chunk)
                ri = torch.arange(start, stop, device=ea.device).repeat_interleave(nc)
                ci = col_idx.repeat(stop - start)
                with _autocast(device):
                    pred = module.decode(
                        ea[ri],
                        eb[ci],
                        None if ca is None else ca[ri],
                        None if cb is None else cb[ci],
                    )
                out[start:stop] = pred.float().view(stop - start, nc).cpu()
        return out

    @property
    def _n_features_out(self):
        """Size of the region embedding (for ``get_feature_names_out``)."""
        check_is_fitted(self, "net_")
        g = torch.zeros(1, self.n_genes_)
        c = None if self.coord_mean_ is None else torch.zeros(1, 3)
        self.net_.module_.eval()
        with torch.no_grad():
            return int(self._encode(g, c).shape[1])

    def transform(self, X):
        """Return the region embeddings learned by the encoder.

        With ``n_ensemble > 1`` these are the embeddings of the first member
        (``net_``); embeddings of differently initialised nets are not
        comparable, so they are not averaged.

        Parameters
        ----------
        X : DataFrame of shape (n_regions, n_features)
            Regions, with the same columns as in ``fit``.

        Returns
        -------
        embeddings : ndarray of shape (n_regions, embedding_dim)
            One row per region: what the pair decoder receives (for
            ``PairMLPRegressor(architecture="concat")``, the two halves of the
            first layer, ``[W_a x + b, W_b x]``).
        """
        X = self._validate_predict_X(X)
        self.net_.module_.eval()
        with torch.no_grad():
            g, c = self._tensors(X)
            return self._encode(g, c).cpu().numpy()

    # -- persistence ---------------------------------------------------------
    _FITTED_STATE = (
        "gene_mean_",
        "gene_scale_",
        "coord_mean_",
        "coord_scale_",
        "y_mean_",
        "y_scale_",
        "n_genes_",
        "n_features_in_",
        "use_distance_",
    )

    def save_weights(self, f):
        """Save the trained weights and preprocessing statistics to ``f``.

        The file is a plain :func:`torch.save` dictionary (tensors, numbers,
        strings), loadable with ``weights_only=True`` and on any device; use
        :meth:`load_weights` on an estimator with the same parameters.

        Parameters
        ----------
        f : str, path-like or file object
            Where to write.
        """
        check_is_fitted(self, "net_")
        state = {k: getattr(self, k) for k in self._FITTED_STATE}
        for k, v in list(state.items()):
            if isinstance(v, np.ndarray):
                state[k] = torch.as_tensor(v)
        names = getattr(self, "feature_names_in_", None)
        state["feature_names_in_"] = None if names is None else [str(n) for n in names]
        nets = getattr(self, "nets_", None) or [self.net_]
        state["module_states"] = [
            {k: v.detach().cpu() for k, v in net.module_.state_dict().items()}
            for net in nets
        ]
        state["estimator"] = type(self).__name__
        torch.save(state, f)

    def load_weights(self, f):
        """Load weights saved by :meth:`save_weights` into this estimator.

        The estimator must have the same architecture parameters as the one
        that saved them. Weights are mapped onto this estimator's ``device``,
        so a model trained on a GPU loads on a CPU-only machine
        (``device="cpu"``).

        Parameters
        ----------
        f : str, path-like or file object
            What :meth:`save_weights` wrote.

        Returns
        -------
        self : object
            The estimator, ready to ``predict`` and ``transform``.
        """
        # tensors are read onto the CPU, then copied into the modules built on
        # this estimator's device
        state = torch.load(f, map_location="cpu", weights_only=True)
        if state.get("estimator") != type(self).__name__:
            raise ValueError(
                f"These weights were saved by {state.get('estimator')}, not "
                f"{type(self).__name__}."
            )
        for k in self._FITTED_STATE:
            v = state[k]
            setattr(self, k, v.numpy() if isinstance(v, torch.Tensor) else v)
        if state["feature_names_in_"] is not None:
            self.feature_names_in_ = np.asarray(
                state["feature_names_in_"], dtype=object
            )
        nets = []
        for module_state in state["module_states"]:
            net = _PairNet(
                module=self._module_class,
                criterion=self._criterion,
                device=resolve_device(self.device),
                **{
                    f"module__{k}": v
                    for k, v in self._module_kwargs(self.n_genes_).items()
                },
            )
            net.initialize()
            net.module_.load_state_dict(module_state)
            net.module_.eval()
            nets.append(net)
        self.nets_ = nets
        self.net_ = nets[0]
        self.history_ = nets[0].history
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = (
            torch.device(resolve_device(self.device)).type == "cuda"
        )
        # ``transform`` returns region embeddings, so these are transformers too
        tags.transformer_tags = TransformerTags(preserves_dtype=[])
        return tags

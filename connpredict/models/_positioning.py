"""Region positions of the neural models: coordinates, gradients or both.

:class:`RegionPositionMixin` gives :class:`SMTRegressor` and
:class:`PairMLPRegressor` the ``region_position``, ``gradients`` and
``n_gradients`` parameters. A region's *position* is what the network
receives wherever it used the MNI coordinates (the SMT's [CLS] token,
``use_coords`` of the pair MLP, the pair distance of the decoders):

- ``"xyz"``: the coordinates (the models' original behaviour, unchanged);
- ``"gradients"``: the region's values on the top gradients of a reference
  connectome or of the training expression;
- ``"both"``: coordinates and gradients side by side; the decoders then get
  two distances, one in space and one in gradient space.

Each block is centred with training statistics and divided by one isotropic
scale (the root-mean-square distance of training regions from their centre).
"""

import numpy as np
import pandas as pd
import torch

from connpredict.models._gradients import DiffusionMap, region_gradients

_POSITIONS = ("xyz", "gradients", "both")
_SOURCES = ("lemon-fc", "lemon-fc-183", "hcp-sc", "expression")


def _isotropic(block):
    mean = block.mean(axis=0)
    scale = float(np.sqrt(((block - mean) ** 2).sum(axis=1).mean()))
    return mean, (scale if scale > 0 else 1.0)


def _pearson_rows(a, b):
    """Pearson correlation between the rows of ``a`` and those of ``b``."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a @ b.T) / np.outer(na, nb)
    return np.nan_to_num(r, nan=0.0)


class RegionPositionMixin:
    """``region_position`` / ``gradients`` / ``n_gradients`` of the neural models.

    Hooks into ``_resolve_distance`` (validation), ``_fit_scalers`` (gradients
    and position statistics, fitted on the training regions), ``_tensors``
    (positions of any regions) and ``_position_module_kwargs`` (block widths,
    merged into the subclass's ``_module_kwargs``). With
    ``region_position="xyz"`` every hook defers to the base class, so the
    original models run unchanged.
    """

    def _position_mode(self):
        return getattr(self, "region_position", "xyz")

    def _check_position_params(self):
        mode = self._position_mode()
        if mode not in _POSITIONS:
            raise ValueError(
                f"region_position must be one of {_POSITIONS}, got {mode!r}."
            )
        if mode == "xyz":
            return
        source = self.gradients
        if not isinstance(source, pd.DataFrame) and source not in _SOURCES:
            raise ValueError(
                f"gradients must be one of {_SOURCES} or a DataFrame of "
                f"per-region gradient values (index = region labels), got "
                f"{source!r}."
            )
        k = self.n_gradients
        if (
            isinstance(k, (bool, np.bool_))
            or not isinstance(k, (int, np.integer))
            or k < 1
        ):
            raise ValueError(f"n_gradients must be a positive integer, got {k!r}.")
        if isinstance(source, pd.DataFrame) and source.shape[1] < k:
            raise ValueError(
                f"The gradients DataFrame has {source.shape[1]} column(s); "
                f"n_gradients={k} needs at least that many."
            )

    def _resolve_distance(self, X):
        self._check_position_params()
        if self._position_mode() == "xyz":
            return super()._resolve_distance(X)
        if self.use_distance == "auto":
            # gradient positions always exist
            self.use_distance_ = True
        elif isinstance(self.use_distance, (bool, np.bool_)):
            self.use_distance_ = bool(self.use_distance)
        else:
            raise ValueError(
                "use_distance must be True, False or 'auto', got "
                f"{self.use_distance!r}."
            )
        if not self._uses_coords():
            raise ValueError(
                f"region_position={self._position_mode()!r} has no effect: "
                f"{type(self).__name__} with these settings uses no region "
                "position (no distance, coordinate token or coordinate input). "
                "Set use_distance=True (or 'auto'), or region_position='xyz'."
            )

    # -- gradients ---------------------------------------------------------
    def _gradient_values(self, X, genes_std=None):
        """Raw gradient values (n_regions, n_gradients) of the regions of X."""
        k = int(self.n_gradients)
        source = self.gradients
        if isinstance(source, pd.DataFrame):
            missing = [r for r in X.index if r not in source.index]
            if missing:
                raise ValueError(
                    f"The gradients DataFrame has no row for {len(missing)} "
                    f"region(s): {missing[:10]}"
                    f"{' ...' if len(missing) > 10 else ''}. Give a gradient "
                    "value for every region (index = the region labels of X)."
                )
            values = source.loc[X.index].iloc[:, :k].to_numpy(dtype=float)
            if not np.all(np.isfinite(values)):
                bad = X.index[~np.isfinite(values).all(axis=1)][:10].tolist()
                raise ValueError(f"The gradients of regions {bad} are NaN.")
            return values
        if source == "expression":
            if genes_std is None:
                genes, _ = self._split(X)
                genes_std = (genes - self.gene_mean_) / self.gene_scale_
            rows = _pearson_rows(genes_std, self._gradient_genes)
            return self.gradient_model_.transform(rows)
        return region_gradients(
            X, source, n_gradients=k, coord_columns=self._coord_columns()
        ).to_numpy()

    def _position_blocks(self, X, genes_std=None):
        mode = self._position_mode()
        blocks = []
        if mode == "both":
            _, coords = self._split(X)
            if coords is None:
                raise ValueError(
                    "region_position='both' uses the region coordinates, but X "
                    f"lacks the columns {list(self._coord_columns())}. Add them, "
                    "or use region_position='gradients'."
                )
            blocks.append(coords)
        blocks.append(self._gradient_values(X, genes_std))
        return blocks

    # -- fitted statistics and tensors -------------------------------------
    def _fit_scalers(self, X):
        if self._position_mode() == "xyz":
            self.position_dims_ = (3,)
            self.gradient_model_ = None
            return super()._fit_scalers(X)
        genes, _ = self._split(X)
        if self._standardizes():
            self.gene_mean_ = genes.mean(axis=0)
            sd = genes.std(axis=0)
            self.gene_scale_ = np.where(sd > 1e-8, sd, 1.0)
        else:
            self.gene_mean_ = np.zeros(genes.shape[1])
            self.gene_scale_ = np.ones(genes.shape[1])
        genes_std = (genes - self.gene_mean_) / self.gene_scale_
        self.gradient_model_ = None
        if isinstance(self.gradients, str) and self.gradients == "expression":
            # transcriptomic gradients: the training regions' expression only;
            # other regions are placed by the Nystrom extension in _tensors
            if len(X) < int(self.n_gradients) + 3:
                raise ValueError(
                    f"gradients='expression' with n_gradients={self.n_gradients} "
                    f"needs at least {int(self.n_gradients) + 3} training regions, "
                    f"got {len(X)}."
                )
            self._gradient_genes = genes_std
            self.gradient_model_ = DiffusionMap(int(self.n_gradients)).fit(
                _pearson_rows(genes_std, genes_std)
            )
        blocks = self._position_blocks(X, genes_std)
        means, scales = [], []
        for block in blocks:
            mean, scale = _isotropic(block)
            means.append(mean)
            scales.append(np.full(block.shape[1], scale))
        self.position_dims_ = tuple(int(b.shape[1]) for b in blocks)
        self.coord_mean_ = np.concatenate(means)
        self.coord_scale_ = np.concatenate(scales)

    def _tensors(self, X):
        if self._position_mode() == "xyz":
            return super()._tensors(X)
        genes, _ = self._split(X)
        genes_std = (genes - self.gene_mean_) / self.gene_scale_
        g = torch.as_tensor(genes_std, dtype=torch.float32)
        pos = np.concatenate(self._position_blocks(X, genes_std), axis=1)
        c = torch.as_tensor(
            (pos - self.coord_mean_) / self.coord_scale_, dtype=torch.float32
        )
        return g, c

    def _position_module_kwargs(self):
        """Module arguments of the position blocks (none for ``"xyz"``)."""
        if self._position_mode() == "xyz":
            return {}
        return {"position_dims": tuple(self.position_dims_)}

    @property
    def _n_features_out(self):
        if self._position_mode() == "xyz":
            return super()._n_features_out
        g = torch.zeros(1, self.n_genes_)
        c = torch.zeros(1, int(sum(self.position_dims_)))
        self.net_.module_.eval()
        with torch.no_grad():
            return int(self._encode(g, c).shape[1])

    def save_weights(self, f):
        """Save the trained weights and preprocessing statistics to ``f``.

        Only for coordinate positions (``region_position="xyz"``); models
        positioned by gradients are saved with
        :func:`connpredict.pretrained.save_estimator` (or pickle/joblib).

        Parameters
        ----------
        f : str, path-like or file object
            Where to write.
        """
        if self._position_mode() != "xyz":
            raise ValueError(
                f"save_weights stores coordinate positions only; this "
                f"{type(self).__name__} positions regions by gradients "
                f"(region_position={self._position_mode()!r}). Persist it with "
                "connpredict.pretrained.save_estimator (or pickle/joblib.dump) "
                "instead."
            )
        super().save_weights(f)

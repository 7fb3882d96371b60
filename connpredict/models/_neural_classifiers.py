"""Neural connectome classifiers (torch): the pair MLP and the SMT with BCE."""

import torch

from connpredict.models._classifiers import ConnectomeClassifierMixin
from connpredict.models._mlp import PairMLPRegressor
from connpredict.models._smt import SMTRegressor

__all__ = ["PairMLPClassifier", "SMTClassifier"]


class _NeuralClassifierMixin(ConnectomeClassifierMixin):
    """BCE on the 0/1 pair labels; the network outputs logits."""

    _criterion = torch.nn.BCEWithLogitsLoss
    _FITTED_STATE = (*PairMLPRegressor._FITTED_STATE, "classes_")

    def _target_scaling(self, y):
        # train on the raw 0/1 labels: no standardisation of the target
        return 0.0, 1.0

    def _check_params(self):
        super()._check_params()
        if getattr(self, "clamp", None) is not None:
            raise ValueError(
                f"{type(self).__name__} outputs logits, which clamp would bound "
                f"(clamp={self.clamp!r} caps the probabilities); pass clamp=None, "
                "e.g. {**RESEARCH_PARAMS['smt'], 'clamp': None} for the research "
                "recipe."
            )

    def _fit_binary(self, X, Y01):
        # the regressor's training, on the 0/1 block
        return super(ConnectomeClassifierMixin, self)._fit(X, Y01)


class PairMLPClassifier(_NeuralClassifierMixin, PairMLPRegressor):
    """Pair MLP classifier for a binary connectome (BCE loss).

    The network, training and every parameter are those of
    :class:`PairMLPRegressor`; the output is a logit trained with binary
    cross-entropy (:class:`torch.nn.BCEWithLogitsLoss`) on the 0/1 pair
    labels, instead of a connectivity value trained with MSE (the research
    system's ``binarize`` option for its MLP). Early stopping (with
    ``n_iter_no_change``) monitors the BCE of the inner validation regions.
    With ``n_ensemble > 1`` the members' logits are averaged. ``clamp`` must
    be None (it would bound the logits).

    Parameters
    ----------
    architecture, hidden_dims, embedding_dim, head, head_dims, use_coords, \
use_distance, max_iter, lr, batch_size, weight_decay, dropout, input_dropout, \
validation_cv, n_iter_no_change, n_ensemble, sampler, callbacks, device, \
verbose, random_state, coord_columns, region_position, gradients, n_gradients
        As in :class:`PairMLPRegressor`.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two values of the target; ``classes_[1]`` is "connected".
    net_ : skorch.NeuralNet
        The (first) trained network, as in :class:`PairMLPRegressor`.

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.models import PairMLPClassifier
    >>> ds = make_synthetic_connectome(n_regions=30, n_genes=8, random_state=0)
    >>> Y = (ds.Y > 0.3).astype(float)
    >>> clf = PairMLPClassifier(hidden_dims=(16,), head_dims=(8,), max_iter=3,
    ...                         n_ensemble=1, random_state=0)
    >>> clf.fit(ds.X.iloc[:24], Y.iloc[:24]).predict_proba(ds.X.iloc[24:]).shape
    (6, 6)
    """


class SMTClassifier(_NeuralClassifierMixin, SMTRegressor):
    """Spatiomolecular transformer classifier for a binary connectome (BCE).

    The network, training and every parameter are those of
    :class:`SMTRegressor`; the output is a logit trained with binary
    cross-entropy (:class:`torch.nn.BCEWithLogitsLoss`) on the 0/1 pair
    labels, instead of a connectivity value trained with MSE. Early stopping
    (with ``n_iter_no_change``) monitors the BCE of the inner validation
    regions. With ``n_ensemble > 1`` the members' logits are averaged.
    ``clamp`` must be None (it would bound the logits): for the research
    recipe pass ``{**RESEARCH_PARAMS["smt"], "clamp": None}``.

    Parameters
    ----------
    **params
        As in :class:`SMTRegressor` (same names and defaults).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two values of the target; ``classes_[1]`` is "connected".
    net_ : skorch.NeuralNet
        The (first) trained network, as in :class:`SMTRegressor`.

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.models import SMTClassifier
    >>> ds = make_synthetic_connectome(n_regions=30, n_genes=8, random_state=0)
    >>> Y = (ds.Y > 0.3).astype(float)
    >>> clf = SMTClassifier(token_size=2, d_model=8, n_heads=2, n_layers=1,
    ...                     head_dims=(8,), max_iter=2, n_ensemble=1, random_state=0)
    >>> clf.fit(ds.X.iloc[:24], Y.iloc[:24]).predict_proba(ds.X.iloc[24:]).shape
    (6, 6)
    """

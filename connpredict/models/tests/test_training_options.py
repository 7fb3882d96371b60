"""Training options of the neural regressors that follow the research's training.

A fixed epoch budget on all training regions (``n_iter_no_change=None``,
with ``lr_schedule`` stepping on the training loss), strong-edge batch
replacement (``strong_edge_swap``) and per-pair dropout masks
(``dropout_masks="pair"``).
"""

import numpy as np
import pytest
from sklearn.base import clone

torch = pytest.importorskip("torch")

from connpredict.datasets import make_synthetic_connectome  # noqa: E402
from connpredict.models import PairMLPRegressor, SMTRegressor  # noqa: E402
from connpredict.models._torch_data import (  # noqa: E402
    PairDataset,
    PairLoader,
    StrongEdgeSwap,
)

pytestmark = pytest.mark.usefixtures("torch_one_thread")

OPTIONS = {"strong_edge_swap": 0.0, "strong_edge_threshold": 0.3}


@pytest.fixture(scope="module")
def data():
    return make_synthetic_connectome(n_regions=32, n_genes=20, random_state=2)


def _smt(**kw):
    params = dict(
        token_size=5, d_model=16, n_heads=2, n_layers=1, max_iter=3,
        n_ensemble=1, batch_size=64, random_state=0, sampler="random",
    )  # fmt: skip
    params.update(kw)
    return SMTRegressor(**params)


def _mlp(**kw):
    params = dict(
        hidden_dims=(16,), max_iter=3, n_ensemble=1, batch_size=64,
        random_state=0, sampler="random",
    )  # fmt: skip
    params.update(kw)
    return PairMLPRegressor(**params)


@pytest.mark.parametrize("Est", [SMTRegressor, PairMLPRegressor])
def test_options_are_params(Est):
    est = Est()
    params = est.get_params()
    assert params["strong_edge_swap"] == 0.0
    assert params["strong_edge_threshold"] == 0.3
    assert params["dropout_masks"] == "region"
    est.set_params(strong_edge_swap=0.3, dropout_masks="pair")
    copy = clone(est)
    assert copy.strong_edge_swap == 0.3 and copy.dropout_masks == "pair"


@pytest.mark.parametrize(
    "bad, error",
    [
        ({"strong_edge_swap": 1.5}, ValueError),
        ({"strong_edge_swap": True}, TypeError),
        ({"strong_edge_threshold": -0.1}, ValueError),
        ({"dropout_masks": "batch"}, ValueError),
    ],
)
def test_bad_options_raise(bad, error, data):
    """A wrong type is a TypeError, a value out of range a ValueError."""
    name = next(iter(bad))
    with pytest.raises(error, match=name):
        _mlp(**bad).fit(data.X, data.Y)


def test_no_strong_pair_raises(data):
    with pytest.raises(ValueError, match="strong_edge_threshold"):
        _mlp(strong_edge_swap=0.5, strong_edge_threshold=100.0).fit(data.X, data.Y)


def _loader_dataset(n_regions=12, seed=0):
    rng = np.random.default_rng(seed)
    genes = torch.as_tensor(rng.normal(size=(n_regions, 4)), dtype=torch.float32)
    rows, cols = np.triu_indices(n_regions, 1)
    y = torch.as_tensor(rng.uniform(-0.6, 0.6, rows.size), dtype=torch.float32)
    return PairDataset(genes, None, rows, cols, y), y.numpy()


def test_swap_replaces_whole_batches_by_strong_training_pairs():
    ds, y = _loader_dataset()
    strong = np.flatnonzero(np.abs(y) > 0.3)
    swap = StrongEdgeSwap(strong, 1.0, n_epochs=4)
    gen = torch.Generator().manual_seed(0)
    loader = PairLoader(ds, batch_size=8, shuffle=True, sampler="random",
                        generator=gen, swap=swap)  # fmt: skip
    # epoch 0: probability 1, so every batch is strong pairs only, each pair
    # at most once per batch (drawn without replacement), same batch sizes
    sizes = []
    for _, yb in loader:
        assert np.all(np.abs(yb.numpy()) > 0.3)
        sizes.append(len(yb))
    assert swap.epoch == 0 and swap.n_swapped == len(sizes)
    assert sizes == [len(b) for b in torch.arange(len(ds)).split(8)]
    # the probability decays linearly: p(e) = prob * (1 - e / n_epochs)
    for epoch in range(1, 4):
        list(loader)
        assert swap.epoch == epoch
        assert swap.current_prob() == pytest.approx(1.0 - epoch / 4)


def test_swap_probability_matches_draws():
    # with p = 0.5 about half of many batches are swapped; the decision is one
    # uniform draw per batch from the loader's generator
    ds, y = _loader_dataset(n_regions=40)
    strong = np.flatnonzero(np.abs(y) > 0.3)
    swap = StrongEdgeSwap(strong, 0.5, n_epochs=1_000_000)
    gen = torch.Generator().manual_seed(1)
    loader = PairLoader(ds, batch_size=4, shuffle=True, sampler="random",
                        generator=gen, swap=swap)  # fmt: skip
    n_batches = sum(1 for _ in loader)
    frac = swap.n_swapped / n_batches
    assert n_batches == 195 and 0.4 < frac < 0.6


def test_per_pair_batch_gives_each_pair_its_own_regions():
    ds, _ = _loader_dataset()
    ds_pair = PairDataset(ds.genes, None, ds.rows, ds.cols, ds.y, per_pair=True)
    idx = torch.tensor([0, 1, 2])  # pairs (0, 1), (0, 2), (0, 3)
    xb, _ = ds.batch(idx)
    xp, _ = ds_pair.batch(idx)
    assert xb.genes.shape[0] == 4  # regions 0..3 once each
    assert xp.genes.shape[0] == 6  # region 0 three times
    torch.testing.assert_close(xp.genes[xp.left], xb.genes[xb.left])
    torch.testing.assert_close(xp.genes[xp.right], xb.genes[xb.right])
    # in training mode, dropout draws a separate mask for each copy
    enc = torch.nn.Dropout(0.5).train()
    torch.manual_seed(0)
    out = enc(xp.genes)
    assert not torch.equal(out[0], out[1])


def test_pair_masks_change_nothing_without_dropout(data):
    # with no dropout the two batch layouts compute the same training steps
    a = _smt(dropout=0.0, dropout_masks="region").fit(data.X, data.Y)
    b = _smt(dropout=0.0, dropout_masks="pair").fit(data.X, data.Y)
    np.testing.assert_allclose(a.predict(data.X), b.predict(data.X), atol=1e-5)
    # with dropout the masks differ, so the fits differ
    c = _smt(dropout=0.3, dropout_masks="region").fit(data.X, data.Y)
    d = _smt(dropout=0.3, dropout_masks="pair").fit(data.X, data.Y)
    assert not np.allclose(c.predict(data.X), d.predict(data.X))


def test_all_regions_fixed_budget_steps_schedule_on_training_loss(data):
    factor = 0.5
    model = _mlp(
        max_iter=6,
        lr=5e-2,
        n_iter_no_change=None,
        lr_schedule={"factor": factor, "patience": 0, "threshold": 0.0},
    ).fit(data.X, data.Y)
    hist = model.history_
    assert len(hist) == 6  # the whole budget
    assert len(model.validation_indices_) == 0
    assert len(model.train_indices_) == data.X.shape[0]
    # ReduceLROnPlateau(patience=0, threshold=0) by hand on the training loss
    best, lr, expected = np.inf, 5e-2, []
    for v in hist[:, "train_loss"]:
        expected.append(lr)
        if v < best:
            best = v
        else:
            lr *= factor
    np.testing.assert_allclose(hist[:, "event_lr"], expected)


OPTION_SETS = [
    {"strong_edge_swap": 1.0, "n_iter_no_change": None},
    {"strong_edge_swap": 0.5, "dropout_masks": "pair", "dropout": 0.2},
    {"dropout_masks": "pair", "n_iter_no_change": None, "dropout": 0.2},
]


@pytest.mark.parametrize("Est", [_smt, _mlp])
@pytest.mark.parametrize("options", OPTION_SETS)
def test_options_deterministic(Est, options, data):
    p1 = Est(**options).fit(data.X, data.Y).predict(data.X)
    p2 = Est(**options).fit(data.X, data.Y).predict(data.X)
    np.testing.assert_array_equal(np.asarray(p1), np.asarray(p2))


@pytest.mark.parametrize("Est", [_smt, _mlp])
@pytest.mark.parametrize("options", OPTION_SETS)
def test_options_no_leakage(Est, options, data, assert_no_leakage):
    assert_no_leakage(lambda: Est(**options), data.X, data.Y, n_train=22)


def test_swap_changes_training(data):
    base = _mlp(n_iter_no_change=None).fit(data.X, data.Y).predict(data.X)
    swapped = _mlp(n_iter_no_change=None, strong_edge_swap=1.0)
    swapped = swapped.fit(data.X, data.Y).predict(data.X)
    assert not np.allclose(np.asarray(base), np.asarray(swapped))

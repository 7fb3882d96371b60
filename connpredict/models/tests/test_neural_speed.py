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


def test_dropout_zeroes_a_fraction_p_and_rescales():
    x = torch.ones(400, 500)
    drop = Dropout(0.3).train()
    torch.manual_seed(0)
    out = drop(x)
    zero = (out == 0).float().mean().item()
    assert zero == pytest.approx(0.3, abs=0.005)
    kept = out[out != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / 0.7))
    assert out.mean().item() == pytest.approx(1.0, abs=0.01)
    torch.manual_seed(0)
    torch.testing.assert_close(drop(x), out)  # reproducible under the seed
    assert drop.eval()(x) is x
    assert Dropout(0.0).train()(x) is x
    assert torch.count_nonzero(Dropout(1.0).train()(x)) == 0


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

    monkeypatch.setattr(_torch_modules.Dropout, "forward", bernoulli)
    monkeypatch.setattr(_torch_train, "_fused_optimizer", lambda device: None)


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

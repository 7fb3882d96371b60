"""Training the neural models: Ctrl-C, early stopping, divergence, progress, output."""

import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from connpredict.datasets import make_synthetic_connectome
from connpredict.utils import gene_columns

torch = pytest.importorskip("torch")
from connpredict.models import PairMLPRegressor, SMTRegressor  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def data():
    ds = make_synthetic_connectome(n_regions=30, n_genes=8, random_state=0)
    return ds.X, ds.Y


def _tiny(kind, **kw):
    common = dict(max_iter=2, batch_size=128, n_ensemble=1, random_state=0)
    common.update(kw)
    if kind == "mlp":
        return PairMLPRegressor(hidden_dims=(16,), **common)
    return SMTRegressor(token_size=4, d_model=8, n_heads=2, n_layers=1, **common)


# -- Ctrl-C ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["mlp", "smt"])
def test_keyboard_interrupt_propagates_and_leaves_model_unfitted(data, kind):
    from skorch.callbacks import Callback

    class CtrlC(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                raise KeyboardInterrupt

    X, Y = data
    model = _tiny(kind, max_iter=5, callbacks=[("ctrl_c", CtrlC())])
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, Y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    assert not hasattr(model, "X_train_") and not hasattr(model, "nets_")
    # a refit interrupted the same way drops the earlier fit too
    model.set_params(callbacks=None).fit(X, Y)
    check_is_fitted(model)
    model.set_params(callbacks=[("ctrl_c", CtrlC())])
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, Y)
    assert not hasattr(model, "net_")


def test_early_stopping_is_not_an_interrupt(data):
    X, Y = data
    model = _tiny("mlp", max_iter=100, n_iter_no_change=1, lr=5e-2).fit(X, Y)
    assert 2 <= len(model.history_) < 100


# -- divergence ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["mlp", "smt"])
def test_divergent_training_stops_with_a_clear_error(data, kind):
    X, Y = data
    model = _tiny(kind, lr=1e6, max_iter=5)
    with pytest.raises(ValueError, match=r"diverged.*smaller lr"):
        model.fit(X, Y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def test_non_finite_predictions_are_refused(data):
    X, Y = data
    model = _tiny("mlp").fit(X, Y)
    with torch.no_grad():
        next(model.net_.module_.parameters()).fill_(float("nan"))
    with pytest.raises(ValueError, match=r"NaN or infinite connectivity.*lr"):
        model.predict(X)


@pytest.mark.parametrize("kind", ["mlp", "smt"])
def test_set_output_pandas_for_neural_models(data, kind):
    X, Y = data
    genes = gene_columns(X)
    pipe = make_pipeline(StandardScaler(), _tiny(kind)).set_output(transform="pandas")
    pred = pipe.fit(X[genes], Y).predict(X[genes])
    assert pred.index.equals(X.index) and pred.columns.equals(X.index)
    model = pipe[-1]
    emb = model.transform(pipe[0].transform(X[genes]))
    assert isinstance(emb, pd.DataFrame) and emb.index.equals(X.index)
    names = model.get_feature_names_out()
    assert list(emb.columns) == list(names)
    assert names[0] == f"{type(model).__name__.lower()}0"


# -- progress display ----------------------------------------------------------------
def test_verbose_shows_one_bar_across_ensemble_members(data, capsys):
    X, Y = data
    _tiny("mlp", n_ensemble=2, max_iter=2, verbose=1).fit(X, Y)
    captured = capsys.readouterr()
    assert captured.out == ""  # no skorch epoch table
    assert "member=2/2" in captured.err and "/4" in captured.err

"""Tests shared by the neural regressors (PairMLPRegressor, SMTRegressor)."""

import copy
import io
import pickle
import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from connpredict.datasets import make_synthetic_connectome  # noqa: E402
from connpredict.models._mlp import PairMLPRegressor  # noqa: E402
from connpredict.models._smt import SMTRegressor  # noqa: E402
from connpredict.models._torch_data import PairDataset, PairLoader  # noqa: E402
from connpredict.utils import upper_triangle  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def data():
    return make_synthetic_connectome(n_regions=40, n_genes=40, random_state=0)


def _tiny(kind, **kw):
    if kind == "mlp":
        params = dict(
            hidden_dims=(32,),
            embedding_dim=16,
            head_dims=(16,),
            max_iter=4,
            batch_size=256,
            n_ensemble=1,
        )
        params.update(kw)
        return PairMLPRegressor(**params)
    params = dict(
        token_size=8,
        d_model=16,
        n_heads=2,
        n_layers=1,
        head_dims=(16,),
        max_iter=4,
        batch_size=256,
        n_ensemble=1,
    )
    params.update(kw)
    return SMTRegressor(**params)


KINDS = ["mlp", "smt"]


def _split(data, n_train=30):
    X, Y = data.X, data.Y
    return X.iloc[:n_train], Y.iloc[:n_train], X.iloc[n_train:], Y.iloc[n_train:]


@pytest.mark.parametrize(
    "kind, kw",
    [
        ("mlp", {"architecture": "shared"}),
        ("mlp", {"hidden_dims": (64, 32)}),
        ("smt", {"pooling": "flatten"}),
        ("smt", {"cls": "coords", "pooling": "cls", "use_distance": True}),
    ],
)
def test_learns_better_than_mean_predictor(data, kind, kw):
    # random region split of a synthetic connectome with planted structure
    rng = np.random.default_rng(0)
    order = rng.permutation(40)
    X, Y = data.X.iloc[order], data.Y.iloc[order]
    Xtr, Ytr, Xte, Yte = X.iloc[:30], Y.iloc[:30], X.iloc[30:], Y.iloc[30:]
    params = dict(max_iter=40, n_iter_no_change=None, lr=3e-3, random_state=0)
    params.update(kw)
    model = _tiny(kind, **params).fit(Xtr, Ytr)
    y_true = upper_triangle(Yte.loc[Xte.index, Xte.index].to_numpy())
    y_pred = upper_triangle(model.predict(Xte).to_numpy())
    mean_train = upper_triangle(Ytr.loc[Xtr.index, Xtr.index].to_numpy()).mean()
    mse_model = np.mean((y_true - y_pred) ** 2)
    mse_mean = np.mean((y_true - mean_train) ** 2)
    assert mse_model < 0.8 * mse_mean
    assert np.corrcoef(y_true, y_pred)[0, 1] > 0.4


@pytest.mark.parametrize("kind", KINDS)
def test_reproducible_with_random_state(data, kind):
    Xtr, Ytr, Xte, _ = _split(data)
    p1 = _tiny(kind, random_state=3).fit(Xtr, Ytr).predict(Xte)
    p2 = _tiny(kind, random_state=3).fit(Xtr, Ytr).predict(Xte)
    p3 = _tiny(kind, random_state=4).fit(Xtr, Ytr).predict(Xte)
    np.testing.assert_array_equal(p1.to_numpy(), p2.to_numpy())
    assert not np.allclose(p1.to_numpy(), p3.to_numpy())


@pytest.mark.parametrize("kind", ["mlp", "smt"])
def test_fits_in_threads_reproduce_serial_fits(data, kind):
    # torch's generator is process-wide: fits in threads of one process must
    # not interleave their draws (weight init, dropout, shuffling)
    from concurrent.futures import ThreadPoolExecutor

    seeds = [0, 1, 2, 3]

    def fit(seed):
        return _tiny(kind, random_state=seed, dropout=0.3).fit(data.X, data.Y)

    serial = [fit(s).predict(data.X).to_numpy() for s in seeds]
    with ThreadPoolExecutor(max_workers=4) as pool:
        models = list(pool.map(fit, seeds))
    for model, ref in zip(models, serial, strict=True):
        np.testing.assert_array_equal(model.predict(data.X).to_numpy(), ref)


def test_global_random_states_untouched(data):
    Xtr, Ytr, _, _ = _split(data)
    torch_state = torch.random.get_rng_state().clone()
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002
    _tiny("smt", random_state=0).fit(Xtr, Ytr)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)  # noqa: NPY002


@pytest.mark.parametrize("kind", KINDS)
def test_inner_split_sees_only_training_regions(data, kind, monkeypatch):
    import connpredict.model_selection as ms

    seen = {}
    original = ms.validation_split

    def recording(X, y=None, **kwargs):
        seen["X"] = X.index.copy()
        seen["y_cols"] = None if y is None else y.columns.copy()
        seen["cv"] = kwargs.get("cv")
        tr, va = original(X, y, **kwargs)
        seen["val"] = va
        return tr, va

    monkeypatch.setattr(ms, "validation_split", recording)
    Xtr, Ytr, _, _ = _split(data)
    model = _tiny(kind, validation_cv=0.25, random_state=0).fit(Xtr, Ytr)
    assert seen["X"].equals(Xtr.index)
    assert seen["y_cols"].equals(Xtr.index)  # the train x train block only
    assert seen["cv"] == 0.25
    np.testing.assert_array_equal(model.validation_indices_, seen["val"])
    assert set(model.train_indices_).isdisjoint(model.validation_indices_)
    assert len(model.train_indices_) + len(model.validation_indices_) == 30
    assert "valid_loss" in model.history_[-1]


@pytest.mark.parametrize("kind", KINDS)
def test_no_validation_means_no_early_stopping(data, kind):
    Xtr, Ytr, _, _ = _split(data)
    model = _tiny(kind, n_iter_no_change=None, max_iter=3, random_state=0).fit(Xtr, Ytr)
    assert len(model.history_) == 3
    assert "valid_loss" not in model.history_[-1]
    assert len(model.validation_indices_) == 0


def test_early_stopping_restores_and_stops(data):
    Xtr, Ytr, _, _ = _split(data)
    model = _tiny("mlp", max_iter=200, n_iter_no_change=2, lr=3e-2, random_state=0)
    model.fit(Xtr, Ytr)
    assert len(model.history_) < 200
    assert len(model.history_) >= 3


@pytest.mark.parametrize("kind", KINDS)
def test_no_test_fold_leakage(data, kind):
    # scrambling every Y entry outside the train x train block changes nothing
    X, Y = data.X, data.Y
    train = X.index[:30]
    rng = np.random.default_rng(1)
    Y2 = Y.copy()
    vals = Y2.to_numpy().copy()
    outside = np.ones(vals.shape, dtype=bool)
    outside[:30, :30] = False
    vals[outside] = rng.normal(size=outside.sum())
    Y2 = pd.DataFrame(vals, index=Y.index, columns=Y.columns)
    m1 = _tiny(kind, random_state=0).fit(X.loc[train], Y.loc[train])
    m2 = _tiny(kind, random_state=0).fit(X.loc[train], Y2.loc[train])
    np.testing.assert_array_equal(m1.predict(X).to_numpy(), m2.predict(X).to_numpy())


@pytest.mark.parametrize("kind", KINDS)
def test_predict_symmetric_and_rectangular(data, kind):
    Xtr, Ytr, Xte, _ = _split(data)
    model = _tiny(kind, random_state=0).fit(Xtr, Ytr)
    P = model.predict(Xte)
    assert P.shape == (10, 10)
    assert P.index.equals(Xte.index) and P.columns.equals(Xte.index)
    np.testing.assert_allclose(P.to_numpy(), P.to_numpy().T, atol=1e-6)
    # the unsymmetrised block is symmetric too, and the rectangular block
    # between two sets matches the square prediction on their union
    raw = model._predict_block(Xte, Xte)
    np.testing.assert_allclose(raw, raw.T, atol=1e-5)
    R = model.predict(Xte.iloc[:4], Xtr.iloc[:6])
    assert R.shape == (4, 6)
    union = pd.concat([Xte.iloc[:4], Xtr.iloc[:6]])
    full = model.predict(union).to_numpy()
    np.testing.assert_allclose(R.to_numpy(), full[:4, 4:], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_transform_shape(data, kind):
    Xtr, Ytr, Xte, _ = _split(data)
    model = _tiny(kind, random_state=0).fit(Xtr, Ytr)
    emb = model.transform(Xte)
    assert emb.shape[0] == 10 and emb.ndim == 2
    assert np.all(np.isfinite(emb))


@pytest.mark.parametrize("kind", KINDS)
def test_pickle_and_joblib_round_trip(data, kind, tmp_path):
    Xtr, Ytr, Xte, _ = _split(data)
    model = _tiny(kind, random_state=0).fit(Xtr, Ytr)
    expected = model.predict(Xte).to_numpy()
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(Xte).to_numpy(), expected)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    np.testing.assert_array_equal(joblib.load(path).predict(Xte).to_numpy(), expected)


@pytest.mark.parametrize("kind", KINDS)
def test_save_and_load_weights(data, kind):
    Xtr, Ytr, Xte, _ = _split(data)
    model = _tiny(kind, random_state=0).fit(Xtr, Ytr)
    buf = io.BytesIO()
    model.save_weights(buf)
    buf.seek(0)
    fresh = _tiny(kind, random_state=123).load_weights(buf)
    np.testing.assert_allclose(
        fresh.predict(Xte).to_numpy(), model.predict(Xte).to_numpy(), atol=1e-6
    )
    buf.seek(0)
    other = SMTRegressor() if kind == "mlp" else PairMLPRegressor()
    with pytest.raises(ValueError, match="saved by"):
        other.load_weights(buf)


def test_gridsearch_over_token_size_and_lr(data):
    from sklearn.model_selection import GridSearchCV, KFold

    X, Y = data.X.iloc[:24], data.Y.iloc[:24]
    search = GridSearchCV(
        _tiny("smt", max_iter=1, n_iter_no_change=None, random_state=0),
        {"token_size": [5, 10], "lr": [1e-3, 1e-2]},
        cv=KFold(2),
    )
    search.fit(X, Y)
    assert set(search.best_params_) == {"token_size", "lr"}
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


@pytest.mark.parametrize("kind", KINDS)
def test_verbose_and_user_callbacks(data, kind, capsys):
    from skorch.callbacks import Callback

    class Counter(Callback):
        def initialize(self):
            self.epochs_ = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs_ += 1

    Xtr, Ytr, _, _ = _split(data)
    model = _tiny(
        kind, max_iter=2, verbose=1, callbacks=[("count", Counter())], random_state=0
    ).fit(Xtr, Ytr)
    assert dict(model.net_.callbacks_)["count"].epochs_ == 2
    # one progress display (a bar on stderr), no skorch epoch table on stdout
    captured = capsys.readouterr()
    assert "train_loss" in captured.err and "member=1/1" in captured.err
    assert "train_loss" not in captured.out
    assert model.callbacks[0][1].__dict__.get("epochs_") is None  # param untouched


@pytest.mark.parametrize(
    "params, match",
    [
        ({"max_iter": 0}, "max_iter"),
        ({"lr": -1.0}, "lr"),
        ({"dropout": 1.0}, "dropout"),
        ({"input_dropout": -0.1}, "input_dropout"),
        ({"sampler": "foo"}, "sampler"),
        ({"n_iter_no_change": 0}, "n_iter_no_change"),
        ({"n_ensemble": 0}, "n_ensemble"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_invalid_params(data, kind, params, match):
    with pytest.raises(ValueError, match=match):
        _tiny(kind, **params).fit(data.X, data.Y)


def test_genes_required(data):
    with pytest.raises(ValueError, match="gene"):
        _tiny("mlp").fit(data.X[["x", "y", "z"]], data.Y)


def test_coordinates_required_when_used(data):
    genes = data.X.drop(columns=["x", "y", "z"])
    with pytest.raises(ValueError, match="coordinate"):
        _tiny("mlp", use_distance=True, n_iter_no_change=None).fit(genes, data.Y)


def test_pair_loader_covers_each_pair_once_with_few_regions():
    n = 37
    r, c = np.triu_indices(n, k=1)
    ds = PairDataset(torch.randn(n, 5), None, r, c, torch.arange(len(r)).float())
    gen = torch.Generator().manual_seed(0)
    loader = PairLoader(ds, batch_size=64, shuffle=True, sampler="block", generator=gen)
    seen = []
    for xb, yb in loader:
        # the batch re-indexes pairs into its distinct regions
        assert xb.genes.shape[0] <= 2 * 8
        rows = r[yb.long().numpy()]
        cols = c[yb.long().numpy()]
        np.testing.assert_array_equal(xb.genes[xb.left].numpy(), ds.genes[rows].numpy())
        np.testing.assert_array_equal(
            xb.genes[xb.right].numpy(), ds.genes[cols].numpy()
        )
        seen.append(yb.long().numpy())
    seen = np.concatenate(seen)
    np.testing.assert_array_equal(np.sort(seen), np.arange(len(r)))
    random_loader = PairLoader(
        ds, batch_size=64, shuffle=True, sampler="random", generator=gen
    )
    sizes = [len(xb) for xb, _ in random_loader]
    assert sum(sizes) == len(r) and max(sizes) == 64


def test_import_connpredict_does_not_import_torch():
    code = (
        "import sys, connpredict, connpredict.models; "
        "connpredict.models.__all__; "
        "assert 'torch' not in sys.modules, 'torch imported'; "
        "assert 'skorch' not in sys.modules, 'skorch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("kind", KINDS)
def test_ensemble_averages_its_members(data, kind):
    Xtr, Ytr, Xte, _ = _split(data)
    ens = _tiny(kind, n_ensemble=3, random_state=0).fit(Xtr, Ytr)
    assert len(ens.nets_) == 3 and ens.net_ is ens.nets_[0]
    members = []
    for net in ens.nets_:
        single = copy.copy(ens)
        single.nets_ = [net]
        single.net_ = net
        members.append(single.predict(Xte).to_numpy())
    assert not np.allclose(members[0], members[1])  # different seeds
    np.testing.assert_allclose(
        ens.predict(Xte).to_numpy(), np.mean(members, axis=0), atol=1e-6
    )
    # the members share the inner split; the first member is the single model
    single = _tiny(kind, n_ensemble=1, random_state=0).fit(Xtr, Ytr)
    np.testing.assert_allclose(members[0], single.predict(Xte).to_numpy(), atol=1e-6)
    buf = io.BytesIO()
    ens.save_weights(buf)
    buf.seek(0)
    loaded = _tiny(kind, n_ensemble=1).load_weights(buf)
    assert len(loaded.nets_) == 3
    np.testing.assert_allclose(
        loaded.predict(Xte).to_numpy(), ens.predict(Xte).to_numpy(), atol=1e-6
    )

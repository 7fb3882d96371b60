"""Tests of the self-supervised region encoders (RegionEncoder and their use)."""

import io
import pickle

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

from connpredict.datasets import make_synthetic_connectome  # noqa: E402
from connpredict.model_selection import SpatialSplit  # noqa: E402
from connpredict.models import (  # noqa: E402
    PairMLPRegressor,
    RegionEncoder,
    SMTRegressor,
    pretrain_region_encoder,
)
from connpredict.models._pretrain import (  # noqa: E402
    _token_encoder,
    _token_states,
    draw_module_mask,
    draw_token_mask,
    ema_update,
    token_modules,
)

pytestmark = pytest.mark.usefixtures("torch_one_thread")

SMALL = {"token_size": 10, "d_model": 16, "n_heads": 4, "n_layers": 1}


@pytest.fixture(scope="module")
def data():
    return make_synthetic_connectome(n_regions=24, n_genes=45, random_state=1)


@pytest.fixture(scope="module")
def encoder(data):
    return pretrain_region_encoder(
        data.X, objective="masked", max_iter=3, random_state=0, **SMALL
    )


def _smt(enc, **kw):
    params = {"max_iter": 2, "n_ensemble": 1, "random_state": 0}
    params.update(kw)
    return SMTRegressor(encoder=enc, **enc.smt_params(), **params)


# -- masks ----------------------------------------------------------------------


def test_token_mask_count_and_reproducible():
    m = draw_token_mask(50, 10, 0.3, np.random.RandomState(0))
    assert m.shape == (50, 10)
    np.testing.assert_array_equal(m.sum(axis=1), 3)  # round(0.3 * 10)
    np.testing.assert_array_equal(
        m, draw_token_mask(50, 10, 0.3, np.random.RandomState(0))
    )
    assert not np.array_equal(m, draw_token_mask(50, 10, 0.3, np.random.RandomState(1)))
    # uniform: every token masked in about 30 % of 50 regions over many draws
    many = draw_token_mask(4000, 10, 0.3, np.random.RandomState(2)).mean(axis=0)
    np.testing.assert_allclose(many, 0.3, atol=0.03)
    # at least one token even for a tiny ratio
    assert draw_token_mask(5, 10, 0.01, np.random.RandomState(0)).sum(axis=1).min() == 1


def test_module_mask_masks_whole_modules():
    modules = np.array([0, 0, 1, 1, 1, 2, 3, 3, 2, 0])
    m = draw_module_mask(200, modules, 0.3, np.random.RandomState(0))
    for row in m:
        for lab in np.unique(modules):
            covered = row[modules == lab]
            assert covered.all() or not covered.any()  # all or nothing
        assert row.sum() >= 3  # at least the ratio
        assert not row.all()  # never everything
    np.testing.assert_array_equal(
        m, draw_module_mask(200, modules, 0.3, np.random.RandomState(0))
    )


def test_token_modules_group_tokens_by_profile():
    rng = np.random.RandomState(0)
    a, b = rng.normal(size=30), rng.normal(size=30)
    # 6 tokens of 5 genes: tokens 0, 2, 4 follow profile a, tokens 1, 3, 5 b
    cols = [
        (a if t % 2 == 0 else b)[:, None] + 0.01 * rng.normal(size=(30, 5))
        for t in range(6)
    ]
    Z = np.hstack(cols)
    labels = token_modules(Z, 5, 2, random_state=0)
    assert labels.shape == (6,)
    assert len(set(labels[::2])) == 1 and len(set(labels[1::2])) == 1
    assert labels[0] != labels[1]
    np.testing.assert_array_equal(labels, token_modules(Z, 5, 2, random_state=0))


def test_network_encoder_stores_its_modules(data):
    enc = RegionEncoder("network", n_modules=3, max_iter=1, random_state=0, **SMALL)
    enc.fit(data.X)
    assert enc.token_modules_.shape == (5,)
    assert len(np.unique(enc.token_modules_)) == 3


# -- JEPA's moving average -------------------------------------------------------


def test_ema_update_matches_hand_computation():
    torch.manual_seed(0)
    target, online = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    t0 = [p.detach().numpy().copy() for p in target.parameters()]
    o0 = [p.detach().numpy().copy() for p in online.parameters()]
    ema_update(target, online, 0.9)
    for p, t, o in zip(target.parameters(), t0, o0):
        np.testing.assert_allclose(p.detach().numpy(), 0.9 * t + 0.1 * o, rtol=1e-6)
    # twice: m^2 t + (1 - m^2) o for a fixed online network
    ema_update(target, online, 0.9)
    for p, t, o in zip(target.parameters(), t0, o0):
        np.testing.assert_allclose(p.detach().numpy(), 0.81 * t + 0.19 * o, rtol=1e-5)
    for p, o in zip(online.parameters(), o0):  # the online net is untouched
        np.testing.assert_array_equal(p.detach().numpy(), o)


def test_jepa_target_is_the_moving_average_of_the_encoder(data, monkeypatch):
    from connpredict.models import _pretrain

    calls = []

    def recording(target, online, momentum):
        before = [p.detach().clone() for p in target.parameters()]
        ema_update(target, online, momentum)
        calls.append(
            {
                "momentum": momentum,
                "before": before,
                "online": [p.detach().clone() for p in online.parameters()],
                "after": [p.detach().clone() for p in target.parameters()],
                "grad": [p.requires_grad for p in target.parameters()],
            }
        )

    monkeypatch.setattr(_pretrain, "ema_update", recording)
    enc = RegionEncoder(
        "jepa", ema_momentum=0.9, max_iter=2, batch_size=10, random_state=0, **SMALL
    ).fit(data.X)
    assert len(calls) == 2 * 3  # one update per step: 2 epochs of 3 batches
    for i, call in enumerate(calls):
        assert call["momentum"] == 0.9
        assert not any(call["grad"])  # the target gets no gradient
        for b, o, a in zip(call["before"], call["online"], call["after"]):
            np.testing.assert_allclose(a, 0.9 * b + 0.1 * o, rtol=1e-5, atol=1e-7)
        if i:  # nothing but the moving average changes the target
            for b, prev in zip(call["before"], calls[i - 1]["after"]):
                assert torch.equal(b, prev)
    # the kept encoder is the online (context) one, not the target
    kept = enc.encoder_state_["token_embed.weight"]
    names = [n for n, _ in _token_encoder(45, enc.smt_params(), 0.0).named_parameters()]
    at = names.index("token_embed.weight")
    assert torch.equal(kept, calls[-1]["online"][at])
    assert not torch.equal(kept, calls[-1]["after"][at])


def test_masked_loss_is_reconstruction_of_masked_real_genes(data):
    enc = RegionEncoder("masked", **SMALL, dropout=0.0)
    params = enc.smt_params()
    torch.manual_seed(0)
    module = _token_encoder(45, params, 0.0).eval()
    heads = torch.nn.ModuleDict(
        {"mask_embed": torch.nn.Embedding(1, 16), "recon": torch.nn.Linear(16, 10)}
    )
    g = torch.randn(4, 45)
    mask = np.zeros((4, 5), dtype=bool)
    mask[:, 4] = True  # the padded last token: genes 40..44 are real
    mask[0, 1] = True
    real = torch.ones(50)
    real[45:] = 0
    loss = enc._loss(module, heads, None, g, mask, real.view(5, 10), "cpu")
    with torch.no_grad():
        states = _token_states(
            module, g, torch.as_tensor(mask), heads["mask_embed"].weight[0]
        )
        rec = heads["recon"](states).numpy()
    gp = np.pad(g.numpy(), ((0, 0), (0, 5))).reshape(4, 5, 10)
    errs = []
    for r in range(4):
        for t in range(5):
            if mask[r, t]:
                n = 5 if t == 4 else 10
                errs.extend((rec[r, t, :n] - gp[r, t, :n]) ** 2)
    np.testing.assert_allclose(float(loss.detach()), np.mean(errs), rtol=1e-5)


# -- fitting, determinism, interruption ----------------------------------------


@pytest.mark.parametrize("objective", ["masked", "network", "jepa", "autoencode"])
def test_objectives_are_deterministic(data, objective):
    kw = dict(objective=objective, max_iter=2, random_state=3, **SMALL)
    a = pretrain_region_encoder(data.X, **kw)
    b = pretrain_region_encoder(data.X, **kw)
    assert [h["loss"] for h in a.history_] == [h["loss"] for h in b.history_]
    for k, v in a.encoder_state_.items():
        assert torch.equal(v, b.encoder_state_[k])
    assert a.transform(data.X).shape == (24, 16)
    c = pretrain_region_encoder(data.X, **{**kw, "random_state": 4})
    assert not torch.equal(
        a.encoder_state_["token_embed.weight"], c.encoder_state_["token_embed.weight"]
    )


def test_pretraining_lowers_the_loss(data):
    enc = pretrain_region_encoder(
        data.X, objective="autoencode", max_iter=30, lr=3e-3, random_state=0, **SMALL
    )
    assert enc.history_[-1]["loss"] < enc.history_[0]["loss"]


def test_interrupted_pretraining_leaves_nothing_fitted(data, monkeypatch):
    enc = pretrain_region_encoder(data.X, max_iter=1, random_state=0, **SMALL)
    calls = []

    def interrupt(self, *args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, *args)

    original = RegionEncoder._loss
    monkeypatch.setattr(RegionEncoder, "_loss", interrupt)
    with pytest.raises(KeyboardInterrupt):
        enc.set_params(max_iter=3).fit(data.X)
    with pytest.raises(NotFittedError):
        check_is_fitted(enc)
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(enc))


def test_corpora_pool_on_common_genes(data):
    X = data.X
    other = X.drop(columns=X.columns[:5]).iloc[:10]
    enc = pretrain_region_encoder([X, other], max_iter=1, random_state=0, **SMALL)
    assert list(enc.genes_) == [c for c in X.columns[5:] if c not in ("x", "y", "z")]
    assert enc.corpus_sizes_ == [24, 10]
    assert enc.transform(enc.align(X)).shape == (24, 16)


def test_bad_parameters(data):
    with pytest.raises(ValueError, match="objective must be one of"):
        RegionEncoder("bert").fit(data.X)
    with pytest.raises(ValueError, match="mask_ratio"):
        RegionEncoder(mask_ratio=1.0).fit(data.X)
    with pytest.raises(ValueError, match="DataFrame"):
        RegionEncoder().fit(data.X.to_numpy())


# -- use by the estimators ---------------------------------------------------


def test_smt_round_trip_frozen_keeps_encoder_weights(data, encoder):
    smt = _smt(encoder, freeze=True).fit(data.X, data.Y)
    module = smt.net_.module_
    own = dict(module.state_dict())
    for key, value in encoder.encoder_state_.items():
        assert torch.equal(own[key], value), key
    # fine-tuning starts from them and moves them
    tuned = _smt(encoder, freeze=False).fit(data.X, data.Y)
    w = tuned.net_.module_.token_embed.weight.detach()
    assert not torch.equal(w, encoder.encoder_state_["token_embed.weight"])
    # ... and differs from training from scratch
    scratch = SMTRegressor(
        **encoder.smt_params(), max_iter=2, n_ensemble=1, random_state=0
    ).fit(data.X, data.Y)
    assert not np.allclose(scratch.predict(data.X), tuned.predict(data.X))
    assert scratch.encoder_ is None


def test_smt_encoder_none_is_today_default(data):
    kw = dict(token_size=10, d_model=16, max_iter=2, n_ensemble=1, random_state=0)
    a = SMTRegressor(**kw).fit(data.X, data.Y).predict(data.X)
    b = (
        SMTRegressor(encoder=None, freeze=True, **kw)
        .fit(data.X, data.Y)
        .predict(data.X)
    )
    np.testing.assert_array_equal(a, b)


def test_smt_with_encoder_is_deterministic_and_pickles(data, encoder):
    a = _smt(encoder).fit(data.X, data.Y)
    b = _smt(encoder).fit(data.X, data.Y)
    np.testing.assert_array_equal(a.predict(data.X), b.predict(data.X))
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(a.predict(data.X), c.predict(data.X))
    e = pickle.loads(pickle.dumps(encoder))
    np.testing.assert_array_equal(encoder.transform(data.X), e.transform(data.X))


def test_mlp_round_trip(data, encoder):
    mlp = PairMLPRegressor(
        encoder=encoder,
        freeze=True,
        hidden_dims=(16,),
        max_iter=2,
        n_ensemble=1,
        random_state=0,
    ).fit(data.X, data.Y)
    assert mlp.n_genes_ == 45 + 16
    emb = encoder.transform(data.X)
    np.testing.assert_allclose(mlp.embedding_mean_, emb.mean(axis=0))
    plain = PairMLPRegressor(
        hidden_dims=(16,), max_iter=2, n_ensemble=1, random_state=0
    ).fit(data.X, data.Y)
    assert plain.n_genes_ == 45
    assert mlp.predict(data.X).shape == (24, 24)
    again = pickle.loads(pickle.dumps(mlp))
    np.testing.assert_array_equal(mlp.predict(data.X), again.predict(data.X))


def _mlp(enc, **kw):
    params = {"hidden_dims": (8,), "max_iter": 2, "n_ensemble": 1, "random_state": 0}
    params.update(kw)
    return PairMLPRegressor(encoder=enc, **params)


@pytest.mark.parametrize("architecture", ["concat", "shared"])
def test_mlp_frozen_encoder_gives_fixed_features(data, encoder, architecture):
    before = {k: v.clone() for k, v in encoder.encoder_state_.items()}
    mlp = _mlp(encoder, architecture=architecture, freeze=True).fit(data.X, data.Y)
    # the encoder is untouched and not part of the trained network
    for k, v in before.items():
        assert torch.equal(encoder.encoder_state_[k], v), k
        assert torch.equal(mlp.encoder_.encoder_state_[k], v), k
    assert not hasattr(mlp.module_, "region_encoder")
    # its last d_model inputs are the encoder's embeddings, standardised with
    # the training regions' statistics
    emb = encoder.transform(data.X)
    want = (emb - emb.mean(axis=0)) / emb.std(axis=0)
    g, _ = mlp._tensors(data.X)
    np.testing.assert_allclose(g[:, 45:].numpy(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("architecture", ["concat", "shared"])
def test_mlp_fine_tuned_encoder_starts_from_it_and_moves(data, encoder, architecture):
    before = {k: v.clone() for k, v in encoder.encoder_state_.items()}
    tuned = _mlp(encoder, architecture=architecture, freeze=False, lr=1e-2)
    tuned.fit(data.X, data.Y)
    moved = tuned.module_.region_encoder.state_dict()
    assert not torch.equal(moved["token_embed.weight"], before["token_embed.weight"])
    assert not torch.equal(
        moved["blocks.0.ff.0.weight"], before["blocks.0.ff.0.weight"]
    )
    for k, v in before.items():  # the encoder object itself never changes
        assert torch.equal(encoder.encoder_state_[k], v), k
    # with a vanishing learning rate and no dropout, the fine-tuning network
    # starts from the encoder's weights and computes the frozen model exactly
    still = dict(lr=1e-12, weight_decay=0.0, dropout=0.0, architecture=architecture)
    frozen = _mlp(encoder, freeze=True, **still).fit(data.X, data.Y)
    start = _mlp(encoder, freeze=False, **still).fit(data.X, data.Y)
    for k, v in before.items():
        np.testing.assert_allclose(
            start.module_.region_encoder.state_dict()[k].numpy(), v.numpy(), atol=1e-9
        )
    np.testing.assert_allclose(
        start.predict(data.X), frozen.predict(data.X), rtol=1e-5, atol=1e-6
    )
    assert not np.allclose(tuned.predict(data.X), frozen.predict(data.X))


def test_mlp_freeze_in_clone_and_grid_search(data, encoder):
    mlp = _mlp(encoder, freeze=True, max_iter=1)
    assert mlp.get_params()["freeze"] is True
    copy = clone(mlp)
    assert copy.freeze is True and copy.encoder is encoder
    assert PairMLPRegressor().freeze is False  # the SMT's default
    assert SMTRegressor().freeze is False
    cv = SpatialSplit(n_splits=3, random_state=0)
    search = GridSearchCV(mlp, {"freeze": [True, False]}, cv=cv).fit(data.X, data.Y)
    for i, freeze in enumerate(search.cv_results_["param_freeze"]):
        want = cross_val_score(
            clone(mlp).set_params(freeze=freeze), data.X, data.Y, cv=cv
        )
        np.testing.assert_allclose(
            search.cv_results_["mean_test_score"][i], want.mean()
        )
    assert isinstance(search.best_estimator_.module_, torch.nn.Module)
    a = _mlp(encoder, freeze=False).fit(data.X, data.Y)
    b = _mlp(encoder, freeze=False).fit(data.X, data.Y)
    np.testing.assert_array_equal(a.predict(data.X), b.predict(data.X))
    again = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(again.predict(data.X), a.predict(data.X))
    with pytest.raises(ValueError, match="freeze must be True or False"):
        _mlp(encoder, freeze="no").fit(data.X, data.Y)
    with pytest.raises(ValueError, match="save_estimator"):
        a.save_weights(io.BytesIO())


def test_clone_keeps_a_fitted_encoder_and_refits_an_unfitted_one(data, encoder):
    smt = _smt(encoder)
    assert clone(smt).encoder is encoder
    fresh = RegionEncoder(max_iter=1, random_state=0, **SMALL)
    model = SMTRegressor(
        encoder=fresh, **fresh.smt_params(), max_iter=1, n_ensemble=1, random_state=0
    )
    cloned = clone(model)
    assert cloned.encoder is not fresh
    # inductive: pretrained inside fit on the training rows only
    model.fit(data.X.iloc[:16], data.Y.iloc[:16])
    assert model.encoder_.corpus_sizes_ == [16]
    with pytest.raises(NotFittedError):
        check_is_fitted(fresh)


def test_cross_val_score_and_grid_search(data, encoder):
    cv = SpatialSplit(n_splits=3, random_state=0)
    scores = cross_val_score(_smt(encoder, max_iter=1), data.X, data.Y, cv=cv)
    assert np.all(np.isfinite(scores))
    search = GridSearchCV(
        PairMLPRegressor(hidden_dims=(8,), max_iter=1, n_ensemble=1, random_state=0),
        {"encoder": [None, encoder]},
        cv=cv,
    ).fit(data.X, data.Y)
    assert search.best_params_["encoder"] in (None, encoder)


def test_gene_mismatch_errors_name_the_difference(data, encoder):
    genes = [c for c in data.X.columns if c not in ("x", "y", "z")]
    reordered = data.X[[*genes[::-1], "x", "y", "z"]]
    with pytest.raises(ValueError, match=r"another order.*encoder\.align"):
        _smt(encoder).fit(reordered, data.Y)
    fewer = data.X.drop(columns=genes[:3])
    with pytest.raises(
        ValueError, match=f"3 of the encoder's genes are missing.*{genes[0]}"
    ):
        _smt(encoder).fit(fewer, data.Y.loc[fewer.index, fewer.index])
    with pytest.raises(ValueError, match="X lacks 3 of the encoder's 45 genes"):
        encoder.align(fewer)
    # alignment by name repairs the order
    aligned = encoder.align(reordered)
    np.testing.assert_array_equal(encoder.transform(aligned), encoder.transform(data.X))
    with pytest.raises(ValueError, match="gene names as columns"):
        _smt(encoder).fit(data.X.to_numpy(), data.Y.to_numpy())


def test_layout_mismatch_error_names_the_settings(data, encoder):
    bad = SMTRegressor(
        encoder=encoder, token_size=5, d_model=16, n_layers=1, max_iter=1
    )
    with pytest.raises(ValueError, match=r"token_size=5 \(encoder: 10\)"):
        bad.fit(data.X, data.Y)
    with pytest.raises(ValueError, match="RegionEncoder"):
        SMTRegressor(encoder="masked").fit(data.X, data.Y)
    with pytest.raises(ValueError, match="freeze must be True or False"):
        _smt(encoder, freeze="yes").fit(data.X, data.Y)


def test_learned_positions_with_cls_token(data):
    enc = pretrain_region_encoder(
        data.X,
        positional="learned",
        max_iter=1,
        random_state=0,
        **{k: v for k, v in SMALL.items()},
    )
    smt = _smt(enc, cls="coords", freeze=True).fit(data.X, data.Y)
    pos = smt.net_.module_.pos_embed.detach()
    assert torch.equal(pos[1:], enc.encoder_state_["pos_embed"])


def test_interrupted_fit_with_encoder_leaves_nothing(data, encoder, monkeypatch):
    from connpredict.models import _pretrain

    def interrupt(self, net, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_pretrain.InitFromEncoder, "on_train_begin", interrupt)
    smt = _smt(encoder)
    with pytest.raises(KeyboardInterrupt):
        smt.fit(data.X, data.Y)
    with pytest.raises(NotFittedError):
        check_is_fitted(smt)
    assert not hasattr(smt, "encoder_")


def test_interrupted_inductive_pretraining_in_fit_leaves_nothing(
    data, encoder, monkeypatch
):
    # a fitted model refitted with an unfitted encoder, Ctrl-C in pretraining
    fresh = RegionEncoder(max_iter=2, random_state=0, **SMALL)
    model = _mlp(fresh).fit(data.X, data.Y)
    assert model.encoder_.corpus_sizes_ == [24]

    def interrupt(self, *args):
        raise KeyboardInterrupt

    monkeypatch.setattr(RegionEncoder, "_loss", interrupt)
    with pytest.raises(KeyboardInterrupt):
        model.fit(data.X.iloc[:16], data.Y.iloc[:16])
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    assert not hasattr(model, "encoder_") and not hasattr(model, "net_")
    assert model.encoder is fresh and not fresh.__sklearn_is_fitted__()


def test_mlp_encoder_on_other_genes_is_refused(data, encoder):
    genes = [c for c in data.X.columns if c not in ("x", "y", "z")]
    fewer = data.X.drop(columns=genes[-2:])
    for freeze in (True, False):
        with pytest.raises(
            ValueError, match=rf"2 of the encoder's genes are missing.*{genes[-2]}"
        ):
            _mlp(encoder, freeze=freeze).fit(fewer, data.Y)
    renamed = data.X.rename(columns={genes[0]: "NEWGENE"})
    with pytest.raises(ValueError, match=r"1 genes are new.*NEWGENE"):
        _mlp(encoder).fit(renamed, data.Y)


def test_frame_round_trip_through_numpy_columns_is_refused(data, encoder):
    X = pd.DataFrame(data.X.to_numpy(), index=data.X.index)
    with pytest.raises(ValueError, match="gene names"):
        PairMLPRegressor(encoder=encoder, max_iter=1).fit(X, data.Y)


def test_spin_test_and_pipeline(data, encoder):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from connpredict.model_selection import RandomSplit
    from connpredict.nulls import spin_test

    model = PairMLPRegressor(
        encoder=encoder, hidden_dims=(8,), max_iter=1, n_ensemble=1, random_state=0
    )
    res = spin_test(
        model,
        data.X,
        data.Y,
        cv=RandomSplit(n_splits=2, random_state=0),
        permutations=np.array(
            [np.random.RandomState(i).permutation(24) for i in (1, 2)]
        ),
        random_state=0,
    )
    assert np.isfinite(res.score) and len(res.null_scores) == 2
    pipe = make_pipeline(
        FunctionTransformer(encoder.align),
        _smt(encoder),
    )
    shuffled = data.X[list(data.X.columns[::-1])]
    pipe.fit(shuffled, data.Y)
    np.testing.assert_allclose(
        pipe.predict(shuffled), _smt(encoder).fit(data.X, data.Y).predict(data.X)
    )

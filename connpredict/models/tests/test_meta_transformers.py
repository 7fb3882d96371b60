"""DecayResidualRegressor and the region-feature transformers: numbers, leakage."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline

from connpredict.datasets import make_synthetic_connectome
from connpredict.metrics import get_scorer
from connpredict.models import (
    BilinearRegressor,
    CGERegressor,
    DecayResidualRegressor,
    ExponentialDecayRegressor,
    TopVarianceGenes,
    TranscriptomePCA,
)
from connpredict.models._rules import fit_exponential_decay


@pytest.fixture(scope="module")
def data():
    return make_synthetic_connectome(n_regions=40, n_genes=15, random_state=2)


def _split(n=40):
    return np.arange(28), np.arange(28, n)


def _scramble_outside_train(Y, train, seed=0):
    """Y.iloc[train] with every column of a held-out region scrambled."""
    rng = np.random.default_rng(seed)
    Yt = Y.iloc[train].copy()
    held = ~Y.columns.isin(Y.index[train])
    Yt.loc[:, held] = rng.normal(size=(len(train), int(held.sum())))
    return Yt


# -- DecayResidualRegressor ------------------------------------------------------------
def test_decay_residual_matches_manual_two_step(data):
    X, Y = data.X, data.Y
    train, test = _split()
    Xtr, Xte = X.iloc[train], X.iloc[test]
    model = DecayResidualRegressor(BilinearRegressor(encoder=None, alpha=1.0))
    model.fit(Xtr, Y.iloc[train])
    # the decay, fitted directly on the training pairs (mirrored distances)
    c = Xtr[["x", "y", "z"]].to_numpy().copy()
    c[:, 0] = np.abs(c[:, 0])
    D = np.linalg.norm(c[:, None] - c[None], axis=2)
    iu = np.triu_indices(len(train), 1)
    Ytr = Y.iloc[train, train].to_numpy()
    lam, offset = fit_exponential_decay(D[iu], Ytr[iu])
    assert model.decay_.lambda_ == pytest.approx(lam)
    assert model.decay_.offset_ == pytest.approx(offset)
    decay_tr = offset + (1 - offset) * np.exp(-D / lam)
    residual = Ytr - decay_tr
    np.fill_diagonal(residual, 0.0)
    inner = BilinearRegressor(encoder=None, alpha=1.0).fit(
        Xtr, pd.DataFrame(residual, Xtr.index, Xtr.index)
    )
    ce = Xte[["x", "y", "z"]].to_numpy().copy()
    ce[:, 0] = np.abs(ce[:, 0])
    De = np.linalg.norm(ce[:, None] - ce[None], axis=2)
    expected = offset + (1 - offset) * np.exp(-De / lam) + inner.predict(Xte).to_numpy()
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(model.predict(Xte).to_numpy(), expected, atol=1e-10)
    # test x train block too
    cross = model.predict(Xte, Xtr).to_numpy()
    Dc = np.linalg.norm(ce[:, None] - c[None], axis=2)
    np.testing.assert_allclose(
        cross,
        offset + (1 - offset) * np.exp(-Dc / lam) + inner.predict(Xte, Xtr).to_numpy(),
        atol=1e-10,
    )


def test_decay_residual_uses_train_pairs_only(data):
    X, Y = data.X, data.Y
    train, test = _split()
    a = DecayResidualRegressor(CGERegressor()).fit(X.iloc[train], Y.iloc[train])
    b = DecayResidualRegressor(CGERegressor()).fit(
        X.iloc[train], _scramble_outside_train(Y, train)
    )
    np.testing.assert_array_equal(
        a.predict(X.iloc[test]).to_numpy(), b.predict(X.iloc[test]).to_numpy()
    )
    # and the residual is what the inner model was fitted to
    assert a.regressor_.X_train_.index.equals(X.index[train])


def test_decay_residual_params_and_clone(data):
    inner = BilinearRegressor(encoder=None)
    model = DecayResidualRegressor(inner, decay=ExponentialDecayRegressor(mirror=False))
    assert model.get_params()["decay__mirror"] is False
    model.fit(data.X.iloc[:28], data.Y.iloc[:28])
    assert not hasattr(inner, "coef_")  # the caller's estimator is not fitted
    assert model.decay_.mirror is False


def test_decay_residual_in_cross_validation(data):
    cv = KFold(4, shuffle=True, random_state=0)
    scores = cross_val_score(DecayResidualRegressor(), data.X, data.Y, cv=cv)
    assert np.all(np.isfinite(scores)) and scores.mean() > 0.2


# -- TranscriptomePCA ------------------------------------------------------------------
def test_transcriptome_pca_matches_numpy_svd(data):
    X = data.X
    train, test = _split()
    genes = X.columns[:-3]
    pca = TranscriptomePCA(n_components=4).fit(X.iloc[train])
    G = X.iloc[train][genes].to_numpy()
    mu = G.mean(axis=0)
    _, _, Vt = np.linalg.svd(G - mu, full_matrices=False)
    out = pca.transform(X.iloc[test])
    assert out.index.equals(X.index[test])
    assert list(out.columns) == ["pc1", "pc2", "pc3", "pc4", "x", "y", "z"]
    expected = (X.iloc[test][genes].to_numpy() - mu) @ Vt[:4].T
    # components are defined up to sign
    got = out.iloc[:, :4].to_numpy()
    signs = np.sign(np.sum(got * expected, axis=0))
    np.testing.assert_allclose(got, expected * signs, atol=1e-10)
    np.testing.assert_array_equal(
        out[["x", "y", "z"]].to_numpy(), X.iloc[test][["x", "y", "z"]].to_numpy()
    )


def test_transcriptome_pca_variance_fraction(data):
    X = data.X.iloc[:28]
    pca = TranscriptomePCA(n_components=0.9).fit(X)
    G = X.iloc[:, :-3].to_numpy()
    s = np.linalg.svd(G - G.mean(0), compute_uv=False)
    frac = np.cumsum(s**2) / np.sum(s**2)
    assert pca.n_components_ == int(np.searchsorted(frac, 0.9) + 1)


def test_transcriptome_pca_no_leak_in_pipeline(data):
    """Scrambling held-out rows of X changes nothing fitted on training rows."""
    X, Y = data.X, data.Y
    train, test = _split()
    rng = np.random.default_rng(0)
    X2 = X.copy()
    X2.iloc[test, :-3] = rng.normal(size=(len(test), X.shape[1] - 3))
    Y2 = Y.copy()
    Y2.iloc[test] = rng.normal(size=(len(test), Y.shape[1]))
    model = make_pipeline(TranscriptomePCA(5), BilinearRegressor(encoder=None))
    a = model.fit(X.iloc[train], Y.iloc[train])
    comps = a[0].pca_.components_.copy()
    pred_a = a.predict(X.iloc[train[:10]]).to_numpy()
    b = make_pipeline(TranscriptomePCA(5), BilinearRegressor(encoder=None))
    b.fit(X2.iloc[train], _scramble_outside_train(Y2, train))
    np.testing.assert_array_equal(b[0].pca_.components_, comps)
    np.testing.assert_array_equal(b.predict(X2.iloc[train[:10]]).to_numpy(), pred_a)
    # each held-out region's features depend on its own expression only
    t = a[0].transform(X.iloc[test])
    t_sub = a[0].transform(X.iloc[test[:3]])
    np.testing.assert_allclose(t_sub.to_numpy(), t.iloc[:3].to_numpy(), atol=1e-12)


def test_transcriptome_pca_errors(data):
    with pytest.raises(ValueError, match="n_components"):
        TranscriptomePCA(n_components=1.5).fit(data.X)
    with pytest.raises(ValueError, match="exceeds"):
        TranscriptomePCA(n_components=50).fit(data.X.iloc[:10])
    with pytest.raises(ValueError, match=r"only\s+coordinates"):
        TranscriptomePCA(2).fit(data.X[["x", "y", "z"]])


# -- TopVarianceGenes ------------------------------------------------------------
def test_top_variance_genes_selects_on_training_regions(data):
    X = data.X
    train, test = _split()
    sel = TopVarianceGenes(n_genes=5).fit(X.iloc[train])
    var = X.iloc[train, :-3].var(axis=0, ddof=0)
    top = set(var.sort_values(ascending=False).index[:5])
    out = sel.transform(X.iloc[test])
    assert list(out.columns[:5]) == [g for g in X.columns[:-3] if g in top]
    assert list(out.columns[5:]) == ["x", "y", "z"]
    np.testing.assert_array_equal(out.to_numpy(), X.iloc[test][list(out.columns)])
    # held-out rows play no part
    X2 = X.copy()
    X2.iloc[test, :-3] = 1e3 * np.random.default_rng(1).normal(size=(12, 15))
    again = TopVarianceGenes(n_genes=5).fit(X2.iloc[train])
    np.testing.assert_array_equal(again.support_, sel.support_)
    with pytest.raises(ValueError, match="n_genes"):
        TopVarianceGenes(n_genes=0).fit(X)


def test_pipeline_scored_on_test_all_pairs(data):
    """A PCA pipeline: test x train pairs predicted on transformed features."""
    X, Y = data.X, data.Y
    train, test = _split()
    model = make_pipeline(TranscriptomePCA(4), BilinearRegressor(encoder=None))
    model.fit(X.iloc[train], Y.iloc[train])
    pca, reg = model[0], model[-1]
    Zte, Ztr = pca.transform(X.iloc[test]), pca.transform(X.iloc[train])
    P_tt = reg.predict(Zte).to_numpy()
    P_tr = reg.predict(Zte, Ztr).to_numpy()
    iu = np.triu_indices(len(test), 1)
    t = np.concatenate(
        [Y.iloc[test, test].to_numpy()[iu], Y.iloc[test, train].to_numpy().ravel()]
    )
    p = np.concatenate([P_tt[iu], P_tr.ravel()])
    got = get_scorer("pearson_r", pairs="test-all")(model, X.iloc[test], Y.iloc[test])
    assert got == pytest.approx(np.corrcoef(t, p)[0, 1])
    # test-test through the pipeline's own predict is unchanged
    tt = get_scorer("pearson_r")(model, X.iloc[test], Y.iloc[test])
    assert tt == pytest.approx(
        np.corrcoef(Y.iloc[test, test].to_numpy()[iu], P_tt[iu])[0, 1]
    )

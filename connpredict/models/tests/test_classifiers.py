"""Connectome classifiers on binarised connectomes: numbers, scorers, nulls."""

import io

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold, cross_validate

from connpredict.datasets import make_synthetic_connectome
from connpredict.metrics import get_scorer
from connpredict.model_selection import SpatialSplit
from connpredict.models import (
    BilinearClassifier,
    PairMLPClassifier,
    SMTClassifier,
)
from connpredict.nulls import spin_test


@pytest.fixture(scope="module")
def data():
    ds = make_synthetic_connectome(n_regions=40, n_genes=12, random_state=4)
    iu = np.triu_indices(40, 1)
    threshold = np.quantile(ds.Y.to_numpy()[iu], 0.7)
    ds.Yb = (ds.Y > threshold).astype(float)
    return ds


def _tiny(cls, **kw):
    common = dict(max_iter=3, n_ensemble=1, batch_size=64, random_state=0)
    if cls is SMTClassifier:
        common.update(token_size=2, d_model=8, n_heads=2, n_layers=1, head_dims=(8,))
    else:
        common.update(hidden_dims=(16,), head_dims=(8,), embedding_dim=4)
    common.update(kw)
    return cls(**common)


def test_bilinear_classifier_is_the_penalised_bce_optimum(data):
    """At the fit, the gradient of the L2-penalised BCE vanishes (numpy)."""
    X, Yb = data.X, data.Yb
    train = np.arange(30)
    alpha = 0.5
    clf = BilinearClassifier(n_components=4, alpha=alpha, max_iter=5000)
    clf.fit(X.iloc[train], Yb.iloc[train])
    # embedding from a numpy PCA of the training genes, unit variance
    G = X.iloc[train, :-3].to_numpy()
    mu = G.mean(0)
    _, _, Vt = np.linalg.svd(G - mu, full_matrices=False)
    Z = (G - mu) @ Vt[:4].T
    Z = Z / Z.std(0)
    # pair features of z_i^T W z_j with symmetric W, built pair by pair
    rows, cols = np.triu_indices(30, 1)
    feats = []
    for i, j in zip(rows, cols):
        f = []
        for a in range(4):
            for b in range(a, 4):
                v = Z[i, a] * Z[j, b]
                if a != b:
                    v += Z[i, b] * Z[j, a]
                f.append(v)
        feats.append(f)
    F = np.array(feats)
    y = Yb.iloc[train, train].to_numpy()[rows, cols]
    a_idx, b_idx = np.triu_indices(4)
    # principal axes are defined up to sign: express W in our axes
    signs = np.sign(np.sum(Vt[:4] * clf.pca_.components_, axis=1))
    W = signs[:, None] * clf.coef_ * signs[None, :]
    w = W[a_idx, b_idx]
    logits = F @ w + clf.intercept_
    P = clf.predict_proba(X.iloc[train]).to_numpy()[rows, cols]
    p = 1 / (1 + np.exp(-logits))
    np.testing.assert_allclose(P, p, atol=1e-8)
    grad_w = F.T @ (p - y) + alpha * w
    grad_b = np.sum(p - y)
    scale = np.abs(F.T @ y).max()
    assert np.abs(grad_w).max() < 1e-3 * scale
    assert abs(grad_b) < 1e-3 * len(y)
    # symmetric in the two regions, and a rectangular block matches
    Pte = clf.predict_proba(X.iloc[30:]).to_numpy()
    np.testing.assert_allclose(Pte, Pte.T)
    cross = clf.predict_proba(X.iloc[30:], X.iloc[train]).to_numpy()
    full = clf.decision_function(X.iloc[30:], X.iloc[train]).to_numpy()
    np.testing.assert_allclose(cross, 1 / (1 + np.exp(-full)))


def test_classes_labels_and_errors(data):
    X = data.X
    Ylab = data.Yb * 3.0 - 1.0  # classes -1 and 2
    clf = BilinearClassifier(n_components=3).fit(X.iloc[:30], Ylab.iloc[:30])
    np.testing.assert_array_equal(clf.classes_, [-1.0, 2.0])
    labels = clf.predict(X.iloc[30:]).to_numpy()
    assert set(np.unique(labels)) <= {-1.0, 2.0}
    proba = clf.predict_proba(X.iloc[30:]).to_numpy()
    iu = np.triu_indices(10, 1)
    np.testing.assert_array_equal(labels[iu], np.where(proba[iu] >= 0.5, 2.0, -1.0))
    acc = np.mean(labels[iu] == Ylab.iloc[30:, 30:].to_numpy()[iu])
    assert clf.score(X.iloc[30:], Ylab.iloc[30:]) == pytest.approx(acc)
    with pytest.raises(ValueError, match="binary connectome"):
        BilinearClassifier().fit(X, data.Y)
    with pytest.raises(ValueError, match="alpha"):
        BilinearClassifier(alpha=0).fit(X, data.Yb)


def test_classification_scorers_use_probabilities(data):
    X, Yb = data.X, data.Yb
    clf = BilinearClassifier(n_components=4).fit(X.iloc[:28], Yb.iloc[:28])
    P = clf.predict_proba(X.iloc[28:]).to_numpy()
    T = Yb.iloc[28:, 28:].to_numpy()
    iu = np.triu_indices(12, 1)
    auc = roc_auc_score(T[iu], P[iu])
    for name in ("roc_auc", "auc_roc"):
        assert get_scorer(name)(clf, X.iloc[28:], Yb.iloc[28:]) == pytest.approx(auc)
    acc = np.mean((P[iu] >= 0.5) == T[iu])
    assert get_scorer("accuracy")(clf, X.iloc[28:], Yb.iloc[28:]) == pytest.approx(acc)
    # test-all: test x test upper triangle + test x train entries
    C = clf.predict_proba(X.iloc[28:], X.iloc[:28]).to_numpy()
    t = np.concatenate([T[iu], Yb.iloc[28:, :28].to_numpy().ravel()])
    p = np.concatenate([P[iu], C.ravel()])
    got = get_scorer("roc_auc", pairs="test-all")(clf, X.iloc[28:], Yb.iloc[28:])
    assert got == pytest.approx(roc_auc_score(t, p))


def test_classifier_with_splitters_and_cross_validate(data):
    X, Yb = data.X, data.Yb
    cv = SpatialSplit(n_splits=4, random_state=0)
    out = cross_validate(
        BilinearClassifier(n_components=4, use_distance=True),
        X,
        Yb,
        cv=cv,
        scoring=get_scorer(["roc_auc", "accuracy"]),
    )
    for k, (train, test) in enumerate(cv.split(X, Yb)):
        clf = BilinearClassifier(n_components=4, use_distance=True)
        clf.fit(X.iloc[train], Yb.iloc[train])
        P = clf.predict_proba(X.iloc[test]).to_numpy()
        T = Yb.iloc[test, test].to_numpy()
        iu = np.triu_indices(len(test), 1)
        assert out["test_roc_auc"][k] == pytest.approx(roc_auc_score(T[iu], P[iu]))
    assert np.mean(out["test_roc_auc"]) > 0.6


def test_classifier_in_spin_test(data):
    X, Yb = data.X, data.Yb
    rng = np.random.default_rng(0)
    perms = np.array([rng.permutation(40) for _ in range(3)])
    cv = KFold(3, shuffle=True, random_state=0)
    res = spin_test(
        BilinearClassifier(n_components=3),
        X,
        Yb,
        cv=cv,
        scoring="roc_auc",
        permutations=perms,
        random_state=0,
    )
    scorer = get_scorer("roc_auc")

    def cv_score(Xk):
        return np.mean(
            cross_validate(
                BilinearClassifier(n_components=3), Xk, Yb, cv=cv, scoring=scorer
            )["test_score"]
        )

    assert res.score == pytest.approx(cv_score(X))
    Xp = X.copy()
    Xp.iloc[:, :-3] = X.iloc[:, :-3].to_numpy()[perms[1]]
    assert res.null_scores[1] == pytest.approx(cv_score(Xp))
    assert 0 < res.pvalue <= 1


@pytest.mark.parametrize("cls", [PairMLPClassifier, SMTClassifier])
def test_neural_classifiers_train_with_bce(cls, data):
    X, Yb = data.X, data.Yb
    clf = _tiny(cls).fit(X.iloc[:30], Yb.iloc[:30])
    assert isinstance(clf.net_.criterion_, torch.nn.BCEWithLogitsLoss)
    assert (clf.y_mean_, clf.y_scale_) == (0.0, 1.0)
    np.testing.assert_array_equal(clf.classes_, [0.0, 1.0])
    logits = clf.decision_function(X.iloc[30:]).to_numpy()
    proba = clf.predict_proba(X.iloc[30:]).to_numpy()
    off = ~np.eye(10, dtype=bool)
    np.testing.assert_allclose(proba[off], 1 / (1 + np.exp(-logits[off])), rtol=1e-6)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba, proba.T, atol=1e-7)
    # the training loss is the BCE of the 0/1 pairs (checked on one batch)
    rows, cols = np.triu_indices(30, 1)
    P = clf.predict_proba(X.iloc[:30]).to_numpy()[rows, cols]
    y = Yb.iloc[:30, :30].to_numpy()[rows, cols]
    bce = -np.mean(y * np.log(P) + (1 - y) * np.log(1 - P))
    assert np.isfinite(bce) and bce < 1.5
    # saving and loading keeps the classes and the probabilities
    buf = io.BytesIO()
    clf.save_weights(buf)
    buf.seek(0)
    again = _tiny(cls).load_weights(buf)
    np.testing.assert_array_equal(again.classes_, clf.classes_)
    np.testing.assert_allclose(
        again.predict_proba(X.iloc[30:]).to_numpy(), proba, atol=1e-6
    )


def test_neural_classifier_learns_an_easy_target():
    ds = make_synthetic_connectome(n_regions=40, n_genes=8, random_state=0)
    X = ds.X
    # connected iff the first gene's values of the two regions sum above 0
    g = X.iloc[:, 0].to_numpy() - np.median(X.iloc[:, 0])
    Yb = pd.DataFrame((g[:, None] + g[None, :] > 0) * 1.0, X.index, X.index)
    clf = _tiny(PairMLPClassifier, max_iter=40, hidden_dims=(32,), lr=3e-3)
    clf.set_params(n_iter_no_change=None)
    clf.fit(X.iloc[:30], Yb.iloc[:30])
    losses = clf.history_[:, "train_loss"]
    assert losses[-1] < 0.5 * losses[0]
    iu = np.triu_indices(10, 1)
    y = Yb.iloc[30:, 30:].to_numpy()[iu]
    majority = max(y.mean(), 1 - y.mean())
    assert clf.score(X.iloc[30:], Yb.iloc[30:]) > majority


def test_neural_classifier_refuses_clamp(data):
    with pytest.raises(ValueError, match="clamp=None"):
        _tiny(SMTClassifier, clamp=(-1.0, 1.0)).fit(data.X.iloc[:20], data.Yb.iloc[:20])


def test_smt_classifier_research_recipe_builds(data):
    from connpredict.models import RESEARCH_PARAMS

    params = {**RESEARCH_PARAMS["smt"], "clamp": None}
    params.update(token_size=4, max_iter=1, batch_size=64, random_state=0)
    params.update(n_iter_no_change=None, lr_schedule=None)
    clf = SMTClassifier(**params).fit(data.X.iloc[:24], data.Yb.iloc[:24])
    proba = clf.predict_proba(data.X.iloc[24:]).to_numpy()
    assert proba.shape == (16, 16) and np.all((proba >= 0) & (proba <= 1))

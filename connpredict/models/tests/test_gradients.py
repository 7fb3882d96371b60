"""Diffusion-map gradients, their transfer by position, and gradient positioning."""

import os
import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from connpredict.datasets import make_synthetic_connectome
from connpredict.models import (
    PairMLPRegressor,
    SMTRegressor,
    diffusion_map_embedding,
    region_gradients,
)
from connpredict.models import _gradients as gradients_module
from connpredict.models._gradients import DiffusionMap
from connpredict.nulls import spin_test


def _connectome(n=40, seed=0):
    rng = np.random.default_rng(seed)
    A = np.corrcoef(
        rng.normal(size=(n, 3)) @ rng.normal(size=(3, 80)) + rng.normal(size=(n, 80))
    )
    np.fill_diagonal(A, 0.0)
    return A


def _direct_diffusion_map(A, k, alpha=0.5, sparsity=0.9, t=0):
    """Diffusion map by the textbook route, with loops and a non-symmetric eig."""
    n = A.shape[0]
    keep = int(n * (1 - sparsity))
    S = np.zeros_like(A)
    for i in range(n):
        top = np.argsort(A[i], kind="stable")[n - keep :]
        S[i, top] = A[i, top]
    W = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            cos = S[i] @ S[j] / (np.linalg.norm(S[i]) * np.linalg.norm(S[j]))
            W[i, j] = max(0.0, 1 - np.arccos(min(1.0, max(-1.0, cos))) / np.pi)
    d = W.sum(axis=1)
    Wa = W / np.outer(d**alpha, d**alpha)
    P = Wa / Wa.sum(axis=1, keepdims=True)  # the Markov matrix itself
    w, v = scipy.linalg.eig(P)
    order = np.argsort(-w.real)
    w, v = w.real[order], v.real[:, order]
    v = v / np.linalg.norm(v, axis=0) * np.sqrt(n)
    v = v / v[:, [0]]
    lam = w[1 : k + 1]
    scale = lam / (1 - lam) if t == 0 else lam**t
    emb = v[:, 1 : k + 1] * scale
    for c in range(k):
        emb[:, c] *= np.sign(emb[np.argmax(np.abs(emb[:, c])), c])
    return emb, scale


@pytest.mark.parametrize("t", [0, 2])
def test_diffusion_map_matches_direct_eigendecomposition(t):
    A = _connectome()
    emb, lam = diffusion_map_embedding(
        A, n_components=4, diffusion_time=t, return_eigenvalues=True
    )
    ref, ref_lam = _direct_diffusion_map(A, 4, t=t)
    np.testing.assert_allclose(lam, ref_lam, rtol=1e-8)
    np.testing.assert_allclose(emb, ref, atol=1e-8)
    # ordered by decreasing eigenvalue, largest-magnitude entry positive
    assert np.all(np.diff(lam) <= 0)
    assert np.all(emb[np.abs(emb).argmax(axis=0), range(4)] > 0)


def test_diffusion_map_agrees_with_brainspace():
    gradient = pytest.importorskip("brainspace.gradient")
    A = _connectome(n=60, seed=3)
    gm = gradient.GradientMaps(n_components=3, random_state=0).fit(A)
    emb, lam = diffusion_map_embedding(A, n_components=3, return_eigenvalues=True)
    # BrainSpace runs a symmetric Lanczos solver on the non-symmetric Markov
    # matrix, so agreement is close but not exact
    np.testing.assert_allclose(lam, gm.lambdas_, rtol=2e-2)
    for c in range(3):
        assert np.corrcoef(emb[:, c], gm.gradients_[:, c])[0, 1] > 0.99


def test_nystrom_reproduces_fitted_points_and_is_a_markov_average():
    A = _connectome()
    dm = DiffusionMap(n_components=3).fit(A[:30, :30])
    np.testing.assert_allclose(dm.transform(A[:30, :30]), dm.embedding_, atol=1e-10)
    # a new point: gradient k = sum_j P(new, j) psi_k(j) / lambda_k * scale_k
    new = A[30:32, :30]
    out = dm.transform(new)
    keep = int(30 * (1 - 0.9))  # 2: BrainSpace's rounding of 10 %
    psi = dm.embedding_ / dm.scales_
    for r in range(2):
        row = new[r].copy()
        row[np.argsort(row, kind="stable")[: 30 - keep]] = 0.0
        K = np.array(
            [
                1
                - np.arccos(
                    np.clip(row @ s / (np.linalg.norm(row) * np.linalg.norm(s)), -1, 1)
                )
                / np.pi
                for s in dm._rows
            ]
        )
        Wa = K / (K.sum() ** 0.5 * dm._degree**0.5)
        P = Wa / Wa.sum()
        np.testing.assert_allclose(
            out[r], P @ psi / dm.eigenvalues_ * dm.scales_, atol=1e-10
        )


def test_diffusion_map_bad_input():
    with pytest.raises(ValueError, match="square"):
        diffusion_map_embedding(np.ones((3, 4)))
    with pytest.raises(ValueError, match="n_components"):
        diffusion_map_embedding(_connectome(n=10), n_components=9)
    A = _connectome(n=10)
    A[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        diffusion_map_embedding(A, n_components=2)


# -- transfer by position ------------------------------------------------------
@pytest.fixture
def fake_reference(monkeypatch):
    ref_xyz = np.array([[0.0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]])
    ref_g = np.array([[1.0, -1], [2, 0], [3, 1], [4, 2]])

    def fake(source, n_gradients, data_home):
        return ref_xyz, ref_g[:, :n_gradients]

    monkeypatch.setattr(gradients_module, "_reference_embedding", fake)
    return ref_xyz, ref_g


def test_region_gradients_nearest_and_weighted(fake_reference):
    ref_xyz, ref_g = fake_reference
    regions = pd.DataFrame(
        {"x": [1.0, 9, 0], "y": [0.0, 1, 4], "z": [0.0, 0, 4]}, index=["a", "b", "c"]
    )
    near = region_gradients(regions, n_gradients=2)
    np.testing.assert_array_equal(near.to_numpy(), ref_g[[0, 1, 0]])
    assert list(near.index) == ["a", "b", "c"]
    wtd = region_gradients(regions, n_gradients=2, method="weighted", n_neighbors=2)
    for i, p in enumerate(regions.to_numpy()):
        d = np.linalg.norm(ref_xyz - p, axis=1)
        nn = np.argsort(d)[:2]
        w = 1 / np.maximum(d[nn], 1.0)
        np.testing.assert_allclose(wtd.iloc[i], w @ ref_g[nn] / w.sum())


def test_region_gradients_name_uncovered_regions(fake_reference):
    regions = pd.DataFrame(
        {"x": [1.0, 80], "y": [0.0, 0], "z": [0.0, 0]}, index=["ok", "cerebellum_9"]
    )
    with pytest.raises(ValueError, match=r"does not cover 1 region.*cerebellum_9"):
        region_gradients(regions)
    with pytest.raises(ValueError, match="MNI coordinates"):
        region_gradients(regions[["x"]])


# -- estimators ----------------------------------------------------------------
@pytest.fixture(scope="module")
def ds():
    return make_synthetic_connectome(n_regions=34, n_genes=16, random_state=0)


def _smt(**kw):
    return SMTRegressor(
        token_size=8,
        d_model=8,
        n_heads=2,
        head_dims=(8,),
        max_iter=2,
        n_ensemble=1,
        random_state=0,
        **kw,
    )


def _mlp(**kw):
    return PairMLPRegressor(
        hidden_dims=(8,), max_iter=2, n_ensemble=1, random_state=0, **kw
    )


@pytest.mark.parametrize("make", [_smt, _mlp])
@pytest.mark.parametrize("mode", ["gradients", "both"])
def test_gradients_never_see_the_fold_target(make, mode, ds, assert_no_leakage):
    assert_no_leakage(
        lambda: make(region_position=mode, gradients="expression", n_gradients=2),
        ds.X,
        ds.Y,
    )


@pytest.fixture
def grid_reference(monkeypatch):
    """A fake reference: a 10 mm grid over the brain with random gradients."""
    axis = np.arange(-80.0, 81.0, 10.0)
    xyz = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    grads = np.random.default_rng(0).normal(size=(len(xyz), 3))
    monkeypatch.setattr(
        gradients_module, "_reference_embedding", lambda s, k, h: (xyz, grads[:, :k])
    )
    return xyz, grads


@pytest.mark.parametrize("make", [_smt, _mlp])
def test_reference_gradients_never_see_the_fold_target(
    make, ds, grid_reference, assert_no_leakage
):
    xyz, grads = grid_reference
    est = make(region_position="gradients", gradients="lemon-fc", n_gradients=2)
    est.fit(ds.X, ds.Y)
    _, pos = est._tensors(ds.X)
    c = ds.X[["x", "y", "z"]].to_numpy()
    nearest = np.argmin(((c[:, None] - xyz[None]) ** 2).sum(-1), axis=1)
    g = grads[nearest, :2]
    sg = np.sqrt(((g - g.mean(0)) ** 2).sum(1).mean())
    np.testing.assert_allclose(pos.numpy(), (g - g.mean(0)) / sg, atol=1e-5)
    assert_no_leakage(
        lambda: make(region_position="both", gradients="hcp-sc"), ds.X, ds.Y
    )


@pytest.mark.parametrize("make", [_smt, _mlp])
def test_reference_not_covering_the_regions_names_them(make, ds, grid_reference):
    X = ds.X.copy()
    far = X.index[[3, 7]]
    X.loc[far, "x"] = 200.0  # 120 mm outside the reference grid
    est = make(region_position="gradients", gradients="lemon-fc", n_gradients=2)
    pattern = rf"'lemon-fc' does not cover 2 region.*'{far[0]}', '{far[1]}'"
    with pytest.raises(ValueError, match=pattern):
        est.fit(X, ds.Y)
    # fitted on covered regions, it refuses to place uncovered new ones
    est.fit(ds.X.iloc[:26], ds.Y.iloc[:26])
    with pytest.raises(ValueError, match=rf"does not cover 1 region.*'{far[0]}'"):
        est.predict(X.loc[[far[0], *ds.X.index[26:]]])


def test_expression_gradients_use_training_regions_only(ds):
    tr, te = ds.X.index[:26], ds.X.index[26:]
    est = _mlp(region_position="gradients", gradients="expression", n_gradients=2)
    est.fit(ds.X.loc[tr], ds.Y.loc[tr])
    genes = ds.X.loc[tr].drop(columns=["x", "y", "z"]).to_numpy()
    z = (genes - genes.mean(0)) / genes.std(0)
    expected = diffusion_map_embedding(np.corrcoef(z), n_components=2)
    np.testing.assert_allclose(est.gradient_model_.embedding_, expected, atol=1e-8)
    # held-out expression changes their own positions, never the fitted model
    X2 = ds.X.copy()
    X2.loc[te, X2.columns[:16]] = X2.loc[te, X2.columns[:16]].to_numpy()[::-1]
    before = est.predict(ds.X.loc[tr])
    assert np.array_equal(est.predict(X2.loc[tr]), before)
    _, pos = est._tensors(X2.loc[te])
    gte = (
        X2.loc[te].drop(columns=["x", "y", "z"]).to_numpy() - genes.mean(0)
    ) / genes.std(0)
    rows = np.array([[np.corrcoef(a, b)[0, 1] for b in z] for a in gte])
    g = est.gradient_model_.transform(rows)
    np.testing.assert_allclose(
        pos.numpy(), (g - est.coord_mean_) / est.coord_scale_, atol=1e-5
    )


def test_user_gradients_and_positions(ds):
    G = pd.DataFrame(np.random.default_rng(0).normal(size=(34, 3)), index=ds.X.index)
    est = _smt(cls="coords", region_position="both", gradients=G, n_gradients=2)
    est.fit(ds.X.iloc[:26], ds.Y.iloc[:26])
    assert est.position_dims_ == (3, 2)
    assert est.module_.cls_embed.in_features == 5
    assert est.module_.head.mlp[0].in_features == 3 * est.module_.embedding_dim + 2
    _, pos = est._tensors(ds.X.iloc[26:])
    tr = ds.X.iloc[:26]
    c = tr[["x", "y", "z"]].to_numpy()
    g = G.iloc[:26, :2].to_numpy()
    sc = np.sqrt(((c - c.mean(0)) ** 2).sum(1).mean())
    sg = np.sqrt(((g - g.mean(0)) ** 2).sum(1).mean())
    want = np.hstack(
        [
            (ds.X.iloc[26:][["x", "y", "z"]].to_numpy() - c.mean(0)) / sc,
            (G.iloc[26:, :2].to_numpy() - g.mean(0)) / sg,
        ]
    )
    np.testing.assert_allclose(pos.numpy(), want, atol=1e-5)
    # two distances (space, gradients) in the concat MLP's first layer
    mlp = _mlp(region_position="both", gradients=G).fit(ds.X.iloc[:26], ds.Y.iloc[:26])
    assert mlp.module_.dist_proj.in_features == 2


def test_default_is_xyz_and_unchanged(ds):
    a = _smt().fit(ds.X.iloc[:26], ds.Y.iloc[:26]).predict(ds.X)
    b = (
        _smt(region_position="xyz", gradients="bogus-not-read")
        .fit(ds.X.iloc[:26], ds.Y.iloc[:26])
        .predict(ds.X)
    )
    assert np.array_equal(a.to_numpy(), b.to_numpy())


def test_gradient_positioning_bad_input(ds):
    G = pd.DataFrame(np.ones((30, 3)), index=ds.X.index[:30])
    with pytest.raises(ValueError, match=rf"no row for 4 region.*'{ds.X.index[30]}'"):
        _mlp(region_position="gradients", gradients=G).fit(ds.X, ds.Y)
    with pytest.raises(ValueError, match="region_position must be"):
        _mlp(region_position="gradient").fit(ds.X, ds.Y)
    with pytest.raises(ValueError, match="gradients must be one of"):
        _mlp(region_position="gradients", gradients="ukbb").fit(ds.X, ds.Y)
    with pytest.raises(ValueError, match="n_gradients"):
        _mlp(region_position="gradients", gradients=G, n_gradients=4).fit(ds.X, ds.Y)
    with pytest.raises(ValueError, match="has no effect"):
        _smt(
            region_position="gradients", gradients="expression", use_distance=False
        ).fit(ds.X, ds.Y)
    X = ds.X.drop(columns=["x", "y", "z"])
    with pytest.raises(ValueError, match="MNI coordinates"):
        _mlp(region_position="gradients", gradients="lemon-fc").fit(X, ds.Y)
    with pytest.raises(ValueError, match="lacks the columns"):
        _mlp(region_position="both", gradients="expression").fit(X, ds.Y)
    est = _mlp(region_position="gradients", gradients="expression").fit(ds.X, ds.Y)
    with pytest.raises(ValueError, match="pickle"):
        est.save_weights(os.devnull)


@pytest.mark.parametrize("make", [_mlp, _smt])
def test_gradient_positioning_in_sklearn_tools(ds, make):
    est = make(region_position="both", gradients="expression", n_gradients=2)
    cv = KFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(est, ds.X, ds.Y, cv=cv)
    assert np.all(np.isfinite(scores))
    # a grid cell equals cross_val_score with that value
    gs = GridSearchCV(clone(est), {"n_gradients": [1, 2]}, cv=cv).fit(ds.X, ds.Y)
    np.testing.assert_allclose(gs.cv_results_["mean_test_score"][1], scores.mean())
    pipe = make_pipeline(FunctionTransformer(), clone(est)).fit(ds.X, ds.Y)
    fitted = clone(est).fit(ds.X, ds.Y)
    np.testing.assert_allclose(pipe.predict(ds.X), fitted.predict(ds.X))
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(ds.X), fitted.predict(ds.X))
    rng = np.random.default_rng(0)
    perms = np.array([rng.permutation(34) for _ in range(2)])
    res = spin_test(est, ds.X, ds.Y, cv=cv, permutations=perms, random_state=0)
    assert res.score == pytest.approx(scores.mean())
    assert len(res.null_scores) == 2


@pytest.mark.realdata
def test_reference_gradients_on_real_atlas():
    from connpredict.datasets import load_dataset, load_reference_connectome

    ref = load_reference_connectome("lemon-fc")
    assert ref.connectome.shape == (391, 391)
    assert list(ref.regions.columns) == ["x", "y", "z"]
    X = load_dataset("hcp-schaefer100").X
    for source in ("lemon-fc", "hcp-sc"):
        g = region_gradients(X, source, n_gradients=3)
        assert g.shape == (114, 3) and np.all(np.isfinite(g.to_numpy()))
    gm = (
        pytest.importorskip("brainspace.gradient")
        .GradientMaps(n_components=3, random_state=0)
        .fit(ref.connectome.to_numpy())
    )
    emb = diffusion_map_embedding(ref.connectome.to_numpy(), 3)
    for c in range(3):
        assert np.corrcoef(emb[:, c], gm.gradients_[:, c])[0, 1] > 0.999


def test_classifiers_take_gradient_positions(ds):
    from connpredict.models import PairMLPClassifier

    Yb = (ds.Y > 0.3).astype(float)
    clf = PairMLPClassifier(
        hidden_dims=(8,),
        max_iter=2,
        n_ensemble=1,
        random_state=0,
        region_position="both",
        gradients="expression",
        n_gradients=2,
    ).fit(ds.X.iloc[:26], Yb.iloc[:26])
    assert clf.position_dims_ == (3, 2)
    proba = clf.predict_proba(ds.X.iloc[26:]).to_numpy()
    assert proba.shape == (8, 8) and np.all((proba >= 0) & (proba <= 1))

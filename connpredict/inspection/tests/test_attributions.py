import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression

from connpredict.datasets import make_synthetic_connectome
from connpredict.inspection import (
    bilinear_attributions,
    integrated_gradients,
    pls_loadings,
)
from connpredict.models import BilinearRegressor, PLSBilinearRegressor


@pytest.fixture(scope="module")
def ds():
    return make_synthetic_connectome(n_regions=30, n_genes=8, random_state=0)


MODELS = [
    BilinearRegressor(encoder=None, alpha=1.0, linear_terms=False),
    BilinearRegressor(encoder=None, alpha=1.0, linear_terms=True),
    BilinearRegressor(encoder="pca", n_components=4, alpha=0.5),
    BilinearRegressor(encoder="pca", n_components=5, alpha=0.5, rank=2, max_iter=5),
    PLSBilinearRegressor(n_components=3, alpha=0.5),
    PLSBilinearRegressor(n_components=3),
    PLSBilinearRegressor(n_components=3, projection="rotations"),
]


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_gene_form_reproduces_predictions(ds, model):
    """u_i^T G u_j + l^T u_i + l^T u_j + c equals predict on every pair."""
    train, test = ds.X.iloc[:20], ds.X.iloc[20:]
    model.fit(train, ds.Y.iloc[:20])
    res = bilinear_attributions(model, n_interactions=None)
    genes = list(ds.genes)
    G = res.interactions.loc[genes, genes].to_numpy()
    F = res.factor.to_numpy()
    np.testing.assert_allclose(G, F @ res.core @ F.T, atol=1e-10)
    U = test[genes].to_numpy() - res.center.to_numpy()
    lin = res.main_effects.to_numpy()
    manual = U @ G @ U.T + (U @ lin)[:, None] + (U @ lin)[None, :] + res.offset
    pred = model.predict(test).to_numpy()
    off = ~np.eye(len(test), dtype=bool)
    np.testing.assert_allclose(manual[off], pred[off], rtol=1e-8, atol=1e-8)
    # also the rectangular block against training regions
    U_tr = train[genes].to_numpy() - res.center.to_numpy()
    manual = U @ G @ U_tr.T + (U @ lin)[:, None] + (U_tr @ lin)[None, :] + res.offset
    np.testing.assert_allclose(
        manual, model.predict(test, train).to_numpy(), rtol=1e-8, atol=1e-8
    )


def test_gene_scores_are_rms_of_exact_pair_parts(ds):
    model = BilinearRegressor(encoder="pca", n_components=4, alpha=0.5).fit(ds.X, ds.Y)
    res = bilinear_attributions(model, ds.X, n_interactions=3)
    genes = list(ds.genes)
    G = res.factor.to_numpy() @ res.core @ res.factor.to_numpy().T
    U = ds.X[genes].to_numpy() - res.center.to_numpy()
    H = U @ G
    lin = res.main_effects.to_numpy()
    n = len(U)
    rows, cols = np.triu_indices(n, 1)
    # pairs x genes: half of each interaction term, all of the main effects
    phi = 0.5 * (U[rows] * H[cols] + U[cols] * H[rows]) + lin * (U[rows] + U[cols])
    # the parts add up to the prediction minus the offset
    pred = model.predict(ds.X).to_numpy()[rows, cols]
    np.testing.assert_allclose(phi.sum(1), pred - res.offset, atol=1e-8)
    rms = np.sqrt((phi**2).mean(0))
    np.testing.assert_allclose(res.gene_scores[genes].to_numpy(), rms, rtol=1e-8)
    assert list(res.interactions.index) == list(res.gene_scores.index[:3])


def test_distance_term_reported(ds):
    model = BilinearRegressor(encoder=None, alpha=1.0, use_distance=True).fit(
        ds.X, ds.Y
    )
    res = bilinear_attributions(model)
    assert res.distance_coef == model.coords_coef_
    assert res.distance_length == model.decay_lambda_
    with pytest.raises(TypeError, match="Bilinear"):
        from connpredict.models import ExponentialDecayRegressor

        est = ExponentialDecayRegressor().fit(ds.X, ds.Y)
        est.components_ = None
        bilinear_attributions(est)


def test_pls_loadings_against_direct_fits(ds):
    res = pls_loadings(ds.X, ds.Y, n_components=2, n_bootstraps=30, random_state=0)
    genes = list(ds.genes)
    target = ds.Y.to_numpy().copy()
    n = len(target)
    np.fill_diagonal(target, 0.0)
    np.fill_diagonal(target, target.sum(0) / (n - 1))
    G = ds.X[genes].to_numpy()
    full = PLSRegression(n_components=2).fit(G, target).x_rotations_
    np.testing.assert_allclose(res.weights.to_numpy(), full, atol=1e-10)
    # the first bootstrap: regions drawn by the same stream, sign-aligned
    sample = np.random.RandomState(0).randint(n, size=n)
    boot = PLSRegression(n_components=2).fit(G[sample], target[sample]).x_rotations_
    boot = boot * np.sign((boot * full).sum(0))
    np.testing.assert_allclose(res.bootstrap_weights[0], boot, atol=1e-10)
    low = np.percentile(res.bootstrap_weights, 2.5, axis=0)
    np.testing.assert_allclose(res.ci_low.to_numpy(), low)
    assert np.all(res.ci_low.to_numpy() <= res.ci_high.to_numpy())
    np.testing.assert_allclose(
        res.bootstrap_ratio.to_numpy(),
        full / res.bootstrap_weights.std(0, ddof=1),
    )


def test_integrated_gradients_completeness(ds):
    pytest.importorskip("torch")
    from connpredict.models import PairMLPRegressor

    small = make_synthetic_connectome(n_regions=16, n_genes=5, random_state=0)
    model = PairMLPRegressor(
        hidden_dims=(16,), max_iter=5, n_ensemble=1, random_state=0, dropout=0.0
    ).fit(small.X, small.Y)
    pairs = [[0, 1], [2, 7], [3, 12]]
    coarse = integrated_gradients(model, small.X, pairs, n_steps=8)
    fine = integrated_gradients(model, small.X, pairs, n_steps=512)
    # f(x) is the model's own prediction
    pred = model.predict(small.X).to_numpy()
    np.testing.assert_allclose(
        fine.prediction, [pred[i, j] for i, j in pairs], rtol=1e-4, atol=1e-5
    )
    # completeness: attributions sum to f(x) - f(baseline), up to quadrature
    # error (float32 leaves about 1e-5)
    gap = np.abs(fine.prediction - fine.baseline_prediction)
    assert np.all(np.abs(fine.delta) <= 0.01 * gap + 2e-5)
    np.testing.assert_allclose(
        fine.attributions.sum(axis=1).to_numpy(),
        fine.prediction - fine.baseline_prediction,
        atol=0.01 * gap.max() + 2e-5,
    )
    assert np.abs(fine.delta).mean() < np.abs(coarse.delta).mean() / 5
    assert fine.attributions.shape == (3, 5)
    np.testing.assert_allclose(
        fine.gene_scores[fine.attributions.columns].to_numpy(),
        fine.attributions.abs().mean(axis=0).to_numpy(),
    )


def test_integrated_gradients_smt():
    pytest.importorskip("torch")
    from connpredict.models import SMTRegressor

    small = make_synthetic_connectome(n_regions=16, n_genes=6, random_state=0)
    model = SMTRegressor(
        token_size=2,
        d_model=8,
        n_heads=2,
        n_layers=1,
        head_dims=(8,),
        max_iter=2,
        n_ensemble=1,
        batch_size=64,
        random_state=0,
    ).fit(small.X, small.Y)
    res = integrated_gradients(model, small.X, [[0, 1], [2, 3]], n_steps=128)
    pred = model.predict(small.X).to_numpy()
    np.testing.assert_allclose(res.prediction, pred[[0, 2], [1, 3]], rtol=1e-4)
    gap = np.abs(res.prediction - res.baseline_prediction)
    assert np.all(np.abs(res.delta) <= 0.01 * gap + 1e-4)


def test_integrated_gradients_refuses_models_fed_other_inputs():
    pytest.importorskip("torch")
    from connpredict.models import PairMLPRegressor, pretrain_region_encoder

    small = make_synthetic_connectome(n_regions=16, n_genes=6, random_state=0)
    encoder = pretrain_region_encoder(
        small.X, objective="masked", max_iter=2, random_state=0
    )
    kw = dict(hidden_dims=(8,), max_iter=2, n_ensemble=1, random_state=0)
    model = PairMLPRegressor(encoder=encoder, **kw).fit(small.X, small.Y)
    with pytest.raises(
        ValueError, match=r"encoder=RegionEncoder.*permutation_importance"
    ):
        integrated_gradients(model, small.X, [[0, 1]], n_steps=2)
    gradients = small.X[["x", "y", "z"]] * 0.01  # any per-region table
    model = PairMLPRegressor(
        region_position="gradients", gradients=gradients, **kw
    ).fit(small.X, small.Y)
    with pytest.raises(ValueError, match="region_position='gradients'"):
        integrated_gradients(model, small.X, [[0, 1]], n_steps=2)

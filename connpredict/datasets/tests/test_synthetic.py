import numpy as np
import pytest
from scipy.spatial.distance import pdist, squareform

from connpredict.datasets import load_dataset, make_synthetic_connectome
from connpredict.utils import upper_triangle


@pytest.fixture(scope="module")
def ds():
    return make_synthetic_connectome(n_regions=60, n_genes=50, random_state=3)


def test_shapes_labels_and_symmetry(ds):
    assert ds.X.shape == (60, 53)
    assert list(ds.X.columns[-3:]) == ["x", "y", "z"]
    assert ds.Y.shape == (60, 60)
    assert ds.X.index.equals(ds.Y.index) and ds.Y.index.equals(ds.Y.columns)
    assert ds.regions.index.equals(ds.X.index)
    Y = ds.Y.to_numpy()
    np.testing.assert_array_equal(Y, Y.T)
    np.testing.assert_array_equal(np.diag(Y), 0.0)
    assert np.isfinite(ds.X.to_numpy()).all()
    genes = ds.X[ds.genes].to_numpy()
    assert genes.min() > 0 and genes.max() < 1


def test_hemispheres_follow_x(ds):
    left = ds.regions["hemisphere"] == "L"
    assert (ds.regions.loc[left, "x"] < 0).all()
    assert (ds.regions.loc[~left, "x"] > 0).all()
    assert left.sum() == 30
    norms = np.linalg.norm(ds.regions[["sphere_x", "sphere_y", "sphere_z"]], axis=1)
    np.testing.assert_allclose(norms, 1.0)
    assert set(ds.networks) <= {
        "Vis",
        "SomMot",
        "DorsAttn",
        "SalVentAttn",
        "Limbic",
        "Cont",
        "Default",
    }


def test_deterministic_and_seed_dependent():
    a = make_synthetic_connectome(n_regions=20, n_genes=10, random_state=1)
    b = make_synthetic_connectome(n_regions=20, n_genes=10, random_state=1)
    c = make_synthetic_connectome(n_regions=20, n_genes=10, random_state=2)
    assert a.X.equals(b.X) and a.Y.equals(b.Y)
    assert not a.Y.equals(c.Y)


def test_expression_is_spatially_autocorrelated(ds):
    coords = ds.X[["x", "y", "z"]].to_numpy().copy()
    coords[:, 0] = np.abs(coords[:, 0])
    dist = pdist(coords)
    similarity = upper_triangle(np.corrcoef(ds.X[ds.genes].to_numpy()))
    near = similarity[dist < np.quantile(dist, 0.2)].mean()
    far = similarity[dist > np.quantile(dist, 0.8)].mean()
    assert near > far + 0.2
    assert np.corrcoef(dist, similarity)[0, 1] < -0.3


def test_target_follows_generative_model(ds):
    Y = upper_triangle(ds.Y.to_numpy())
    gt = ds.ground_truth
    terms = {
        k: upper_triangle(gt[k]) for k in ("gene_term", "distance_term", "network_term")
    }
    for term in terms.values():
        assert np.corrcoef(Y, term)[0, 1] > 0.1
    # the gene term is Z W Z^T (standardised)
    raw = gt["Z"] @ gt["W"] @ gt["Z"].T
    assert np.corrcoef(upper_triangle(raw), terms["gene_term"])[0, 1] > 0.999
    # least squares on the three terms explains most of Y (noise=0.1)
    A = np.column_stack([np.ones_like(Y), *terms.values()])
    coef, *_ = np.linalg.lstsq(A, Y, rcond=None)
    resid = Y - A @ coef
    assert 1 - resid.var() / Y.var() > 0.95
    np.testing.assert_allclose(coef[1:] / coef[1:].sum(), [0.5, 0.3, 0.2], atol=0.05)


def test_noise_parameter_controls_fit():
    clean = make_synthetic_connectome(
        n_regions=40, n_genes=20, noise=0.0, random_state=0
    )
    gt = clean.ground_truth
    signal = (
        0.5 * gt["gene_term"] + 0.3 * gt["distance_term"] + 0.2 * gt["network_term"]
    )
    r = np.corrcoef(upper_triangle(clean.Y.to_numpy()), upper_triangle(signal))[0, 1]
    assert r > 0.9999


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_regions": 4}, "n_regions"),
        ({"n_genes": 0}, "n_genes"),
        ({"noise": -1}, "noise"),
        ({"weights": (1, 2)}, "weights"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_synthetic_connectome(**kwargs)


def test_load_dataset_synthetic_is_fixed_default():
    ds = load_dataset("synthetic")
    ref = make_synthetic_connectome(random_state=0)
    assert ds.X.equals(ref.X) and ds.Y.equals(ref.Y)
    assert ds.X.shape == (100, 203)
    assert "Synthetic" in ds.DESCR
    with pytest.raises(ValueError, match="target"):
        load_dataset("synthetic", target="sc")
    with pytest.raises(ValueError, match="Unknown dataset"):
        load_dataset("hcp-schaefer1000")


def test_distance_term_uses_mirrored_distance(ds):
    coords = ds.X[["x", "y", "z"]].to_numpy().copy()
    coords[:, 0] = np.abs(coords[:, 0])
    expected = np.exp(-squareform(pdist(coords)) / 25.0)
    got = ds.ground_truth["distance_term"]
    assert np.corrcoef(upper_triangle(expected), upper_triangle(got))[0, 1] > 0.999

"""Tests of PairMLPRegressor and its module."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from connpredict.datasets import make_synthetic_connectome  # noqa: E402
from connpredict.models._mlp import PairMLPRegressor  # noqa: E402
from connpredict.models._torch_modules import PairMLPModule  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _randomise_bn(module):
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.normal_()
            m.bias.data.normal_()


@pytest.mark.parametrize("use_coords", [False, True])
def test_concat_equals_research_mlp_on_concatenated_pairs(use_coords):
    torch.manual_seed(0)
    n_genes, h = 7, (12, 6)
    m = PairMLPModule(
        n_genes,
        architecture="concat",
        hidden_dims=h,
        dropout=0.0,
        use_coords=use_coords,
    ).eval()
    _randomise_bn(m)
    genes, coords = torch.randn(5, n_genes), torch.randn(5, 3)
    i, j = torch.tensor([0, 1, 2, 4]), torch.tensor([3, 4, 0, 1])
    # the research MLP: Linear on [x_i, x_j] (x = genes (+ coords)), then the rest
    xi = torch.cat([genes, coords], 1) if use_coords else genes
    d = xi.shape[1]
    W = m.first.weight.detach()  # (2 h1, d): rows [W_a; W_b]
    b = m.first.bias.detach()[: h[0]]
    concat_linear = torch.nn.Linear(2 * d, h[0])
    with torch.no_grad():
        concat_linear.weight.copy_(torch.cat([W[: h[0]], W[h[0] :]], dim=1))
        concat_linear.bias.copy_(b)

        def research(a, c):
            return m.rest(concat_linear(torch.cat([xi[a], xi[c]], dim=1))).squeeze(-1)

        expected = 0.5 * (research(i, j) + research(j, i))
        got = m(genes, coords, i, j)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("architecture", ["shared", "concat"])
def test_module_is_exactly_symmetric(architecture):
    torch.manual_seed(0)
    m = PairMLPModule(
        9,
        architecture=architecture,
        hidden_dims=(8, 4),
        use_coords=True,
        use_distance=True,
    ).eval()
    genes, coords = torch.randn(6, 9), torch.randn(6, 3)
    i, j = torch.tensor([0, 1, 5]), torch.tensor([2, 3, 4])
    with torch.no_grad():
        torch.testing.assert_close(
            m(genes, coords, i, j), m(genes, coords, j, i), rtol=0, atol=1e-6
        )


def test_shared_head_uses_distance():
    torch.manual_seed(0)
    m = PairMLPModule(4, hidden_dims=(8,), embedding_dim=4, use_distance=True).eval()
    genes = torch.randn(3, 4)
    c1 = torch.zeros(3, 3)
    c2 = c1.clone()
    c2[1, 0] = 5.0
    i, j = torch.tensor([0]), torch.tensor([1])
    with torch.no_grad():
        assert not torch.allclose(m(genes, c1, i, j), m(genes, c2, i, j))


def test_coordinates_change_the_fit():
    ds = make_synthetic_connectome(n_regions=30, n_genes=20, random_state=2)
    kw = dict(
        hidden_dims=(16,),
        embedding_dim=8,
        max_iter=3,
        n_iter_no_change=None,
        random_state=0,
    )
    p0 = PairMLPRegressor(**kw).fit(ds.X, ds.Y).predict(ds.X).to_numpy()
    p1 = PairMLPRegressor(use_coords=True, **kw).fit(ds.X, ds.Y).predict(ds.X)
    assert not np.allclose(p0, p1.to_numpy())


def test_invalid_architecture():
    ds = make_synthetic_connectome(n_regions=12, n_genes=5, random_state=0)
    with pytest.raises(ValueError, match="architecture"):
        PairMLPRegressor("deep").fit(ds.X, ds.Y)


def test_standardisation_uses_training_statistics():
    ds = make_synthetic_connectome(n_regions=20, n_genes=6, random_state=0)
    model = PairMLPRegressor(max_iter=1, n_iter_no_change=None, random_state=0)
    model.fit(ds.X.iloc[:15], ds.Y.iloc[:15])
    genes = ds.X.iloc[:15].drop(columns=["x", "y", "z"]).to_numpy()
    np.testing.assert_allclose(model.gene_mean_, genes.mean(0))
    np.testing.assert_allclose(model.gene_scale_, genes.std(0))
    block = ds.Y.iloc[:15, :15].to_numpy()
    np.testing.assert_allclose(model.y_mean_, block[np.triu_indices(15, 1)].mean())


@pytest.mark.parametrize("head", ["symmetric", "concat"])
def test_heads_are_symmetric_in_eval_and_train_mode(head):
    torch.manual_seed(0)
    m = PairMLPModule(
        9,
        hidden_dims=(8,),
        embedding_dim=6,
        head=head,
        head_dims=(8, 4),
        use_distance=True,
    )
    genes, coords = torch.randn(6, 9), torch.randn(6, 3)
    i, j = torch.tensor([0, 1, 5, 2]), torch.tensor([2, 3, 4, 0])
    m.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            m(genes, coords, i, j), m(genes, coords, j, i), rtol=0, atol=1e-6
        )


def test_concat_head_averages_both_orders():
    from connpredict.models._torch_modules import ConcatPairHead

    torch.manual_seed(0)
    head = ConcatPairHead(3, (5,), use_distance=False).eval()
    a, b = torch.randn(4, 3), torch.randn(4, 3)
    with torch.no_grad():
        expected = 0.5 * (
            head.mlp(torch.cat([a, b], 1)) + head.mlp(torch.cat([b, a], 1))
        )
        torch.testing.assert_close(head(a, b), expected.squeeze(-1))


def test_use_distance_auto_follows_coordinates():
    ds = make_synthetic_connectome(n_regions=16, n_genes=6, random_state=0)
    kw = dict(hidden_dims=(8,), max_iter=1, n_iter_no_change=None, random_state=0)
    assert PairMLPRegressor(**kw).fit(ds.X, ds.Y).use_distance_
    genes_only = ds.X.drop(columns=["x", "y", "z"])
    assert not PairMLPRegressor(**kw).fit(genes_only, ds.Y).use_distance_
    with pytest.raises(ValueError, match="use_distance"):
        PairMLPRegressor(use_distance="yes", **kw).fit(ds.X, ds.Y)
    with pytest.raises(ValueError, match="head"):
        PairMLPRegressor(head="dot", **kw).fit(ds.X, ds.Y)

import numpy as np
import pandas as pd
import pytest

from connpredict.utils import (
    check_connectome,
    check_pair_target,
    check_regions_X,
    cross_block,
    gene_columns,
    pair_indices,
    pairs_to_matrix,
    split_features,
    train_block,
    upper_triangle,
)


def _frames(n=6, n_genes=4, seed=0):
    rng = np.random.default_rng(seed)
    labels = [f"r{k}" for k in range(n)]
    X = pd.DataFrame(
        rng.random((n, n_genes)),
        index=labels,
        columns=[f"g{k}" for k in range(n_genes)],
    )
    X[["x", "y", "z"]] = rng.normal(size=(n, 3)) * 30
    A = rng.normal(size=(n, n))
    Y = pd.DataFrame((A + A.T) / 2, index=labels, columns=labels)
    return X, Y


def test_split_features_separates_genes_and_coords():
    X, _ = _frames()
    genes, coords = split_features(X)
    np.testing.assert_array_equal(genes, X[["g0", "g1", "g2", "g3"]].to_numpy())
    np.testing.assert_array_equal(coords, X[["x", "y", "z"]].to_numpy())
    assert gene_columns(X) == ["g0", "g1", "g2", "g3"]
    genes, coords = split_features(X.drop(columns=["x", "y", "z"]))
    assert coords is None
    assert genes.shape == (6, 4)
    with pytest.raises(ValueError, match="lacks"):
        split_features(X.drop(columns="z"))
    with pytest.raises(ValueError, match="all or none"):
        check_regions_X(X.drop(columns="z"))
    renamed = X.rename(columns={"x": "mni_x", "y": "mni_y", "z": "mni_z"})
    genes, coords = split_features(renamed, ("mni_x", "mni_y", "mni_z"))
    assert genes.shape == (6, 4) and coords.shape == (6, 3)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda X: X.set_axis(["a"] * 2 + list("cdef"), axis=0), "duplicate region"),
        (lambda X: X.assign(g0=np.where(np.arange(6) == 2, np.nan, 1.0)), "NaN"),
        (lambda X: X.assign(name="text"), "non-numeric"),
        (lambda X: X.iloc[:2], "at least 3"),
    ],
)
def test_check_regions_X_errors(mutate, match):
    X, _ = _frames()
    with pytest.raises(ValueError, match=match):
        check_regions_X(mutate(X))


def test_check_regions_X_requires_coords_with_fix():
    X, _ = _frames()
    with pytest.raises(ValueError, match="coord_columns"):
        check_regions_X(X.drop(columns=["x"]), require_coords=True)
    assert check_regions_X(X, require_coords=True) is X


def test_check_regions_X_rejects_1d_and_series():
    with pytest.raises(ValueError, match="1-D"):
        check_regions_X(np.arange(5.0))
    with pytest.raises(ValueError, match="Series"):
        check_regions_X(pd.Series([1.0, 2.0, 3.0]))


def test_check_connectome_symmetrises_with_warning():
    A = np.arange(16.0).reshape(4, 4)
    with pytest.warns(UserWarning, match="not symmetric"):
        out = check_connectome(A)
    np.testing.assert_allclose(out.to_numpy(), (A + A.T) / 2)


@pytest.mark.parametrize(
    ("Y", "match"),
    [
        (np.zeros((3, 4)), "square"),
        (pd.DataFrame(np.eye(3), index=list("abc"), columns=list("abd")), "differ"),
        (np.array([[0, np.nan, 1], [np.nan, 0, 1], [1, 1, 0]]), "NaN"),
    ],
)
def test_check_connectome_errors(Y, match):
    with pytest.raises(ValueError, match=match):
        check_connectome(Y)


def test_check_connectome_ignores_nan_diagonal():
    Y = np.ones((3, 3))
    np.fill_diagonal(Y, np.nan)
    assert check_connectome(Y).shape == (3, 3)


def test_train_block_takes_train_by_train_from_sliced_rows():
    X, Y = _frames()
    train = [0, 2, 3, 5]
    block = train_block(X.iloc[train], Y.iloc[train])
    expected = Y.to_numpy()[np.ix_(train, train)]
    np.testing.assert_array_equal(block, expected)


def test_train_block_numpy_square_and_rectangular():
    X, Y = _frames()
    np.testing.assert_array_equal(train_block(X.to_numpy(), Y.to_numpy()), Y.to_numpy())
    with pytest.raises(ValueError, match="DataFrames"):
        train_block(X.to_numpy()[:4], Y.to_numpy()[:4])
    with pytest.raises(ValueError, match="2-D"):
        train_block(X.to_numpy(), np.zeros(6))


def test_train_block_unlabelled_X_with_labelled_Y():
    X, Y = _frames()
    with pytest.raises(ValueError, match="no region labels"):
        train_block(X.reset_index(drop=True), Y)
    # an unlabelled array (a scaler's output in a Pipeline) takes Y's row labels
    rows = [4, 1, 3]
    block = train_block(X.to_numpy()[rows], Y.iloc[rows])
    np.testing.assert_array_equal(block, Y.to_numpy()[np.ix_(rows, rows)])
    with pytest.raises(ValueError, match="no region labels"):
        train_block(X.to_numpy()[rows], Y.iloc[:4])


def test_check_pair_target_label_errors():
    X, Y = _frames()
    with pytest.raises(ValueError, match="different order"):
        check_pair_target(X, Y.iloc[::-1])
    with pytest.raises(ValueError, match="differ"):
        check_pair_target(X.iloc[:4], Y.iloc[1:5])
    with pytest.raises(ValueError, match="no region labels"):
        check_pair_target(X.reset_index(drop=True), Y)
    with pytest.raises(ValueError, match="Y is required"):
        check_pair_target(X, None)
    with pytest.raises(ValueError, match="rows"):
        check_pair_target(X.to_numpy(), Y.to_numpy()[:5])
    Xv, block = check_pair_target(X, Y)
    assert Xv is X
    np.testing.assert_array_equal(block, Y.to_numpy())


def test_pairs_roundtrip_matches_definition():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(5, 5))
    M = (A + A.T) / 2
    rows, cols = pair_indices(5)
    assert len(rows) == 5 * 4 // 2
    assert all(i < j for i, j in zip(rows, cols))
    vec = upper_triangle(M)
    np.testing.assert_array_equal(vec, [M[i, j] for i, j in zip(rows, cols)])
    back = pairs_to_matrix(vec, 5, order="upper")
    expected = M.copy()
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(back, expected)


def test_pairs_to_matrix_averages_both_orders():
    M = pairs_to_matrix([1.0, 3.0], 2, rows=[0, 1], cols=[1, 0])
    np.testing.assert_allclose(M, [[0.0, 2.0], [2.0, 0.0]])
    with pytest.raises(ValueError, match="one value per pair"):
        pairs_to_matrix([1.0], 3)


def test_upper_triangle_rejects_non_square():
    with pytest.raises(ValueError, match="square"):
        upper_triangle(np.zeros((2, 3)))


def test_cross_block():
    X, Y = _frames()
    out = cross_block(X.iloc[:2], X.iloc[3:], Y)
    np.testing.assert_array_equal(out, Y.to_numpy()[:2, 3:])
    with pytest.raises(ValueError, match="labels"):
        cross_block(X.iloc[:2], X.iloc[3:], Y.to_numpy())
    with pytest.raises(ValueError, match="not among"):
        cross_block(X.iloc[:2].rename(index={"r0": "zz"}), X.iloc[3:], Y)

"""make_dataset: every connectome form against an independent computation."""

import warnings

import numpy as np
import pandas as pd
import pytest
from nilearn.connectome import ConnectivityMeasure, sym_matrix_to_vec

from connpredict.datasets import load_dataset, make_dataset
from connpredict.utils import matrix_to_pairs, pairs_to_matrix, upper_triangle

N = 7


def _inputs(n=N, seed=0):
    rng = np.random.default_rng(seed)
    labels = pd.Index(np.arange(1, n + 1), name="label")
    expression = pd.DataFrame(
        rng.random((n, 4)), index=labels, columns=["G1", "G2", "G3", "G4"]
    )
    expression.columns.name = "gene_symbol"
    A = rng.normal(size=(n, n))
    M = (A + A.T) / 2
    regions = pd.DataFrame(
        {
            "name": [f"r{k % (n // 2 + 1)}" for k in range(n)],
            "hemisphere": ["L" if k < n // 2 else "R" for k in range(n)],
            "structure": "cortex",
            "x": rng.normal(size=n) * 30,
            "y": rng.normal(size=n) * 30,
            "z": rng.normal(size=n) * 30,
        },
        index=labels,
    )
    return expression, M, regions


def _offdiag(M):
    M = np.array(M, dtype=float)
    np.fill_diagonal(M, 0.0)
    return M


# ------------------------------------------------------------- triangle order
def test_pairs_to_matrix_default_is_nilearns_order():
    _, M, _ = _inputs()
    vec = sym_matrix_to_vec(M, discard_diagonal=True)
    np.testing.assert_allclose(pairs_to_matrix(vec, N), _offdiag(M))
    np.testing.assert_allclose(matrix_to_pairs(M), vec)
    # explicitly checked against nilearn's lower-triangle definition
    rows, cols = np.tril_indices(N, -1)
    np.testing.assert_allclose(vec, M[rows, cols])
    # the upper order is a different vector: reading it as lower is wrong
    up = upper_triangle(M)
    np.testing.assert_allclose(pairs_to_matrix(up, N, order="upper"), _offdiag(M))
    np.testing.assert_allclose(matrix_to_pairs(M, order="upper"), up)
    assert not np.allclose(pairs_to_matrix(up, N), _offdiag(M))
    with pytest.raises(ValueError, match="order must be"):
        pairs_to_matrix(vec, N, order="columns")


# ------------------------------------------------------------ connectome forms
def test_square_array_in_expression_order():
    expression, M, regions = _inputs()
    ds = make_dataset(expression, M, regions)
    np.testing.assert_array_equal(ds.Y.to_numpy(), M)
    assert list(ds.Y.index) == list(expression.index)
    assert list(ds.X.columns) == ["G1", "G2", "G3", "G4", "x", "y", "z"]
    np.testing.assert_array_equal(ds.X[["x", "y", "z"]], regions[["x", "y", "z"]])
    np.testing.assert_array_equal(ds.X[ds.genes], expression)
    assert set(load_dataset("synthetic").keys()) - {"ground_truth"} <= set(ds.keys())


@pytest.mark.parametrize("discard_diagonal", [True, False])
def test_nilearn_vector_round_trip(discard_diagonal):
    expression, M, regions = _inputs()
    vec = sym_matrix_to_vec(M, discard_diagonal=discard_diagonal)
    ds = make_dataset(expression, vec, regions)
    expected = _offdiag(M) if discard_diagonal else M
    np.testing.assert_allclose(ds.Y.to_numpy(), expected)
    assert ("without" if discard_diagonal else "with ") in ds.connectome_form


def test_connectivity_measure_subject_vectors_and_stack():
    expression, _, regions = _inputs()
    rng = np.random.default_rng(3)
    series = [rng.normal(size=(40, N)) for _ in range(5)]
    cm = ConnectivityMeasure(kind="correlation", vectorize=True, discard_diagonal=True)
    vectors = cm.fit_transform(series)
    mats = ConnectivityMeasure(kind="correlation").fit_transform(series)
    assert mats.shape == (5, N, N)
    ds = make_dataset(expression, vectors, regions)
    np.testing.assert_allclose(ds.Y.to_numpy(), _offdiag(mats.mean(axis=0)), atol=1e-12)
    ds3 = make_dataset(expression, mats, regions)
    np.testing.assert_allclose(ds3.Y.to_numpy(), mats.mean(axis=0), atol=1e-12)
    ds_list = make_dataset(expression, list(mats), regions)
    np.testing.assert_array_equal(ds_list.Y.to_numpy(), ds3.Y.to_numpy())


def test_fisher_z_reduction_matches_direct_formula():
    expression, _, regions = _inputs()
    rng = np.random.default_rng(4)
    mats = np.stack([np.corrcoef(rng.normal(size=(30, N)).T) for _ in range(6)])
    ds = make_dataset(expression, mats, regions, reduction="fisher_z")
    expected = np.empty((N, N))
    for i in range(N):
        for j in range(N):
            if i == j:
                expected[i, j] = mats[:, i, i].mean()
            else:
                z = [0.5 * np.log((1 + r) / (1 - r)) for r in mats[:, i, j]]
                expected[i, j] = np.tanh(sum(z) / len(z))
    np.testing.assert_allclose(ds.Y.to_numpy(), expected, atol=1e-12)
    assert not np.allclose(expected, mats.mean(axis=0))
    with pytest.raises(ValueError, match="between -1 and 1"):
        make_dataset(expression, mats * 5, regions, reduction="fisher_z")


def test_labelled_table_is_aligned_by_label():
    expression, M, regions = _inputs()
    C = pd.DataFrame(M, index=expression.index, columns=expression.index)
    order = [3, 0, 6, 1, 5, 2, 4]
    shuffled = C.iloc[order, order[::-1]]
    ds = make_dataset(expression, shuffled, regions.iloc[::-1])
    pd.testing.assert_frame_equal(
        ds.Y, C.astype(float), check_names=False, check_index_type=False
    )
    # text column labels (a CSV read with index_col=0) match integer labels
    text = shuffled.copy()
    text.columns = text.columns.astype(str)
    np.testing.assert_array_equal(
        make_dataset(expression, text, regions).Y.to_numpy(), M
    )


def test_files(tmp_path):
    expression, M, regions = _inputs()
    expression.to_csv(tmp_path / "expr.csv")
    regions.to_csv(tmp_path / "regions.tsv", sep="\t")
    np.save(tmp_path / "conn.npy", sym_matrix_to_vec(M, discard_diagonal=True))
    ds = make_dataset(
        tmp_path / "expr.csv", tmp_path / "conn.npy", tmp_path / "regions.tsv"
    )
    np.testing.assert_allclose(ds.Y.to_numpy(), _offdiag(M))
    np.testing.assert_allclose(ds.X[ds.genes].to_numpy(), expression.to_numpy())
    pd.DataFrame(M, index=expression.index, columns=expression.index).to_csv(
        tmp_path / "conn.csv"
    )
    ds = make_dataset(str(tmp_path / "expr.csv"), str(tmp_path / "conn.csv"))
    np.testing.assert_allclose(ds.Y.to_numpy(), M)
    assert "x" not in ds.X.columns


def test_networks_and_coords():
    expression, M, regions = _inputs()
    xyz = regions[["x", "y", "z"]].to_numpy()
    nets = pd.Series(list("aabbccd"), index=expression.index[::-1])
    ds = make_dataset(expression, M, coords=xyz, networks=nets)
    np.testing.assert_array_equal(ds.X[["x", "y", "z"]].to_numpy(), xyz)
    assert list(ds.networks) == list("dccbbaa")
    with pytest.raises(ValueError, match="given twice"):
        make_dataset(expression, M, regions, coords=xyz)


# ------------------------------------------------------------- missing regions
def test_missing_drop_warns_with_names():
    expression, M, regions = _inputs()
    expression.iloc[[1, 4]] = np.nan
    with pytest.warns(UserWarning, match=r"Dropped 2 region.*'2 \(r1\)', '5 \(r0\)'"):
        ds = make_dataset(expression, M, regions)
    assert ds.missing_regions == [2, 5]
    keep = [0, 2, 3, 5, 6]
    np.testing.assert_array_equal(ds.Y.to_numpy(), M[np.ix_(keep, keep)])
    assert list(ds.regions.index) == list(ds.X.index) == [1, 3, 4, 6, 7]


def test_missing_mirror_and_nearest():
    expression, M, regions = _inputs()
    # region 2 (L, name r1) has a counterpart r1 in R: label 6 (k=5 -> 5 % 4 = 1)
    assert regions.loc[6, "name"] == regions.loc[2, "name"] == "r1"
    expression.loc[2] = np.nan
    with pytest.warns(UserWarning, match=r"Imputed .*'2 \(r1\)' <- '6 \(r1\)'"):
        ds = make_dataset(expression, M, regions, missing="mirror")
    np.testing.assert_array_equal(
        ds.X.loc[2, ds.genes].to_numpy(), expression.loc[6].to_numpy()
    )
    assert ds.imputed_regions == {2: 6}
    xyz = regions[["x", "y", "z"]].to_numpy()
    d = np.linalg.norm(xyz - xyz[1], axis=1)
    d[1] = np.inf
    nearest = expression.index[int(np.argmin(d))]
    with pytest.warns(UserWarning, match="Imputed"):
        ds = make_dataset(expression, M, regions, missing="nearest")
    assert ds.imputed_regions == {2: nearest}
    np.testing.assert_array_equal(
        ds.X.loc[2, ds.genes].to_numpy(), expression.loc[nearest].to_numpy()
    )
    # without names, the mirror is the region nearest (-x, y, z) in the other
    # hemisphere
    no_names = regions.drop(columns="name")
    target = xyz[1] * [-1, 1, 1]
    right = np.flatnonzero(regions["hemisphere"].to_numpy() == "R")
    expect = expression.index[
        right[np.argmin(np.linalg.norm(xyz[right] - target, axis=1))]
    ]
    with pytest.warns(UserWarning, match="Imputed"):
        ds = make_dataset(expression, M, no_names, missing="mirror")
    assert ds.imputed_regions == {2: expect}


def test_caller_objects_untouched():
    expression, M, regions = _inputs()
    expression.iloc[0] = np.nan
    copies = [expression.copy(), M.copy(), regions.copy()]
    with pytest.warns(UserWarning):
        make_dataset(expression, M, regions, missing="nearest")
    pd.testing.assert_frame_equal(expression, copies[0])
    np.testing.assert_array_equal(M, copies[1])
    pd.testing.assert_frame_equal(regions, copies[2])


# -------------------------------------------------------------------- bad input
def _one_line_error(match, *args, **kwargs):
    with pytest.raises((ValueError, TypeError), match=match) as info:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            make_dataset(*args, **kwargs)
    assert "\n" not in str(info.value)


def test_bad_input_errors():
    expression, M, regions = _inputs()
    C = pd.DataFrame(M, index=expression.index, columns=expression.index)
    other = C.rename(index={7: 70}, columns={7: 70})
    _one_line_error(
        r"in expression only: 7.*in connectome rows only: 70", expression, other
    )
    dup = expression.rename(index={2: 1})
    _one_line_error("duplicate region labels", dup, M)
    _one_line_error("must be square", expression, C.iloc[:, :5])
    A = M.copy()
    A[0, 1] += 1
    _one_line_error("not symmetric", expression, A)
    _one_line_error("different shapes", expression, [M, M[:6, :6]])
    _one_line_error("21 values .* or 28", expression, np.arange(20.0))
    _one_line_error("move them first", expression, np.stack([M, M, M], axis=-1))
    _one_line_error("has 7 regions", expression, np.stack([M[:6, :6]] * 2))
    _one_line_error("square", expression, np.zeros((7, 5)))
    bad = expression.copy()
    bad.iloc[0, 0] = np.nan
    _one_line_error("missing values for some genes", bad, M)
    _one_line_error("index_col='label'", expression.reset_index(), M)
    _one_line_error("non-numeric", expression.assign(G5="a"), M)
    _one_line_error("regions only|expression only: 7", expression, M, regions.iloc[:6])
    _one_line_error("reduction must be", expression, M, reduction="median")
    _one_line_error("missing must be", expression, M, missing="keep")
    N2 = M.copy()
    N2[0, 3] = N2[3, 0] = np.nan
    _one_line_error("NaN or infinite", expression, N2)
    _one_line_error("DataFrame of regions x genes", expression.to_numpy(), M)


def test_gene_order_and_text_files(tmp_path):
    expression, M, regions = _inputs()
    expression.columns = ["NOT_A_GENE", "NPPA", "TNFRSF25", "AAAS"]
    ds = make_dataset(expression, M, regions)
    assert ds.genes == ["NOT_A_GENE", "NPPA", "TNFRSF25", "AAAS"]
    assert ds.n_genes_unplaced is None
    ds = make_dataset(expression, M, regions, gene_order="genomic")
    # chromosome 1 by start (TNFRSF25 before NPPA), then the genes the shipped
    # table does not place, alphabetically
    assert ds.genes == ["TNFRSF25", "NPPA", "AAAS", "NOT_A_GENE"]
    assert list(ds.X.columns[:4]) == ds.genes and ds.n_genes_unplaced == 2
    np.testing.assert_array_equal(ds.X["NPPA"], expression["NPPA"])
    with pytest.raises(ValueError, match="gene_order must be"):
        make_dataset(expression, M, gene_order="alphabetical")
    expression.to_csv(tmp_path / "expr.txt", sep="\t")
    ds = make_dataset(tmp_path / "expr.txt", M)
    np.testing.assert_array_equal(ds.X.to_numpy(), expression.to_numpy())

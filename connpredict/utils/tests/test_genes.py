"""Gene symbols: exact, then case-insensitive matches, and hints at 0 %."""

import numpy as np
import pandas as pd
import pytest

from connpredict.utils._genes import match_gene_symbols, no_gene_hint


def test_exact_matches_win_and_case_matches_are_unique():
    matched, by_case, missing = match_gene_symbols(
        ["PVALB", "SST", "VIP", "NPY"], ["Pvalb", "SST", "sst", "vip", "VIP_"]
    )
    assert matched == {"PVALB": "Pvalb", "SST": "SST", "VIP": "vip"}
    assert by_case == [("Pvalb", "PVALB"), ("vip", "VIP")]
    assert missing == ["NPY"]
    # two columns that differ only in case: ambiguous, not matched
    matched, by_case, missing = match_gene_symbols(["SST"], ["sst", "Sst"])
    assert matched == {} and missing == ["SST"]


@pytest.mark.parametrize(
    "columns, index, words",
    [
        (["ENSG00000100362", "ENSG00000157005", "x"], [], "Ensembl"),
        (["5816", "6750"], [], "Entrez"),
        (["a", "b"], ["pvalb", "r1"], "transposed"),
        (["foo", "bar"], [], "HGNC symbol"),
    ],
)
def test_hints_say_what_the_columns_look_like(columns, index, words):
    assert words in no_gene_hint(["PVALB", "SST"], columns, index)


def test_pretrained_prediction_matches_lower_case_symbols_with_a_warning():
    from connpredict.pretrained import (
        model_path,
        predict_connectome,
        read_metadata,
    )

    name = "bilinear-schaefer300-shared"
    genes = read_metadata(model_path(name))["info"]["genes"]
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(6, len(genes))), list("abcdef"), genes)
    X[["x", "y", "z"]] = rng.uniform(-50, 50, size=(6, 3))
    want = predict_connectome(name, X)
    lower = X.rename(columns={g: g.lower() for g in genes})
    with pytest.warns(UserWarning, match=r"275 gene column\(s\) match .*case"):
        got = predict_connectome(name, lower)
    pd.testing.assert_frame_equal(got, want)
    # a transposed table: zero coverage, and the error says why
    flipped = X[genes].T
    flipped[["x", "y", "z"]] = 0.0
    with pytest.raises(ValueError, match=r"0 of the model's 275 genes.*transposed"):
        predict_connectome(name, flipped)


@pytest.mark.realdata
def test_load_dataset_genes_ignore_case_with_a_warning():
    from connpredict.datasets import load_dataset

    want = load_dataset("hcp-schaefer100", genes=["PVALB", "SST"])
    with pytest.warns(UserWarning, match=r"'pvalb' -> 'PVALB'"):
        got = load_dataset("hcp-schaefer100", genes=["pvalb", "SST"])
    pd.testing.assert_frame_equal(got.X, want.X)
    with pytest.raises(ValueError, match="Ensembl"):
        load_dataset("hcp-schaefer100", genes=["ENSG00000100362"])

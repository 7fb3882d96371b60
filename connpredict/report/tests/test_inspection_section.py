"""The report's "What predicts connectivity" section (importances.csv)."""

import pandas as pd
from sklearn.utils import Bunch

from connpredict.report._html import _inspection_section


def _table():
    rows = [
        ("gene", "GENE_B", None, 0.30, 0.05, 0.01, 0.02, 0.1, 1),
        ("gene", "GENE_A", None, 0.10, 0.05, 0.20, 0.30, 0.5, 1),
        ("gene_set", "richiardi2015", None, 0.09, 0.01, 0.005, 0.01, 0.9, 65),
        ("importance", "all genes", "bilinear", 0.16, 0.12, 0.05, None, None, 20),
    ]
    columns = [
        "kind",
        "name",
        "model",
        "statistic",
        "sd",
        "p_spin",
        "q_spin",
        "p_random_genes",
        "n_genes",
    ]
    return pd.DataFrame(rows, columns=columns)


def test_section_shows_every_kind():
    sid, title, _lead, body = _inspection_section(Bunch(importances=_table()))
    assert (sid, title) == ("inspection", "What predicts connectivity")
    assert "What the bilinear model uses" in body
    assert "richiardi2015" in body and "0.005" in body and "0.9" in body
    # genes are listed by score, highest first
    assert body.index("GENE_B") < body.index("GENE_A")
    assert "0.160" in body and "± 0.120" in body


def test_no_section_without_table():
    assert _inspection_section(Bunch(importances=None)) is None
    assert _inspection_section(Bunch(importances=_table().iloc[:0])) is None

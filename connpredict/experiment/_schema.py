"""The files of a results folder: declared once, used by writer and reader.

:meth:`connpredict.experiment.ExperimentResult.save` writes these tables
and :meth:`connpredict.experiment.ExperimentResult.load` reads them back;
both take the file names and columns from :data:`TABLES`.
"""

from typing import NamedTuple


class TableSchema(NamedTuple):
    """One CSV file of a results folder.

    Attributes
    ----------
    file : str
        File name inside the folder.
    columns : tuple of str
        Columns in the order they are written.
    required : tuple of str
        Columns a reader needs (older or hand-made folders may lack the rest).
    text : tuple of str
        Columns read as strings (labels, even when they look like numbers).
    description : str
        One line on what a row is.
    """

    file: str
    columns: tuple
    required: tuple
    text: tuple
    description: str


TABLES = {
    "results": TableSchema(
        "results.csv",
        ("model", "split", "seed", "fold", "metric", "value"),
        ("model", "split", "seed", "fold", "metric", "value"),
        ("model", "split", "metric"),
        "one test-fold metric of one model, split and seed",
    ),
    "timings": TableSchema(
        "timings.csv",
        ("model", "split", "seed", "fold", "fit_predict_seconds"),
        ("model", "split", "fit_predict_seconds"),
        ("model", "split"),
        "wall time of one fold's fit and predict (kept out of results.csv, "
        "which is reproducible to the byte)",
    ),
    "folds": TableSchema(
        "folds.csv",
        ("split", "seed", "region", "fold"),
        ("split", "seed", "region", "fold"),
        ("split", "region"),
        "the test fold of one region under one split and seed",
    ),
    "predictions": TableSchema(
        "predictions.csv",
        ("model", "split", "seed", "fold", "region_i", "region_j", "y_true", "y_pred"),
        ("model", "split", "seed", "region_i", "region_j", "y_true", "y_pred"),
        ("model", "split", "region_i", "region_j"),
        "true and predicted value of one test x test region pair (i < j)",
    ),
    "region_scores": TableSchema(
        "region_scores.csv",
        ("model", "split", "seed", "fold", "region", "r", "n_pairs"),
        ("model", "split", "seed", "region", "r"),
        ("model", "split", "region"),
        "Pearson r between the predicted and true connectivity of one held-out "
        "region to the other regions of its test fold",
    ),
    "nulls": TableSchema(
        "nulls.csv",
        (
            "model",
            "split",
            "seed",
            "method",
            "scoring",
            "score",
            "null_score",
            "pvalue",
        ),
        ("model", "score", "null_score", "pvalue"),
        ("model", "split", "method", "scoring"),
        "one spin-null score of a spin-tested model",
    ),
    "importances": TableSchema(
        "importances.csv",
        (
            "kind",
            "name",
            "model",
            "statistic",
            "sd",
            "p_spin",
            "q_spin",
            "p_random_genes",
            "n_genes",
        ),
        ("kind", "name", "statistic", "p_spin"),
        ("kind", "name", "model"),
        "one inspected gene, gene set or feature block (run_experiment(inspect=...)): "
        "kind 'gene' (distance-controlled gene score, spin-tested), 'gene_set' "
        "(gene-set enrichment) or 'importance' (held-out spin permutation "
        "importance of a group of columns for the model)",
    ),
    "regions": TableSchema(
        "regions.csv",
        ("region",),
        ("region",),
        ("region", "hemisphere", "network", "structure"),
        "the dataset's region table (coordinates, hemisphere, network), indexed "
        "by region; any other columns of the table follow",
    ),
}

#: the run's options and timing, as JSON
CONFIG_FILE = "config.json"
#: the HTML report
REPORT_FILE = "report.html"

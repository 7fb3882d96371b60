"""The HTML report of a results folder, and its figures.

:func:`build_report` turns a folder written by ``connpredict run``
(``results.csv``, and when present ``folds.csv``, ``predictions.csv``,
``nulls.csv``, ``config.json``) into one self-contained ``report.html``.
Each figure of the report is also a function returning a matplotlib
Figure, to reuse in your own figures.
"""

from connpredict.plotting import figure_to_data_uri, plot_connectivity_matrices
from connpredict.report._brains import plot_edges, plot_region_scores, region_accuracy
from connpredict.report._figures import (
    best_model,
    network_names,
    plot_distance_performance,
    plot_folds,
    plot_network_performance,
    plot_nulls,
    plot_predicted_connectome,
    plot_scores,
    summarize_results,
)
from connpredict.report._html import build_report
from connpredict.report._io import load_results

__all__ = [
    "best_model",
    "build_report",
    "figure_to_data_uri",
    "load_results",
    "network_names",
    "plot_connectivity_matrices",
    "plot_distance_performance",
    "plot_edges",
    "plot_folds",
    "plot_network_performance",
    "plot_nulls",
    "plot_predicted_connectome",
    "plot_region_scores",
    "plot_scores",
    "region_accuracy",
    "summarize_results",
]

"""The HTML report of a run, and its figures.

:func:`build_report` turns an :class:`~connpredict.experiment.ExperimentResult`
and its results folder (or a folder written by ``connpredict run``, read with
:meth:`ExperimentResult.load <connpredict.experiment.ExperimentResult.load>`)
into one self-contained ``report.html``. Each figure of the report is also a
function returning a matplotlib Figure, to reuse in your own figures; they
are drawn with the primitives of :mod:`connpredict.plotting`. The report
imports :mod:`connpredict.experiment`, never the other way round.
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

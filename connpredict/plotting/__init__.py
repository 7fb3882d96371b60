"""Drawing primitives of connpredict: brains, matrices, null distributions.

Every figure of connpredict is drawn with these functions: the report
(:mod:`connpredict.report`), :func:`connpredict.model_selection.plot_splits`,
:func:`connpredict.nulls.plot_null_distribution` and the page of
``connpredict predict`` (:mod:`connpredict.pretrained`). Each returns a
matplotlib Figure (or draws into one) that you can reuse in your own
figures. This subpackage imports only :mod:`connpredict.utils`; matplotlib
and nilearn are imported when a function is called
(``pip install 'connpredict[plot]'``).
"""

from connpredict.plotting._brain import (
    fold_colors,
    label_colorbar,
    plot_glass_edges,
    plot_glass_folds,
    plot_glass_markers,
    strongest_edges,
    symmetric_limit,
)
from connpredict.plotting._matrix import (
    NETWORK_ORDER,
    draw_matrix,
    matrix_colorbar,
    matrix_limit,
    network_sequence,
    network_ticks,
    plot_connectivity_matrices,
)
from connpredict.plotting._nulls import plot_null_distribution
from connpredict.plotting._style import DPI, figure_style, figure_to_data_uri

__all__ = [
    "DPI",
    "NETWORK_ORDER",
    "draw_matrix",
    "figure_style",
    "figure_to_data_uri",
    "fold_colors",
    "label_colorbar",
    "matrix_colorbar",
    "matrix_limit",
    "network_sequence",
    "network_ticks",
    "plot_connectivity_matrices",
    "plot_glass_edges",
    "plot_glass_folds",
    "plot_glass_markers",
    "plot_null_distribution",
    "strongest_edges",
    "symmetric_limit",
]

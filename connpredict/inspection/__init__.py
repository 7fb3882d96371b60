"""Why a model predicts what it does: the legibility grid of inputs x targets.

- :func:`legibility_grid`: cross-validate every model on every pair (input
  block, target connectome), with the gain over distance decay and a spin
  test per cell.
- :func:`plot_legibility_grid`, :func:`legibility_report`: its heatmap and
  its interactive HTML page.
"""

from connpredict.inspection._grid import (
    grid_estimator,
    legibility_grid,
    legibility_report,
    plot_legibility_grid,
)

__all__ = [
    "grid_estimator",
    "legibility_grid",
    "legibility_report",
    "plot_legibility_grid",
]

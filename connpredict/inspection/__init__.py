"""Why a model predicts what it does: importances, attributions, enrichment,
and the legibility grid.

- :func:`permutation_importance`: held-out importance of genes or gene
  groups, their maps replaced by spun (or shuffled) copies.
- :func:`bilinear_attributions`, :func:`pls_loadings`,
  :func:`integrated_gradients`: attributions of fitted models to genes.
- :func:`gene_scores`, :func:`gene_set_enrichment`: distance-controlled gene
  scores and gene-set enrichment with the spin (ensemble) null beside the
  random-gene null; :func:`fdr_bh`, :func:`read_gmt`, :func:`load_gene_sets`.
- :func:`legibility_grid`: cross-validate every model on every pair (input
  block, target connectome), with the gain over distance decay and a spin
  test per cell; :func:`plot_legibility_grid`, :func:`legibility_report`:
  its heatmap and its interactive HTML page.
"""

from connpredict.inspection._attributions import (
    bilinear_attributions,
    integrated_gradients,
    pls_loadings,
)
from connpredict.inspection._enrichment import (
    fdr_bh,
    gene_scores,
    gene_set_enrichment,
    load_gene_sets,
    read_gmt,
)
from connpredict.inspection._grid import (
    grid_estimator,
    legibility_grid,
    legibility_report,
    plot_legibility_grid,
)
from connpredict.inspection._permutation import permutation_importance

__all__ = [
    "bilinear_attributions",
    "fdr_bh",
    "gene_scores",
    "gene_set_enrichment",
    "grid_estimator",
    "integrated_gradients",
    "legibility_grid",
    "legibility_report",
    "load_gene_sets",
    "permutation_importance",
    "plot_legibility_grid",
    "pls_loadings",
    "read_gmt",
]

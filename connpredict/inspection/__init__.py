"""Why a model predicts what it does: importances, attributions, enrichment.

- :func:`permutation_importance`: held-out importance of genes or gene
  groups, their maps replaced by spun (or shuffled) copies.
- :func:`bilinear_attributions`, :func:`pls_loadings`,
  :func:`integrated_gradients`: attributions of fitted models to genes.
- :func:`gene_scores`, :func:`gene_set_enrichment`: distance-controlled gene
  scores and gene-set enrichment with the spin (ensemble) null beside the
  random-gene null; :func:`fdr_bh`, :func:`read_gmt`, :func:`load_gene_sets`.
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
from connpredict.inspection._permutation import permutation_importance

__all__ = [
    "bilinear_attributions",
    "fdr_bh",
    "gene_scores",
    "gene_set_enrichment",
    "integrated_gradients",
    "load_gene_sets",
    "permutation_importance",
    "pls_loadings",
    "read_gmt",
]

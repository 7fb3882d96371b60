"""Targets and feature blocks of the real datasets (options of ``load_dataset``).

Each option is a small function applied after the base load (expression,
coordinates, target connectome and region table, already restricted to the
kept regions):

- ``genes``: keep a published gene list (:func:`select_genes`);
- ``hemisphere``: keep one hemisphere (:func:`hemisphere_mask`);
- ``features``: add region-wise blocks -- cell-type proportions, the rows of
  the *other* connectome (:func:`feature_blocks`);
- ``scale`` and ``binarize``: transform the target (:func:`scale_connectome`,
  :func:`binarize_connectome`).

Nothing here is fitted to data: every option is a fixed, region-wise or
pairwise rule. What *is* fitted (gene selection by variance, transcriptome
principal components) lives in transformers
(:class:`connpredict.models.TopVarianceGenes`,
:class:`connpredict.models.TranscriptomePCA`) so that it is fitted on the
training regions only.
"""

import logging
import warnings

import numpy as np
import pandas as pd

from connpredict.datasets._fetch import fetch_file
from connpredict.datasets._registry import CELL_TYPE_PARCELS, CELL_TYPES, GENE_LISTS
from connpredict.utils._genes import case_warning, match_gene_symbols, no_gene_hint

logger = logging.getLogger(__name__)

FEATURES = ("genes", "coords", "cell_types", "sc", "fc")
DEFAULT_FEATURES = ("genes", "coords")
SCALES = (None, "minmax")
HEMISPHERES = ("both", "left", "right")
#: the research system's binarisation thresholds (``y > threshold``)
RESEARCH_THRESHOLDS = {"fc": 0.3, "sc": 0.01}
#: the other connectome, usable as a feature block: feature -> target name
CONNECTOME_FEATURES = {"sc": "sc", "fc": "fc"}


def check_options(spec, *, target, scale, features, genes, hemisphere, binarize):
    """Validate the target and feature options; return the features as a tuple.

    Raises a ``ValueError`` naming the problem and the fix, before any file
    is read.
    """
    if isinstance(features, str):
        features = (features,)
    features = tuple(features)
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ValueError(
            f"Unknown feature block(s) {unknown}; choose among {list(FEATURES)}."
        )
    if len(set(features)) != len(features):
        raise ValueError(f"features lists a block twice: {list(features)}.")
    if not features:
        raise ValueError("features is empty; pass e.g. ('genes', 'coords').")
    if target in features:
        raise ValueError(
            f"features contains {target!r}, the target: a feature block may never "
            f"contain the target (the rows of the {target.upper()} connectome "
            "would hold the very connections to predict). Drop it from "
            "features, or use the other connectome as the target."
        )
    if scale not in SCALES:
        raise ValueError(f"scale must be None or 'minmax', got {scale!r}.")
    if hemisphere not in HEMISPHERES:
        raise ValueError(
            f"hemisphere must be 'both', 'left' or 'right', got {hemisphere!r}."
        )
    if binarize is not None and not isinstance(binarize, bool):
        if not isinstance(binarize, (int, float, np.number)) or not np.isfinite(
            binarize
        ):
            raise ValueError(
                f"binarize must be None, True (the research threshold) or a "
                f"number, got {binarize!r}."
            )
    if genes is not None:
        if "genes" not in features:
            raise ValueError(
                "genes= selects gene columns, but features has no 'genes' block; "
                "add 'genes' to features or leave genes=None."
            )
        if isinstance(genes, str):
            if genes.startswith("top_variance"):
                raise ValueError(
                    f"genes={genes!r} is a selection fitted on the data: computed "
                    "at load time on all regions it would use the held-out "
                    "regions' expression. Use the transformer "
                    "connpredict.models.TopVarianceGenes(n_genes=...) in a "
                    "Pipeline, which selects on the training regions only."
                )
            if genes not in GENE_LISTS:
                raise ValueError(
                    f"Unknown gene list {genes!r}; choose one of "
                    f"{sorted(GENE_LISTS)}, or pass a list of gene symbols."
                )
        elif not all(isinstance(g, str) for g in genes) or len(list(genes)) == 0:
            raise ValueError(
                "genes must be None, a gene-list name or a non-empty list of gene "
                "symbols (str)."
            )
    if not spec.checksums:  # an embedded dataset (synthetic): nothing else
        extra = [f for f in features if f not in DEFAULT_FEATURES]
        if extra or genes is not None or hemisphere != "both":
            raise ValueError(
                f"The {spec.name} dataset has only genes and coordinates, no gene "
                "names from a list and no hemispheres; pass features, genes and "
                "hemisphere only for the hcp-schaefer datasets."
            )
    return features


def check_availability(n_parcels, *, features, subcortex):
    """Explain combinations the data home cannot provide."""
    if "cell_types" in features:
        if n_parcels is None:
            return  # the synthetic dataset: refused in check_options
        if n_parcels != CELL_TYPE_PARCELS:
            raise ValueError(
                "Cell-type features (Jorstad and Lake proportions) exist only for "
                f"Schaefer-{CELL_TYPE_PARCELS}; use "
                f"'hcp-schaefer{CELL_TYPE_PARCELS}' or drop 'cell_types' (got "
                f"Schaefer-{n_parcels})."
            )
        if subcortex:
            raise ValueError(
                f"Cell-type features cover the {CELL_TYPE_PARCELS} cortical parcels "
                "only, not the "
                "14 subcortical structures; pass subcortex=False with "
                "features containing 'cell_types'."
            )


def read_gene_list(name, *, data_home=None, download_if_missing=True):
    """Gene symbols of a published gene list, in file order."""
    path = fetch_file(
        GENE_LISTS[name][0],
        data_home=data_home,
        download_if_missing=download_if_missing,
    )
    with open(path, encoding="utf-8") as f:
        symbols = [line.strip() for line in f if line.strip()]
    return list(dict.fromkeys(symbols))


def load_gene_list(name, *, data_home=None, download_if_missing=True):
    """Gene symbols of a published gene list shipped in the data home.

    Parameters
    ----------
    name : {"richiardi2015", "syngo"}
        ``"richiardi2015"``: the 136 genes whose co-expression tracks
        resting-state networks (Richiardi et al., Science 2015);
        ``"syngo"``: the SynGO synaptic genes (Koopmans et al., Neuron 2019),
        as distributed with the GeneEx2Conn research code.
    data_home : str or path-like, default=None
        See :func:`get_data_home`.
    download_if_missing : bool, default=True
        If False, raise instead of downloading.

    Returns
    -------
    genes : list of str
        The symbols, in file order, without duplicates.

    Examples
    --------
    >>> from connpredict.datasets import load_gene_list
    >>> load_gene_list("unknown")
    Traceback (most recent call last):
    ...
    ValueError: Unknown gene list 'unknown'; choose one of ['richiardi2015', 'syngo'].
    """
    if name not in GENE_LISTS:
        raise ValueError(
            f"Unknown gene list {name!r}; choose one of {sorted(GENE_LISTS)}."
        )
    return read_gene_list(
        name, data_home=data_home, download_if_missing=download_if_missing
    )


def select_genes(gene_columns, genes, *, data_home=None, download_if_missing=True):
    """Gene columns to keep, in the dataset's order, and the genes not found.

    Parameters
    ----------
    gene_columns : list of str
        The dataset's gene columns (in their order).
    genes : str or list of str
        A name of :data:`GENE_LISTS` or gene symbols.

    Returns
    -------
    kept : list of str
    not_found : list of str
        Requested symbols that are not columns of the dataset (for a
        published list, mostly genes below the dataset's differential-
        stability threshold).
    """
    if isinstance(genes, str):
        wanted = read_gene_list(
            genes, data_home=data_home, download_if_missing=download_if_missing
        )
        what = f"gene list {genes!r}"
    else:
        wanted = list(dict.fromkeys(genes))
        what = "the requested genes"
    matched, by_case, not_found = match_gene_symbols(wanted, gene_columns)
    if by_case:
        # (column, symbol) pairs: the dataset's columns keep their names
        warnings.warn(
            case_warning(
                [(s, c) for c, s in by_case], "the dataset's genes", "symbol(s)"
            ),
            UserWarning,
            stacklevel=4,  # load_dataset (via _load_enigma_hcp and _hcp_genes)
        )
    chosen = set(matched.values())
    kept = [g for g in gene_columns if g in chosen]
    if not kept:
        raise ValueError(
            f"None of {what} ({len(wanted)} symbols) is a gene column of this "
            f"dataset: {no_gene_hint(gene_columns, wanted, names='the symbols')} "
            "Or load a lower "
            "stability threshold."
        )
    if not_found:
        msg = (
            f"{len(not_found)} of the {len(wanted)} genes of {what} are not in "
            f"this dataset (e.g. {not_found[:3]}); {len(kept)} kept."
        )
        if isinstance(genes, str):
            logger.info(msg)
        else:
            warnings.warn(msg, UserWarning, stacklevel=4)
    return kept, not_found


def hemisphere_mask(regions, hemisphere):
    """Boolean mask of the regions of one hemisphere (all for ``"both"``).

    Subcortical structures count with their hemisphere, as in the research
    system (labels containing ``LH`` / ``RH``).
    """
    if hemisphere == "both":
        return np.ones(len(regions), dtype=bool)
    code = "L" if hemisphere == "left" else "R"
    return (regions["hemisphere"] == code).to_numpy()


def read_cell_types(labels, *, data_home=None, download_if_missing=True):
    """Cell-type proportion columns (Jorstad, then Lake) for region ``labels``."""
    blocks = []
    for name, (key, _, prefix) in CELL_TYPES.items():
        path = fetch_file(
            key, data_home=data_home, download_if_missing=download_if_missing
        )
        table = pd.read_csv(path).set_index("label_7network")
        missing = pd.Index(labels).difference(table.index)
        if len(missing):
            raise ValueError(
                f"The {name} cell-type table has no row for regions "
                f"{missing.tolist()[:5]}; it covers the Schaefer-400 cortex only."
            )
        block = table.loc[list(labels)].astype(float)
        block.columns = [prefix + str(c) for c in block.columns]
        blocks.append(block)
    return pd.concat(blocks, axis=1)


def connectome_rows(matrix, labels, *, prefix):
    """Rows of a square labelled connectome as feature columns ``prefix+label``.

    Each kept region gets its connections to every kept region -- held-out
    regions included. That is legitimate only because this connectome is an
    input, never the target (:func:`check_options` refuses the target as a
    feature block).
    """
    block = matrix.loc[list(labels), list(labels)].astype(float)
    block.columns = [f"{prefix}{c}" for c in block.columns]
    return block


def feature_blocks(X, features, *, cell_types=None, connectomes=None):
    """Assemble ``X`` from its blocks: genes, cell types, connectome rows, coords.

    ``X`` holds the gene columns and ``x, y, z``; ``cell_types`` and
    ``connectomes`` (feature name -> square labelled matrix) give the
    extra blocks. Coordinates stay the last three columns.
    """
    coords = ["x", "y", "z"]
    parts = []
    if "genes" in features:
        parts.append(X.drop(columns=coords))
    if "cell_types" in features:
        parts.append(cell_types.loc[X.index])
    for feat in CONNECTOME_FEATURES:
        if feat in features:
            parts.append(connectome_rows(connectomes[feat], X.index, prefix=f"{feat}_"))
    if "coords" in features:
        parts.append(X[coords])
    out = pd.concat(parts, axis=1)
    out.index.name = X.index.name
    return out


def scale_connectome(Y, scale):
    """Min-max scale the off-diagonal values of ``Y`` to [0, 1] (diagonal 0).

    ``(Y - min) / (max - min)`` with min and max over the region pairs: the
    research system's preprocessing of its HCP Schaefer-100 FC. An affine
    map, so correlation-based scores (Pearson r, Spearman r) are unchanged;
    MSE and MAE are in the scaled units.
    """
    if scale is None:
        return Y
    values = Y.to_numpy(dtype=float)
    off = ~np.eye(len(values), dtype=bool)
    lo, hi = values[off].min(), values[off].max()
    if not hi > lo:
        raise ValueError("Y is constant off the diagonal; it cannot be min-max scaled.")
    out = (values - lo) / (hi - lo)
    np.fill_diagonal(out, 0.0)
    return pd.DataFrame(out, index=Y.index, columns=Y.columns)


def binarize_connectome(Y, threshold):
    """``1.0`` where ``Y > threshold``, else ``0.0`` (diagonal 0).

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.datasets._features import binarize_connectome
    >>> Y = pd.DataFrame([[0.0, 0.5], [0.5, 0.0]], list("ab"), list("ab"))
    >>> binarize_connectome(Y, 0.3).to_numpy().tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    if threshold is None:
        return Y
    values = Y.to_numpy(dtype=float)
    out = (values > threshold).astype(float)
    off = ~np.eye(len(values), dtype=bool)
    if off.any():
        lo, hi = np.nanmin(values[off]), np.nanmax(values[off])
        if lo < hi and np.ptp(out[off]) == 0:
            every = "1" if out[off].all() else "0"
            warnings.warn(
                f"binarize={threshold:g} lies outside the connectome's range "
                f"[{lo:.4g}, {hi:.4g}] (off the diagonal, after scaling): every "
                f"pair becomes {every}, a constant target that no model can "
                "predict. Choose a threshold inside the range (binarize=True is "
                "the research threshold).",
                UserWarning,
                stacklevel=3,
            )
    np.fill_diagonal(out, 0.0)
    return pd.DataFrame(out, index=Y.index, columns=Y.columns)


def resolve_threshold(binarize, target):
    """The binarisation threshold: the research one for ``True``, else as given."""
    if binarize is None or binarize is False:
        return None
    if binarize is True:
        return RESEARCH_THRESHOLDS[target]
    return float(binarize)


def describe(*, features, genes, n_genes, hemisphere, scale, threshold):
    """A paragraph of the dataset description listing non-default options."""
    lines = []
    if tuple(features) != DEFAULT_FEATURES:
        lines.append(f"feature blocks {', '.join(features)}")
    if genes is not None:
        what = genes if isinstance(genes, str) else "a list of genes"
        lines.append(f"genes restricted to {what} ({n_genes} in the data)")
    if hemisphere != "both":
        lines.append(f"{hemisphere} hemisphere only")
    if scale is not None:
        lines.append(f"target {scale}-scaled")
    if threshold is not None:
        lines.append(f"target binarised at > {threshold}")
    if not lines:
        return ""
    return "\n**Options.** " + "; ".join(lines) + ".\n"

"""Loaders of the real datasets (AHBA expression + HCP connectomes)."""

import logging
from functools import partial
from importlib import resources

import numpy as np
import pandas as pd

from connpredict.datasets import _features, _registry
from connpredict.datasets._bunch import dataset_bunch
from connpredict.datasets._descr import load_descr
from connpredict.datasets._fetch import fetch_file, get_data_home
from connpredict.datasets._synthetic import make_synthetic_connectome
from connpredict.utils._contract import check_connectome

logger = logging.getLogger(__name__)

_CHROM_ORDER = {str(k): k for k in range(1, 23)} | {"X": 23, "Y": 24, "MT": 25}


def dataset_names():
    """Return the names accepted by :func:`load_dataset`.

    Returns
    -------
    names : list of str
        The registered datasets, ``"synthetic"`` first.

    Examples
    --------
    >>> from connpredict.datasets import dataset_names
    >>> dataset_names()[:2]
    ['synthetic', 'hcp-schaefer100']
    """
    return list(_registry.DATASETS)


def dataset_files(name, *, target=None, stability=None):
    """Return the upstream paths a dataset needs (empty for ``synthetic``).

    Parameters
    ----------
    name : str
        A name of :func:`dataset_names`.
    target : str, default=None
        Connectome type (``"fc"`` or ``"sc"``); None for the dataset's
        default.
    stability : float, default=None
        Differential-stability threshold of the gene list; None for the
        dataset's default.

    Returns
    -------
    keys : list of str
        ``<source>/<path>`` of the expression, matrix and label files.

    Examples
    --------
    >>> from connpredict.datasets import dataset_files
    >>> dataset_files("hcp-schaefer100")[0]
    'enigma-extra/ahba/allgenes_stable_r0.6_schaefer_100.csv'
    """
    return _spec(name).files(target=target, stability=stability)


def _spec(name):
    try:
        return _registry.DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown dataset {name!r}; choose one of {', '.join(dataset_names())}."
        ) from None


def _region_table_sizes():
    return tuple(
        sorted(
            {
                s.n_parcels
                for s in _registry.DATASETS.values()
                if s.n_parcels is not None
            }
        )
    )


def _shipped_table(filename, **kwargs):
    path = resources.files("connpredict.datasets").joinpath("data", filename)
    with resources.as_file(path) as p:
        return pd.read_csv(p, **kwargs)


def load_region_table(n_parcels):
    """Return the shipped region table of Schaefer-``n_parcels`` + 14 subcortical.

    Parameters
    ----------
    n_parcels : {100, 200, 300, 400}
        Schaefer resolution (7-network order).

    Returns
    -------
    regions : DataFrame
        Indexed by the ENIGMA region label, with columns ``hemisphere``,
        ``structure``, ``network``, ``x``, ``y``, ``z`` (MNI mm) and
        ``sphere_x``, ``sphere_y``, ``sphere_z`` (unit-sphere centroid, cortex
        only).

    Examples
    --------
    >>> from connpredict.datasets import load_region_table
    >>> load_region_table(100).shape[0]
    114
    """
    sizes = _region_table_sizes()
    if n_parcels not in sizes:
        raise ValueError(f"n_parcels must be one of {sizes}, got {n_parcels!r}.")
    table = _shipped_table(f"regions_schaefer{n_parcels}.csv")
    return table.set_index("label")


def genomic_order(genes):
    """Order gene symbols by chromosome and transcription start (GRCh38).

    Positions come from the gene table shipped with connpredict, which covers
    the genes of the AHBA expression files. Genes without a known position go
    last, alphabetically.

    Parameters
    ----------
    genes : list of str
        Gene symbols.

    Returns
    -------
    ordered : list of str
        The symbols in genomic order.
    n_unplaced : int
        How many had no position.

    Examples
    --------
    >>> from connpredict.datasets import genomic_order
    >>> genomic_order(["NOT_A_GENE", "NPPA", "TNFRSF25"])
    (['TNFRSF25', 'NPPA', 'NOT_A_GENE'], 1)
    """
    table = _shipped_table("gene_positions_hg38.csv.gz", dtype={"chromosome": str})
    table = table.drop_duplicates("symbol").set_index("symbol")
    genes = list(genes)
    placed = [g for g in genes if g in table.index]
    pos = table.loc[placed]
    key = pd.DataFrame(
        {
            "chrom": pos["chromosome"].map(_CHROM_ORDER).fillna(99).to_numpy(),
            "start": pos["start"].to_numpy(),
            "symbol": placed,
        }
    ).sort_values(["chrom", "start", "symbol"], kind="mergesort")
    unplaced = sorted(g for g in genes if g not in table.index)
    return list(key["symbol"]) + unplaced, len(unplaced)


def load_dataset(
    name="synthetic",
    *,
    data_home=None,
    target="fc",
    subcortex=True,
    stability=0.6,
    missing="drop",
    gene_order="genomic",
    download_if_missing=True,
    scale=None,
    features=_features.DEFAULT_FEATURES,
    genes=None,
    hemisphere="both",
    binarize=None,
):
    """Load a dataset as region features ``X`` and a connectome ``Y``.

    ``"synthetic"`` is generated on the fly (offline; see
    :func:`make_synthetic_connectome`, ``random_state=0``). The
    ``"hcp-schaefer{100,200,300,400}"`` datasets combine Allen Human Brain Atlas
    expression parcellated by the ENIGMA Toolbox (abagen pipeline; genes with
    differential stability above ``stability``) with the ENIGMA Toolbox's HCP
    group connectomes, for the Schaefer cortical parcels (7-network order) and
    14 subcortical structures. Files are downloaded once into the data home
    and checked against their SHA-256 checksums.

    Parameters
    ----------
    name : str, default="synthetic"
        ``"synthetic"``, ``"hcp-schaefer100"``, ``"hcp-schaefer200"``,
        ``"hcp-schaefer300"`` or ``"hcp-schaefer400"``.
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    target : {"fc", "sc"}, default="fc"
        Functional (Fisher-z group FC) or structural connectivity (the
        ENIGMA Toolbox's HCP group SC; every estimator takes either).
    subcortex : bool, default=True
        Keep the 14 subcortical regions.
    stability : float, default=0.6
        Differential-stability threshold of the gene list (0.6 for all
        resolutions; 0.8 for 100 and 400).
    missing : {"drop", "keep"}, default="drop"
        Regions without expression (all-NaN rows; 49 in Schaefer-400) are
        removed from ``X``, ``Y`` and the region table together (``"drop"``),
        or kept as NaN rows (``"keep"``; estimators reject NaN).
    gene_order : {"genomic", "file"}, default="genomic"
        Order genes by chromosome and transcription start (GRCh38, genes
        without a position last, alphabetically), or keep the file's order.
    download_if_missing : bool, default=True
        Download missing files; if False, raise an error naming them.
    scale : {None, "minmax"}, default=None
        ``"minmax"`` maps the target's off-diagonal values to [0, 1] with
        ``(Y - min) / (max - min)`` over the kept regions' pairs (the
        research system's HCP preprocessing). An affine map: correlation
        scores are unchanged, MSE/MAE are in the scaled units.
    features : tuple of str, default=("genes", "coords")
        Region feature blocks of ``X``, stacked in this order: ``"genes"``
        (expression), ``"cell_types"`` (Jorstad and Lake cell-type
        proportions, columns ``jorstad_*`` and ``lake_*``; Schaefer-400
        cortex only, so with ``subcortex=False``), ``"sc"`` / ``"fc"`` (the
        region's row of the structural / functional connectome, columns
        ``sc_<label>`` / ``fc_<label>``) and ``"coords"`` (``x, y, z``,
        always last). A block may never contain the target: ``"sc"`` with
        ``target="sc"`` (or ``"fc"`` with ``target="fc"``) is refused.
        Connectome-row features hold each region's connections to *every*
        kept region, held-out regions included; that is legitimate only
        because that connectome is then an input, not the target.
        Estimators treat every non-coordinate column as a gene column.
    genes : None, "richiardi2015", "syngo" or list of str, default=None
        Keep only these genes (a published list, or symbols), in the
        dataset's gene order; requested genes absent from the data (e.g.
        below the stability threshold) are listed in ``genes_not_found``.
        Selections fitted on data -- the research's ``"top_variance:500"``
        or transcriptome PCs -- are transformers fitted on the training
        regions only (:class:`~connpredict.models.TopVarianceGenes`,
        :class:`~connpredict.models.TranscriptomePCA`); asking for them
        here raises an error that says so.
    hemisphere : {"both", "left", "right"}, default="both"
        Keep the regions of one hemisphere (subcortical structures
        included, as in the research system).
    binarize : None, True or float, default=None
        Replace the target by ``1.0`` where ``Y > threshold`` and ``0.0``
        elsewhere, after ``scale``. ``True`` uses the research thresholds
        (FC 0.3, SC 0.01, in the research's units; ENIGMA's SC is 0 for
        absent connections, so 0.01 marks the present ones). Fit a
        classifier (e.g. :class:`~connpredict.models.BilinearClassifier`)
        and score it with the classification metrics.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X`` (DataFrame: genes then ``x``, ``y``, ``z``; index = region
        labels), ``Y`` (square DataFrame, same labels), ``regions`` (region
        table), ``networks`` (Series), ``genes``, ``n_genes_unplaced`` (genes
        with no genomic position), ``missing_regions`` (labels without
        expression), ``name``, ``target``, ``features``, ``scale``,
        ``threshold`` (of ``binarize``; None without), ``genes_not_found``
        and ``DESCR``. Every loader returns the same keys
        (:data:`~connpredict.datasets.DATASET_KEYS`); those that do not apply
        are None or empty.

    Examples
    --------
    >>> from connpredict.datasets import load_dataset
    >>> ds = load_dataset("synthetic")
    >>> ds.X.shape, ds.Y.shape
    ((100, 203), (100, 100))
    """
    if missing not in ("drop", "keep"):
        raise ValueError(f"missing must be 'drop' or 'keep', got {missing!r}.")
    if gene_order not in ("genomic", "file"):
        raise ValueError(f"gene_order must be 'genomic' or 'file', got {gene_order!r}.")
    spec = _spec(name)
    spec.check_target(target)
    features = _features.check_options(
        spec,
        target=target,
        scale=scale,
        features=features,
        genes=genes,
        hemisphere=hemisphere,
        binarize=binarize,
    )
    _features.check_availability(spec.n_parcels, features=features, subcortex=subcortex)
    loader = spec.loader if callable(spec.loader) else LOADERS[spec.loader]
    return loader(
        spec,
        scale=scale,
        features=features,
        genes=genes,
        hemisphere=hemisphere,
        threshold=_features.resolve_threshold(binarize, target),
        data_home=data_home,
        target=target,
        subcortex=subcortex,
        stability=stability,
        missing=missing,
        gene_order=gene_order,
        download_if_missing=download_if_missing,
    )


def _load_synthetic(spec, **options):
    """The embedded dataset (the file options do not apply)."""
    ds = make_synthetic_connectome(random_state=0)
    ds.Y = _features.binarize_connectome(
        _features.scale_connectome(ds.Y, options["scale"]), options["threshold"]
    )
    return ds


def _load_enigma_hcp(
    spec,
    *,
    data_home,
    target,
    subcortex,
    stability,
    missing,
    gene_order,
    download_if_missing,
    scale,
    features,
    genes,
    hemisphere,
    threshold,
):
    """AHBA expression + HCP connectome files of the ENIGMA Toolbox."""
    home = get_data_home(data_home)
    fetch = partial(fetch_file, data_home=home, download_if_missing=download_if_missing)
    expression, Y, regions = _read_hcp_files(spec, target, stability, fetch)
    labels = list(regions.index)
    selected, genes_not_found, n_unplaced = _hcp_genes(
        list(expression.columns), genes, gene_order, home, download_if_missing
    )
    X = expression[selected].copy()
    X.index.name = "label"
    X[["x", "y", "z"]] = regions[["x", "y", "z"]].to_numpy()
    keep, missing_regions = _hcp_kept_regions(
        spec.name, expression, regions, subcortex, hemisphere, missing
    )
    X, Y, regions = X.loc[keep], Y.loc[keep, keep], regions.loc[keep]
    X = _features.feature_blocks(
        X,
        features,
        cell_types=_features.read_cell_types(
            X.index, data_home=home, download_if_missing=download_if_missing
        )
        if "cell_types" in features
        else None,
        connectomes={
            f: _read_connectome(spec, f, labels, home, download_if_missing)
            for f in _features.CONNECTOME_FEATURES
            if f in features
        },
    )
    Y = _features.binarize_connectome(_features.scale_connectome(Y, scale), threshold)
    descr = load_descr(spec.descr).format(
        name=spec.name,
        n_parcels=spec.n_parcels,
        n_regions=X.shape[0],
        n_genes=len(selected),
        n_unplaced=n_unplaced,
        stability=stability,
        target=target.upper(),
        n_missing=len(missing_regions),
        missing=missing,
    ) + _features.describe(
        features=features,
        genes=genes,
        n_genes=len(selected),
        hemisphere=hemisphere,
        scale=scale,
        threshold=threshold,
    )
    return dataset_bunch(
        X,
        Y,
        regions,
        genes=selected,
        n_genes_unplaced=n_unplaced,
        missing_regions=missing_regions,
        name=spec.name,
        target=target,
        features=features,
        scale=scale,
        threshold=threshold,
        genes_not_found=genes_not_found,
        DESCR=descr,
    )


def _read_hcp_files(spec, target, stability, fetch):
    """The expression table, the labelled connectome and the region table.

    Checks that the three files (and the shipped region table) list the same
    regions in the same order.
    """
    expr_key, matrix_key, labels_key = spec.files(target=target, stability=stability)
    paths = [fetch(k) for k in (expr_key, matrix_key, labels_key)]
    expression = pd.read_csv(paths[0]).set_index("label")
    labels = pd.read_csv(paths[2], header=None).iloc[0].astype(str).tolist()
    matrix = np.loadtxt(paths[1], delimiter=",")
    if list(expression.index) != labels:
        raise ValueError(
            f"The region labels of {expr_key} and {labels_key} differ; the files "
            "in the data home do not belong together."
        )
    Y = check_connectome(
        pd.DataFrame(matrix, index=pd.Index(labels, name="label"), columns=labels),
        name=matrix_key,
    )
    regions = load_region_table(spec.n_parcels)
    if list(regions.index) != labels:
        raise ValueError(
            f"The shipped region table of Schaefer-{spec.n_parcels} does not match "
            f"{labels_key}."
        )
    regions.index.name = "label"
    return expression, Y, regions


def _hcp_genes(genes, selection, gene_order, home, download_if_missing):
    """The selected genes in order, those not found, and the unplaced count."""
    genes_not_found = []
    if selection is not None:
        genes, genes_not_found = _features.select_genes(
            genes,
            selection,
            data_home=home,
            download_if_missing=download_if_missing,
        )
    n_unplaced = 0
    if gene_order == "genomic":
        genes, n_unplaced = genomic_order(genes)
    return genes, genes_not_found, n_unplaced


def _hcp_kept_regions(name, expression, regions, subcortex, hemisphere, missing):
    """Mask of the regions kept, and the kept labels without expression."""
    keep = np.ones(len(regions), dtype=bool)
    if not subcortex:
        keep &= (regions["structure"] != "subcortex").to_numpy()
    keep &= _features.hemisphere_mask(regions, hemisphere)
    no_expr = expression.isna().all(axis=1).to_numpy()
    missing_regions = [
        lab for lab, m, k in zip(regions.index, no_expr, keep) if m and k
    ]
    if missing == "drop":
        keep &= ~no_expr
        if missing_regions:
            logger.info(
                "Dropped %d region(s) without expression from %s.",
                len(missing_regions),
                name,
            )
    return keep, missing_regions


def _read_connectome(spec, target, labels, home, download_if_missing):
    """The labelled square connectome ``target`` of a dataset (all regions)."""
    matrix_key = spec.files(target=target)[1]
    matrix = np.loadtxt(
        fetch_file(matrix_key, data_home=home, download_if_missing=download_if_missing),
        delimiter=",",
    )
    return pd.DataFrame(matrix, index=labels, columns=labels)


#: ``DatasetSpec.loader`` -> function(spec, **options) returning the Bunch.
LOADERS = {"synthetic": _load_synthetic, "enigma_hcp": _load_enigma_hcp}

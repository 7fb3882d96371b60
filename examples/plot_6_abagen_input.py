"""
Using your own abagen output
============================

`abagen <https://abagen.readthedocs.io>`_ turns the Allen Human Brain Atlas
microarray data into a regions x genes table for any parcellation::

    import abagen
    expression = abagen.get_expression_data(atlas["image"], atlas["info"])
    expression.to_csv("expression.csv")

This example starts from files in that format, so it runs without abagen
(``pip install connpredict[ahba]`` installs it; import it with
:func:`connpredict.datasets.import_abagen` under recent setuptools): the
expression table, a table of region centroids and a connectome matrix. It
builds ``X`` and ``Y`` with :func:`~connpredict.datasets.make_dataset` and
cross-validates a model. :ref:`sphx_glr_auto_examples_plot_7_own_atlas.py`
starts one step earlier, from the atlas image.
"""

# %%
# Files in abagen's format
# ------------------------
# We write example files from the synthetic dataset. abagen's table is
# indexed by the integer parcel ``label`` of the atlas, one column per gene
# symbol, values scaled to [0, 1]; parcels without any tissue sample are rows
# of NaN.
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from connpredict import make_synthetic_connectome

ds = make_synthetic_connectome(n_regions=80, n_genes=60, random_state=0)
folder = Path(tempfile.mkdtemp())
labels = pd.Index(np.arange(1, 81), name="label")
genes = ds.X.columns[:-3]

expression = pd.DataFrame(ds.X[genes].to_numpy(), index=labels, columns=genes)
expression.columns.name = "gene_symbol"
expression.iloc[[6, 41]] = np.nan  # two parcels without samples
expression.to_csv(folder / "expression.csv")

coords = pd.DataFrame(
    ds.X[["x", "y", "z"]].to_numpy(), index=labels, columns=["x", "y", "z"]
)
# centroids, e.g. from nilearn.plotting.find_parcellation_cut_coords
coords.to_csv(folder / "centroids.csv")
np.save(folder / "connectome.npy", ds.Y.to_numpy())  # rows/columns in label order

for line in (folder / "expression.csv").read_text().splitlines()[:4]:
    print(line[:60], "...")

# %%
# Build ``X`` and ``Y``
# ---------------------
# :func:`~connpredict.datasets.make_dataset` reads the files (CSV/TSV tables
# indexed by label; ``.npy`` or text arrays in the order of the expression
# rows), aligns them by label and returns ``X`` (genes then coordinates,
# indexed by region label) and a labelled square ``Y``, like
# :func:`~connpredict.load_dataset`. Regions without expression are dropped
# from both, with a warning naming them (``missing="mirror"`` or
# ``"nearest"`` imputes them instead); estimators reject NaN rather than
# guess.
import warnings

from connpredict.datasets import make_dataset

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    ds_files = make_dataset(
        folder / "expression.csv",
        folder / "connectome.npy",
        coords=pd.read_csv(folder / "centroids.csv", index_col="label"),
    )
print(caught[0].message)
X, Y = ds_files.X, ds_files.Y
X.iloc[:4, [0, 1, 2, -3, -2, -1]]

# %%
# With real gene symbols, order the genes along the genome
# (:func:`connpredict.datasets.genomic_order`) so that neighbouring genes,
# which tend to co-vary, sit side by side; the transformer's gene tokens rely
# on it.
#
# Cross-validate
# --------------
from sklearn.model_selection import cross_val_score

from connpredict import BilinearRegressor, SpatialSplit

scores = cross_val_score(
    BilinearRegressor(), X, Y, cv=SpatialSplit(n_splits=4, random_state=0)
)
print("spatial CV, test Pearson r per fold:", scores.round(3))

# %%
# The folds of that cross-validation on the brain: each test fold is a compact
# block of regions (the two parcels without samples were dropped).
from connpredict.model_selection import plot_splits

fig = plot_splits(X, SpatialSplit(n_splits=4, random_state=0))

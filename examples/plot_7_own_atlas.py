"""
Your own atlas and connectome
=============================

Bring any parcellation, its regional gene expression (usually abagen's
output) and a connectome (usually nilearn's ``ConnectivityMeasure``), and
everything in connpredict works on them: cross-validation over regions,
spin tests, pictures. This example uses the Desikan-Killiany (DK) atlas
that ships with `abagen <https://abagen.readthedocs.io>`_:

1. :func:`~connpredict.datasets.atlas_regions` turns the label image into a
   region table: centroids, hemisphere, structure and positions on the
   fsaverage5 sphere (for the spins);
2. :func:`~connpredict.datasets.make_dataset` combines the table with an
   expression table and a vectorised connectome into ``X`` and ``Y``;
3. :class:`~connpredict.model_selection.SpatialSplit` and
   :func:`~connpredict.nulls.spin_test` evaluate a model.

The Allen Human Brain Atlas microarrays (about 4 GB) cannot be fetched while
the documentation builds, so the expression table here is simulated with the
shape of ``abagen.get_expression_data``'s output, and so is the connectome
(no DK connectome ships with the data home); replace both with your own.
"""

# %%
# The atlas
# ---------
# abagen 0.1.3 cannot be imported under setuptools 81 or later
# (``No module named 'pkg_resources'``);
# :func:`~connpredict.datasets.import_abagen` imports it anyway.
from connpredict.datasets import atlas_regions, import_abagen

abagen = import_abagen()
atlas = abagen.fetch_desikan_killiany()  # files shipped inside abagen
regions = atlas_regions(atlas["image"], atlas["info"])
regions[["name", "hemisphere", "structure", "x", "y", "z", "has_sphere"]].head()

# %%
# The 68 cortical regions get sphere centroids by projecting their voxels onto
# the fsaverage5 surface; the 15 subcortical and brainstem regions have none.
regions.groupby("structure")["has_sphere"].agg(["size", "sum"])

# %%
# Expression, as abagen returns it
# --------------------------------
# With the microarrays at hand this would be::
#
#     expression = abagen.get_expression_data(atlas["image"], atlas["info"])
#
# a table of regions x genes indexed by the atlas ids (named ``label``),
# one column per gene symbol, values in [0, 1], and all-NaN rows for regions
# without a tissue sample. We simulate one: 60 smooth gene maps over the
# region centroids.
import numpy as np
import pandas as pd

rng = np.random.default_rng(0)
xyz = regions[["x", "y", "z"]].to_numpy()
mirrored = np.column_stack([np.abs(xyz[:, 0]), xyz[:, 1:]])  # similar hemispheres
freqs = rng.normal(scale=1 / 40, size=(3, 60))
fields = np.cos(mirrored @ freqs + rng.uniform(0, 2 * np.pi, 60))
fields += 0.3 * rng.normal(size=fields.shape)
values = (fields - fields.min()) / (fields.max() - fields.min())
expression = pd.DataFrame(
    values,
    index=pd.Index(regions.index, name="label"),
    columns=pd.Index([f"GENE{k:02d}" for k in range(60)], name="gene_symbol"),
)
lost = regions.index[
    (regions["name"] == "frontalpole") & (regions["hemisphere"] == "R")
]
expression.loc[lost] = np.nan  # a region without samples
expression.iloc[:4, :5]

# %%
# A connectome, as nilearn returns it
# -----------------------------------
# Regional time series of 12 subjects whose correlations follow the gene
# maps, turned into correlation matrices by nilearn and vectorised: one row
# per subject, the lower triangle of each matrix in nilearn's order.
from nilearn.connectome import ConnectivityMeasure

loadings = np.column_stack([fields[:, :6], np.exp(-np.abs(xyz) / 60)])
series = [
    rng.normal(size=(150, loadings.shape[1])) @ loadings.T
    + 1.5 * rng.normal(size=(150, len(regions)))
    for _ in range(12)
]
measure = ConnectivityMeasure(kind="correlation", vectorize=True, discard_diagonal=True)
vectors = measure.fit_transform(series)
print(vectors.shape)

# %%
# One dataset
# -----------
# ``make_dataset`` recognises the (subjects x pairs) vectors from their length,
# averages the subjects' correlations in Fisher-z space and back, fills the
# region without expression from its counterpart in the other hemisphere
# (with a warning), and returns what ``load_dataset`` returns.
import warnings

from connpredict.datasets import make_dataset

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    ds = make_dataset(
        expression, vectors, regions, reduction="fisher_z", missing="mirror"
    )
print(caught[0].message)
print(ds.connectome_form)
print(ds.X.shape, ds.Y.shape)

# %%
# Cross-validation and spin test
# ------------------------------
# Test regions come in spatially compact folds. The spin test spins the
# cortical regions on the sphere and rotates the subcortical ones within
# their hemisphere; the brainstem, alone on the midline, stays in place.
from sklearn.model_selection import cross_val_score

from connpredict import BilinearRegressor, SpatialSplit, spin_test

model = BilinearRegressor(n_components=10, alpha=10.0)
cv = SpatialSplit(n_splits=4, random_state=0)
scores = cross_val_score(model, ds.X, ds.Y, cv=cv)
print("spatial CV, test Pearson r per fold:", scores.round(3))

result = spin_test(
    model, ds.X, ds.Y, cv=cv, regions=ds.regions, n_permutations=30, random_state=0
)
print(result)
result.region_treatment.value_counts()

# %%
# Predicted against true connectivity
# -----------------------------------
# Fit on three folds, predict the connectivity among the held-out regions,
# and draw the strongest 10% of the connections on glass brains.
import matplotlib.pyplot as plt
from nilearn import plotting
from sklearn.base import clone

train, test = next(cv.split(ds.X))
fitted = clone(model).fit(ds.X.iloc[train], ds.Y.iloc[train, train])
labels = ds.X.index[test]
predicted = fitted.predict(ds.X.loc[labels]).to_numpy().copy()
true = ds.Y.loc[labels, labels].to_numpy().copy()
coords = ds.X.loc[labels, ["x", "y", "z"]].to_numpy()
np.fill_diagonal(predicted, 0)
np.fill_diagonal(true, 0)

fig, axes = plt.subplots(2, 1, figsize=(8, 6))
for ax, matrix, title in ((axes[0], true, "true"), (axes[1], predicted, "predicted")):
    plotting.plot_connectome(
        matrix,
        coords,
        edge_threshold="90%",
        node_size=15,
        display_mode="lzr",
        axes=ax,
        title=f"{title} ({len(labels)} held-out regions)",
    )
plt.show()

"""
Quickstart: predict a connectome from gene expression
=====================================================

Load a dataset, cross-validate a model over spatially compact folds of
regions, and look at the predicted connectivity of held-out regions.
"""

# %%
# The data: regions are the samples
# ----------------------------------
# ``X`` has one row per region (genes, then the MNI coordinates ``x, y, z``);
# ``Y`` is the square connectome, labelled by the same regions. The
# ``synthetic`` dataset is embedded (no download); ``"hcp-schaefer100"`` is
# the real one (Allen Human Brain Atlas expression, HCP functional
# connectivity).
from connpredict import load_dataset

ds = load_dataset("synthetic")
print(ds.X.shape, ds.Y.shape)
ds.X.iloc[:5, [0, 1, 2, -3, -2, -1]]

# %%
# Cross-validation over regions
# -----------------------------
# :class:`~connpredict.model_selection.SpatialSplit` holds out compact blocks
# of regions, so each test region is far from the training ones. The model
# fits only on the connectivity among training regions; the score is the
# Pearson r between predicted and true connectivity over test x test pairs.
from sklearn.model_selection import cross_val_score

from connpredict import BilinearRegressor, SpatialSplit

cv = SpatialSplit(n_splits=4, random_state=0)
scores = cross_val_score(BilinearRegressor(), ds.X, ds.Y, cv=cv)
print("test Pearson r per fold:", scores.round(3))

# %%
# Predict held-out regions
# ------------------------
# Fit on the training regions of the first fold and predict the connectome
# among its test regions. :func:`~connpredict.metrics.evaluate` computes every
# metric the inputs allow (by distance, connection strength, hemisphere and
# network when the region table is given).
from connpredict.metrics import evaluate

train, test = next(cv.split(ds.X))
model = BilinearRegressor().fit(ds.X.iloc[train], ds.Y.iloc[train])
Y_pred = model.predict(ds.X.iloc[test])
test_labels = ds.X.index[test]
Y_true = ds.Y.loc[test_labels, test_labels]
metrics = evaluate(Y_true, Y_pred, regions=ds.regions.loc[test_labels])
metrics[["pearson_r", "spearman_r", "r2", "short_r", "mid_r", "long_r"]].round(3)

# %%
# Plot true and predicted connectivity of the held-out regions, grouped by
# network (boundaries and names on the axes; one colour scale, symmetric, at
# the 99th percentile of the absolute values).
import matplotlib.pyplot as plt

from connpredict.plotting import plot_connectivity_matrices

fig = plot_connectivity_matrices(
    {"true": Y_true, "predicted": Y_pred},
    networks=ds.regions["network"],
    units="connectivity (a.u., synthetic)",
)
fig.suptitle(f"{len(test)} held-out regions (r = {metrics['pearson_r']:.2f})")
plt.show()

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
# Plot true and predicted connectivity of the held-out regions, ordered by
# network.
import matplotlib.pyplot as plt
import numpy as np
from nilearn.plotting import plot_matrix

order = ds.regions.loc[test_labels].sort_values("network").index
vmax = float(np.abs(Y_true.to_numpy()).max())
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), layout="constrained")
for ax, mat, title in ((axes[0], Y_true, "true"), (axes[1], Y_pred, "predicted")):
    mat = mat.loc[order, order].to_numpy().copy()
    np.fill_diagonal(mat, 0.0)
    plot_matrix(
        mat,
        axes=ax,
        vmin=-vmax,
        vmax=vmax,
        colorbar=False,
        title=title,
        auto_fit=False,
    )
fig.colorbar(axes[1].images[0], ax=axes, shrink=0.8, label="connectivity")
fig.suptitle(f"{len(test)} held-out regions (r = {metrics['pearson_r']:.2f})")
plt.show()

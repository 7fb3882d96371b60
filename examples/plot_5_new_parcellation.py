"""
Predicting the connectome of a new parcellation
===============================================

Regions are the samples, so a fitted model predicts connectivity for *any*
set of regions described by the same features: here a model fitted on the
Schaefer-100 parcellation predicts the connectome of the Schaefer-200
parcellation of the same brains, from gene expression and coordinates.

The two datasets keep different gene lists (genes pass a stability
threshold per parcellation), so the model uses the genes they have in
common. When the real datasets are not in the data home
(``CONNPREDICT_DATA``), the example splits the regions of the synthetic
dataset into two interleaved region sets that stand in for the two
parcellations.
"""

# %%
from connpredict import load_dataset, make_synthetic_connectome


def two_parcellations():
    """Schaefer-100 and -200 when cached, else two synthetic region sets."""
    try:
        a = load_dataset("hcp-schaefer100", download_if_missing=False)
        b = load_dataset("hcp-schaefer200", download_if_missing=False)
        return a.X, a.Y, b.X, b.Y, b.regions, ("Schaefer-100", "Schaefer-200")
    except (OSError, ValueError) as exc:
        print(f"real data unavailable ({type(exc).__name__}); using synthetic data")
    ds = make_synthetic_connectome(n_regions=240, n_genes=120, random_state=0)
    a, b = ds.X.index[::2], ds.X.index[1::2]
    return (
        ds.X.loc[a],
        ds.Y.loc[a, a],
        ds.X.loc[b],
        ds.Y.loc[b, b],
        ds.regions.loc[b],
        ("region set A", "region set B"),
    )


X_a, Y_a, X_b, Y_b, regions_b, (name_a, name_b) = two_parcellations()
print(f"{name_a}: {X_a.shape[0]} regions x {X_a.shape[1] - 3} genes")
print(f"{name_b}: {X_b.shape[0]} regions x {X_b.shape[1] - 3} genes")

# %%
# Use the common genes
# --------------------
# Both tables must have the same columns, in the same order: the genes they
# share, then the coordinates.
genes = [g for g in X_a.columns if g in set(X_b.columns) and g not in ("x", "y", "z")]
columns = [*genes, "x", "y", "z"]
X_a, X_b = X_a[columns], X_b[columns]
print(f"{len(genes)} common genes")

# %%
# Fit on one parcellation, predict the other
# ------------------------------------------
# ``score`` is the Pearson r between the predicted and the true connectome of
# the new regions (upper triangle). A distance-decay model, which only sees
# the coordinates, is the baseline.
from connpredict import BilinearRegressor, ExponentialDecayRegressor

models = {
    "distance decay": ExponentialDecayRegressor(),
    "bilinear (genes + coordinates)": BilinearRegressor(use_distance=True),
}
for name, model in models.items():
    model.fit(X_a, Y_a)
    print(f"{name:>32}: r = {model.score(X_b, Y_b):.3f} on {name_b}")

# %%
# The predicted connectome of the new parcellation, regions ordered by
# network. These regions overlap in space with the training ones (the same
# brain, parcellated differently), so this measures transfer across
# parcellations, not prediction of an unseen part of the brain; use
# :class:`~connpredict.model_selection.SpatialSplit` for that.
import matplotlib.pyplot as plt

from connpredict.plotting import plot_connectivity_matrices

Y_pred = models["bilinear (genes + coordinates)"].predict(X_b)
fig = plot_connectivity_matrices(
    {f"{name_b}: true": Y_b, f"{name_b}: predicted": Y_pred},
    networks=regions_b["network"],
    units="FC (Fisher z)" if name_b.startswith("Schaefer") else "connectivity (a.u.)",
)
plt.show()

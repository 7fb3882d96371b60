"""
Comparing cross-validation splits
=================================

The split decides the question a score answers. Random folds test regions
that sit between training regions; spatial folds test an unseen part of the
brain; community and network folds test a whole module. Here we draw the
folds of each splitter on the brain and compare three models under each.
"""

# %%
from connpredict import (
    CommunitySplit,
    NetworkSplit,
    RandomSplit,
    SpatialSplit,
    load_dataset,
)
from connpredict.model_selection import plot_splits

ds = load_dataset("synthetic")
splitters = {
    "random": RandomSplit(n_splits=4, random_state=0),
    "spatial": SpatialSplit(n_splits=4, method="kmeans", random_state=0),
    "community": CommunitySplit(n_splits=4, random_state=0),
    "network": NetworkSplit(),
}

# %%
# The folds on the brain
# ----------------------
# Each dot is a region centroid, coloured by the fold in which it is tested.
# Spatial folds are compact; random folds are scattered, so every test region
# has training neighbours. Community folds follow the connectome's modules
# (they need ``y``), network folds the given labels (``groups``).
fig = plot_splits(ds.X, splitters["random"])
fig = plot_splits(ds.X, splitters["spatial"])
fig = plot_splits(ds.X, splitters["community"], y=ds.Y)
fig = plot_splits(ds.X, splitters["network"], groups=ds.networks)

# %%
# Scores under each split
# -----------------------
# The same three models under each splitter. We collect the fold scores in
# the tidy format of ``connpredict run``'s ``results.csv`` so that the
# report's figure functions draw them.
import pandas as pd
from sklearn.model_selection import cross_val_score

from connpredict import BilinearRegressor, CGERegressor, ExponentialDecayRegressor
from connpredict.report import plot_scores, summarize_results

models = {
    "distance decay": ExponentialDecayRegressor(),
    "CGE": CGERegressor(),
    "bilinear": BilinearRegressor(),
}
rows = []
for split, cv in splitters.items():
    groups = ds.networks if split == "network" else None
    for name, model in models.items():
        scores = cross_val_score(model, ds.X, ds.Y, cv=cv, groups=groups)
        rows += [
            {
                "model": name,
                "split": split,
                "seed": 0,
                "fold": k,
                "metric": "pearson_r",
                "value": s,
            }
            for k, s in enumerate(scores)
        ]
results = pd.DataFrame(rows)
fig = plot_scores(results)

# %%
# Random folds flatter every model: a test region's neighbours, seen in
# training, give its connectivity away. Report spatial cross-validation as
# the main number.
summary = summarize_results(results)
summary.pivot(index="model", columns="split", values="mean").round(3)

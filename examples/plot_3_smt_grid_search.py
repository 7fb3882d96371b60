"""
Grid search of the Spatiomolecular Transformer
==============================================

Hyper-parameters are chosen on training regions only: a
:class:`~sklearn.model_selection.GridSearchCV` whose inner folds split the
training regions of an outer fold (``outer_cv.inner_split()``), nested in the
outer cross-validation. The outer test regions never influence the choice.

The settings are tiny so that the example runs in well under a minute on a
CPU; real searches use more epochs, more regions and more candidates.
"""

# %%
from sklearn.model_selection import GridSearchCV

from connpredict import SMTRegressor, SpatialSplit, make_synthetic_connectome

ds = make_synthetic_connectome(n_regions=60, n_genes=40, random_state=0)
outer = SpatialSplit(n_splits=3, method="kmeans", random_state=0)
train, test = next(outer.split(ds.X))
X_train, Y_train = ds.X.iloc[train], ds.Y.iloc[train]

smt = SMTRegressor(
    token_size=10,  # 40 genes -> 4 tokens per region
    d_model=16,
    n_heads=2,
    n_layers=1,
    head_dims=(16,),
    max_iter=10,
    batch_size=512,
    random_state=0,
)
search = GridSearchCV(
    smt,
    param_grid={"lr": [3e-3, 3e-2], "use_distance": [False, True]},
    cv=outer.inner_split(n_splits=2),
    n_jobs=1,
)
search.fit(X_train, Y_train)

# %%
# The inner cross-validation table: mean test Pearson r of each candidate on
# the inner folds (training regions only).
import pandas as pd

table = pd.DataFrame(search.cv_results_)[
    ["param_lr", "param_use_distance", "mean_test_score", "std_test_score"]
]
table.sort_values("mean_test_score", ascending=False).round(3)

# %%
# The best candidate, refitted on all training regions, scored on the outer
# test regions it has never seen:
print("best parameters:", search.best_params_)
print("outer test r:", round(search.score(ds.X.iloc[test], ds.Y.iloc[test]), 3))

# %%
# For an unbiased estimate of the whole procedure, repeat this for every
# outer fold, e.g. ``cross_val_score(search, ds.X, ds.Y, cv=outer)``.

# %%
# The inner-CV score of each candidate (mean ± sd over the inner folds); the
# search refits the best one on all training regions.
import matplotlib.pyplot as plt

ranked = table.sort_values("mean_test_score", ascending=False)
names = [
    f"lr={row.param_lr:g}\ndistance={row.param_use_distance}"
    for row in ranked.itertuples()
]
fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
ax.barh(names, ranked["mean_test_score"], xerr=ranked["std_test_score"], color="C0")
ax.invert_yaxis()
ax.set_xlabel("inner-CV test Pearson r")
ax.set_title("GridSearchCV candidates")
plt.show()

"""
The main job from Python, and its brains
========================================

``connpredict run`` is a thin command around
:func:`connpredict.run_experiment`. Calling it from Python returns every
result table as a DataFrame; the report's figures are functions too. Here we
run two models under spatial cross-validation and look at where on the brain
the predictions hold up.
"""

# %%
from connpredict import run_experiment

result = run_experiment(
    "synthetic", models=["decay", "bilinear"], cv=["spatial"], n_splits=4
)
print(result)

# %%
# Every table of the results folder is an attribute. The mean test Pearson r
# per model:
r = result.results.query("metric == 'pearson_r'")
r.groupby("model")["value"].agg(["mean", "std"])

# %%
# Per-region accuracy
# -------------------
# For each held-out region, the Pearson r between its predicted and its true
# connectivity to the other regions of its test fold
# (``region_scores.csv``). On a glass brain:
from connpredict.report import plot_edges, plot_region_scores

fig = plot_region_scores(result.region_scores, result.regions, model="bilinear")

# %%
# And painted on nilearn's bundled fsaverage5 cortical surface (each vertex
# takes the value of the nearest cortical region centroid):
fig = plot_region_scores(
    result.region_scores, result.regions, model="bilinear", kind="surface"
)

# %%
# The strongest edges
# -------------------
# The 40 held-out pairs with the strongest true connectivity against the 40
# with the strongest predicted connectivity:
fig = plot_edges(result.predictions, result.regions, model="bilinear", n_edges=40)

# %%
# The connectome by network
# -------------------------
# The held-out pairs grouped by functional network, with the network
# boundaries and names; pairs across test folds are never predicted (grey).
from connpredict.report import plot_predicted_connectome

fig = plot_predicted_connectome(
    result.predictions,
    model="bilinear",
    folds=result.folds,
    networks=result.regions["network"],
    order="network",
)

# %%
# The results folder
# ------------------
# ``folder = result.save("results/")`` writes every table and ``config.json``
# (the folder appears only once complete), and
# ``connpredict.report.build_report(result, folder)`` the HTML report with
# these figures, as ``connpredict run`` does.

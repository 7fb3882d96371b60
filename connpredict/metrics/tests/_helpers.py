"""Small random connectomes and region tables for the metric tests."""

import numpy as np
import pandas as pd

NETWORKS9 = (
    "Vis",
    "SomMot",
    "DorsAttn",
    "SalVentAttn",
    "Limbic",
    "Cont",
    "Default",
    "Subcortical",
    "Cerebellum",
)


def make_problem(n=30, *, networks=NETWORKS9[:4], seed=0, noise=0.3):
    """Return (Y_true, Y_pred, regions) as labelled DataFrames."""
    rng = np.random.default_rng(seed)
    labels = [f"reg{i:02d}" for i in range(n)]
    coords = rng.uniform(-70, 70, size=(n, 3))
    coords[0, 0] = 0.0  # one midline region: no hemisphere by the sign of x
    regions = pd.DataFrame(coords, index=labels, columns=["x", "y", "z"])
    regions["hemisphere"] = np.where(coords[:, 0] < 0, "L", "R")
    regions["network"] = [networks[i % len(networks)] for i in range(n)]
    A = rng.uniform(-0.9, 0.9, size=(n, n))
    Y = (A + A.T) / 2
    np.fill_diagonal(Y, 0.0)
    E = rng.normal(scale=noise, size=(n, n))
    P = Y + (E + E.T) / 2
    np.fill_diagonal(P, 0.0)
    return (
        pd.DataFrame(Y, labels, labels),
        pd.DataFrame(P, labels, labels),
        regions,
    )


def upper_pairs(n):
    """Explicit list of (i, j) with i < j."""
    return [(i, j) for i in range(n) for j in range(i + 1, n)]

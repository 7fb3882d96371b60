"""Fixtures of the metric tests: small random connectomes and region tables."""

import numpy as np
import pandas as pd
import pytest

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


def _make_problem(n=30, *, networks=NETWORKS9[:4], seed=0, noise=0.3):
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


@pytest.fixture
def make_problem():
    """Factory ``make_problem(n, *, networks, seed, noise)`` of test problems.

    Returns ``(Y_true, Y_pred, regions)``: a random symmetric connectome, a
    noisy prediction of it and a region table (coordinates, hemisphere,
    network), all labelled ``reg00, reg01, ...``.
    """
    return _make_problem


@pytest.fixture
def nine_networks():
    """The 7 Yeo networks plus ``Subcortical`` and ``Cerebellum``."""
    return NETWORKS9

"""Synthetic data with known answers for the inspection tests and benchmark."""

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist


def smooth_genes(coords, n_genes, *, length=25.0, n_centers=6, random_state=0):
    """Independent, spatially smooth gene maps (sums of Gaussian bumps)."""
    rng = np.random.RandomState(random_state)
    n = len(coords)
    out = np.empty((n, n_genes))
    for g in range(n_genes):
        centers = coords[rng.choice(n, n_centers, replace=False)]
        bumps = np.exp(-(cdist(coords, centers) ** 2) / (2 * length**2))
        out[:, g] = bumps @ rng.randn(n_centers)
    out = (out - out.mean(0)) / out.std(0)
    return out


def smooth_noise_connectome(coords, *, n_fields=5, length=25.0, random_state=0):
    """Pairwise smooth noise ``sum_m f_m(i) f_m(j)`` from maps unrelated to genes."""
    F = smooth_genes(coords, n_fields, length=length, random_state=random_state)
    return F @ F.T / n_fields


def planted_connectome(
    X, coords, planted, *, decay=25.0, noise=0.3, strength=1.0, random_state=0
):
    """Connectivity from the interactions of the planted genes, decay and noise.

    ``Y = strength * sum_{(a, b)} (u_a u_b^T + u_b u_a^T) / 2
    + exp(-d / decay) + noise * E`` (each term standardised over pairs).
    """
    rng = np.random.RandomState(random_state)
    n = len(X)
    U = (X - X.mean()) / X.std()
    gene = np.zeros((n, n))
    for a, b in planted:
        ua, ub = U[a].to_numpy(), U[b].to_numpy()
        gene += (np.outer(ua, ub) + np.outer(ub, ua)) / 2
    off = ~np.eye(n, dtype=bool)

    def std(M):
        return (M - M[off].mean()) / M[off].std()

    E = rng.randn(n, n)
    E = (E + E.T) / np.sqrt(2)
    Y = strength * std(gene) + std(np.exp(-cdist(coords, coords) / decay)) + noise * E
    np.fill_diagonal(Y, 0.0)
    return pd.DataFrame(Y, index=X.index, columns=X.index)

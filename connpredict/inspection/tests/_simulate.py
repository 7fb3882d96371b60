"""Synthetic data with known answers for the inspection tests and benchmark."""

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist


def smooth_genes(coords, n_genes, *, length=25.0, n_centers=6, random_state=0):
    """Independent, spatially smooth maps: sums of Gaussian bumps.

    Bump centres are uniform on the sphere of the regions' mean radius (not at
    regions), so that the maps' distribution is rotation invariant, as the
    spin null assumes of ``sphere_positions``.
    """
    rng = np.random.RandomState(random_state)
    n = len(coords)
    radius = np.linalg.norm(coords - coords.mean(0), axis=1).mean()
    out = np.empty((n, n_genes))
    for g in range(n_genes):
        v = rng.randn(n_centers, 3)
        centers = coords.mean(0) + radius * v / np.linalg.norm(v, axis=1)[:, None]
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


def sphere_positions(regions, radius=70.0):
    """Hemisphere-mirrored sphere centroids (mm): where spins move regions.

    Spins rotate the left sphere by ``R`` and the right one by its mirror
    image ``F R F`` (``F = diag(-1, 1, 1)``), so a field that is smooth in
    these mirrored positions is moved as a whole by every spin.
    """
    P = regions[["sphere_x", "sphere_y", "sphere_z"]].to_numpy(dtype=float).copy()
    right = (regions["hemisphere"] == "R").to_numpy()
    P[right, 0] *= -1
    return radius * P

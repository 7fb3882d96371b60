"""The embedded default dataset: a synthetic connectome with known structure."""

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist
from sklearn.utils import check_random_state

from connpredict.datasets._bunch import dataset_bunch
from connpredict.datasets._descr import load_descr
from connpredict.utils._contract import pair_indices, upper_triangle

YEO7 = ("Vis", "SomMot", "DorsAttn", "SalVentAttn", "Limbic", "Cont", "Default")

# Each hemisphere is an ellipsoid: centre (mm) and radii (mm), MNI-like.
_CENTRE = np.array([32.0, -17.0, 12.0])
_RADII = np.array([28.0, 68.0, 48.0])


def _standardise_offdiag(M):
    vals = upper_triangle(M)
    sd = vals.std()
    out = (M - vals.mean()) / (sd if sd > 0 else 1.0)
    np.fill_diagonal(out, 0.0)
    return out


def _smooth_along_genes(A, width):
    """Moving average along the gene axis: neighbouring genes co-vary."""
    if width <= 1:
        return A
    kernel = np.ones(width) / width
    return np.apply_along_axis(lambda r: np.convolve(r, kernel, mode="same"), 1, A)


def make_synthetic_connectome(
    n_regions=100,
    n_genes=200,
    *,
    noise=0.1,
    n_networks=7,
    gene_rank=4,
    n_smooth_fields=8,
    length_scale=30.0,
    decay_length=25.0,
    weights=(0.5, 0.3, 0.2),
    random_state=None,
):
    """Make a synthetic gene-expression / connectome dataset with known structure.

    Regions lie on two ellipsoidal "hemispheres" (MNI-like millimetres;
    right-hemisphere regions are near-mirror images of left ones). Gene
    expression is spatially autocorrelated: ``n_smooth_fields`` smooth
    Gaussian-process fields over the hemisphere-mirrored coordinates plus
    ``gene_rank`` region-specific latent factors, mixed into ``n_genes`` genes
    by loadings that vary smoothly along the gene axis (so that neighbouring
    genes, in "genomic order", co-vary), squashed to (0, 1) like
    abagen-processed expression.

    The connectome is generated as::

        Y = w_gene * Z W Z^T + w_dist * exp(-d / decay_length)
            + w_net * [same network] + sd * noise * E

    where each term is standardised over region pairs, ``Z`` holds three
    smooth fields passed through ``tanh(1.5 * f)`` (a non-linearity, so that
    extrapolating to unseen parts of the brain is harder than interpolating)
    and two region-specific factors (all visible through the genes), ``W``
    is a random symmetric matrix, ``d`` the distance between
    hemisphere-mirrored coordinates (homotopic regions are close), networks
    are spatial clusters (shared by homotopic regions) and ``E`` symmetric
    Gaussian noise. ``Y`` is then mapped to a functional-connectivity-like
    scale (mean about 0.2, zero diagonal).

    The dataset reproduces two effects of the real data: models that use
    genes beat distance-only models, and spatial cross-validation scores
    lower than random cross-validation.

    Parameters
    ----------
    n_regions : int, default=100
        Number of regions (at least 6); the left hemisphere gets the extra one.
    n_genes : int, default=200
        Number of genes.
    noise : float, default=0.1
        Standard deviation of the pairwise noise, relative to the signal.
    n_networks : int, default=7
        Number of networks (Yeo-7 names when at most 7).
    gene_rank : int, default=4
        Number of region-specific latent factors shared by genes and ``Y``.
    n_smooth_fields : int, default=8
        Number of smooth spatial fields in gene expression.
    length_scale : float, default=30.0
        Length scale (mm) of the smooth fields.
    decay_length : float, default=25.0
        Length (mm) of the distance-decay term.
    weights : tuple of 3 floats, default=(0.5, 0.3, 0.2)
        Weights of the gene, distance and network terms.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X`` (DataFrame, genes ``G0001``... then ``x``, ``y``, ``z``), ``Y``
        (square DataFrame, same labels), ``regions`` (region table with
        ``hemisphere``, ``structure``, ``network``, ``x``, ``y``, ``z``,
        ``sphere_x``, ``sphere_y``, ``sphere_z``), ``networks`` (Series),
        ``genes`` (gene names), ``ground_truth`` (dict of the generating
        terms: ``Z``, ``W``, ``gene_term``, ``distance_term``,
        ``network_term``) and ``DESCR``. Every loader returns the same keys
        (:data:`~connpredict.datasets.DATASET_KEYS`); those that do not apply
        are None or empty.

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> ds = make_synthetic_connectome(n_regions=30, n_genes=20, random_state=0)
    >>> ds.X.shape, ds.Y.shape
    ((30, 23), (30, 30))
    >>> bool((ds.Y.values == ds.Y.values.T).all())
    True
    """
    if int(n_regions) < 6:
        raise ValueError(f"n_regions must be at least 6, got {n_regions}.")
    if int(n_genes) < 1:
        raise ValueError(f"n_genes must be at least 1, got {n_genes}.")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}.")
    if len(weights) != 3:
        raise ValueError("weights must hold three numbers (gene, distance, network).")
    rng = check_random_state(random_state)
    n_regions, n_genes = int(n_regions), int(n_genes)
    # the draws from ``rng`` happen in this order: positions, networks,
    # expression, connectome (a fixed seed gives the same dataset as before)
    hemi, sphere, coords, mirrored = _positions(rng, n_regions)
    net_idx, network = _networks(rng, sphere, hemi, n_networks)
    D_mirror = cdist(mirrored, mirrored)
    expression, smooth, specific = _expression(
        rng, D_mirror, n_genes, length_scale, n_smooth_fields, gene_rank
    )
    Y, ground_truth = _connectome(
        rng, smooth, specific, D_mirror, net_idx, decay_length, weights, noise
    )
    n_left = int(np.sum(hemi == "L"))
    labels = [f"LH_{k + 1:03d}" for k in range(n_left)] + [
        f"RH_{k + 1:03d}" for k in range(n_regions - n_left)
    ]
    index = pd.Index(labels, name="label")
    genes = [f"G{k + 1:04d}" for k in range(n_genes)]
    X = pd.DataFrame(expression, index=index, columns=genes)
    X[["x", "y", "z"]] = coords
    regions = pd.DataFrame(
        {
            "hemisphere": hemi,
            "structure": "cortex",
            "network": network,
            "x": coords[:, 0],
            "y": coords[:, 1],
            "z": coords[:, 2],
            "sphere_x": sphere[:, 0],
            "sphere_y": sphere[:, 1],
            "sphere_z": sphere[:, 2],
        },
        index=index,
    )
    return dataset_bunch(
        X,
        pd.DataFrame(Y, index=index, columns=index.copy()),
        regions,
        genes=genes,
        ground_truth=ground_truth,
        name="synthetic",
        DESCR=load_descr("synthetic"),
    )


def _positions(rng, n_regions):
    """Hemispheres, unit directions, MNI-like coordinates and their mirror.

    Left regions take random directions on their sphere; right regions are
    noisy mirror images of the first left ones.
    """
    n_left = (n_regions + 1) // 2
    n_right = n_regions - n_left
    u_left = rng.standard_normal((n_left, 3))
    u_left /= np.linalg.norm(u_left, axis=1, keepdims=True)
    u_right = u_left[:n_right] * np.array([-1.0, 1.0, 1.0])
    u_right = u_right + 0.08 * rng.standard_normal(u_right.shape)
    u_right /= np.linalg.norm(u_right, axis=1, keepdims=True)
    sphere = np.vstack([u_left, u_right])
    hemi = np.array(["L"] * n_left + ["R"] * n_right)
    sign = np.where(hemi == "L", -1.0, 1.0)
    centre = _CENTRE * np.column_stack([sign, np.ones(n_regions), np.ones(n_regions)])
    coords = centre + sphere * _RADII
    mirrored = coords.copy()
    mirrored[:, 0] = np.abs(coords[:, 0])
    return hemi, sphere, coords, mirrored


def _networks(rng, sphere, hemi, n_networks):
    """Network index and name of each region: spatial clusters, homotopic."""
    sign = np.where(hemi == "L", -1.0, 1.0)
    net_dirs = rng.standard_normal((n_networks, 3))
    net_dirs /= np.linalg.norm(net_dirs, axis=1, keepdims=True)
    # right-hemisphere directions folded onto the left one
    folded = sphere * np.column_stack([-sign, np.ones((len(hemi), 2))])
    net_idx = np.argmax(folded @ net_dirs.T, axis=1)
    names = (
        YEO7[:n_networks]
        if n_networks <= len(YEO7)
        else tuple(f"Net{k + 1}" for k in range(n_networks))
    )
    return net_idx, np.array(names)[net_idx]


def _expression(rng, D_mirror, n_genes, length_scale, n_smooth_fields, gene_rank):
    """Expression in (0, 1), with its smooth fields and region-specific factors."""
    n_regions = len(D_mirror)
    K = np.exp(-(D_mirror**2) / (2.0 * length_scale**2))
    L = np.linalg.cholesky(K + 1e-6 * np.eye(n_regions))
    smooth = L @ rng.standard_normal((n_regions, n_smooth_fields))
    specific = rng.standard_normal((n_regions, gene_rank))
    width = max(1, min(10, n_genes // 10))
    load_smooth = _smooth_along_genes(
        rng.standard_normal((n_smooth_fields, n_genes)), width
    )
    load_specific = _smooth_along_genes(
        rng.standard_normal((gene_rank, n_genes)), width
    )
    latent_expr = smooth @ load_smooth + specific @ load_specific
    latent_expr /= latent_expr.std(axis=0, keepdims=True) + 1e-12
    latent_expr += 0.3 * rng.standard_normal((n_regions, n_genes))
    return 1.0 / (1.0 + np.exp(-latent_expr)), smooth, specific


def _connectome(rng, smooth, specific, D_mirror, net_idx, decay_length, weights, noise):
    """The connectome (gene, distance and network terms plus noise) and its terms."""
    n_regions = len(D_mirror)
    Z = np.column_stack([np.tanh(1.5 * smooth[:, :3]), specific[:, :2]])
    Z = (Z - Z.mean(axis=0)) / (Z.std(axis=0) + 1e-12)
    A = rng.standard_normal((Z.shape[1], Z.shape[1]))
    W = (A + A.T) / 2.0
    gene_term = _standardise_offdiag(Z @ W @ Z.T)
    distance_term = _standardise_offdiag(np.exp(-D_mirror / decay_length))
    network_term = _standardise_offdiag(
        (net_idx[:, None] == net_idx[None, :]).astype(float)
    )
    w_gene, w_dist, w_net = (float(w) for w in weights)
    signal = w_gene * gene_term + w_dist * distance_term + w_net * network_term
    iu = pair_indices(n_regions)
    signal_sd = signal[iu].std()
    E = rng.standard_normal((n_regions, n_regions))
    E = (E + E.T) / np.sqrt(2.0)
    Y = signal + noise * signal_sd * E
    Y = 0.2 + 0.2 * (Y - Y[iu].mean()) / Y[iu].std()
    Y = (Y + Y.T) / 2.0
    np.fill_diagonal(Y, 0.0)
    ground_truth = {
        "Z": Z,
        "W": W,
        "gene_term": gene_term,
        "distance_term": distance_term,
        "network_term": network_term,
    }
    return Y, ground_truth

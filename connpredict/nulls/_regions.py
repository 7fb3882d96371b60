"""Spins on any parcellation: regions with and without sphere centroids.

The spin machinery of :mod:`connpredict.nulls._spins` knows two kinds of
region: ``"cortex"`` (moved by rotating their sphere centroids) and
``"subcortex"`` (moved by rotating their MNI centroids about the centre of
their hemisphere's group), each in hemisphere ``"L"`` or ``"R"``. Region
tables of user atlases (:func:`connpredict.datasets.atlas_regions`) also hold
cortical regions without a sphere position, other structures (abagen's
``"subcortex/brainstem"``, ``"cerebellum"``, ...) and midline regions
(hemisphere ``"B"``). For tables that mark regions with a ``has_sphere``
column, as ``atlas_regions`` does, this module decides, for every region, one
of three treatments and runs the spins accordingly:

- ``"sphere"``: ``has_sphere`` is true, the sphere centroid finite, the hemisphere
  ``"L"`` or ``"R"``: spun with the cortex of its hemisphere;
- ``"rotated"``: no sphere centroid, but a finite ``x, y, z`` centroid, a
  hemisphere ``"L"``/``"R"`` and at least one other such region of the same
  hemisphere and structure: the group's MNI centroids are rotated about the
  group's centre and the regions reassigned within the group (the subcortex
  treatment of :func:`spin_permutations`), so every region stays in its
  hemisphere and structure;
- ``"fixed"``: anything else (midline regions, a region alone in its
  hemisphere and structure, no centroid): the region keeps its own data in
  every permutation, which makes the null conservative for it rather than
  inventing a neighbourhood.
"""

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from connpredict.utils._contract import SPHERE_COLUMNS

TREATMENTS = ("sphere", "rotated", "fixed")
_STANDARD_HEMI = {"L", "R"}


def _finite(regions, columns):
    if not set(columns) <= set(regions.columns):
        return np.zeros(len(regions), dtype=bool)
    values = regions[list(columns)].apply(pd.to_numeric, errors="coerce")
    return np.isfinite(values.to_numpy(dtype=float)).all(axis=1)


def region_treatment(regions):
    """How each region is moved by :func:`spin_permutations` (see module doc).

    Parameters
    ----------
    regions : DataFrame
        Region table with ``hemisphere`` and ``structure`` columns.

    Returns
    -------
    treatment : Series of str
        ``"sphere"``, ``"rotated"`` or ``"fixed"`` per region, indexed like
        ``regions``.
    """
    hemi = regions["hemisphere"].astype(str).to_numpy()
    struct = regions["structure"].astype(str).to_numpy()
    lr = np.isin(hemi, list(_STANDARD_HEMI))
    sphere = _finite(regions, SPHERE_COLUMNS) & lr
    if "has_sphere" in regions.columns:
        sphere &= regions["has_sphere"].fillna(False).astype(bool).to_numpy()
    xyz = _finite(regions, ("x", "y", "z"))
    out = np.full(len(regions), "fixed", dtype=object)
    out[sphere] = "sphere"
    candidates = ~sphere & lr & xyz
    keys = pd.Series([f"{h}|{s}" for h, s in zip(hemi, struct)])
    sizes = keys[candidates].value_counts()
    for k in np.flatnonzero(candidates):
        if sizes.get(keys[k], 0) >= 2:
            out[k] = "rotated"
    return pd.Series(out, index=regions.index, name="null_treatment")


def needs_treatment(regions):
    """Whether a table asks for the treatments: it has a ``has_sphere`` column.

    :func:`connpredict.datasets.atlas_regions` marks every region with
    ``has_sphere``; tables without the mark (e.g. :func:`load_region_table`)
    keep the strict checks of :func:`spin_permutations`, where a cortical
    region without a sphere centroid is an error.
    """
    return isinstance(regions, pd.DataFrame) and "has_sphere" in regions.columns


def _standard_table(regions, rows, structure):
    cols = ["x", "y", "z"]
    table = pd.DataFrame(
        {
            "hemisphere": regions["hemisphere"].astype(str).to_numpy()[rows],
            "structure": structure,
        },
        index=regions.index[rows],
    )
    for c in cols:
        table[c] = (
            regions[c].to_numpy(dtype=float)[rows] if c in regions.columns else np.nan
        )
    for c in SPHERE_COLUMNS:
        table[c] = (
            regions[c].to_numpy(dtype=float)[rows] if c in regions.columns else np.nan
        )
    return table


def treated_spins(regions, n_permutations, spin, *, random_state=None, **kwargs):
    """Spins of a user region table, by the treatments of :func:`region_treatment`.

    Parameters
    ----------
    regions : DataFrame
        The region table.
    n_permutations : int
        Number of spins.
    spin : callable
        ``spin(table, n_permutations, random_state=rng, **kwargs)`` on a table
        in the standard vocabulary (:func:`spin_permutations`).
    random_state : int, RandomState instance or None
        Seed; one generator feeds the calls in a fixed order.

    Returns
    -------
    permutations : ndarray of int of shape (n_permutations, n_regions)
    """
    treatment = region_treatment(regions).to_numpy()
    struct = regions["structure"].astype(str).to_numpy()
    rng = check_random_state(random_state)
    out = np.tile(np.arange(len(regions), dtype=np.intp), (n_permutations, 1))
    sphere_rows = np.flatnonzero(treatment == "sphere")
    rotated = np.flatnonzero(treatment == "rotated")
    # one call per structure of rotated regions; the sphere regions go with
    # the first, so a cortex + one-subcortex table spins as the core does
    structures = list(dict.fromkeys(struct[rotated]))
    calls = []
    if structures:
        calls.append((sphere_rows, rotated[struct[rotated] == structures[0]]))
        calls += [
            (np.empty(0, int), rotated[struct[rotated] == s]) for s in structures[1:]
        ]
    elif sphere_rows.size:
        calls.append((sphere_rows, np.empty(0, int)))
    for cortex_rows, sub_rows in calls:
        table = pd.concat(
            [
                _standard_table(regions, cortex_rows, "cortex"),
                _standard_table(regions, sub_rows, "subcortex"),
            ]
        )
        rows = np.concatenate([cortex_rows, sub_rows]).astype(np.intp)
        perms = spin(table, n_permutations, random_state=rng, **kwargs)
        out[:, rows] = rows[perms]
    return out

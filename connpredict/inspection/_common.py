"""Helpers shared by the inspection functions (private to this subpackage)."""

import numpy as np
import pandas as pd

from connpredict.utils import COORD_COLUMNS

SPHERE_COLUMNS = ("sphere_x", "sphere_y", "sphere_z")
NULLS = ("spin", "shuffle")


def aligned_regions(regions, X, *, what):
    """Rows of the region table matching the regions of ``X``, for spins.

    Raises a ``ValueError`` naming :func:`connpredict.datasets.atlas_regions`
    when the table is missing or has no sphere centroids.
    """
    fix = (
        f"{what} with null='spin' needs a region table with sphere centroids "
        f"(columns {list(SPHERE_COLUMNS)}, plus hemisphere and structure), indexed "
        "like X: pass `regions=ds.regions` of `load_dataset(...)`, or build one "
        "for your atlas with `connpredict.datasets.atlas_regions(atlas, info)`; "
        "or use null='shuffle' (optimistic: it ignores spatial autocorrelation)."
    )
    if regions is None:
        raise ValueError(f"regions is None. {fix}")
    if not isinstance(regions, pd.DataFrame):
        raise TypeError(f"regions must be a DataFrame. {fix}")
    missing = [c for c in (*SPHERE_COLUMNS, "hemisphere") if c not in regions.columns]
    if missing:
        raise ValueError(f"The region table lacks columns {missing}. {fix}")
    absent = X.index.difference(regions.index)
    if len(absent):
        raise ValueError(
            f"Regions {absent.tolist()[:5]} of X are not in the region table; "
            "regions must be indexed by the same labels as X."
        )
    return regions.loc[X.index]


def draw_permutations(null, X, regions, n, random_state, *, what):
    """``n`` permutations of the rows of ``X`` (spins or plain shuffles)."""
    from connpredict.nulls import spin_permutations

    if null not in NULLS:
        raise ValueError(f"null must be one of {list(NULLS)}, got {null!r}.")
    if null == "shuffle":
        return np.vstack([random_state.permutation(len(X)) for _ in range(n)])
    reg = aligned_regions(regions, X, what=what)
    return np.asarray(spin_permutations(reg, n, random_state=random_state))


def coordinates(X, regions, coord_columns=COORD_COLUMNS):
    """MNI centroids of the regions of ``X`` (from X, else the region table)."""
    cols = list(coord_columns)
    if all(c in X.columns for c in cols):
        return X[cols].to_numpy(dtype=float)
    if regions is not None and all(c in regions.columns for c in cols):
        absent = X.index.difference(regions.index)
        if not len(absent):
            return regions.loc[X.index, cols].to_numpy(dtype=float)
    raise ValueError(
        f"Distances need region coordinates: X has no columns {cols} and no "
        "region table indexed like X with them was given (pass `regions=`)."
    )

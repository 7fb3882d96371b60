"""Permutations made elsewhere (neuromaps, netneurotools, brainsmash, files).

A spin array handed over from another package can go wrong silently in two
ways, and both are checked here:

- **layout**: connpredict puts one permutation per row, ``(n_permutations,
  n_regions)``; neuromaps and netneurotools one per column, ``(n_regions,
  n_permutations)``. A square array read the wrong way still has valid
  indices. Each row of a valid permutation array is a permutation of
  ``0..n-1``: when the rows are not but the columns are, the array is
  transposed and refused with the fix.
- **one-to-one**: spins by nearest assignment repeat some regions and drop
  others; they are refused unless ``allow_duplicates=True``.

Cortex-only spins (a surface parcellation's cortical regions) for a table of
cortex and subcortex are completed, with the region table, the way
:func:`spin_permutations` moves regions without a sphere centroid.
"""

import numpy as np
import pandas as pd

from connpredict.nulls._regions import region_treatment

#: the treatment of a region whose permutation was given (``region_treatment``)
GIVEN = "given"


def _is_permutation(a):
    """Mask over the rows of ``a`` (n_rows, n): each row a permutation of 0..n-1."""
    n = a.shape[1]
    return np.all(np.sort(a, axis=1) == np.arange(n), axis=1)


def _as_index_array(permutations):
    perms = np.asarray(permutations)
    if perms.ndim == 1:
        perms = perms[None, :]
    if perms.ndim != 2 or 0 in perms.shape:
        raise ValueError(
            "permutations must be a 2-D array of region indices, one permutation "
            f"per row, got shape {np.shape(permutations)}."
        )
    if not np.issubdtype(perms.dtype, np.integer):
        if not np.issubdtype(perms.dtype, np.number) or not (
            np.all(np.isfinite(perms)) and np.all(perms == np.round(perms))
        ):
            raise ValueError("permutations must hold integer region indices.")
        perms = perms.astype(np.intp)
    return perms.astype(np.intp, copy=False)


def orient_permutations(
    permutations, widths, permutation_axis=0, *, allow_duplicates=False
):
    """Return given permutations with one permutation per row, checked.

    Parameters
    ----------
    permutations : array-like of int
        ``(n_permutations, width)`` with ``permutation_axis=0`` (connpredict's
        layout) or ``(width, n_permutations)`` with ``permutation_axis=1``
        (neuromaps' and netneurotools': ``spins[:, k]`` is the k-th spin).
    widths : tuple of int
        The accepted numbers of regions: all of X's, and the number of its
        cortical regions when cortex-only spins can be completed.
    permutation_axis : {0, 1}, default=0
        Which axis holds the permutations.
    allow_duplicates : bool, default=False
        Accept rows that are not one-to-one (spins by nearest assignment).

    Returns
    -------
    permutations : ndarray of int of shape (n_permutations, width)

    Raises
    ------
    ValueError
        A wrong shape, indices out of range, an array whose rows are not
        permutations but whose columns are (transposed), or rows that are
        not one-to-one without ``allow_duplicates``.
    """
    if permutation_axis not in (0, 1):
        raise ValueError(
            "permutation_axis must be 0 (rows are permutations: shape "
            "(n_permutations, n_regions)) or 1 (columns are permutations: shape "
            f"(n_regions, n_permutations), as neuromaps and netneurotools), got "
            f"{permutation_axis!r}."
        )
    perms = _as_index_array(permutations)
    full = widths[0]
    shown = " or ".join(str(w) for w in widths)
    if permutation_axis == 1:
        if perms.shape[0] not in widths:
            raise ValueError(
                f"With permutation_axis=1, permutations must have shape "
                f"({full}, n_permutations) (one column per permutation), got "
                f"{perms.shape}."
            )
        perms = perms.T
    elif perms.shape[1] not in widths:
        if perms.shape[0] in widths:
            raise ValueError(
                f"permutations has shape {perms.shape}: one row per region, as "
                "neuromaps and netneurotools write spins; pass permutation_axis=1 "
                "(or the transpose) so that each row is a permutation."
            )
        raise ValueError(
            f"permutations must have shape (n_permutations, {shown}) to match "
            f"the regions of X, got {perms.shape}."
        )
    width = perms.shape[1]
    if perms.min() < 0 or perms.max() >= width:
        raise ValueError(
            f"permutations must hold region indices in [0, {width - 1}], got "
            f"values in [{perms.min()}, {perms.max()}]."
        )
    rows_ok = _is_permutation(perms)
    if rows_ok.all():
        return perms
    square = perms.shape[0] == width
    if square and _is_permutation(perms.T).all():
        given, other = ("rows", "columns")[:: 1 - 2 * permutation_axis]
        layout = (
            "neuromaps and netneurotools return spins as (n_regions, "
            "n_permutations), one permutation per column: pass permutation_axis=1"
            if permutation_axis == 0
            else "connpredict's layout, one permutation per row, (n_permutations, "
            "n_regions), is permutation_axis=0: pass that"
        )
        raise ValueError(
            f"permutations looks transposed: {int(rows_ok.sum())} of its "
            f"{perms.shape[0]} {given} are permutations of the regions but all of "
            f"its {other} are. {layout}."
        )
    if not allow_duplicates:
        bad = np.flatnonzero(~rows_ok)
        raise ValueError(
            f"{bad.size} of the {perms.shape[0]} permutations are not one-to-one "
            f"(e.g. number {bad[:5].tolist()}): they repeat some regions and drop "
            "others, as spins by nearest assignment do. Use one-to-one spins "
            "(method 'hungarian' or 'vasa'), or pass allow_duplicates=True to "
            "use these knowingly."
        )
    return perms


def complete_cortex_spins(cortex_perms, regions, spin, *, random_state, **kwargs):
    """Extend cortex-only spins to the other regions of a region table.

    The given spins permute the cortical regions (``structure == "cortex"``)
    among themselves, in the order they appear in ``regions``. Every other
    region is moved as :func:`spin_permutations` moves a region without a
    sphere centroid: rotated by its ``x, y, z`` centroid within its
    hemisphere and structure (about the group's centre, by rotations drawn
    from ``random_state`` independently of the cortex) when at least two share
    both, and otherwise kept in place.

    Parameters
    ----------
    cortex_perms : ndarray of int of shape (n_permutations, n_cortex)
        The given spins of the cortical regions.
    regions : DataFrame
        Region table in the row order of X.
    spin : callable
        :func:`spin_permutations`.
    random_state : RandomState
        Seed of the rotations of the other regions.
    **kwargs
        Passed to ``spin`` (``method``).

    Returns
    -------
    permutations : ndarray of int of shape (n_permutations, n_regions)
    treatment : Series of str
        ``"given"`` for the cortical regions, ``"rotated"`` or ``"fixed"``
        for the others, indexed like ``regions``.
    """
    cortex = (regions["structure"].astype(str) == "cortex").to_numpy()
    cortex_rows = np.flatnonzero(cortex)
    other_rows = np.flatnonzero(~cortex)
    n_perm = cortex_perms.shape[0]
    out = np.tile(np.arange(len(regions), dtype=np.intp), (n_perm, 1))
    out[:, cortex_rows] = cortex_rows[cortex_perms]
    treatment = pd.Series(GIVEN, index=regions.index, name="null_treatment")
    if other_rows.size:
        others = regions.iloc[other_rows].copy()
        # no sphere: each region is rotated within its hemisphere and structure
        others["has_sphere"] = False
        sub_treatment = region_treatment(others)
        perms = spin(others, n_perm, random_state=random_state, **kwargs)
        out[:, other_rows] = other_rows[perms]
        treatment.iloc[other_rows] = sub_treatment.to_numpy()
    return out, treatment


def given_permutations(
    permutations,
    X,
    regions,
    *,
    permutation_axis,
    allow_duplicates,
    spin,
    random_state,
    **kwargs,
):
    """The permutations of ``spin_test(permutations=...)``, checked and completed.

    Returns
    -------
    permutations : ndarray of int of shape (n_permutations, n_regions)
    treatment : Series or None
        Per region, ``"given"`` or how the region was completed; None when the
        permutations covered every region.
    """
    n_regions = X.shape[0]
    n_cortex = None
    if regions is not None and "structure" in regions.columns:
        n_cortex = int((regions["structure"].astype(str) == "cortex").sum())
    widths = (n_regions,)
    if n_cortex and n_cortex < n_regions:
        widths = (n_regions, n_cortex)
    try:
        perms = orient_permutations(
            permutations,
            widths,
            permutation_axis,
            allow_duplicates=allow_duplicates,
        )
    except ValueError as exc:
        if regions is None and _might_be_cortex_only(permutations, n_regions):
            raise ValueError(
                f"{exc} If these are cortex-only spins (e.g. from a surface "
                "parcellation) for an X with subcortical regions too, pass "
                "regions= (the region table with a 'structure' column): the "
                "cortex takes the given spins and the other regions are rotated "
                "within their hemisphere and structure."
            ) from None
        raise
    if perms.shape[1] == n_regions:
        return perms, None
    return complete_cortex_spins(
        perms, regions, spin, random_state=random_state, **kwargs
    )


def _might_be_cortex_only(permutations, n_regions):
    shape = np.shape(permutations)
    return len(shape) == 2 and n_regions not in shape and min(shape) < n_regions

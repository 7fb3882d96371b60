"""Yeo-7 networks for any atlas, offline, from the shipped Schaefer-400 table."""

import logging
import warnings

import numpy as np
import pandas as pd

from connpredict.datasets._load import load_region_table
from connpredict.utils._contract import COORD_COLUMNS

logger = logging.getLogger(__name__)

#: Schaefer resolution whose parcels give the networks
REFERENCE_PARCELS = 400
# a cortical centroid this far from every reference parcel is not MNI cortex
_FAR_MM = 20.0


def region_names(regions, labels):
    """``label (name)`` for messages, when the table has a ``name`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.datasets._networks import region_names
    >>> t = pd.DataFrame({"name": ["thalamus"]}, index=[10])
    >>> region_names(t, [10])
    ['10 (thalamus)']
    """
    if not isinstance(regions, pd.DataFrame) or "name" not in regions.columns:
        return [str(lab) for lab in labels]
    names = regions["name"]
    return [
        f"{lab} ({names[lab]})" if lab in names.index and str(names[lab]) != str(lab)
        else str(lab)
        for lab in labels
    ]  # fmt: skip


def assign_yeo_networks(regions, *, non_cortex="Subcortical"):
    """Give each region the Yeo-7 network of the nearest Schaefer-400 parcel.

    An offline route to ``networks`` (for
    :class:`~connpredict.model_selection.NetworkSplit` and
    ``connpredict run --cv network``) for an atlas that has none: each
    cortical region takes the network of the Schaefer-400 (7-network) parcel
    whose MNI centroid (the region table shipped with connpredict) is nearest
    its own ``x, y, z``, among the parcels of its hemisphere when the table
    has a ``hemisphere`` column (``"L"``/``"R"``).

    On the Schaefer-100, -200 and -300 parcellations, whose true networks are
    known, this assignment agrees with them for 88 %, 90.5 % and 93.3 % of
    the cortical regions (``benchmarks/bench_network_assignment.py``); it is
    an approximation for
    parcels that straddle network boundaries, so prefer the atlas's own
    networks when it has them.

    Parameters
    ----------
    regions : DataFrame
        Region table indexed by label with MNI centroids ``x``, ``y``, ``z``
        (mm), e.g. from :func:`atlas_regions`; optional ``hemisphere`` and
        ``structure`` columns.
    non_cortex : str or None, default="Subcortical"
        Network of the regions whose ``structure`` is not ``"cortex"`` (the
        shipped tables call their 14 subcortical regions ``"Subcortical"``);
        None leaves them without a network (NaN). Without a ``structure``
        column every region is matched to the nearest of the 400 cortical
        parcels and the 14 subcortical regions of the table.

    Returns
    -------
    networks : Series of str
        Indexed like ``regions``, named ``"network"``: pass it as
        ``make_dataset(..., networks=networks)`` or store it as the
        ``network`` column of a ``--regions`` file.

    Warns
    -----
    UserWarning
        When a cortical region lies more than 20 mm from every reference
        parcel of its hemisphere (centroids not in MNI millimetres?), naming
        the regions.

    See Also
    --------
    make_dataset : Takes ``networks=``.
    load_region_table : The shipped Schaefer tables.

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.datasets import assign_yeo_networks
    >>> regions = pd.DataFrame(
    ...     {"x": [-30.0, 42.0], "y": [-88.0, 20.0], "z": [0.0, 30.0],
    ...      "hemisphere": ["L", "R"], "structure": "cortex"},
    ...     index=["occipital", "frontal"])
    >>> assign_yeo_networks(regions).tolist()
    ['Vis', 'Cont']
    """
    if not isinstance(regions, pd.DataFrame):
        raise TypeError(
            "regions must be a region table (DataFrame indexed by label with x, "
            f"y, z), got {type(regions).__name__}."
        )
    absent = [c for c in COORD_COLUMNS if c not in regions.columns]
    if absent:
        raise ValueError(
            f"The region table lacks column(s) {absent}; networks are assigned "
            "from MNI centroids x, y, z (mm), e.g. from atlas_regions."
        )
    xyz = regions[list(COORD_COLUMNS)].to_numpy(dtype=float)
    bad = ~np.isfinite(xyz).all(axis=1)
    if bad.any():
        raise ValueError(
            f"Regions {region_names(regions, regions.index[bad][:5])} have no "
            "finite x, y, z centroid; fix or drop them first."
        )
    ref = load_region_table(REFERENCE_PARCELS)
    ref_xyz = ref[list(COORD_COLUMNS)].to_numpy(dtype=float)
    ref_cortex = (ref["structure"] == "cortex").to_numpy()
    ref_hemi = ref["hemisphere"].astype(str).to_numpy()
    has_structure = "structure" in regions.columns
    if has_structure:
        cortex = (regions["structure"].astype(str) == "cortex").to_numpy()
    else:
        cortex = np.ones(len(regions), dtype=bool)
    hemi = (
        regions["hemisphere"].astype(str).to_numpy()
        if "hemisphere" in regions.columns
        else np.full(len(regions), "")
    )
    out = np.full(len(regions), np.nan, dtype=object)
    nearest = np.full(len(regions), np.nan)
    for k in np.flatnonzero(cortex):
        pool = ref_cortex if has_structure else np.ones(len(ref), dtype=bool)
        if hemi[k] in ("L", "R"):
            pool = pool & (ref_hemi == hemi[k])
        idx = np.flatnonzero(pool)
        d = np.linalg.norm(ref_xyz[idx] - xyz[k], axis=1)
        j = idx[int(np.argmin(d))]
        out[k] = ref["network"].iloc[j]
        nearest[k] = float(d.min())
    if has_structure and non_cortex is not None:
        out[~cortex] = non_cortex
    far = np.flatnonzero(nearest > _FAR_MM)
    if far.size:
        warnings.warn(
            f"{far.size} region(s) lie more than {_FAR_MM:g} mm from every "
            f"Schaefer-{REFERENCE_PARCELS} parcel of their hemisphere (e.g. "
            f"{region_names(regions, regions.index[far][:5])}); their networks "
            "are guesses. Are the centroids MNI152 millimetres?",
            UserWarning,
            stacklevel=2,
        )
    if np.isfinite(nearest).any():
        logger.info(
            "assign_yeo_networks: median distance to the nearest parcel %.1f mm",
            float(np.nanmedian(nearest)),
        )
    return pd.Series(out, index=regions.index.copy(), name="network")

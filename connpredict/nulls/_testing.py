"""Synthetic region tables for tests and benchmarks of the spin machinery."""

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state


def _unit_sphere(n, rng):
    p = rng.standard_normal((n, 3))
    return p / np.linalg.norm(p, axis=1, keepdims=True)


def make_region_table(n_cortex=40, n_subcortex=0, *, mirror=False, random_state=None):
    """A region table shaped like the shipped ones, with random regions.

    Each hemisphere's cortical regions are uniform on its own unit sphere
    (like FreeSurfer's ``?h.sphere``); their MNI coordinates map the sphere
    into the hemisphere (``x = +-40 + 25 u_x``, ``y = 60 u_y``,
    ``z = 45 u_z``, lateral outwards). Subcortical regions are scattered in a
    ball of radius 15 mm around ``(+-20, -5, 0)``. With ``mirror=True`` the
    right hemisphere is the exact mirror image of the left (same order).
    Labels are ``L_ctx_000``..., left hemisphere first, cortex before
    subcortex in each hemisphere.
    """
    rng = check_random_state(random_state)
    n_left = (n_cortex + 1) // 2
    n_sub_left = (n_subcortex + 1) // 2
    rows = []
    left_ctx = _unit_sphere(n_left, rng)
    left_sub = rng.uniform(-1, 1, (n_sub_left, 3)) * 15
    for hemi, sign in (("L", -1.0), ("R", 1.0)):
        if hemi == "L":
            ctx, sub = left_ctx, left_sub
        elif mirror:
            ctx = left_ctx * [-1, 1, 1]
            sub = left_sub * [-1, 1, 1]
        else:
            ctx = _unit_sphere(n_cortex - n_left, rng)
            sub = rng.uniform(-1, 1, (n_subcortex - n_sub_left, 3)) * 15
        for k, u in enumerate(ctx):
            rows.append(
                {
                    "label": f"{hemi}_ctx_{k:03d}",
                    "hemisphere": hemi,
                    "structure": "cortex",
                    "x": sign * 40 + 25 * u[0],
                    "y": 60 * u[1],
                    "z": 45 * u[2],
                    "sphere_x": u[0],
                    "sphere_y": u[1],
                    "sphere_z": u[2],
                }
            )
        for k, v in enumerate(sub):
            rows.append(
                {
                    "label": f"{hemi}_sub_{k:03d}",
                    "hemisphere": hemi,
                    "structure": "subcortex",
                    "x": sign * 20 + v[0],
                    "y": -5 + v[1],
                    "z": v[2],
                    "sphere_x": np.nan,
                    "sphere_y": np.nan,
                    "sphere_z": np.nan,
                }
            )
    return pd.DataFrame(rows).set_index("label")

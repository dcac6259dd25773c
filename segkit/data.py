"""Course data: deterministic synthetic microscopy and the registry of real public datasets.

Introduced in notebook 01. Everything here runs offline: the default data are generated, not
downloaded, and come out identical for the same seed on every machine. Real datasets are one
call away on a networked runtime through `REGISTRY` and `fetch` (pooch: download, cache,
checksum).

Generators
----------
- `make_em_volume`: FIB-SEM-like stacks with mitochondria (3-D ellipsoids through z).
- `make_touching_particles`: bright particles, many touching, with instance labels; optionally
  distractors (faint blobs, debris, rings) that are not particles.
- `make_cells`: cells with dark membrane borders and known centres (click-point weak labels).

On disk, `write_em_dataset` lays a volume out like the EPFL CVLab hippocampus set:
``training.tif``, ``training_groundtruth.tif``, ``testing.tif``, ``testing_groundtruth.tif``,
multipage TIFFs with masks stored as 0/255.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from . import io as _io
from ._validate import as_rng, check_int

__all__ = [
    "make_em_volume", "make_touching_particles", "DISTRACTOR_KINDS", "make_cells",
    "write_em_dataset",
    "SYNTHETIC", "REGISTRY", "RemoteDataset", "fetch", "load_dataset", "load_em_stacks",
    "EM_FILES",
]

EM_FILES = ("training", "training_groundtruth", "testing", "testing_groundtruth")
_GENERATOR_VERSION = 1  # bump when the generators change, so cached data are rebuilt


def _shape2(shape, name="shape"):
    if len(tuple(shape)) != 2:
        raise ValueError(f"`{name}` must be (height, width), got {shape!r}")
    h, w = (check_int(s, name, minimum=16) for s in shape)
    return h, w


def _smooth_field(rng, shape, sigma):
    """Zero-mean, unit-variance smooth random field (Gaussian-filtered white noise)."""
    f = ndi.gaussian_filter(rng.standard_normal(shape).astype(np.float32), sigma, mode="wrap")
    return (f - f.mean()) / (f.std() + 1e-12)


def _upsample(a, shape):
    """Bilinear resize of a 2-D field to `shape`."""
    zoom = (shape[0] / a.shape[0], shape[1] / a.shape[1])
    out = ndi.zoom(a, zoom, order=1, mode="nearest", grid_mode=True)
    return out[: shape[0], : shape[1]]


def _to_uint8(x):
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- EM volume
def _voronoi_membranes(seeds, shape, warp, width):
    """Boolean membrane map: borders of the Voronoi cells of `seeds` on a warped grid."""
    h, w = shape
    step = 2  # labels at half resolution are plenty for smooth cell borders
    hh, ww = -(-h // step), -(-w // step)
    grid = np.zeros((hh, ww), bool)
    rr = np.clip((seeds[:, 0] / step).astype(int), 0, hh - 1)
    cc = np.clip((seeds[:, 1] / step).astype(int), 0, ww - 1)
    grid[rr, cc] = True
    _, (ir, ic) = ndi.distance_transform_edt(~grid, return_indices=True)
    seed_id = np.zeros((hh, ww), np.int32)
    seed_id[rr, cc] = np.arange(1, len(seeds) + 1)
    labels = seed_id[ir, ic]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    coords = [(yy + warp[0]) / step, (xx + warp[1]) / step]
    full = ndi.map_coordinates(labels, coords, order=0, mode="nearest")
    edge = np.zeros((h, w), bool)
    edge[:-1] |= full[:-1] != full[1:]
    edge[:, :-1] |= full[:, :-1] != full[:, 1:]
    return ndi.binary_dilation(edge, iterations=max(width // 2, 1)) if width > 1 else edge


def _sample_mitochondria(rng, n_slices, shape, density):
    """Random 3-D ellipsoids: centre, in-plane axes and angle, z half-length, drift in z."""
    h, w = shape
    n = max(1, int(round(density * n_slices * h * w / 1e6)))
    mitos = []
    for _ in range(n):
        a = rng.uniform(28, 75)          # long in-plane semi-axis (px)
        b = rng.uniform(14, 24)          # short in-plane semi-axis (px)
        mitos.append(dict(
            z=rng.uniform(-8, n_slices + 8), y=rng.uniform(0, h), x=rng.uniform(0, w),
            a=a, b=min(b, a), theta=rng.uniform(0, np.pi), c=rng.uniform(6, 22),
            vy=rng.normal(0, 0.6), vx=rng.normal(0, 0.6), period=rng.uniform(6, 10),
            phase=rng.uniform(0, 2 * np.pi),
        ))
    return mitos


def _draw_mitochondria(z, mitos, shape, fine):
    """Interior mask, outer-membrane ring and cristae pattern of the mitochondria at slice z."""
    h, w = shape
    inside = np.zeros(shape, bool)
    ring = np.zeros(shape, np.float32)
    cristae = np.zeros(shape, np.float32)
    for m in mitos:
        dz = (z - m["z"]) / m["c"]
        if abs(dz) >= 1:
            continue
        s = np.sqrt(1 - dz * dz)
        a, b = m["a"] * s, m["b"] * s
        if b < 3:
            continue
        cy, cx = m["y"] + m["vy"] * (z - m["z"]), m["x"] + m["vx"] * (z - m["z"])
        r = int(np.ceil(a)) + 3
        y0, y1 = max(int(cy) - r, 0), min(int(cy) + r + 1, h)
        x0, x1 = max(int(cx) - r, 0), min(int(cx) + r + 1, w)
        if y0 >= y1 or x0 >= x1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        ct, st = np.cos(m["theta"]), np.sin(m["theta"])
        u = (xx - cx) * ct + (yy - cy) * st
        v = -(xx - cx) * st + (yy - cy) * ct
        q = np.sqrt((u / a) ** 2 + (v / b) ** 2)
        core = q < 1
        inside[y0:y1, x0:x1] |= core
        # a dark double membrane about 3 px thick just inside the outline
        band = np.clip(1 - np.abs(q - (1 - 1.5 / b)) * b / 1.8, 0, 1)
        ring[y0:y1, x0:x1] = np.maximum(ring[y0:y1, x0:x1], band)
        # cristae: wavy folds across the long axis
        wave = np.sin(2 * np.pi * u / m["period"] + m["phase"] + 2.0 * fine[y0:y1, x0:x1])
        cristae[y0:y1, x0:x1] = np.where(core, wave, cristae[y0:y1, x0:x1])
    return inside, ring, cristae


def _draw_vesicles(z, vesicles, shape):
    """Small dark-rimmed spheres cut at slice z: rim and lumen maps."""
    h, w = shape
    rim = np.zeros(shape, np.float32)
    lumen = np.zeros(shape, bool)
    for vz, vy, vx, vr in vesicles:
        dz = z - vz
        if abs(dz) >= vr:
            continue
        r = np.sqrt(vr * vr - dz * dz)
        if r < 1.5:
            continue
        R = int(np.ceil(r)) + 2
        y0, y1 = max(int(vy) - R, 0), min(int(vy) + R + 1, h)
        x0, x1 = max(int(vx) - R, 0), min(int(vx) + R + 1, w)
        if y0 >= y1 or x0 >= x1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        d = np.sqrt((yy - vy) ** 2 + (xx - vx) ** 2)
        rim[y0:y1, x0:x1] = np.maximum(rim[y0:y1, x0:x1], np.clip(1 - np.abs(d - r) / 1.2, 0, 1))
        lumen[y0:y1, x0:x1] |= d < r - 1
    return rim, lumen


def make_em_volume(n_slices=24, shape=(768, 1024), *, seed=0, mito_density=4.0,
                   noise=16.0, blur=1.0):
    """Synthetic FIB-SEM-like volume of mitochondria in textured cytoplasm, with ground truth.

    Cytoplasm with granular texture that is smooth across z, cell membranes that drift slowly
    from slice to slice, dark-rimmed vesicles, and mitochondria as 3-D ellipsoids running
    through several slices (so neighbouring slices correlate the way real stacks do), with a
    dark double outer membrane and internal cristae. Blur, per-slice noise and a slow drift of
    brightness finish it. Foreground and background intensities overlap on purpose: no global
    threshold separates mitochondria from the rest (membranes and vesicle rims are as dark).

    Parameters
    ----------
    n_slices : int
        Number of slices (z).
    shape : (int, int)
        Slice height and width; the EPFL hippocampus slices are (768, 1024).
    seed : int
        Same seed, same volume, on any machine.
    mito_density : float
        Mitochondria per slice per megapixel, roughly.
    noise : float
        Standard deviation of the per-voxel Gaussian noise, in grey levels.
    blur : float
        Sigma of the in-plane Gaussian blur (the microscope's point spread).

    Returns
    -------
    images : (n_slices, H, W) uint8 ndarray
    masks : (n_slices, H, W) uint8 ndarray of {0, 1}
        1 inside mitochondria.

    Examples
    --------
    >>> images, masks = make_em_volume(2, (64, 96), seed=1)
    >>> images.shape, images.dtype, sorted(np.unique(masks).tolist()) in ([0], [0, 1])
    ((2, 64, 96), dtype('uint8'), True)
    """
    n = check_int(n_slices, "n_slices", minimum=1)
    h, w = _shape2(shape)
    rng = as_rng(seed, "seed")
    # 3-D smooth textures at reduced resolution (cheap, and smooth across z by construction)
    coarse = _smooth_field(rng, (n + 4, max(h // 16, 4), max(w // 16, 4)), (2.0, 2.0, 2.0))
    fine = _smooth_field(rng, (n + 4, max(h // 3, 4), max(w // 3, 4)), (1.0, 1.2, 1.2))
    n_cells = max(2, int(h * w / 60_000))
    seeds0 = rng.uniform([0, 0], [h, w], size=(n_cells, 2))
    seed_drift = rng.normal(0, 0.8, size=(n_cells, 2))
    warp_fields = [6.0 * _upsample(_smooth_field(rng, (h // 32 + 4, w // 32 + 4), 1.5), (h, w))
                   for _ in range(2)]
    n_ves = int(60 * (n + 8) * h * w / 1e6)
    vesicles = np.column_stack([
        rng.uniform(-4, n + 4, n_ves), rng.uniform(0, h, n_ves), rng.uniform(0, w, n_ves),
        rng.uniform(3.0, 8.0, n_ves),
    ])
    mitos = _sample_mitochondria(rng, n, (h, w), mito_density)
    slice_gain = 1 + 0.03 * np.cumsum(rng.normal(0, 0.3, n))  # slow drift of brightness
    images = np.empty((n, h, w), np.uint8)
    masks = np.empty((n, h, w), np.uint8)
    for z in range(n):
        c = _upsample(coarse[z + 2], (h, w))
        f = _upsample(fine[z + 2], (h, w))
        membrane = _voronoi_membranes(seeds0 + z * seed_drift, (h, w), warp_fields, width=3)
        inside, ring, cristae = _draw_mitochondria(z, mitos, (h, w), f)
        rim, lumen = _draw_vesicles(z, vesicles, (h, w))
        img = 158 + 16 * c + 14 * f
        img -= 62 * membrane
        img = np.where(lumen, img + 12, img) - 58 * rim
        # mitochondria: darker matrix, lighter cristae folds, dark outer membrane
        img = np.where(inside, 128 + 10 * c + 10 * f + 16 * (cristae > 0.35) - 10 * (cristae < -0.6),
                       img)
        img -= 60 * ring
        img = ndi.gaussian_filter(img, blur) if blur > 0 else img
        img = img * slice_gain[z] + noise * rng.standard_normal((h, w)).astype(np.float32)
        images[z] = _to_uint8(img)
        masks[z] = inside
    return images, masks


# ----------------------------------------------------------------------------- particles
DISTRACTOR_KINDS = ("faint", "debris", "ring")


def _distractor_kinds(kinds):
    if isinstance(kinds, str):
        kinds = (kinds,)
    try:
        kinds = tuple(kinds)
    except TypeError:
        raise TypeError(f"`distractor_kinds` must be a sequence of names from "
                        f"{DISTRACTOR_KINDS}, got {kinds!r}") from None
    bad = [k for k in kinds if k not in DISTRACTOR_KINDS]
    if not kinds or bad:
        raise ValueError(f"`distractor_kinds` must be a non-empty sequence of names from "
                         f"{DISTRACTOR_KINDS}, got {kinds!r}")
    return kinds


def _draw_distractors(rng, lab, count, kinds, radius, yy, xx):
    """Grey levels to add for `count` distractors placed in the background of `lab`.

    Each distractor stays at least its extent plus 5 pixels away from every particle (the
    image blur reaches 4 pixels), so particles and their labels are untouched. Returns the
    added field and the distractors' own label image (1..D, D <= `count`).
    """
    h, w = lab.shape
    field = np.zeros((h, w), np.float32)
    own = np.zeros((h, w), np.int32)
    if count == 0:
        return field, own
    room = ndi.distance_transform_edt(lab == 0)  # distance to the nearest particle pixel
    placed = []  # (centre, extent)
    for _ in range(count * 30):
        if len(placed) == count:
            break
        kind = kinds[rng.integers(len(kinds))]
        r = rng.uniform(*radius)
        extent = 1.1 * r if kind == "debris" else r
        c = rng.uniform([extent, extent], [h - extent, w - extent])
        iy, ix = int(round(c[0])), int(round(c[1]))
        if not (0 <= iy < h and 0 <= ix < w) or room[iy, ix] < extent + 5:
            continue
        if any(np.hypot(*(c - cj)) < extent + ej + 3 for cj, ej in placed):
            continue
        q = np.hypot(yy - c[0], xx - c[1]) / r
        if kind == "faint":  # a particle at a third of the contrast, with a soft edge
            soft = np.clip((1 - q) / 0.6, 0, 1)
            add = rng.uniform(30, 60) * soft * soft * (3 - 2 * soft)
        elif kind == "debris":  # irregular outline, mottled texture
            ang = np.arctan2(yy - c[0], xx - c[1])
            edge = 0.8 + sum(rng.uniform(0, 0.1) * np.cos(k * ang + rng.uniform(0, 2 * np.pi))
                             for k in (2, 3, 4))  # between 0.5 and 1.1 radii
            texture = ndi.gaussian_filter(rng.standard_normal((h, w)).astype(np.float32), 1.0)
            texture /= texture.std() + 1e-12
            add = (q < edge) * rng.uniform(45, 90) * np.clip(1 + 0.5 * texture, 0, None)
        else:  # "ring": a hollow shell, bright rim and a background-dark centre
            add = ((q > 0.55) & (q < 1)) * rng.uniform(70, 110)
        placed.append((c, extent))
        field += add.astype(np.float32)
        own[(add > 0) & (own == 0)] = len(placed)
    return field, own


def make_touching_particles(n_images=4, shape=(256, 256), *, seed=0, n_particles=30,
                            radius=(8.0, 15.0), touching=0.6, noise=12.0, distractors=0,
                            distractor_kinds=DISTRACTOR_KINDS, return_distractors=False):
    """Bright round particles on a dark background, many touching, with instance labels.

    Touching particles meet without a dark gap, so connected components of a perfect
    foreground mask merge them; separating them needs a distance map and watershed
    (notebook 08). With `distractors`, each image also holds things that are *not*
    particles and are labelled background: sources of false detections for a network that
    never saw them (notebook 08 filters them by their Monte-Carlo uncertainty).

    Parameters
    ----------
    n_images : int
    shape : (int, int)
    seed : int
    n_particles : int
        Particles per image (fewer if they do not fit).
    radius : (float, float)
        Range of particle radii in pixels.
    touching : float
        Fraction of particles placed against an earlier one.
    noise : float
        Gaussian noise standard deviation in grey levels.
    distractors : int
        Distractors per image (fewer if the background has no room), placed at least 5 pixels
        away from every particle. 0 (the default) gives exactly the images of earlier
        versions; any number leaves the particles, the labels and the image away from the
        distractors unchanged (the distractors draw from their own random stream).
    distractor_kinds : sequence of str
        Drawn uniformly from: ``"faint"`` (a round blob at a third to a half of a particle's
        contrast, with a soft edge), ``"debris"`` (an irregular outline with a mottled
        texture, 0.5 to 1.1 radii from its centre), ``"ring"`` (a bright rim with a dark centre).
        Their sizes follow `radius`.
    return_distractors : bool
        Also return the distractors' own label image.

    Returns
    -------
    images : (n_images, H, W) uint8 ndarray
    labels : (n_images, H, W) int32 ndarray
        0 background (distractors included), 1..K particles (numbered per image).
    distractor_labels : (n_images, H, W) int32 ndarray
        Only with `return_distractors`: 0 elsewhere, 1..D distractors (numbered per image).

    Examples
    --------
    >>> images, labels = make_touching_particles(1, (64, 64), seed=0, n_particles=5)
    >>> labels.dtype, int(labels.max()) >= 2
    (dtype('int32'), True)
    >>> _, labels = make_touching_particles(1, (96, 96), seed=0, n_particles=5)
    >>> _, same, debris = make_touching_particles(1, (96, 96), seed=0, n_particles=5,
    ...                                           distractors=2, return_distractors=True)
    >>> bool((same == labels).all()), int(debris.max()), bool((labels[debris > 0] == 0).all())
    (True, 2, True)
    """
    n = check_int(n_images, "n_images", minimum=1)
    h, w = _shape2(shape)
    k = check_int(n_particles, "n_particles", minimum=1)
    n_distractors = check_int(distractors, "distractors", minimum=0)
    kinds = _distractor_kinds(distractor_kinds)
    r_lo, r_hi = (float(r) for r in radius)
    if not 1 <= r_lo <= r_hi:
        raise ValueError(f"`radius` must be (low, high) with 1 <= low <= high, got {radius!r}")
    rng = as_rng(seed, "seed")
    # the distractors' own stream: adding them changes nothing else (spawning does not
    # advance `rng`)
    drng = rng.spawn(1)[0] if n_distractors else None
    images = np.empty((n, h, w), np.uint8)
    labels = np.zeros((n, h, w), np.int32)
    debris = np.zeros((n, h, w), np.int32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for i in range(n):
        centres, radii = [], []
        for _ in range(k * 20):
            if len(centres) == k:
                break
            r = rng.uniform(r_lo, r_hi)
            if centres and rng.random() < touching:
                j = rng.integers(len(centres))
                ang = rng.uniform(0, 2 * np.pi)
                d = (radii[j] + r) * rng.uniform(0.85, 0.97)  # slight overlap: they touch
                c = centres[j] + d * np.array([np.sin(ang), np.cos(ang)])
            else:
                c = rng.uniform([r, r], [h - r, w - r])
            if not (r <= c[0] <= h - r and r <= c[1] <= w - r):
                continue
            dists = [np.hypot(*(c - cj)) / (r + rj) for cj, rj in zip(centres, radii)]
            if dists and min(dists) < 0.8:  # reject heavy overlaps; touching is wanted
                continue
            centres.append(c)
            radii.append(r)
        # each pixel belongs to the particle it is deepest inside (normalised distance)
        best = np.full((h, w), np.inf, np.float32)
        lab = np.zeros((h, w), np.int32)
        for j, (c, r) in enumerate(zip(centres, radii), start=1):
            q = np.hypot(yy - c[0], xx - c[1]) / r
            take = (q < 1) & (q < best)
            best[take] = q[take]
            lab[take] = j
        shading = np.where(lab > 0, np.sqrt(np.clip(1 - best ** 2, 0, 1)), 0)
        img = 60 + 8 * _upsample(_smooth_field(rng, (h // 8, w // 8), 1.5), (h, w))
        img = img + (lab > 0) * (95 + 45 * shading)
        if n_distractors:
            extra, debris[i] = _draw_distractors(drng, lab, n_distractors, kinds,
                                                 (r_lo, r_hi), yy, xx)
            img = img + extra
        img = ndi.gaussian_filter(img, 1.0) + noise * rng.standard_normal((h, w))
        images[i] = _to_uint8(img)
        labels[i] = lab
    if return_distractors:
        return images, labels, debris
    return images, labels


# ----------------------------------------------------------------------------- cells
def make_cells(n_images=4, shape=(256, 256), *, seed=0, n_cells=40, membrane_width=2,
               gap_rate=0.0, noise=12.0):
    """Cells with dark membrane borders and known centres, for click-point weak labels.

    Parameters
    ----------
    n_images : int
    shape : (int, int)
    seed : int
    n_cells : int
        Cells per image (Voronoi tiles of randomly spaced seeds, borders warped to curve).
    membrane_width : int
        Membrane thickness in pixels.
    gap_rate : float
        Fraction of membrane segments opened as gaps: a flood fill leaks through them
        (the failure mode notebook 03 shows). 0 closes every membrane.
    noise : float
        Gaussian noise standard deviation in grey levels.

    Returns
    -------
    images : (n_images, H, W) uint8 ndarray
    labels : (n_images, H, W) int32 ndarray
        0 on membranes, 1..K cells (numbered per image).
    centres : (K_total, 3) int ndarray
        ``(image, row, col)`` of a point deep inside each cell (the maximum of its distance
        to the membrane), the click a careful annotator would make.

    Examples
    --------
    >>> images, labels, centres = make_cells(1, (64, 64), seed=0, n_cells=5)
    >>> bool((labels[tuple(centres.T)] > 0).all())
    True
    """
    n = check_int(n_images, "n_images", minimum=1)
    h, w = _shape2(shape)
    k = check_int(n_cells, "n_cells", minimum=1)
    width = check_int(membrane_width, "membrane_width", minimum=1)
    if not 0 <= gap_rate < 1:
        raise ValueError(f"`gap_rate` must be in [0, 1), got {gap_rate!r}")
    rng = as_rng(seed, "seed")
    images = np.empty((n, h, w), np.uint8)
    labels = np.zeros((n, h, w), np.int32)
    centres = []
    for i in range(n):
        seeds = rng.uniform([0, 0], [h, w], size=(k, 2))
        warp = [4.0 * _upsample(_smooth_field(rng, (h // 16 + 4, w // 16 + 4), 1.5), (h, w))
                for _ in range(2)]
        membrane = _voronoi_membranes(seeds, (h, w), warp, width=width + 1)
        cells, _ = ndi.label(~membrane)
        if gap_rate > 0:  # open gaps: erase membrane in small discs at random membrane pixels
            mem_px = np.argwhere(membrane)
            n_gaps = int(gap_rate * len(mem_px) / (4 * width))
            pick = mem_px[rng.choice(len(mem_px), size=n_gaps, replace=False)]
            gaps = np.zeros((h, w), bool)
            gaps[pick[:, 0], pick[:, 1]] = True
            membrane_drawn = membrane & ~ndi.binary_dilation(gaps, iterations=width + 1)
        else:
            membrane_drawn = membrane
        texture = _upsample(_smooth_field(rng, (h // 4, w // 4), 1.0), (h, w))
        img = 165 + 14 * texture - 105 * membrane_drawn
        img = ndi.gaussian_filter(img, 0.8) + noise * rng.standard_normal((h, w))
        images[i] = _to_uint8(img)
        labels[i] = cells
        dist = ndi.distance_transform_edt(cells > 0)
        idx = ndi.maximum_position(dist, cells, index=np.arange(1, cells.max() + 1))
        centres.extend((i, r, c) for r, c in idx)
    return images, labels, np.asarray(centres, dtype=np.int64).reshape(-1, 3)


# ----------------------------------------------------------------------------- datasets on disk
SYNTHETIC = {
    # The default course data: EPFL-like slices (768 x 1024), fewer of them than EPFL's 165 so
    # that the whole course fits a free Binder session (about 2 GB of memory).
    "synthetic-em": dict(train_slices=40, test_slices=40, shape=(768, 1024), seed=2026),
    # Quick mode (CI, `make course QUICK=1`): same slice size, few slices.
    "synthetic-em-small": dict(train_slices=6, test_slices=6, shape=(768, 1024), seed=2026),
}


def write_em_dataset(folder, *, train_slices, test_slices, shape=(768, 1024), seed=0):
    """Generate a synthetic EM dataset and write it like the EPFL hippocampus set.

    Training and testing stacks are two separate volumes (different seeds), as in EPFL's two
    sub-volumes, so no slice of one is a neighbour of a slice of the other. A
    ``segkit-dataset.json`` manifest records the parameters; it is written last, so a folder
    without it is incomplete.

    Returns
    -------
    dict of str to pathlib.Path
        The four TIFF files keyed by `EM_FILES`.
    """
    folder = Path(folder)
    params = dict(train_slices=train_slices, test_slices=test_slices, shape=list(shape),
                  seed=seed, generator_version=_GENERATOR_VERSION)
    paths = {k: folder / f"{k}.tif" for k in EM_FILES}
    for part, n, s in (("training", train_slices, seed), ("testing", test_slices, seed + 1)):
        images, masks = make_em_volume(n, shape, seed=s)
        _io.write_stack(paths[part], images)
        _io.write_stack(paths[f"{part}_groundtruth"], masks, mask=True)
        del images, masks
    with _io.atomic_path(folder / "segkit-dataset.json") as tmp:
        tmp.write_text(json.dumps(params, indent=2))
    return paths


def _synthetic_up_to_date(folder, params):
    manifest = folder / "segkit-dataset.json"
    if not manifest.is_file() or not all((folder / f"{k}.tif").is_file() for k in EM_FILES):
        return False
    try:
        saved = json.loads(manifest.read_text())
    except json.JSONDecodeError:
        return False
    want = dict(params, shape=list(params["shape"]), generator_version=_GENERATOR_VERSION)
    return saved == want


@dataclass(frozen=True)
class RemoteDataset:
    """A public dataset: where its files are, their checksums, and what to cite."""

    description: str
    files: dict          # key -> (url, sha256 or None when not known)
    citation: str = ""
    license: str = ""
    page: str = ""
    notes: str = field(default="")


_EPFL = "https://documents.epfl.ch/groups/c/cv/cvlab-unit/www/data/%20ElectronMicroscopy_Hippocampus"

REGISTRY = {
    "epfl-hippocampus": RemoteDataset(
        description=(
            "FIB-SEM of the CA1 hippocampus (EPFL CVLab), 5x5x5 nm voxels; two sub-volumes of "
            "165 slices of 768 x 1024 with mitochondria annotated (masks 0/255)."),
        files={k: (f"{_EPFL}/{k}.tif", None) for k in EM_FILES},
        citation=("A. Lucchi, K. Smith, R. Achanta, G. Knott, P. Fua, 'Supervoxel-Based "
                  "Segmentation of Mitochondria in EM Image Stacks with Learned Shape "
                  "Features', IEEE TMI 2012."),
        page="https://www.epfl.ch/labs/cvlab/data/data-em/",
        notes=(
            "The SHA-256 checksums of these files have not been verified by the segkit "
            "maintainers yet, so they are None: fetch() refuses to download them unless "
            "allow_unverified=True, and then prints each file's hash so you can record it "
            "here. The URLs follow the layout used by public code and may move."),
    ),
}


def fetch(name, *, root="data", allow_unverified=False, registry=None, progressbar=False):
    """Download (once) and verify the files of a registered public dataset.

    Parameters
    ----------
    name : str
        A key of `registry` (default `REGISTRY`), e.g. ``"epfl-hippocampus"``.
    root : str or os.PathLike
        Files go to ``root/name/``; a file already there with the right checksum is reused.
    allow_unverified : bool
        Download files whose checksum is not recorded. Their SHA-256 is printed so it can be
        added to the registry. Without this, such files are refused.
    registry : dict, optional
        Another registry of `RemoteDataset` (the tests use one served from localhost).

    Returns
    -------
    dict of str to pathlib.Path
    """
    import pooch

    registry = REGISTRY if registry is None else registry
    if name not in registry:
        raise ValueError(f"`name` must be one of {sorted(registry)}, got {name!r}")
    ds = registry[name]
    unknown = [k for k, (_, sha) in ds.files.items() if not sha]
    if unknown and not allow_unverified:
        raise ValueError(
            f"dataset {name!r} has no recorded checksum for {unknown}; refusing to download "
            "unverified files. Pass `allow_unverified=True` to download them anyway (their "
            "SHA-256 will be printed so you can record it)."
        )
    folder = Path(root) / name
    paths = {}
    for key, (url, sha) in ds.files.items():
        fname = url.rsplit("/", 1)[-1].replace("%20", "_")
        path = pooch.retrieve(url, known_hash=f"sha256:{sha}" if sha else None, fname=fname,
                              path=folder, progressbar=progressbar)
        if not sha:
            print(f"{name}/{fname}: sha256 {pooch.file_hash(path, alg='sha256')} (unverified)")
        paths[key] = Path(path)
    return paths


def load_dataset(name="synthetic-em", *, root="data", allow_unverified=False, registry=None):
    """The four EPFL-layout files of a dataset, generated or downloaded on first use.

    Synthetic names (`SYNTHETIC`) are generated into ``root/name/`` (and regenerated if their
    parameters or the generator changed); registry names are fetched with `fetch`.

    Returns
    -------
    dict of str to pathlib.Path
        Keys ``training``, ``training_groundtruth``, ``testing``, ``testing_groundtruth``.
    """
    registry = REGISTRY if registry is None else registry
    if name in SYNTHETIC:
        folder = Path(root) / name
        if not _synthetic_up_to_date(folder, SYNTHETIC[name]):
            print(f"generating {name} in {folder} (once) ...", flush=True)
            write_em_dataset(folder, **SYNTHETIC[name])
        return {k: folder / f"{k}.tif" for k in EM_FILES}
    if name in registry:
        paths = fetch(name, root=root, allow_unverified=allow_unverified, registry=registry)
        missing = [k for k in EM_FILES if k not in paths]
        if missing:
            raise ValueError(f"dataset {name!r} does not have the EPFL layout: no {missing}")
        return paths
    raise ValueError(
        f"`name` must be a synthetic dataset {sorted(SYNTHETIC)} or a registered one "
        f"{sorted(registry)}, got {name!r}"
    )


def load_em_stacks(name="synthetic-em", *, root="data", **kwargs):
    """Training and testing stacks as NHWC arrays: ``{"train": (x, y), "test": (x, y)}``.

    Images keep their dtype (uint8 for the synthetic data); masks are uint8 {0, 1}.
    """
    paths = load_dataset(name, root=root, **kwargs)
    return {
        "train": _io.read_pair(paths["training"], paths["training_groundtruth"]),
        "test": _io.read_pair(paths["testing"], paths["testing_groundtruth"]),
    }


def _main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description="Generate the course's default synthetic data.")
    parser.add_argument("--root", default="data")
    parser.add_argument("--quick", action="store_true", help="only the small quick-mode set")
    args = parser.parse_args(argv)
    names = ["synthetic-em-small"] if args.quick else ["synthetic-em", "synthetic-em-small"]
    for name in names:
        paths = load_dataset(name, root=args.root)
        print(f"{name}: {paths['training'].parent}")


if __name__ == "__main__":
    _main()

"""Data that segkit draws itself: deterministic synthetic microscopy, and stand-in
predictions with controlled mistakes.

Introduced in notebook 01 (images) and 07 (predictions). Everything comes out identical for
the same seed on every machine, so the course runs offline. This is the only module that
invents data; computation modules never import it (docs/architecture.md).

Images
------
- `make_em_volume`: FIB-SEM-like stacks with mitochondria (3-D ellipsoids through z).
- `make_touching_particles`: bright particles, many touching, with instance labels;
  optionally distractors (faint blobs, debris, rings) that are not particles.
- `make_cells`: cells with dark membrane borders and known centres (click-point weak labels).

Predictions (notebook 07: each score responds to each kind of error before a model exists)
---------------------------------------------------------------------------------------------
- `degrade_mask`, `degrade_labels`: a mask or label image with controlled mistakes.
- `synthetic_scores`: a stand-in probability map.
"""

import numpy as np
from scipy import ndimage as ndi

from ._conventions import label_components
from ._validate import (as_binary, as_label_stack, as_rng, as_stack, check_int,
                        check_real)

__all__ = ["make_em_volume", "make_touching_particles", "make_cells", "degrade_mask",
           "degrade_labels", "synthetic_scores"]

GENERATOR_VERSION = 1  # bump when the generators change, so data cached on disk are rebuilt


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
                   noise=16.0, blur=1.0, progress=False):
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
    progress : bool
        Show a progress bar over the slices (a full-size slice takes about half a second).

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
    from tqdm.auto import tqdm

    for z in tqdm(range(n), desc="drawing slices", disable=not progress, leave=False):
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
_DISTRACTOR_KINDS = ("faint", "debris", "ring")


def _distractor_kinds(kinds):
    if isinstance(kinds, str):
        kinds = (kinds,)
    try:
        kinds = tuple(kinds)
    except TypeError:
        raise TypeError(f"`distractor_kinds` must be a sequence of names from "
                        f"{_DISTRACTOR_KINDS}, got {kinds!r}") from None
    bad = [k for k in kinds if k not in _DISTRACTOR_KINDS]
    if not kinds or bad:
        raise ValueError(f"`distractor_kinds` must be a non-empty sequence of names from "
                         f"{_DISTRACTOR_KINDS}, got {kinds!r}")
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
                            distractor_kinds=_DISTRACTOR_KINDS, return_distractors=False):
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



def _mask(x, name):
    s, single = as_stack(x, name)
    m = as_binary(s, name)
    return (m[0] if single else m)


def _plane_structure(ndim):
    """4-connected structuring element acting within each slice only."""
    from scipy import ndimage as ndi

    s = ndi.generate_binary_structure(2, 1)
    return s if ndim == 2 else np.stack([np.zeros_like(s), s, np.zeros_like(s)])


def _check_degrade(erode, dilate, noise, miss_rate):
    return (check_int(erode, "erode", minimum=0), check_int(dilate, "dilate", minimum=0),
            check_real(noise, "noise", low=0.0, high=1.0, what="a fraction"),
            check_real(miss_rate, "miss_rate", low=0.0, high=1.0, what="a fraction"))


def degrade_mask(mask, *, erode=0, dilate=0, noise=0.0, miss_rate=0.0, rng=None):
    """A synthetic "prediction": `mask` with controlled, realistic mistakes.

    Steps, in order: remove a fraction `miss_rate` of the objects (connected components,
    8-connected, per slice: the package's rule); erode by `erode` pixels; dilate by `dilate`
    pixels (both with the 4-connected cross, within each slice); flip a fraction `noise` of
    all pixels (salt and pepper). Used in notebook 07 to watch each
    score respond to each kind of error before a model exists.

    Parameters
    ----------
    mask : (H, W), (N, H, W) or (N, H, W, 1) ndarray
        Binary mask (bool, {0, 1}, {0, 255}); slices are degraded independently.
    erode, dilate : int
        Pixels removed from / added to every object boundary.
    noise : float in [0, 1]
        Fraction of pixels flipped.
    miss_rate : float in [0, 1]
        Fraction of objects deleted (chosen at random).
    rng : int, numpy.random.Generator or None
        Seed for the random choices.

    Returns
    -------
    ndarray of bool, shape of `mask` without the channel axis

    Examples
    --------
    >>> m = np.zeros((7, 7), bool); m[2:5, 2:5] = True
    >>> int(degrade_mask(m, erode=1).sum()), int(degrade_mask(m, dilate=1).sum())
    (1, 21)
    >>> bool(degrade_mask(m, miss_rate=1.0).any())
    False
    """
    from scipy import ndimage as ndi

    m = _mask(mask, "mask")
    erode, dilate, noise, miss_rate = _check_degrade(erode, dilate, noise, miss_rate)
    rng = as_rng(rng)
    s = _plane_structure(m.ndim)
    out = m.copy()
    if miss_rate > 0:  # objects are 8-connected components per slice (the package's rule)
        lab = label_components(out)
        if lab.ndim == 3:  # number the objects of all slices apart, so each is drawn once
            offsets = np.cumsum([0, *lab.reshape(len(lab), -1).max(axis=1)[:-1]])
            lab = np.where(lab > 0, lab + offsets[:, None, None], 0)
        gone = np.flatnonzero(rng.random(int(lab.max())) < miss_rate) + 1
        out &= ~np.isin(lab, gone)
    if erode:
        out = ndi.binary_erosion(out, structure=s, iterations=erode, border_value=1)
    if dilate:
        out = ndi.binary_dilation(out, structure=s, iterations=dilate)
    if noise > 0:
        out ^= rng.random(out.shape) < noise
    return out


def degrade_labels(labels, *, erode=0, dilate=0, noise=0.0, miss_rate=0.0, rng=None):
    """A synthetic instance "prediction": `labels` with controlled mistakes.

    Like `degrade_mask`, object by object: delete a fraction `miss_rate` of the objects,
    shrink every object by `erode` pixels, grow them by `dilate` pixels into the background
    (without overlapping, `skimage.segmentation.expand_labels`), then flip a fraction `noise`
    of pixels: flipped object pixels become background, flipped background pixels become
    small new (false) objects.

    Parameters
    ----------
    labels : (H, W), (N, H, W) or (N, H, W, 1) int ndarray
        Label image, 0 background; slices are degraded independently.

    Returns
    -------
    int32 ndarray, shape of `labels` without the channel axis

    Examples
    --------
    >>> lab = np.zeros((7, 7), np.int32); lab[1:4, 1:4] = 1; lab[4:6, 4:6] = 2
    >>> sorted(np.unique(degrade_labels(lab, erode=1)).tolist())
    [0, 1]
    """
    from scipy import ndimage as ndi
    from skimage.segmentation import expand_labels

    lab, squeeze = as_label_stack(labels, "labels")
    erode, dilate, noise, miss_rate = _check_degrade(erode, dilate, noise, miss_rate)
    rng = as_rng(rng)
    out = lab.astype(np.int32, copy=True)
    s2 = ndi.generate_binary_structure(2, 1)
    for i in range(out.shape[0]):
        sl = out[i]
        if miss_rate > 0:
            ids = np.unique(sl[sl > 0])
            sl[np.isin(sl, ids[rng.random(ids.size) < miss_rate])] = 0
        for _ in range(erode):  # drop pixels with a neighbour of another label or background
            lo = ndi.minimum_filter(sl, footprint=s2, mode="nearest")
            hi = ndi.maximum_filter(sl, footprint=s2, mode="nearest")
            sl[(lo != sl) | (hi != sl)] = 0
        if dilate:
            sl[...] = expand_labels(sl, distance=dilate)
        if noise > 0:
            flip = rng.random(sl.shape) < noise
            bg = sl == 0
            sl[flip & ~bg] = 0
            new = label_components(flip & bg)
            sl[new > 0] = new[new > 0] + sl.max()
    return out[0] if squeeze else out


def synthetic_scores(mask, *, blur=2.0, noise=0.15, rng=None):
    """A stand-in probability map made from a (degraded) mask, for ROC curves without a model.

    The mask is blurred (soft, uncertain boundaries, as a network's output), Gaussian noise of
    standard deviation `noise` is added, and the result is clipped to [0, 1]. Thresholding it
    at 0.5 gives back roughly the mask; lower and higher thresholds trade false positives for
    false negatives.

    Parameters
    ----------
    mask : (H, W), (N, H, W) or (N, H, W, 1) ndarray
        Binary mask; slices are blurred independently.
    blur : float
        Gaussian sigma in pixels (0 for none).
    noise : float
        Standard deviation of the added noise (0 for none).
    rng : int, numpy.random.Generator or None

    Returns
    -------
    float32 ndarray in [0, 1], shape of `mask` without the channel axis

    Examples
    --------
    >>> m = np.zeros((16, 16), bool); m[4:12, 4:12] = True
    >>> from segkit import metrics
    >>> s = synthetic_scores(m, rng=0)
    >>> s.dtype, bool(s.min() >= 0 and s.max() <= 1), metrics.roc_auc(m, s) > 0.9
    (dtype('float32'), True, True)
    """
    from scipy import ndimage as ndi

    m = _mask(mask, "mask").astype(np.float32)
    blur = check_real(blur, "blur", low=0.0)
    noise = check_real(noise, "noise", low=0.0)
    rng = as_rng(rng)
    if blur > 0:
        m = ndi.gaussian_filter(m, sigma=(0.0, blur, blur) if m.ndim == 3 else blur)
    if noise > 0:
        m += rng.normal(0.0, noise, m.shape).astype(np.float32)
    return np.clip(m, 0.0, 1.0, out=m)

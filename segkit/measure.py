"""Particle statistics from label images: per-object tables, size and shape histograms, the
radial distribution function of object centroids, and predicted-against-true comparisons.

Introduced in notebook 08. A table is a `pandas.DataFrame` with one row per object:
summarise it with pandas (``table["area"].median()``) and save it with ``to_csv``.
"""


import numpy as np

from ._validate import (as_array, as_label_stack, check_finite, check_int, check_numeric,
                        check_real)

__all__ = ["object_table", "histogram_pair", "rdf", "compare_distributions"]

_SHAPE_COLUMNS = ("area", "equivalent_diameter", "perimeter", "major_axis", "minor_axis",
                  "aspect_ratio", "solidity", "skeleton_length")
_INTENSITY_COLUMNS = ("intensity_min", "intensity_mean", "intensity_max")


# ----------------------------------------------------------------------------- validation
def _labels(x, name="labels"):
    """A label image or stack as (N, H, W) and whether the input was a stack.

    int64, or a view in the labels' own narrower integer type (memory: the pairs of a
    hundred real test images are not copied to int64 all at once).
    """
    arr, single = as_label_stack(x, name, narrow=True)
    return arr, not single


def _is_list(x):
    from .instances import _is_list as is_list

    return is_list(x)


def _one_label(x, i, name="labels"):
    arr, stack = _labels(x, f"{name}[{i}]")
    if stack:
        raise ValueError(f"`{name}[{i}]` must be one 2-D label image in a list, got an array "
                         f"of shape {np.shape(x)}")
    return arr[0]


def _list_like(other, labels, name):
    """`other` as a list paired with the list `labels` (None stays a list of None; a stack
    of as many images pairs too, as in `segkit.metrics.instance_scores`)."""
    if other is None:
        return [None] * len(labels)
    if isinstance(other, np.ndarray) and other.ndim in (3, 4):
        other = list(other)
    if not _is_list(other) or len(other) != len(labels):
        raise ValueError(f"`labels` is a list of {len(labels)} images, so `{name}` must be a "
                         f"list or a stack of as many, got {type(other).__name__}"
                         + (f" of length {len(other)}" if isinstance(other, list) else ""))
    return list(other)


# ----------------------------------------------------------------------------- the table
def object_table(labels, image=None, *, pixel_size=1.0, min_area=0, exclude_border=True):
    """One row per object: size, shape and intensity statistics.

    Parameters
    ----------
    labels : (H, W), (N, H, W) or (N, H, W, 1) int ndarray, or a list of (H, W) ones
        0 background, 1..K objects; in a stack each slice is measured on its own, and so is
        each image of a list (real images of different sizes).
    image : ndarray of the same shape (a list for a list), optional
        Grey values for the intensity columns (left out when None).
    pixel_size : float
        Side of one pixel in physical units (e.g. nm). Lengths are multiplied by it, areas by
        its square; `min_area` stays in pixels.
    min_area : int
        Objects with fewer pixels are dropped (after the border filter).
    exclude_border : bool
        Drop objects that touch the image border before any statistic: their size and shape
        are cut by the frame and would bias the histograms towards small objects.

    Returns
    -------
    pandas.DataFrame
        One row per kept object; columns ``slice`` (stack or list index, 0 for a 2-D image),
        ``label``, ``centroid_y``, ``centroid_x``,
        ``area``, ``equivalent_diameter`` (of the circle of equal area), ``perimeter``
        (scikit-image's 4-connected estimate), ``major_axis``, ``minor_axis`` (of the ellipse
        with the same second moments), ``aspect_ratio`` (major / minor; inf for a one-pixel-wide
        line), ``solidity`` (area / convex-hull area), ``skeleton_length`` (number of pixels
        of the 2-D skeleton times `pixel_size`) and, with `image`, ``intensity_min``,
        ``intensity_mean``, ``intensity_max``. Summarise it with pandas
        (``table[["area", "aspect_ratio"]].median()``) and save it with
        ``table.to_csv(path, index=False)``.

    Examples
    --------
    >>> lab = np.zeros((20, 20), np.int32)
    >>> lab[5:15, 5:15] = 1
    >>> t = object_table(lab, pixel_size=2.0)
    >>> t[["area", "aspect_ratio", "solidity"]].iloc[0].tolist()
    [400.0, 1.0, 1.0]
    >>> object_table(np.zeros((4, 4), int)).shape  # nothing to measure: no rows, all columns
    (0, 12)
    """
    import pandas as pd

    from skimage.measure import regionprops_table
    from skimage.morphology import skeletonize
    from skimage.segmentation import clear_border

    if _is_list(labels):
        images = _list_like(image, labels, "image")
        tables = [object_table(_one_label(lab, i), im, pixel_size=pixel_size,
                               min_area=min_area, exclude_border=exclude_border).assign(slice=i)
                  for i, (lab, im) in enumerate(zip(labels, images))]
        return pd.concat(tables, ignore_index=True)
    lab, stack = _labels(labels)
    p = check_real(pixel_size, "pixel_size", low=0.0, low_open=True)
    min_area = check_int(min_area, "min_area", minimum=0)
    img = None
    if image is not None:
        img = check_finite(check_numeric(as_array(image, "image"), "image"), "image")
        channel = img.ndim == (4 if stack else 3) and img.shape[-1] == 1
        flat = img[..., 0] if channel else img
        flat = flat[None] if flat.ndim == 2 else flat
        if flat.shape != lab.shape:
            raise ValueError(
                f"`image` (shape {img.shape}) must have the same shape as `labels` "
                f"(shape {np.shape(labels)})"
            )
        img = flat.astype(np.float64)
    props = ["label", "area", "centroid", "equivalent_diameter_area", "perimeter",
             "axis_major_length", "axis_minor_length", "solidity", "image"]
    if img is not None:
        props += ["intensity_min", "intensity_mean", "intensity_max"]
    cols = {k: [] for k in ("slice", "label", "centroid_y", "centroid_x", *_SHAPE_COLUMNS,
                            *(_INTENSITY_COLUMNS if img is not None else ()))}
    for i in range(lab.shape[0]):
        li = clear_border(lab[i]) if exclude_border else lab[i]
        if not li.any():
            continue
        t = regionprops_table(li, None if img is None else img[i], properties=props)
        keep = t["area"] >= min_area
        n = int(keep.sum())
        cols["slice"].append(np.full(n, i, np.int64))
        cols["label"].append(t["label"][keep].astype(np.int64))
        cols["centroid_y"].append(t["centroid-0"][keep] * p)
        cols["centroid_x"].append(t["centroid-1"][keep] * p)
        cols["area"].append(t["area"][keep] * p * p)
        cols["equivalent_diameter"].append(t["equivalent_diameter_area"][keep] * p)
        cols["perimeter"].append(t["perimeter"][keep] * p)
        major, minor = t["axis_major_length"][keep], t["axis_minor_length"][keep]
        cols["major_axis"].append(major * p)
        cols["minor_axis"].append(minor * p)
        with np.errstate(divide="ignore", invalid="ignore"):
            cols["aspect_ratio"].append(np.where(minor > 0, major / np.where(minor > 0, minor, 1),
                                                 np.inf))
        cols["solidity"].append(t["solidity"][keep])
        cols["skeleton_length"].append(np.array(
            [skeletonize(m).sum() * p for m, k in zip(t["image"], keep) if k], np.float64))
        if img is not None:
            for c in _INTENSITY_COLUMNS:
                cols[c].append(t[c][keep].astype(np.float64))
    out = {}
    for k, parts in cols.items():
        dtype = np.int64 if k in ("slice", "label") else np.float64
        out[k] = np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype)
    return pd.DataFrame(out)


def _centroids(labels, *, pixel_size=1.0):
    """Centroids of every object (border objects included), per slice.

    Returns
    -------
    list of (K_i, 2) float ndarrays
        ``(y, x)`` in physical units, one array per slice (one for a 2-D image).

    Examples
    --------
    >>> lab = np.array([[1, 1, 0, 2]])
    >>> _centroids(lab)[0].tolist()
    [[0.0, 0.5], [0.0, 3.0]]
    """
    from scipy import ndimage as ndi

    lab, _ = _labels(labels)
    p = check_real(pixel_size, "pixel_size", low=0.0, low_open=True)
    out = []
    for li in lab:
        ids = np.unique(li)
        ids = ids[ids > 0]
        if ids.size == 0:
            out.append(np.empty((0, 2)))
            continue
        c = np.asarray(ndi.center_of_mass(np.ones_like(li, float), li, ids), float)
        out.append(c.reshape(-1, 2) * p)
    return out


# ----------------------------------------------------------------------------- histograms
def histogram_pair(a, b, *, bins=20, range=None):
    """Histograms of two samples on common bin edges, normalised to sum to one.

    Parameters
    ----------
    a, b : 1-D array_like
        E.g. ``object_table(true)["area"]`` and ``object_table(pred)["area"]``. Infinite
        values (aspect ratio of a line) are dropped.
    bins : int
    range : (float, float), optional
        Default: the range of both samples together.

    Returns
    -------
    h_a, h_b : (bins,) ndarray
        Fractions of each sample per bin (zeros for an empty sample).
    edges : (bins + 1,) ndarray

    Examples
    --------
    >>> h_a, h_b, edges = histogram_pair([1, 2, 2], [2, 3], bins=2, range=(1, 3))
    >>> h_a.tolist(), h_b.tolist()
    ([0.3333333333333333, 0.6666666666666666], [0.0, 1.0])
    """
    bins = check_int(bins, "bins", minimum=1)
    a = np.asarray(a, float).ravel()
    b = np.asarray(b, float).ravel()
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if range is None:
        both = np.concatenate([a, b])
        range = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
        if range[0] == range[1]:
            range = (range[0] - 0.5, range[1] + 0.5)
    edges = np.histogram_bin_edges(np.empty(0), bins=bins, range=range)
    h = []
    for s in (a, b):
        c = np.histogram(s, bins=edges)[0].astype(float)
        h.append(c / c.sum() if c.sum() else c)
    return h[0], h[1], edges


def _cosine_distance(h_a, h_b):
    """``1 - cos`` of the angle between two histograms: 0 same shape, 1 no common bin.

    Examples
    --------
    >>> _cosine_distance([1, 0], [2, 0]), _cosine_distance([1, 0], [0, 1])
    (0.0, 1.0)
    """
    u = np.asarray(h_a, float).ravel()
    v = np.asarray(h_b, float).ravel()
    if u.shape != v.shape:
        raise ValueError(f"`h_b` (shape {v.shape}) must have the same shape as `h_a` "
                         f"(shape {u.shape})")
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu == 0 or nv == 0:
        return 0.0 if nu == nv else 1.0
    d = 1.0 - (u @ v) / (nu * nv)
    return float(np.clip(round(d, 12), 0.0, 1.0))  # round away 1e-16 of identical inputs


# ----------------------------------------------------------------------------- RDF
def rdf(labels, *, r_max=None, bins=20, pixel_size=1.0):
    """Radial distribution function g(r) of the object _centroids.

    ``g(r)`` is the density of _centroids at distance r from a centroid, relative to the
    density of a uniformly random (Poisson) arrangement: 1 means no correlation, 0 an
    excluded distance (objects cannot overlap), a peak the typical neighbour spacing.

    Edge handling: a centroid near the frame has part of its annulus outside the image,
    where its neighbours are not seen. Each ordered pair ``(i, j)`` at offset ``(dy, dx)``
    is weighted by ``|W| / |W n (W + (dy, dx))|`` = ``H W / ((H - |dy|)(W - |dx|))`` (the
    *translation correction* of Ohser and Stoyan), which makes the estimate unbiased for a
    stationary pattern in a rectangular window. The weights grow as r approaches the image
    side, so `r_max` defaults to a quarter of the shorter side. All objects count,
    including those that touch the border (their _centroids are still real positions).
    In a stack, the pairs of all slices are pooled.

    Parameters
    ----------
    labels : (H, W) or (N, H, W) int ndarray, or a list of (H, W) ones
        In a list (images of different sizes) each image's pairs are weighted by its area.
    r_max : float, optional
        Largest distance, in physical units.
    bins : int
    pixel_size : float

    Returns
    -------
    r : (bins,) ndarray
        Bin centres, in physical units.
    g : (bins,) ndarray
        NaN where no slice holds two objects.

    Examples
    --------
    >>> lab = np.zeros((40, 40), np.int32)
    >>> lab[10, 10], lab[10, 20] = 1, 2
    >>> r, g = rdf(lab, r_max=20, bins=4)
    >>> r.tolist(), bool(g[2] > 0), float(g[0])
    ([2.5, 7.5, 12.5, 17.5], True, 0.0)
    """
    p = check_real(pixel_size, "pixel_size", low=0.0, low_open=True)
    bins = check_int(bins, "bins", minimum=1)
    if _is_list(labels):
        planes = [_one_label(lab, i)[None] for i, lab in enumerate(labels)]
    else:
        lab, _ = _labels(labels)
        planes = [lab]
    shortest = min(min(pl.shape[1:]) for pl in planes) * p
    if r_max is None:
        r_max = shortest / 4
    r_max = float(r_max)
    if not np.isfinite(r_max) or r_max <= 0 or r_max >= shortest:
        raise ValueError(f"`r_max` must be > 0 and below the shorter image side {shortest}, "
                         f"got {r_max!r}")
    edges = np.linspace(0.0, r_max, bins + 1)
    num = np.zeros(bins)  # pair counts, each weighted by its edge correction and image area
    pairs = 0.0
    for plane in planes:
        h, w = plane.shape[1] * p, plane.shape[2] * p
        for c in _centroids(plane, pixel_size=p):
            n = c.shape[0]
            if n < 2:
                continue
            d = c[:, None, :] - c[None, :, :]
            dy, dx = np.abs(d[..., 0]), np.abs(d[..., 1])
            r = np.hypot(dy, dx)
            off = ~np.eye(n, dtype=bool) & (r < r_max)
            weight = (h * w) / ((h - dy[off]) * (w - dx[off]))
            num += np.histogram(r[off], bins=edges, weights=weight)[0] * (h * w)
            pairs += n * (n - 1)
    shell = np.pi * (edges[1:] ** 2 - edges[:-1] ** 2)
    centres = (edges[:-1] + edges[1:]) / 2
    if pairs == 0:
        return centres, np.full(bins, np.nan)
    return centres, num / (pairs * shell)


# ----------------------------------------------------------------------------- comparison
def compare_distributions(true_labels, pred_labels, *, pixel_size=1.0, min_area=0,
                          exclude_border=True, bins=20, r_max=None, rdf_bins=20,
                          per_image=False):
    """How far the predicted particle statistics are from the true ones.

    BPartIS's evaluation of its particle statistics (Yildirim & Cole 2021, "Quantitative
    Evaluation"): cosine distances of the size and aspect-ratio histograms and the RMSE of
    the radial distribution functions, per test image, averaged over the images that hold
    enough particles (they used the 32 test images with at least 30). ``per_image=True``
    gives those per-image rows.

    Parameters
    ----------
    true_labels, pred_labels : (H, W) or (N, H, W) int ndarrays, or lists of (H, W) ones
    pixel_size, min_area, exclude_border
        As in `object_table`.
    bins : int
        Of the histograms.
    r_max, rdf_bins
        Of `rdf`.
    per_image : bool
        One comparison per image (slice or list entry) instead of one for all of them.

    Returns
    -------
    dict, or pandas.DataFrame with ``per_image``
        ``area_distance``, ``diameter_distance``, ``aspect_distance``: cosine distances
        (``1 - cos`` of the angle) of the histograms on common edges (`histogram_pair`),
        0 identical shape, 1 no common bin;
        ``rdf_rmse``: root-mean-square difference of the two g(r) curves over the bins where
        both are defined; ``n_true``, ``n_pred``: objects measured. The DataFrame has one
        row per image, with its index in ``image``.

    Examples
    --------
    >>> lab = np.zeros((40, 40), np.int32)
    >>> lab[5:10, 5:10], lab[20:30, 20:25] = 1, 2
    >>> d = compare_distributions(lab, lab, bins=5, r_max=10, rdf_bins=2)
    >>> d["area_distance"], d["n_true"]
    (0.0, 2)
    >>> compare_distributions([lab, lab[:35]], [lab, lab[:35]], bins=5, r_max=10, rdf_bins=2,
    ...                       per_image=True)["n_true"].tolist()
    [2, 2]
    """
    kw = dict(pixel_size=pixel_size, min_area=min_area, exclude_border=exclude_border,
              bins=bins, r_max=r_max, rdf_bins=rdf_bins)
    listed = _is_list(true_labels)
    if listed:
        pred = _list_like(pred_labels, true_labels, "pred_labels")
        pairs = [(_one_label(t, i, "true_labels"), _one_label(p, i, "pred_labels"))
                 for i, (t, p) in enumerate(zip(true_labels, pred))]
    else:
        tl, single = _labels(true_labels, "true_labels")
        pl, _ = _labels(pred_labels, "pred_labels")
        if tl.shape != pl.shape:
            raise ValueError(f"`pred_labels` (shape {np.shape(pred_labels)}) must have the same "
                             f"shape as `true_labels` (shape {np.shape(true_labels)})")
        pairs = list(zip(tl, pl))
    if per_image:
        import pandas as pd

        return pd.DataFrame([{"image": i, **_compare(t, p, **kw)}
                             for i, (t, p) in enumerate(pairs)])
    if listed:
        return _compare([t for t, _ in pairs], [p for _, p in pairs], **kw)
    return _compare(np.stack([t for t, _ in pairs]), np.stack([p for _, p in pairs]), **kw)


def _compare(true_labels, pred_labels, *, pixel_size, min_area, exclude_border, bins, r_max,
             rdf_bins):
    kw = dict(pixel_size=pixel_size, min_area=min_area, exclude_border=exclude_border)
    tt = object_table(true_labels, **kw)
    tp = object_table(pred_labels, **kw)
    if _is_list(true_labels) and len(true_labels) == 1:
        true_labels, pred_labels = true_labels[0], pred_labels[0]
    out = {}
    for key, col in (("area_distance", "area"), ("diameter_distance", "equivalent_diameter"),
                     ("aspect_distance", "aspect_ratio")):
        out[key] = _cosine_distance(*histogram_pair(tt[col], tp[col], bins=bins)[:2])
    _, g_t = rdf(true_labels, r_max=r_max, bins=rdf_bins, pixel_size=pixel_size)
    _, g_p = rdf(pred_labels, r_max=r_max, bins=rdf_bins, pixel_size=pixel_size)
    ok = np.isfinite(g_t) & np.isfinite(g_p)
    out["rdf_rmse"] = float(np.sqrt(np.mean((g_t[ok] - g_p[ok]) ** 2))) if ok.any() else np.nan
    out["n_true"] = int(tt["area"].size)
    out["n_pred"] = int(tp["area"].size)
    return out

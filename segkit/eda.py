"""Exploratory analysis of an EM stack and its masks: intensities, objects, slice correlation.

Introduced in notebook 02. Three questions before any deep learning:

1. Could a single intensity threshold segment the data? (`intensity_histograms`,
   `best_threshold`: the best Dice any threshold reaches.)
2. How many objects are there per slice, how large, and in the volume? (`count_objects` and
   `compare_counts` by connected components, against the naive count of foreground runs per
   raster line; `count_objects(..., dims=3, spacing=...)` for volumes in physical units.)
3. How similar are neighbouring slices, and which augmentations make them less so?
   (`slice_correlation`, `transformed_correlation`, with Fisher-z confidence intervals whose
   sample size is an *effective* n: pixels are spatially correlated; the grid step behind it
   is returned as ``step``.)
"""

import numbers

import numpy as np

from ._validate import (as_array, as_binary, as_slice, check_finite, check_int, check_ndim,
                        check_numeric, check_real, describe)

__all__ = [
    "intensity_histograms", "best_threshold", "count_objects", "compare_counts",
    "slice_correlation", "transformed_correlation",
]

#: Transforms `transformed_correlation` applies, and what its `strength` means for each.
_CORRELATION_TRANSFORMS = {
    "none": "no change (strength ignored)",
    "flip": "left-right flip (strength ignored)",
    "noise": "Gaussian noise, sigma = strength x the reference slice's standard deviation",
    "elastic_grid": "elasticdeform B-spline grid, 3 x 3 points, sigma = strength pixels",
    "elastic_alpha_sigma": "Simard field, alpha = strength pixels, sigma = 8 pixels",
}


# ----------------------------------------------------------------------------- validation
def _stack(x, name, *, finite=True):
    """``(N, H, W)`` view of an ``(N, H, W)`` or ``(N, H, W, 1)`` stack."""
    arr = check_numeric(as_array(x, name), name)
    check_ndim(arr, name, (3, 4), "a stack (N, H, W) or (N, H, W, 1)")
    if arr.ndim == 4:
        if arr.shape[-1] != 1:
            raise ValueError(f"`{name}` must have one channel (N, H, W, 1), got {describe(arr)}")
        arr = arr[..., 0]
    if finite:
        check_finite(arr, name)
    return arr


def _pair(images, masks):
    x = _stack(images, "images")
    y = as_binary(_stack(masks, "masks"), "masks")
    if x.shape != y.shape:
        raise ValueError(
            f"`masks` (shape {np.shape(masks)}) must have the same shape as `images` "
            f"(shape {np.shape(images)})"
        )
    return x, y


def _slice(x, name):
    """A 2-D binary slice from ``(H, W)`` or ``(H, W, 1)``."""
    return as_slice(as_binary(x, name), name, hint="pass one slice of the stack")


def _edges(x, bins):
    if np.issubdtype(x.dtype, np.integer):
        lo, hi = int(x.min()), int(x.max())
        if hi - lo + 1 <= max(bins, 1):  # one bin per grey value: exact thresholds
            return np.arange(lo, hi + 2) - 0.5
    lo, hi = float(x.min()), float(x.max())
    if hi == lo:
        hi = lo + 1.0
    return np.linspace(lo, hi, bins + 1)


def intensity_histograms(images, masks, *, bins=256):
    """Foreground and background intensity histograms on common bins.

    Parameters
    ----------
    images : (N, H, W) or (N, H, W, 1) ndarray
    masks : same shape, binary
    bins : int
        Number of bins for float images; integer images get one bin per grey value when
        that is at most `bins` values.

    Returns
    -------
    dict
        ``edges`` (B + 1,), ``foreground`` and ``background`` (B,) counts, and their
        ``overlap``: the fraction of probability mass the two normalised histograms share
        (0 separable, 1 identical).

    Examples
    --------
    >>> img = np.array([[[0, 0, 2, 3]]], dtype=np.uint8)
    >>> msk = np.array([[[0, 0, 1, 1]]], dtype=np.uint8)
    >>> h = intensity_histograms(img, msk)
    >>> h["foreground"].tolist(), h["background"].tolist(), h["overlap"]
    ([0, 0, 1, 1], [2, 0, 0, 0], 0.0)
    """
    x, y = _pair(images, masks)
    bins = check_int(bins, "bins", minimum=1)
    edges = _edges(x, bins)
    if np.issubdtype(x.dtype, np.integer) and len(edges) - 1 == int(x.max()) - int(x.min()) + 1:
        # one bin per grey value: counting is exact and much faster than np.histogram
        lo, n = int(x.min()), len(edges) - 1
        shifted = x.ravel() if lo == 0 and x.dtype.kind == "u" else \
            (x.ravel().astype(np.int64) - lo)
        total = np.bincount(shifted, minlength=n)
        fg = np.bincount(shifted[y.ravel()], minlength=n)
        bg = total - fg
    else:
        fg = np.histogram(x[y], bins=edges)[0]
        bg = np.histogram(x[~y], bins=edges)[0]
    pf = fg / max(fg.sum(), 1)
    pb = bg / max(bg.sum(), 1)
    return {"edges": edges, "foreground": fg, "background": bg,
            "overlap": float(np.minimum(pf, pb).sum())}


def best_threshold(images, masks, *, bins=256):
    """The single global threshold with the best Dice, trying both polarities.

    Every bin edge is tried as a threshold, with foreground either above it (``x > t``) or
    below it (``x < t``); Dice ``2 TP / (2 TP + FP + FN)`` is computed over the whole stack
    from cumulative histograms.

    Parameters
    ----------
    images : (N, H, W) or (N, H, W, 1) ndarray
    masks : same shape, binary
    bins : int
        As for `intensity_histograms`: integer images with at most `bins` grey values try
        every value.

    Returns
    -------
    dict
        ``threshold``, ``polarity`` (``"above"`` or ``"below"``), ``dice``.

    Examples
    --------
    >>> img = np.array([[[10, 20, 200, 210]]], dtype=np.uint8)
    >>> msk = np.array([[[0, 0, 1, 1]]], dtype=np.uint8)
    >>> r = best_threshold(img, msk)
    >>> r["polarity"], r["dice"], 20 < r["threshold"] < 200
    ('above', 1.0, True)
    """
    return _best_from_histograms(intensity_histograms(images, masks, bins=bins))


def _best_from_histograms(h):
    """`best_threshold` from the result of `intensity_histograms` (one pass over the data)."""
    fg, bg, edges = h["foreground"].astype(float), h["background"].astype(float), h["edges"]
    total_fg = fg.sum()
    # threshold at edges[i]: "below" predicts bins < i, "above" predicts bins >= i
    below_tp = np.concatenate([[0.0], np.cumsum(fg)])
    below_fp = np.concatenate([[0.0], np.cumsum(bg)])
    above_tp, above_fp = total_fg - below_tp, bg.sum() - below_fp
    best = {"threshold": float(edges[0]), "polarity": "above", "dice": 0.0}
    for polarity, tp, fp in (("above", above_tp, above_fp), ("below", below_tp, below_fp)):
        denom = tp + fp + total_fg
        dice = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
        i = int(np.argmax(dice))
        if dice[i] > best["dice"]:
            best = {"threshold": float(edges[i]), "polarity": polarity, "dice": float(dice[i])}
    return best


# ----------------------------------------------------------------------------- objects
def count_objects(mask, *, connectivity=None, dims=2, spacing=None):
    """Connected components of a binary mask: their number and sizes, in 2-D or in 3-D.

    By the course's convention objects are found within each 2-D slice, and slices of a stack
    are never joined (``dims=2``). Counting objects *in the volume*, as Malec does for his
    mean mitochondrion volume, is a different, explicit choice: ``dims=3`` labels the stack
    as one 3-D array, so an object that runs through several slices is one object.

    Parameters
    ----------
    mask : (H, W), (H, W, 1), (N, H, W) or (N, H, W, 1) ndarray, binary
        One slice or a stack. ``(H, W, 1)`` is one slice.
    connectivity : {None, 1, 2, 3}
        Neighbours that join two foreground pixels: 1 shares a side (4-neighbourhood in 2-D,
        6 in 3-D), up to `dims` shares a corner; None is full connectivity (8 in 2-D, 26 in
        3-D), the course's convention.
    dims : {2, 3}
        2: components of each slice on its own (a stack gives the objects of all its slices);
        3: components of the stack as a volume.
    spacing : float or sequence of float, optional
        Side of a pixel (``dims=2``) or voxel (``dims=3``) in physical units, e.g. 5.0 nm for
        the EPFL hippocampus stacks, or one value per axis (``(dy, dx)``, ``(dz, dy, dx)``).
        Sizes are then areas or volumes in those units (float); without it, pixel or voxel
        counts (int).

    Returns
    -------
    n : int
        Number of objects (summed over the slices for a stack with ``dims=2``).
    sizes : (n,) ndarray
        Area (``dims=2``) or volume (``dims=3``) of each object, slice by slice for a stack.

    Examples
    --------
    >>> m = np.array([[1, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 1]])
    >>> n, areas = count_objects(m)
    >>> n, areas.tolist()
    (3, [2, 2, 1])
    >>> count_objects(m, spacing=5.0)[1].tolist()  # 5 nm pixels: areas in nm^2
    [50.0, 50.0, 25.0]

    One object through three slices is three objects slice by slice, one in the volume:

    >>> stack = np.zeros((3, 4, 4), np.uint8); stack[:, 1:3, 1:3] = 1
    >>> count_objects(stack)[0], count_objects(stack, dims=3)[0]
    (3, 1)
    >>> count_objects(stack, dims=3, spacing=5.0)[1].tolist()  # 12 voxels of 125 nm^3
    [1500.0]
    """
    from scipy import ndimage

    dims = check_int(dims, "dims", minimum=2)
    if dims > 3:
        raise ValueError(f"`dims` must be 2 (objects of each slice) or 3 (objects of the "
                         f"volume), got {dims}")
    y = as_binary(check_numeric(as_array(mask, "mask"), "mask"), "mask")
    check_ndim(y, "mask", (2, 3, 4), "a slice (H, W) or a stack (N, H, W) or (N, H, W, 1)")
    if y.ndim == 4 or (y.ndim == 3 and y.shape[-1] == 1):
        if y.shape[-1] != 1:
            raise ValueError(f"`mask` must have one channel (N, H, W, 1), got {describe(y)}")
        y = y[..., 0]
    stack = y if y.ndim == 3 else y[None]
    if connectivity is None:
        connectivity = dims
    connectivity = check_int(connectivity, "connectivity", minimum=1)
    if connectivity > dims:
        raise ValueError(f"`connectivity` must be between 1 and {dims} for {dims}-D "
                         f"components, got {connectivity}")
    factor = None
    if spacing is not None:
        sides = np.ravel(np.asarray(spacing, dtype=object))
        if sides.size not in (1, dims):
            raise ValueError(f"`spacing` must be one number or {dims} (one per axis), got "
                             f"{spacing!r}")
        sides = [check_real(v, "spacing", low=0.0, low_open=True) for v in sides]
        factor = float(np.prod(sides)) if len(sides) == dims else sides[0] ** dims
    structure = ndimage.generate_binary_structure(dims, connectivity)
    if dims == 3:
        lab = np.empty(stack.shape, np.int32)  # half the memory of scikit-image's int64
        n = ndimage.label(stack, structure=structure, output=lab)
        parts = [np.bincount(lab.ravel(), minlength=n + 1)[1:]]
        del lab
    else:
        parts = []
        for s in stack:
            lab, k = ndimage.label(s, structure=structure)
            parts.append(np.bincount(lab.ravel(), minlength=k + 1)[1:])
    sizes = np.concatenate(parts).astype(np.int64)
    if factor is not None:
        sizes = sizes * factor
    return int(sizes.size), sizes


def _objects_per_slice(masks, *, connectivity=2):
    """Objects per slice and all object areas of a stack, by connected components.

    Returns
    -------
    counts : (N,) int ndarray
    areas : (K,) int ndarray
        Areas of all K objects of all slices, in slice order.
    """
    y = as_binary(_stack(masks, "masks"), "masks")
    counts, areas = [], []
    for s in y:
        n, a = count_objects(s, connectivity=connectivity)
        counts.append(n)
        areas.append(a)
    return np.array(counts, dtype=int), np.concatenate(areas) if areas else np.zeros(0, int)


def _humps_per_line(mask, *, axis=1):
    """Foreground runs ("humps" of the line profile) on every raster line of a 2-D mask.

    Parameters
    ----------
    mask : (H, W) or (H, W, 1) ndarray, binary
    axis : {0, 1}
        1 scans rows (one count per row), 0 scans columns.

    Examples
    --------
    >>> _humps_per_line(np.array([[1, 0, 1, 1, 0, 1], [0, 0, 0, 0, 0, 0]])).tolist()
    [3, 0]
    """
    m = _slice(mask, "mask")
    if axis not in (0, 1):
        raise ValueError(f"`axis` must be 0 or 1, got {axis!r}")
    m = m if axis == 1 else m.T
    rising = m[:, 1:] & ~m[:, :-1]
    return (rising.sum(axis=1) + m[:, 0]).astype(int)


def _naive_object_count(mask, *, axis=1):
    """The raster-scan guess: the most humps seen on any one line.

    It undercounts objects that never share a line (one above the other) and overcounts an
    object whose outline is concave across the scan direction (a U or a C shape crosses a line
    twice). Connected components (`count_objects`) have neither problem.

    Examples
    --------
    >>> stacked = np.zeros((5, 3), int); stacked[0, 1] = stacked[3, 1] = 1
    >>> _naive_object_count(stacked), count_objects(stacked)[0]
    (1, 2)
    >>> u = np.array([[1, 0, 1], [1, 0, 1], [1, 1, 1]])
    >>> _naive_object_count(u), count_objects(u)[0]
    (2, 1)
    """
    return int(_humps_per_line(mask, axis=axis).max(initial=0))


def compare_counts(masks, *, connectivity=2):
    """Connected-component and naive counts per slice, and the slices where they disagree.

    The naive count is the raster-line heuristic Malec used (the most "humps", runs of
    foreground, on any row); it undercounts objects that never share a row and overcounts
    objects a row crosses twice.

    Parameters
    ----------
    masks : (N, H, W) or (N, H, W, 1) ndarray, binary
    connectivity : {1, 2}
        Of the connected components (2: 8-neighbourhood, the course's convention).

    Returns
    -------
    dict
        ``components`` and ``naive`` (N,) int arrays, ``disagree`` (indices of slices where
        they differ), ``areas`` (all component areas, pixels).

    Examples
    --------
    >>> m = np.zeros((2, 6, 6), np.uint8)
    >>> m[0, 1, 1:5] = 1                                      # a bar: both count 1
    >>> m[1, 1:4, 1] = m[1, 1:4, 4] = m[1, 3, 1:5] = 1        # a U: the naive count says 2
    >>> c = compare_counts(m)
    >>> c["components"].tolist(), c["naive"].tolist(), c["disagree"].tolist()
    ([1, 1], [1, 2], [1])
    """
    y = as_binary(_stack(masks, "masks"), "masks")
    comp, areas = _objects_per_slice(y, connectivity=connectivity)
    naive = np.array([_naive_object_count(s) for s in y], dtype=int)
    return {"components": comp, "naive": naive, "disagree": np.flatnonzero(comp != naive),
            "areas": areas}


# ----------------------------------------------------------------------------- correlation
def _fisher_ci(r, n, *, level=0.95):
    """Confidence interval of a Pearson correlation by Fisher's z transform.

    ``z = atanh(r)`` is approximately normal with standard error ``1 / sqrt(n - 3)`` for ``n``
    *independent* pairs; the interval ``z +- q * se`` is transformed back with ``tanh``.

    Parameters
    ----------
    r : float or ndarray
        Correlations in [-1, 1]; ``|r| == 1`` gives the degenerate interval ``(r, r)``.
    n : int or ndarray
        Number of independent pairs (> 3).
    level : float
        Coverage, e.g. 0.95 (``q = 1.96``).

    Returns
    -------
    low, high : float or ndarray

    Examples
    --------
    >>> low, high = _fisher_ci(0.5, 103)
    >>> round(float(low), 3), round(float(high), 3)
    (0.339, 0.632)
    """
    from scipy.stats import norm

    r = np.asarray(r, dtype=float)
    n = np.asarray(n, dtype=float)
    if not np.isfinite(r).all() or (np.abs(r) > 1).any():
        raise ValueError(f"`r` must be correlations in [-1, 1], got {r!r}")
    if (n <= 3).any():
        raise ValueError(f"`n` must be > 3 independent pairs, got {n!r}")
    if not 0 < level < 1:
        raise ValueError(f"`level` must be in (0, 1), got {level!r}")
    q = norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore"):
        z = np.arctanh(r)
    se = 1 / np.sqrt(n - 3)
    low, high = np.tanh(z - q * se), np.tanh(z + q * se)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def _autocorrelation(image):
    """Normalised autocorrelation along rows and columns at lags 0, 1, 2, ... (by FFT)."""
    x = np.asarray(image, dtype=float)
    x = x - x.mean()
    out = []
    for axis in (0, 1):
        n = x.shape[axis]
        f = np.fft.rfft(x, n=2 * n, axis=axis)
        ac = np.fft.irfft(f * np.conj(f), axis=axis)
        ac = np.take(ac, np.arange(n), axis=axis).sum(axis=1 - axis)
        out.append(ac / ac[0] if ac[0] > 0 else np.zeros(n))
    m = min(len(out[0]), len(out[1]))
    return (out[0][:m] + out[1][:m]) / 2


def _correlation_length(image, *, threshold=0.1):
    """The lag (pixels) at which an image's autocorrelation first falls below `threshold`.

    Pixels closer than this are strongly correlated, so they are not independent samples.

    Parameters
    ----------
    image : (H, W) or (H, W, 1) ndarray
    threshold : float
        In (0, 1).

    Returns
    -------
    int
        At least 1; the image side if it never falls that low.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> _correlation_length(rng.random((64, 64)))  # white noise: neighbours independent
    1
    """
    x = check_finite(check_numeric(as_array(image, "image"), "image"), "image")
    check_ndim(x, "image", (2, 3), "a 2-D slice (H, W) or (H, W, 1)")
    if x.ndim == 3:
        x = x[..., 0]
    if not 0 < threshold < 1:
        raise ValueError(f"`threshold` must be in (0, 1), got {threshold!r}")
    ac = _autocorrelation(x)
    below = np.flatnonzero(ac < threshold)
    return int(below[0]) if below.size else int(len(ac))


def _effective_step(stack, *, reference=0, threshold=0.1):
    """Grid spacing for roughly independent pixels: the reference slice's correlation length."""
    x = _stack(stack, "stack")
    return _correlation_length(x[reference], threshold=threshold)


def _pearson(a, b):
    a = a.astype(float).ravel()
    b = b.astype(float).ravel()
    a -= a.mean()
    b -= b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else 0.0


def slice_correlation(stack, *, reference=0, step=None, level=0.95, slices=None):
    """Pearson correlation of every slice with a reference slice, with Fisher-z intervals.

    Neighbouring pixels are correlated, so the pixel count wildly overstates the number of
    independent pairs and gives absurdly narrow intervals (returned too, as ``naive_low`` and
    ``naive_high``, for comparison). Here ``r`` is computed on all pixels but the interval uses
    an effective ``n``: the number of points of a coarse grid of spacing `step`, by default the
    reference slice's correlation length, beyond which pixels are roughly
    independent. This is a heuristic, and says so: it is conservative for smooth images and
    ignores correlation left at longer range.

    Parameters
    ----------
    stack : (N, H, W) or (N, H, W, 1) ndarray
    reference : int
        Index of the reference slice.
    step : int, optional
        Grid spacing in pixels for the effective n (default: the reference slice's
        correlation length, the lag at which its autocorrelation falls below 0.1).
    level : float
        Coverage of the intervals.
    slices : sequence of int, optional
        Slices to compare (default all).

    Returns
    -------
    dict
        ``depth`` (slice index minus reference), ``r``, ``low``, ``high``, ``n_eff``, ``step``,
        ``n_pixels``, ``naive_low``, ``naive_high``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> base = rng.random((16, 16))
    >>> c = slice_correlation(np.stack([base, base, rng.random((16, 16))]), step=1)
    >>> c["r"].round(2).tolist(), c["n_eff"]  # white noise: every pixel independent
    ([1.0, 1.0, 0.13], 256)
    """
    x = _stack(stack, "stack")
    reference = check_int(reference, "reference", minimum=0)
    if reference >= len(x):
        raise ValueError(f"`reference` must be < the number of slices {len(x)}, got {reference}")
    step = _effective_step(x, reference=reference) if step is None else check_int(
        step, "step", minimum=1)
    idx = np.arange(len(x)) if slices is None else np.asarray(slices, dtype=int)
    h, w = x.shape[1:]
    n_eff = max(-(-h // step) * -(-w // step), 4)
    r = np.array([_pearson(x[reference], x[i]) for i in idx])
    low, high = _fisher_ci(np.clip(r, -1, 1), n_eff, level=level)
    nlow, nhigh = _fisher_ci(np.clip(r, -1, 1), h * w, level=level)
    return {"depth": idx - reference, "r": r, "low": low, "high": high, "n_eff": int(n_eff),
            "step": int(step), "n_pixels": int(h * w), "naive_low": nlow, "naive_high": nhigh}


def transformed_correlation(stack, *, transform, strength=0.0, reference=0, seed=0, step=None,
                            level=0.95, slices=None):
    """`slice_correlation` after transforming every slice but the reference.

    Asks which augmentations make a training slice less like its neighbours (which may sit on
    the other side of a train/validation split). `transform` is ``"none"``, ``"flip"``
    (left-right; strength ignored), ``"noise"`` (Gaussian, sigma = strength x the reference
    slice's standard deviation), ``"elastic_grid"`` (elasticdeform B-spline grid, 3 x 3
    points, sigma = strength pixels) or ``"elastic_alpha_sigma"`` (Simard field, alpha =
    strength pixels, sigma = 8 pixels). The effective n is the untransformed reference's, so
    curves are comparable.

    Parameters
    ----------
    stack : (N, H, W) or (N, H, W, 1) ndarray
    transform : str
        One of the names above.
    strength : float
        >= 0, its meaning set by `transform`.
    reference : int
        The slice left unchanged, against which the others are correlated.
    seed : int
        Seed of the random transforms.
    step, level, slices
        As for `slice_correlation`.

    Returns
    -------
    dict
        As `slice_correlation`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> vol = np.repeat(rng.random((1, 16, 16)), 3, axis=0)
    >>> transformed_correlation(vol, transform="none", step=2)["r"].round(3).tolist()
    [1.0, 1.0, 1.0]
    """
    from . import augment

    if transform not in _CORRELATION_TRANSFORMS:
        raise ValueError(
            f"`transform` must be one of {', '.join(map(repr, _CORRELATION_TRANSFORMS))}, "
            f"got {transform!r}"
        )
    x = _stack(stack, "stack")
    reference = check_int(reference, "reference", minimum=0)
    if reference >= len(x):
        raise ValueError(f"`reference` must be < the number of slices {len(x)}, got {reference}")
    if isinstance(strength, bool) or not isinstance(strength, numbers.Real):
        raise TypeError(f"`strength` must be a number, got {strength!r}")
    if not np.isfinite(strength) or strength < 0:
        raise ValueError(f"`strength` must be a finite number >= 0, got {strength!r}")
    step = _effective_step(x, reference=reference) if step is None else step
    idx = np.arange(len(x)) if slices is None else np.asarray(slices, dtype=int)
    rng = np.random.default_rng(seed)
    sd = float(x[reference].std()) or 1.0  # one slice: no float64 copy of the whole stack
    dummy = np.zeros(x.shape[1:], np.uint8)
    out = np.empty((len(idx),) + x.shape[1:], np.float32)
    for j, i in enumerate(idx):
        s = x[i].astype(np.float32)
        if i != reference:
            if transform == "flip":
                s = s[:, ::-1]
            elif transform == "noise":
                s = s + rng.standard_normal(s.shape, dtype=np.float32) * np.float32(strength * sd)
            elif transform == "elastic_grid":
                s, _ = augment.elastic_grid(s, dummy, sigma=strength, points=3, rng=rng)
            elif transform == "elastic_alpha_sigma":
                s, _ = augment.elastic_alpha_sigma(s, dummy, alpha=strength, sigma=8.0, rng=rng)
        out[j] = s
    ref_pos = np.flatnonzero(idx == reference)
    if ref_pos.size == 0:
        out = np.concatenate([x[reference][None].astype(np.float32), out])
        res = slice_correlation(out, reference=0, step=step, level=level)
        res = {k: (v[1:] if isinstance(v, np.ndarray) else v) for k, v in res.items()}
        res["depth"] = idx - reference
        return res
    res = slice_correlation(out, reference=int(ref_pos[0]), step=step, level=level)
    res["depth"] = idx - reference
    return res

"""Touching objects: a U-Net with a distance head, and watershed from distance markers.

Introduced in notebook 08. A foreground mask cannot separate particles that touch without a
gap: connected components merge them. A second output that predicts, for every inside pixel,
its distance to the nearest edge of *its own* object (capped at `cap` pixels) is high in the
middle of each particle and low where two meet, so its maxima are one marker per particle and
a watershed of the mask from those markers splits the touching ones.

- `distance_targets`: the capped per-object distance transform, the training target of the
  ``"dist"`` output of `segkit.models.distance_unet` (trained by `segkit.train.train` with
  ``loss={"prob": "bce", "dist": "mae"}``).
- `predict_distance`: both maps of such a model.
- `split_touching`: markers from the distance map, watershed of the inside mask.
- `connected_components`: the baseline, one object per connected blob of the mask.

Foreground is ``prob >= threshold`` and objects of a mask are 8-connected, as everywhere in
segkit (docs/architecture.md).

Real images (EMPS in notebook 08) come in different sizes: every function here also takes a
list of 2-D images and returns a list, prediction pads any size to the network's size
divisor, and ``scale=`` runs a network at the working scale it was trained at (the maps come
back at the image's size, distances in its pixels). The distance head and watershed are
Bellybutton's (Dillavou et al. 2024: a distance "typically" capped at 10 pixels).
"""

import numpy as np
from scipy import ndimage as ndi

from ._conventions import foreground, label_components
from ._validate import (as_label_stack, as_stack, check_int, check_normalization, check_real,
                        describe, normalised)

__all__ = ["distance_targets", "predict_distance", "split_touching", "connected_components"]


# ----------------------------------------------------------------------------- validation
def _labels(x, name="labels"):
    """Label image or stack as (N, H, W) int64, plus whether it was 2-D."""
    return as_label_stack(x, name)


def _map(x, name):
    """A float map (H, W), (N, H, W) or (N, H, W, 1) as (N, H, W) float32, plus 2-D flag."""
    arr, single = as_stack(x, name)
    return arr.astype(np.float32, copy=False), single


def _is_list(x):
    """Whether `x` is a list (or tuple) of images given as arrays: real data of varying size.

    Nested Python lists of numbers are one array, not a list of images.
    """
    return (isinstance(x, (list, tuple)) and len(x) > 0
            and all(isinstance(item, np.ndarray) for item in x))


def _pair_lists(first, second, names):
    """Two lists of images with the same length and pairwise shapes (errors name both)."""
    if not _is_list(second) or len(second) != len(first):
        raise ValueError(f"`{names[0]}` is a list of {len(first)} images, so `{names[1]}` must "
                         f"be a list of as many arrays, got {describe(second)}"
                         + (f" of length {len(second)}" if isinstance(second, (list, tuple))
                            else ""))
    for i, (a, b) in enumerate(zip(first, second)):
        if np.shape(a) != np.shape(b):
            raise ValueError(f"`{names[1]}[{i}]` (shape {np.shape(b)}) must have the same shape "
                             f"as `{names[0]}[{i}]` (shape {np.shape(a)})")


def _pad_to(img, divisor):
    """Reflect-pad a (H, W) image at its far edges to sides that are multiples of `divisor`."""
    h, w = img.shape
    ph, pw = (-h) % divisor, (-w) % divisor
    if not (ph or pw):
        return img
    mode = "reflect" if ph < h and pw < w else "symmetric"
    return np.pad(img, ((0, ph), (0, pw)), mode=mode)


def _check_scale(scale):
    return check_real(scale, "scale", low=0.0, high=4.0, low_open=True)


def _resize(img, shape, *, order=1):
    """`img` resized to `shape` (bilinear for maps, nearest for labels with ``order=0``)."""
    from skimage.transform import resize

    if tuple(img.shape) == tuple(shape):
        return img
    smaller = shape[0] < img.shape[0] or shape[1] < img.shape[1]
    out = resize(img, shape, order=order, preserve_range=True, mode="edge",
                 anti_aliasing=bool(order > 0 and smaller))
    return out.astype(img.dtype if order == 0 else np.float32)


def _working_shape(shape, scale):
    return tuple(max(1, int(round(side * scale))) for side in shape)


def _image_views(images, name):
    """Images to predict, checked but not converted (their own dtype: uint8 images stay uint8
    until each is predicted): a list of (H, W) views or the (N, H, W) stack, whether `images`
    was a list, and whether it was one 2-D image."""
    if _is_list(images):
        return [_one(im, f"{name}[{i}]", as_stack) for i, im in enumerate(images)], True, False
    arr, flat = as_stack(images, name)
    return arr, False, flat


def _predict(model, images, *, batch_size, repeat=1, scale=1.0, normalization=None):
    """Forward passes of `model` on each (H, W) image of `images`, any size.

    Each image is normalised by `normalization` (float32 when None), one image at a time,
    resized by `scale` (the working scale of the model), reflect-padded to
    a multiple of the model's size divisor (of 64 too when a side exceeds 128), predicted `repeat` times in one go (the copies share batches,
    so Monte-Carlo dropout draws a different mask for each), and cropped back. Yields, per
    image, a dict ``{output: (repeat, h, w) float32}`` at the working scale (the key
    ``None`` for a single-output model).
    """
    from .models import size_divisor

    divisor = size_divisor(model)
    # large images are padded to multiples of 64 (at least): images of many sizes then share
    # a few input shapes, and the compiled prediction is not traced again for every size
    bucket = divisor * max(1, 64 // divisor)
    for img in images:
        img = _resize(normalised(img, normalization), _working_shape(img.shape, scale))
        h, w = img.shape
        x = _pad_to(img, bucket if max(h, w) > 128 else divisor)[None, ..., None]
        parts = {}
        for start in range(0, repeat, batch_size):
            n = min(batch_size, repeat - start)
            out = model.predict_on_batch(np.repeat(x, n, axis=0))
            if not isinstance(out, dict):
                out = {None: out}
            for k, v in out.items():
                parts.setdefault(k, []).append(np.asarray(v, np.float32)[:, :h, :w, 0])
        yield {k: np.concatenate(v) for k, v in parts.items()}


def _back(maps, shape, scale, *, distance=False):
    """A working-scale map brought back to the image's `shape`; distances in its pixels."""
    out = _resize(maps, shape)
    return out / np.float32(scale) if distance and scale != 1 else out


# ----------------------------------------------------------------------------- targets
def distance_targets(labels, *, cap=10):
    """Capped per-object distance transform: the target of the distance head.

    Each inside pixel gets its Euclidean distance to the nearest pixel that is *not* in its
    own object (background or a touching neighbour), so two touching particles meet in a
    valley of ones; values are capped at `cap` so that large objects do not dominate the loss.

    Parameters
    ----------
    labels : (H, W), (N, H, W) or (N, H, W, 1) int ndarray
    cap : float
        Largest distance, in pixels (> 0).

    Returns
    -------
    float32 ndarray
        Same shape as `labels` without a channel axis: ``(H, W)`` or ``(N, H, W)``; 0 outside.
        A list of label images (real data of varying size) gives a list.

    Examples
    --------
    >>> lab = np.array([[1, 1, 1, 2, 2, 2, 2, 2]])
    >>> distance_targets(lab, cap=2).tolist()
    [[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]
    >>> lab = np.zeros((7, 7), int); lab[1:6, 1:6] = 1
    >>> distance_targets(lab, cap=2)[3].tolist()
    [0.0, 1.0, 2.0, 2.0, 2.0, 1.0, 0.0]
    """
    cap = check_real(cap, "cap", low=0.0, low_open=True)
    if _is_list(labels):
        return [distance_targets(_one(lab, f"labels[{i}]", _labels), cap=cap)
                for i, lab in enumerate(labels)]
    lab, flat = as_label_stack(labels, "labels", narrow=True)  # memory: no int64 copy
    out = np.zeros(lab.shape, np.float32)
    for i, li in enumerate(lab):
        for j, sl in enumerate(ndi.find_objects(li), start=1):
            if sl is None:
                continue
            # pad the bounding box by one so the object never touches the crop's edge
            sl = tuple(slice(max(s.start - 1, 0), s.stop + 1) for s in sl)
            obj = li[sl] == j
            d = ndi.distance_transform_edt(np.pad(obj, 1))[1:-1, 1:-1]
            out[i][sl][obj] = d[obj]
    np.minimum(out, cap, out=out)
    return out[0] if flat else out


# ----------------------------------------------------------------------------- prediction
def predict_distance(model, images, *, batch_size=8, scale=1.0, normalization=None):
    """Both maps of a two-headed model (`segkit.models.distance_unet`) for normalised images.

    Images of any size are reflect-padded to the model's size divisor and cropped back, so
    real images whose sides are not multiples of ``2 ** depth`` need no manual padding.

    Parameters
    ----------
    model : keras.Model
        Outputs a dict with ``"prob"`` and ``"dist"``.
    images : (H, W), (N, H, W) or (N, H, W, 1) float ndarray, or a list of (H, W) arrays
        Normalised images; a list for images of different sizes (predicted one by one).
    batch_size : int
    scale : float
        The working scale of the model: each image is resized by this factor before the
        network sees it (e.g. 0.5 for a model trained on images shrunk by half), and both maps
        are resized back to the image's size, the distance converted to the image's pixels.
    normalization : callable, optional
        Applied to each image before the network sees it, e.g. the
        `segkit.io.Normalization` fitted on the training images: `images` can then be the
        raw images (uint8 takes a quarter of the memory of float32), normalised one at a
        time. None: `images` are normalised already.

    Returns
    -------
    prob, dist : (N, H, W) float32 ndarrays
        ``(H, W)`` for a 2-D image; lists of (H, W) arrays for a list.

    Examples
    --------
    >>> from segkit import models
    >>> model = models.distance_unet(depth=1, base_filters=2)
    >>> prob, dist = predict_distance(model, np.zeros((16, 16), np.float32))
    >>> prob.shape, bool(0 <= dist.min() and dist.max() <= 10)
    ((16, 16), True)
    >>> probs, dists = predict_distance(model, [np.zeros((16, 18)), np.zeros((15, 9))],
    ...                                 scale=0.5)
    >>> [p.shape for p in probs], bool(max(d.max() for d in dists) <= 20)
    ([(16, 18), (15, 9)], True)

    Raw images with the normalisation fitted on the training images:

    >>> from segkit import io
    >>> raw = np.full((16, 16), 100, np.uint8)
    >>> norm = io.Normalization(0.0, 255.0)
    >>> once = predict_distance(model, raw, normalization=norm)[0]
    >>> bool((once == predict_distance(model, norm(raw))[0]).all())
    True
    """
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    scale = _check_scale(scale)
    normalization = check_normalization(normalization)
    imgs, listed, flat = _image_views(images, "images")
    if listed or scale != 1:
        probs, dists = [], []
        for img, out in zip(imgs, _predict(model, imgs, batch_size=1, scale=scale,
                                           normalization=normalization)):
            probs.append(_back(out["prob"][0], img.shape, scale))
            dists.append(_back(out["dist"][0], img.shape, scale, distance=True))
        if listed:
            return probs, dists
        return (probs[0], dists[0]) if flat else (np.stack(probs), np.stack(dists))
    x = normalised(imgs, normalization)  # the stack itself when float32 and not normalised
    out = _predict_stack(model, x, batch_size=batch_size)
    prob, dist = out["prob"], out["dist"]
    return (prob[0], dist[0]) if flat else (prob, dist)


def _one(x, name, reader):
    """One 2-D image of a list, read by `_map` or `_labels`; a stack there is an error."""
    arr, single = reader(x, name)
    if not single:
        raise ValueError(f"`{name}` must be one 2-D image (H, W) in a list of images, got "
                         f"{describe(np.asarray(x))}")
    return arr[0]


def _predict_maps(model, images, *, batch_size=8, scale=1.0, normalization=None):
    """The probability map of a single-output model for a stack or a list of images."""
    imgs, listed, flat = _image_views(images, "images")
    if listed or scale != 1:
        maps = [_back(out[None][0], img.shape, scale)
                for img, out in zip(imgs, _predict(model, imgs, batch_size=1, scale=scale,
                                                   normalization=normalization))]
        if listed:
            return maps
        return maps[0] if flat else np.stack(maps)
    x = normalised(imgs, normalization)  # the stack itself when float32 and not normalised
    prob = _predict_stack(model, x, batch_size=batch_size)[None]
    return prob[0] if flat else prob


def _predict_stack(model, x, *, batch_size):
    """``model.predict`` on an (N, H, W) stack of any size: padded, predicted, cropped."""
    from .models import size_divisor

    divisor = size_divisor(model)
    n, h, w = x.shape
    ph, pw = (-h) % divisor, (-w) % divisor
    if ph or pw:
        mode = "reflect" if ph < h and pw < w else "symmetric"
        x = np.pad(x, ((0, 0), (0, ph), (0, pw)), mode=mode)
    out = model.predict(x[..., None], batch_size=batch_size, verbose=0)
    if not isinstance(out, dict):
        out = {None: out}
    return {k: np.asarray(v, np.float32)[:, :h, :w, 0] for k, v in out.items()}


# ----------------------------------------------------------------------------- splitting
def _relabel_small(lab, min_area):
    if min_area > 0 and lab.max() > 0:
        area = np.bincount(lab.ravel())
        small = area < min_area
        small[0] = False
        lab[small[lab]] = 0
    from skimage.segmentation import relabel_sequential

    return relabel_sequential(lab)[0].astype(np.int32)


def split_touching(prob, dist, *, threshold=0.5, min_distance=3, h=1.0, sigma=1.0,
                   min_area=0, keep_unmarked=False):
    """Instances from an inside probability and a distance map: markers, then watershed.

    1. Inside mask: ``prob >= threshold``.
    2. Markers: the regional maxima of the (Gaussian-smoothed, by `sigma`) distance map
       inside the mask that stand at least `h` above their surroundings
       (``skimage.morphology.h_maxima``; a capped distance has flat tops, and a flat top is
       one maximum); markers closer than `min_distance` pixels are merged (each is dilated
       by a disk of radius ``min_distance // 2`` before labelling).
    3. Watershed of the negated distance from the markers, restricted to the mask
       (``skimage.segmentation.watershed``); mask blobs without a marker are dropped, or
       kept as one object each with `keep_unmarked`.
    4. Objects smaller than `min_area` pixels are removed; labels are renumbered 1..K.

    Parameters
    ----------
    prob : (H, W), (N, H, W) or (N, H, W, 1) float ndarray
        Inside probability (a binary mask works too).
    dist : float ndarray of the same shape
        Distance to the nearest edge (pixels), e.g. from `predict_distance`.
    threshold : float
    min_distance : int
        Smallest distance, in pixels, between two markers.
    h : float
        Smallest height of a distance maximum to be a marker (pixels); raise it if objects
        are split into pieces, lower it if touching objects stay merged.
    sigma : float
        Smoothing of the distance map before the maxima are found (0: none).
    min_area : int
    keep_unmarked : bool
        Keep each blob of the mask that holds no marker as one object. A particle whose
        distance peak is lower than `h` (smaller than `h` pixels in radius) has no marker;
        raising `h` against over-splitting large particles then loses small ones unless
        they are kept (notebook 08, EMPS).

    Returns
    -------
    int32 ndarray
        Labels, ``(H, W)`` or ``(N, H, W)``; each slice numbered 1..K. A list for lists.

    Examples
    --------
    >>> lab = np.zeros((12, 20), int)
    >>> lab[2:10, 2:10], lab[2:10, 10:18] = 1, 2  # two touching squares
    >>> out = split_touching(lab > 0, distance_targets(lab), sigma=0)
    >>> int(out.max()), int(connected_components(lab > 0).max())
    (2, 1)
    >>> lab[0, 18] = 3  # a one-pixel particle: its distance peak (1) is below h=2
    >>> [int(split_touching(lab > 0, distance_targets(lab), sigma=0, h=2, keep_unmarked=k)
    ...      .max()) for k in (False, True)]
    [2, 3]
    """
    from skimage.morphology import disk, h_maxima
    from skimage.segmentation import watershed

    if _is_list(prob):
        _pair_lists(prob, dist, ("prob", "dist"))
        return [split_touching(p, d, threshold=threshold, min_distance=min_distance, h=h,
                               sigma=sigma, min_area=min_area, keep_unmarked=keep_unmarked)
                for p, d in zip(prob, dist)]
    p, flat = _map(prob, "prob")
    d, _ = _map(dist, "dist")
    if d.shape != p.shape:
        raise ValueError(f"`dist` (shape {np.shape(dist)}) must have the same shape as `prob` "
                         f"(shape {np.shape(prob)})")
    threshold = check_real(threshold, "threshold", low=0.0, high=1.0)
    min_distance = check_int(min_distance, "min_distance", minimum=0)
    h = check_real(h, "h", low=0.0, low_open=True)
    sigma = check_real(sigma, "sigma", low=0.0)
    min_area = check_int(min_area, "min_area", minimum=0)
    out = np.zeros(p.shape, np.int32)
    for i in range(p.shape[0]):
        mask = foreground(p[i], threshold)
        if not mask.any():
            continue
        di = np.where(mask, d[i], 0).astype(np.float64)
        if sigma > 0:
            di = np.where(mask, ndi.gaussian_filter(di, sigma), 0)
        peaks = h_maxima(di, h).astype(bool) & mask
        if min_distance >= 2:
            peaks = ndi.binary_dilation(peaks, disk(min_distance // 2)) & mask
        markers = label_components(peaks)
        lab = watershed(-di, markers, mask=mask)
        if keep_unmarked:
            rest = label_components(mask & (lab == 0))
            lab = np.where(rest > 0, rest + lab.max(), lab)
        out[i] = _relabel_small(lab, min_area)
    return out[0] if flat else out


def connected_components(prob, *, threshold=0.5, min_area=0):
    """The baseline: each 8-connected blob of ``prob >= threshold`` is one object.

    Parameters
    ----------
    prob : (H, W), (N, H, W) or (N, H, W, 1) ndarray
        Inside probability, or a binary mask.
    threshold : float
        Foreground is ``prob >= threshold``.
    min_area : int
        Objects smaller than this (pixels) are removed.

    Returns
    -------
    int32 ndarray
        ``(H, W)`` or ``(N, H, W)``, each slice numbered 1..K.

    Examples
    --------
    >>> connected_components(np.array([[1, 1, 0, 1]])).tolist()
    [[1, 1, 0, 2]]
    """
    if _is_list(prob):
        return [connected_components(p, threshold=threshold, min_area=min_area) for p in prob]
    p, flat = _map(prob, "prob")
    threshold = check_real(threshold, "threshold", low=0.0, high=1.0)
    min_area = check_int(min_area, "min_area", minimum=0)
    out = np.zeros(p.shape, np.int32)
    for i in range(p.shape[0]):
        out[i] = _relabel_small(label_components(foreground(p[i], threshold)), min_area)
    return out[0] if flat else out

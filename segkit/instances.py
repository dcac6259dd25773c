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
"""

import numpy as np
from scipy import ndimage as ndi

from ._conventions import foreground, label_components
from ._validate import as_label_stack, as_stack, check_int, check_real

__all__ = ["distance_targets", "predict_distance", "split_touching", "connected_components"]


# ----------------------------------------------------------------------------- validation
def _labels(x, name="labels"):
    """Label image or stack as (N, H, W) int64, plus whether it was 2-D."""
    return as_label_stack(x, name)


def _map(x, name):
    """A float map (H, W), (N, H, W) or (N, H, W, 1) as (N, H, W) float32, plus 2-D flag."""
    arr, single = as_stack(x, name)
    return arr.astype(np.float32, copy=False), single


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

    Examples
    --------
    >>> lab = np.array([[1, 1, 1, 2, 2, 2, 2, 2]])
    >>> distance_targets(lab, cap=2).tolist()
    [[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]
    >>> lab = np.zeros((7, 7), int); lab[1:6, 1:6] = 1
    >>> distance_targets(lab, cap=2)[3].tolist()
    [0.0, 1.0, 2.0, 2.0, 2.0, 1.0, 0.0]
    """
    lab, flat = _labels(labels)
    cap = check_real(cap, "cap", low=0.0, low_open=True)
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
def predict_distance(model, images, *, batch_size=8):
    """Both maps of a two-headed model (`segkit.models.distance_unet`) for normalised images.

    Parameters
    ----------
    model : keras.Model
        Outputs a dict with ``"prob"`` and ``"dist"``.
    images : (H, W), (N, H, W) or (N, H, W, 1) float ndarray
        Normalised images whose sides the model accepts.
    batch_size : int

    Returns
    -------
    prob, dist : (N, H, W) float32 ndarrays (``(H, W)`` for a 2-D image)

    Examples
    --------
    >>> from segkit import models
    >>> model = models.distance_unet(depth=1, base_filters=2)
    >>> prob, dist = predict_distance(model, np.zeros((16, 16), np.float32))
    >>> prob.shape, bool(0 <= dist.min() and dist.max() <= 10)
    ((16, 16), True)
    """
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    x, flat = _map(images, "images")
    out = model.predict(x[..., None], batch_size=batch_size, verbose=0)
    prob, dist = np.asarray(out["prob"])[..., 0], np.asarray(out["dist"])[..., 0]
    return (prob[0], dist[0]) if flat else (prob, dist)


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
                   min_area=0):
    """Instances from an inside probability and a distance map: markers, then watershed.

    1. Inside mask: ``prob >= threshold``.
    2. Markers: the regional maxima of the (Gaussian-smoothed, by `sigma`) distance map
       inside the mask that stand at least `h` above their surroundings
       (``skimage.morphology.h_maxima``; a capped distance has flat tops, and a flat top is
       one maximum); markers closer than `min_distance` pixels are merged (each is dilated
       by a disk of radius ``min_distance // 2`` before labelling).
    3. Watershed of the negated distance from the markers, restricted to the mask
       (``skimage.segmentation.watershed``); mask blobs without a marker are dropped.
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

    Returns
    -------
    int32 ndarray
        Labels, ``(H, W)`` or ``(N, H, W)``; each slice numbered 1..K.

    Examples
    --------
    >>> lab = np.zeros((12, 20), int)
    >>> lab[2:10, 2:10], lab[2:10, 10:18] = 1, 2  # two touching squares
    >>> out = split_touching(lab > 0, distance_targets(lab), sigma=0)
    >>> int(out.max()), int(connected_components(lab > 0).max())
    (2, 1)
    """
    from skimage.morphology import disk, h_maxima
    from skimage.segmentation import watershed

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
    p, flat = _map(prob, "prob")
    threshold = check_real(threshold, "threshold", low=0.0, high=1.0)
    min_area = check_int(min_area, "min_area", minimum=0)
    out = np.zeros(p.shape, np.int32)
    for i in range(p.shape[0]):
        out[i] = _relabel_small(label_components(foreground(p[i], threshold)), min_area)
    return out[0] if flat else out

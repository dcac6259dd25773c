"""Data that segkit makes up for teaching: stand-in predictions with controlled mistakes.

Introduced in notebook 07, where each score is watched responding to each kind of error
before a model exists. (The synthetic microscopy images themselves are in `segkit.data`.)
This is the only place besides `segkit.data` that invents data; computation modules never
import it (docs/architecture.md).
"""

import numpy as np

from ._conventions import label_components
from ._validate import as_binary, as_label_stack, as_rng, as_stack, check_int, check_real

__all__ = ["degrade_mask", "degrade_labels", "synthetic_scores"]


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
    4-connected, per slice); erode by `erode` pixels; dilate by `dilate` pixels; flip a
    fraction `noise` of all pixels (salt and pepper). Used in notebook 07 to watch each
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

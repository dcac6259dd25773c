"""Touching objects: a U-Net with a distance head, and watershed from distance markers.

Introduced in notebook 08. A foreground mask cannot separate particles that touch without a
gap: connected components merge them. A second output that predicts, for every inside pixel,
its distance to the nearest edge of *its own* object (capped at `cap` pixels) is high in the
middle of each particle and low where two meet, so its maxima are one marker per particle and
a watershed of the mask from those markers splits the touching ones.

- `distance_targets`: the capped per-object distance transform, the training target.
- `distance_unet`: `segkit.models.unet` with two named outputs, ``"prob"`` and ``"dist"``.
- `train_distance_unet`, `predict_distance`: fit with cross-entropy plus mean absolute error,
  and predict both maps.
- `split_touching`: markers from the distance map, watershed of the inside mask.
- `connected_components`: the baseline, one object per connected blob of the mask.
"""

import numpy as np
from scipy import ndimage as ndi

from ._validate import (as_array, as_label_stack, check_finite, check_int, check_numeric,
                        check_positive, describe)

__all__ = [
    "distance_targets", "distance_unet", "train_distance_unet", "predict_distance",
    "split_touching", "connected_components",
]


# ----------------------------------------------------------------------------- validation
def _labels(x, name="labels"):
    """Label image or stack as (N, H, W) int64, plus whether it was 2-D."""
    return as_label_stack(x, name)


def _map(x, name):
    """A float map (H, W), (N, H, W) or (N, H, W, 1) as (N, H, W) float32, plus 2-D flag."""
    arr = check_finite(check_numeric(as_array(x, name), name), name)
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"`{name}` must be 2-D (H, W) or a stack (N, H, W) or (N, H, W, 1), got {describe(arr)}"
        )
    return (arr[None] if arr.ndim == 2 else arr).astype(np.float32, copy=False), arr.ndim == 2


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
    cap = check_positive(cap, "cap")
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


# ----------------------------------------------------------------------------- model
def distance_unet(input_shape=(None, None, 1), *, cap=10, name="distance_unet", **unet_kwargs):
    """A U-Net with two heads: inside probability and capped distance to the nearest edge.

    The body is `segkit.models.unet` (same keyword arguments: `depth`, `base_filters`,
    `batch_norm`, `dropout`, `mc_dropout`); its single-channel head is replaced by two 1x1
    convolutions on the last decoder features.

    Parameters
    ----------
    input_shape : tuple
    cap : float
        The distance cap; the ``"dist"`` head is a sigmoid scaled by `cap`, so it predicts
        values in ``[0, cap]`` pixels.
    name : str
    **unet_kwargs
        Passed to `segkit.models.unet` (``n_classes`` must stay 1).

    Returns
    -------
    keras.Model
        Uncompiled; outputs a dict ``{"prob": (N, H, W, 1), "dist": (N, H, W, 1)}``.

    Examples
    --------
    >>> model = distance_unet((32, 32, 1), depth=2, base_filters=4)
    >>> sorted(model.output_names), model.get_layer("dist").scale
    (['dist', 'prob'], 10.0)
    """
    import keras
    from keras import layers

    from .models import unet

    cap = check_positive(cap, "cap")
    if unet_kwargs.get("n_classes", 1) != 1:
        raise ValueError(f"`n_classes` must be 1 for a distance U-Net, got "
                         f"{unet_kwargs['n_classes']!r}")
    body = unet(input_shape, name=f"{name}_body", **unet_kwargs)
    features = body.get_layer("head").input  # the last decoder features
    prob = layers.Conv2D(1, 1, activation="sigmoid", dtype="float32", name="prob_head")(features)
    dist = layers.Conv2D(1, 1, activation="sigmoid", dtype="float32", name="dist_head")(features)
    prob = layers.Identity(name="prob", dtype="float32")(prob)
    dist = layers.Rescaling(cap, name="dist", dtype="float32")(dist)
    return keras.Model(body.input, {"prob": prob, "dist": dist}, name=name)


def _cap_of(model):
    return float(model.get_layer("dist").scale)


def train_distance_unet(model, images, labels, *, epochs, val=None, batch_size=8,
                        learning_rate=1e-3, distance_weight=None, seed=0, verbose=0):
    """Fit a `distance_unet` with cross-entropy on the mask and mean absolute error on distance.

    Parameters
    ----------
    model : keras.Model
        From `distance_unet`.
    images : (N, H, W) or (N, H, W, 1) float ndarray
        Normalised images (e.g. `segkit.io.Normalization`).
    labels : (N, H, W) int ndarray
        Instance labels; masks and capped distance targets are derived from them.
    epochs : int
    val : (images, labels) tuple, optional
    batch_size : int
    learning_rate : float
    distance_weight : float, optional
        Weight of the distance loss (in pixels); default ``1 / cap``, which puts both losses
        on a comparable scale.
    seed : int
    verbose : int

    Returns
    -------
    keras.callbacks.History
    """
    import keras

    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    cap = _cap_of(model)
    w = 1.0 / cap if distance_weight is None else check_positive(distance_weight, "distance_weight")

    def arrays(x, y, xname, yname):
        x, _ = _map(x, xname)
        y, _ = _labels(y, yname)
        if x.shape != y.shape:
            raise ValueError(f"`{yname}` (shape {y.shape}) must have the same shape as "
                             f"`{xname}` (shape {x.shape})")
        targets = {"prob": (y > 0).astype(np.float32)[..., None],
                   "dist": distance_targets(y, cap=cap)[..., None]}
        return x[..., None], targets

    x, y = arrays(images, labels, "images", "labels")
    val_data = None if val is None else arrays(val[0], val[1], "val[0]", "val[1]")
    keras.utils.set_random_seed(seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss={"prob": "binary_crossentropy", "dist": "mean_absolute_error"},
                  loss_weights={"prob": 1.0, "dist": w})
    return model.fit(x, y, validation_data=val_data, epochs=epochs, batch_size=batch_size,
                     shuffle=True, verbose=verbose)


def predict_distance(model, images, *, batch_size=8):
    """Both maps of a `distance_unet` for normalised images.

    Returns
    -------
    prob, dist : (N, H, W) float32 ndarrays (``(H, W)`` for a 2-D image)
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

    1. Inside mask: ``prob > threshold``.
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
    threshold = float(threshold)
    min_distance = check_int(min_distance, "min_distance", minimum=0)
    h = check_positive(h, "h")
    sigma = float(sigma)
    if not sigma >= 0:
        raise ValueError(f"`sigma` must be >= 0, got {sigma!r}")
    min_area = check_int(min_area, "min_area", minimum=0)
    out = np.zeros(p.shape, np.int32)
    for i in range(p.shape[0]):
        mask = p[i] > threshold
        if not mask.any():
            continue
        di = np.where(mask, d[i], 0).astype(np.float64)
        if sigma > 0:
            di = np.where(mask, ndi.gaussian_filter(di, sigma), 0)
        peaks = h_maxima(di, h).astype(bool) & mask
        if min_distance >= 2:
            peaks = ndi.binary_dilation(peaks, disk(min_distance // 2)) & mask
        markers = ndi.label(peaks, structure=np.ones((3, 3)))[0]
        lab = watershed(-di, markers, mask=mask)
        out[i] = _relabel_small(lab, min_area)
    return out[0] if flat else out


def connected_components(prob, *, threshold=0.5, min_area=0):
    """The baseline: each 8-connected blob of ``prob > threshold`` is one object.

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
    threshold = float(threshold)
    min_area = check_int(min_area, "min_area", minimum=0)
    out = np.zeros(p.shape, np.int32)
    for i in range(p.shape[0]):
        lab = ndi.label(p[i] > threshold, structure=np.ones((3, 3)))[0]
        out[i] = _relabel_small(lab, min_area)
    return out[0] if flat else out

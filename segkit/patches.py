"""Learning from a single image: a CNN that classifies each pixel from multi-scale patches.

Introduced in notebook 09, after Bellybutton (Dillavou et al., Scientific Reports 2024): around
every pixel, windows of ``size x size`` are taken from the image seen at several scales (1, 3,
9, 27 by default): scale ``s`` is the image block-averaged by ``s``, so its window covers
``size * s`` pixels of the original. The stack of windows is one training example; its
targets are the pixel's inside/outside class and its capped distance to the nearest edge
(`segkit.instances.distance_targets`), so the result can be split into touching objects with
`segkit.instances.split_touching`.

A few thousand labelled pixels of one image are enough to train it: pixels are sampled with
balanced classes (optionally only inside an area-of-interest mask), and every patch is seen
under one of the 8 symmetries of the square (rotations by 90 degrees and flips), drawn at
random per example and per step by the model's first layer. `training_set` makes the patches
and targets, and `segkit.train.train` fits the model, as for every model of the course.
`patch_classifier` builds a small network (the default) or Bellybutton's own
(``architecture="bellybutton"``).

Efficient extraction: each scale is computed once for the whole image (`_scale_pyramid`),
padded by half a window, and `numpy.lib.stride_tricks.sliding_window_view` gives every window
as a view; a batch of pixels is one fancy-indexing call per scale, with no Python loop over
pixels.
"""

import numpy as np

from ._validate import (as_array, as_binary, as_rng, as_stack, check_choice, check_int,
                        check_numeric, check_real, describe)

__all__ = ["patch_classifier", "training_set", "predict_patch_classifier"]

_DEFAULT_SCALES = (1, 3, 9, 27)  # Bellybutton's example (its Fig. 1B: "1, 3, 9, and 27x")
_ARCHITECTURES = ("small", "bellybutton")


# ----------------------------------------------------------------------------- extraction
def _image(x, name="image"):
    arr = check_numeric(as_array(x, name), name)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ValueError(f"`{name}` must be one 2-D image (H, W) or (H, W, 1), got "
                         f"{describe(arr)}")
    return as_stack(arr, name)[0][0].astype(np.float32)


def _scales(scales):
    out = tuple(check_int(s, "scales", minimum=1) for s in scales)
    if not out:
        raise ValueError("`scales` must hold at least one scale")
    return out


def _block_mean(img, s):
    """Block-average by `s` (the far edges reflected up to a multiple of `s`)."""
    if s == 1:
        return img
    h, w = img.shape
    ph, pw = (-h) % s, (-w) % s
    if ph or pw:
        img = np.pad(img, ((0, ph), (0, pw)), mode="symmetric")
    return img.reshape(img.shape[0] // s, s, img.shape[1] // s, s).mean(axis=(1, 3))


def _scale_pyramid(image, *, scales=_DEFAULT_SCALES, size=25):
    """The image at every scale, padded so that every pixel has a full window.

    Parameters
    ----------
    image : (H, W) ndarray
        Normalised grey image.
    scales : sequence of int
        Block-averaging factors.
    size : int
        Odd window side.

    Returns
    -------
    list of (h_s + size - 1, w_s + size - 1) float32 ndarrays
        One per scale, ``h_s = ceil(H / s)``; padded by reflection.

    Examples
    --------
    >>> [p.shape for p in _scale_pyramid(np.zeros((30, 30)), scales=(1, 3), size=5)]
    [(34, 34), (14, 14)]
    """
    img = _image(image)
    size = check_int(size, "size", minimum=1)
    if size % 2 == 0:
        raise ValueError(f"`size` must be odd (a window centred on its pixel), got {size}")
    half = size // 2
    return [np.pad(_block_mean(img, s), half, mode="symmetric").astype(np.float32)
            for s in _scales(scales)]


def _extract_patches(pyramid, rows, cols, *, scales=_DEFAULT_SCALES, size=25):
    """Windows around pixels ``(rows[i], cols[i])``, one channel per scale.

    Parameters
    ----------
    pyramid : list of ndarrays
        From `_scale_pyramid` with the same `scales` and `size`.
    rows, cols : (K,) int array_like
        Pixel coordinates in the original image.

    Returns
    -------
    (K, size, size, len(scales)) float32 ndarray
        Channel ``j`` is the window of scale ``scales[j]`` centred on the block that holds the
        pixel.

    Examples
    --------
    >>> img = np.arange(49, dtype=float).reshape(7, 7)
    >>> p = _extract_patches(_scale_pyramid(img, scales=(1,), size=3), [3], [3], scales=(1,),
    ...                     size=3)
    >>> p[0, :, :, 0].tolist()
    [[16.0, 17.0, 18.0], [23.0, 24.0, 25.0], [30.0, 31.0, 32.0]]
    """
    from numpy.lib.stride_tricks import sliding_window_view

    scales = _scales(scales)
    if len(pyramid) != len(scales):
        raise ValueError(f"`pyramid` holds {len(pyramid)} scales but `scales` names "
                         f"{len(scales)}")
    r = np.asarray(rows, np.int64).ravel()
    c = np.asarray(cols, np.int64).ravel()
    out = np.empty((r.size, size, size, len(scales)), np.float32)
    for j, (level, s) in enumerate(zip(pyramid, scales)):
        windows = sliding_window_view(level, (size, size))  # a view, no copy
        out[..., j] = windows[r // s, c // s]
    return out


# ----------------------------------------------------------------------------- sampling
def _sample_pixels(labels, *, fraction, aoi=None, balanced=True, rng=None):
    """Pick training pixels from one labelled image.

    Parameters
    ----------
    labels : (H, W) int or bool ndarray
        Instance labels or a mask; inside is ``labels > 0``.
    fraction : float
        Fraction, in (0, 1], of the pixels of the area of interest to take.
    aoi : (H, W) bool ndarray, optional
        Area of interest: only these pixels are labelled (and sampled).
    balanced : bool
        Take as many inside as outside pixels (half each, as far as each class allows).
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    rows, cols : (K,) int64 ndarrays

    Examples
    --------
    >>> lab = np.zeros((10, 10), int); lab[:2] = 1  # 20 inside, 80 outside
    >>> r, c = _sample_pixels(lab, fraction=0.2, rng=0)
    >>> r.size, int((lab[r, c] > 0).sum())
    (20, 10)
    """
    lab = check_numeric(as_array(labels, "labels"), "labels")
    if lab.ndim != 2:
        raise ValueError(f"`labels` must be one 2-D image (H, W), got {describe(lab)}")
    if lab.dtype.kind in "fc":
        raise TypeError(f"`labels` must be an integer label image or a bool mask, got "
                        f"{describe(lab)}")
    fraction = check_real(fraction, "fraction", low=0.0, high=1.0, low_open=True)
    region = np.ones(lab.shape, bool) if aoi is None else as_binary(aoi, "aoi")
    if region.shape != lab.shape:
        raise ValueError(f"`aoi` (shape {region.shape}) must have the same shape as `labels` "
                         f"(shape {lab.shape})")
    rng = as_rng(rng)
    n = max(1, int(round(fraction * region.sum())))
    inside = np.flatnonzero(region & (lab > 0))
    outside = np.flatnonzero(region & (lab == 0))
    if balanced:
        n_in = min(inside.size, n // 2)
        n_out = min(outside.size, n - n_in)
        n_in = min(inside.size, n - n_out)
        idx = np.concatenate([rng.choice(inside, n_in, replace=False),
                              rng.choice(outside, n_out, replace=False)])
    else:
        idx = rng.choice(np.flatnonzero(region), n, replace=False)
    idx = rng.permutation(idx)
    return np.unravel_index(idx, lab.shape)[0].astype(np.int64), \
        np.unravel_index(idx, lab.shape)[1].astype(np.int64)


# ----------------------------------------------------------------------------- model
def _random_dihedral_layer():
    """A layer that shows each training patch under a random symmetry of the square.

    Active only in training (``model.fit``), the identity at prediction. Built once per
    process (the class is registered for ``.keras`` saving).
    """
    import keras
    from keras import ops

    if "RandomDihedral" in _LAYERS:
        return _LAYERS["RandomDihedral"]

    @keras.saving.register_keras_serializable(package="segkit")
    class RandomDihedral(keras.layers.Layer):
        """One of the 8 symmetries of the square per example, drawn anew at every step."""

        def __init__(self, seed=None, **kwargs):
            super().__init__(**kwargs)
            self.seed = seed
            self._generator = keras.random.SeedGenerator(seed)

        def call(self, x, training=None):
            if not training:
                return x
            variants = []
            for k in range(8):  # the same order as segkit.augment.dihedral
                y = ops.flip(x, axis=1) if k >= 4 else x
                for _ in range(k % 4):  # rot90: transpose the image axes, flip the first
                    y = ops.flip(ops.transpose(y, (0, 2, 1, 3)), axis=1)
                variants.append(y)
            k = keras.random.randint((ops.shape(x)[0],), 0, 8, seed=self._generator)
            pick = ops.reshape(ops.one_hot(k, 8, dtype=x.dtype), (-1, 8, 1, 1, 1))
            return ops.sum(ops.stack(variants, axis=1) * pick, axis=1)

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            return {**super().get_config(), "seed": self.seed}

    _LAYERS["RandomDihedral"] = RandomDihedral
    return RandomDihedral


_LAYERS = {}


def patch_classifier(*, architecture="small", n_scales=len(_DEFAULT_SCALES), size=25,
                     filters=None, cap=10, dropout=None, augment=True, seed=None,
                     name="patch_classifier"):
    """A CNN from a multi-scale patch to the centre pixel's class and distance to the edge.

    Two outputs, as in Bellybutton (Dillavou et al. 2024, Method): ``"prob"``, the probability
    that the centre pixel is inside an object (sigmoid; train it with binary cross-entropy),
    and ``"dist"``, its distance to the nearest edge in pixels, in ``[0, cap]`` (train it with
    the mean absolute error). With `augment`, a first layer shows every training patch under a
    random symmetry of the square (drawn anew at every step; the identity at prediction).

    ``architecture="small"`` (the default): two blocks of two 3x3 convolutions (ReLU, "same"
    padding) and 2x2 max pooling, global average pooling, one dense layer of ``4 * filters``
    units, optional dropout, then the heads (``"dist"`` a sigmoid scaled by `cap`).

    ``architecture="bellybutton"``: Bellybutton's network as its text and its published code
    describe it ("15 layers": 6 convolutions, 3 poolings, 4 dense layers and 2 outputs):

    1. two 3x3 convolutions without padding (``2 * filters`` then `filters` channels) and 2x2
       max pooling;
    2. twice more: a 3x3 convolution, dropout, a 3x3 convolution (`filters` channels, "same"
       padding), the block's input added back (a ResNet-style skip), 2x2 max pooling;
    3. flatten, four dense layers of ``2 * filters`` units (ReLU), each followed by dropout;
    4. ``"dist"``: one unit with a ReLU, clipped at `cap`; ``"prob"``: one sigmoid unit on the
       last dense features plus the distance output (broadcast add), as in the code.

    With ``filters=32`` (its default), ``size=25`` and ``dropout=0.1`` (its default) this is
    the code's model 1 (``bellybuttonseg/generate_network.py``), whose last feature map is 2 x
    2 x 32 (the paper's Fig. 1A caption says 2 x 2 x 96). Two details differ, with the same
    function: the code's class output is a two-unit softmax trained with categorical
    cross-entropy, the same classifier as one sigmoid unit with binary cross-entropy (so
    this model has 65 parameters fewer: 78,690 against 78,755 for 4 scales); and the code's
    distance ReLU is not clipped (the targets never exceed `cap`).

    Parameters
    ----------
    architecture : {"small", "bellybutton"}
    n_scales : int
        Channels of a patch: one per scale of the pyramid.
    size : int
        Side of a patch (odd; at least 13 for ``"bellybutton"``, whose unpadded convolutions
        and three poolings need it).
    filters : int, optional
        Width: the first block's filters for ``"small"`` (default 16, doubled in the second
        block); the convolutions' filters for ``"bellybutton"`` (default 32; its first
        convolution and its dense layers have twice as many).
    cap : float
        Distance cap, in pixels: the ``"dist"`` head predicts values in ``[0, cap]``.
    dropout : float in [0, 1), optional
        Dropout rate: default 0 (none) for ``"small"``, where it acts before the heads; 0.1
        for ``"bellybutton"``, where it acts at the code's five places.
    augment : bool
        Random symmetries of the square in training.
    seed : int, optional
        Seed of those symmetries.
    name : str

    Returns
    -------
    keras.Model
        Uncompiled; input ``(None, size, size, n_scales)``, outputs a dict
        ``{"prob": (None, 1), "dist": (None, 1)}``. Train it with `segkit.train.train` on
        `training_set`, with ``loss={"prob": "bce", "dist": "mae"}``.

    Examples
    --------
    >>> model = patch_classifier(filters=4)
    >>> model.input_shape, sorted(model.output_names)
    ((None, 25, 25, 4), ['dist', 'prob'])
    >>> bb = patch_classifier(architecture="bellybutton")
    >>> bb.count_params(), bb.get_layer("pool3").output.shape
    (78690, (None, 2, 2, 32))
    """
    import keras
    from keras import layers

    architecture = check_choice(architecture, "architecture", _ARCHITECTURES)
    n_scales = check_int(n_scales, "n_scales", minimum=1)
    bellybutton = architecture == "bellybutton"
    size = check_int(size, "size", minimum=13 if bellybutton else 5)
    filters = check_int(32 if bellybutton and filters is None else
                        16 if filters is None else filters, "filters", minimum=1)
    cap = check_real(cap, "cap", low=0.0, low_open=True)
    dropout = check_real((0.1 if bellybutton else 0.0) if dropout is None else dropout,
                         "dropout", low=0.0, high=1.0, high_open=True)
    inputs = keras.Input((size, size, n_scales), name="patches")
    x = _random_dihedral_layer()(seed=seed, name="random_dihedral")(inputs) if augment \
        else inputs
    if bellybutton:
        prob, dist = _bellybutton_body(x, filters=filters, cap=cap, dropout=dropout)
        return keras.Model(inputs, {"prob": prob, "dist": dist}, name=name)
    for level in range(2):
        for i in range(2):
            x = layers.Conv2D(filters * 2 ** level, 3, padding="same", activation="relu",
                              name=f"block{level}_conv{i + 1}")(x)
        x = layers.MaxPooling2D(2, name=f"block{level}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(filters * 4, activation="relu", name="dense")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    # heads in float32 under any precision policy (segkit._precision)
    prob = layers.Dense(1, activation="sigmoid", dtype="float32", name="prob")(x)
    dist = layers.Dense(1, activation="sigmoid", dtype="float32", name="dist_unit")(x)
    dist = layers.Rescaling(cap, dtype="float32", name="dist")(dist)
    return keras.Model(inputs, {"prob": prob, "dist": dist}, name=name)


def _bellybutton_body(x, *, filters, cap, dropout):
    """Bellybutton's network after the input (`patch_classifier`): its two output tensors.

    Follows ``bellybuttonseg/generate_network.py`` (commit 5c46b4a, lines 30-59), layer by
    layer; the layer names say which block each belongs to.
    """
    from keras import layers

    def drop(y, name):
        return layers.Dropout(dropout, name=name)(y) if dropout else y

    x = layers.Conv2D(2 * filters, 3, activation="relu", name="block1_conv1")(x)
    x = layers.Conv2D(filters, 3, activation="relu", name="block1_conv2")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    for block in (2, 3):
        skip = x
        x = layers.Conv2D(filters, 3, activation="relu", padding="same",
                          name=f"block{block}_conv1")(x)
        x = drop(x, f"block{block}_dropout")
        x = layers.Conv2D(filters, 3, activation="relu", padding="same",
                          name=f"block{block}_conv2")(x)
        x = layers.Add(name=f"block{block}_skip")([x, skip])
        x = layers.MaxPooling2D(2, name=f"pool{block}")(x)
    x = layers.Flatten(name="flatten")(x)
    for i in range(1, 5):
        x = layers.Dense(2 * filters, activation="relu", name=f"dense{i}")(x)
        x = drop(x, f"dense{i}_dropout")
    dist = layers.Dense(1, name="dist_unit")(x)
    dist = layers.ReLU(max_value=cap, name="dist")(dist)
    joined = layers.Add(name="features_plus_dist")([x, dist])
    prob = layers.Dense(1, activation="sigmoid", name="prob")(joined)
    return prob, dist


def _cap(model):
    """The distance cap of a `patch_classifier` (its ``"dist"`` layer holds it)."""
    try:
        layer = model.get_layer("dist")
    except ValueError:
        raise ValueError("`model` has no layer named 'dist'; build it with "
                         "segkit.patches.patch_classifier") from None
    cap = getattr(layer, "scale", None)
    if cap is None:
        cap = getattr(layer, "max_value", None)
    if cap is None:
        raise ValueError(f"`model`'s 'dist' layer ({type(layer).__name__}) does not say the "
                         "distance cap; build the model with segkit.patches.patch_classifier")
    return float(cap)


def _geometry(model):
    _, size, _, n_scales = model.input_shape
    return int(size), int(n_scales)


def training_set(model, image, labels, *, fraction, scales=_DEFAULT_SCALES, aoi=None,
                 balanced=True, rng=None):
    """Patches and targets of sampled pixels of one labelled image, for `segkit.train.train`.

    Parameters
    ----------
    model : keras.Model
        From `patch_classifier` (its patch size, number of scales and distance cap are used).
    image : (H, W) ndarray
        Normalised grey image.
    labels : (H, W) int ndarray
        Instance labels (the distance targets need the instances).
    fraction : float
        Fraction of the (area-of-interest) pixels used for training.
    scales : sequence of int
        One per input channel of `model`.
    aoi : (H, W) bool ndarray, optional
        Only these pixels are sampled (e.g. the labelled part of the image).
    balanced : bool
        As many inside as outside pixels.
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    x : (K, size, size, n_scales) float32 ndarray
    y : dict
        ``{"prob": (K, 1), "dist": (K, 1)}`` float32: inside (1) or not, and the capped
        distance to the nearest edge. Train with ``loss={"prob": "bce", "dist": "mae"}``.

    Examples
    --------
    >>> lab = np.zeros((40, 40), int); lab[10:30, 10:30] = 1
    >>> model = patch_classifier(n_scales=2, size=9, filters=2)
    >>> x, y = training_set(model, lab.astype(float), lab, fraction=0.05, scales=(1, 3), rng=0)
    >>> x.shape, y["prob"].shape, float(y["prob"].mean())
    ((80, 9, 9, 2), (80, 1), 0.5)
    """
    from .instances import distance_targets

    img = _image(image)
    scales = _scales(scales)
    size, n_scales = _geometry(model)
    if n_scales != len(scales):
        raise ValueError(f"`model` takes {n_scales} scales but `scales` names {len(scales)}")
    lab = check_numeric(as_array(labels, "labels"), "labels")
    if lab.shape != img.shape:
        raise ValueError(f"`labels` (shape {lab.shape}) must have the same shape as `image` "
                         f"(shape {img.shape})")
    cap = _cap(model)
    dist_map = distance_targets(lab, cap=cap)
    rows, cols = _sample_pixels(lab, fraction=fraction, aoi=aoi, balanced=balanced, rng=rng)
    x = _extract_patches(_scale_pyramid(img, scales=scales, size=size), rows, cols,
                        scales=scales, size=size)
    y = {"prob": (lab[rows, cols] > 0).astype(np.float32)[:, None],
         "dist": dist_map[rows, cols].astype(np.float32)[:, None]}
    return x, y


def predict_patch_classifier(model, image, *, scales=_DEFAULT_SCALES, aoi=None,
                             batch_size=1024, rows_per_chunk=None):
    """Inside probability and distance for every pixel of an image (or of an area of it).

    The pyramid is built once for the whole image, so a pixel near the edge of `aoi` sees
    the same patch as in a prediction of the whole image; pixels are processed a band of
    rows at a time (memory stays at a few tens of MB for any image size).

    Parameters
    ----------
    model : keras.Model
        From `patch_classifier`, trained.
    image : (H, W) ndarray
        Normalised grey image, normalised as the training image was.
    scales : sequence of int
        The scales the model was trained with, one per input channel.
    aoi : (H, W) bool ndarray, optional
        Predict only these pixels (e.g. the held-out part of the image); the others get
        probability and distance 0. Prediction costs one forward pass per pixel, so this
        saves time in proportion.
    batch_size : int
    rows_per_chunk : int, optional
        Rows per band (default: about 4096 pixels per band).

    Returns
    -------
    prob, dist : (H, W) float32 ndarrays

    Examples
    --------
    >>> model = patch_classifier(n_scales=2, size=9, filters=2, cap=5)
    >>> aoi = np.zeros((12, 16), bool); aoi[:, 8:] = True
    >>> prob, dist = predict_patch_classifier(model, np.zeros((12, 16)), scales=(1, 3),
    ...                                       aoi=aoi)
    >>> prob.shape, float(prob[:, :8].max()), bool((dist <= 5).all())
    ((12, 16), 0.0, True)
    """
    img = _image(image)
    scales = _scales(scales)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    size, n_scales = _geometry(model)
    if n_scales != len(scales):
        raise ValueError(f"`model` takes {n_scales} scales but `scales` names {len(scales)}")
    h, w = img.shape
    region = np.ones((h, w), bool) if aoi is None else as_binary(aoi, "aoi")
    if region.shape != img.shape:
        raise ValueError(f"`aoi` (shape {region.shape}) must have the same shape as `image` "
                         f"(shape {img.shape})")
    if rows_per_chunk is None:
        rows_per_chunk = max(1, 4096 // w)
    rows_per_chunk = check_int(rows_per_chunk, "rows_per_chunk", minimum=1)
    pyramid = _scale_pyramid(img, scales=scales, size=size)
    prob = np.zeros((h, w), np.float32)
    dist = np.zeros((h, w), np.float32)
    for r0 in range(0, h, rows_per_chunk):
        r, c = np.nonzero(region[r0:r0 + rows_per_chunk])
        if not r.size:
            continue
        r = r + r0
        out = model.predict(_extract_patches(pyramid, r, c, scales=scales, size=size),
                            batch_size=batch_size, verbose=0)
        prob[r, c] = np.asarray(out["prob"])[:, 0]
        dist[r, c] = np.asarray(out["dist"])[:, 0]
    return prob, dist

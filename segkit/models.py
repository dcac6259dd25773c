"""Segmentation networks: U-Net and SegNet, built from ``keras.layers`` and ``keras.ops``.

Introduced in notebooks 05 (U-Net) and 06 (SegNet). Every custom layer is registered with
``keras.saving.register_keras_serializable(package="segkit")``, so a model saved with
``model.save("unet.keras")`` loads back with ``keras.models.load_model("unet.keras")`` and no
``custom_objects``, once this module has been imported (the registration happens at import). In
a fresh kernel, ``segkit.models.load_model(path)`` does both.

Both networks halve the image ``depth`` times, so their input sides must be multiples of
``2 ** depth``; `check_input_size` says which sizes are valid and is also what
`segkit.predict.predict_tiled` uses to check its tile size.

Monte-Carlo dropout
-------------------
The dropout layers are real ``keras.layers.Dropout`` layers. Calling a model with
``model(x, training=True)`` switches them on, but it also switches batch normalisation to
training mode, which normalises with the statistics of that batch *and updates the moving
averages* learnt during training: repeated MC samples would slowly damage the model. Build
the model with ``mc_dropout=True`` instead: its dropout layers (`MCDropout`, a subclass of
``keras.layers.Dropout``) stay active at inference, so ``model.predict(x)`` called several
times gives Monte-Carlo samples while batch normalisation stays in inference mode.
"""

import math

import keras
from keras import layers, ops

from ._validate import check_int, check_real

__all__ = [
    "unet", "segnet", "distance_unet", "size_divisor", "MaxPoolingWithArgmax2D",
    "MaxUnpooling2D", "MCDropout", "load_model",
]


# ----------------------------------------------------------------------------- input sizes
def _nearest_valid_size(size, divisor):
    """The multiple of `divisor` nearest to `size` (the larger one on a tie, never 0).

    Examples
    --------
    >>> _nearest_valid_size(300, 16), _nearest_valid_size(8, 16), _nearest_valid_size(24, 16)
    (304, 16, 32)
    """
    size = check_int(size, "size", minimum=1)
    divisor = check_int(divisor, "divisor", minimum=1)
    lower = (size // divisor) * divisor
    upper = lower + divisor
    if lower == size:
        return size
    if lower == 0 or upper - size <= size - lower:
        return upper
    return lower


def check_input_size(shape, divisor, *, name="input_shape"):
    """Require every known spatial side of `shape` to be a multiple of `divisor`.

    Parameters
    ----------
    shape : tuple
        ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``; ``None`` sides (any size) pass.
    divisor : int
        ``2 ** depth`` for a network that pools `depth` times (see `size_divisor`).
    name : str
        The argument's name in the error message.

    Raises
    ------
    ValueError
        A side that is not a multiple, with the nearest valid size.

    Examples
    --------
    >>> check_input_size((256, 256, 1), 16)
    >>> check_input_size((300, 256, 1), 16)
    Traceback (most recent call last):
    ...
    ValueError: `input_shape` (300, 256, 1): height 300 is not a multiple of 16 (2**4 for a network that pools 4 times); the nearest valid size is 304
    """
    shape = tuple(shape)
    divisor = check_int(divisor, "divisor", minimum=1)
    if len(shape) == 2:
        sides = shape
    elif len(shape) == 3:
        sides = shape[:2]
    elif len(shape) == 4:
        sides = shape[1:3]
    else:
        raise ValueError(f"`{name}` must be (H, W), (H, W, C) or (N, H, W, C), got {shape}")
    pools = int(round(math.log2(divisor))) if divisor > 0 else 0
    how = (f" (2**{pools} for a network that pools {pools} times)"
           if 2 ** pools == divisor else "")
    for label, side in zip(("height", "width"), sides):
        if side is None:
            continue
        side = check_int(side, f"{name}[{label}]", minimum=1)
        if side % divisor:
            raise ValueError(
                f"`{name}` {shape}: {label} {side} is not a multiple of {divisor}{how}; "
                f"the nearest valid size is {_nearest_valid_size(side, divisor)}"
            )


def size_divisor(model):
    """What the input sides of `model` must be multiples of: the product of its pool sizes.

    Counts ``MaxPooling2D``/``AveragePooling2D`` and `MaxPoolingWithArgmax2D` layers (nested
    models included). A model without pooling gives 1.

    Parameters
    ----------
    model : keras.Model

    Returns
    -------
    int

    Examples
    --------
    >>> size_divisor(unet(depth=3, base_filters=2)), size_divisor(segnet(depth=2, base_filters=2))
    (8, 4)
    """
    divisor = 1
    for layer in _all_layers(model):
        if isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
            divisor *= int(layer.strides[0])
        elif isinstance(layer, MaxPoolingWithArgmax2D):
            divisor *= int(layer.pool_size)
    return divisor


def _all_layers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


def _check_common(input_shape, depth, base_filters, dropout, n_classes):
    depth = check_int(depth, "depth", minimum=1)
    base_filters = check_int(base_filters, "base_filters", minimum=1)
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1), got {dropout!r}")
    input_shape = tuple(input_shape)
    if len(input_shape) == 2:
        input_shape = (*input_shape, 1)
    if len(input_shape) != 3 or input_shape[2] is None:
        raise ValueError(
            f"`input_shape` must be (H, W, C) with a known channel count, got {input_shape}"
        )
    check_input_size(input_shape, 2 ** depth, name="input_shape")
    return input_shape, depth, base_filters, float(dropout), n_classes


# ----------------------------------------------------------------------------- layers
@keras.saving.register_keras_serializable(package="segkit")
class MCDropout(layers.Dropout):
    """``keras.layers.Dropout`` that can stay active at inference (Monte-Carlo dropout).

    With ``always_on=True`` the layer drops units in ``predict`` and ``model(x)`` too, while
    the rest of the network (batch normalisation above all) stays in inference mode.
    With ``always_on=False`` it is exactly ``keras.layers.Dropout``.

    Parameters
    ----------
    rate : float in [0, 1)
        Fraction of the units dropped.
    always_on : bool
        Drop at inference too (Monte-Carlo dropout).
    **kwargs
        Passed to ``keras.layers.Dropout`` (``noise_shape``, ``seed``, ``name``).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 1000), "float32")
    >>> dropped = np.asarray(MCDropout(0.5, always_on=True)(x))  # inference, still dropping
    >>> bool((dropped == 0).any()), bool((np.asarray(MCDropout(0.5)(x)) == 1).all())
    (True, True)
    """

    def __init__(self, rate, *, always_on=False, **kwargs):
        super().__init__(rate, **kwargs)
        self.always_on = bool(always_on)

    def call(self, inputs, training=False):
        return super().call(inputs, training=True if self.always_on else training)

    def get_config(self):
        return {**super().get_config(), "always_on": self.always_on}


@keras.saving.register_keras_serializable(package="segkit")
class MaxPoolingWithArgmax2D(layers.Layer):
    """Max pooling that also returns where each maximum was (SegNet's pooling indices).

    Non-overlapping ``pool_size x pool_size`` windows (stride = pool size). Returns
    ``(pooled, indices)``: ``pooled`` is ``(N, H/p, W/p, C)`` like ``MaxPooling2D``, and
    ``indices`` (int32, same shape) is the position of the maximum inside its window,
    ``row * p + col``, the first one on ties. `MaxUnpooling2D` puts the values back there.
    Pure ``keras.ops``, so it runs on every backend and differentiates like max pooling.

    Parameters
    ----------
    pool_size : int
        Side of the pooling window (and its stride).
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 2], [4, 3]], "float32")[None, :, :, None]
    >>> pooled, where = MaxPoolingWithArgmax2D(2)(x)
    >>> float(np.asarray(pooled)[0, 0, 0, 0]), int(np.asarray(where)[0, 0, 0, 0])
    (4.0, 2)
    """

    def __init__(self, pool_size=2, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = check_int(pool_size, "pool_size", minimum=1)

    def call(self, inputs):
        p = self.pool_size
        shape = ops.shape(inputs)
        h, w, c = shape[1], shape[2], shape[3]
        x = ops.reshape(inputs, (-1, h // p, p, w // p, p, c))
        x = ops.transpose(x, (0, 1, 3, 5, 2, 4))
        x = ops.reshape(x, (-1, h // p, w // p, c, p * p))
        indices = ops.cast(ops.argmax(x, axis=-1), "int32")
        pooled = ops.max(x, axis=-1)
        return pooled, indices

    def compute_output_spec(self, inputs):
        n, h, w, c = inputs.shape
        p = self.pool_size
        out = (n, None if h is None else h // p, None if w is None else w // p, c)
        return (keras.KerasTensor(out, dtype=inputs.dtype),
                keras.KerasTensor(out, dtype="int32"))

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size}


@keras.saving.register_keras_serializable(package="segkit")
class MaxUnpooling2D(layers.Layer):
    """SegNet's max-unpooling: each value goes back to the position its maximum came from.

    Called on ``[values, indices]`` from `MaxPoolingWithArgmax2D`; every other position of
    the ``pool_size x pool_size`` window is zero. Output ``(N, H*p, W*p, C)``.

    Parameters
    ----------
    pool_size : int
        Side of the window, as for the pooling whose indices it receives.
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 2], [4, 3]], "float32")[None, :, :, None]
    >>> restored = MaxUnpooling2D(2)(MaxPoolingWithArgmax2D(2)(x))
    >>> np.asarray(restored)[0, ..., 0].tolist()
    [[0.0, 0.0], [4.0, 0.0]]
    """

    def __init__(self, pool_size=2, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = check_int(pool_size, "pool_size", minimum=1)

    def call(self, inputs):
        values, indices = inputs
        p = self.pool_size
        shape = ops.shape(values)
        h, w, c = shape[1], shape[2], shape[3]
        onehot = ops.one_hot(indices, p * p, dtype=values.dtype)
        x = onehot * ops.expand_dims(values, -1)  # (N, h, w, C, p*p)
        x = ops.reshape(x, (-1, h, w, c, p, p))
        x = ops.transpose(x, (0, 1, 4, 2, 5, 3))  # (N, h, p, w, p, C)
        return ops.reshape(x, (-1, h * p, w * p, c))

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape[0]
        p = self.pool_size
        return (n, None if h is None else h * p, None if w is None else w * p, c)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size}


# ----------------------------------------------------------------------------- blocks
# Batch normalisation predicts with moving averages of the batch statistics. Keras' default
# momentum (0.99) averages over ~100 steps and still carries 16 % of its initial values after
# 180 steps, so a network trained for a few epochs validates with wrong statistics and its
# validation score jumps from epoch to epoch. 0.9 (PyTorch's default) averages over ~10 steps.
_BN_MOMENTUM = 0.9


def _conv_block(x, filters, *, convs, batch_norm, name, kernel_size=3):
    """One level of a U-Net or SegNet: `convs` x (convolution, batch normalisation, ReLU)."""
    for i in range(convs):
        x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=not batch_norm,
                          kernel_initializer="he_normal", name=f"{name}_conv{i + 1}")(x)
        if batch_norm:
            x = layers.BatchNormalization(momentum=_BN_MOMENTUM, name=f"{name}_bn{i + 1}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{i + 1}")(x)
    return x


def _check_kernel(kernel_size):
    k = check_int(kernel_size, "kernel_size", minimum=1)
    if k % 2 == 0:
        raise ValueError(f"`kernel_size` must be odd (a kernel centred on its pixel), got {k}")
    return k


def _dropout(x, rate, mc_dropout, name, *, spatial=False):
    if rate <= 0:
        return x
    # spatial: one draw per feature map (channel), like torch's Dropout2d / SpatialDropout2D
    noise_shape = (None, 1, 1, None) if spatial else None
    return MCDropout(rate, always_on=mc_dropout, noise_shape=noise_shape, name=name)(x)


def _check_encoder_dropout(encoder_dropout):
    """``None`` or a pair of rates in [0, 1): (encoder levels, bottleneck)."""
    if encoder_dropout is None:
        return None
    try:
        shallow, deep = encoder_dropout
    except (TypeError, ValueError):
        raise ValueError(f"`encoder_dropout` must be None or a pair of rates (encoder levels, "
                         f"bottleneck), e.g. (0.03, 0.3), got {encoder_dropout!r}") from None
    return tuple(check_real(r, "encoder_dropout", low=0.0, high=1.0, high_open=True)
                 for r in (shallow, deep))


def _head(x, n_classes):
    if n_classes == 1:
        return layers.Conv2D(1, 1, activation="sigmoid", dtype="float32", name="head")(x)
    return layers.Conv2D(n_classes, 1, activation="softmax", dtype="float32", name="head")(x)


# ----------------------------------------------------------------------------- networks
def unet(input_shape=(None, None, 1), *, depth=4, base_filters=16, batch_norm=True,
         dropout=0.0, n_classes=1, mc_dropout=False, encoder_dropout=None, kernel_size=3,
         name="unet"):
    """U-Net (Ronneberger et al. 2015): a contracting path, an expanding path, skip connections.

    Each level is two 3x3 convolutions (+ batch normalisation) and ReLU; the encoder halves
    the image with 2x2 max pooling and doubles the filters, the decoder upsamples with a
    2x2 transposed convolution and concatenates the encoder features of the same level.
    ``"same"`` padding, so the output has the input's size.

    Parameters
    ----------
    input_shape : tuple
        ``(H, W, C)``; ``None`` sides accept any size that is a multiple of ``2 ** depth``
        (checked at prediction time by `segkit.predict.predict_tiled`).
    depth : int
        Number of poolings; the receptive field and the parameter count grow with it.
    base_filters : int
        Filters of the first level; level ``i`` has ``base_filters * 2 ** i``.
    batch_norm : bool
        Batch normalisation after every convolution.
    dropout : float
        Rate of the ``Dropout`` after the bottleneck and after each decoder level (0: none).
    n_classes : int
        1: one sigmoid channel (foreground probability). More: softmax over the classes.
    mc_dropout : bool
        Keep dropout active at inference for Monte-Carlo sampling (see the module docstring).
    kernel_size : int
        Side of the convolution kernels (odd). Two stacked 3x3 convolutions see a 5x5
        neighbourhood (an "effective 5x5" filter) with fewer weights than one 5x5; 5 gives
        Malec's "true 5x5" row (notebook 05's study).
    encoder_dropout : (float, float), optional
        Spatial dropout (whole feature maps dropped, ``noise_shape=(None, 1, 1, None)``) in
        the encoder: the first rate after each encoder level, the second after the
        bottleneck. BPartIS (Yildirim & Cole 2021; its code, ``bpartis/models.py``) puts
        ``Dropout2d`` 0.03 in its shallower and 0.3 in its deeper encoder blocks and none in
        the decoders: ``encoder_dropout=(0.03, 0.3), dropout=0.0``. Introduced in notebook 08.
    name : str

    Returns
    -------
    keras.Model
        Uncompiled; output ``(N, H, W, n_classes)`` probabilities in float32.

    Raises
    ------
    ValueError
        A fixed input side that is not a multiple of ``2 ** depth`` (the message gives the
        nearest valid size), or a bad depth/filters/dropout.

    Examples
    --------
    >>> model = unet((32, 32, 1), depth=2, base_filters=4)
    >>> model.output_shape
    (None, 32, 32, 1)
    >>> bpartis_like = unet((32, 32, 1), depth=2, base_filters=4, encoder_dropout=(0.03, 0.3))
    >>> [(l.name, l.rate) for l in bpartis_like.layers if isinstance(l, MCDropout)]
    [('enc0_dropout', 0.03), ('enc1_dropout', 0.03), ('bottleneck_spatial_dropout', 0.3)]
    """
    input_shape, depth, base_filters, dropout, n_classes = _check_common(
        input_shape, depth, base_filters, dropout, n_classes)
    k = _check_kernel(kernel_size)
    enc_rates = _check_encoder_dropout(encoder_dropout)
    inputs = keras.Input(input_shape, name="image")
    # contracting path: each level two convolutions, then halve the image, double the filters
    x, skips = inputs, []
    for level in range(depth):
        x = _conv_block(x, base_filters * 2 ** level, convs=2, batch_norm=batch_norm,
                        kernel_size=k, name=f"enc{level}")
        if enc_rates:
            x = _dropout(x, enc_rates[0], mc_dropout, f"enc{level}_dropout", spatial=True)
        skips.append(x)  # kept for the skip connection of this level
        x = layers.MaxPooling2D(2, name=f"pool{level}")(x)
    x = _conv_block(x, base_filters * 2 ** depth, convs=2, batch_norm=batch_norm,
                    kernel_size=k, name="bottleneck")
    if enc_rates:
        x = _dropout(x, enc_rates[1], mc_dropout, "bottleneck_spatial_dropout", spatial=True)
    x = _dropout(x, dropout, mc_dropout, "bottleneck_dropout")
    # expanding path: double the image, join the encoder's features of the same level
    for level in reversed(range(depth)):
        filters = base_filters * 2 ** level
        x = layers.Conv2DTranspose(filters, 2, strides=2, padding="same",
                                   kernel_initializer="he_normal", name=f"up{level}")(x)
        x = layers.Concatenate(name=f"skip{level}")([x, skips[level]])
        x = _conv_block(x, filters, convs=2, batch_norm=batch_norm, kernel_size=k,
                        name=f"dec{level}")
        x = _dropout(x, dropout, mc_dropout, f"dec{level}_dropout")
    return keras.Model(inputs, _head(x, n_classes), name=name)  # 1x1 convolution, sigmoid


def segnet(input_shape=(None, None, 1), *, depth=4, base_filters=16, convs_per_level=2,
           batch_norm=True, dropout=0.0, n_classes=1, mc_dropout=False, kernel_size=3,
           name="segnet"):
    """SegNet (Badrinarayanan et al. 2017): an encoder-decoder without skip connections.

    The encoder's max pooling remembers where each maximum was (`MaxPoolingWithArgmax2D`);
    the decoder upsamples with max-unpooling at those positions (`MaxUnpooling2D`), which
    gives sparse maps that the following convolutions densify. Only the pooling indices
    cross from encoder to decoder, not whole feature maps as in the U-Net: less memory,
    blurrier boundaries.

    Parameters
    ----------
    input_shape, depth, base_filters, batch_norm, dropout, n_classes, mc_dropout
        As in `unet`; the encoder is the mirror image of the decoder.
    kernel_size, name
        As in `unet`.
    convs_per_level : int
        3x3 convolutions per level (2 in the small SegNet, 2-3 in the VGG16 original).

    Returns
    -------
    keras.Model
        Uncompiled; output ``(N, H, W, n_classes)`` probabilities in float32.

    Examples
    --------
    >>> model = segnet((32, 32, 1), depth=2, base_filters=4)
    >>> model.output_shape
    (None, 32, 32, 1)
    """
    input_shape, depth, base_filters, dropout, n_classes = _check_common(
        input_shape, depth, base_filters, dropout, n_classes)
    convs = check_int(convs_per_level, "convs_per_level", minimum=1)
    k = _check_kernel(kernel_size)
    inputs = keras.Input(input_shape, name="image")
    x, indices = inputs, []
    for level in range(depth):
        x = _conv_block(x, base_filters * 2 ** level, convs=convs, batch_norm=batch_norm,
                        kernel_size=k, name=f"enc{level}")
        x, idx = MaxPoolingWithArgmax2D(2, name=f"pool{level}")(x)
        indices.append(idx)
    x = _dropout(x, dropout, mc_dropout, "bottleneck_dropout")
    for level in reversed(range(depth)):
        x = MaxUnpooling2D(2, name=f"unpool{level}")([x, indices[level]])
        filters = base_filters * 2 ** max(level - 1, 0)
        # the last convolution of a level hands the next (shallower) level its filter count
        x = _conv_block(x, base_filters * 2 ** level, convs=convs - 1, batch_norm=batch_norm,
                        kernel_size=k, name=f"dec{level}") if convs > 1 else x
        x = _conv_block(x, filters, convs=1, batch_norm=batch_norm, kernel_size=k,
                        name=f"dec{level}_out")
        x = _dropout(x, dropout, mc_dropout, f"dec{level}_dropout")
    return keras.Model(inputs, _head(x, n_classes), name=name)


def distance_unet(input_shape=(None, None, 1), *, cap=10, name="distance_unet", **unet_kwargs):
    """A U-Net with two heads: inside probability and capped distance to the nearest edge.

    The body is `segkit.models.unet` (same keyword arguments: `depth`, `base_filters`,
    `batch_norm`, `dropout`, `mc_dropout`, `encoder_dropout`); its single-channel head is replaced by two 1x1
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

    Train it with `segkit.train.train` on ``{"prob": masks, "dist":
    segkit.instances.distance_targets(labels, cap=cap)}`` and ``loss={"prob": "bce", "dist":
    "mae"}`` (weight the distance loss by ``1 / cap`` to put both on one scale); predict both
    maps with `segkit.instances.predict_distance`. Introduced in notebook 08.

    Examples
    --------
    >>> model = distance_unet((32, 32, 1), depth=2, base_filters=4)
    >>> sorted(model.output_names), model.get_layer("dist").scale
    (['dist', 'prob'], 10.0)
    """
    cap = check_real(cap, "cap", low=0.0, low_open=True)
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


def load_model(path, **kwargs):
    """``keras.models.load_model`` with every segkit layer, loss and metric registered.

    Keras finds registered classes only after the module that registers them was imported;
    in a fresh kernel that has not imported `segkit.models` and `segkit.losses`, a plain
    ``keras.models.load_model`` fails with "Could not locate class 'MCDropout'". This imports
    both first.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.keras`` file.
    **kwargs
        Passed on to ``keras.models.load_model`` (e.g. ``compile=False`` to load the weights
        and the network only).

    Returns
    -------
    keras.Model

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.keras"
    >>> unet(depth=1, base_filters=2, dropout=0.1, mc_dropout=True).save(path)
    >>> type(load_model(path).get_layer("bottleneck_dropout")).__name__
    'MCDropout'
    """
    from pathlib import Path

    from . import losses  # noqa: F401  (registers the losses and metrics)

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`path`: no such model file: {path}")
    return keras.models.load_model(path, **kwargs)

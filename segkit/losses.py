"""Segmentation losses and metrics for Keras, plus the U-Net border weight map.

Introduced in notebook 05. Losses take ``y_true`` and ``y_pred`` as ``(N, H, W, C)``
probabilities (the sigmoid or softmax output of `segkit.models`). For a one-channel (binary)
output ``y_true`` is the {0, 1} mask; for ``K > 1`` channels it is either one-hot ``(N, H, W,
K)`` or integer labels ``(N, H, W, 1)``.

Every loss and metric class is registered with
``keras.saving.register_keras_serializable(package="segkit")`` and has ``get_config``, so a
model compiled with them saves to ``.keras`` and loads back without ``custom_objects``.

Weighted cross-entropy reads its per-pixel weights from a second channel of ``y_true``:
``y_true[..., 0]`` is the mask and ``y_true[..., 1]`` the weight (`with_weight_maps` builds
that from masks). The metrics ignore that extra channel.
"""

import keras
import numpy as np
from keras import ops
from scipy import ndimage

from ._validate import as_array, check_finite, check_ndim, check_numeric, describe

__all__ = [
    "crossentropy", "dice_loss", "log_dice_loss", "focal_loss", "jaccard_loss", "weighted_bce",
    "soft_dice", "CrossEntropy", "DiceLoss", "LogDiceLoss", "FocalLoss", "JaccardLoss",
    "WeightedBCE", "BCEDiceLoss", "DiceMetric", "IoUMetric", "get_loss", "LOSSES",
    "unet_weight_map", "with_weight_maps",
]

_EPS = 1e-7


# ----------------------------------------------------------------------------- helpers
def _prepare(y_true, y_pred):
    """float32 ``y_true`` matching ``y_pred``'s channels (one-hot for integer labels)."""
    y_pred = ops.cast(y_pred, "float32")
    y_true = ops.cast(y_true, "float32")
    k = y_pred.shape[-1]
    if k is not None and k > 1 and y_true.shape[-1] == 1:
        y_true = ops.one_hot(ops.cast(y_true[..., 0], "int32"), k, dtype="float32")
    elif k == 1 and y_true.shape[-1] is not None and y_true.shape[-1] > 1:
        y_true = y_true[..., :1]  # a weight channel rides along (see WeightedBCE)
    return y_true, y_pred


def soft_dice(y_true, y_pred, *, smooth=1.0):
    """Soft Dice per sample, averaged over channels: ``(2 |A.B| + s) / (|A| + |B| + s)``.

    Returns
    -------
    (N,) tensor
        1 for a perfect prediction, ~0 for a disjoint one.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    axes = tuple(range(1, len(y_pred.shape) - 1))
    inter = ops.sum(y_true * y_pred, axis=axes)
    total = ops.sum(y_true, axis=axes) + ops.sum(y_pred, axis=axes)
    return ops.mean((2.0 * inter + smooth) / (total + smooth), axis=-1)


def crossentropy(y_true, y_pred):
    """Per-pixel cross-entropy: binary for one channel, categorical for several.

    Returns
    -------
    (N, H, W) tensor
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    p = ops.clip(y_pred, _EPS, 1.0 - _EPS)
    if y_pred.shape[-1] == 1:
        ce = -(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
        return ce[..., 0]
    return -ops.sum(y_true * ops.log(p), axis=-1)


def dice_loss(y_true, y_pred, *, smooth=1.0):
    """``1 - soft Dice`` per sample: 0 for a perfect prediction, insensitive to class balance."""
    return 1.0 - soft_dice(y_true, y_pred, smooth=smooth)


def log_dice_loss(y_true, y_pred, *, smooth=1.0):
    """``-log(soft Dice)`` per sample: steeper than `dice_loss` when the overlap is poor."""
    return -ops.log(ops.maximum(soft_dice(y_true, y_pred, smooth=smooth), _EPS))


def jaccard_loss(y_true, y_pred, *, smooth=1.0):
    """``1 - soft IoU`` per sample, ``IoU = (|A.B| + s) / (|A| + |B| - |A.B| + s)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    axes = tuple(range(1, len(y_pred.shape) - 1))
    inter = ops.sum(y_true * y_pred, axis=axes)
    union = ops.sum(y_true, axis=axes) + ops.sum(y_pred, axis=axes) - inter
    return 1.0 - ops.mean((inter + smooth) / (union + smooth), axis=-1)


def focal_loss(y_true, y_pred, *, gamma=2.0, alpha=None):
    """Focal loss (Lin et al. 2017) per pixel: ``-a_t (1 - p_t)**gamma log(p_t)``.

    Down-weights the easy pixels (``p_t`` near 1) so that training concentrates on the hard
    ones; ``gamma=0`` and ``alpha=None`` give the plain cross-entropy. `alpha` (binary
    only) weights the foreground by ``alpha`` and the background by ``1 - alpha``.

    Returns
    -------
    (N, H, W) tensor
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    p = ops.clip(y_pred, _EPS, 1.0 - _EPS)
    if y_pred.shape[-1] == 1:
        p_t = y_true * p + (1.0 - y_true) * (1.0 - p)
        a_t = 1.0 if alpha is None else y_true * alpha + (1.0 - y_true) * (1.0 - alpha)
        return (-a_t * (1.0 - p_t) ** gamma * ops.log(p_t))[..., 0]
    return -ops.sum(y_true * (1.0 - p) ** gamma * ops.log(p), axis=-1)


def weighted_bce(y_true, y_pred):
    """Binary cross-entropy weighted per pixel by ``y_true[..., 1]`` (1 without that channel).

    Build ``y_true`` with `with_weight_maps`: the U-Net border weights make the thin gaps
    between touching objects expensive to get wrong, so the network learns to separate them.

    Returns
    -------
    (N, H, W) tensor
    """
    y_true = ops.cast(y_true, "float32")
    weights = y_true[..., 1] if y_true.shape[-1] == 2 else 1.0
    return weights * crossentropy(y_true[..., :1], y_pred)


# ----------------------------------------------------------------------------- loss classes
class _SegLoss(keras.losses.Loss):
    """A per-sample loss function wrapped as a serialisable ``keras.losses.Loss``."""

    _fn = None
    _default_name = "loss"

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None, **kwargs):
        super().__init__(name=name or self._default_name, reduction=reduction, dtype=dtype)
        self._kwargs = kwargs

    def call(self, y_true, y_pred):
        return type(self)._fn(y_true, y_pred, **self._kwargs)

    def get_config(self):
        return {**super().get_config(), **self._kwargs}


@keras.saving.register_keras_serializable(package="segkit")
class CrossEntropy(_SegLoss):
    """Per-pixel cross-entropy (`crossentropy`): binary or categorical by output channels."""

    _fn = staticmethod(crossentropy)
    _default_name = "crossentropy"

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)


@keras.saving.register_keras_serializable(package="segkit")
class DiceLoss(_SegLoss):
    """``1 - soft Dice`` (`dice_loss`)."""

    _fn = staticmethod(dice_loss)
    _default_name = "dice_loss"

    def __init__(self, smooth=1.0, name=None, reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype, smooth=float(smooth))


@keras.saving.register_keras_serializable(package="segkit")
class LogDiceLoss(_SegLoss):
    """``-log(soft Dice)`` (`log_dice_loss`)."""

    _fn = staticmethod(log_dice_loss)
    _default_name = "log_dice_loss"

    def __init__(self, smooth=1.0, name=None, reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype, smooth=float(smooth))


@keras.saving.register_keras_serializable(package="segkit")
class JaccardLoss(_SegLoss):
    """``1 - soft IoU`` (`jaccard_loss`)."""

    _fn = staticmethod(jaccard_loss)
    _default_name = "jaccard_loss"

    def __init__(self, smooth=1.0, name=None, reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype, smooth=float(smooth))


@keras.saving.register_keras_serializable(package="segkit")
class FocalLoss(_SegLoss):
    """Focal loss (`focal_loss`)."""

    _fn = staticmethod(focal_loss)
    _default_name = "focal_loss"

    def __init__(self, gamma=2.0, alpha=None, name=None, reduction="sum_over_batch_size",
                 dtype=None):
        if alpha is not None and not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"`alpha` must be None or in [0, 1], got {alpha!r}")
        if float(gamma) < 0:
            raise ValueError(f"`gamma` must be >= 0, got {gamma!r}")
        super().__init__(name=name, reduction=reduction, dtype=dtype, gamma=float(gamma),
                         alpha=None if alpha is None else float(alpha))


@keras.saving.register_keras_serializable(package="segkit")
class WeightedBCE(_SegLoss):
    """Pixel-weighted binary cross-entropy (`weighted_bce`); weights in ``y_true[..., 1]``."""

    _fn = staticmethod(weighted_bce)
    _default_name = "weighted_bce"

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)


@keras.saving.register_keras_serializable(package="segkit")
class BCEDiceLoss(keras.losses.Loss):
    """Cross-entropy plus Dice loss, a common default: pixel-wise and region-wise signals."""

    def __init__(self, smooth=1.0, name="bce_dice_loss", reduction="sum_over_batch_size",
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.smooth = float(smooth)

    def call(self, y_true, y_pred):
        ce = crossentropy(y_true, y_pred)
        ce = ops.mean(ce, axis=tuple(range(1, len(ce.shape))))
        return ce + dice_loss(y_true, y_pred, smooth=self.smooth)

    def get_config(self):
        return {**super().get_config(), "smooth": self.smooth}


LOSSES = {
    "bce": CrossEntropy, "crossentropy": CrossEntropy, "dice": DiceLoss,
    "log_dice": LogDiceLoss, "focal": FocalLoss, "jaccard": JaccardLoss,
    "weighted_bce": WeightedBCE, "bce_dice": BCEDiceLoss,
}
"""Loss names accepted by `get_loss` and `segkit.train.train`."""


def get_loss(loss):
    """A loss object from a name in `LOSSES`, or `loss` itself if it is already callable.

    Examples
    --------
    >>> get_loss("dice").name
    'dice_loss'
    """
    if isinstance(loss, str):
        try:
            return LOSSES[loss]()
        except KeyError:
            raise ValueError(
                f"`loss` must be one of {sorted(LOSSES)} or a callable, got {loss!r}"
            ) from None
    if callable(loss):
        return loss
    raise TypeError(f"`loss` must be a name or a callable, got {describe(loss)}")


# ----------------------------------------------------------------------------- metrics
class _OverlapMetric(keras.metrics.Metric):
    """Dice or IoU of thresholded predictions, accumulated over every batch of an epoch.

    Sums intersections and sizes over the whole epoch (one global score, not a mean of
    per-batch scores, which would over-weight nearly empty batches). For several classes the
    prediction is the argmax and the score covers the foreground classes 1..K-1.
    """

    def __init__(self, threshold=0.5, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.threshold = float(threshold)
        self.intersection = self.add_variable(shape=(), initializer="zeros",
                                              name="intersection")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _prepare(y_true, y_pred)
        k = y_pred.shape[-1]
        if k == 1:
            pred = ops.cast(y_pred >= self.threshold, "float32")
            true = ops.cast(y_true >= 0.5, "float32")
        else:
            pred = ops.one_hot(ops.argmax(y_pred, axis=-1), k, dtype="float32")[..., 1:]
            true = y_true[..., 1:]
        self.intersection.assign_add(ops.sum(pred * true))
        self.total.assign_add(ops.sum(pred) + ops.sum(true))

    def reset_state(self):
        self.intersection.assign(0.0)
        self.total.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


@keras.saving.register_keras_serializable(package="segkit")
class DiceMetric(_OverlapMetric):
    """Dice coefficient ``2 |A.B| / (|A| + |B|)`` at `threshold` (1 when both are empty)."""

    def __init__(self, threshold=0.5, name="dice", dtype=None):
        super().__init__(threshold=threshold, name=name, dtype=dtype)

    def result(self):
        return ops.where(self.total > 0, 2.0 * self.intersection / ops.maximum(self.total, 1.0),
                         1.0)


@keras.saving.register_keras_serializable(package="segkit")
class IoUMetric(_OverlapMetric):
    """Intersection over union (Jaccard) at `threshold` (1 when both are empty)."""

    def __init__(self, threshold=0.5, name="iou", dtype=None):
        super().__init__(threshold=threshold, name=name, dtype=dtype)

    def result(self):
        union = self.total - self.intersection
        return ops.where(union > 0, self.intersection / ops.maximum(union, 1.0), 1.0)


# ----------------------------------------------------------------------------- weight map
def unet_weight_map(labels, *, w0=10.0, sigma=5.0, class_balance=True):
    """The U-Net border weight map of Ronneberger et al. (2015), equation 2.

    ``w(x) = w_c(x) + w0 * exp(-(d1(x) + d2(x))**2 / (2 sigma**2))`` on background pixels,
    where ``d1`` and ``d2`` are the distances to the nearest and the second nearest object
    (exact Euclidean distance transforms, one per object). Pixels in the narrow gap between
    two touching objects get weights near ``w_c + w0``; weighting the loss with this map
    (`weighted_bce`) forces the network to keep such gaps open.

    Parameters
    ----------
    labels : (M, N) ndarray
        A label image (0 background, 1..K objects) or a binary mask, whose connected
        components (8-connectivity) are taken as the objects.
    w0 : float
        Height of the border term.
    sigma : float
        Width of the border term in pixels.
    class_balance : bool
        ``w_c`` balances the two classes: ``0.5 / frequency`` of each class, so that both
        contribute equally to the loss; otherwise ``w_c = 1``.

    Returns
    -------
    (M, N) float32 ndarray

    Examples
    --------
    >>> mask = np.zeros((9, 12), dtype=np.uint8)
    >>> mask[2:7, 1:5] = mask[2:7, 6:10] = 1  # two squares, a gap of one pixel
    >>> w = unet_weight_map(mask, w0=10, sigma=5, class_balance=False)
    >>> round(float(w[4, 5]), 2), float(w[4, 2]), bool(w[4, 5] > w[0, 0] > 1)
    (10.23, 1.0, True)
    """
    lab = check_finite(check_numeric(as_array(labels, "labels"), "labels"), "labels")
    if lab.ndim == 3 and lab.shape[-1] == 1:
        lab = lab[..., 0]
    check_ndim(lab, "labels", 2, "one (M, N) label image or mask")
    if not np.issubdtype(lab.dtype, np.integer) and lab.dtype != bool:
        if not np.array_equal(lab, np.round(lab)):
            raise ValueError(f"`labels` must hold integer labels, got {describe(lab)}")
    if (lab < 0).any():
        raise ValueError("`labels` must be >= 0 (0 is background)")
    if float(sigma) <= 0:
        raise ValueError(f"`sigma` must be > 0, got {sigma!r}")
    lab = lab.astype(np.int64)
    if lab.max(initial=0) <= 1:
        lab, _ = ndimage.label(lab, structure=np.ones((3, 3)))
    fg = lab > 0
    if class_balance and fg.any() and not fg.all():
        f = fg.mean()
        w = np.where(fg, 0.5 / f, 0.5 / (1.0 - f))
    else:
        w = np.ones(lab.shape)
    ids = np.unique(lab[fg])
    if ids.size >= 2:
        d1 = np.full(lab.shape, np.inf)
        d2 = np.full(lab.shape, np.inf)
        for i in ids:  # keep the two smallest distances, one transform per object
            d = ndimage.distance_transform_edt(lab != i)
            d2 = np.minimum(d2, np.maximum(d1, d))
            d1 = np.minimum(d1, d)
        border = float(w0) * np.exp(-((d1 + d2) ** 2) / (2.0 * float(sigma) ** 2))
        w = w + np.where(fg, 0.0, border)
    return w.astype(np.float32)


def with_weight_maps(masks, *, w0=10.0, sigma=5.0, class_balance=True):
    """Stack masks and their `unet_weight_map` into the 2-channel target of `WeightedBCE`.

    Parameters
    ----------
    masks : (N, M, K, 1) or (N, M, K) ndarray
        Binary masks or label images, one per slice.

    Returns
    -------
    (N, M, K, 2) float32 ndarray
        Channel 0 is the binary mask, channel 1 the weight map.
    """
    m = check_numeric(as_array(masks, "masks"), "masks")
    if m.ndim == 4 and m.shape[-1] == 1:
        m = m[..., 0]
    check_ndim(m, "masks", 3, "(N, H, W) or (N, H, W, 1)")
    out = np.empty((*m.shape, 2), np.float32)
    for n in range(m.shape[0]):
        out[n, ..., 0] = m[n] > 0
        out[n, ..., 1] = unet_weight_map(m[n], w0=w0, sigma=sigma, class_balance=class_balance)
    return out

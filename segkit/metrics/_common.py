"""Input handling shared by the score modules (private)."""

import numbers

import numpy as np

from .._conventions import foreground
from .._validate import (as_binary, as_label_stack, as_stack, check_finite, check_real,
                         check_same_shape, describe)

AP_THRESHOLDS = np.round(np.arange(0.5, 0.96, 0.05), 2)  # 0.50, 0.55, ..., 0.95 (COCO)


def _layout(arr, name):
    """(H, W), (N, H, W) or (N, H, W, 1) in; the channel axis dropped, a 2-D input kept 2-D."""
    s, single = as_stack(arr, name, finite=False)
    return s[0] if single else s


def _threshold(threshold):
    return check_real(threshold, "threshold", low=0.0, high=1.0)


def _iou_threshold(value):
    return check_real(value, "iou_threshold", low=0.0, high=1.0, low_open=True)


def _as_pred(y_pred, name, like_shape, like_name, *, threshold=None, soft=False):
    """A prediction: a binary mask, or probabilities in [0, 1] (thresholded unless `soft`)."""
    p = _layout(y_pred, name)
    if like_shape is not None and p.shape != like_shape:
        raise ValueError(f"`{name}` (shape {p.shape}) must have the same shape as "
                         f"`{like_name}` (shape {like_shape})")
    if p.dtype.kind == "f":
        check_finite(p, name)
        lo, hi = float(p.min()), float(p.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(
                f"`{name}` must hold probabilities in [0, 1] (or be a binary mask), got values "
                f"from {lo:g} to {hi:g} in {describe(p)}; apply a sigmoid to logits, or pass "
                "an integer {0, 255} mask"
            )
        if soft:
            return p
        return foreground(p, _threshold(threshold))
    p = _binary(p, name)
    return p.astype(np.float64) if soft else p


def _binary(arr, name):
    """`as_binary`, with a fast path for integer masks: a min/max pass instead of the sort in
    `np.unique` (a 165-slice stack is 130 million pixels); other values still get
    `as_binary`'s message."""
    if arr.dtype.kind in "ui" and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo >= 0 and hi <= 1:
            return arr.view(bool) if arr.dtype.itemsize == 1 else arr > 0
        if lo >= 0 and hi == 255 and not np.any((arr != 0) & (arr != 255)):
            return arr > 0
    return as_binary(arr, name)


def _as_truth(y_true, name="y_true"):
    return _binary(_layout(y_true, name), name)


def _pixel_pair(y_true, y_pred, *, threshold=0.5, soft=False):
    t = _as_truth(y_true)
    p = _as_pred(y_pred, "y_pred", t.shape, "y_true", threshold=threshold, soft=soft)
    return t, p


def _score_map(y_true, y_score):
    """Binary truth and a finite score map of the same shape."""
    t = _as_truth(y_true)
    s = _layout(y_score, "y_score")
    check_same_shape(t, "y_true", s, "y_score")
    check_finite(s, "y_score")
    return t, s


def _zero_division(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`zero_division` must be a number (or numpy.nan), got {value!r}")
    return float(value)


def _ratio(num, den, zero):
    """num / den, exact for integers, `zero` where den == 0 (elementwise for arrays).

    Integer counts are divided as Python ints (rounded once: the exact ratio); fractional
    counts (a confusion matrix in fractions of all pixels) as floats.
    """
    if np.ndim(num) == 0 and np.ndim(den) == 0:
        if isinstance(num, numbers.Integral) and isinstance(den, numbers.Integral):
            num, den = int(num), int(den)
        else:
            num, den = float(num), float(den)
        return zero if den == 0 else num / den
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, zero, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _as_labels(x, name):
    """A label image or stack as (N, H, W) int64, 0 background."""
    return as_label_stack(x, name)[0]

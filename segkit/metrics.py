"""Scores for segmentations: pixel-level agreement and object-level (instance) matching.

Introduced in notebook 07. Two families:

- **Pixel-level** scores compare a binary ground-truth mask with a prediction (a binary mask or
  a probability map, thresholded at ``threshold``): `confusion`, `accuracy`, `jaccard`, `dice`,
  `soft_dice`, `precision`, `recall`, `fpr`, `fnr`, `cohen_kappa`, `balanced_auroc`, and the
  rank-based `roc_auc` / `roc_curve` for scores. A stack or batch is pooled: every pixel of
  every slice counts once (``confusion(..., per_image=True)`` gives one value per slice).
- **Object-level** scores compare two label images (0 background, 1..N objects): `seg_score`
  (Cell Tracking Challenge SEG), `match_objects`, `average_precision`, `mean_iou`,
  `object_report`. All of them are computed from one sparse table of overlaps, so a
  1024 x 1024 image with 1,000 objects scores in milliseconds. In a stack, the objects of
  each slice are distinct objects.

Conventions where a ratio would be 0/0 (documented, tested, never a silent NaN):

- both masks empty: Dice, Jaccard, precision, recall = 1.0 and FPR, FNR = 0.0: a metric
  whose population is empty has nothing it could count as an error ("vacuous" value);
  pass ``zero_division=`` to choose another value (e.g. ``np.nan`` to skip such slices);
- Cohen's kappa when both masks are the same constant (Pc = Pa = 1): 1.0;
- AUROC (both kinds) when `y_true` holds one class only: ValueError, as in scikit-learn;
- SEG with no reference object: ValueError (a mean over no objects);
- object precision/recall/F1/AP with no objects on either side: 1.0.

Thresholding: a probability ``p`` counts as foreground when ``p >= threshold``, the same
rule `roc_curve` uses for its thresholds.
"""

import math
import numbers
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ._validate import (as_array, as_binary, as_label_stack, as_rng, check_finite, check_int,
                        check_ndim, check_numeric, check_same_shape, describe)

__all__ = [
    # pixel level
    "Confusion", "confusion", "accuracy", "jaccard", "dice", "soft_dice", "precision",
    "recall", "fpr", "fnr", "cohen_kappa", "balanced_auroc", "roc_auc", "roc_curve",
    "threshold_sweep", "pixel_report", "interpret_kappa", "interpret_auroc",
    # object level
    "Matching", "AveragePrecision", "ObjectReport", "seg_score", "match_objects",
    "average_precision", "mean_iou", "object_report",
    # teaching helpers
    "degrade_mask", "degrade_labels", "synthetic_scores", "plot_confusion", "plot_roc",
]

AP_THRESHOLDS = np.round(np.arange(0.5, 0.96, 0.05), 2)  # 0.50, 0.55, ..., 0.95 (COCO)
_LAYOUT = "(H, W), (N, H, W) or (N, H, W, 1)"


# ============================================================================ validation
def _layout(arr, name):
    """Drop the channel axis of NHWC arrays: (H, W) or (N, H, W) out."""
    check_ndim(arr, name, (2, 3, 4), _LAYOUT)
    if arr.ndim == 4:
        if arr.shape[-1] != 1:
            raise ValueError(f"`{name}` must have one channel (N, H, W, 1), got {describe(arr)}")
        arr = arr[..., 0]
    if arr.size == 0:
        raise ValueError(f"`{name}` is empty, got {describe(arr)}")
    return arr


def _threshold(threshold):
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) \
            or not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"`threshold` must be a number in [0, 1], got {threshold!r}")
    return float(threshold)


def _as_pred(y_pred, name, like_shape, like_name, *, threshold=None, soft=False):
    """A prediction: a binary mask, or probabilities in [0, 1] (thresholded unless `soft`)."""
    p = check_numeric(as_array(y_pred, name), name)
    p = _layout(p, name)
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
        return p >= _threshold(threshold)
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
    return _binary(_layout(check_numeric(as_array(y_true, name), name), name), name)


def _pixel_pair(y_true, y_pred, *, threshold=0.5, soft=False):
    t = _as_truth(y_true)
    p = _as_pred(y_pred, "y_pred", t.shape, "y_true", threshold=threshold, soft=soft)
    return t, p


def _zero_division(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`zero_division` must be a number (or numpy.nan), got {value!r}")
    return float(value)


def _ratio(num, den, zero):
    """num / den, exact for Python ints, `zero` where den == 0 (elementwise for arrays)."""
    if np.ndim(num) == 0 and np.ndim(den) == 0:
        num, den = int(num), int(den)
        return zero if den == 0 else num / den  # int / int rounds once: the exact ratio
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, zero, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


# ============================================================================ pixel level
@dataclass(frozen=True)
class Confusion:
    """Pixel counts of a binary comparison; the scores are methods of it.

    Fields are Python ints for a pooled comparison, or int64 arrays (one value per slice,
    or per threshold from `threshold_sweep`); every method then returns arrays too.

    Attributes
    ----------
    tp, fp, fn, tn : int or ndarray
        True positives (foreground in both), false positives (predicted foreground on true
        background), false negatives (missed foreground), true negatives.
    """

    tp: object
    fp: object
    fn: object
    tn: object

    @property
    def total(self):
        return self.tp + self.fp + self.fn + self.tn

    def fractions(self):
        """TP, FP, FN, TN as fractions of all pixels, a dict."""
        n = self.total
        return {k: _ratio(getattr(self, k), n, math.nan) for k in ("tp", "fp", "fn", "tn")}

    def matrix(self, *, normalize=False):
        """The 2 x 2 matrix ``[[TN, FP], [FN, TP]]`` (rows: truth 0, 1; columns: prediction),
        the layout of `sklearn.metrics.confusion_matrix`; fractions of all pixels if
        `normalize`. Pooled counts only."""
        if np.ndim(self.tp):
            raise ValueError("`matrix` needs pooled counts; this Confusion holds arrays")
        m = np.array([[self.tn, self.fp], [self.fn, self.tp]], dtype=np.int64)
        return m / m.sum() if normalize else m

    # -- the scores; see the module functions of the same name for their definitions
    def accuracy(self):
        return _ratio(self.tp + self.tn, self.total, math.nan)

    def jaccard(self, *, zero_division=1.0):
        return _ratio(self.tp, self.tp + self.fp + self.fn, _zero_division(zero_division))

    def dice(self, *, zero_division=1.0):
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn, _zero_division(zero_division))

    def precision(self, *, zero_division=1.0):
        return _ratio(self.tp, self.tp + self.fp, _zero_division(zero_division))

    def recall(self, *, zero_division=1.0):
        return _ratio(self.tp, self.tp + self.fn, _zero_division(zero_division))

    def fpr(self, *, zero_division=0.0):
        return _ratio(self.fp, self.fp + self.tn, _zero_division(zero_division))

    def fnr(self, *, zero_division=0.0):
        return _ratio(self.fn, self.tp + self.fn, _zero_division(zero_division))

    @property
    def pa(self):
        """Cohen's observed agreement Pa: the fraction of pixels on which both agree."""
        return self.accuracy()

    @property
    def pc(self):
        """Cohen's chance agreement Pc = p_true(1) p_pred(1) + p_true(0) p_pred(0)."""
        n = self.total
        num = (self.tp + self.fn) * (self.tp + self.fp) + (self.tn + self.fp) * (self.tn + self.fn)
        return _ratio(num, n * n, math.nan)

    def cohen_kappa(self, *, zero_division=1.0):
        # kappa = (Pa - Pc) / (1 - Pc), written over the common denominator n**2 so that it is
        # computed from integers: 2 (TP TN - FN FP) / ((TP+FP)(FP+TN) + (TP+FN)(FN+TN)).
        # The denominator is 0 only when both masks are the same constant (Pa = Pc = 1).
        tp, fp, fn, tn = self.tp, self.fp, self.fn, self.tn
        if np.ndim(tp):
            tp, fp, fn, tn = (np.asarray(v, dtype=object) for v in (tp, fp, fn, tn))
            num = 2 * (tp * tn - fn * fp)
            den = (tp + fp) * (fp + tn) + (tp + fn) * (fn + tn)
            z = _zero_division(zero_division)
            return np.array([z if d == 0 else n / d for n, d in zip(num, den)], dtype=np.float64)
        return _ratio(2 * (tp * tn - fn * fp), (tp + fp) * (fp + tn) + (tp + fn) * (fn + tn),
                      _zero_division(zero_division))

    def balanced_auroc(self):
        fpr_, fnr_ = self._both_classes()
        return 1.0 - (fpr_ + fnr_) / 2.0

    def _both_classes(self):
        pos = np.asarray(self.tp + self.fn)
        neg = np.asarray(self.fp + self.tn)
        if (pos == 0).any() or (neg == 0).any():
            which = "0 (background)" if (pos == 0).any() else "1 (foreground)"
            raise ValueError(f"`y_true` holds only class {which}: AUROC needs both classes")
        return self.fpr(), self.fnr()


def confusion(y_true, y_pred, *, threshold=0.5, per_image=False):
    """Count true/false positives and negatives of a binary segmentation.

    Parameters
    ----------
    y_true : (H, W), (N, H, W) or (N, H, W, 1) ndarray
        Ground truth: bool, {0, 1} or {0, 255}.
    y_pred : ndarray of the same shape
        Prediction: a binary mask like `y_true`, or probabilities in [0, 1] (float), which
        count as foreground where ``y_pred >= threshold``.
    threshold : float
        Probability threshold for float predictions.
    per_image : bool
        Count each slice of a stack separately (arrays of length N) instead of pooling.

    Returns
    -------
    Confusion
        ``tp, fp, fn, tn`` counts; ``.fractions()`` gives them as fractions of all pixels,
        and the scores are methods (``.dice()``, ``.cohen_kappa()``, ...).

    Examples
    --------
    >>> c = confusion([[1, 1, 0, 0]], [[1, 0, 1, 0]])
    >>> c
    Confusion(tp=1, fp=1, fn=1, tn=1)
    >>> c.fractions()
    {'tp': 0.25, 'fp': 0.25, 'fn': 0.25, 'tn': 0.25}
    >>> confusion([[1, 1, 0, 0]], [[0.9, 0.4, 0.6, 0.1]], threshold=0.5).matrix()
    array([[1, 1],
           [1, 1]])
    """
    t, p = _pixel_pair(y_true, y_pred, threshold=threshold)
    if per_image:
        if t.ndim == 2:
            t, p = t[None], p[None]
        axis = (1, 2)
        n_t = np.count_nonzero(t, axis=axis).astype(np.int64)
        n_p = np.count_nonzero(p, axis=axis).astype(np.int64)
        tp = np.count_nonzero(t & p, axis=axis).astype(np.int64)
        n = np.int64(t.shape[1] * t.shape[2])
    else:
        n_t, n_p, tp, n = (int(np.count_nonzero(t)), int(np.count_nonzero(p)),
                           int(np.count_nonzero(t & p)), int(t.size))
    fp, fn = n_p - tp, n_t - tp
    return Confusion(tp, fp, fn, n - tp - fp - fn)


def accuracy(y_true, y_pred, *, threshold=0.5):
    """Fraction of pixels classified correctly, (TP + TN) / all.

    Misleading under class imbalance: with 5 % foreground, predicting background everywhere
    scores 0.95. Use Dice, kappa or the balanced AUROC for sparse structures.

    Examples
    --------
    >>> accuracy([[0, 0, 0, 1]], [[0, 0, 0, 0]])
    0.75
    """
    return confusion(y_true, y_pred, threshold=threshold).accuracy()


def jaccard(y_true, y_pred, *, threshold=0.5, zero_division=1.0):
    """Jaccard index (intersection over union), TP / (TP + FP + FN).

    Parameters
    ----------
    y_true, y_pred, threshold
        As in `confusion`.
    zero_division : float
        Value when both masks are empty (0/0); 1.0 by default (they agree perfectly).

    Examples
    --------
    >>> jaccard([[1, 1, 0, 0]], [[1, 0, 1, 0]])
    0.3333333333333333
    >>> jaccard([[0, 0]], [[0, 0]])
    1.0
    """
    return confusion(y_true, y_pred, threshold=threshold).jaccard(zero_division=zero_division)


def dice(y_true, y_pred, *, threshold=0.5, zero_division=1.0):
    """Dice coefficient (F1 score) of the *thresholded* prediction, 2 TP / (2 TP + FP + FN).

    Probabilities are first thresholded at `threshold`; `soft_dice` uses them as they are
    (that is the training loss's view, not a score of a segmentation). Dice = 2 J / (1 + J)
    for the Jaccard index J, so Dice >= Jaccard.

    Parameters
    ----------
    y_true, y_pred, threshold
        As in `confusion`.
    zero_division : float
        Value when both masks are empty (0/0); 1.0 by default.

    Examples
    --------
    >>> dice([[1, 1, 0, 0]], [[1, 0, 1, 0]])
    0.5
    >>> dice([[1, 1, 0, 0]], [[0.8, 0.3, 0.1, 0.0]], threshold=0.25)
    1.0
    >>> dice([[0, 0]], [[0, 0]])
    1.0
    """
    return confusion(y_true, y_pred, threshold=threshold).dice(zero_division=zero_division)


def soft_dice(y_true, y_pred, *, zero_division=1.0):
    """Soft Dice, 2 sum(t p) / (sum(t) + sum(p)), with probabilities used as they are.

    The differentiable quantity behind the Dice loss; it is below the thresholded `dice` of a
    confident, correct model (probabilities of 0.9 count as 0.9). Exact float64 sums.

    Parameters
    ----------
    y_true : ndarray
        Binary ground truth (bool, {0, 1}, {0, 255}).
    y_pred : ndarray of the same shape
        Probabilities in [0, 1], or a binary mask.
    zero_division : float
        Value when both are all zero; 1.0 by default.

    Examples
    --------
    >>> soft_dice([[1, 1, 0, 0]], [[0.5, 1.0, 0.5, 0.0]])  # 2 * 1.5 / (2 + 2)
    0.75
    """
    t, p = _pixel_pair(y_true, y_pred, soft=True)
    inter = float(np.sum(p, where=t, dtype=np.float64))
    den = float(np.count_nonzero(t)) + float(np.sum(p, dtype=np.float64))
    return _zero_division(zero_division) if den == 0 else 2.0 * inter / den


def precision(y_true, y_pred, *, threshold=0.5, zero_division=1.0):
    """Precision (positive predictive value), TP / (TP + FP).

    `zero_division` (1.0) is returned when nothing is predicted: no false positive was made.

    Examples
    --------
    >>> precision([[1, 1, 0, 0]], [[1, 1, 1, 0]])
    0.6666666666666666
    """
    return confusion(y_true, y_pred, threshold=threshold).precision(zero_division=zero_division)


def recall(y_true, y_pred, *, threshold=0.5, zero_division=1.0):
    """Recall (sensitivity, true positive rate), TP / (TP + FN).

    `zero_division` (1.0) is returned when `y_true` has no foreground: nothing was missed.

    Examples
    --------
    >>> recall([[1, 1, 0, 0]], [[1, 0, 0, 0]])
    0.5
    """
    return confusion(y_true, y_pred, threshold=threshold).recall(zero_division=zero_division)


def fpr(y_true, y_pred, *, threshold=0.5, zero_division=0.0):
    """False positive rate, FP / (FP + TN) = 1 - specificity.

    `zero_division` (0.0) is returned when `y_true` has no background.

    Examples
    --------
    >>> fpr([[1, 0, 0, 0]], [[1, 1, 0, 0]])
    0.3333333333333333
    """
    return confusion(y_true, y_pred, threshold=threshold).fpr(zero_division=zero_division)


def fnr(y_true, y_pred, *, threshold=0.5, zero_division=0.0):
    """False negative rate, FN / (TP + FN) = 1 - recall.

    `zero_division` (0.0) is returned when `y_true` has no foreground.

    Examples
    --------
    >>> fnr([[1, 1, 0, 0]], [[1, 0, 0, 0]])
    0.5
    """
    return confusion(y_true, y_pred, threshold=threshold).fnr(zero_division=zero_division)


def cohen_kappa(y_true, y_pred, *, threshold=0.5, zero_division=1.0):
    """Cohen's kappa: agreement beyond chance, (Pa - Pc) / (1 - Pc).

    Pa is the observed agreement (the accuracy), Pc the agreement expected by chance from
    each side's class frequencies, ``Pc = p_true(1) p_pred(1) + p_true(0) p_pred(0)``
    (Cohen 1960). Computed exactly from the integer counts. Ranges from -1 to 1; 0 is chance
    level. Read it with `interpret_kappa`.

    Parameters
    ----------
    y_true, y_pred, threshold
        As in `confusion`.
    zero_division : float
        Value when both masks are the same constant (Pa = Pc = 1, kappa = 0/0); 1.0.

    Examples
    --------
    >>> cohen_kappa([[1, 1, 0, 0]], [[1, 1, 0, 0]])
    1.0
    >>> cohen_kappa([[1, 1, 0, 0]], [[1, 0, 1, 0]])
    0.0
    >>> c = confusion([[1, 1, 0, 0, 0]], [[1, 0, 0, 0, 0]])
    >>> c.pa, c.pc  # Pc = 0.4 * 0.2 + 0.6 * 0.8
    (0.8, 0.56)
    """
    return confusion(y_true, y_pred, threshold=threshold).cohen_kappa(
        zero_division=zero_division)


def balanced_auroc(y_true, y_pred, *, threshold=0.5):
    """The AUROC of a hard prediction, 1 - (FPR + FNR) / 2 (= balanced accuracy).

    This is the area under the ROC "curve" of a single operating point joined to (0, 0) and
    (1, 1), the form reported by segmentation papers that score a thresholded mask; for a
    score map use `roc_auc`, the true rank-based area (the two differ: say which you report). Insensitive to class imbalance:
    predicting background everywhere scores 0.5.

    Raises
    ------
    ValueError
        `y_true` holds one class only (the score is undefined, as `roc_auc`).

    Examples
    --------
    >>> balanced_auroc([[1, 1, 0, 0]], [[1, 0, 0, 0]])
    0.75
    >>> balanced_auroc([[0, 0, 0, 1]], [[0, 0, 0, 0]])
    0.5
    """
    return confusion(y_true, y_pred, threshold=threshold).balanced_auroc()


# ----------------------------------------------------------------------------- ROC
def _scores(y_true, y_score):
    t = _as_truth(y_true)
    s = _layout(check_numeric(as_array(y_score, "y_score"), "y_score"), "y_score")
    check_same_shape(t, "y_true", s, "y_score")
    check_finite(s, "y_score")
    pos = np.sort(s[t], kind="stable")
    neg = np.sort(s[~t], kind="stable")
    if pos.size == 0 or neg.size == 0:
        which = "0 (background)" if pos.size == 0 else "1 (foreground)"
        raise ValueError(
            f"`y_true` holds only class {which}: the AUROC and the ROC curve need both classes"
        )
    return pos, neg


def roc_auc(y_true, y_score):
    """Area under the ROC curve of a score map, the rank-based (Mann-Whitney) AUROC.

    The probability that a random foreground pixel scores higher than a random background
    pixel, ties counting one half. Constant scores give 0.5. Computed from exact integer
    counts (one sort per class), so it matches the trapezoidal area of `roc_curve`.

    Parameters
    ----------
    y_true : (H, W), (N, H, W) or (N, H, W, 1) ndarray
        Binary ground truth.
    y_score : ndarray of the same shape
        Any finite scores, higher meaning more likely foreground (probabilities, logits).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        `y_true` holds only one class (AUROC undefined); NaN in `y_score`.

    Examples
    --------
    >>> roc_auc([[0, 0, 1, 1]], [[0.1, 0.4, 0.35, 0.8]])
    0.75
    >>> roc_auc([[0, 1]], [[0.5, 0.5]])
    0.5
    """
    pos, neg = _scores(y_true, y_score)
    below = np.searchsorted(neg, pos, side="left").sum(dtype=np.int64)
    not_above = np.searchsorted(neg, pos, side="right").sum(dtype=np.int64)
    # sum over positives of (#neg below + #neg tied / 2), doubled to stay in integers
    return (int(below) + int(not_above)) / (2 * int(pos.size) * int(neg.size))


def roc_curve(y_true, y_score, *, drop_intermediate=True):
    """ROC curve: false and true positive rates for every distinct threshold.

    A pixel counts as foreground when ``y_score >= threshold``; thresholds decrease, the first
    is ``inf`` (nothing predicted: the point (0, 0)). Same output as
    `sklearn.metrics.roc_curve`.

    Parameters
    ----------
    y_true, y_score
        As in `roc_auc`.
    drop_intermediate : bool
        Drop thresholds whose point lies on a straight segment (the plot is unchanged).

    Returns
    -------
    fpr, tpr, thresholds : 1-D ndarrays

    Examples
    --------
    >>> f, t, th = roc_curve([[0, 0, 1, 1]], [[0.1, 0.4, 0.35, 0.8]])
    >>> f.tolist(), t.tolist(), th.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0], [inf, 0.8, 0.4, 0.35, 0.1])
    """
    pos, neg = _scores(y_true, y_score)
    thresholds = np.unique(np.concatenate([pos, neg]))[::-1]
    tps = pos.size - np.searchsorted(pos, thresholds, side="left")
    fps = neg.size - np.searchsorted(neg, thresholds, side="left")
    if drop_intermediate and thresholds.size > 2:
        keep = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        tps, fps, thresholds = tps[keep], fps[keep], thresholds[keep]
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    thresholds = np.r_[np.inf, thresholds.astype(np.float64)]
    return fps / neg.size, tps / pos.size, thresholds


def threshold_sweep(y_true, y_score, *, thresholds=None):
    """Confusion counts for many thresholds at once (one sort, not one pass per threshold).

    Parameters
    ----------
    y_true : ndarray
        Binary ground truth.
    y_score : ndarray of the same shape
        Probabilities or scores.
    thresholds : 1-D array_like, optional
        Defaults to 0.00, 0.01, ..., 1.00. Foreground where ``y_score >= threshold``.

    Returns
    -------
    thresholds : ndarray
    counts : Confusion
        With one count per threshold: ``counts.dice()`` is Dice against threshold.

    Examples
    --------
    >>> th, c = threshold_sweep([[0, 1, 1]], [[0.2, 0.6, 0.9]], thresholds=[0.1, 0.5, 0.95])
    >>> c.dice().tolist()
    [0.8, 1.0, 0.0]
    """
    t = _as_truth(y_true)
    s = _layout(check_numeric(as_array(y_score, "y_score"), "y_score"), "y_score")
    check_same_shape(t, "y_true", s, "y_score")
    check_finite(s, "y_score")
    if thresholds is None:
        thresholds = np.round(np.linspace(0.0, 1.0, 101), 2)
    th = check_finite(np.asarray(thresholds, dtype=np.float64), "thresholds")
    if th.ndim != 1 or th.size == 0:
        raise ValueError(f"`thresholds` must be a non-empty 1-D sequence, got {describe(th)}")
    pos, neg = np.sort(s[t]), np.sort(s[~t])
    tp = (pos.size - np.searchsorted(pos, th, side="left")).astype(np.int64)
    fp = (neg.size - np.searchsorted(neg, th, side="left")).astype(np.int64)
    return th, Confusion(tp, fp, pos.size - tp, neg.size - fp)


def pixel_report(y_true, y_pred, *, threshold=0.5):
    """Every pixel score of one comparison, as a dict (a table row for the notebook).

    Keys: ``accuracy, dice, jaccard, precision, recall, fpr, fnr, kappa, balanced_auroc``
    (the last is NaN when `y_true` holds one class), and ``roc_auc`` when `y_pred` is a float
    score map.

    Examples
    --------
    >>> r = pixel_report([[1, 1, 0, 0]], [[1, 0, 0, 0]])
    >>> r["dice"], r["fnr"], r["balanced_auroc"]
    (0.6666666666666666, 0.5, 0.75)
    """
    c = confusion(y_true, y_pred, threshold=threshold)
    both = (c.tp + c.fn) > 0 and (c.fp + c.tn) > 0
    out = {
        "accuracy": c.accuracy(), "dice": c.dice(), "jaccard": c.jaccard(),
        "precision": c.precision(), "recall": c.recall(), "fpr": c.fpr(), "fnr": c.fnr(),
        "kappa": c.cohen_kappa(), "balanced_auroc": c.balanced_auroc() if both else math.nan,
    }
    score = np.asarray(y_pred)
    if score.dtype.kind == "f" and both:
        out["roc_auc"] = roc_auc(y_true, y_pred)
    return out


# ----------------------------------------------------------------------------- readings
_LANDIS_KOCH = ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial"),
                (1.00, "almost perfect"))


def _unit_score(value, name, lo):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or not lo <= float(value) <= 1.0:
        raise ValueError(f"`{name}` must be a number in [{lo:g}, 1], got {value!r}")
    return float(value)


def interpret_kappa(k, *, scale="landis-koch"):
    """The verbal reading of a kappa value from a published guideline table.

    ``"landis-koch"`` (Landis & Koch 1977, Biometrics 33:159-174): < 0 poor, 0-0.20 slight,
    0.21-0.40 fair, 0.41-0.60 moderate, 0.61-0.80 substantial, 0.81-1 almost perfect; each
    band includes its upper bound (0.40 is fair, 0.405 moderate).
    ``"fleiss"`` (Fleiss 1981, Statistical Methods for Rates and Proportions): < 0.40 poor,
    0.40-0.75 fair to good, > 0.75 excellent.

    The bands are conventions, not statistics: quote the number with its word.

    Examples
    --------
    >>> interpret_kappa(0.7)
    'substantial'
    >>> interpret_kappa(0.7, scale="fleiss")
    'fair to good'
    >>> interpret_kappa(-0.1)
    'poor'
    """
    k = _unit_score(k, "k", -1.0)
    if scale == "landis-koch":
        if k < 0:
            return "poor"
        return next(word for upper, word in _LANDIS_KOCH if k <= upper)
    if scale == "fleiss":
        return "poor" if k < 0.40 else ("fair to good" if k <= 0.75 else "excellent")
    raise ValueError(f"`scale` must be 'landis-koch' or 'fleiss', got {scale!r}")


def interpret_auroc(a):
    """The verbal reading of an AUROC after Hosmer & Lemeshow.

    The commonly cited reading of Hosmer & Lemeshow, *Applied Logistic Regression*, 2nd ed.
    (Wiley 2000), p. 162 (kept in the 3rd ed., Hosmer, Lemeshow & Sturdivant 2013, ch. 5):
    0.5 no discrimination; 0.5 < AUROC < 0.7 poor; 0.7-0.8 acceptable; 0.8-0.9 excellent;
    >= 0.9 outstanding (each band includes its lower bound). Below 0.5 the classifier is
    worse than chance, which usually means inverted labels or scores.

    Examples
    --------
    >>> interpret_auroc(0.85)
    'excellent'
    >>> interpret_auroc(0.5)
    'no discrimination'
    >>> interpret_auroc(0.9)
    'outstanding'
    """
    a = _unit_score(a, "a", 0.0)
    if a < 0.5:
        return "worse than chance"
    if a == 0.5:
        return "no discrimination"
    if a < 0.7:
        return "poor"
    if a < 0.8:
        return "acceptable"
    if a < 0.9:
        return "excellent"
    return "outstanding"


# ============================================================================ object level
def _as_labels(x, name):
    """A label image or stack as (N, H, W) int64, 0 background."""
    return as_label_stack(x, name)[0]


def _compact(lab):
    """Number the objects of a (N, H, W) label stack 1..K (each slice's objects distinct).

    Returns the index image (0 background), the areas (index 0 = background) and, per
    object, its slice and original label.
    """
    n = lab.shape[0]
    flat = lab.reshape(n, -1)
    maxes = flat.max(axis=1).astype(np.int64)
    total = int(maxes.sum())
    if total <= 4 * flat.size + 1024:  # dense look-up table: O(pixels + labels), no sort
        offsets = np.concatenate([[0], np.cumsum(maxes)[:-1]])
        g = flat.astype(np.int64)
        if n > 1:
            g = np.where(flat > 0, g + offsets[:, None], 0)
        counts = np.bincount(g.ravel(), minlength=total + 1)
        present = counts > 0
        present[0] = False
        ids = np.flatnonzero(present)
        lut = np.zeros(total + 1, dtype=np.int64)
        lut[ids] = np.arange(1, ids.size + 1)
        index = lut[g]
        area = np.concatenate([[counts[0]], counts[ids]])
        slice_of = np.clip(np.searchsorted(np.cumsum(maxes), ids, side="left"), 0, n - 1)
        label_of = ids - offsets[slice_of]
    else:  # sparse labels (e.g. 10**9): sort per slice
        index = np.zeros(flat.shape, dtype=np.int64)
        slices, labels, start = [], [], 0
        for i in range(n):
            u, inv = np.unique(flat[i], return_inverse=True)
            has_bg = u[0] == 0
            inv = inv.reshape(-1).astype(np.int64) + (0 if has_bg else 1)
            index[i] = np.where(inv > 0, inv + start, 0)
            objs = u[1:] if has_bg else u
            slices.append(np.full(objs.size, i))
            labels.append(objs.astype(np.int64))
            start += objs.size
        slice_of, label_of = np.concatenate(slices), np.concatenate(labels)
        area = np.bincount(index.ravel(), minlength=start + 1)
    return index.reshape(-1), area.astype(np.int64), slice_of.astype(np.int64), label_of


@dataclass(frozen=True)
class _Overlaps:
    """Sparse contingency table of two label stacks (object indices start at 1)."""

    area_t: np.ndarray  # (n_true + 1,), index 0 = background
    area_p: np.ndarray
    pair_t: np.ndarray  # (K,) overlapping pairs only
    pair_p: np.ndarray
    inter: np.ndarray
    ids_t: tuple  # (slice_of, label_of)
    ids_p: tuple

    @property
    def n_true(self):
        return self.area_t.size - 1

    @property
    def n_pred(self):
        return self.area_p.size - 1

    @property
    def iou(self):
        union = self.area_t[self.pair_t] + self.area_p[self.pair_p] - self.inter
        return self.inter / union


def _overlaps(true_labels, pred_labels):
    t = _as_labels(true_labels, "true_labels")
    p = _as_labels(pred_labels, "pred_labels")
    check_same_shape(t, "true_labels", p, "pred_labels")
    ti, area_t, st, lt = _compact(t)
    pi, area_p, sp, lp = _compact(p)
    fg = (ti > 0) & (pi > 0)
    a, b = ti[fg], pi[fg]
    width = area_p.size  # n_pred + 1
    keys = a * width + b
    if area_t.size * width <= max(4 * ti.size, 1 << 22):  # dense bincount, no sort
        counts = np.bincount(keys, minlength=area_t.size * width)
        keys = np.flatnonzero(counts)
        inter = counts[keys]
    else:
        keys, inter = np.unique(keys, return_counts=True)
    return _Overlaps(area_t, area_p, keys // width, keys % width, inter.astype(np.int64),
                     (st, lt), (sp, lp))


def _seg_from(ov, area_weighted):
    if ov.n_true == 0:
        raise ValueError(
            "`true_labels` contains no object: SEG is a mean over reference objects and is "
            "undefined without one"
        )
    score = np.zeros(ov.n_true + 1)
    match = 2 * ov.inter > ov.area_t[ov.pair_t]  # |R n S| > 0.5 |R|: at most one S per R
    score[ov.pair_t[match]] = ov.iou[match]
    score = score[1:]
    if area_weighted:
        w = ov.area_t[1:]
        return float(np.sum(w * score) / np.sum(w))
    return float(score.mean())


def seg_score(true_labels, pred_labels, *, area_weighted=False):
    """The Cell Tracking Challenge SEG measure.

    A reference object R is matched to the predicted object S only if
    ``|R n S| > 0.5 |R|`` (so at most one S per R); its score is the Jaccard index
    ``|R n S| / |R u S|`` of the pair, and 0 when no S qualifies. SEG is the mean over the
    reference objects; predicted objects that match nothing are *not* penalised (pair SEG
    with precision or `average_precision` to see them). In a stack, each slice's objects
    are distinct objects and the mean is pooled over all of them.

    Parameters
    ----------
    true_labels : (H, W), (N, H, W) or (N, H, W, 1) int ndarray
        Reference labels: 0 background, 1..N objects (numbers need not be contiguous).
    pred_labels : int ndarray of the same shape
        Predicted labels.
    area_weighted : bool
        Weight each reference object by its area (large objects count more).

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    ValueError
        No reference object (SEG undefined), shapes differ, negative labels.
    TypeError
        Float or bool label images.

    Examples
    --------
    >>> t = np.array([[1, 1, 0, 2, 2]])
    >>> seg_score(t, np.array([[1, 1, 1, 0, 0]]))  # object 1: J = 2/3; object 2 missed
    0.3333333333333333
    >>> seg_score(t, t)
    1.0
    """
    return _seg_from(_overlaps(true_labels, pred_labels), area_weighted)


@dataclass(frozen=True)
class Matching:
    """One-to-one matching of reference and predicted objects at an IoU threshold.

    Attributes
    ----------
    iou_threshold : float
    n_true, n_pred : int
        Number of reference and predicted objects.
    tp, fp, fn : int
        Matched pairs, unmatched predictions, unmatched references.
    matched_iou : ndarray
        IoU of every matched pair.
    true_ids, pred_ids : (tp, 2) int ndarrays
        ``(slice, label)`` of the matched objects, row by row.
    """

    iou_threshold: float
    n_true: int
    n_pred: int
    tp: int
    fp: int
    fn: int
    matched_iou: np.ndarray = field(repr=False)
    true_ids: np.ndarray = field(repr=False)
    pred_ids: np.ndarray = field(repr=False)

    @property
    def precision(self):
        """TP / n_pred (1.0 when nothing is predicted)."""
        return _ratio(self.tp, self.n_pred, 1.0)

    @property
    def recall(self):
        """TP / n_true (1.0 when there is no reference object)."""
        return _ratio(self.tp, self.n_true, 1.0)

    @property
    def f1(self):
        """2 TP / (2 TP + FP + FN) (1.0 when there are no objects at all)."""
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn, 1.0)

    @property
    def accuracy(self):
        """TP / (TP + FP + FN): the "AP" of StarDist and Cellpose at this threshold."""
        return _ratio(self.tp, self.tp + self.fp + self.fn, 1.0)

    @property
    def mean_matched_iou(self):
        """Mean IoU of the matched pairs (NaN when none)."""
        return float(self.matched_iou.mean()) if self.matched_iou.size else math.nan


def _iou_threshold(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not 0.0 < float(value) <= 1.0:
        raise ValueError(f"`iou_threshold` must be a number in (0, 1], got {value!r}")
    return float(value)


def _match(ov, iou_threshold):
    """Indices into the pair list of a one-to-one matching with IoU >= threshold.

    Maximises the number of matches, then their total IoU (the StarDist / Cellpose rule).
    Pairs whose two objects have no other candidate are matched directly; only the rest (at
    IoU >= 0.5 that is just exact ties of 0.5; never above 0.5) go through
    `scipy.optimize.linear_sum_assignment`, one connected group at a time.
    """
    iou = ov.iou
    cand = np.flatnonzero(iou >= iou_threshold)
    if cand.size == 0:
        return cand
    ct, cp = ov.pair_t[cand], ov.pair_p[cand]
    deg_t = np.bincount(ct, minlength=ov.n_true + 1)
    deg_p = np.bincount(cp, minlength=ov.n_pred + 1)
    simple = (deg_t[ct] == 1) & (deg_p[cp] == 1)
    chosen = [cand[simple]]
    rest = cand[~simple]
    if rest.size:
        from scipy.optimize import linear_sum_assignment
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        rt, rp = ov.pair_t[rest], ov.pair_p[rest]
        ut, it = np.unique(rt, return_inverse=True)
        up, ip = np.unique(rp, return_inverse=True)
        nt, npd = ut.size, up.size
        graph = coo_matrix((np.ones(rest.size), (it, nt + ip)), shape=(nt + npd,) * 2)
        _, comp = connected_components(graph, directed=False)
        edge_comp = comp[it]
        for c in np.unique(edge_comp):  # only groups of competing candidates: few and small
            e = np.flatnonzero(edge_comp == c)
            rows, r_inv = np.unique(it[e], return_inverse=True)
            cols, c_inv = np.unique(ip[e], return_inverse=True)
            w = np.zeros((rows.size, cols.size))
            # 1 per match plus a tie-break < 1/2 in total: most matches first, then most IoU
            w[r_inv, c_inv] = 1.0 + iou[rest[e]] / (2.0 * min(rows.size, cols.size))
            r, k = linear_sum_assignment(w, maximize=True)
            ok = w[r, k] > 0
            lookup = {(a, b): idx for a, b, idx in zip(r_inv, c_inv, rest[e])}
            chosen.append(np.array([lookup[(a, b)] for a, b in zip(r[ok], k[ok])], dtype=int))
    return np.sort(np.concatenate(chosen))


def _matching_from(ov, iou_threshold):
    m = _match(ov, iou_threshold)
    tp = int(m.size)
    st, lt = ov.ids_t
    sp, lp = ov.ids_p
    ti, pi = ov.pair_t[m] - 1, ov.pair_p[m] - 1
    return Matching(
        iou_threshold, ov.n_true, ov.n_pred, tp, ov.n_pred - tp, ov.n_true - tp,
        ov.iou[m], np.stack([st[ti], lt[ti]], axis=1), np.stack([sp[pi], lp[pi]], axis=1),
    )


def match_objects(true_labels, pred_labels, *, iou_threshold=0.5):
    """Match reference and predicted objects one to one at ``IoU >= iou_threshold``.

    Above 0.5 the matching is unique (an object can overlap at most one other with
    IoU > 0.5). At 0.5 and below, where an object may have several candidates, an optimal
    assignment (`scipy.optimize.linear_sum_assignment`) maximises the number of matches and
    then their total IoU, the rule of StarDist and Cellpose. Only overlapping pairs are
    candidates.

    Parameters
    ----------
    true_labels, pred_labels : int ndarrays
        As in `seg_score`.
    iou_threshold : float in (0, 1]

    Returns
    -------
    Matching
        ``tp, fp, fn`` and ``precision, recall, f1, accuracy, matched_iou``.

    Examples
    --------
    >>> t = np.array([[1, 1, 0, 2, 2, 0, 3]])
    >>> p = np.array([[5, 5, 0, 0, 7, 7, 0]])
    >>> m = match_objects(t, p)
    >>> m.tp, m.fp, m.fn, m.precision, m.recall
    (1, 1, 2, 0.5, 0.3333333333333333)
    >>> m.true_ids.tolist(), m.pred_ids.tolist()
    ([[0, 1]], [[0, 5]])
    """
    return _matching_from(_overlaps(true_labels, pred_labels), _iou_threshold(iou_threshold))


@dataclass(frozen=True)
class AveragePrecision:
    """AP over IoU thresholds; ``per_threshold[i]`` = TP / (TP + FP + FN) at ``thresholds[i]``.

    Attributes
    ----------
    thresholds, per_threshold : ndarray
    ap : float
        Mean of `per_threshold` (AP@[.50:.95] for the default thresholds).
    ap50, ap75 : float
        The values at IoU 0.50 and 0.75.
    """

    thresholds: np.ndarray = field(repr=False)
    per_threshold: np.ndarray = field(repr=False)
    ap: float
    ap50: float
    ap75: float

    def as_dict(self):
        """``{"AP": ..., "AP50": ..., "AP75": ...}`` plus ``"AP@0.55"``-style entries."""
        out = {"AP": self.ap, "AP50": self.ap50, "AP75": self.ap75}
        out.update({f"AP@{t:.2f}": float(v) for t, v in zip(self.thresholds, self.per_threshold)})
        return out


def average_precision(true_labels, pred_labels, *, thresholds=None):
    """Average precision of an instance segmentation over IoU thresholds.

    Definition: at each IoU threshold, objects are matched one to one (`match_objects`) and
    ``AP(t) = TP / (TP + FP + FN)``, the definition used by the StarDist (Schmidt et al.
    2018) and Cellpose (Stringer et al. 2021) papers and the 2018 Data Science Bowl; it has
    no confidence ranking (unlike COCO's AP). The result averages it over the thresholds,
    by default 0.50, 0.55, ..., 0.95, and names AP50 and AP75. The overlaps are counted once
    for all thresholds. With no object on either side every AP is 1.0.

    Parameters
    ----------
    true_labels, pred_labels : int ndarrays
        As in `seg_score`.
    thresholds : 1-D array_like of float in (0, 1], optional

    Returns
    -------
    AveragePrecision

    Examples
    --------
    >>> t = np.array([[1, 1, 1, 1, 0, 2, 2]])
    >>> p = np.array([[1, 1, 1, 0, 0, 2, 2]])  # IoUs 0.75 and 1
    >>> r = average_precision(t, p)
    >>> r.ap50, r.ap75, round(r.ap, 4)  # 6 thresholds at 1, 4 (0.80-0.95) at 1/3
    (1.0, 1.0, 0.7333)
    """
    ov = _overlaps(true_labels, pred_labels)
    th = AP_THRESHOLDS if thresholds is None else np.asarray(thresholds, dtype=np.float64)
    if th.ndim != 1 or th.size == 0:
        raise ValueError(f"`thresholds` must be a non-empty 1-D sequence, got {describe(th)}")
    for v in th:
        _iou_threshold(float(v))
    exact = []
    for v in th:
        m = _matching_from(ov, float(v))
        den = m.tp + m.fp + m.fn
        exact.append(Fraction(m.tp, den) if den else Fraction(1))
    per = np.array([float(x) for x in exact])
    mean = float(sum(exact) / len(exact))  # exact rational mean, rounded once
    return AveragePrecision(th, per, mean, _matching_from(ov, 0.5).accuracy,
                            _matching_from(ov, 0.75).accuracy)


def mean_iou(true_labels, pred_labels):
    """Mean over reference objects of the IoU with their best-overlapping predicted object.

    No threshold and no one-to-one constraint (a merged prediction can serve two references,
    0 when nothing overlaps): the looser cousin of `seg_score`, so ``mean_iou >= seg_score``.
    Undefined (ValueError) without reference objects.

    Examples
    --------
    >>> mean_iou(np.array([[1, 1, 0, 2, 2]]), np.array([[1, 1, 1, 2, 0]]))  # (2/3 + 1/2) / 2
    0.5833333333333333
    """
    ov = _overlaps(true_labels, pred_labels)
    if ov.n_true == 0:
        raise ValueError("`true_labels` contains no object: the mean IoU is undefined")
    best = np.zeros(ov.n_true + 1)
    np.maximum.at(best, ov.pair_t, ov.iou)
    return float(best[1:].mean())


@dataclass(frozen=True)
class ObjectReport:
    """The object-level summary researchers ask for; ``str(report)`` reads it out.

    Attributes
    ----------
    n_true, n_pred, found, missed, extra : int
        Reference objects, predicted objects, matched (TP), missed (FN), false detections (FP).
    merges : int
        Predicted objects covering more than half of two or more reference objects.
    splits : int
        Reference objects holding more than half of two or more predicted objects.
    """

    iou_threshold: float
    n_true: int
    n_pred: int
    found: int
    missed: int
    extra: int
    merges: int
    splits: int
    precision: float
    recall: float
    f1: float
    mean_matched_iou: float
    seg: float
    ap50: float

    def __str__(self):
        pct = f" ({100 * self.found / self.n_true:.1f} %)" if self.n_true else ""
        return (
            f"{self.found} of {self.n_true} objects found{pct} at IoU >= "
            f"{self.iou_threshold:g}; {self.extra} false detection(s) among {self.n_pred} "
            f"predicted objects\n"
            f"precision {self.precision:.3f}, recall {self.recall:.3f}, F1 {self.f1:.3f}, "
            f"mean matched IoU {self.mean_matched_iou:.3f}\n"
            f"SEG {self.seg:.3f}, AP50 {self.ap50:.3f}; {self.merges} merge(s), "
            f"{self.splits} split(s)"
        )


def object_report(true_labels, pred_labels, *, iou_threshold=0.5):
    """Say how many objects were found, and how the rest went wrong.

    Parameters
    ----------
    true_labels, pred_labels : int ndarrays
        As in `seg_score`.
    iou_threshold : float
        Threshold of the one-to-one matching (`match_objects`).

    Returns
    -------
    ObjectReport
        ``print(report)`` gives "N of M objects found ..."; SEG is NaN without reference
        objects.

    Examples
    --------
    >>> t = np.array([[1, 1, 0, 2, 2, 0, 3, 3]])
    >>> p = np.array([[4, 4, 0, 6, 6, 6, 6, 6]])  # 2 and 3 merged into 6
    >>> print(object_report(t, p))
    1 of 3 objects found (33.3 %) at IoU >= 0.5; 1 false detection(s) among 2 predicted objects
    precision 0.500, recall 0.333, F1 0.400, mean matched IoU 1.000
    SEG 0.600, AP50 0.250; 1 merge(s), 0 split(s)
    """
    ov = _overlaps(true_labels, pred_labels)
    m = _matching_from(ov, _iou_threshold(iou_threshold))
    major_of_t = 2 * ov.inter > ov.area_t[ov.pair_t]  # S holds more than half of R
    major_of_p = 2 * ov.inter > ov.area_p[ov.pair_p]  # R holds more than half of S
    merges = int(np.count_nonzero(np.bincount(ov.pair_p[major_of_t], minlength=1) >= 2))
    splits = int(np.count_nonzero(np.bincount(ov.pair_t[major_of_p], minlength=1) >= 2))
    seg = _seg_from(ov, False) if ov.n_true else math.nan
    ap50 = m.accuracy if m.iou_threshold == 0.5 else _matching_from(ov, 0.5).accuracy
    return ObjectReport(m.iou_threshold, m.n_true, m.n_pred, m.tp, m.fn, m.fp, merges, splits,
                        m.precision, m.recall, m.f1, m.mean_matched_iou, seg, ap50)


# ============================================================================ teaching helpers
def _plane_structure(ndim):
    """4-connected structuring element acting within each slice only."""
    from scipy import ndimage as ndi

    s = ndi.generate_binary_structure(2, 1)
    return s if ndim == 2 else np.stack([np.zeros_like(s), s, np.zeros_like(s)])


def _check_degrade(erode, dilate, noise, miss_rate):
    erode = check_int(erode, "erode", minimum=0)
    dilate = check_int(dilate, "dilate", minimum=0)
    for name, v in (("noise", noise), ("miss_rate", miss_rate)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0.0 <= float(v) <= 1.0:
            raise ValueError(f"`{name}` must be a fraction in [0, 1], got {v!r}")
    return erode, dilate, float(noise), float(miss_rate)


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

    m = _as_truth(mask, "mask")
    erode, dilate, noise, miss_rate = _check_degrade(erode, dilate, noise, miss_rate)
    rng = as_rng(rng)
    s = _plane_structure(m.ndim)
    out = m.copy()
    if miss_rate > 0:
        lab, n = ndi.label(out, structure=s)
        gone = np.flatnonzero(rng.random(n) < miss_rate) + 1
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

    lab = _as_labels(labels, "labels")
    squeeze = as_array(labels, "labels").ndim == 2
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
            new, _ = ndi.label(flip & bg, structure=s2)
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
    >>> s = synthetic_scores(m, rng=0)
    >>> s.dtype, bool(s.min() >= 0 and s.max() <= 1), roc_auc(m, s) > 0.9
    (dtype('float32'), True, True)
    """
    from scipy import ndimage as ndi

    m = _as_truth(mask, "mask").astype(np.float32)
    for name, v in (("blur", blur), ("noise", noise)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0 <= float(v) < 1e3:
            raise ValueError(f"`{name}` must be a non-negative number, got {v!r}")
    rng = as_rng(rng)
    if blur > 0:
        m = ndi.gaussian_filter(m, sigma=(0.0, blur, blur) if m.ndim == 3 else blur)
    if noise > 0:
        m += rng.normal(0.0, noise, m.shape).astype(np.float32)
    return np.clip(m, 0.0, 1.0, out=m)


# ----------------------------------------------------------------------------- plots
def plot_confusion(counts, *, ax=None, normalize=True, title=None):
    """Draw a pooled `Confusion` as a 2 x 2 heat map with counts and percentages.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if not isinstance(counts, Confusion):
        raise TypeError(f"`counts` must be a Confusion (from segkit.metrics.confusion), "
                        f"got {describe(counts)}")
    m = counts.matrix()
    frac = m / m.sum()
    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 3.2))
    ax.imshow(frac if normalize else m, cmap="Blues", vmin=0)
    names = [["TN", "FP"], ["FN", "TP"]]
    for i in range(2):
        for j in range(2):
            ax.text(j, i, f"{names[i][j]}\n{m[i, j]:,}\n{100 * frac[i, j]:.2f} %",
                    ha="center", va="center",
                    color="white" if frac[i, j] > 0.5 * frac.max() else "black")
    ax.set_xticks([0, 1], ["background", "foreground"])
    ax.set_yticks([0, 1], ["background", "foreground"])
    ax.set_xlabel("prediction")
    ax.set_ylabel("ground truth")
    if title:
        ax.set_title(title)
    return ax


def plot_roc(y_true, y_score, *, ax=None, label="scores", threshold=None):
    """Draw the ROC curve of a score map, its AUROC, the chance diagonal and, when
    `threshold` is given, the single operating point whose area is `balanced_auroc`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    f, t, _ = roc_curve(y_true, y_score)
    if f.size > 4000:  # millions of points draw slowly and look the same: thin them out
        keep = np.unique(np.linspace(0, f.size - 1, 4000).astype(int))
        f, t = f[keep], t[keep]
    if ax is None:
        _, ax = plt.subplots(figsize=(3.8, 3.6))
    ax.plot(f, t, label=f"{label} (AUROC {roc_auc(y_true, y_score):.3f})")
    ax.plot([0, 1], [0, 1], ls=":", c="grey", label="chance")
    if threshold is not None:
        c = confusion(y_true, y_score, threshold=threshold)
        x, y = c.fpr(), c.recall()
        ax.plot([0, x, 1], [0, y, 1], ls="--", c="C1", lw=1,
                label=f"threshold {threshold:g} (balanced AUROC {c.balanced_auroc():.3f})")
        ax.plot([x], [y], "o", c="C1")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_aspect("equal")
    ax.legend(loc="lower right")
    return ax

"""Pixel-level scores: a binary mask against a prediction, every pixel counted once.

Introduced in notebook 07 (and first used in 03, 05 and 06). All scores come from one
`Confusion` of counts; a stack is pooled unless ``per_image=True``. A probability counts as
foreground when ``p >= threshold``.
"""

import math
from dataclasses import dataclass

import numpy as np

from ._common import _pixel_pair, _ratio, _zero_division

__all__ = ["Confusion", "confusion", "dice", "soft_dice", "pixel_report"]


@dataclass(frozen=True)
class Confusion:
    """Pixel counts of a binary comparison; the scores are methods of it.

    Fields are Python ints for a pooled comparison, or int64 arrays (one value per slice,
    or per threshold from `threshold_sweep`); every method then returns arrays too. They may
    also be fractions of all pixels (floats that sum to 1), the form in which Nyawira &
    Bushman (PEARC '18, Eqs. 4-6, "N is always equal to 1") compute kappa: build one from
    published rates to recompute a paper's scores.

    Attributes
    ----------
    tp, fp, fn, tn : int, float or ndarray
        True positives (foreground in both), false positives (predicted foreground on true
        background), false negatives (missed foreground), true negatives.

    Examples
    --------
    >>> c = Confusion(tp=0.03, fn=0.01, fp=0.02, tn=0.94)  # fractions of all pixels
    >>> round(c.fnr(), 4), round(c.fpr(), 4), round(c.balanced_auroc(), 4)
    (0.25, 0.0208, 0.8646)
    >>> c.pa, round(c.pc, 4)  # Pc = 0.04 * 0.05 + 0.96 * 0.95
    (0.97, 0.914)
    >>> round(c.cohen_kappa(), 4)  # (0.97 - 0.914) / (1 - 0.914)
    0.6512
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

    def matrix(self, *, normalize=False, layout="sklearn"):
        """The counts as a 2 x 2 matrix; fractions of all pixels if `normalize`.

        ``layout="sklearn"``: ``[[TN, FP], [FN, TP]]``, rows the truth (0, 1) and columns the
        prediction, as `sklearn.metrics.confusion_matrix`. ``layout="tp-first"``:
        ``[[TP, FN], [FP, TN]]``, rows the truth (1, 0) and columns the prediction (1, 0), the
        layout of Nyawira & Bushman's confusion matrices (PEARC '18). Say which one you
        print. Pooled counts only; int64 for counts, float64 for fractions.

        >>> c = confusion([[1, 1, 1, 0, 0]], [[1, 1, 0, 1, 0]])
        >>> c.matrix().tolist(), c.matrix(layout="tp-first").tolist()
        ([[1, 1], [1, 2]], [[2, 1], [1, 1]])
        >>> c.matrix(layout="tp-first", normalize=True).tolist()
        [[0.4, 0.2], [0.2, 0.2]]
        """
        from .._validate import check_choice

        check_choice(layout, "layout", ("sklearn", "tp-first"))
        if np.ndim(self.tp):
            raise ValueError("`matrix` needs pooled counts; this Confusion holds arrays")
        if layout == "sklearn":
            m = np.array([[self.tn, self.fp], [self.fn, self.tp]])
        else:
            m = np.array([[self.tp, self.fn], [self.fp, self.tn]])
        m = m.astype(np.int64 if m.dtype.kind in "iub" else np.float64)
        return m / m.sum() if normalize else m

    # -- the scores, each defined here; `dice` is also a module function (the score the
    # -- notebooks compute most)
    def accuracy(self):
        """Fraction of pixels classified correctly, (TP + TN) / all.

        Misleading under class imbalance: with 5 % foreground, predicting background
        everywhere scores 0.95. Use Dice, kappa or the balanced AUROC for sparse structures.

        >>> confusion([[0, 0, 0, 1]], [[0, 0, 0, 0]]).accuracy()
        0.75
        """
        return _ratio(self.tp + self.tn, self.total, math.nan)

    def jaccard(self, *, zero_division=1.0):
        """Jaccard index (intersection over union), TP / (TP + FP + FN); `zero_division`
        when both masks are empty. Dice = 2 J / (1 + J), so Dice >= Jaccard.

        >>> confusion([[1, 1, 0, 0]], [[1, 0, 1, 0]]).jaccard()
        0.3333333333333333
        >>> confusion([[0, 0]], [[0, 0]]).jaccard()
        1.0
        """
        return _ratio(self.tp, self.tp + self.fp + self.fn, _zero_division(zero_division))

    def dice(self, *, zero_division=1.0):
        """Dice (F1), 2 TP / (2 TP + FP + FN); `zero_division` when both masks are empty."""
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn, _zero_division(zero_division))

    def precision(self, *, zero_division=1.0):
        """Precision (positive predictive value), TP / (TP + FP); `zero_division` (1.0)
        when nothing is predicted: no false positive was made.

        >>> confusion([[1, 1, 0, 0]], [[1, 1, 1, 0]]).precision()
        0.6666666666666666
        """
        return _ratio(self.tp, self.tp + self.fp, _zero_division(zero_division))

    def recall(self, *, zero_division=1.0):
        """Recall (sensitivity, true positive rate), TP / (TP + FN); `zero_division` (1.0)
        when there is no true foreground: nothing was missed.

        >>> confusion([[1, 1, 0, 0]], [[1, 0, 0, 0]]).recall()
        0.5
        """
        return _ratio(self.tp, self.tp + self.fn, _zero_division(zero_division))

    def fpr(self, *, zero_division=0.0):
        """False positive rate, FP / (FP + TN) = 1 - specificity; `zero_division` (0.0)
        when there is no true background.

        >>> confusion([[1, 0, 0, 0]], [[1, 1, 0, 0]]).fpr()
        0.3333333333333333
        """
        return _ratio(self.fp, self.fp + self.tn, _zero_division(zero_division))

    def fnr(self, *, zero_division=0.0):
        """False negative rate, FN / (TP + FN) = 1 - recall; `zero_division` (0.0) when
        there is no true foreground.

        >>> confusion([[1, 1, 0, 0]], [[1, 0, 0, 0]]).fnr()
        0.5
        """
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
        """Cohen's kappa: agreement beyond chance, (Pa - Pc) / (1 - Pc).

        Pa is the observed agreement (the accuracy), Pc the agreement expected by chance from
        each side's class frequencies, ``Pc = p_true(1) p_pred(1) + p_true(0) p_pred(0)``
        (Cohen 1960). Computed exactly from the integer counts. Ranges from -1 to 1; 0 is chance
        level. Read it with `segkit.metrics.interpret_kappa`.

        `zero_division` (1.0) is returned when both masks are the same constant (Pa = Pc = 1,
        kappa = 0/0).

        Examples
        --------
        >>> confusion([[1, 1, 0, 0]], [[1, 1, 0, 0]]).cohen_kappa()
        1.0
        >>> confusion([[1, 1, 0, 0]], [[1, 0, 1, 0]]).cohen_kappa()
        0.0
        >>> c = confusion([[1, 1, 0, 0, 0]], [[1, 0, 0, 0, 0]])
        >>> c.pa, c.pc  # Pc = 0.4 * 0.2 + 0.6 * 0.8
        (0.8, 0.56)
        """
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
        """The AUROC of a hard prediction, 1 - (FPR + FNR) / 2 (= balanced accuracy).

        This is the area under the ROC "curve" of a single operating point joined to (0, 0) and
        (1, 1), the form reported by segmentation papers that score a thresholded mask
        (Nyawira & Bushman's Eq. 3); for a score map use `segkit.metrics.roc_auc`, the true
        rank-based area (the two differ: say which you report). Insensitive to class
        imbalance: predicting background everywhere scores 0.5.

        Raises
        ------
        ValueError
            `y_true` holds one class only (the score is undefined, as `roc_auc`).

        Examples
        --------
        >>> confusion([[1, 1, 0, 0]], [[1, 0, 0, 0]]).balanced_auroc()
        0.75
        >>> confusion([[0, 0, 0, 1]], [[0, 0, 0, 0]]).balanced_auroc()
        0.5
        """
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


def pixel_report(y_true, y_pred, *, threshold=0.5):
    """Every pixel score of one comparison, as a dict (a table row for the notebook).

    Keys: ``accuracy, dice, jaccard, precision, recall, fpr, fnr, kappa, balanced_auroc``
    (the last is NaN when `y_true` holds one class), and ``roc_auc`` when `y_pred` is a float
    score map.

    Parameters
    ----------
    y_true, y_pred, threshold
        As in `confusion`.

    Returns
    -------
    dict of str to float

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
        from .curves import roc_auc

        out["roc_auc"] = roc_auc(y_true, y_pred)
    return out



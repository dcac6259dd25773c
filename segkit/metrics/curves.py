"""Scores of a probability map over all thresholds: the ROC curve and its area.

Introduced in notebook 07. A pixel counts as foreground when ``score >= threshold``.
"""

import numpy as np

from .._validate import check_finite, describe
from ._common import _score_map
from .pixel import Confusion

__all__ = ["roc_auc", "threshold_sweep"]


def _scores(y_true, y_score):
    """Sorted scores of the foreground and of the background pixels."""
    t, s = _score_map(y_true, y_score)
    pos = np.sort(s[t])  # only the sorted values matter: the fastest sort will do
    neg = np.sort(s[~t])
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
    counts (one sort per class), so it matches the trapezoidal area of the curve `segkit.viz.plot_roc` draws.

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


def _roc_curve(y_true, y_score, *, drop_intermediate=True):
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
    >>> f, t, th = _roc_curve([[0, 0, 1, 1]], [[0.1, 0.4, 0.35, 0.8]])
    >>> f.tolist(), t.tolist(), th.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0], [inf, 0.8, 0.4, 0.35, 0.1])
    """
    pos, neg = _scores(y_true, y_score)
    both = np.concatenate([pos, neg])
    both.sort(kind="stable")  # two sorted runs: timsort merges them in one pass
    distinct = np.empty(both.size, dtype=bool)
    distinct[:1] = True
    np.not_equal(both[1:], both[:-1], out=distinct[1:])
    thresholds = both[distinct][::-1]  # = np.unique(both)[::-1], without a full sort
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
    t, s = _score_map(y_true, y_score)
    if thresholds is None:
        thresholds = np.round(np.linspace(0.0, 1.0, 101), 2)
    th = check_finite(np.asarray(thresholds, dtype=np.float64), "thresholds")
    if th.ndim != 1 or th.size == 0:
        raise ValueError(f"`thresholds` must be a non-empty 1-D sequence, got {describe(th)}")
    pos, neg = np.sort(s[t]), np.sort(s[~t])
    tp = (pos.size - np.searchsorted(pos, th, side="left")).astype(np.int64)
    fp = (neg.size - np.searchsorted(neg, th, side="left")).astype(np.int64)
    return th, Confusion(tp, fp, pos.size - tp, neg.size - fp)



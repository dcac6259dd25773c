"""Object-level scores: two label images (0 background, 1..N objects) compared object by object.

Introduced in notebook 07 (used in 08 and 09). Every score here is computed from one sparse
table of overlaps, `contingency_table`, so a 1024 x 1024 image with 1,000 objects scores in
milliseconds; compute the table once and pass it as ``table=`` to score it several ways (as
`skimage.metrics.contingency_table` serves scikit-image's scores). In a stack, the objects of
each slice are distinct objects.
"""

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .._validate import check_same_shape, describe
from ._common import AP_THRESHOLDS, _as_labels, _iou_threshold, _ratio

__all__ = ["ContingencyTable", "contingency_table", "seg_score", "match_objects",
           "average_precision", "mean_iou", "object_report", "instance_scores"]


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
class ContingencyTable:
    """Sparse table of the overlaps of two label stacks (object indices start at 1).

    Attributes
    ----------
    area_t, area_p : (n_true + 1,), (n_pred + 1,) int64 ndarrays
        Object areas in pixels; index 0 is the background.
    pair_t, pair_p, inter : (K,) int64 ndarrays
        The K overlapping (reference, predicted) pairs and their intersections in pixels.
    ids_t, ids_p : tuple of two ndarrays
        ``(slice, label)`` of every object, by index - 1.
    """

    area_t: np.ndarray = field(repr=False)
    area_p: np.ndarray = field(repr=False)
    pair_t: np.ndarray = field(repr=False)
    pair_p: np.ndarray = field(repr=False)
    inter: np.ndarray = field(repr=False)
    ids_t: tuple = field(repr=False)
    ids_p: tuple = field(repr=False)
    shape: tuple = ()

    @property
    def n_true(self):
        """Number of reference objects."""
        return self.area_t.size - 1

    @property
    def n_pred(self):
        """Number of predicted objects."""
        return self.area_p.size - 1

    @property
    def iou(self):
        """IoU of every overlapping pair, aligned with `pair_t` and `pair_p`."""
        union = self.area_t[self.pair_t] + self.area_p[self.pair_p] - self.inter
        return self.inter / union

    def __repr__(self):
        return (f"ContingencyTable(n_true={self.n_true}, n_pred={self.n_pred}, "
                f"overlapping_pairs={self.inter.size})")


def contingency_table(true_labels, pred_labels):
    """The overlaps of every reference object with every predicted object, counted once.

    Parameters
    ----------
    true_labels : (H, W), (N, H, W) or (N, H, W, 1) int ndarray
        Reference labels: 0 background, 1..N objects (numbers need not be contiguous).
    pred_labels : int ndarray of the same shape
        Predicted labels.

    Returns
    -------
    ContingencyTable
        Pass it as ``table=`` to `seg_score`, `match_objects`, `average_precision`,
        `mean_iou` and `object_report` to score the same pair several ways.

    Examples
    --------
    >>> t = np.array([[1, 1, 0, 2, 2]])
    >>> p = np.array([[3, 3, 3, 0, 4]])
    >>> table = contingency_table(t, p)
    >>> table
    ContingencyTable(n_true=2, n_pred=2, overlapping_pairs=2)
    >>> table.iou.tolist()  # object 1 with 3: 2/3; object 2 with 4: 1/2
    [0.6666666666666666, 0.5]
    >>> seg_score(table=table), match_objects(table=table).tp
    (0.3333333333333333, 2)
    """
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
    return ContingencyTable(area_t, area_p, keys // width, keys % width,
                            inter.astype(np.int64), (st, lt), (sp, lp), tuple(t.shape))


def _table(true_labels, pred_labels, table):
    """The table given, or computed from the labels; exactly one of the two."""
    if table is not None:
        if true_labels is not None or pred_labels is not None:
            raise ValueError("pass either `true_labels` and `pred_labels` or `table`, not both")
        if not isinstance(table, ContingencyTable):
            raise TypeError(f"`table` must be a ContingencyTable (from "
                            f"segkit.metrics.contingency_table), got {describe(table)}")
        return table
    if true_labels is None or pred_labels is None:
        raise TypeError("`true_labels` and `pred_labels` are required (or pass `table`)")
    return contingency_table(true_labels, pred_labels)


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


def seg_score(true_labels=None, pred_labels=None, *, area_weighted=False, table=None):
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
    return _seg_from(_table(true_labels, pred_labels, table), area_weighted)


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


def match_objects(true_labels=None, pred_labels=None, *, iou_threshold=0.5, table=None):
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
    return _matching_from(_table(true_labels, pred_labels, table), _iou_threshold(iou_threshold))


@dataclass(frozen=True)
class AveragePrecision:
    """Average precision of an instance segmentation, with the definition it follows.

    Attributes
    ----------
    definition : str
        ``"stardist"`` or ``"bpartis"`` (see `average_precision`).
    ap, ap50, ap75 : float
        The average precision and the values at IoU 0.50 and 0.75.
    thresholds, per_threshold : ndarray
        The IoU thresholds and the score at each (``TP / (TP + FP + FN)`` for
        ``"stardist"``; the precision ``TP / (TP + FP)`` for ``"bpartis"``, averaged over the
        images).
    per_image : ndarray or None
        ``"bpartis"``: the AP of every image (slice) before the mean.
    """

    definition: str
    ap: float
    ap50: float
    ap75: float
    thresholds: np.ndarray = field(repr=False)
    per_threshold: np.ndarray = field(repr=False)
    per_image: object = field(default=None, repr=False)

    def as_dict(self):
        """``{"AP": ..., "AP50": ..., "AP75": ...}`` plus ``"AP@0.55"``-style entries."""
        out = {"AP": self.ap, "AP50": self.ap50, "AP75": self.ap75}
        out.update({f"AP@{t:.2f}": float(v) for t, v in zip(self.thresholds, self.per_threshold)})
        return out


_DEFINITIONS = ("stardist", "bpartis")
BPARTIS_THRESHOLDS = np.round(np.linspace(0.0, 0.95, 20), 3)  # eval.py L101-103


def average_precision(true_labels=None, pred_labels=None, *, definition, thresholds=None,
                      table=None):
    """Average precision of an instance segmentation, as a named paper defines it.

    There is no default: the two definitions learners meet give different numbers for the
    same segmentation, and a number compared with a paper must follow that paper.

    ``definition="stardist"`` (StarDist, Schmidt et al. 2018; Cellpose, Stringer et al.
    2021; the 2018 Data Science Bowl): at each IoU threshold ``t`` (default 0.50, 0.55, ...,
    0.95) the objects are matched one to one at ``IoU >= t`` (`match_objects`) and
    ``AP(t) = TP / (TP + FP + FN)``; AP is the mean over the thresholds, AP50 and AP75 the
    values at 0.5 and 0.75. The objects of every slice of a stack are pooled. With no object
    on either side every value is 1.0.

    ``definition="bpartis"`` (Yildirim & Cole 2021, the code they published with the paper,
    ``by256/bpartis``, ``bpartis/utils/eval.py`` at commit 9754e10, unchanged since
    c19ed83 "final fix ap metrics", 27 Sep 2020): for each image, at 20 thresholds
    ``t = 0.00, 0.05, ..., 0.95`` a pair matches when ``IoU > t`` (strictly); a true object
    with a match is a TP (several predictions may match it: all but one are FPs), a
    prediction without a match is an FP, a true object without one an FN. Precision
    ``TP / (TP + FP)`` and recall ``TP / (TP + FN)`` trace a curve; precision is made
    monotonic (the best precision at any looser threshold) and AP is the trapezoid area under
    precision against recall, as the paper's text says ("a precision-recall curve ... the area
    under this curve"). AP50 and AP75 are the *precision* at 0.5 and 0.75. Every value is
    computed per image (slice) and then averaged over the images. The code's special cases
    are kept: AP is 1.0 when every recall and precision rounds to 1 in float16, and the
    trapezoid area is 0 when recall does not change with the threshold (a perfect
    segmentation with one extra false detection scores AP 0 - a quirk of the published
    code). An image with no object on either side scores 1.0 (the code cannot score it).

    Issue note: an earlier version of that file (22 Sep 2020) averaged ``TP / (TP + FP)``
    over IoU 0.50:0.05:0.95; Table 1 of the paper (AP above AP50 for two methods) cannot come
    from it, so segkit follows the final code.

    Parameters
    ----------
    true_labels, pred_labels : int ndarrays
        As in `seg_score`.
    definition : {"stardist", "bpartis"}
    thresholds : 1-D array_like of float in (0, 1], optional
        ``"stardist"`` only.
    table : ContingencyTable, optional
        Instead of the labels (`contingency_table`).

    Returns
    -------
    AveragePrecision

    Examples
    --------
    >>> t = np.array([[1, 1, 1, 0, 2, 2, 0, 0, 0]])
    >>> p = np.array([[1, 1, 0, 0, 2, 2, 0, 3, 3]])  # IoUs 2/3 and 1, and a false detection
    >>> r = average_precision(t, p, definition="stardist")
    >>> round(r.ap, 4), round(r.ap50, 4), r.ap75  # 5 thresholds at 2/3, 5 at 1/3 (1/4 at 0.75)
    (0.4167, 0.6667, 0.25)
    >>> b = average_precision(t, p, definition="bpartis")
    >>> round(b.ap, 4), round(b.ap50, 4), round(b.ap75, 4)
    (0.3333, 0.6667, 0.3333)
    """
    from .._validate import check_choice

    check_choice(definition, "definition", _DEFINITIONS)
    ov = _table(true_labels, pred_labels, table)
    if definition == "bpartis":
        if thresholds is not None:
            raise ValueError("`thresholds` are fixed by the BPartIS code (0.00, 0.05, ..., "
                             "0.95); pass them only with definition='stardist'")
        return _bpartis(ov)
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
    return AveragePrecision("stardist", mean, _matching_from(ov, 0.5).accuracy,
                            _matching_from(ov, 0.75).accuracy, th, per)


def _slices(ov):
    """Per slice: (IoU of its overlapping pairs, their true and predicted object indices,
    the numbers of true and predicted objects), objects renumbered from 0 within the slice."""
    n = ov.shape[0] if ov.shape else 1
    st, sp = ov.ids_t[0], ov.ids_p[0]
    iou = (ov.inter / (ov.area_t[ov.pair_t] + ov.area_p[ov.pair_p] - ov.inter)).astype(
        np.float32)  # the BPartIS code divides float32 tensors
    slice_of_pair = st[ov.pair_t - 1] if ov.pair_t.size else np.zeros(0, np.int64)
    first_t = np.searchsorted(st, np.arange(n))
    first_p = np.searchsorted(sp, np.arange(n))
    for i in range(n):
        k = slice_of_pair == i
        yield (iou[k], ov.pair_t[k] - 1 - first_t[i], ov.pair_p[k] - 1 - first_p[i],
               int(np.count_nonzero(st == i)), int(np.count_nonzero(sp == i)))


def _bpartis_image(iou, pt, pp, n_t, n_p, eps=1e-12):
    """AP, AP50, AP75, mean IoU and the precision curve of one image, as eval.py computes."""
    if n_t == 0 and n_p == 0:
        return 1.0, 1.0, 1.0, 1.0, np.ones(BPARTIS_THRESHOLDS.size)
    precision, recall = [], []
    for t in BPARTIS_THRESHOLDS:
        match = iou > t
        k_t = np.bincount(pt[match], minlength=n_t)  # matches of every true object
        k_p = np.bincount(pp[match], minlength=n_p)
        tp = int(np.count_nonzero(k_t))
        fn = n_t - tp
        fp = int(np.sum(np.maximum(k_t - 1, 0))) + int(np.count_nonzero(k_p == 0))
        precision.append(tp / (tp + fp + eps))
        recall.append(tp / (tp + fn + eps))
    at = {round(float(t), 3): i for i, t in enumerate(BPARTIS_THRESHOLDS)}
    ap50, ap75 = precision[at[0.5]], precision[at[0.75]]
    # from the strictest threshold to the loosest; precision made the best at any looser t
    p = np.maximum.accumulate(np.array(precision))[::-1]
    r = np.array(recall)[::-1]
    p16, r16 = p.astype(np.float16), r.astype(np.float16)
    if np.all(r16 == 1.0) and np.all(p16 == 1.0):
        ap = 1.0
    elif np.all(r16 == np.mean(r)) and np.all(p16 == np.mean(p)):
        ap = float(np.mean(p))
    else:
        ap = float(np.sum((r[1:] - r[:-1]) * (p[1:] + p[:-1]) / 2))
    # mean IoU at t = 0.5: every prediction its best IoU if it matches (> 0.5), else 0
    best = np.zeros(n_p)
    m = iou > 0.5
    np.maximum.at(best, pp[m], iou[m].astype(np.float64))
    return ap, ap50, ap75, float(best.mean()) if n_p else 0.0, np.array(precision)


def _bpartis(ov):
    rows = [_bpartis_image(*sl) for sl in _slices(ov)]
    ap, ap50, ap75, _, curves = zip(*rows)
    return AveragePrecision("bpartis", float(np.mean(ap)), float(np.mean(ap50)),
                            float(np.mean(ap75)), BPARTIS_THRESHOLDS.copy(),
                            np.mean(np.stack(curves), axis=0), np.array(ap))


def mean_iou(true_labels=None, pred_labels=None, *, over, table=None):
    """Mean IoU of an instance segmentation, averaged over the reference or the predicted
    objects.

    ``over="reference"``: the mean over reference objects of the IoU with their
    best-overlapping predicted object (0 when nothing overlaps); no threshold and no
    one-to-one constraint, so a merged prediction can serve two references: the looser
    cousin of `seg_score` (``mean_iou >= seg_score``). Undefined (ValueError) without
    reference objects. Stacks are pooled.

    ``over="predicted"``: BPartIS's mean IoU (Yildirim & Cole 2021; ``eval.py``): the mean
    over *predicted* particles of their IoU with the reference they match at IoU > 0.5, and
    0 for a prediction that matches none; missed references do not count. Removing a false
    detection therefore *raises* it. Computed per image (slice) and averaged over the images,
    as the BPartIS code does; 0 for an image with no prediction.

    Parameters
    ----------
    true_labels, pred_labels : int ndarrays
        As in `seg_score`.
    over : {"reference", "predicted"}
    table : ContingencyTable, optional

    Returns
    -------
    float

    Examples
    --------
    >>> t = np.array([[1, 1, 1, 0, 2, 2, 0, 0, 0]])
    >>> p = np.array([[1, 1, 0, 0, 2, 2, 0, 3, 3]])  # IoUs 2/3 and 1, and a false detection
    >>> round(mean_iou(t, p, over="reference"), 4)  # (2/3 + 1) / 2
    0.8333
    >>> round(mean_iou(t, p, over="predicted"), 4)  # (2/3 + 1 + 0) / 3
    0.5556
    """
    from .._validate import check_choice

    check_choice(over, "over", ("reference", "predicted"))
    ov = _table(true_labels, pred_labels, table)
    if over == "predicted":
        return float(np.mean([_bpartis_image(*sl)[3] for sl in _slices(ov)]))
    if ov.n_true == 0:
        raise ValueError("`true_labels` contains no object: the mean IoU over reference "
                         "objects is undefined")
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


def object_report(true_labels=None, pred_labels=None, *, iou_threshold=0.5, table=None):
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
    ov = _table(true_labels, pred_labels, table)
    m = _matching_from(ov, _iou_threshold(iou_threshold))
    major_of_t = 2 * ov.inter > ov.area_t[ov.pair_t]  # S holds more than half of R
    major_of_p = 2 * ov.inter > ov.area_p[ov.pair_p]  # R holds more than half of S
    merges = int(np.count_nonzero(np.bincount(ov.pair_p[major_of_t], minlength=1) >= 2))
    splits = int(np.count_nonzero(np.bincount(ov.pair_t[major_of_p], minlength=1) >= 2))
    seg = _seg_from(ov, False) if ov.n_true else math.nan
    ap50 = m.accuracy if m.iou_threshold == 0.5 else _matching_from(ov, 0.5).accuracy
    return ObjectReport(m.iou_threshold, m.n_true, m.n_pred, m.tp, m.fn, m.fp, merges, splits,
                        m.precision, m.recall, m.f1, m.mean_matched_iou, seg, ap50)


# ============================================================================ notebook 08
# Every object score of one comparison in one row, for a stack or for a list of images of
# different sizes (real data such as EMPS). Added for notebook 08 (issues 13 and 18).

def _label_list(x, name):
    """A list of 2-D label images (real data of varying size), checked but not converted (a
    list of large images is converted one image at a time), or None for an array."""
    if not (isinstance(x, (list, tuple)) and x and all(isinstance(i, np.ndarray) for i in x)):
        return None
    for i, item in enumerate(x):
        if item.ndim != 2 and not (item.ndim == 3 and item.shape[-1] == 1):
            raise ValueError(f"`{name}[{i}]` must be one 2-D label image in a list of images, "
                             f"got {describe(item)}")
    return list(x)


def instance_scores(true_labels, pred_labels, *, definition, iou_threshold=0.5):
    """Every object score of an instance segmentation, in one row (a dict).

    One call gives what a table of instance pipelines reports: the average precision, AP50,
    AP75 and mean IoU as `definition` defines them (`average_precision`, `mean_iou`),
    precision, recall and F1 of the one-to-one matching at `iou_threshold`
    (`match_objects`), SEG (`seg_score`), and the merges and splits of `object_report`.

    Images of different sizes (real data) are passed as lists, and score as a stack of the
    same images would: with ``definition="bpartis"`` AP, AP50, AP75 and mean IoU are computed
    per image and averaged over the images (as BPartIS's code does); every other value pools
    the objects of all images (counts are summed, SEG and the StarDist AP are means over all
    objects).

    Parameters
    ----------
    true_labels, pred_labels : int ndarrays as in `seg_score`, or lists of (H, W) ones
        Pairwise of the same shape (a stack ``(N, H, W)`` also pairs with a list of N
        images).
    definition : {"stardist", "bpartis"}
        Of AP, AP50, AP75 (`average_precision`) and of the mean IoU: over the reference
        objects for ``"stardist"``, over the predicted ones for ``"bpartis"`` (`mean_iou`).
    iou_threshold : float
        Of the matching behind precision, recall, F1 (and of merges and splits: none).

    Returns
    -------
    dict
        ``ap``, ``ap50``, ``ap75``, ``mean_iou``, ``precision``, ``recall``, ``f1``, ``seg``
        (NaN without reference objects), ``merges``, ``splits``, ``n_true``, ``n_pred``.
        ``pandas.DataFrame([instance_scores(...), ...])`` makes a table of several.

    Examples
    --------
    >>> t = np.array([[1, 1, 1, 0, 2, 2, 0, 0, 0]])
    >>> p = np.array([[1, 1, 0, 0, 2, 2, 0, 3, 3]])  # IoUs 2/3 and 1, and a false detection
    >>> s = instance_scores(t, p, definition="bpartis")
    >>> [round(s[k], 4) for k in ("ap", "ap50", "ap75", "mean_iou", "precision", "recall")]
    [0.3333, 0.6667, 0.3333, 0.5556, 0.6667, 1.0]
    >>> listed = instance_scores([t, t[:, :6]], [p, p[:, :6]], definition="bpartis")
    >>> listed["n_true"], listed["n_pred"], round(listed["ap"], 4)  # AP: (1/3 + 1/2) / 2
    (4, 5, 0.4167)
    """
    from .._validate import check_choice

    check_choice(definition, "definition", _DEFINITIONS)
    iou_threshold = _iou_threshold(iou_threshold)
    tl = _label_list(true_labels, "true_labels")
    pl = _label_list(pred_labels, "pred_labels")
    if (tl is None) != (pl is None):  # a stack pairs with a list of as many 2-D images
        name, arr = ("true_labels", true_labels) if tl is None else ("pred_labels", pred_labels)
        stack = _as_labels(arr, name)
        if np.ndim(arr) not in (3, 4):
            raise TypeError("`true_labels` and `pred_labels` must both be arrays, both be "
                            "lists of 2-D label images, or a stack and a list of its images")
        tl, pl = (list(stack), pl) if tl is None else (tl, list(stack))
    if tl is None:
        return _scores_from([contingency_table(true_labels, pred_labels)], definition,
                            iou_threshold)
    if len(tl) != len(pl) or not tl:
        raise ValueError(f"`pred_labels` has {len(pl)} images and `true_labels` {len(tl)}; "
                         "they must pair up (and not be empty)")
    for i, (a, b) in enumerate(zip(tl, pl)):
        if a.shape[:2] != b.shape[:2]:
            raise ValueError(f"`pred_labels[{i}]` (shape {b.shape[:2]}) must have the same shape "
                             f"as `true_labels[{i}]` (shape {a.shape[:2]})")
    tables = (contingency_table(_as_labels(a, f"true_labels[{i}]"),
                                _as_labels(b, f"pred_labels[{i}]"))
              for i, (a, b) in enumerate(zip(tl, pl)))  # one image at a time: memory
    return _scores_from(tables, definition, iou_threshold)


def _scores_from(tables, definition, iou_threshold):
    """`instance_scores` from the contingency tables of one stack or of each listed image,
    consumed one at a time."""
    n_true = n_pred = tp = merges = splits = 0
    seg_sum = 0.0
    rows, best, acc = [], [], None
    for t in tables:
        n_true += t.n_true
        n_pred += t.n_pred
        if definition == "bpartis":
            rows += [_bpartis_image(*sl) for sl in _slices(t)]
        else:
            ms = [_matching_from(t, float(v)) for v in AP_THRESHOLDS]
            counts = np.array([(m.tp, m.tp + m.fp + m.fn) for m in ms])
            acc = counts if acc is None else acc + counts
            best.append(_best_iou(t))
        tp += _matching_from(t, iou_threshold).tp
        if t.n_true:
            seg_sum += _seg_from(t, False) * t.n_true
        m, s = _merges_splits(t)
        merges, splits = merges + m, splits + s
    if definition == "bpartis":
        ap, ap50, ap75, miou = (float(np.mean([r[k] for r in rows])) for k in range(4))
    else:
        fr = [Fraction(int(a), int(d)) if d else Fraction(1) for a, d in acc]
        at = {round(float(v), 2): float(f) for v, f in zip(AP_THRESHOLDS, fr)}
        ap, ap50, ap75 = float(sum(fr) / len(fr)), at[0.5], at[0.75]
        miou = float(np.concatenate(best).mean()) if n_true else math.nan
    return {
        "ap": ap, "ap50": ap50, "ap75": ap75, "mean_iou": miou,
        "precision": _ratio(tp, n_pred, 1.0), "recall": _ratio(tp, n_true, 1.0),
        "f1": _ratio(2 * tp, n_true + n_pred, 1.0),
        "seg": float(seg_sum / n_true) if n_true else math.nan,
        "merges": merges, "splits": splits, "n_true": n_true, "n_pred": n_pred,
    }


def _best_iou(ov):
    """Best IoU of every reference object with any predicted one (0 when none overlaps)."""
    best = np.zeros(ov.n_true + 1)
    np.maximum.at(best, ov.pair_t, ov.iou)
    return best[1:]


def _merges_splits(ov):
    """(merges, splits) as `object_report` counts them."""
    major_of_t = 2 * ov.inter > ov.area_t[ov.pair_t]
    major_of_p = 2 * ov.inter > ov.area_p[ov.pair_p]
    merges = int(np.count_nonzero(np.bincount(ov.pair_p[major_of_t], minlength=1) >= 2))
    splits = int(np.count_nonzero(np.bincount(ov.pair_t[major_of_p], minlength=1) >= 2))
    return merges, splits

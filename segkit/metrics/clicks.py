"""Scores of weak labels grown from clicks: each click's region against the object it was for.

Introduced in notebook 03 (weak labels from clicks); notebook 10 scores your own annotation
with it. Weak labels number their regions after the clicks (``i + 1`` for ``points[i]``,
`segkit.weak`), so each region can be compared with the one true object its click was made
for, without any matching. Two views:

- **per click**: Dice of the region against that object, and Cohen's kappa inside the
  object's bounding box plus a margin (kappa over the whole image would be dominated by the
  background); a click without a region scores 0 on both;
- **per image**: foreground (any object) against foreground, every pixel counted, Dice and
  kappa of each slice.

A leak shows in the per-click scores (the leaked region is too large for its object and the
neighbour it ran into has no region of its own), hardly in the per-image ones: a leaked
region still covers cells, just the wrong ones.
"""

from dataclasses import dataclass

import numpy as np

from .._validate import check_finite, check_int, check_numeric, describe
from ._common import _as_labels
from .pixel import Confusion, confusion

__all__ = ["click_scores"]


@dataclass(frozen=True)
class ClickScores:
    """What `click_scores` returns: one table per click, one per image, and their means.

    Attributes
    ----------
    per_click : pandas.DataFrame
        One row per click, in click order: ``z``, ``row``, ``col`` (the click), ``true_id``
        (the object it was made for), ``true_area`` and ``region_area`` (pixels), ``dice``
        and ``kappa`` (inside the object's box plus the margin).
    per_image : pandas.DataFrame
        One row per slice: ``image``, ``dice``, ``kappa`` of foreground against foreground.
    """

    per_click: object
    per_image: object

    def summary(self):
        """The means as a dict: ``clicks``, ``lost`` (clicks without a region),
        ``dice_per_click``, ``kappa_per_click``, ``dice_per_image``, ``kappa_per_image``."""
        c, i = self.per_click, self.per_image
        return {"clicks": len(c), "lost": int((c["region_area"] == 0).sum()),
                "dice_per_click": float(c["dice"].mean()) if len(c) else float("nan"),
                "kappa_per_click": float(c["kappa"].mean()) if len(c) else float("nan"),
                "dice_per_image": float(i["dice"].mean()),
                "kappa_per_image": float(i["kappa"].mean())}

    def __str__(self):
        s = self.summary()
        return (f"per click: Dice {s['dice_per_click']:.3f}, kappa {s['kappa_per_click']:.3f} "
                f"({s['lost']} of {s['clicks']} clicks without a region) | per image: "
                f"Dice {s['dice_per_image']:.3f}, kappa {s['kappa_per_image']:.3f}")

    def __repr__(self):
        return f"<ClickScores {self}>"


def _points(points, shape, single):
    """Clicks as (P, 3) int64 (z, row, col), checked against the label stack `shape`."""
    arr = check_numeric(np.asarray(points), "points")
    ncol = 2 if single else 3
    if arr.size == 0:
        return np.zeros((0, 3), np.int64)
    if arr.ndim == 1 and arr.size == ncol:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != ncol:
        layout = "(row, col) for one image" if single else "(z, row, col) for a stack"
        raise ValueError(f"`points` must be (P, {ncol}): {layout}, got {describe(arr)}")
    check_finite(arr, "points")
    if (arr != np.round(arr)).any():
        raise ValueError("`points` must hold whole pixel coordinates (round them first)")
    pts = arr.astype(np.int64)
    if single:
        pts = np.column_stack([np.zeros(len(pts), np.int64), pts])
    bad = ((pts < 0) | (pts >= np.asarray(shape))).any(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        shown = tuple(shape[1:]) if single else tuple(shape)
        raise ValueError(f"point {i} {tuple(int(v) for v in arr[i])} is outside the labels "
                         f"of shape {shown}")
    return pts


def click_scores(true_labels, pred_labels, points, *, ids=None, margin=8):
    """Score weak labels click by click and image by image against the true labels.

    Parameters
    ----------
    true_labels : (M, N), (K, M, N) or (K, M, N, 1) array of int
        The true objects (0 background), numbered per slice.
    pred_labels : array of int, shaped like `true_labels`
        Weak labels as `segkit.weak` numbers them: ``i + 1`` on the region of
        ``points[i]``, 0 elsewhere.
    points : (P, 2) or (P, 3) array_like of int
        The clicks, ``(row, col)`` for one image, ``(z, row, col)`` for a stack.
    ids : (P,) array_like of int, optional
        The true object each click was made for (``click_points(..., return_ids=True)``);
        needed when a click may miss its object (jitter). None takes the object under each
        click; a click on the background is then an error.
    margin : int
        Pixels added around each object's bounding box for its kappa.

    Returns
    -------
    ClickScores
        ``per_click`` and ``per_image`` tables (pandas), ``summary()`` for the means;
        printing it gives one line.

    Examples
    --------
    Two objects on a background, one column apart; the region of the first click covers
    its object, the gap and one column of the second object, whose click got no region:

    >>> true = np.zeros((6, 11), int); true[1:5, 1:5] = 1; true[1:5, 6:10] = 2
    >>> weak = np.zeros((6, 11), int); weak[1:5, 1:7] = 1
    >>> s = click_scores(true, weak, [(2, 2), (2, 8)])
    >>> s.per_click[["true_id", "region_area", "dice", "kappa"]].round(3).values.tolist()
    [[1.0, 24.0, 0.8, 0.718], [2.0, 0.0, 0.0, 0.0]]
    >>> print(s)
    per click: Dice 0.400, kappa 0.359 (1 of 2 clicks without a region) | per image: Dice 0.714, kappa 0.511
    """
    import pandas as pd

    true = _as_labels(true_labels, "true_labels")
    pred = _as_labels(pred_labels, "pred_labels")
    if true.shape != pred.shape:
        raise ValueError(f"`pred_labels` (shape {pred.shape}) must have the same shape as "
                         f"`true_labels` (shape {true.shape})")
    single = np.ndim(true_labels) == 2
    margin = check_int(margin, "margin", minimum=0)
    pts = _points(points, true.shape, single)
    n_pts = len(pts)
    if ids is None:
        ids = true[pts[:, 0], pts[:, 1], pts[:, 2]]
        if (ids == 0).any():
            i = int(np.argmax(ids == 0))
            shown = tuple(int(v) for v in (pts[i, 1:] if single else pts[i]))
            raise ValueError(f"point {i} {shown} is on the background of `true_labels`; "
                             "pass `ids` (the object each click was made for, e.g. from "
                             "click_points(..., return_ids=True))")
    else:
        ids = check_numeric(np.asarray(ids), "ids")
        if ids.shape != (n_pts,) or (ids.size and (ids != np.round(ids)).any()):
            raise ValueError(f"`ids` must be one whole number per point ({n_pts}), got "
                             f"{describe(ids)}")
        ids = ids.astype(np.int64)
        if ids.size and ((ids < 1) | (ids > true.max())).any():
            i = int(np.argmax((ids < 1) | (ids > true.max())))
            raise ValueError(f"`ids[{i}]` = {ids[i]} is not an object of `true_labels` "
                             f"(1 to {int(true.max())})")
    if pred.max() > n_pts:
        raise ValueError(f"`pred_labels` has label {int(pred.max())} but there are only "
                         f"{n_pts} points: weak labels number their regions after the clicks "
                         "(i + 1 for points[i])")

    region_area = np.bincount(pred.ravel(), minlength=n_pts + 1)[1:]
    true_area = np.zeros(n_pts, np.int64)
    inter = np.zeros(n_pts, np.int64)
    kappa = np.zeros(n_pts)
    h, w = true.shape[1:]
    for z, (t, p) in enumerate(zip(true, pred)):
        # overlap of each region with the object its click was made for, on the click's slice
        lab = p[p > 0]
        hit = (t[p > 0] == ids[lab - 1]) & (pts[lab - 1, 0] == z)
        inter += np.bincount(lab[hit], minlength=n_pts + 1)[1:]
        on = np.flatnonzero(pts[:, 0] == z)
        if on.size == 0:
            continue
        true_area[on] = np.bincount(t.ravel(), minlength=int(ids[on].max()) + 1)[ids[on]]
        boxes = _boxes(t)
        for k in on:
            box = boxes.get(int(ids[k]))
            if box is None:  # the object is not on this slice: nothing to agree on
                continue
            r0, r1, c0, c1 = box
            win = (slice(max(r0 - margin, 0), min(r1 + margin, h)),
                   slice(max(c0 - margin, 0), min(c1 + margin, w)))
            a, b = t[win] == ids[k], p[win] == k + 1
            tp = int((a & b).sum())
            fp = int((~a & b).sum())
            fn = int((a & ~b).sum())
            kappa[k] = Confusion(tp, fp, fn, a.size - tp - fp - fn).cohen_kappa()
    denom = true_area + region_area
    dice = np.divide(2 * inter, denom, out=np.zeros(n_pts), where=denom > 0)
    per_click = pd.DataFrame({"z": pts[:, 0], "row": pts[:, 1], "col": pts[:, 2],
                              "true_id": ids, "true_area": true_area,
                              "region_area": region_area, "dice": dice, "kappa": kappa})
    c = confusion(true > 0, pred > 0, per_image=True)
    per_image = pd.DataFrame({"image": np.arange(len(true)),
                              "dice": np.atleast_1d(c.dice()),
                              "kappa": np.atleast_1d(c.cohen_kappa())})
    return ClickScores(per_click, per_image)


def _boxes(labels):
    """Bounding box ``(r0, r1, c0, c1)`` of each object of a 2-D label image, by label."""
    from scipy import ndimage as ndi

    out = {}
    for i, sl in enumerate(ndi.find_objects(labels), start=1):
        if sl is not None:
            out[i] = (sl[0].start, sl[0].stop, sl[1].start, sl[1].stop)
    return out

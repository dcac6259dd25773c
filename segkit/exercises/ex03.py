"""Exercises of notebook 03 (weak labels from clicks): closing, thresholds, a recipe, a claim.

In the notebook::

    from segkit.exercises import ex03 as check

    check.ex03_1(prediction)      # prints what is right, what is wrong and why
    check.ex03_1.hint()           # graded hints, one per call
    check.ex03_1.solution()       # a reference solution, only when asked

| exercise | kind | minutes |
|---|---|---|
| `ex03_1` the paper's closing against a straight gap | predict-then-run | 5 |
| `ex03_2` a growth threshold that works, and one that leaks | change-and-observe | 10 |
| `ex03_3` a weak-label recipe for a new image | write-a-function | 15 |
| `ex03_4` is region growing "much less parameter sensitive"? | test-a-claim | 15 |

The claim of ex03_4 is Nyawira & Bushman's, "A Simplified Approach to Deep Learning for
Image Segmentation", PEARC '18, §3.1, doi:10.1145/3219104.3229286.
"""

import warnings

import numpy as np

from .. import metrics, synthetic, weak
from .._validate import check_choice, check_real
from ._core import (FAILED, NOT_WRITTEN, as_function, as_mapping, call, close,
                    exercise)

__all__ = ["ex03_1", "ex03_2", "ex03_3", "ex03_4"]


def _quiet(fn, *args, **kwargs):
    """Run a filler without its warnings (a checker judges the labels, not the messages)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# ============================================================================ 3.1
_GAP_KEYS = ("closing r=1", "closing r=8", "dilation r=1", "dilation r=2")


def gap_image(gap=3):
    """A bright 41 x 41 image cut in two by a one-pixel dark line with a straight gap.

    The line is row 20; the gap is `gap` pixels wide in its middle. Clicks at (10, 20)
    above and (30, 20) below the line get two regions only if step 3 shut the gap.
    """
    img = np.full((41, 41), 200, np.uint8)
    img[20, :] = 20
    img[20, 20 - gap // 2: 20 - gap // 2 + gap] = 200
    return img


def _gap_closed(how, radius, gap=3):
    """Whether the flood fill from both sides of `gap_image` gives two regions."""
    lab = _quiet(weak.flood_fill_labels, gap_image(gap), [(10, 20), (30, 20)], sigma=0,
                 threshold=0.5, closing_radius=radius, gap_closing=how)
    return bool((lab == 1).any() and (lab == 2).any())


@exercise(
    title="The paper's closing against a straight gap",
    kind="predict-then-run", minutes=5,
    hints=(
        "A dilation by a disk of radius r grows each end of the line by r pixels: two ends "
        "3 pixels apart meet when 2 r >= 3.",
        "A closing is that dilation followed by an erosion with the same disk. The erosion "
        "keeps a pixel only if the whole disk centred on it lies in the dilated line.",
        "Centre the disk on the middle of the gap after the dilation: above and below the "
        "line it reaches pixels the dilation never covered (the line is one pixel thin, the "
        "bridge only r pixels thick), so the erosion removes the bridge again, whatever r.",
    ),
    solution='''
        prediction = {
            "closing r=1": False,   # the erosion re-opens the gap the dilation shut
            "closing r=8": False,   # ... whatever the radius: the line is one pixel thin
            "dilation r=1": False,  # the ends grow by 1 pixel each: 2 < 3
            "dilation r=2": True,   # 4 >= 3: the gap is shut (and the line is now 5 wide)
        }
    ''')
def ex03_1(fb, prediction):
    """Predict, then run: which step 3 shuts a straight gap in a one-pixel membrane?

    A one-pixel dark membrane crosses a bright image with a straight gap of 3 pixels in its
    middle (`check.gap_image()`). Step 3 of the flood fill closes the skeleton with a disk:
    a morphological closing (the paper's wording) or a dilation (segkit's option). Before
    running anything, predict for each of ``"closing r=1"``, ``"closing r=8"``,
    ``"dilation r=1"`` and ``"dilation r=2"`` whether the gap ends up shut (True) or open
    (False), and pass them as a dict.
    """
    answer = as_mapping(prediction, "prediction", _GAP_KEYS)
    for key in _GAP_KEYS:
        if not isinstance(answer[key], (bool, np.bool_)):
            raise TypeError(f'`prediction["{key}"]` must be True (shut) or False (open), '
                            f"got {answer[key]!r}")
    for key in _GAP_KEYS:
        how, r = key.split(" r=")
        shut = _gap_closed(how, int(r))
        if bool(answer[key]) == shut:
            why = {"closing": "the erosion takes the bridge away again",
                   "dilation": ("each end grows by the radius" if shut else
                                "each end grows by 1 pixel: 2 pixels of growth for a "
                                "3-pixel gap")}[how]
            fb.right(key, why)
        elif how == "closing":
            fb.wrong(key, "a closing is a dilation followed by an erosion with the same disk; "
                          "ask whether the disk, centred in the gap, fits inside the dilated "
                          "line once the line is only one pixel thin")
        else:
            fb.wrong(key, "a dilation by a disk of radius r moves each line end r pixels "
                          "towards the other: compare 2 r with the gap of 3 pixels")
    if fb.passed:
        fb.note("run it: weak.flood_fill_steps(check.gap_image(), [(10, 20), (30, 20)], "
                "sigma=0, closing_radius=8) leaves the gap open; with gap_closing='dilation' "
                "the two clicks get two regions. A closing does bridge gaps where lines meet "
                "at an angle (corners, junctions).")


# ============================================================================ 3.2
def _cells():
    """The notebook's first two synthetic images (its default parameters) and their clicks."""
    images, labels, _ = synthetic.make_cells(2, (256, 256), seed=0, n_cells=40)
    pts, ids = weak.click_points(labels, return_ids=True)
    return images, labels, pts, ids


def _grow_report(threshold):
    images, labels, pts, ids = _cells()
    grown = _quiet(weak.region_grow, images, pts, threshold=threshold)
    s = metrics.click_scores(labels, grown, pts, ids=ids)
    c = s.per_click
    spilled = float((c["region_area"] > 1.5 * c["true_area"]).mean())
    short = float((c["region_area"] < 0.7 * c["true_area"]).mean())
    return s.summary()["dice_per_click"], spilled, short


def _fraction_or_hint(fb, value, name):
    """`value` as a threshold fraction, or None after recording a hint about the unit."""
    v = check_real(value, name)
    if v > 1:
        fb.wrong(name, f"{v:g} looks like grey levels: thresholds are fractions of the "
                       f"image's intensity range (0 to 1); {v:g} grey levels of an 8-bit image "
                       f"spanning 0 to 255 is {v / 255:.3f}")
        return None
    if v <= 0:
        fb.wrong(name, "a growth threshold of 0 or less lets no neighbour in: the regions "
                       "stay single pixels")
        return None
    return v


@exercise(
    title="A growth threshold that works, and one that leaks",
    kind="change-and-observe", minutes=10,
    hints=(
        "Run `weak.region_grow(images, points, threshold=t)` for a few values of t between "
        "0.05 and 0.6 (section 7 does it for you) and print `metrics.click_scores` of each.",
        "Too low: a region stops as soon as the noise inside the cell exceeds t (regions "
        "smaller than their cells). Too high: the membrane is within t of the cell's mean, "
        "so the region crosses it into the neighbours.",
        "The membranes of these cells are about 100 grey levels darker than the cells, the "
        "noise about 12 (in an image spanning roughly 0 to 255): a good t lies between, a "
        "leaking one above the membrane's contrast.",
    ),
    solution='''
        good = 0.2    # per-click Dice above 0.9 in the sweep of section 7
        leaky = 0.5   # above the membranes' contrast: regions run into the neighbours
    ''')
def ex03_2(fb, good, leaky):
    """Change and observe: a growth threshold that works, and one that leaks.

    On the notebook's synthetic cells, find a growth threshold for `weak.region_grow` whose
    regions match their cells (mean per-click Dice of at least 0.9), and one at which the
    regions leak across the membranes (at least a fifth of the regions larger than 1.5
    times their cell). Both are fractions of the image's intensity range. The checker runs
    them on the notebook's first two images at its default settings.
    """
    g = _fraction_or_hint(fb, good, "good")
    if g is not None:
        dice, spilled, short = _grow_report(g)
        if dice >= 0.9:
            fb.right("good", f"per-click Dice {dice:.3f}")
        elif short > spilled:
            fb.wrong("good", f"per-click Dice {dice:.3f}: {short:.0%} of the regions are "
                             "smaller than 0.7 of their cell; the regions stop early, raise "
                             "the threshold")
        else:
            fb.wrong("good", f"per-click Dice {dice:.3f}: {spilled:.0%} of the regions spill "
                             "over 1.5 times their cell; lower the threshold")
    lk = _fraction_or_hint(fb, leaky, "leaky")
    if lk is not None:
        dice, spilled, short = _grow_report(lk)
        if spilled >= 0.2:
            fb.right("leaky", f"{spilled:.0%} of the regions spill over 1.5 times their cell")
        elif short > 0.2:
            fb.wrong("leaky", f"only {spilled:.0%} of the regions spill; {short:.0%} stop "
                              "early: that threshold is too low to leak, go well above the "
                              "one that works")
        else:
            fb.wrong("leaky", f"only {spilled:.0%} of the regions spill over 1.5 times their "
                              "cell: the membranes still stop them; raise the threshold "
                              "above the membranes' contrast")
    if fb.passed:
        fb.note("between the two lies the useful range; section 7 measures how wide it is "
                "for each filler.")


# ============================================================================ 3.3
def _particles():
    """Hidden test images: bright touching particles on a dark background, with clicks."""
    images, labels = synthetic.make_touching_particles(2, (128, 128), seed=11, n_particles=12)
    pts, ids = weak.click_points(labels, return_ids=True)
    return images, labels, pts, ids


def _my_recipe(image, points):
    # touching particles meet without a dark gap: a flood fill would cover two at once, and
    # the second click would fall in the region already filled. Region growing gives each
    # click its own region; the particles are homogeneous, so a mean-based rule suits them.
    return weak.region_grow(image, points, threshold=0.25)


@exercise(
    title="A weak-label recipe for a new image",
    kind="write-a-function", minutes=15,
    hints=(
        "Look at the new images first: `images, labels = synthetic.make_touching_particles("
        "2, (128, 128), seed=11, n_particles=12)`. Where do the particles touch, and is "
        "there a dark border between touching ones?",
        "With no dark gap between touching particles, a flood fill covers both: the second "
        "click falls in a region already filled. Which filler gives every click its own "
        "region?",
        "`weak.region_grow(image, points, threshold=t)`: the particles are bright and "
        "homogeneous on a dark background; try t between 0.15 and 0.35 and score each with "
        "`metrics.click_scores`.",
    ),
    solution=_my_recipe)
def ex03_3(fb, my_recipe):
    """Write a function: a weak-label recipe for a new kind of image.

    Bright round particles on a dark background, many of them touching
    (`segkit.synthetic.make_touching_particles`). Write ``my_recipe(image, points)`` that
    takes a stack ``(N, H, W)`` and clicks ``(P, 3)`` ``(z, row, col)`` and returns weak
    labels numbered as `segkit.weak` numbers them (``i + 1`` on the region of
    ``points[i]``), using the fillers of this notebook. The checker runs it on hidden images
    of that kind, one click per particle, and wants a mean per-click Dice of at least 0.85
    with at most 10 % of the clicks without a region.
    """
    fn = as_function(my_recipe, "my_recipe", "(image, points)")
    images, labels, pts, ids = _particles()
    what = "weak labels of the hidden particles"
    got = call(fb, fn, "my_recipe", (images.copy(), pts.copy()), what)
    if got is NOT_WRITTEN or got is FAILED:
        return
    out = np.asarray(got)
    if out.shape != labels.shape:
        fb.wrong(what, f"return one label image per slice, shape {labels.shape} (the shape "
                       f"of `image`), not {out.shape}")
        return
    if out.dtype == bool or (out.dtype.kind in "ui" and out.max() <= 1 and len(pts) > 1):
        fb.wrong(what, "that is a mask; return the labels, i + 1 on the region of points[i], "
                       "so that each click's region can be scored against its own particle")
        return
    if out.dtype.kind not in "iu":
        fb.wrong(what, f"return integer labels, not {out.dtype}")
        return
    if out.max() > len(pts) or out.min() < 0:
        fb.wrong(what, f"labels must run from 0 to {len(pts)} (one per click); yours run from "
                       f"{out.min()} to {out.max()}")
        return
    present = np.unique(out[out > 0])  # each region must hold the click it is named after
    own = out[pts[present - 1, 0], pts[present - 1, 1], pts[present - 1, 2]] == present
    if present.size and own.mean() < 0.9:
        fb.wrong("numbering", "the region under click i must carry label i + 1 (as segkit's "
                              "fillers number them); did you relabel, e.g. with "
                              "connected components?")
        return
    fb.right("numbering", "the region labelled i + 1 holds click i")
    s = metrics.click_scores(labels, out, pts, ids=ids)
    summ = s.summary()
    lost = summ["lost"] / summ["clicks"]
    if lost > 0.1:
        fb.wrong("clicks without a region", f"{summ['lost']} of {summ['clicks']}: touching "
                 "particles have no dark gap between them, so a flood fill covers two at "
                 "once and the second click falls in the region already filled; use a "
                 "filler that gives every click its own region")
        return
    fb.right("clicks without a region", f"{summ['lost']} of {summ['clicks']}")
    c = s.per_click
    if summ["dice_per_click"] >= 0.85:
        fb.right("per-click Dice", f"{summ['dice_per_click']:.3f}")
    elif (c["region_area"] > 1.3 * c["true_area"]).mean() > 0.3:
        fb.wrong("per-click Dice", f"{summ['dice_per_click']:.3f}: the regions run into the "
                 "background; lower the growth threshold")
    else:
        fb.wrong("per-click Dice", f"{summ['dice_per_click']:.3f}: the regions stop inside "
                 "their particles; raise the growth threshold (or smooth with `sigma`)")


# ============================================================================ 3.4
_FILLERS = ("flood fill", "region growing")


def _plateau_widths(sweep, score, tolerance=0.05):
    """Per filler, the spread of the thresholds whose `score` is within `tolerance` of its
    best (largest minus smallest such threshold)."""
    out = {}
    for name in _FILLERS:
        rows = sweep[sweep["filler"] == name]
        near = rows[rows[score] >= rows[score].max() - tolerance]["threshold"]
        out[name] = float(near.max() - near.min())
    return out


@exercise(
    title='Is region growing "much less parameter sensitive"?',
    kind="test-a-claim", minutes=15,
    hints=(
        "Section 7's table `sweep` already has a row per filler and threshold, with the "
        "column `kappa_per_image` next to `dice_per_click`.",
        "For each filler: its best kappa, the thresholds whose kappa is within 0.05 of it, "
        "and their spread (largest minus smallest). pandas: "
        "`sweep[sweep.filler == name]`, `.max()`, boolean indexing.",
        "The claim holds on this data if region growing's spread is the wider one.",
    ),
    solution='''
        widths = {}
        for name in ("flood fill", "region growing"):
            rows = sweep[sweep.filler == name]
            near = rows[rows.kappa_per_image >= rows.kappa_per_image.max() - 0.05].threshold
            widths[name] = round(float(near.max() - near.min()), 3)
        verdict = "supported" if widths["region growing"] > widths["flood fill"] else "not supported"
        print(widths, verdict)
    ''')
def ex03_4(fb, sweep, widths, verdict):
    """Test a claim: is region growing "much less parameter sensitive" than the flood fill?

    Nyawira & Bushman (§3.1) write that region growing "is also much less parameter
    sensitive than the flood-fill method", without a measurement. Section 7 sweeps the
    threshold of each filler (both are fractions of the intensity range) and reads the claim
    on the per-click Dice. Read it again on another score: for each filler, the spread of
    the thresholds whose per-image kappa is within 0.05 of that filler's best kappa (largest
    minus smallest). Pass section 7's table `sweep`, your
    ``widths = {"flood fill": ..., "region growing": ...}`` and
    ``verdict = "supported"`` or ``"not supported"``.
    """
    import pandas as pd

    if not isinstance(sweep, pd.DataFrame):
        raise TypeError(f"`sweep` must be section 7's pandas DataFrame, got "
                        f"{type(sweep).__name__}")
    missing = [c for c in ("filler", "threshold", "kappa_per_image") if c not in sweep]
    if missing:
        raise ValueError(f"`sweep` misses the column(s) {missing}; pass section 7's table")
    absent = [f for f in _FILLERS if not (sweep["filler"] == f).any()]
    if absent:
        raise ValueError(f"`sweep` has no rows for {absent}; pass section 7's table")
    answer = as_mapping(widths, "widths", _FILLERS)
    mine = {k: check_real(answer[k], f'widths["{k}"]') for k in _FILLERS}
    verdict = check_choice(verdict, "verdict", ("supported", "not supported"))
    ref = _plateau_widths(sweep, "kappa_per_image")
    by_dice = _plateau_widths(sweep, "dice_per_click") if "dice_per_click" in sweep else None
    for name in _FILLERS:
        if close(mine[name], ref[name], 1e-9):
            fb.right(f"width for {name}", f"{ref[name]:g}")
        elif by_dice is not None and close(mine[name], by_dice[name], 1e-9):
            fb.wrong(f"width for {name}", "that is the spread on the per-click Dice (section "
                     "7); this exercise reads the per-image kappa")
        elif close(mine[name], ref[name] + 0.05, 1e-9) or mine[name] < 0:
            fb.wrong(f"width for {name}", "the spread is the largest minus the smallest "
                     "threshold of the near-best rows, not a count or a score")
        else:
            fb.wrong(f"width for {name}", "take the rows of that filler, keep those whose "
                     "kappa_per_image is at least its best minus 0.05, then their largest "
                     "threshold minus their smallest")
    truth = "supported" if ref["region growing"] > ref["flood fill"] else "not supported"
    if verdict == truth:
        fb.right("verdict", "it follows from the two widths")
    else:
        fb.wrong("verdict", "compare the two widths: the claim says region growing works over "
                 "the wider range of thresholds")
    if fb.passed:
        fb.note("one data set, one grid of thresholds and one tolerance: a claim about "
                "sensitivity depends on all three. Try another tolerance, or DATASET = "
                "'isbi2012', before you generalise.")

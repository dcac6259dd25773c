"""Exercises of notebook 02 (exploratory analysis): thresholds, connectivity, sizes in nm.

In the notebook::

    from segkit.exercises import ex02 as check

    check.ex02_1(prediction)      # prints what is right, what is wrong and why
    check.ex02_1.hint()           # graded hints, one per call
    check.ex02_1.solution()       # a reference solution, only when asked

| exercise | kind | minutes |
|---|---|---|
| `ex02_1` the best single threshold | predict-then-run | 10 |
| `ex02_2` fewer neighbours, more objects? | change-and-observe | 10 |
| `ex02_3` Malec's squares and cubes | test-a-claim | 5 |
| `ex02_4` a mean volume in nm³ | write-a-function | 15 |

`MALEC_SIZES` holds the figures of C. Malec, "Segmenting Microscopy Images", Springboard
capstone, November 2019 (`../shared/sources/004_*.txt`, "What is the average mitochondria
area, the average volume?"), as printed there.
"""

import numbers

import numpy as np

from .. import eda
from .._validate import check_choice, check_real
from ._core import (FAILED, NOT_WRITTEN, as_function, as_mapping, call, close, exercise,
                    judge_number)

__all__ = ["ex02_1", "ex02_2", "ex02_3", "ex02_4", "MALEC_SIZES"]

#: Malec's mean mitochondrion area (per slice) and volume, his voxel side, and his roundings.
MALEC_SIZES = {"area_nm2": 70_013.9, "volume_nm3": 13_430_224.3, "voxel_nm": 5.0,
               "square_side_px": 53, "cube_side_px": 48}


# ============================================================================ 2.1
_FG = (20, 30, 40, 60)
_BG = (50, 70, 80, 90, 100, 110)


def _toy():
    image = np.array([[list(_FG) + list(_BG)]], np.uint8)
    mask = np.array([[[1] * len(_FG) + [0] * len(_BG)]], np.uint8)
    return image, mask


@exercise(
    title="The best single threshold",
    kind="predict-then-run", minutes=10,
    hints=(
        "Which pixels are darker, the mitochondria or the background? That is the polarity.",
        "Slide a threshold up from 0 and, at each gap between two grey values, count TP, FP "
        "and FN; Dice = 2 TP / (2 TP + FP + FN).",
        "Do not stop at the first clean cut between 40 and 50: going past 50 costs one false "
        "positive but gains a true positive. Which Dice is larger?",
    ),
    solution='''
        # Foreground is darker: "below". Cut between 40 and 50: TP 3, FP 0, FN 1, Dice 6/7 = 0.857.
        # Cut between 60 and 70: TP 4, FP 1 (the 50), FN 0, Dice 8/9 = 0.889, the best.
        prediction = {"polarity": "below", "dice": 8 / 9}
    ''')
def ex02_1(fb, prediction):
    """Predict, then run: what `eda.best_threshold` finds on a ten-pixel image.

    The mitochondrion pixels have the grey values 20, 30, 40 and 60, the background pixels
    50, 70, 80, 90, 100 and 110. Predict whether the foreground lies ``"above"`` or
    ``"below"`` the best threshold and the best Dice, as ``{"polarity": ..., "dice": ...}``.
    """
    answer = as_mapping(prediction, "prediction", ("polarity", "dice"))
    polarity = check_choice(answer["polarity"], 'prediction["polarity"]', ("above", "below"))
    dice = check_real(answer["dice"], 'prediction["dice"]')
    ref = eda.best_threshold(*_toy())
    if polarity == ref["polarity"]:
        fb.right("polarity", "the mitochondria are the darker pixels, as in EM")
    else:
        fb.wrong("polarity", "compare the grey values: are the mitochondrion pixels the "
                             "brighter or the darker ones?")
    if close(dice, ref["dice"], 0.005):
        fb.right("best Dice", "8 / 9: one false positive buys the last true positive")
    elif close(dice, 6 / 7, 0.005):
        fb.wrong("best Dice", "that is the first clean cut (between 40 and 50); try moving the "
                              "threshold past 50: one false positive against one more true "
                              "positive")
    elif close(dice, 0.9, 0.005):
        fb.wrong("best Dice", "0.9 is the accuracy of the best cut (9 of 10 pixels right); "
                              "Dice ignores true negatives: 2 TP / (2 TP + FP + FN)")
    elif close(dice, 0.8, 0.005):
        fb.wrong("best Dice", "that is the Jaccard index TP / (TP + FP + FN) of the best cut; "
                              "Dice counts TP twice")
    elif dice > 1:
        fb.wrong("best Dice", "give a fraction between 0 and 1, not a percentage")
    else:
        fb.wrong("best Dice", "list the cuts between neighbouring grey values and compute "
                              "2 TP / (2 TP + FP + FN) at each; keep the largest")


# ============================================================================ 2.2
@exercise(
    title="Fewer neighbours, more objects?",
    kind="change-and-observe", minutes=10,
    hints=(
        "`eda.count_objects(masks, dims=3, connectivity=k)[0]` is the number of objects of the "
        "volume for k = 1, 2, 3. Without `dims=3` you count the objects of each slice.",
        "With fewer neighbours, two voxels that touch only at a corner (or an edge) are no "
        "longer joined. Can removing a link between voxels ever merge two objects?",
    ),
    solution='''
        counts = {k: eda.count_objects(masks, dims=3, connectivity=k)[0] for k in (1, 2, 3)}
        print(counts)
        # Fewer neighbours can only split objects (two voxels that touch at a corner stop being one
        # object), never join them: connectivity 1 finds as many objects or more, never fewer.
        can_be_fewer = False
    ''')
def ex02_2(fb, counts, can_be_fewer, masks):
    """Change and observe: objects of the volume counted with 6, 18 and 26 neighbours.

    Count the objects of `masks` in 3-D with ``connectivity`` 1, 2 and 3, as
    ``counts = {1: ..., 2: ..., 3: ...}``, and say whether connectivity 1 can ever find fewer
    objects than connectivity 3 in some stack: ``can_be_fewer = True`` or ``False``. Pass the
    notebook's `masks` as the third argument.
    """
    answer = as_mapping(counts, "counts", (1, 2, 3))
    got = {}
    for k in (1, 2, 3):
        v = answer[k]
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"`counts[{k}]` must be a number of objects (an integer), got {v!r}")
        got[k] = int(v)
    if not isinstance(can_be_fewer, (bool, np.bool_)):
        raise TypeError(f"`can_be_fewer` must be True or False, got {can_be_fewer!r}")
    ref = {k: eda.count_objects(masks, dims=3, connectivity=k)[0] for k in (1, 2, 3)}
    if got == ref:
        fb.right("the three counts", f"{ref[1]}, {ref[2]} and {ref[3]} objects in the volume")
    elif got == {1: ref[3], 2: ref[2], 3: ref[1]} and ref[1] != ref[3]:
        fb.wrong("the three counts", "connectivity 1 and 3 are swapped: 1 joins only voxels "
                                     "that share a face")
    elif got[3] == eda.count_objects(masks)[0] or got[1] == eda.count_objects(
            masks, connectivity=1)[0]:
        fb.wrong("the three counts", "these are the objects of each slice added up; pass "
                                     "`dims=3` to count the objects of the volume")
    else:
        bad = [k for k in (1, 2, 3) if got[k] != ref[k]]
        fb.wrong("the three counts", f"connectivity {bad} differ from "
                                     "`eda.count_objects(masks, dims=3, connectivity=k)`")
    if not can_be_fewer:
        fb.right("fewer objects with fewer neighbours?", "no: dropping neighbours only splits "
                                                         "objects, it never joins two")
    else:
        fb.wrong("fewer objects with fewer neighbours?", "every pair of voxels joined with 6 "
                 "neighbours is also joined with 26; what can happen to an object when the "
                 "corner links are removed?")
    if fb.passed and ref[1] == ref[3]:
        fb.note("in this stack the counts agree: no two of its objects touch only at an edge "
                "or a corner.")


# ============================================================================ 2.3
@exercise(
    title="Malec's squares and cubes",
    kind="test-a-claim", minutes=5,
    hints=(
        "A square of area A has the side sqrt(A); a cube of volume V the side V ** (1/3). "
        "These sides come out in nm.",
        "A pixel is 5 nm wide: divide a side in nm by 5 to get pixels (or divide the area by "
        "25 nm² and the volume by 125 nm³ first).",
    ),
    solution='''
        square_side_px = np.sqrt(70_013.9) / 5    # side in nm, then in 5 nm pixels
        cube_side_px = np.cbrt(13_430_224.3) / 5
        print(round(square_side_px, 1), round(cube_side_px, 1))
        claims_hold = True  # 52.9 rounds to 53 and 47.5 to 48 (just)
    ''')
def ex02_3(fb, square_side_px, cube_side_px, claims_hold):
    """Test a claim: Malec's "a square about 53 pixels" and "a cube about 48 pixels".

    From his mean area 70,013.9 nm² and mean volume 13,430,224.3 nm³ with 5 nm pixels,
    compute the side of the square and of the cube in pixels, and say whether both of his
    roundings hold (``claims_hold = True`` or ``False``).
    """
    square = check_real(square_side_px, "square_side_px")
    cube = check_real(cube_side_px, "cube_side_px")
    if not isinstance(claims_hold, (bool, np.bool_)):
        raise TypeError(f"`claims_hold` must be True or False, got {claims_hold!r}")
    m = MALEC_SIZES
    v = m["voxel_nm"]
    sq_right = np.sqrt(m["area_nm2"]) / v
    cu_right = np.cbrt(m["volume_nm3"]) / v
    if close(square, sq_right, 0.05):
        fb.right("side of the square", f"{sq_right:.1f} pixels")
    elif close(square, np.sqrt(m["area_nm2"]), 0.1):
        fb.wrong("side of the square", "that side is in nm; a pixel is 5 nm wide")
    elif close(square, np.sqrt(m["area_nm2"] / v), 0.1):
        fb.wrong("side of the square", "an area converts with the pixel's area, 25 nm², not "
                                       "its side")
    else:
        fb.wrong("side of the square", "take the square root of the area, then convert nm "
                                       "to pixels")
    if close(cube, cu_right, 0.05):
        fb.right("side of the cube", f"{cu_right:.1f} pixels")
    elif close(cube, np.cbrt(m["volume_nm3"]), 0.1):
        fb.wrong("side of the cube", "that side is in nm; a voxel is 5 nm wide")
    elif close(cube, np.cbrt(m["volume_nm3"] / 25), 0.1):
        fb.wrong("side of the cube", "a volume converts with the voxel's volume, 125 nm³, not "
                                     "a pixel's area")
    elif close(cube, np.sqrt(m["volume_nm3"]) / v, 0.1) or close(cube, np.sqrt(m["volume_nm3"]
                                                                              / 125), 0.1):
        fb.wrong("side of the cube", "a cube's side is the cube root of its volume, not the "
                                     "square root")
    else:
        fb.wrong("side of the cube", "take the cube root of the volume, then convert nm to "
                                     "pixels")
    holds = round(sq_right) == m["square_side_px"] and round(cu_right) == m["cube_side_px"]
    if bool(claims_hold) == holds:
        fb.right("do the claims hold?", f"{sq_right:.1f} and {cu_right:.1f} round to "
                                        f"{m['square_side_px']} and {m['cube_side_px']}")
    else:
        fb.wrong("do the claims hold?", "round your two sides to whole pixels and compare with "
                                        "53 and 48")


# ============================================================================ 2.4
def _mean_volume_nm3(masks, voxel_nm):
    from skimage.measure import label

    labels = label(np.asarray(masks) > 0)  # full connectivity by default, 26 neighbours in 3-D
    voxels = np.bincount(labels.ravel())[1:]  # voxels per object, background (0) left out
    return voxels.mean() * voxel_nm ** 3


def _volume_cases():
    """(description, masks, voxel_nm) of the hidden cases."""
    column = np.zeros((4, 8, 8), np.uint8)
    column[0:3, 1:3, 1:3] = 1          # 12 voxels through three slices
    column[1, 6, 6] = 1                # one voxel alone
    corner = np.zeros((3, 6, 6, 1), np.uint8)
    corner[0, 1:3, 1:3] = 1            # 4 voxels in slice 0 ...
    corner[1, 3, 3] = 1                # ... touching this voxel of slice 1 at a corner only
    corner[2, 0, 5] = 1
    corner[0:3, 4:6, 0] = 1            # a column: one object in 3-D, three in the slices
    return [
        ("a column through three slices and a voxel alone", column, 5.0),
        ("voxels that touch only at a corner, NHWC", corner, 5.0),
        ("the same column with 10 nm voxels", column, 10.0),
    ]


def _volume_hint(v, masks, voxel_nm):
    from scipy import ndimage

    m = np.asarray(masks) > 0
    m = m[..., 0] if m.ndim == 4 else m
    n3, vox = eda.count_objects(m, dims=3)
    _, per_slice = eda.count_objects(m)
    _, faces = eda.count_objects(m, dims=3, connectivity=1)
    if close(v, per_slice.mean() * voxel_nm ** 3, 1e-6):
        return ("that is the mean over the objects of each slice; label the stack as one 3-D "
                "array so that an object through several slices counts once")
    if close(v, faces.mean() * voxel_nm ** 3, 1e-6):
        return ("voxels that touch only at a corner count as one object with full "
                "connectivity (26 neighbours); you used faces only")
    if close(v, vox.mean() * voxel_nm ** 2, 1e-6):
        return "a voxel's volume is voxel_nm ** 3, not voxel_nm ** 2"
    if close(v, vox.mean(), 1e-6):
        return "that is in voxels; multiply by the volume of one voxel in nm³"
    lab, n = ndimage.label(m)
    with_bg = np.bincount(lab.ravel()).mean() * voxel_nm ** 3
    if close(v, with_bg, 1e-6):
        return "the background (label 0) is counted as an object; leave it out of the mean"
    if close(v, vox.sum() * voxel_nm ** 3, 1e-6):
        return "that is the total volume of all objects; divide by their number"
    return ("label the stack in 3-D, count the voxels of each object (label 0 is the "
            "background), average, and multiply by voxel_nm ** 3")


@exercise(
    title="A mean volume in nm³",
    kind="write-a-function", minutes=15,
    hints=(
        "`skimage.measure.label(mask)` on a 3-D array labels it in 3-D, with full "
        "connectivity by default; `np.bincount(labels.ravel())` counts the voxels of each "
        "label.",
        "Label 0 is the background: leave it out. A voxel of side `voxel_nm` has the volume "
        "`voxel_nm ** 3`.",
    ),
    solution=_mean_volume_nm3)
def ex02_4(fb, mean_volume_nm3):
    """Write a function: the mean volume of the 3-D objects of a binary stack, in nm³.

    Write ``mean_volume_nm3(masks, voxel_nm)`` returning one number: the mean volume, in nm³,
    of the objects of a binary stack ``(N, H, W)`` or ``(N, H, W, 1)`` found as 3-D connected
    components with full connectivity, for cubic voxels of side `voxel_nm`.
    """
    fn = as_function(mean_volume_nm3, "mean_volume_nm3", "(masks, voxel_nm)")
    for what, masks, voxel in _volume_cases():
        got = call(fb, fn, "mean_volume_nm3", (masks.copy(), voxel), what)
        if got is NOT_WRITTEN:
            return
        if got is FAILED:
            continue
        m = masks[..., 0] if masks.ndim == 4 else masks
        n, volumes = eda.count_objects(m, dims=3, spacing=voxel)
        expect = volumes.mean()
        judge_number(fb, what, got, expect, 1e-6 * expect,
                     hint=lambda v: _volume_hint(v, masks, voxel),
                     right=f"{n} objects, {expect:,.0f} nm³ on average")
    if fb.passed:
        fb.note("`eda.count_objects(masks, dims=3, spacing=voxel_nm)` gives the volume of every "
                "object, not just the mean: look at their spread too.")

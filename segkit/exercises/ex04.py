"""Exercises of notebook 04 (augmentation): an elastic call, the flips, vacant corners, and
Malec's reading of his augmentation table.

In the notebook::

    from segkit.exercises import ex04 as check

    check.ex04_1(deform)          # prints what is right, what is wrong and why
    check.ex04_1.hint()           # graded hints, one per call
    check.ex04_1.solution()       # a reference solution, only when asked

| exercise | kind | minutes |
|---|---|---|
| `ex04_1` an elastic deformation with given settings | write-a-function | 10 |
| `ex04_2` which k is which flip? | predict-then-run | 5 |
| `ex04_3` vacant corners | change-and-observe | 10 |
| `ex04_4` does augmentation lower the training loss? | test-a-claim | 10 |

The claims of 4.3 and 4.4 are quoted from C. Malec, "Segmenting Microscopy Images",
Springboard capstone, November 2019 (`../shared/sources/004_*.txt`: "Data Augmentation",
Table 1, and "Future Work").
"""

import functools
import numbers

import numpy as np

from .. import augment
from .._validate import check_real
from ._core import FAILED, NOT_WRITTEN, as_function, as_mapping, call, exercise

__all__ = ["ex04_1", "ex04_2", "ex04_3", "ex04_4"]


# ============================================================================ 4.1
_ALPHA, _SIGMA = 40.0, 5.0


def _deform(image, mask, rng):
    return augment.elastic_alpha_sigma(image, mask, alpha=40, sigma=5, rng=rng)


def _deform_case():
    yy, xx = np.mgrid[0:48, 0:48]
    image = (np.sin(yy / 3.0) * np.cos(xx / 4.0)).astype(np.float32)
    mask = ((yy - 20) ** 2 + (xx - 26) ** 2 < 120).astype(np.uint8)
    return image, mask


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.allclose(a, b, atol=1e-5)


def _deform_hint(got_img, got_msk, image, mask, seed):
    variants = [
        (augment.elastic_alpha_sigma(image, mask, alpha=_SIGMA, sigma=_ALPHA, rng=seed),
         "alpha and sigma are swapped: alpha scales the field (40), sigma smooths it (5)"),
        (augment.elastic_grid(image, mask, sigma=_SIGMA, points=3, rng=seed),
         "that is the B-spline grid (`elastic_grid`); the smoothed random field is "
         "`elastic_alpha_sigma`"),
        (augment.elastic_alpha_sigma(image, mask, alpha=_ALPHA, sigma=_SIGMA, rng=seed, order=3),
         "the image is interpolated with cubic splines (order 3); linear is order 1"),
        (augment.elastic_alpha_sigma(image, mask, alpha=_ALPHA, sigma=_SIGMA, rng=seed,
                                     mode="constant"),
         "`mode='constant'` fills the border with zeros; keep the default, 'reflect'"),
    ]
    for (img, msk), hint in variants:
        if _same(got_img, img) and _same(got_msk, msk):
            return hint
    return ("the result differs from the smoothed field at alpha 40 and sigma 5 drawn from "
            "`rng`: use `augment.elastic_alpha_sigma(image, mask, alpha=..., sigma=..., "
            "rng=rng)`")


@exercise(
    title="An elastic deformation with given settings",
    kind="write-a-function", minutes=10,
    hints=(
        "Section 3 shows both elastic transforms; the smoothed random field of Simard et al. "
        "is `augment.elastic_alpha_sigma`.",
        "Pass `rng=rng` through: the checker calls your function twice with the same seed and "
        "expects the same result, and with another seed a different one.",
    ),
    solution=_deform)
def ex04_1(fb, deform):
    """Write a function: an elastic deformation at alpha 40 and sigma 5 pixels.

    Write ``deform(image, mask, rng)`` that deforms an image and its mask with the smoothed
    random field of Simard et al. at ``alpha = 40`` and ``sigma = 5`` pixels, with linear
    interpolation of the image, taking its randomness from `rng` only. Return
    ``(image, mask)``.
    """
    fn = as_function(deform, "deform", "(image, mask, rng)")
    image, mask = _deform_case()
    results = {}
    for seed in (3, 3, 4):
        what = f"seed {seed}"
        got = call(fb, fn, "deform", (image.copy(), mask.copy(), seed), what)
        if got is NOT_WRITTEN:
            return
        if got is FAILED:
            return
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            fb.wrong(what, f"return the pair (image, mask), not {type(got).__name__}")
            return
        results.setdefault(seed, []).append(tuple(np.asarray(g) for g in got))
    (img3, msk3), (img3b, msk3b) = results[3]
    img4, _ = results[4][0]
    ref3 = _deform(image, mask, 3)
    if not (_same(img3, img3b) and _same(msk3, msk3b)):
        fb.wrong("the same seed twice", "two calls with the same `rng` gave different results: "
                                        "take the randomness from `rng`, not from NumPy's "
                                        "global state")
    elif _same(img3, img4):
        fb.wrong("two different seeds", "seeds 3 and 4 gave the same deformation: pass `rng` "
                                        "to the transform instead of a fixed seed")
    else:
        fb.right("randomness", "reproducible for one seed, different for another")
    if _same(img3, ref3[0]) and _same(msk3, ref3[1]):
        fb.right("the deformation", "the smoothed field at alpha 40 and sigma 5 moved image "
                                    "and mask together")
    else:
        fb.wrong("the deformation", _deform_hint(img3, msk3, image, mask, 3))
    if np.asarray(msk3).size and not set(np.unique(msk3).tolist()) <= {0, 1}:
        fb.wrong("the mask", "the mask must stay binary: it is resampled by nearest neighbour")


# ============================================================================ 4.2
_FLIPS = {"vertical": np.flipud, "horizontal": np.fliplr,
          "half turn": functools.partial(np.rot90, k=2)}


@exercise(
    title="Which k is which flip?",
    kind="predict-then-run", minutes=5,
    hints=(
        "k = 4 reverses the first axis (the rows) and does not rotate: what does reversing "
        "the rows of an image do?",
        "A flip of the rows followed by a half turn (k = 6) reverses the rows twice and the "
        "columns once. k in 0..3 rotate without flipping.",
    ),
    solution='''
        # 4: flip the rows (upside down), no rotation. 6: flip the rows, then turn by 180 degrees,
        # which is a left-right flip. 2: a half turn, no flip.
        ks = {"vertical": 4, "horizontal": 6, "half turn": 2}
    ''')
def ex04_2(fb, ks):
    """Predict, then run: the `k` of `augment.dihedral` for each flip and the half turn.

    Give ``ks = {"vertical": ..., "horizontal": ..., "half turn": ...}``, the `k` in 0..7
    for which ``augment.dihedral(x, k)`` equals ``np.flipud(x)``, ``np.fliplr(x)`` and
    ``np.rot90(x, 2)``.
    """
    answer = as_mapping(ks, "ks", tuple(_FLIPS))
    probe = np.arange(12).reshape(3, 4)
    for name, op in _FLIPS.items():
        k = answer[name]
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k <= 7:
            raise ValueError(f'`ks["{name}"]` must be an integer k in 0..7, got {k!r}')
        got = augment.dihedral(probe, int(k))
        if got.shape == probe.shape and np.array_equal(got, op(probe)):
            fb.right(name, f"k = {k}")
            continue
        if got.shape != probe.shape:
            fb.wrong(name, f"k = {k} turns by a quarter turn (odd rotation): the image comes "
                           "out on its side, a flip keeps it upright")
        elif name != "half turn" and int(k) < 4:
            fb.wrong(name, "k in 0..3 only rotates; a flip needs k in 4..7")
        elif name == "half turn" and int(k) >= 4:
            fb.wrong(name, "k in 4..7 flips first; a half turn is a rotation alone")
        elif (name, int(k)) in (("vertical", 6), ("horizontal", 4)):
            fb.wrong(name, "vertical and horizontal are swapped: a vertical flip turns the "
                           "image upside down (it reverses the rows), a horizontal flip "
                           "mirrors it left to right")
        else:
            fb.wrong(name, f"compare `augment.dihedral(x, {k})` with the numpy operation on a "
                           "small array such as `np.arange(6).reshape(2, 3)`: which axis does "
                           "each reverse?")


# ============================================================================ 4.3
_ANGLES = (15, 30, 45, 90)


def _vacant(angle, side=256):
    ones = np.ones((side, side), np.uint8)
    return float((augment.rotate(ones, ones, angle=angle, mode="constant")[1] == 0).mean())


@exercise(
    title="Vacant corners",
    kind="change-and-observe", minutes=10,
    hints=(
        "`augment.rotate(ones, ones, angle=a, mode='constant')` returns the rotated image and "
        "mask; pixels that came from outside the frame are 0 in the mask.",
        "The fraction of vacant pixels is `(rotated_mask == 0).mean()`. A square turned by 90 "
        "degrees fits its frame again.",
    ),
    solution='''
        ones = np.ones((256, 256), np.uint8)
        vacant = {a: float((augment.rotate(ones, ones, angle=a, mode="constant")[1] == 0).mean())
                  for a in (15, 30, 45, 90)}
        print(vacant)
        worst = 45
    ''')
def ex04_3(fb, vacant, worst):
    """Change and observe: how much of a tile a rotation leaves vacant.

    Rotate a 256 x 256 mask of ones by 15, 30, 45 and 90 degrees with
    ``augment.rotate(..., mode="constant")``, give the fraction of pixels left 0 as
    ``vacant = {15: ..., 30: ..., 45: ..., 90: ...}``, and the angle that leaves the most,
    ``worst``.
    """
    answer = as_mapping(vacant, "vacant", _ANGLES)
    got = {a: check_real(answer[a], f"vacant[{a}]") for a in _ANGLES}
    worst = check_real(worst, "worst")
    ref = {a: _vacant(a) for a in _ANGLES}
    off = [a for a in _ANGLES if abs(got[a] - ref[a]) > 0.01]
    if not off:
        fb.right("vacant fractions", ", ".join(f"{a}°: {ref[a]:.1%}" for a in _ANGLES))
    elif all(abs(got[a] - (1 - ref[a])) <= 0.01 for a in _ANGLES):
        fb.wrong("vacant fractions", "these are the pixels that stayed inside; vacant ones are "
                                     "0 in the rotated mask")
    elif all(abs(got[a] - 100 * ref[a]) <= 1 for a in _ANGLES):
        fb.wrong("vacant fractions", "give fractions between 0 and 1, not percentages")
    elif all(got[a] <= 0.01 for a in _ANGLES):
        fb.wrong("vacant fractions", "nothing is vacant: did you keep the default "
                                     "mode='reflect', which fills the corners with a mirror "
                                     "image? Use mode='constant'")
    else:
        fb.wrong("vacant fractions", f"the angles {off} differ by more than one percentage "
                                     "point: rotate a 256 x 256 mask of ones and count its "
                                     "zeros")
    if worst == 45:
        fb.right("the worst angle", "a square turned by 45° leaves the largest corners outside "
                                    "its frame; at 90° it fits again")
    elif worst == 90:
        fb.wrong("the worst angle", "a square turned by a quarter turn covers its frame "
                                    "exactly: look at your fraction at 90°")
    else:
        fb.wrong("the worst angle", "compare your four fractions")


# ============================================================================ 4.4
def _table_columns(table):
    import pandas as pd

    if not isinstance(table, pd.DataFrame) or not {"transform", "train_loss"} <= set(table):
        raise TypeError("`table` must be the DataFrame of experiments.compare_transforms, with "
                        f"columns 'transform' and 'train_loss', got {type(table).__name__}")
    names = table["transform"].tolist()
    if "None" not in names:
        raise ValueError("`table` has no 'None' row to compare with; its rows are "
                         f"{names}")
    return table


@exercise(
    title="Does augmentation lower the training loss?",
    kind="test-a-claim", minutes=10,
    hints=(
        "Take the training loss of the 'None' row, then the `transform` of every other row "
        "whose `train_loss` is smaller.",
        "Compare training losses only (not `val_loss`, not the paper's columns), and leave "
        "the 'None' row itself out. 'Most' means more than half of the other rows.",
    ),
    solution='''
        none_loss = table.loc[table["transform"] == "None", "train_loss"].item()
        others = table[table["transform"] != "None"]
        lower = others.loc[others["train_loss"] < none_loss, "transform"].tolist()
        print(lower)
        agrees = len(lower) > len(others) / 2  # "most rows": more than half of them
    ''')
def ex04_4(fb, lower, agrees, table):
    """Test a claim: in your run, do most transformations lower the training loss?

    From the notebook's `table` (section 6), list the rows whose training loss is below the
    "None" row's, ``lower = [...]`` (their ``transform`` labels), and say whether most of the
    other rows do: ``agrees = True`` or ``False``. Pass `table` as the third argument.
    """
    table = _table_columns(table)
    if isinstance(lower, (str, bytes)) or not isinstance(lower, (list, tuple, set)):
        raise TypeError(f"`lower` must be a list of transform labels, got {lower!r}"[:200])
    if not isinstance(agrees, (bool, np.bool_)):
        raise TypeError(f"`agrees` must be True or False, got {agrees!r}")
    none_loss = float(table.loc[table["transform"] == "None", "train_loss"].iloc[0])
    others = table[table["transform"] != "None"]
    right = set(others.loc[others["train_loss"] < none_loss, "transform"])
    got = set(lower)
    unknown = got - set(table["transform"])
    if unknown:
        fb.wrong("the rows", f"{sorted(unknown)} are not rows of your table: copy the "
                             "`transform` labels")
    elif got == right:
        fb.right("the rows", f"{len(right)} of {len(others)} rows train to a lower loss than "
                             "'None'")
    elif "None" in got and got - {"None"} == right:
        fb.wrong("the rows", "leave the 'None' row out: it is what the others are compared with")
    elif "val_loss" in table and got == set(others.loc[others["val_loss"] < float(
            table.loc[table["transform"] == "None", "val_loss"].iloc[0]), "transform"]):
        fb.wrong("the rows", "these rows have a lower *validation* loss; the claim is about "
                             "the training loss")
    elif got == set(others["transform"]) - right:
        fb.wrong("the rows", "these are the rows with a *higher* training loss than 'None'")
    else:
        fb.wrong("the rows", "compare each row's `train_loss` with the 'None' row's")
    most = len(right) > len(others) / 2
    if bool(agrees) == most:
        fb.right("does the run agree?", f"{len(right)} of {len(others)}: "
                 + ("most rows lower it, as in Malec's table" if most
                    else "not most, unlike Malec's table"))
    else:
        fb.wrong("does the run agree?", "count your rows: are they more than half of the rows "
                                        "other than 'None'?")
    if fb.passed:
        fb.note("one epoch, one seed: rerun section 6 with another SEED before trusting the "
                "answer either way.")

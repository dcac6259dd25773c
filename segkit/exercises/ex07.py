"""Exercises of notebook 07 (evaluation): Dice, kappa, the two AUROCs, and a paper's claims.

In the notebook::

    from segkit.exercises import ex07 as check

    check.ex07_1(prediction)      # prints what is right, what is wrong and why
    check.ex07_1.hint()           # graded hints, one per call
    check.ex07_1.solution()       # a reference solution, only when asked

| exercise | kind | minutes |
|---|---|---|
| `ex07_1` the scores of a lazy model | predict-then-run | 5 |
| `ex07_2` the threshold trades one error for the other | change-and-observe | 10 |
| `ex07_3` a Dice for one class | write-a-function | 15 |
| `ex07_4` Nyawira & Bushman's AUROC gap, taken apart | test-a-claim | 10 |
| `ex07_5` is kappa or the AUROC free of class imbalance? | test-a-claim | 15 |

`NYAWIRA_TABLE_5` and `NYAWIRA_TABLE_7` hold the numbers of Nyawira & Bushman, "A
Simplified Approach to Deep Learning for Image Segmentation", PEARC '18,
doi:10.1145/3219104.3229286, Tables 5, 6 and 7, as printed there.
"""

import textwrap

import numpy as np

from .. import metrics
from .._validate import check_choice, check_real
from ._core import (FAILED, NOT_WRITTEN, as_function, as_mapping, as_number, call, close, exercise,
                    judge_number, source_of)

__all__ = ["ex07_1", "ex07_2", "ex07_3", "ex07_4", "ex07_5", "NYAWIRA_TABLE_5",
           "NYAWIRA_TABLE_7"]

# Nyawira & Bushman (PEARC '18), Tables 5 and 6: kappa and AUROC of U-Net and SegNet trained
# on flood-fill, region-growing and manual labels, scored on 50 manually annotated images.
NYAWIRA_TABLE_5 = {
    "UNet Flood": {"kappa": 0.674656, "auroc": 0.835366},
    "UNet RG": {"kappa": 0.664252, "auroc": 0.775311},
    "UNet Manual": {"kappa": 0.508445, "auroc": 0.818312},
    "SegNet Flood": {"kappa": 0.428534, "auroc": 0.816803},
    "SegNet RG": {"kappa": 0.557270, "auroc": 0.896916},
    "SegNet Manual": {"kappa": 0.615110, "auroc": 0.965385},
}
# Table 7: false negative and false positive rates of the same six models.
NYAWIRA_TABLE_7 = {
    "UNet Flood": {"fnr": 0.319044, "fpr": 0.010224},
    "UNet RG": {"fnr": 0.446302, "fpr": 0.003077},
    "UNet Manual": {"fnr": 0.334855, "fpr": 0.028521},
    "SegNet Flood": {"fnr": 0.322915, "fpr": 0.043478},
    "SegNet RG": {"fnr": 0.171410, "fpr": 0.034758},
    "SegNet Manual": {"fnr": 0.032981, "fpr": 0.036248},
}


# ============================================================================ 7.1
_LAZY_KEYS = ("accuracy", "dice", "kappa", "balanced_auroc")


def _lazy_case():
    truth = np.zeros((100, 100), dtype=bool)
    truth[40:60, 40:60] = True  # 400 foreground pixels, 4 %
    return truth, np.zeros_like(truth)


@exercise(
    title="The scores of a lazy model",
    kind="predict-then-run", minutes=5,
    hints=(
        "Write the four counts first. Truth: 400 foreground, 9,600 background pixels; the "
        "prediction has no foreground at all. TP = ?, FP = ?, FN = ?, TN = ?",
        "Accuracy = (TP + TN) / all; Dice = 2 TP / (2 TP + FP + FN); balanced AUROC = "
        "1 - (FPR + FNR) / 2 with FPR = FP / (FP + TN) and FNR = FN / (TP + FN).",
        "Kappa = (Pa - Pc) / (1 - Pc). Pa is the accuracy; Pc = p_true(1) p_pred(1) + "
        "p_true(0) p_pred(0), with p_true(1) = 0.04 and p_pred(1) = 0.",
    ),
    solution='''
        # Counts: TP = 0, FP = 0, FN = 400, TN = 9600.
        prediction = {
            "accuracy": 0.96,       # (0 + 9600) / 10000: every background pixel is right
            "dice": 0.0,            # 2 * 0 / (0 + 0 + 400): no foreground found
            "kappa": 0.0,           # Pa = 0.96 and Pc = 0.04 * 0 + 0.96 * 1 = 0.96: chance level
            "balanced_auroc": 0.5,  # 1 - (FPR + FNR) / 2 = 1 - (0 + 1) / 2: chance level
        }
    ''')
def ex07_1(fb, prediction):
    """Predict, then run: the scores of a model that predicts background everywhere.

    A 100 x 100 image has 400 foreground pixels (4 %). A lazy model predicts background for
    every pixel. Before running anything, predict its accuracy, Dice, Cohen's kappa and
    balanced AUROC, as fractions, and pass them as a dict with the keys ``"accuracy"``,
    ``"dice"``, ``"kappa"``, ``"balanced_auroc"``.
    """
    answer = as_mapping(prediction, "prediction", _LAZY_KEYS)
    guess = {k: check_real(answer[k], f'prediction["{k}"]') for k in _LAZY_KEYS}
    ref = metrics.pixel_report(*_lazy_case())
    tol = 0.01
    percent = "give fractions (0.25), not percentages (25)"

    def judge(key, right_why, wrong_cases, fallback):
        v = guess[key]
        if close(v, ref[key], tol):
            fb.right(key, right_why)
            return
        if v > 1.0 and close(v / 100, ref[key], tol):
            fb.wrong(key, percent)
            return
        for value, hint in wrong_cases:
            if close(v, value, tol):
                fb.wrong(key, hint)
                return
        fb.wrong(key, fallback)

    acc = ref["accuracy"]
    judge("accuracy", "every background pixel is predicted correctly",
          [(0.04, "that is the foreground fraction; accuracy counts the pixels predicted "
                  "correctly, and a background prediction is correct on background")],
          "accuracy = (TP + TN) / all pixels: count the pixels the lazy model gets right")
    judge("dice", "no true positive, so 2 TP is 0",
          [(1.0, "Dice is 1.0 only when both masks are empty (0/0, segkit's convention); "
                 "this truth has 400 foreground pixels: what is 2 TP when nothing is "
                 "predicted?"),
           (acc, "that is the accuracy; Dice ignores the true negatives, 2 TP / (2 TP + FP + "
                 "FN)")],
          "Dice = 2 TP / (2 TP + FP + FN): how many true positives can a model make that "
          "predicts no foreground?")
    judge("kappa", "Pa equals Pc: all the agreement is what chance alone would give",
          [(acc, "that is the accuracy, Pa; kappa subtracts the agreement Pc that chance "
                 "gives with these class frequencies: (Pa - Pc) / (1 - Pc)"),
           (1.0, "a kappa of 1 means perfect agreement beyond chance; the lazy model finds "
                 "none of the foreground")],
          "kappa = (Pa - Pc) / (1 - Pc) with Pc = p_true(1) p_pred(1) + p_true(0) p_pred(0); "
          "the prediction has p_pred(1) = 0")
    judge("balanced_auroc", "1 - (FPR + FNR) / 2: perfect on background, blind on "
          "foreground, chance level overall",
          [(acc, "the balanced AUROC does not count pixels: it averages the error rate of each "
                 "class, 1 - (FPR + FNR) / 2, whatever their sizes"),
           (0.0, "0 would mean every pixel of both classes wrong; the lazy model is right on "
                 "all background (FPR = 0)"),
           (1.0, "1 would mean no error in either class; the lazy model misses all "
                 "foreground (FNR = 1)")],
          "balanced AUROC = 1 - (FPR + FNR) / 2: find FPR = FP / (FP + TN) and FNR = FN / "
          "(TP + FN) of the lazy model")
    if fb.passed:
        fb.note("accuracy looks excellent and means nothing here; Dice, kappa and the "
                "balanced AUROC all say 'no skill'. Now run metrics.pixel_report on it.")


# ============================================================================ 7.2
@exercise(
    title="The threshold trades one error for the other",
    kind="change-and-observe", minutes=10,
    hints=(
        "Use the probability map `scores`, not the binary `pred_mask`: a threshold only "
        "changes a map of probabilities. `metrics.confusion(masks, scores, threshold=t)` "
        "has `.fpr()` and `.fnr()`.",
        "A pixel is foreground when its probability is >= the threshold. Raise the "
        "threshold: do more or fewer pixels count as foreground?",
        "Fewer pixels called foreground means fewer false positives and more missed "
        "foreground pixels.",
    ),
    solution='''
        observed = {}
        for t in (0.3, 0.5, 0.7):
            c = metrics.confusion(masks, scores, threshold=t)
            observed[t] = {"fpr": c.fpr(), "fnr": c.fnr()}
        print(observed)
        # A higher threshold calls fewer pixels foreground: FP fall, FN rise.
        rises = "fnr"
    ''')
def ex07_2(fb, observed, rises):
    """Change and observe: how the threshold trades false positives for false negatives.

    With the notebook's `masks` and its probability map `scores`, find the false positive
    and false negative rates at the thresholds 0.3, 0.5 and 0.7 (compute them, or move the
    threshold slider of section 8 and note what it prints). Pass them as
    ``observed = {0.3: {"fpr": ..., "fnr": ...}, 0.5: {...}, 0.7: {...}}``, and say which
    rate rises as the threshold goes up: ``rises = "fpr"`` or ``"fnr"``.
    """
    if not isinstance(observed, dict) or len(observed) < 2:
        raise TypeError("`observed` must be a dict of at least two thresholds, "
                        '{0.3: {"fpr": ..., "fnr": ...}, 0.5: {...}}, got '
                        f"{type(observed).__name__} {observed!r}"[:200])
    rows = []
    for t, v in observed.items():
        t = check_real(t, f"observed key {t!r}")
        v = as_mapping(v, f"observed[{t:g}]", ("fpr", "fnr"))
        rows.append((t, check_real(v["fpr"], f'observed[{t:g}]["fpr"]'),
                     check_real(v["fnr"], f'observed[{t:g}]["fnr"]')))
    rows.sort()
    rises = check_choice(rises, "rises", ("fpr", "fnr"))
    th = [r[0] for r in rows]
    fpr = np.array([r[1] for r in rows])
    fnr = np.array([r[2] for r in rows])

    what = "your rates against the threshold"
    if any(not 0.0 <= t <= 1.0 for t in th):
        fb.wrong("thresholds", "a threshold on probabilities lies between 0 and 1")
    if ((fpr < 0) | (fpr > 1) | (fnr < 0) | (fnr > 1)).any():
        fb.wrong(what, "a rate is a fraction of one class's pixels, between 0 and 1: FPR = "
                       "FP / (FP + TN), FNR = FN / (TP + FN)")
    elif np.ptp(fpr) == 0 and np.ptp(fnr) == 0:
        fb.wrong(what, "they are the same at every threshold: a threshold changes nothing on "
                       "a binary mask, so you probably used `pred_mask`; use the probability "
                       "map `scores`")
    else:
        fpr_up = bool((np.diff(fpr) > 0).any())
        fnr_down = bool((np.diff(fnr) < 0).any())
        if fpr_up and fnr_down:
            fb.wrong(what, "both move the wrong way for a rising threshold: did you swap "
                           "FPR and FNR? FPR counts background called foreground, FNR "
                           "foreground missed")
        elif fpr_up or fnr_down:
            name = "FPR" if fpr_up else "FNR"
            fb.wrong(what, f"your {name} moves both ways as the threshold rises, which no "
                           "threshold can do (a higher threshold only removes foreground "
                           f"pixels): recheck your {name} values")
        else:
            fb.right(what, "consistent with a threshold that only ever removes foreground "
                           "pixels as it rises")
    if rises == "fnr":
        fb.right("which rate rises", "a higher threshold calls fewer pixels foreground, so "
                 "more foreground is missed and less background is called foreground")
    else:
        fb.wrong("which rate rises", "look at your own table; then ask whether a higher "
                 "threshold calls more or fewer pixels foreground, and which error needs a "
                 "pixel called foreground")
    if fb.passed:
        fb.note("no threshold lowers both errors: it chooses a trade-off. Which one, and on "
                "which data, is the next question.")


# ============================================================================ 7.3
def _dice_one_class(y_true, y_pred, cls):
    t = np.asarray(y_true) == cls
    p = np.asarray(y_pred) == cls
    total = int(t.sum()) + int(p.sum())
    if total == 0:
        return 1.0  # the class is absent from both: nothing to get wrong (segkit's convention)
    return 2 * int(np.logical_and(t, p).sum()) / total


def _dice_cases():
    """(description, y_true, y_pred, cls) of the hidden test cases."""
    t = np.array([[0, 1, 1, 2, 2, 2],
                  [0, 1, 1, 2, 2, 2],
                  [0, 0, 0, 0, 0, 0]], dtype=np.uint8)
    p = np.array([[0, 1, 2, 2, 2, 0],
                  [0, 1, 1, 2, 2, 0],
                  [0, 0, 0, 0, 0, 2]], dtype=np.uint8)
    only_truth = np.where(p == 2, 0, p).astype(np.uint8)
    t16 = np.array([[0, 300, 300, 0], [7, 7, 0, 0]], dtype=np.uint16)
    p16 = np.array([[300, 300, 0, 0], [7, 7, 0, 7]], dtype=np.uint16)
    return [
        ("class 2 of a 3-class image", t, p, 2),
        ("class 1 of the same image", t, p, 1),
        ("a class absent from both images", t, p, 3),
        ("a class present in the truth only", t, only_truth, 2),
        ("class 300 of a 16-bit label image", t16, p16, 300),
    ]


@exercise(
    title="A Dice for one class",
    kind="write-a-function", minutes=15,
    hints=(
        "Make two boolean masks first: `t = y_true == cls` and the same for `y_pred`. "
        "Everything else is the binary Dice of notebook 07.",
        "Dice = 2 |T and P| / (|T| + |P|): count pixels with `.sum()` on boolean arrays.",
        "When the class is absent from both images, |T| + |P| = 0. segkit's `dice` returns "
        "1.0 there (nothing could be wrong); do the same instead of dividing by zero.",
    ),
    solution=_dice_one_class)
def ex07_3(fb, dice_one_class):
    """Write a function: the Dice score of one class of a label image.

    Label images hold one class number per pixel (0 background, 1 membrane, 2 mitochondria,
    ...). Write ``dice_one_class(y_true, y_pred, cls)`` that returns, as one number, the Dice
    of class `cls` alone: the pixels equal to `cls` in each image. When the class is in
    neither image, return 1.0, as `segkit.metrics.dice` does for two empty masks. Pass the
    function itself: ``check.ex07_3(dice_one_class)``.
    """
    fn = as_function(dice_one_class, "dice_one_class", "(y_true, y_pred, cls)")
    for what, t, p, cls in _dice_cases():
        expect = metrics.dice(t == cls, p == cls)
        empty = not (t == cls).any() and not (p == cls).any()
        got = call(fb, fn, "dice_one_class", (t.copy(), p.copy(), cls), what,
                   hint=_EMPTY_HINT if empty else "")
        if got is NOT_WRITTEN:
            break
        if got is FAILED:
            continue
        judge_number(fb, what, got, expect, 1e-9, hint=lambda v: _dice_hint(v, t, p, cls),
                     kind="one number (a float)", why="sum the pixel counts before dividing")


_EMPTY_HINT = ("the class is in neither image, so 2 |T and P| / (|T| + |P|) is 0/0; return "
               "1.0 there, as segkit's dice does for two empty masks")


def _dice_hint(v, t, p, cls):
    tc, pc = t == cls, p == cls
    if close(v, 100 * metrics.dice(tc, pc), 1e-9):
        return "return a fraction between 0 and 1, not a percentage"
    if close(v, metrics.confusion(tc, pc).jaccard(), 1e-9):
        return ("that is the Jaccard index |T and P| / |T or P|; Dice counts the overlap "
                "twice over the sum of the two areas")
    if close(v, metrics.dice(t > 0, p > 0), 1e-9):
        return "that is the Dice of all foreground (> 0); compare the pixels with `cls` only"
    if not tc.any() and not pc.any():
        return _EMPTY_HINT
    return ("count |T| (pixels of the class in y_true), |P| (in y_pred) and |T and P| (in "
            "both) by hand on this case, and compare with what your function computes")


# ============================================================================ 7.4
_LABELS = ("Flood", "RG", "Manual")
_RATES_ = ("fnr", "fpr")


def _auroc_parts():
    """{labels: {rate: (U-Net's rate - SegNet's) / 2}}: each rate's share of SegNet's AUROC
    minus U-Net's under Eq. 3."""
    t = NYAWIRA_TABLE_7
    return {k: {r: (t[f"UNet {k}"][r] - t[f"SegNet {k}"][r]) / 2 for r in _RATES_}
            for k in _LABELS}


@exercise(
    title="Nyawira & Bushman's AUROC gap, taken apart",
    kind="test-a-claim", minutes=10,
    hints=(
        "Eq. 3: AUROC = 1 - FPR / 2 - FNR / 2. So SegNet's AUROC minus U-Net's is "
        "(FNR_UNet - FNR_SegNet) / 2 + (FPR_UNet - FPR_SegNet) / 2: one part per rate.",
        "For each kind of labels (\"Flood\", \"RG\", \"Manual\") take the rows \"UNet <labels>\" "
        "and \"SegNet <labels>\" of `check.NYAWIRA_TABLE_7`.",
        "U-Net's AUROC is the lower one where its two parts add up to more than 0; the rate "
        "that explains the gap there is the one whose part is positive.",
    ),
    solution='''
        t7 = check.NYAWIRA_TABLE_7
        parts = {labels: {rate: (t7[f"UNet {labels}"][rate] - t7[f"SegNet {labels}"][rate]) / 2
                          for rate in ("fnr", "fpr")}
                 for labels in ("Flood", "RG", "Manual")}
        for labels, part in parts.items():
            print(f"{labels:7} FNR part {part['fnr']:+.4f}   FPR part {part['fpr']:+.4f}   "
                  f"SegNet minus U-Net {part['fnr'] + part['fpr']:+.4f}")
        # The gap is positive (U-Net behind) with region-growing and manual labels only, and
        # there the FNR part is all of it: U-Net's FPR part is negative.
        explained_by = "fnr"
        unet_lower = ["RG", "Manual"]
    ''')
def ex07_4(fb, parts, explained_by, unet_lower):
    """Test a claim: where does the gap between U-Net's and SegNet's AUROC come from?

    Nyawira & Bushman (PEARC '18) write that U-Net's AUROC is lower than SegNet's because
    "UNet had a higher FN rate than SegNet", "especially the case for the models trained on
    region growing and manually annotated data". With their Eq. 3, AUROC = 1 - (FPR + FNR)
    / 2, SegNet's AUROC minus U-Net's, for one kind of labels, is the sum of one part per
    rate: ``(FNR_UNet - FNR_SegNet) / 2 + (FPR_UNet - FPR_SegNet) / 2``. Compute both parts
    from Table 7 (`check.NYAWIRA_TABLE_7`) for each kind of labels, as
    ``parts = {"Flood": {"fnr": ..., "fpr": ...}, "RG": {...}, "Manual": {...}}``. Then say
    which rate explains the gap where U-Net is behind, ``explained_by = "fnr"`` or
    ``"fpr"``, and with which labels U-Net's AUROC is the lower one at all:
    ``unet_lower``, a list of some of ``"Flood"``, ``"RG"``, ``"Manual"``.
    """
    answer = as_mapping(parts, "parts", _LABELS)
    got = {}
    for k in _LABELS:
        row = as_mapping(answer[k], f'parts["{k}"]', _RATES_)
        got[k] = {r: check_real(row[r], f'parts["{k}"]["{r}"]') for r in _RATES_}
    explained_by = check_choice(explained_by, "explained_by", _RATES_)
    if isinstance(unet_lower, str) or not isinstance(unet_lower, (list, tuple, set)):
        raise TypeError('`unet_lower` must be a list of label names such as ["RG"], got '
                        f"{type(unet_lower).__name__} {unet_lower!r}"[:200])
    for i, name in enumerate(unet_lower):
        check_choice(name, f"unet_lower[{i}]" if isinstance(unet_lower, (list, tuple))
                     else "unet_lower", _LABELS)
    ref = _auroc_parts()

    def matches(scale=1.0, swap=False):
        return all(close(got[k][r], scale * ref[k][_RATES_[1 - i] if swap else r], 1e-6)
                   for k in _LABELS for i, r in enumerate(_RATES_))

    what = "the two parts of each gap"
    if matches():
        fb.right(what, "each rate takes half of itself off its network's AUROC, so the parts "
                       "add up to the gap between Tables 5 and 6")
    elif matches(2.0) or matches(-2.0):
        fb.wrong(what, "Eq. 3 takes half of each rate off the AUROC: divide each difference "
                       "of rates by 2")
    elif matches(-1.0):
        fb.wrong(what, "mind the sign: a part is positive when its rate takes more off "
                       "U-Net's AUROC than off SegNet's, i.e. U-Net's rate minus SegNet's")
    elif matches(swap=True):
        fb.wrong(what, "your FNR and FPR parts are swapped: FNR is the first column of "
                       "Table 7, FPR the second")
    elif matches(100.0):
        fb.wrong(what, "give fractions as the paper does, not percentages")
    else:
        off = [k for k in _LABELS if not all(close(got[k][r], ref[k][r], 1e-6)
                                             for r in _RATES_)]
        fb.wrong(what, f"{', '.join(off)} differ from (U-Net's rate - SegNet's) / 2 on "
                       "Table 7: recompute them")
    if explained_by == "fnr":
        fb.right("the rate behind U-Net's lower AUROC", "where U-Net is behind, its FNR part "
                 "is positive and its FPR part negative: the FNR explains the whole gap")
    else:
        fb.wrong("the rate behind U-Net's lower AUROC", "U-Net's FPR is *lower* than SegNet's "
                 "for every kind of labels: look at the sign of each FPR part, and at the "
                 "size of the FNR parts where U-Net is behind")
    lower = {k for k in _LABELS if ref[k]["fnr"] + ref[k]["fpr"] > 0}
    chosen = set(unet_lower)
    where = "where U-Net's AUROC is the lower one"
    if chosen == lower:
        fb.right(where, "the two parts add up to more than 0 only there")
    elif chosen - lower:
        fb.wrong(where, f"{', '.join(sorted(chosen - lower))}: add the two parts of that gap; "
                        "a sum below 0 means SegNet's AUROC is the lower one")
    else:
        fb.wrong(where, f"you left out {len(lower - chosen)} kind(s) of labels whose two parts "
                        "add up to more than 0")
    if fb.passed:
        t5 = NYAWIRA_TABLE_5
        fb.note("the paper's \"especially\" reads \"only\": with flood-fill labels U-Net's AUROC "
                f"is the higher one ({t5['UNet Flood']['auroc']:.3f} against "
                f"{t5['SegNet Flood']['auroc']:.3f} in Tables 5 and 6). The paper's AUROC is "
                "the area of one operating point, `Confusion.balanced_auroc` of a thresholded "
                "mask, not the rank AUROC of the scores (`metrics.roc_auc`).")


# ============================================================================ 7.5
_RATE_KEYS = ("accuracy", "kappa", "balanced_auroc")


def _scores_for(prevalence, fnr, fpr):
    # The confusion matrix as fractions of all pixels (N = 1, as in the paper's Eq. 4-6).
    tp = (1 - fnr) * prevalence
    fn = fnr * prevalence
    fp = fpr * (1 - prevalence)
    tn = (1 - fpr) * (1 - prevalence)
    pa = tp + tn                                             # observed agreement
    pc = (tp + fn) * (tp + fp) + (tn + fp) * (tn + fn)       # agreement by chance, Eq. 6
    return {"accuracy": pa,
            "kappa": (pa - pc) / (1 - pc),                   # Eq. 4
            "balanced_auroc": 1 - (fpr + fnr) / 2}           # Eq. 3


_PREVALENCES = (0.5, 0.2, 0.05, 0.01)
_RATES = ("UNet RG", "SegNet Manual")


def _kappa_foreground_only(prevalence, fnr, fpr):
    tp, fn = (1 - fnr) * prevalence, fnr * prevalence
    fp, tn = fpr * (1 - prevalence), (1 - fpr) * (1 - prevalence)
    pa, pc = tp + tn, (tp + fn) * (tp + fp)
    return (pa - pc) / (1 - pc)


@exercise(
    title="Is kappa or the AUROC free of class imbalance?",
    kind="test-a-claim", minutes=15,
    hints=(
        "Build the confusion matrix as fractions of all pixels: TP = (1 - FNR) p, FN = FNR p, "
        "FP = FPR (1 - p), TN = (1 - FPR)(1 - p) for a foreground fraction p.",
        "Then Pa = TP + TN, Pc = (TP + FN)(TP + FP) + (TN + FP)(TN + FN) (Eq. 6 with N = 1), "
        "kappa = (Pa - Pc) / (1 - Pc), and the balanced AUROC = 1 - (FPR + FNR) / 2.",
        "Print the three scores of one pair of rates at p = 0.5, 0.2, 0.05, 0.01: which "
        "column never moves?",
    ),
    solution=source_of(_scores_for) + "\n\n\n" + textwrap.dedent('''\
        for name in ("UNet RG", "SegNet Manual"):
            rates = check.NYAWIRA_TABLE_7[name]
            for p in (0.5, 0.2, 0.05, 0.01):
                row = scores_for(p, rates["fnr"], rates["fpr"])
                print(f"{name:14} {p:5}", {k: round(v, 3) for k, v in row.items()})
        # The balanced AUROC depends on the rates only. Kappa moves with the foreground fraction
        # (SegNet Manual: from 0.93 to 0.34); accuracy moves towards 1 - FPR, the background's score.
        unchanged = "balanced_auroc"
    '''))
def ex07_5(fb, scores_for, unchanged):
    """Test a claim: do kappa and the AUROC stay honest when the foreground is rare?

    Nyawira & Bushman prefer the AUROC and kappa because they "more accurately reflect the
    quality of segmentation for the smaller, more important class". Keep a model's error
    rates fixed and change only how rare the foreground is. Write
    ``scores_for(prevalence, fnr, fpr)`` returning ``{"accuracy": ..., "kappa": ...,
    "balanced_auroc": ...}`` for a foreground fraction `prevalence` and the two error rates,
    using the paper's Eq. 3-6. Run it with the rates of UNet RG and SegNet Manual (Table 7)
    at foreground fractions 0.5, 0.2, 0.05 and 0.01, and say which score does not change:
    ``unchanged = "accuracy"``, ``"kappa"`` or ``"balanced_auroc"``.
    """
    fn = as_function(scores_for, "scores_for", "(prevalence, fnr, fpr)")
    unchanged = check_choice(unchanged, "unchanged", _RATE_KEYS)
    failed, wrong = False, {}  # wrong: key -> the first case it was wrong on
    cases = [(name, p) for name in _RATES for p in _PREVALENCES]
    for name, p in cases:
        r = NYAWIRA_TABLE_7[name]
        what = f"{name} rates at foreground fraction {p:g}"
        got = call(fb, fn, "scores_for", (p, r["fnr"], r["fpr"]), what)
        if got is FAILED or got is NOT_WRITTEN:
            failed = True
            break
        if not isinstance(got, dict) or any(k not in got for k in _RATE_KEYS):
            fb.wrong(what, "return a dict with the keys 'accuracy', 'kappa', "
                           f"'balanced_auroc', not {type(got).__name__} {got!r}"[:200])
            failed = True
            break
        ref = _scores_for(p, r["fnr"], r["fpr"])
        for key in _RATE_KEYS:
            v = as_number(got[key])
            if v is None or not close(v, ref[key], 1e-6):
                wrong.setdefault(key, (p, r, v))
    if not failed:
        for key in _RATE_KEYS:
            if key in wrong:
                fb.wrong(key, _rates_hint(key, *wrong[key]))
            else:
                fb.right(key, f"matches Eq. 3-6 in all {len(cases)} cases")
    if unchanged == "balanced_auroc":
        fb.right("the score that does not move", "the balanced AUROC depends on the two "
                 "rates only, never on how many pixels each class has")
    elif unchanged == "kappa":
        fb.wrong("the score that does not move", "kappa corrects for chance, but chance "
                 "agreement Pc itself depends on the class frequencies: print kappa at "
                 "foreground fractions 0.5 and 0.01")
    else:
        fb.wrong("the score that does not move", "accuracy = (1 - FNR) p + (1 - FPR)(1 - p) "
                 "moves with the foreground fraction p unless FNR = FPR: print it for the "
                 "UNet RG rates at p = 0.5 and 0.01")
    if fb.passed:
        lo, hi = ({k: _scores_for(q, NYAWIRA_TABLE_7[k]["fnr"], NYAWIRA_TABLE_7[k]["fpr"])
                   for k in _RATES} for q in (0.01, 0.5))
        fb.note(f"with the same rates, SegNet Manual's kappa is {hi['SegNet Manual']['kappa']:.2f} "
                f"at 50 % foreground and {lo['SegNet Manual']['kappa']:.2f} at 1 %, below UNet "
                f"RG's {lo['UNet RG']['kappa']:.2f} there: compare kappas only on one test set. "
                "The balanced AUROC never moves, so it cannot see that at 1 % foreground most "
                "of the pixels SegNet calls foreground are false positives.")


def _rates_hint(key, p, r, v):
    fnr, fpr = r["fnr"], r["fpr"]
    tp, fn = (1 - fnr) * p, fnr * p
    fp = fpr * (1 - p)
    shown = "a non-number" if v is None else f"{v:.4f}"
    if key == "kappa":
        pa = _scores_for(p, fnr, fpr)["accuracy"]
        if close(v, pa, 1e-6):
            return "that is the accuracy Pa; kappa = (Pa - Pc) / (1 - Pc)"
        if close(v, _kappa_foreground_only(p, fnr, fpr), 1e-6):
            return ("Pc has two terms, one per class: (TP + FN)(TP + FP) for foreground "
                    "and (TN + FP)(TN + FN) for background")
    if key == "balanced_auroc" and close(v, 1 - (fp + fn) / 2, 1e-6):
        return ("Eq. 3 uses the rates FPR and FNR (fractions of each class), not FP and FN "
                "(fractions of all pixels)")
    if key == "accuracy" and close(v, tp, 1e-6):
        return "accuracy counts the right background pixels too: TP + TN"
    return (f"at foreground fraction {p:g} with FNR {fnr:g} and FPR {fpr:g} your {key} is "
            f"{shown}; write TP, FN, FP and TN as fractions of all pixels first, then "
            "Eq. 3-6")

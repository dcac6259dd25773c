"""Exercises of notebook 09 (learning from one image, after Bellybutton).

In the notebook::

    from segkit.exercises import ex09 as check

    check.ex09_1(prediction)      # prints what is right, what is wrong and why
    check.ex09_1.hint()           # graded hints, one per call
    check.ex09_1.solution()       # a reference solution, only when asked

| exercise | kind | minutes |
|---|---|---|
| `ex09_1` epochs, fractions and presentations | predict-then-run | 5 |
| `ex09_2` does the distance output split touching objects? | change-and-observe | 10 |
| `ex09_3` Bellybutton's SEG | write-a-function | 15 |
| `ex09_4` does SEG follow E·F? | test-a-claim | 15 |

The quotations are from Dillavou et al., "Bellybutton: accessible and customizable
deep-learning image segmentation", Scientific Reports (2024), doi:10.1038/s41598-024-63906-y,
and its code (``github.com/sdillavou/bellybuttonseg``, commit 5c46b4a).
"""

import math
import textwrap
import warnings

import numpy as np

from .. import instances, metrics
from .._validate import check_choice, check_int
from ._core import (FAILED, NOT_WRITTEN, as_function, as_mapping, as_number, call, close, exercise,
                    judge_number)

__all__ = ["ex09_1", "ex09_2", "ex09_3", "ex09_4"]


# ============================================================================ 9.1
_M = 8192          # the left half of a 128 x 128 image
_F, _EF = 0.01, 3
_E1_KEYS = ("pixels", "epochs", "presentations", "bellybutton_epochs")


def _e1_reference():
    pixels = round(_F * _M)                    # segkit.patches.training_set
    epochs = math.ceil(_EF / _F - 1e-9)        # segkit.experiments.fraction_study(ef=...)
    return {"pixels": pixels, "epochs": epochs, "presentations": epochs * pixels,
            "bellybutton_epochs": epochs / 8}


@exercise(
    title="Epochs, fractions and presentations",
    kind="predict-then-run", minutes=5,
    hints=(
        "F is a fraction of the labelled pixels M: the training set has F x M pixels, "
        "rounded to a whole number. E x F >= 3 fixes E once F is known.",
        "One epoch shows every training pixel once, so T = E x (number of training pixels); "
        "the paper writes it T = E F M.",
        "Bellybutton's package, with rotations and flips on, shows each sampled pixel in all "
        "8 orientations in one epoch, so one of its epochs is worth 8 of segkit's.",
    ),
    solution='''
        M = 8192                    # labelled pixels: the left half of a 128 x 128 image
        F = 0.01
        pixels = round(F * M)       # 82 training pixels
        epochs = 300                # E x F >= 3 needs E >= 3 / 0.01 = 300
        prediction = {
            "pixels": pixels,
            "epochs": epochs,
            "presentations": epochs * pixels,    # T = E x F x M = 24,600 patches shown
            "bellybutton_epochs": epochs / 8,    # 8 orientations per pixel per epoch: 37.5
        }
    ''')
def ex09_1(fb, prediction):
    """Predict, then run: what E, F, M and T are for one small fraction.

    The labelled area of an image holds M = 8,192 pixels (the left half of a 128 x 128
    image). You train on the fraction F = 0.01 of them, for just enough epochs E that
    E x F >= 3, the paper's selection. Before running anything, predict: the number of
    training pixels, the epochs, the number T of patches shown to the network in training
    (the paper's "total number of training steps" T = E F M), and how many epochs of
    Bellybutton's package, which shows each pixel in all 8 orientations per epoch, show as
    many patches. Pass ``{"pixels": ..., "epochs": ..., "presentations": ...,
    "bellybutton_epochs": ...}``.
    """
    answer = as_mapping(prediction, "prediction", _E1_KEYS)
    got = {}
    for key in _E1_KEYS:
        v = as_number(answer[key])
        if v is None or not math.isfinite(v):
            raise TypeError(f'`prediction["{key}"]` must be a number, got '
                            f"{type(answer[key]).__name__} {answer[key]!r}"[:200])
        got[key] = v
    ref = _e1_reference()

    if close(got["pixels"], ref["pixels"], 0.0):
        fb.right("pixels", "F x M, rounded: what segkit.patches.training_set draws, half "
                           "innies and half outies")
    elif close(got["pixels"], math.floor(_F * _M), 0.0):
        fb.wrong("pixels", "F x M is not a whole number: training_set rounds it to the "
                           "nearest, it does not cut the decimals")
    elif close(got["pixels"], _F * _M / 2, 1.0):
        fb.wrong("pixels", "half of them are innies and half outies, but count both: the "
                           "fraction is of all the labelled pixels")
    else:
        fb.wrong("pixels", "F is the fraction of the M labelled pixels that is used: F x M")

    if close(got["epochs"], ref["epochs"], 0.0):
        fb.right("epochs", "E x F = 300 x 0.01 = 3, the smallest E that reaches it")
    elif close(got["epochs"], _EF * _F, 1e-9) or close(got["epochs"], 3.0, 0.0):
        fb.wrong("epochs", "E x F >= 3 with F = 0.01: solve for E, a division")
    elif close(got["epochs"], ref["epochs"] / 8, 1e-9):
        fb.wrong("epochs", "that is the number of Bellybutton's epochs; segkit's epoch shows "
                           "each pixel once, in one random orientation")
    else:
        fb.wrong("epochs", "E x F >= 3 with F = 0.01: the smallest whole E")

    t_pixels = ref["epochs"] * ref["pixels"]
    if close(got["presentations"], t_pixels, 0.0) or \
            close(got["presentations"], _EF * _M, 0.0):
        fb.right("presentations", "T = E x (training pixels) = E F M (the paper's formula "
                                  "gives 24,576 before rounding F x M)")
    elif close(got["presentations"], ref["pixels"], 0.0) or \
            close(got["presentations"], _M * _F, 1.0):
        fb.wrong("presentations", "that is one epoch; T counts every epoch")
    elif close(got["presentations"], 8 * t_pixels, 0.0):
        fb.wrong("presentations", "segkit shows each training patch once per epoch, in one "
                                  "random orientation: no factor 8 here")
    else:
        fb.wrong("presentations", "one epoch shows every training pixel once: multiply")

    if close(got["bellybutton_epochs"], ref["bellybutton_epochs"], 1e-9):
        fb.right("bellybutton_epochs", "each of its epochs shows 8 patches per pixel, so "
                                       "one eighth of the epochs")
    elif close(got["bellybutton_epochs"], 8 * ref["epochs"], 1e-9):
        fb.wrong("bellybutton_epochs", "its epoch shows *more* patches per pixel (8), so it "
                                       "needs fewer epochs for the same T, not more")
    elif close(got["bellybutton_epochs"], math.ceil(ref["bellybutton_epochs"]), 0.0) or \
            close(got["bellybutton_epochs"], math.floor(ref["bellybutton_epochs"]), 0.0):
        fb.wrong("bellybutton_epochs", "the same T needs a fraction of an epoch here: give "
                                       "the exact quotient, not a rounded one")
    else:
        fb.wrong("bellybutton_epochs", "with rotations and flips on, one Bellybutton epoch "
                                       "shows each pixel in 8 orientations")
    if fb.passed:
        fb.note("the paper's E counts its own epochs: its E·F >= 3 is 8 times more patches "
                "per pixel than segkit's E·F >= 3, if its M counts pixels and not the 8 copies "
                "(the paper does not say).")


# ============================================================================ 9.2
_E2_KEYS = ("connected_components", "split_touching")


def _e2_reference(prob, dist, truth_test, min_area):
    cc = instances.connected_components(prob, min_area=min_area)
    ws = instances.split_touching(prob, dist, min_area=min_area)
    return {"connected_components": metrics.seg_score(truth_test, cc),
            "split_touching": metrics.seg_score(truth_test, ws)}


def _as_maps(prob, dist, truth_test):
    out = []
    for name, arr in (("prob", prob), ("dist", dist), ("truth_test", truth_test)):
        arr = np.asarray(arr)
        if arr.ndim != 2:
            raise ValueError(f"`{name}` must be the notebook's 2-D map (H, W), got shape "
                             f"{arr.shape}")
        out.append(arr)
    if not out[0].shape == out[1].shape == out[2].shape:
        raise ValueError(f"`prob`, `dist` and `truth_test` must have one shape, got "
                         f"{out[0].shape}, {out[1].shape}, {out[2].shape}")
    if out[2].dtype.kind not in "iu":
        raise TypeError(f"`truth_test` must be the integer label image of the notebook, got "
                        f"dtype {out[2].dtype}")
    return out


@exercise(
    title="Does the distance output split touching objects?",
    kind="change-and-observe", minutes=10,
    hints=(
        "`instances.connected_components(prob, min_area=MIN_AREA)` makes objects from the "
        "inside probability alone; `instances.split_touching(prob, dist, "
        "min_area=MIN_AREA)` also uses the distance, as section 4 did.",
        "Score both with `metrics.seg_score(truth_test, ...)`: `prob` is 0 outside the "
        "held-out half, so both label images live there already.",
        "`helped` is True when the watershed's SEG is higher than the components' SEG.",
    ),
    solution='''
        objects = {
            "connected_components": instances.connected_components(prob, min_area=MIN_AREA),
            "split_touching": instances.split_touching(prob, dist, min_area=MIN_AREA),
        }
        scores = {name: metrics.seg_score(truth_test, lab) for name, lab in objects.items()}
        print(scores)
        helped = scores["split_touching"] > scores["connected_components"]
    ''')
def ex09_2(fb, scores, helped, prob, dist, truth_test, min_area=20):
    """Change and observe: objects from the mask alone, or split by the distance output?

    Bellybutton's second output, the distance to the edge, is there "to separate distinct
    regions in contact" (Method). With the maps `prob` and `dist` of section 4, make objects
    in two ways, both with ``min_area=MIN_AREA``: connected components of the inside mask
    (`segkit.instances.connected_components`), and the watershed that uses the distance
    (`segkit.instances.split_touching`). Score both with SEG on the held-out half
    (`truth_test`), pass ``scores = {"connected_components": ..., "split_touching": ...}``,
    and say whether the distance helped: ``helped = True`` or ``False``. Call
    ``check.ex09_2(scores, helped, prob, dist, truth_test, min_area=MIN_AREA)``.
    """
    answer = as_mapping(scores, "scores", _E2_KEYS)
    got = {}
    for key in _E2_KEYS:
        v = as_number(answer[key])
        if v is None:
            raise TypeError(f'`scores["{key}"]` must be a number, got '
                            f"{type(answer[key]).__name__} {answer[key]!r}"[:200])
        got[key] = v
    if not isinstance(helped, (bool, np.bool_)):
        raise TypeError(f"`helped` must be True or False, got {type(helped).__name__} "
                        f"{helped!r}"[:200])
    min_area = check_int(min_area, "min_area", minimum=0)
    prob, dist, truth_test = _as_maps(prob, dist, truth_test)
    ref = _e2_reference(prob, dist, truth_test, min_area)
    no_min = _e2_reference(prob, dist, truth_test, 0) if min_area else ref
    swapped = {"connected_components": ref["split_touching"],
               "split_touching": ref["connected_components"]}
    tol = 1e-6
    for key in _E2_KEYS:
        if close(got[key], ref[key], tol):
            fb.right(f"SEG of {key}")
        elif close(got[key], swapped[key], tol) and not close(ref[key], swapped[key], tol):
            fb.wrong(f"SEG of {key}", "that is the other method's SEG: are the two keys "
                                      "swapped?")
        elif min_area and close(got[key], no_min[key], tol):
            fb.wrong(f"SEG of {key}", "pass `min_area=MIN_AREA` as section 4 does: specks "
                                      "below it are not objects")
        elif got[key] > 1 and close(got[key] / 100, ref[key], tol):
            fb.wrong(f"SEG of {key}", "SEG is a fraction between 0 and 1, not a percentage")
        else:
            fb.wrong(f"SEG of {key}", f"score the labels of `instances.{key}` with "
                                      "`metrics.seg_score(truth_test, labels)`")
    truly = ref["split_touching"] > ref["connected_components"] + tol
    if bool(helped) == truly:
        fb.right("did the distance help", "SEG rises when touching objects are separated: "
                 "each object of a merged pair shares its match with its neighbour, and their "
                 "Jaccard index with the merged blob is about a half" if truly else
                 "not on this prediction: read the two SEGs")
    else:
        fb.wrong("did the distance help", "compare the two SEG values you computed: "
                 "`helped` should say whether the watershed's is higher")
    if fb.passed:
        fb.note(f"SEG {ref['connected_components']:.3f} from the mask alone, "
                f"{ref['split_touching']:.3f} with the distance. A merged pair of two equal "
                "objects scores about 0.5 for each (each is all inside the blob, which is "
                "twice its size): SEG punishes merges, not false detections.")


# ============================================================================ 9.3
def _seg_bellybutton(true_labels, pred_labels):
    t = np.asarray(true_labels).ravel()
    p = np.asarray(pred_labels).ravel()
    pred_ids, pred_areas = np.unique(p, return_counts=True)
    scores = []
    for obj in np.unique(t[t > 0]):
        inside = p[t == obj]                     # the predicted labels over this true object
        area = inside.size
        ids, overlap = np.unique(inside, return_counts=True)
        best = np.argmax(overlap)
        if ids[best] != 0 and overlap[best] > area / 2:  # more than half of it
            union = pred_areas[pred_ids == ids[best]][0] + area - overlap[best]
            scores.append(overlap[best] / union)  # Jaccard index
        else:
            scores.append(0.0)
    return float(np.mean(scores))


def _e3_cases():
    """(description, true, pred) of the hidden test cases."""
    t = np.zeros((6, 12), np.uint16)
    t[0:4, 0:4], t[0:4, 6:10] = 7, 300           # 16 px each, numbered with gaps
    shifted = np.zeros_like(t)
    shifted[0:4, 1:5], shifted[0:4, 6:10] = 2, 9  # object 7 shifted by one column
    half = np.zeros_like(t)
    half[0:2, 0:4] = 1                            # covers exactly half of object 7
    half[0:4, 6:10] = 2
    extra = shifted.copy()
    extra[5, :] = 4                               # a false detection along the bottom
    merged = np.zeros_like(t)
    merged[0:4, 0:10] = 1                         # both objects in one: each < half of it?
    small = np.zeros((8, 8), np.uint16)
    small[1:7, 1:7] = 5                           # 36 px
    cover = np.zeros_like(small)
    cover[1:7, 1:4] = 3                           # 18 px: exactly half
    cover[1:7, 4:5] = 8                           # 6 px
    forty = np.zeros_like(small)
    forty[1:7, 1:6] = 1                           # 30 of 36 px: more than half
    under = np.zeros_like(small)
    under[1:7, 1:3], under[1:3, 3] = 6, 6         # 14 px of object 5 ...
    under[1:7, 5:7] = 7                           # ... 12 px, 10 background: best < half
    sizes = np.zeros((8, 14), np.uint16)
    sizes[1:7, 1:7], sizes[2:4, 9:11] = 5, 9      # 36 px and 4 px
    sizes_pred = np.zeros_like(sizes)
    sizes_pred[1:7, 1:6], sizes_pred[2:4, 9:11] = 1, 2
    empty = np.zeros_like(t)
    return [
        ("two objects, one shifted by a column", t, shifted),
        ("an object covered by exactly half", t, half),
        ("a false detection added", t, extra),
        ("two objects merged into one", t, merged),
        ("an object split in a half and a sixth", small, cover),
        ("an object mostly covered", small, forty),
        ("an object whose best cover is less than half", small, under),
        ("a large and a small object", sizes, sizes_pred),
        ("nothing predicted", t, empty),
    ]


@exercise(
    title="Bellybutton's SEG",
    kind="write-a-function", minutes=15,
    hints=(
        "Loop over the true objects (labels > 0 of `true_labels`). For each, look at the "
        "predicted labels over its pixels: `pred_labels[true_labels == obj]`, and count them "
        "with `np.unique(..., return_counts=True)`.",
        "The predicted label that covers the most of it counts only if it is not 0 "
        "(background) and covers *more than* half of the true object; then its score is "
        "intersection / union, where the union needs the whole area of that predicted "
        "object. Otherwise the object scores 0.",
        "SEG is the mean over the true objects; predicted objects that match nothing do "
        "not enter it.",
    ),
    solution=_seg_bellybutton)
def ex09_3(fb, seg_bellybutton):
    """Write a function: SEG as Bellybutton computes it.

    The paper (Example uses): "For each true region R_i, a 'Jaccard index' is calculated
    with the Bellybutton-generated region B_i of highest overlap, by dividing the area of
    their intersection by the area of their union. True regions that do not have an
    intersection of at least one half of their area are given a score of 0. The SEG
    reported is the average of all such scores". Its code asks for *more than* half.
    Write ``seg_bellybutton(true_labels, pred_labels)`` for two integer label images
    (0 is background; numbers need not be consecutive) that returns SEG as one number, as
    the code does. The checker compares it with `segkit.metrics.seg_score` on hidden
    cases.
    """
    fn = as_function(seg_bellybutton, "seg_bellybutton", "(true_labels, pred_labels)")
    for what, t, p in _e3_cases():
        expect = metrics.seg_score(t, p)
        got = call(fb, fn, "seg_bellybutton", (t.copy(), p.copy()), what)
        if got is NOT_WRITTEN:
            break
        if got is FAILED:
            continue
        judge_number(fb, what, got, expect, 1e-9, hint=lambda v: _e3_hint(v, t, p),
                     kind="one number (a float)", why="the mean of the per-object scores")


def _e3_variants(t, p):
    """What typical slips of the definition give on one case, name -> value."""
    t, p = np.asarray(t).ravel(), np.asarray(p).ravel()
    pred_ids, pred_areas = np.unique(p, return_counts=True)
    rows = []  # (area, best id, overlap, union)
    for obj in np.unique(t[t > 0]):
        ids, overlap = np.unique(p[t == obj], return_counts=True)
        best = np.argmax(overlap)
        area = int((t == obj).sum())
        union = pred_areas[pred_ids == ids[best]][0] + area - overlap[best]
        rows.append((area, ids[best], overlap[best], union))

    def mean(scores, weights=None):
        return float(np.average(scores, weights=weights)) if scores else 0.0

    out = {
        "at least half": mean([o / u if i != 0 and o >= a / 2 else 0.0
                               for a, i, o, u in rows]),
        "background matched": mean([o / u if o > a / 2 else 0.0 for a, i, o, u in rows]),
        "no half rule": mean([o / u if i != 0 else 0.0 for a, i, o, u in rows]),
        "area-weighted": mean([o / u if i != 0 and o > a / 2 else 0.0 for a, i, o, u in rows],
                              [a for a, *_ in rows]),
        "overlap over the true area": mean([o / a if i != 0 and o > a / 2 else 0.0
                                            for a, i, o, u in rows]),
    }
    return out


_E3_HINTS = {
    "at least half": "an overlap of exactly half counts here: the paper's text says \"at "
                     "least one half\", but its code (and the Cell Tracking Challenge) asks "
                     "for more than half (`>`, not `>=`)",
    "background matched": "the label that covers most of a true object may be 0, the "
                          "background: that is no match, the object scores 0",
    "no half rule": "the best-covering predicted object counts only if it covers more than "
                    "half of the true object; otherwise the true object scores 0",
    "area-weighted": "that is the area-weighted SEG: the plain SEG averages over the true "
                     "objects, each counting once",
    "overlap over the true area": "divide the intersection by the *union* of the two "
                                  "objects (their areas added, the intersection once), not by "
                                  "the true object's area",
}


def _e3_hint(v, t, p):
    expect = metrics.seg_score(t, p)
    for name, value in _e3_variants(t, p).items():
        if not close(value, expect, 1e-9) and close(v, value, 1e-9):
            return _E3_HINTS[name]
    if v > 1:
        return "SEG is a mean of Jaccard indices, between 0 and 1"
    return ("compare with the definition: per true object, the Jaccard index with the "
            "predicted object covering more than half of it, else 0; then the mean")


# ============================================================================ 9.4
_E4_KEYS = ("ef", "fraction")


def _corr(runs, method):
    """SEG's correlation with each column; NaN (not a warning) when a column is constant."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's ConstantInputWarning: NaN says it here
        return {k: runs["seg"].corr(runs[k], method=method) for k in _E4_KEYS}


def _e4_reference(runs):
    return _corr(runs, "spearman")


def _as_runs(runs):
    import pandas as pd

    if not isinstance(runs, pd.DataFrame):
        raise TypeError(f"`runs` must be the notebook's table of runs (a pandas DataFrame), "
                        f"got {type(runs).__name__}")
    missing = [c for c in ("seg", "ef", "fraction") if c not in runs.columns]
    if missing:
        raise ValueError(f"`runs` misses the column(s) {missing}: pass the table of section "
                         "6 (`runs`), made by experiments.fraction_study")
    return runs


@exercise(
    title="Does SEG follow E·F?",
    kind="test-a-claim", minutes=15,
    hints=(
        "A rank correlation asks whether SEG rises when a quantity rises, whatever the "
        "shape of the curve: `runs['seg'].corr(runs['ef'], method='spearman')`.",
        "Compute it for `ef` and for `fraction`; the paper's claim is that E·F, not F alone, "
        "decides the score.",
        "`follows = 'ef'` when SEG's rank correlation with E·F is the higher one.",
    ),
    solution=textwrap.dedent('''\
        rho = {name: runs["seg"].corr(runs[name], method="spearman")
               for name in ("ef", "fraction")}
        print({name: round(value, 3) for name, value in rho.items()})
        follows = "ef" if rho["ef"] > rho["fraction"] else "fraction"
    '''))
def ex09_4(fb, rho, follows, runs):
    """Test a claim: is SEG decided by E·F rather than by the fraction F?

    Bellybutton's authors "find that accuracy for a variety of problems is dependent on the
    quantity EF = T/M being sufficiently high" (Example uses, Fig. 2E). With the table `runs`
    of section 6, compute the Spearman (rank) correlation of SEG with E·F (column ``ef``) and
    with F (column ``fraction``): ``rho = {"ef": ..., "fraction": ...}``. Then say which of
    the two SEG follows more closely on this image: ``follows = "ef"`` or ``"fraction"``.
    Call ``check.ex09_4(rho, follows, runs)``.
    """
    answer = as_mapping(rho, "rho", _E4_KEYS)
    got = {}
    for key in _E4_KEYS:
        v = as_number(answer[key])
        if v is None:
            raise TypeError(f'`rho["{key}"]` must be a number, got '
                            f"{type(answer[key]).__name__} {answer[key]!r}"[:200])
        got[key] = v
    follows = check_choice(follows, "follows", _E4_KEYS)
    runs = _as_runs(runs)
    ref = _e4_reference(runs)
    pearson = _corr(runs, "pearson")
    for key in _E4_KEYS:
        what = f"rank correlation of SEG with {key}"
        if close(got[key], ref[key], 1e-6):
            fb.right(what, "undefined: SEG (or the column) is the same in every run; run "
                     "with more fractions and E·F values" if math.isnan(ref[key]) else "")
        elif close(got[key], pearson[key], 1e-6):
            fb.wrong(what, "that is Pearson's correlation, which asks for a straight line; "
                           "use method='spearman' (ranks): the claim is only that SEG rises")
        elif close(got[key], -ref[key], 1e-6):
            fb.wrong(what, "the sign is flipped: correlate SEG with the column, not with its "
                           "inverse or reverse order")
        else:
            fb.wrong(what, f"runs['seg'].corr(runs['{key}'], method='spearman') on the table "
                           "of section 6")
    if math.isnan(ref["ef"]) or math.isnan(ref["fraction"]):
        fb.note("on these runs the claim cannot be tested (an undefined correlation); the "
                "full parameters give a grid where it can")
        fb.right("the conclusion", "nothing to conclude from these runs")
        return
    truly = "ef" if ref["ef"] > ref["fraction"] else "fraction"
    if follows == truly:
        fb.right("the conclusion", f"on this image SEG follows {truly} more closely "
                 f"(rank correlations {ref['ef']:.2f} with E·F, {ref['fraction']:.2f} with F)")
    else:
        fb.wrong("the conclusion", "read your two correlations: which one is higher?")
    if fb.passed:
        fb.note("a handful of runs on one image is a small sample: the repeated runs of "
                "section 6 show how much SEG moves between runs of one setting.")

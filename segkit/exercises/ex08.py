"""Exercises of notebook 08 (instances and uncertainty): BPartIS's AP, its filter, its t_u.

In the notebook::

    from segkit.exercises import ex08 as check

    check.ex08_1(prediction)      # prints what is right, what is wrong and why
    check.ex08_1.hint()           # graded hints, one per call
    check.ex08_1.solution()       # a reference solution, only when asked

| exercise | kind | minutes |
|---|---|---|
| `ex08_1` BPartIS's AP of an almost perfect segmentation | predict-then-run | 10 |
| `ex08_2` BPartIS's uncertainty filter, as their code does it | write-a-function | 15 |
| `ex08_3` where the filter starts to bite | change-and-observe | 10 |
| `ex08_4` does removing a false detection improve the mean IoU? | test-a-claim | 15 |

The definitions are those of Yildirim & Cole, "Bayesian Particle Instance Segmentation for
Electron Microscopy Image Quantification" (BPartIS), J. Chem. Inf. Model. 61(3), 1136-1149
(2021), doi:10.1021/acs.jcim.0c01455, and of their code (``by256/bpartis``,
``bpartis/utils/eval.py`` and ``bpartis/uncertainty.py``); see
docs/notes/issue13-definitions.md.
"""

import numpy as np

from .. import metrics
from .._validate import check_choice, check_real
from ..uncertainty import _object_means
from ._core import FAILED, NOT_WRITTEN, as_function, as_mapping, as_number, call, close, exercise

__all__ = ["ex08_1", "ex08_2", "ex08_3", "ex08_4"]


# ============================================================================ 8.1
_AP_KEYS = ("bpartis_ap", "bpartis_ap50", "stardist_ap")


def _perfect_plus_one():
    truth = np.array([[1, 1, 1, 0, 2, 2, 0, 0, 0]])
    pred = np.array([[1, 1, 1, 0, 2, 2, 0, 3, 3]])  # both particles exact, one false detection
    return truth, pred


@exercise(
    title="BPartIS's AP of an almost perfect segmentation",
    kind="predict-then-run", minutes=10,
    hints=(
        "Both particles are found with IoU 1, so at every IoU threshold t of BPartIS's code "
        "(0.00, 0.05, ..., 0.95) TP = 2, FP = 1 (the false detection), FN = 0. Write the "
        "precision and the recall at each t.",
        "AP50 is the precision at t = 0.5. BPartIS's AP is the area under the curve of "
        "precision against recall, traced as t goes from 0.95 down to 0: how far does recall "
        "move along the way?",
        "The StarDist AP is the mean over t = 0.50, ..., 0.95 of TP / (TP + FP + FN).",
    ),
    solution='''
        # At every threshold: TP = 2, FP = 1, FN = 0, so precision 2/3 and recall 1.
        prediction = {
            "bpartis_ap": 0.0,         # recall never changes with t: the area under the curve is 0
            "bpartis_ap50": 2 / 3,     # the precision at t = 0.5
            "stardist_ap": 2 / 3,      # TP / (TP + FP + FN) = 2 / 3 at every threshold
        }
        t = np.array([[1, 1, 1, 0, 2, 2, 0, 0, 0]])
        p = np.array([[1, 1, 1, 0, 2, 2, 0, 3, 3]])
        print(metrics.average_precision(t, p, definition="bpartis"))
        print(metrics.average_precision(t, p, definition="stardist"))
    ''')
def ex08_1(fb, prediction):
    """Predict, then run: three APs of a segmentation that is perfect but for one extra object.

    A one-row image holds two particles, ``truth = [[1, 1, 1, 0, 2, 2, 0, 0, 0]]``. The
    prediction finds both exactly and adds one false detection:
    ``pred = [[1, 1, 1, 0, 2, 2, 0, 3, 3]]``. Before running anything, predict BPartIS's AP
    and AP50 (``definition="bpartis"``) and the StarDist AP (``definition="stardist"``), as
    fractions, in ``prediction = {"bpartis_ap": ..., "bpartis_ap50": ..., "stardist_ap":
    ...}``. Then check them with `segkit.metrics.average_precision`.
    """
    answer = as_mapping(prediction, "prediction", _AP_KEYS)
    guess = {k: check_real(answer[k], f'prediction["{k}"]') for k in _AP_KEYS}
    truth, pred = _perfect_plus_one()
    b = metrics.average_precision(truth, pred, definition="bpartis")
    s = metrics.average_precision(truth, pred, definition="stardist")
    ref = {"bpartis_ap": b.ap, "bpartis_ap50": b.ap50, "stardist_ap": s.ap}
    tol = 0.01
    for key in _AP_KEYS:
        v = guess[key]
        if close(v, ref[key], tol):
            fb.right(key, {"bpartis_ap": "recall is 1 at every threshold, so the area under "
                                         "the precision-recall curve is zero: a quirk of the "
                                         "published code that the paper's text does not show",
                           "bpartis_ap50": "precision 2 / (2 + 1) at t = 0.5",
                           "stardist_ap": "2 / (2 + 1 + 0) at every threshold"}[key])
        elif v > 1 and close(v / 100, ref[key], tol):
            fb.wrong(key, "give fractions (0.25), not percentages (25)")
        elif key == "bpartis_ap" and close(v, 2 / 3, tol):
            fb.wrong(key, "2/3 is the precision at each threshold; BPartIS's AP is the area "
                          "under precision plotted against recall, and here recall does not "
                          "change as the threshold moves")
        elif key == "bpartis_ap" and close(v, 1.0, tol):
            fb.wrong(key, "the code returns 1 only when every precision and recall is 1; "
                          "the false detection keeps precision at 2/3")
        elif key == "stardist_ap" and close(v, 1.0, tol):
            fb.wrong(key, "the StarDist AP counts the false detection: TP / (TP + FP + FN)")
        elif key == "bpartis_ap50" and close(v, 1.0, tol):
            fb.wrong(key, "AP50 is a precision, TP / (TP + FP): the false detection is an FP")
        else:
            fb.wrong(key, "write TP, FP and FN at one threshold first; they are the same at "
                          "every threshold here")
    if fb.passed:
        fb.note("read BPartIS's AP beside AP50 and AP75: a segmentation whose matches all have "
                "IoU above 0.95 scores an AP near 0 unless it is perfect.")


# ============================================================================ 8.2
def _bpartis_filter(labels, uncertainty, t_u):
    labels = np.asarray(labels)
    out = np.zeros_like(labels)
    for label in np.unique(labels):
        if label == 0:
            continue
        inside = labels == label
        if uncertainty[inside].mean() < t_u:  # kept: numbered 1, 2, ... in order
            out[inside] = out.max() + 1
    return out


def _filter_cases():
    """(description, labels, uncertainty, t_u) of the hidden test cases."""
    lab = np.array([[1, 1, 0, 4, 4, 0, 7, 7],
                    [1, 1, 0, 4, 4, 0, 7, 7]])
    u = np.where(lab == 1, 0.002, np.where(lab == 4, 0.05, np.where(lab == 7, 0.01, 0.6)))
    u_edge = u.copy()
    u_edge[lab == 7] = [0.0, 0.0125, 0.0125, 0.0250]  # mean exactly 0.0125
    high_bg = np.where(lab == 0, 0.69, u)  # uncertain background must not matter
    one_hot_pixel = u.copy()
    one_hot_pixel[0, 0] = 0.03  # particle 1: mean 0.0090, largest value 0.03
    return [
        ("three particles, one uncertain", lab, u, 0.0125),
        ("a sure particle with one unsure pixel", lab, one_hot_pixel, 0.0125),
        ("a particle whose mean equals t_u", lab, u_edge, 0.0125),
        ("an uncertain background", lab, high_bg, 0.0125),
        ("t_u so low that nothing is kept", lab, u, 1e-4),
        ("an image with no particle", np.zeros((3, 4), int), np.full((3, 4), 0.3), 0.0125),
    ]


@exercise(
    title="BPartIS's uncertainty filter, as their code does it",
    kind="write-a-function", minutes=15,
    hints=(
        "Loop over the labels of the particles (`np.unique`, skipping 0); for each, take the "
        "mean of `uncertainty` over its pixels.",
        "Their code keeps a particle when its mean is *strictly below* t_u (`<`), so a mean "
        "equal to t_u is removed.",
        "Kept particles are numbered 1, 2, ..., K in the order of their old labels: start "
        "from an array of zeros and give each kept particle `out.max() + 1`.",
    ),
    solution=_bpartis_filter)
def ex08_2(fb, bpartis_filter):
    """Write a function: the uncertainty filter of BPartIS's code (`bpartis/uncertainty.py`).

    Write ``bpartis_filter(labels, uncertainty, t_u)`` that returns a new label image holding
    only the particles whose mean uncertainty (over the particle's pixels) is below `t_u`,
    renumbered 1, 2, ..., K in the order of their old labels, as BPartIS's
    ``uncertainty_filtering`` does. (segkit's `filter_uncertain` removes means *above* the
    threshold and keeps the labels: the paper's text, not its code.)
    """
    fn = as_function(bpartis_filter, "bpartis_filter", "(labels, uncertainty, t_u)")
    for what, lab, u, t in _filter_cases():
        expect = _bpartis_filter(lab, u, t)
        got = call(fb, fn, "bpartis_filter", (lab.copy(), u.copy(), t), what)
        if got is NOT_WRITTEN:
            break
        if got is FAILED:
            continue
        got = np.asarray(got)
        if got.shape != lab.shape:
            fb.wrong(what, f"return a label image of the input's shape {lab.shape}, got "
                           f"shape {got.shape}")
        elif np.array_equal(got, expect):
            fb.right(what)
        else:
            fb.wrong(what, _filter_hint(got, lab, u, t))


def _filter_hint(got, lab, u, t):
    same_set = np.array_equal(got > 0, _bpartis_filter(lab, u, t) > 0)
    if same_set:
        return ("the right particles are kept but numbered differently: their code numbers "
                "the kept particles 1, 2, ..., K in the order of their old labels")
    ids, means = _object_means(lab, u)
    if np.array_equal(got > 0, np.isin(lab, ids[means <= t])):
        return "a particle whose mean equals t_u is removed by their code: keep only means < t_u"
    if np.array_equal(got > 0, np.isin(lab, ids[means > t])):
        return "you kept the uncertain particles: keep those whose mean is below t_u"
    if len(ids):
        maxes = np.array([u[lab == i].max() for i in ids])
        if np.array_equal(got > 0, np.isin(lab, ids[maxes < t])):
            return "use the mean of the uncertainty over the particle, not its largest value"
    return ("compare, particle by particle, the mean of `uncertainty` over its pixels with "
            "t_u, and keep those below it")


# ============================================================================ 8.3
@exercise(
    title="Where the filter starts to bite",
    kind="change-and-observe", minutes=10,
    hints=(
        "Each particle has one number, the mean of the mutual information over its pixels; "
        "the filter keeps it when that number is at or below t_u. Find those numbers, or "
        "run `uncertainty.filter_uncertain` at a few thresholds and count what is left.",
        "Below the smallest of the per-particle means, nothing is kept: that is the run's "
        "baseline uncertainty (the paper's is 7.8e-4).",
        "Count the objects of a label stack with `sum(np.unique(l).size - 1 for l in labels)`.",
    ),
    solution='''
        kept = uncertainty.filter_uncertain(bayesian, mutual_info, threshold=T_U)
        answer = {
            "kept_at_paper_t_u": sum(int(np.unique(lab).size - 1) for lab in kept),
            "baseline": float(min(mutual_info[i][bayesian[i] == j].mean()
                                  for i in range(len(bayesian))
                                  for j in np.unique(bayesian[i]) if j)),
        }
        print(answer)
    ''')
def ex08_3(fb, labels, uncertainty, answer):
    """Change and observe: move t_u and see where the filter starts to remove particles.

    With the notebook's Bayesian objects `bayesian` and their `mutual_info` map, apply the
    filter at the paper's t_u = 0.0125 (`uncertainty.filter_uncertain`) and count the objects
    it keeps; then find the run's *baseline uncertainty*, the smallest per-object mean
    mutual information, below which the filter removes everything. Pass
    ``check.ex08_3(bayesian, mutual_info, {"kept_at_paper_t_u": ..., "baseline": ...})``.
    """
    from ..uncertainty import _pairs

    answer = as_mapping(answer, "answer", ("kept_at_paper_t_u", "baseline"))
    kept = as_number(answer["kept_at_paper_t_u"])
    base = check_real(answer["baseline"], 'answer["baseline"]')
    pairs, _ = _pairs(labels, uncertainty)
    means = np.concatenate([_object_means(lab, u)[1] for lab, u in pairs])
    if means.size == 0:
        raise ValueError("`labels` holds no object; pass the notebook's `bayesian` objects")
    n_kept = int(np.count_nonzero(means <= 0.0125))
    if kept is not None and kept == n_kept:
        fb.right("objects kept at t_u = 0.0125", f"{n_kept} of {means.size}")
    elif kept is not None and kept == means.size - n_kept:
        fb.wrong("objects kept at t_u = 0.0125", "that is the number the filter removes")
    elif kept is not None and kept == means.size:
        fb.wrong("objects kept at t_u = 0.0125", "that is every object: did you count "
                                                 "before filtering?")
    else:
        fb.wrong("objects kept at t_u = 0.0125", "count the objects left in the filtered "
                                                 "label images, slice by slice")
    if close(base, float(means.min()), 1e-6 + 1e-3 * float(means.min())):
        fb.right("baseline uncertainty", f"{means.min():.2e}; the paper's is 7.8e-4")
    elif close(base, float(means.max()), 1e-9):
        fb.wrong("baseline uncertainty", "that is the largest per-object mean; the baseline "
                                         "is the smallest, below which nothing is kept")
    elif close(base, float(np.concatenate([u.ravel() for _, u in pairs]).mean()), 1e-6):
        fb.wrong("baseline uncertainty", "that is the mean over all pixels; average over "
                                         "each object first, then take the smallest")
    else:
        fb.wrong("baseline uncertainty", "average the mutual information over each object's "
                                         "pixels, then take the smallest of those means")
    if fb.passed:
        fb.note("compare the baseline with the paper's 7.8e-4: a network that is sure of "
                "everything has a small baseline and needs a small t_u.")


# ============================================================================ 8.4
_IOU_KEYS = ("predicted_before", "predicted_after", "reference_before", "reference_after")


@exercise(
    title="Does removing a false detection improve the mean IoU?",
    kind="test-a-claim", minutes=15,
    hints=(
        "`metrics.instance_scores(test_labels, labels, definition=...)[\"mean_iou\"]` with "
        "`definition=\"bpartis\"` is the mean over the predicted objects (0 for one that "
        "matches nothing), with `definition=\"stardist\"` the mean over the true particles "
        "of their best IoU (`metrics.mean_iou(..., over=...)` gives the same for arrays).",
        "Compute both for `bayesian` (before) and `filtered` (after the filter).",
        "Removing objects cannot raise any true particle's best IoU; it can only remove terms "
        "from a mean over predicted objects. Which mean can rise?",
    ),
    solution='''
        over = {"predicted": "bpartis", "reference": "stardist"}  # whose mean IoU averages what
        answer = {f"{k}_{when}": metrics.instance_scores(test_labels, labels,
                                                         definition=d)["mean_iou"]
                  for k, d in over.items()
                  for when, labels in (("before", bayesian), ("after", filtered))}
        print(answer)
        # Only the mean over predicted objects can rise: removing an object removes a term from
        # that mean (a 0 for a false detection), while no true particle gains a better match.
        can_rise = "predicted"
    ''')
def ex08_4(fb, true_labels, before, after, answer, can_rise):
    """Test a claim: the filter raises BPartIS's mean IoU. Does it segment particles better?

    BPartIS reports that the uncertainty filter raises the mean IoU (Table 1: 0.745 to
    0.844). Their mean IoU averages over the *predicted* particles, counting 0 for one that
    matches no true particle. With the notebook's `test_labels`, `bayesian` (before the
    filter) and `filtered` (after), compute the mean IoU over the predicted objects and over
    the reference particles, before and after (`metrics.instance_scores` gives both, with
    ``definition="bpartis"`` and ``"stardist"``): ``answer = {"predicted_before": ...,
    "predicted_after": ..., "reference_before": ..., "reference_after": ...}``. Then say
    which of the two can rise when objects are only removed: ``can_rise = "predicted"`` or
    ``"reference"``. Pass ``check.ex08_4(test_labels, bayesian, filtered, answer, can_rise)``.
    """
    answer = as_mapping(answer, "answer", _IOU_KEYS)
    got = {k: check_real(answer[k], f'answer["{k}"]') for k in _IOU_KEYS}
    can_rise = check_choice(can_rise, "can_rise", ("predicted", "reference"))
    definition = {"predicted": "bpartis", "reference": "stardist"}
    ref = {f"{over}_{when}": metrics.instance_scores(true_labels, labels,
                                                     definition=definition[over])["mean_iou"]
           for over in ("predicted", "reference")
           for when, labels in (("before", before), ("after", after))}
    for key in _IOU_KEYS:
        over, when = key.split("_")
        other = "reference" if over == "predicted" else "predicted"
        if close(got[key], ref[key], 1e-6):
            fb.right(key, f"{ref[key]:.3f}")
        elif close(got[key], ref[f"{other}_{when}"], 1e-6):
            fb.wrong(key, f"that is the mean over the {other} objects; pass over=\"{over}\"")
        elif close(got[key], ref[f"{over}_{'after' if when == 'before' else 'before'}"], 1e-6):
            fb.wrong(key, "that is the other label image: `bayesian` is before the filter, "
                          "`filtered` after it")
        else:
            fb.wrong(key, f"use metrics.instance_scores(test_labels, labels, definition="
                          f"\"{definition[over]}\")[\"mean_iou\"]")
    if can_rise == "predicted":
        fb.right("which mean can rise", "a removed false detection takes a 0 out of the mean "
                 "over predicted objects; no true particle gets a better match")
    else:
        fb.wrong("which mean can rise", "removing predicted objects can never raise a true "
                 "particle's best IoU: compare your reference numbers before and after")
    if fb.passed:
        fb.note("so a higher BPartIS mean IoU after the filter means fewer false detections, "
                "not better outlines; the reference mean says whether true particles were lost.")

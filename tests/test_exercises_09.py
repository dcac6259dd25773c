"""Tests of segkit.exercises.ex09: each checker passes with its reference solution and fails,
with the intended hint, on each typical wrong answer; the references agree with segkit; the
notebook's solution cells are the checkers' solutions."""

import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from segkit import instances, metrics
from segkit.exercises import ex09 as check
from segkit.exercises import overview
from exercise_checks import assert_fails_with, wrong_messages

ROOT = Path(__file__).resolve().parent.parent
NB_09 = ROOT / "notebooks" / "09_one_image.ipynb"


def test_overview_lists_the_four_exercises_of_09():
    ex = [e for e in overview() if e.name.startswith("ex09_")]
    assert [e.name for e in ex] == ["ex09_1", "ex09_2", "ex09_3", "ex09_4"]
    assert {e.kind for e in ex} == {"predict-then-run", "change-and-observe",
                                    "write-a-function", "test-a-claim"}
    assert sum(e.minutes for e in ex) == 45


# ============================================================================ 9.1
RIGHT_1 = {"pixels": 82, "epochs": 300, "presentations": 24_600, "bellybutton_epochs": 37.5}


def test_ex09_1_reference_passes_and_is_what_segkit_does():
    from segkit import patches

    assert check.ex09_1(dict(RIGHT_1))
    assert check.ex09_1({**RIGHT_1, "presentations": 24_576})  # the paper's E F M, unrounded
    assert check._e1_reference() == RIGHT_1
    lab = np.zeros((128, 128), np.int32)
    lab[20:60, 10:50] = 1
    aoi = np.zeros(lab.shape, bool)
    aoi[:, :64] = True
    rows, _ = patches._sample_pixels(lab, fraction=0.01, aoi=aoi, rng=0)
    assert rows.size == RIGHT_1["pixels"]  # what training_set draws from 8,192 pixels


@pytest.mark.parametrize("key, value, hint", [
    ("pixels", 81, "training_set rounds it to the nearest"),
    ("pixels", 41, "count both"),
    ("pixels", 8192, r"F x M"),
    ("epochs", 0.03, "solve for E, a division"),
    ("epochs", 37.5, "that is the number of Bellybutton's epochs"),
    ("epochs", 100, "the smallest whole E"),
    ("presentations", 82, "that is one epoch"),
    ("presentations", 196_800, "no factor 8 here"),
    ("presentations", 1000, "multiply"),
    ("bellybutton_epochs", 2400, "needs fewer epochs for the same T, not more"),
    ("bellybutton_epochs", 38, "give the exact quotient"),
    ("bellybutton_epochs", 300, "8 orientations"),
])
def test_ex09_1_typical_wrong_answers_get_their_hint(key, value, hint):
    res = check.ex09_1({**RIGHT_1, key: value})
    assert_fails_with(res, rf"{key}: .*{hint}")
    assert res.n_right == 3


def test_ex09_1_never_states_the_answer_when_wrong():
    res = check.ex09_1({"pixels": 1, "epochs": 1, "presentations": 1, "bellybutton_epochs": 1})
    text = wrong_messages(res)
    assert res.n_wrong == 4
    for number in ("82", "37.5", "24,600", "24600"):
        assert number not in text


@pytest.mark.parametrize("answer, exc, message", [
    ([82, 300], TypeError, r"`prediction` must be a dict with keys 'pixels', 'epochs'"),
    ({"pixels": 82}, ValueError, r"`prediction` misses 'epochs', 'presentations'"),
    ({**RIGHT_1, "epochs": "300"}, TypeError, r'`prediction\["epochs"\]` must be a number'),
    ({**RIGHT_1, "pixels": float("nan")}, TypeError, r'`prediction\["pixels"\]` must be a'),
])
def test_ex09_1_validates_its_input(answer, exc, message):
    with pytest.raises(exc, match=message):
        check.ex09_1(answer)


# ============================================================================ 9.2
def _maps():
    """Two touching squares and a lone one; a perfect probability and distance map."""
    truth = np.zeros((40, 40), np.int32)
    truth[4:16, 4:16], truth[4:16, 16:28], truth[24:36, 10:22] = 3, 8, 11
    prob = (truth > 0).astype(np.float32)
    dist = instances.distance_targets(truth, cap=10)
    return prob, dist, truth


def _scores(prob, dist, truth, min_area=20):
    return {"connected_components": metrics.seg_score(
                truth, instances.connected_components(prob, min_area=min_area)),
            "split_touching": metrics.seg_score(
                truth, instances.split_touching(prob, dist, min_area=min_area))}


def test_ex09_2_reference_passes_and_the_distance_helps_on_touching_objects():
    prob, dist, truth = _maps()
    scores = _scores(prob, dist, truth)
    assert scores["split_touching"] == pytest.approx(1.0)
    # the touching pair merged: each lies inside the blob twice its size, Jaccard 1/2
    assert scores["connected_components"] == pytest.approx((0.5 + 0.5 + 1) / 3)
    assert check.ex09_2(scores, True, prob, dist, truth, min_area=20)


def test_ex09_2_no_help_when_nothing_touches():
    prob, dist, truth = _maps()
    truth[truth == 8] = 0
    prob, dist = (truth > 0).astype(np.float32), instances.distance_targets(truth, cap=10)
    scores = _scores(prob, dist, truth)
    assert scores["split_touching"] == pytest.approx(scores["connected_components"])
    assert check.ex09_2(scores, False, prob, dist, truth)
    assert_fails_with(check.ex09_2(scores, True, prob, dist, truth),
                      "did the distance help: compare the two SEG values")


def test_ex09_2_typical_wrong_answers():
    prob, dist, truth = _maps()
    truth[30:34, 30:34] = 20  # a 16-pixel object that min_area=20 removes from the prediction
    prob, dist = (truth > 0).astype(np.float32), instances.distance_targets(truth, cap=10)
    scores = _scores(prob, dist, truth)
    swapped = {"connected_components": scores["split_touching"],
               "split_touching": scores["connected_components"]}
    assert_fails_with(check.ex09_2(swapped, True, prob, dist, truth), "are the two keys swapped")
    no_min = _scores(prob, dist, truth, min_area=0)
    assert no_min != scores
    assert_fails_with(check.ex09_2(no_min, True, prob, dist, truth),
                      "pass `min_area=MIN_AREA`")
    percent = {k: 100 * v for k, v in scores.items()}
    assert_fails_with(check.ex09_2(percent, True, prob, dist, truth), "not a percentage")
    res = check.ex09_2(scores, False, prob, dist, truth)
    assert_fails_with(res, "compare the two SEG values")
    assert res.n_right == 2


@pytest.mark.parametrize("args, exc, message", [
    (({"split_touching": 1.0}, True), ValueError, r"`scores` misses 'connected_components'"),
    (({"connected_components": 0.5, "split_touching": 1.0}, "yes"), TypeError,
     r"`helped` must be True or False, got str 'yes'"),
    (({"connected_components": None, "split_touching": 1.0}, True), TypeError,
     r'`scores\["connected_components"\]` must be a number'),
])
def test_ex09_2_validates_its_input(args, exc, message):
    prob, dist, truth = _maps()
    with pytest.raises(exc, match=message):
        check.ex09_2(*args, prob, dist, truth)


def test_ex09_2_validates_the_maps():
    prob, dist, truth = _maps()
    ok = _scores(prob, dist, truth)
    with pytest.raises(ValueError, match=r"`prob`, `dist` and `truth_test` must have one shape"):
        check.ex09_2(ok, True, prob[:10], dist, truth)
    with pytest.raises(TypeError, match=r"`truth_test` must be the integer label image"):
        check.ex09_2(ok, True, prob, dist, truth.astype(float))
    with pytest.raises(ValueError, match=r"`prob` must be the notebook's 2-D map"):
        check.ex09_2(ok, True, prob[None], dist, truth)


# ============================================================================ 9.3
def test_ex09_3_reference_passes():
    assert check.ex09_3(check._seg_bellybutton)


def test_ex09_3_reference_is_segkits_seg_on_random_label_images():
    rng = np.random.default_rng(3)
    for _ in range(30):
        t = rng.integers(0, 5, (7, 9)) * rng.integers(1, 3)
        p = rng.integers(0, 4, (7, 9))
        if t.max() == 0:
            continue
        assert check._seg_bellybutton(t, p) == pytest.approx(metrics.seg_score(t, p),
                                                             abs=1e-12)


def _at_least_half(t, p):
    return check._e3_variants(t, p)["at least half"]


def _background_matched(t, p):
    return check._e3_variants(t, p)["background matched"]


def _no_half_rule(t, p):
    return check._e3_variants(t, p)["no half rule"]


def _area_weighted(t, p):
    return metrics.seg_score(t, p, area_weighted=True)


def _over_true_area(t, p):
    return check._e3_variants(t, p)["overlap over the true area"]


def _per_object_list(t, p):
    return [check._seg_bellybutton(t, p)]


def _mean_over_predicted(t, p):  # matches counted per predicted object
    return check._seg_bellybutton(p, t) if p.any() else 0.0


def _not_written(t, p):
    # YOUR CODE HERE
    raise NotImplementedError()


@pytest.mark.parametrize("fn, hint", [
    (_at_least_half, r"the paper's text says \"at least one half\", but its code"),
    (_background_matched, "the label that covers most of a true object may be 0"),
    (_no_half_rule, "covers more than half of the true object; otherwise"),
    (_area_weighted, "that is the area-weighted SEG"),
    (_over_true_area, "divide the intersection by the \\*union\\*"),
    (_per_object_list, r"return one number \(a float\), not list"),
    (_mean_over_predicted, "compare with the definition"),
    (_not_written, r"`seg_bellybutton` is not written yet"),
])
def test_ex09_3_typical_wrong_answers_get_their_hint(fn, hint):
    assert_fails_with(check.ex09_3(fn), hint)


def test_ex09_3_each_slip_is_caught_by_some_hidden_case():
    """Every variant differs from SEG on at least one case: the hints can be reached."""
    for name in check._E3_HINTS:
        assert any(not math.isclose(check._e3_variants(t, p)[name], metrics.seg_score(t, p))
                   for _, t, p in check._e3_cases()), name


def test_ex09_3_a_crashing_function_is_feedback_and_input_is_validated():
    assert_fails_with(check.ex09_3(lambda t, p: t[99, 99]), "`seg_bellybutton` raised IndexError")
    with pytest.raises(TypeError, match=r"`seg_bellybutton` must be a function"):
        check.ex09_3(0.5)


# ============================================================================ 9.4
def _runs(seg_from_ef=True):
    rows = []
    for f in (0.01, 0.03, 0.1, 0.3):
        for ef in (1.0, 3.0):
            seg = 0.3 + 0.1 * ef + 0.01 * f if seg_from_ef else 0.3 + f + 0.001 * ef
            rows.append({"fraction": f, "epochs": math.ceil(ef / f), "ef": ef, "seg": seg})
    rows.append({"fraction": 0.01, "epochs": 300, "ef": 3.0, "seg": 0.55})
    return pd.DataFrame(rows)


def _rho(runs, method="spearman"):
    return check._corr(runs, method)


def test_ex09_4_reference_passes_either_way_the_data_go():
    runs = _runs(True)
    assert check.ex09_4(_rho(runs), "ef", runs)
    runs = _runs(False)
    assert check.ex09_4(_rho(runs), "fraction", runs)


def test_ex09_4_the_solution_cell_runs_and_passes():
    runs = _runs(True)
    scope = {"runs": runs}
    exec(check.ex09_4.solution(), scope)
    assert check.ex09_4(scope["rho"], scope["follows"], runs)


def test_ex09_4_typical_wrong_answers():
    runs = _runs(True)
    assert_fails_with(check.ex09_4(_rho(runs, "pearson"), "ef", runs),
                      "that is Pearson's correlation")
    flipped = {k: -v for k, v in _rho(runs).items()}
    assert_fails_with(check.ex09_4(flipped, "ef", runs), "the sign is flipped")
    res = check.ex09_4(_rho(runs), "fraction", runs)
    assert_fails_with(res, "the conclusion: read your two correlations")
    assert res.n_right == 2


def test_ex09_4_constant_seg_cannot_test_the_claim():
    runs = _runs(True).assign(seg=0.0)  # e.g. quick mode, nothing found in any run
    with pytest.warns(Warning, match="constant"):  # what the learner's pandas call shows
        rho = {k: runs["seg"].corr(runs[k], method="spearman") for k in ("ef", "fraction")}
    assert math.isnan(rho["ef"])
    res = check.ex09_4(rho, "fraction", runs)
    assert res and any("cannot be tested" in m for m in res.messages)


@pytest.mark.parametrize("args, exc, message", [
    (({"ef": 0.5}, "ef"), ValueError, r"`rho` misses 'fraction'"),
    (({"ef": 0.5, "fraction": 0.1}, "EF"), ValueError, r"`follows` must be 'ef' or 'fraction'"),
    (({"ef": "0.5", "fraction": 0.1}, "ef"), TypeError, r'`rho\["ef"\]` must be a number'),
])
def test_ex09_4_validates_its_input(args, exc, message):
    with pytest.raises(exc, match=message):
        check.ex09_4(*args, _runs())


def test_ex09_4_needs_the_table():
    with pytest.raises(TypeError, match=r"`runs` must be the notebook's table of runs"):
        check.ex09_4({"ef": 0.5, "fraction": 0.1}, "ef", [1, 2])
    with pytest.raises(ValueError, match=r"`runs` misses the column\(s\) \['ef'\]"):
        check.ex09_4({"ef": 0.5, "fraction": 0.1}, "ef", _runs().drop(columns="ef"))


# ============================================================================ the notebook
def _without_markers(source):
    return "\n".join(line for line in source.split("\n") if "SOLUTION" not in line)


def test_notebook_09_solution_cells_are_the_checkers_solutions():
    nb = nbformat.read(NB_09, as_version=4)
    current, seen = None, []
    for cell in nb.cells:
        m = re.search(r"^### Exercise 9\.(\d) · (.+)$", cell.source, re.MULTILINE)
        if m:
            current = getattr(check, f"ex09_{m[1]}")
            assert m[2] == current.title
            seen.append(current.name)
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and "solution" in tags:
            assert _without_markers(cell.source) == current.solution()
        if "check" in tags:
            assert re.fullmatch(rf"check\.{current.name}\(.*\)", cell.source)
    assert seen == ["ex09_1", "ex09_2", "ex09_3", "ex09_4"]

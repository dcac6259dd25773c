"""Tests of segkit.exercises.ex08 (notebook 08): every checker passes with its reference
solution and fails, with the intended hint, on each typical wrong answer."""

import re

import numpy as np
import pytest

from segkit import metrics, uncertainty
from segkit.exercises import ex08 as check
from segkit.exercises import overview
from exercise_checks import assert_fails_with


def test_ex08_is_listed_in_the_overview_with_four_kinds():
    ex08 = [e for e in overview() if e.name.startswith("ex08")]
    assert [e.name for e in ex08] == ["ex08_1", "ex08_2", "ex08_3", "ex08_4"]
    assert {e.kind for e in ex08} == {"predict-then-run", "write-a-function",
                                      "change-and-observe", "test-a-claim"}
    assert sum(e.minutes for e in ex08) == 50


# ============================================================================ 8.1
RIGHT_1 = {"bpartis_ap": 0.0, "bpartis_ap50": 2 / 3, "stardist_ap": 2 / 3}


def test_ex08_1_reference_passes_and_is_what_segkit_computes():
    assert check.ex08_1(dict(RIGHT_1))
    t, p = check._perfect_plus_one()
    assert metrics.average_precision(t, p, definition="bpartis").ap == pytest.approx(0.0)


@pytest.mark.parametrize("key, value, hint", [
    ("bpartis_ap", 2 / 3, r"area under precision plotted against recall"),
    ("bpartis_ap", 1.0, r"returns 1 only when every precision and recall is 1"),
    ("stardist_ap", 1.0, r"counts the false detection"),
    ("bpartis_ap50", 1.0, r"AP50 is a precision"),
    ("bpartis_ap50", 66.7, r"fractions \(0.25\), not percentages"),
    ("stardist_ap", 0.4, r"write TP, FP and FN at one threshold first"),
])
def test_ex08_1_wrong_answers_get_their_hint(key, value, hint):
    assert_fails_with(check.ex08_1({**RIGHT_1, key: value}), hint)


def test_ex08_1_validates_its_input():
    with pytest.raises(ValueError, match=r"`prediction` misses 'stardist_ap'"):
        check.ex08_1({"bpartis_ap": 0, "bpartis_ap50": 0})
    with pytest.raises(TypeError, match=r"`prediction\[\"bpartis_ap\"\]` must be a number"):
        check.ex08_1({**RIGHT_1, "bpartis_ap": "0"})


# ============================================================================ 8.2
def test_ex08_2_reference_passes():
    assert check.ex08_2(check._bpartis_filter)


def test_ex08_2_reference_keeps_strictly_below_and_renumbers():
    lab = np.array([[0, 3, 3, 9, 9, 5]])
    u = np.array([[0.9, 0.001, 0.003, 0.0125, 0.0125, 0.02]])
    assert check._bpartis_filter(lab, u, 0.0125).tolist() == [[0, 1, 1, 0, 0, 0]]
    lab2 = np.array([[4, 4, 0, 2]])
    assert check._bpartis_filter(lab2, np.zeros((1, 4)), 0.01).tolist() == [[2, 2, 0, 1]]


def _keep_labels(labels, uncertainty, t_u):
    return np.where(check._bpartis_filter(labels, uncertainty, t_u) > 0, labels, 0)


def _at_or_below(labels, uncertainty, t_u):
    return uncertainty_filter_le(labels, uncertainty, t_u)


def uncertainty_filter_le(labels, unc, t_u):
    out = np.zeros_like(labels)
    for j in np.unique(labels):
        if j and unc[labels == j].mean() <= t_u:
            out[labels == j] = out.max() + 1
    return out


def _above(labels, unc, t_u):
    out = np.zeros_like(labels)
    for j in np.unique(labels):
        if j and unc[labels == j].mean() > t_u:
            out[labels == j] = out.max() + 1
    return out


def _by_max(labels, unc, t_u):
    out = np.zeros_like(labels)
    for j in np.unique(labels):
        if j and unc[labels == j].max() < t_u:
            out[labels == j] = out.max() + 1
    return out


def _stub(labels, unc, t_u):
    raise NotImplementedError()


@pytest.mark.parametrize("answer, hint", [
    (_keep_labels, r"numbered differently: their code numbers the kept particles 1, 2"),
    (_at_or_below, r"a particle whose mean equals t_u is removed by their code"),
    (_above, r"you kept the uncertain particles"),
    (_by_max, r"use the mean of the uncertainty over the particle, not its largest value"),
    (lambda labels, unc, t_u: labels[:1], r"return a label image of the input's shape"),
    (lambda labels, unc, t_u: 1 / 0, r"raised ZeroDivisionError"),
    (_stub, r"is not written yet"),
])
def test_ex08_2_typical_wrong_answers_get_their_hint(answer, hint):
    assert_fails_with(check.ex08_2(answer), hint)


def test_ex08_2_needs_a_function():
    with pytest.raises(TypeError, match=r"`bpartis_filter` must be a function"):
        check.ex08_2(np.zeros(3))


# ============================================================================ 8.3
def _objects_and_uncertainty():
    lab = np.zeros((2, 6, 8), np.int32)
    lab[0, 1:3, 1:3], lab[0, 1:3, 5:7], lab[1, 3:5, 2:6] = 1, 2, 1
    u = np.full(lab.shape, 0.4)
    u[0][lab[0] == 1], u[0][lab[0] == 2], u[1][lab[1] == 1] = 0.001, 0.05, 0.011
    return lab, u


def test_ex08_3_reference_passes_and_agrees_with_filter_uncertain():
    lab, u = _objects_and_uncertainty()
    kept = uncertainty.filter_uncertain(lab, u, threshold=0.0125)
    n = sum(int(np.unique(k).size - 1) for k in kept)
    assert n == 2
    assert check.ex08_3(lab, u, {"kept_at_paper_t_u": n, "baseline": 0.001})
    assert check.ex08_3(list(lab), list(u), {"kept_at_paper_t_u": 2, "baseline": 0.001})


@pytest.mark.parametrize("answer, hint", [
    ({"kept_at_paper_t_u": 1, "baseline": 0.001}, r"that is the number the filter removes"),
    ({"kept_at_paper_t_u": 3, "baseline": 0.001}, r"that is every object"),
    ({"kept_at_paper_t_u": 0, "baseline": 0.001}, r"count the objects left"),
    ({"kept_at_paper_t_u": 2, "baseline": 0.05}, r"that is the largest per-object mean"),
    ({"kept_at_paper_t_u": 2, "baseline": float(_objects_and_uncertainty()[1].mean())},
     r"that is the mean over all pixels"),
    ({"kept_at_paper_t_u": 2, "baseline": 0.3}, r"average the mutual information over each"),
])
def test_ex08_3_wrong_answers_get_their_hint(answer, hint):
    lab, u = _objects_and_uncertainty()
    assert_fails_with(check.ex08_3(lab, u, answer), hint)


def test_ex08_3_refuses_labels_without_objects():
    with pytest.raises(ValueError, match=r"`labels` holds no object"):
        check.ex08_3(np.zeros((4, 4), int), np.zeros((4, 4)),
                     {"kept_at_paper_t_u": 0, "baseline": 0.0})


# ============================================================================ 8.4
def _before_after():
    t = np.array([[1, 1, 1, 0, 2, 2, 0, 0, 0]])
    before = np.array([[1, 1, 0, 0, 2, 2, 0, 3, 3]])  # example A: a false detection
    after = np.array([[1, 1, 0, 0, 2, 2, 0, 0, 0]])  # the filter removed it
    return t, before, after


def _right_4():
    t, b, a = _before_after()
    return {f"{over}_{when}": metrics.mean_iou(t, lab, over=over)
            for over in ("predicted", "reference") for when, lab in (("before", b), ("after", a))}


def test_ex08_4_reference_passes_and_only_the_predicted_mean_rises():
    t, b, a = _before_after()
    right = _right_4()
    assert right["predicted_after"] > right["predicted_before"]
    assert right["reference_after"] == right["reference_before"]
    assert check.ex08_4(t, b, a, right, "predicted")


@pytest.mark.parametrize("change, can_rise, hint", [
    ({}, "reference", r"can never raise a true particle's best IoU"),
    ({"predicted_before": "reference_before"}, "predicted", r"mean over the reference objects"),
    ({"predicted_after": "predicted_before"}, "predicted", r"that is the other label image"),
])
def test_ex08_4_wrong_answers_get_their_hint(change, can_rise, hint):
    t, b, a = _before_after()
    right = _right_4()
    answer = {**right, **{k: right[v] for k, v in change.items()}}
    assert_fails_with(check.ex08_4(t, b, a, answer, can_rise), hint)


def test_ex08_4_validates_its_input():
    t, b, a = _before_after()
    with pytest.raises(ValueError, match=r"`can_rise`"):
        check.ex08_4(t, b, a, _right_4(), "both")


# ============================================================================ the notebook
def test_notebook_solution_cells_are_the_checkers_solutions():
    from pathlib import Path

    import nbformat

    nb = nbformat.read(Path(__file__).resolve().parent.parent / "notebooks" /
                       "08_instances.ipynb", as_version=4)
    current, seen = None, []
    for cell in nb.cells:
        m = re.search(r"^### Exercise 8\.(\d) · (.+)$", cell.source, re.MULTILINE)
        if m:
            current = getattr(check, f"ex08_{m[1]}")
            assert m[2] == current.title
            seen.append(current.name)
        tags = cell.metadata.get("tags", [])
        if "solution" in tags:
            source = "\n".join(l for l in cell.source.split("\n") if "SOLUTION" not in l)
            assert source.strip("\n") == current.solution()
        if "check" in tags:
            assert re.fullmatch(rf"check\.{current.name}\(.*\)", cell.source)
    assert seen == ["ex08_1", "ex08_2", "ex08_3", "ex08_4"]

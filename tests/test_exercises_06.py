"""Tests of segkit.exercises.ex06: every checker passes with its reference solution and fails,
with the intended hint, on each typical wrong answer; the solution cells of notebook 06 are
the checkers' solutions."""

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segkit import metrics
from segkit.exercises import ex06 as check
from exercise_checks import assert_fails_with, solution_cells_by_check

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "06_segnet.ipynb"


# ============================================================================ 6.1
RIGHT_BLOCK = [[3, 0, 0, 0], [0, 0, 7, 0], [0, 0, 0, 0], [6, 0, 0, 9]]


def test_ex06_1_reference_passes_and_is_what_the_layers_do():
    assert check.ex06_1(RIGHT_BLOCK)
    assert check.ex06_1(np.array(RIGHT_BLOCK, dtype=np.uint8))
    np.testing.assert_array_equal(check._unpooled(check.UNPOOL_BLOCK), RIGHT_BLOCK)


@pytest.mark.parametrize("answer, hint", [
    ([[3, 3, 7, 7], [3, 3, 7, 7], [6, 6, 9, 9], [6, 6, 9, 9]], "that is plain upsampling"),
    ([[3, 0, 0, 0], [0, 0, 7, 0], [0, 0, 0, 0], [6, 0, 0, 0]], "exactly four non-zero pixels"),
    ([[3, 0, 0, 0], [0, 0, 7, 0], [0, 5, 0, 0], [0, 0, 0, 9]], "the kept values are the maximum"),
    ([[3, 0, 0, 0], [0, 0, 7, 0], [0, 0, 0, 0], [6, 0, 9, 0]], "on a tie the first position"),
    (np.zeros((4, 4)), "the output has the size of the block before pooling"),
])
def test_ex06_1_typical_wrong_answers_get_their_hint(answer, hint):
    assert_fails_with(check.ex06_1(answer), hint)


def test_ex06_1_validates_its_input():
    with pytest.raises(ValueError, match=r"`prediction` must be a 4 x 4 array, got shape \(2, 2\)"):
        check.ex06_1([[3, 7], [6, 9]])


# ============================================================================ 6.2
def test_ex06_2_reference_passes_and_agrees_with_segkit():
    assert check.ex06_2(check._kappa)
    rng = np.random.default_rng(2)
    for _ in range(10):
        t, p = rng.random((2, 9, 9)) < rng.random()
        assert check._kappa(t, p) == pytest.approx(metrics.confusion(t, p).cohen_kappa(), abs=1e-12)


def _accuracy(y_true, y_pred):
    return float(np.mean((np.asarray(y_true) > 0) == (np.asarray(y_pred) > 0)))


def _foreground_chance_only(y_true, y_pred):
    t, p = np.asarray(y_true) > 0, np.asarray(y_pred) > 0
    pa, pc = np.mean(t == p), t.mean() * p.mean()
    return float((pa - pc) / (1 - pc))


def _dice(y_true, y_pred):
    return metrics.dice(np.asarray(y_true) > 0, np.asarray(y_pred) > 0)


def _no_bool(y_true, y_pred):  # 0/255 masks taken as numbers
    t, p = np.asarray(y_true).ravel().astype(float), np.asarray(y_pred).ravel().astype(float)
    pa = np.mean(t == p)
    pc = t.mean() * p.mean() + (1 - t.mean()) * (1 - p.mean())
    return float((pa - pc) / (1 - pc))


def _not_written(y_true, y_pred):
    raise NotImplementedError()


@pytest.mark.parametrize("fn, hint", [
    (_accuracy, "that is the accuracy Pa"),
    (_foreground_chance_only, "Pc has a term per class"),
    (_dice, "that is an overlap score of the foreground"),
    (_no_bool, r"compute Pa \(fraction of pixels where the masks agree\)"),
    (_not_written, "`kappa` is not written yet"),
])
def test_ex06_2_typical_wrong_answers_get_their_hint(fn, hint):
    assert_fails_with(check.ex06_2(fn), hint)


# ============================================================================ 6.3 and 6.4
def table(segnet_few=0.5, segnet_flood=0.5, segnet_region=0.5):
    """A table like section 8's: U-Net rows all at kappa 0.5, SegNet's as given."""
    segnet = {"true": 0.5, "flood": segnet_flood, "region": segnet_region,
              "true (1/9.1 of the tiles)": segnet_few}
    rows = [{"network": net, "labels": name, "kappa": segnet[name] if net == "segnet" else 0.5,
             "fnr": 0.2, "fpr": 0.01} for net in ("unet", "segnet") for name in segnet]
    return pd.DataFrame(rows)


def focal_row(fnr, fpr=0.02):
    return pd.DataFrame([{"network": "unet", "labels": "flood", "kappa": 0.6, "fnr": fnr,
                          "fpr": fpr}])


@pytest.mark.parametrize("fnr, fewer", [(0.1, True), (0.3, False)])
def test_ex06_3_passes_when_the_reading_matches_the_tables(fnr, fewer):
    assert check.ex06_3(focal_row(fnr), table(), fewer)
    assert_fails_with(check.ex06_3(focal_row(fnr), table(), not fewer),
                      "compare the `fnr` of your row")


def test_ex06_3_same_row_means_the_loss_was_not_changed():
    same = table().query("network == 'unet' and labels == 'flood'")
    assert_fails_with(check.ex06_3(same, table(), True), "did you change the loss")


def test_ex06_3_validates_its_input():
    with pytest.raises(TypeError, match="`focal` must be a table of experiments.compare_labels"):
        check.ex06_3([0.1], table(), True)
    with pytest.raises(ValueError, match=r"`focal` has no row for network 'unet' on labels "
                                         r"'flood'"):
        check.ex06_3(focal_row(0.1).assign(labels="region"), table(), True)
    with pytest.raises(TypeError, match="`fewer_missed` must be True or False"):
        check.ex06_3(focal_row(0.1), table(), "yes")


@pytest.mark.parametrize("few, answer", [(0.7, True), (0.3, False)])
def test_ex06_4_reference_solution_reads_the_table(few, answer):
    rows = table(segnet_few=few, segnet_flood=0.6, segnet_region=0.55)
    assert check.ex06_4(rows, answer)
    namespace = {"rows": rows}
    exec(check.ex06_4.solution(), namespace)
    assert namespace["few_good_win"] is answer
    assert_fails_with(check.ex06_4(rows, not answer), "compare the SegNet rows only")


def test_ex06_4_needs_the_few_true_rows():
    rows = table()
    with pytest.raises(ValueError, match=r"no row trained on the few true tiles"):
        check.ex06_4(rows[~rows["labels"].str.startswith("true (")], True)
    with pytest.raises(TypeError, match="`few_good_win` must be True or False"):
        check.ex06_4(rows, 1)


# ============================================================================ the notebook
@pytest.mark.parametrize("ex", [check.ex06_1, check.ex06_2, check.ex06_3, check.ex06_4],
                         ids=lambda e: e.name)
def test_notebook_solution_cells_are_the_checkers_solutions(ex):
    cells = solution_cells_by_check(NOTEBOOK)
    assert ex.name in cells, f"notebook 06 has no check cell calling {ex.name}"
    assert textwrap.dedent(cells[ex.name]).strip() == ex.solution().strip()



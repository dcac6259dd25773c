"""Tests of segkit.exercises.ex04: each checker passes with its reference solution and fails,
with the intended hint, on each typical wrong answer; notebook 04's solution cells are the
checkers' solutions."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segkit import augment
from segkit.exercises import ex04 as check
from exercise_checks import (assert_fails_with, assert_solution_cells_are_the_checkers,
                             tagged_cells)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "04_augmentation.ipynb"


def solution_namespace(ex, **names):
    ns = {"np": np, "augment": augment, "check": check, **names}
    exec(ex.solution(), ns)
    return ns


# ============================================================================ 4.1
def test_ex04_1_reference_passes():
    assert check.ex04_1(check._deform)


@pytest.mark.parametrize("answer, pattern", [
    (lambda i, m, rng: augment.elastic_alpha_sigma(i, m, alpha=5, sigma=40, rng=rng),
     "alpha and sigma are swapped"),
    (lambda i, m, rng: augment.elastic_grid(i, m, sigma=5, points=3, rng=rng),
     "that is the B-spline grid"),
    (lambda i, m, rng: augment.elastic_alpha_sigma(i, m, alpha=40, sigma=5, rng=rng, order=3),
     "cubic splines"),
    (lambda i, m, rng: augment.elastic_alpha_sigma(i, m, alpha=40, sigma=5, rng=rng,
                                                   mode="constant"), "mode='constant'"),
    (lambda i, m, rng: augment.elastic_alpha_sigma(i, m, alpha=40, sigma=5, rng=0),
     "seeds 3 and 4 gave the same deformation"),
    (lambda i, m, rng: augment.elastic_alpha_sigma(i, m, alpha=40, sigma=5, rng=None),
     "two calls with the same `rng` gave different results"),
    (lambda i, m, rng: augment.elastic_alpha_sigma(i, m, alpha=30, sigma=5, rng=rng),
     "use `augment.elastic_alpha_sigma"),
    (lambda i, m, rng: augment.elastic_alpha_sigma(i, m, alpha=40, sigma=5, rng=rng)[0],
     r"return the pair \(image, mask\)"),
])
def test_ex04_1_wrong_answers(answer, pattern):
    assert_fails_with(check.ex04_1(answer), pattern)


def test_ex04_1_a_mask_that_is_not_binary_is_wrong():
    def blurry(image, mask, rng):
        out, _ = augment.elastic_alpha_sigma(image, mask, alpha=40, sigma=5, rng=rng)
        return out, out  # the image as the "mask"

    assert_fails_with(check.ex04_1(blurry), "the mask must stay binary")


# ============================================================================ 4.2
def test_ex04_2_reference_passes():
    assert check.ex04_2(solution_namespace(check.ex04_2)["ks"])


@pytest.mark.parametrize("ks, pattern", [
    ({"vertical": 6, "horizontal": 4, "half turn": 2}, "vertical and horizontal are swapped"),
    ({"vertical": 4, "horizontal": 6, "half turn": 6}, "a half turn is a rotation alone"),
    ({"vertical": 2, "horizontal": 6, "half turn": 2}, "a flip needs k in 4..7"),
    ({"vertical": 5, "horizontal": 6, "half turn": 2}, "turns by a quarter turn"),
    ({"vertical": 4, "horizontal": 6, "half turn": 0}, "a flip needs k|compare"),
])
def test_ex04_2_wrong_answers(ks, pattern):
    assert_fails_with(check.ex04_2(ks), pattern)


def test_ex04_2_validates_its_input():
    with pytest.raises(ValueError, match=r"`ks\[\"vertical\"\]` must be an integer k in 0..7"):
        check.ex04_2({"vertical": 8, "horizontal": 6, "half turn": 2})
    with pytest.raises(ValueError, match=r"`ks` misses 'half turn'"):
        check.ex04_2({"vertical": 4, "horizontal": 6})


# ============================================================================ 4.3
def test_ex04_3_reference_passes():
    ns = solution_namespace(check.ex04_3)
    assert ns["vacant"][90] < 0.01 < ns["vacant"][15] < ns["vacant"][30] < ns["vacant"][45]
    assert check.ex04_3(ns["vacant"], ns["worst"])


def test_ex04_3_wrong_answers():
    ref = {a: check._vacant(a) for a in check._ANGLES}
    assert_fails_with(check.ex04_3({a: 1 - v for a, v in ref.items()}, 45),
                      "the pixels that stayed inside")
    assert_fails_with(check.ex04_3({a: 100 * v for a, v in ref.items()}, 45),
                      "not percentages")
    assert_fails_with(check.ex04_3({a: 0.0 for a in ref}, 45), "mode='reflect'")
    assert_fails_with(check.ex04_3({**ref, 30: ref[30] + 0.05}, 45), r"the angles \[30\]")
    assert_fails_with(check.ex04_3(ref, 90), "covers its frame exactly")
    assert_fails_with(check.ex04_3(ref, 30), "compare your four fractions")


# ============================================================================ 4.4
@pytest.fixture
def table():
    return pd.DataFrame({"transform": ["None", "Vertical Flip", "Rotate 90", "Random Noise"],
                         "train_loss": [0.50, 0.60, 0.40, 0.45],
                         "val_loss": [0.70, 0.65, 0.75, 0.80]})


def test_ex04_4_reference_passes(table):
    ns = solution_namespace(check.ex04_4, table=table)
    assert sorted(ns["lower"]) == ["Random Noise", "Rotate 90"] and ns["agrees"] is True
    assert check.ex04_4(ns["lower"], ns["agrees"], table)


def test_ex04_4_when_most_rows_do_not_lower_it(table):
    table.loc[table["transform"] == "Random Noise", "train_loss"] = 0.9
    result = check.ex04_4(["Rotate 90"], False, table)
    assert result and "not most, unlike Malec's table" in "\n".join(result.messages)


@pytest.mark.parametrize("lower, agrees, pattern", [
    (["None", "Rotate 90", "Random Noise"], True, "leave the 'None' row out"),
    (["Vertical Flip"], False, "lower \\*validation\\* loss|higher\\* training loss"),
    (["Rotate 45"], True, r"are not rows of your table"),
    (["Rotate 90"], True, "compare each row's `train_loss`"),
    (["Rotate 90", "Random Noise"], False, "count your rows"),
])
def test_ex04_4_wrong_answers(table, lower, agrees, pattern):
    assert_fails_with(check.ex04_4(lower, agrees, table), pattern)


def test_ex04_4_validation_loss_rows_get_their_hint(table):
    table["val_loss"] = [0.70, 0.65, 0.75, 0.60]  # lower val loss: Vertical Flip, Random Noise
    assert_fails_with(check.ex04_4(["Vertical Flip", "Random Noise"], True, table),
                      "lower \\*validation\\* loss")


def test_ex04_4_validates_its_input(table):
    with pytest.raises(TypeError, match=r"`table` must be the DataFrame"):
        check.ex04_4([], False, {"transform": []})
    with pytest.raises(ValueError, match=r"`table` has no 'None' row"):
        check.ex04_4([], False, table[table["transform"] != "None"])
    with pytest.raises(TypeError, match=r"`lower` must be a list"):
        check.ex04_4("Rotate 90", True, table)
    with pytest.raises(TypeError, match=r"`agrees` must be True or False"):
        check.ex04_4([], "yes", table)


# ============================================================================ the notebook
def test_notebook_solutions_are_the_checkers_solutions():
    assert_solution_cells_are_the_checkers(
        NOTEBOOK, [check.ex04_1, check.ex04_2, check.ex04_3, check.ex04_4])
    checks = [c.source.strip() for c in tagged_cells(NOTEBOOK, "check")]
    assert checks == ["check.ex04_1(deform)", "check.ex04_2(ks)", "check.ex04_3(vacant, worst)",
                      "check.ex04_4(lower, agrees, table)"]

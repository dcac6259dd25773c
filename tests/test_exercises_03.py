"""Tests of segkit.exercises.ex03: each checker passes with its reference solution and fails,
with the intended hint, on the typical wrong answers."""

import re
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest

from segkit import instances, metrics, synthetic, weak
from segkit.exercises import ex03 as check
from exercise_checks import assert_fails_with


def run_solution(ex, **context):
    """Execute an exercise's solution text in `context`; return the names it defined."""
    scope = dict(context)
    exec(textwrap.dedent(ex.solution()), scope)
    return scope


# ============================================================================ 3.1
RIGHT_31 = {"closing r=1": False, "closing r=8": False, "dilation r=1": False,
            "dilation r=2": True}


def test_ex03_1_reference_passes_and_matches_the_solution_text():
    assert check.ex03_1(dict(RIGHT_31))
    assert run_solution(check.ex03_1)["prediction"] == RIGHT_31


def test_ex03_1_the_gap_image_behaves_as_the_notes_say():
    # docs/notes/issue13-definitions.md §3.4: a closing of a one-pixel line never bridges a
    # straight gap, whatever the radius; a dilation does once 2 r >= the gap
    for r in (1, 2, 3, 5, 8):
        assert not check._gap_closed("closing", r)
    assert not check._gap_closed("dilation", 1) and check._gap_closed("dilation", 2)


@pytest.mark.parametrize("key, hint", [
    ("closing r=8", "ask whether the disk, centred in the gap, fits"),
    ("closing r=1", "a closing is a dilation followed by an erosion"),
    ("dilation r=2", r"compare 2 r with the gap of 3 pixels"),
    ("dilation r=1", r"compare 2 r with the gap of 3 pixels"),
])
def test_ex03_1_wrong_predictions_get_their_hint(key, hint):
    res = check.ex03_1({**RIGHT_31, key: not RIGHT_31[key]})
    assert_fails_with(res, rf"{re.escape(key)}: .*{hint}")
    assert res.n_wrong == 1


def test_ex03_1_validates_its_input():
    with pytest.raises(ValueError, match=r"`prediction` misses 'dilation r=2'"):
        check.ex03_1({k: v for k, v in RIGHT_31.items() if k != "dilation r=2"})
    with pytest.raises(TypeError, match=r'`prediction\["closing r=1"\]` must be True'):
        check.ex03_1({**RIGHT_31, "closing r=1": "no"})


# ============================================================================ 3.2
def test_ex03_2_reference_passes():
    scope = run_solution(check.ex03_2)
    assert check.ex03_2(scope["good"], scope["leaky"])


@pytest.mark.parametrize("good, leaky, pattern", [
    (0.05, 0.5, r"good: per-click Dice .*the regions stop early, raise the threshold"),
    (0.5, 0.5, r"good: per-click Dice .*spill over 1.5 times their cell; lower"),
    (0.2, 0.08, r"leaky: only .* stop early: that threshold is too low to leak"),
    (0.2, 0.25, r"leaky: only .* the membranes still stop them"),
    (51, 0.5, r"good: 51 looks like grey levels: .* is 0.200"),
    (0.2, 0, r"leaky: a growth threshold of 0 or less"),
])
def test_ex03_2_typical_wrong_answers_get_their_hint(good, leaky, pattern):
    assert_fails_with(check.ex03_2(good, leaky), pattern)


def test_ex03_2_checks_on_the_notebooks_images():
    images, labels, pts, ids = check._cells()
    nb_images, nb_labels, _ = synthetic.make_cells(8, (256, 256), seed=0, n_cells=40)
    np.testing.assert_array_equal(images, nb_images[:2])  # the notebook's defaults
    np.testing.assert_array_equal(labels, nb_labels[:2])


# ============================================================================ 3.3
def test_ex03_3_reference_passes():
    assert check.ex03_3(check._my_recipe)
    assert check.ex03_3.solution().startswith("def my_recipe(image, points):")


@pytest.mark.parametrize("recipe, pattern", [
    (lambda im, p: weak.flood_fill_labels(im, p),
     r"clicks without a region: \d+ of 24: touching particles have no dark gap"),
    (lambda im, p: weak.region_grow(im, p, threshold=0.05),
     r"per-click Dice: .*the regions stop inside their particles; raise"),
    (lambda im, p: weak.region_grow(im, p, threshold=0.5),
     r"per-click Dice: .*the regions run into the background; lower"),
    (lambda im, p: instances.connected_components(weak.region_grow(im, p, threshold=0.25) > 0),
     r"numbering: .*did you relabel"),
    (lambda im, p: weak.region_grow(im, p, threshold=0.25) > 0, r"that is a mask"),
    (lambda im, p: weak.region_grow(im[0], p[p[:, 0] == 0, 1:], threshold=0.25),
     r"return one label image per slice, shape \(2, 128, 128\)"),
])
def test_ex03_3_typical_wrong_recipes_get_their_hint(recipe, pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a flood fill warns about its lost clicks
        res = check.ex03_3(recipe)
    assert_fails_with(res, pattern)


def test_ex03_3_reports_a_crash_and_a_stub_as_feedback():
    def stub(image, points):
        raise NotImplementedError()

    assert_fails_with(check.ex03_3(stub), r"`my_recipe` is not written yet")
    assert_fails_with(check.ex03_3(lambda im, p: 1 / 0), r"`my_recipe` raised ZeroDivisionError")
    with pytest.raises(TypeError, match=r"`my_recipe` must be a function"):
        check.ex03_3(0.25)


def test_ex03_3_the_reference_recipe_is_good_on_the_hidden_images():
    images, labels, pts, ids = check._particles()
    s = metrics.click_scores(labels, check._my_recipe(images, pts), pts, ids=ids).summary()
    assert s["dice_per_click"] >= 0.85 and s["lost"] == 0


# ============================================================================ 3.4
def toy_sweep():
    """A hand-made section-7 table: flood fill near its best from 0.4 to 0.6, region growing
    from 0.1 to 0.3 by Dice; by kappa, each 0.1 wide."""
    rows = []
    for t, fd, fk, gd, gk in [(0.1, 0.1, 0.0, 0.90, 0.80), (0.2, 0.1, 0.0, 0.95, 0.90),
                              (0.3, 0.2, 0.1, 0.93, 0.87), (0.4, 0.89, 0.3, 0.70, 0.60),
                              (0.5, 0.91, 0.41, 0.60, 0.10), (0.6, 0.90, 0.40, 0.50, 0.00)]:
        rows.append({"filler": "flood fill", "threshold": t, "dice_per_click": fd,
                     "kappa_per_image": fk})
        rows.append({"filler": "region growing", "threshold": t, "dice_per_click": gd,
                     "kappa_per_image": gk})
    return pd.DataFrame(rows)


def test_ex03_4_reference_passes_on_a_hand_made_table():
    sweep = toy_sweep()
    scope = run_solution(check.ex03_4, sweep=sweep)
    assert scope["widths"] == pytest.approx({"flood fill": 0.1, "region growing": 0.1})
    assert scope["verdict"] == "not supported"
    assert check.ex03_4(sweep, scope["widths"], scope["verdict"])


def test_ex03_4_reference_widths_by_hand():
    widths = check._plateau_widths(toy_sweep(), "kappa_per_image")
    assert widths == pytest.approx({"flood fill": 0.1, "region growing": 0.1})
    by_dice = check._plateau_widths(toy_sweep(), "dice_per_click")
    assert by_dice == pytest.approx({"flood fill": 0.2, "region growing": 0.2})


@pytest.mark.parametrize("widths, verdict, pattern", [
    ({"flood fill": 0.2, "region growing": 0.1}, "not supported",
     r"width for flood fill: that is the spread on the per-click Dice"),
    ({"flood fill": 0.1, "region growing": 0.3}, "not supported",
     r"width for region growing: take the rows of that filler"),
    ({"flood fill": 0.1, "region growing": 0.1}, "supported", r"verdict: compare the two"),
])
def test_ex03_4_typical_wrong_answers_get_their_hint(widths, verdict, pattern):
    assert_fails_with(check.ex03_4(toy_sweep(), widths, verdict), pattern)


def test_ex03_4_validates_the_table():
    with pytest.raises(TypeError, match=r"`sweep` must be section 7's pandas DataFrame"):
        check.ex03_4({}, {"flood fill": 0, "region growing": 0}, "supported")
    with pytest.raises(ValueError, match=r"`sweep` misses the column\(s\) \['kappa_per_image'\]"):
        check.ex03_4(toy_sweep().drop(columns="kappa_per_image"),
                     {"flood fill": 0, "region growing": 0}, "supported")
    with pytest.raises(ValueError, match=r"`verdict` must be 'supported' or 'not supported'"):
        check.ex03_4(toy_sweep(), {"flood fill": 0.1, "region growing": 0.1}, "yes")

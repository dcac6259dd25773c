"""Tests of segkit.exercises.ex02: each checker passes with its reference solution and fails,
with the intended hint, on each typical wrong answer; notebook 02's solution cells are the
checkers' solutions."""

from pathlib import Path

import numpy as np
import pytest

from segkit import eda
from segkit.exercises import ex02 as check
from exercise_checks import (assert_fails_with, assert_solution_cells_are_the_checkers,
                             tagged_cells)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "02_eda.ipynb"


def solution_namespace(ex, **names):
    ns = {"np": np, "eda": eda, "check": check, **names}
    exec(ex.solution(), ns)
    return ns


@pytest.fixture(scope="module")
def masks():
    """A small stack where connectivity matters: objects touching at an edge and a corner."""
    m = np.zeros((4, 12, 12, 1), np.uint8)
    m[0:2, 1:4, 1:4] = 1
    m[2, 4, 4] = 1          # touches the block (1, 3, 3) at a corner only
    m[0, 8, 8] = m[1, 9, 8] = 1  # an edge between them
    m[3, 10, 1:5] = 1
    return m


# ============================================================================ 2.1
def test_ex02_1_reference_passes():
    ns = solution_namespace(check.ex02_1)
    assert check.ex02_1(ns["prediction"])
    ref = eda.best_threshold(*check._toy())
    assert ref["polarity"] == "below" and ref["dice"] == pytest.approx(8 / 9)


@pytest.mark.parametrize("prediction, pattern", [
    ({"polarity": "above", "dice": 8 / 9}, "are the mitochondrion pixels the brighter"),
    ({"polarity": "below", "dice": 6 / 7}, "that is the first clean cut"),
    ({"polarity": "below", "dice": 0.9}, "0.9 is the accuracy"),
    ({"polarity": "below", "dice": 0.8}, "that is the Jaccard index"),
    ({"polarity": "below", "dice": 88.9}, "not a percentage"),
    ({"polarity": "below", "dice": 0.5}, "list the cuts"),
])
def test_ex02_1_wrong_answers(prediction, pattern):
    assert_fails_with(check.ex02_1(prediction), pattern)


def test_ex02_1_validates_its_input():
    with pytest.raises(ValueError, match=r"`prediction` misses 'dice'"):
        check.ex02_1({"polarity": "below"})
    with pytest.raises(ValueError,
                       match=r"`prediction\[\"polarity\"\]` must be 'above' or 'below'"):
        check.ex02_1({"polarity": "darker", "dice": 0.9})


# ============================================================================ 2.2
def test_ex02_2_reference_passes(masks):
    ns = solution_namespace(check.ex02_2, masks=masks)
    assert ns["counts"][1] > ns["counts"][2] > ns["counts"][3]  # the fixture is built so
    assert check.ex02_2(ns["counts"], ns["can_be_fewer"], masks)


def test_ex02_2_wrong_answers(masks):
    ref = {k: eda.count_objects(masks, dims=3, connectivity=k)[0] for k in (1, 2, 3)}
    assert_fails_with(check.ex02_2(ref, True, masks), "what can happen to an object")
    swapped = {1: ref[3], 2: ref[2], 3: ref[1]}
    assert_fails_with(check.ex02_2(swapped, False, masks), "connectivity 1 and 3 are swapped")
    per_slice = {k: eda.count_objects(masks, connectivity=min(k, 2))[0] for k in (1, 2, 3)}
    assert_fails_with(check.ex02_2(per_slice, False, masks), "pass `dims=3`")
    assert_fails_with(check.ex02_2({**ref, 2: ref[2] + 1}, False, masks),
                      r"connectivity \[2\] differ")


def test_ex02_2_notes_when_the_counts_agree():
    m = np.zeros((2, 5, 5), np.uint8)
    m[:, 1:3, 1:3] = 1
    result = check.ex02_2({1: 1, 2: 1, 3: 1}, False, m)
    assert result and "the counts agree" in result.messages[-1]


def test_ex02_2_validates_its_input(masks):
    with pytest.raises(ValueError, match=r"`counts` misses 3"):
        check.ex02_2({1: 3, 2: 2}, False, masks)
    with pytest.raises(TypeError, match=r"`counts\[1\]` must be a number of objects"):
        check.ex02_2({1: 3.5, 2: 2, 3: 1}, False, masks)
    with pytest.raises(TypeError, match=r"`can_be_fewer` must be True or False"):
        check.ex02_2({1: 3, 2: 2, 3: 1}, "no", masks)


# ============================================================================ 2.3
def test_ex02_3_reference_passes():
    ns = solution_namespace(check.ex02_3)
    assert check.ex02_3(ns["square_side_px"], ns["cube_side_px"], ns["claims_hold"])


@pytest.mark.parametrize("square, cube, holds, pattern", [
    (np.sqrt(70_013.9), np.cbrt(13_430_224.3) / 5, True, "that side is in nm"),
    (np.sqrt(70_013.9 / 5), np.cbrt(13_430_224.3) / 5, True, "converts with the pixel's area"),
    (np.sqrt(70_013.9) / 5, np.cbrt(13_430_224.3), True, "that side is in nm; a voxel"),
    (np.sqrt(70_013.9) / 5, np.cbrt(13_430_224.3 / 25), True, "the voxel's volume, 125"),
    (np.sqrt(70_013.9) / 5, np.sqrt(13_430_224.3) / 5, True, "cube root of its volume"),
    (np.sqrt(70_013.9) / 5, np.cbrt(13_430_224.3) / 5, False, "round your two sides"),
    (50.0, 40.0, True, "take the square root"),
])
def test_ex02_3_wrong_answers(square, cube, holds, pattern):
    assert_fails_with(check.ex02_3(square, cube, holds), pattern)


def test_ex02_3_validates_its_input():
    with pytest.raises(TypeError, match=r"`claims_hold` must be True or False"):
        check.ex02_3(52.9, 47.5, "yes")


# ============================================================================ 2.4
def test_ex02_4_reference_passes():
    result = check.ex02_4(check._mean_volume_nm3)
    assert result and result.n_right == len(check._volume_cases())


def test_ex02_4_agrees_with_count_objects(masks):
    _, volumes = eda.count_objects(masks, dims=3, spacing=5.0)
    assert check._mean_volume_nm3(masks, 5.0) == pytest.approx(volumes.mean())


def _per_slice(masks, voxel_nm):
    return eda.count_objects(np.asarray(masks), spacing=voxel_nm)[1].mean() * voxel_nm


def _faces(masks, voxel_nm):
    m = np.asarray(masks)
    m = m[..., 0] if m.ndim == 4 else m
    return eda.count_objects(m, dims=3, connectivity=1)[1].mean() * voxel_nm ** 3


def _squared(masks, voxel_nm):
    return check._mean_volume_nm3(masks, voxel_nm) / voxel_nm


def _voxels(masks, voxel_nm):
    return check._mean_volume_nm3(masks, voxel_nm) / voxel_nm ** 3


def _with_background(masks, voxel_nm):
    from skimage.measure import label

    return np.bincount(label(np.asarray(masks) > 0).ravel()).mean() * voxel_nm ** 3


def _total(masks, voxel_nm):
    return float((np.asarray(masks) > 0).sum()) * voxel_nm ** 3


@pytest.mark.parametrize("answer, pattern", [
    (_per_slice, "the mean over the objects of each slice"),
    (_faces, "you used faces only"),
    (_squared, r"not voxel_nm \*\* 2"),
    (_voxels, "that is in voxels"),
    (_with_background, "the background \\(label 0\\) is counted"),
    (_total, "that is the total volume"),
    (lambda masks, voxel_nm: [1.0, 2.0], "return one number"),
    (lambda masks, voxel_nm: 42.0, "label the stack in 3-D"),
])
def test_ex02_4_wrong_answers(answer, pattern):
    assert_fails_with(check.ex02_4(answer), pattern)


# ============================================================================ the notebook
def test_notebook_solutions_are_the_checkers_solutions():
    assert_solution_cells_are_the_checkers(
        NOTEBOOK, [check.ex02_1, check.ex02_2, check.ex02_3, check.ex02_4])
    checks = [c.source.strip() for c in tagged_cells(NOTEBOOK, "check")]
    assert checks == ["check.ex02_1(prediction)", "check.ex02_2(counts, can_be_fewer, masks)",
                      "check.ex02_3(square_side_px, cube_side_px, claims_hold)",
                      "check.ex02_4(mean_volume_nm3)"]

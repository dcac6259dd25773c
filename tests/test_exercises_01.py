"""Tests of segkit.exercises.ex01: each checker passes with its reference solution and fails,
with the intended hint, on each typical wrong answer; notebook 01's solution cells are the
checkers' solutions."""

from pathlib import Path

import numpy as np
import pytest

from segkit import io
from segkit.exercises import ex01 as check
from exercise_checks import (assert_fails_with, assert_solution_cells_are_the_checkers,
                             tagged_cells)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_wrangling.ipynb"


def solution_namespace(ex):
    """Run an exercise's solution text and return the names it defines."""
    ns = {"np": np, "io": io, "check": check}
    exec(ex.solution(), ns)
    return ns


# ============================================================================ 1.1
def test_ex01_1_reference_passes():
    assert check.ex01_1(solution_namespace(check.ex01_1)["tiles_shape"])
    assert check.ex01_1(io.tile(np.zeros((10, 700, 1000), np.uint8), 256).shape)


@pytest.mark.parametrize("answer, pattern", [
    ((60, 256, 256, 1), "you rounded down"),
    ((80, 256, 256, 1), "one side is rounded down"),
    ((12, 256, 256, 1), "that is the count of one slice"),
    ((107, 256, 256, 1), "not a division of the pixel count"),
    ((120, 256, 256), "four numbers, the last one the grey channel"),
    ((120, 256, 256, 3), "the EM stacks are grey"),
    ((120, 200, 256, 1), "every tile has the side given"),
])
def test_ex01_1_wrong_answers(answer, pattern):
    assert_fails_with(check.ex01_1(answer), pattern)


def test_ex01_1_validates_its_input():
    with pytest.raises(TypeError, match=r"`tiles_shape` must be a tuple of integers"):
        check.ex01_1("(120, 256, 256, 1)")
    with pytest.raises(TypeError, match=r"`tiles_shape` must be a tuple of integers"):
        check.ex01_1((120.0, 256, 256, 1))


# ============================================================================ 1.2
def test_ex01_2_reference_passes():
    assert check.ex01_2(check._normalise)


def _own_percentiles(train, test):
    return io.Normalization.fit(train)(train), io.Normalization.fit(test)(test)


def _both(train, test):
    norm = io.Normalization.fit(np.concatenate([train.ravel(), test.ravel()]))
    return norm(train), norm(test)


def _minmax(train, test):
    norm = io.Normalization.fit(train, percentiles=(0, 100))
    return norm(train), norm(test)


def _by_255(train, test):
    return (train / np.float32(255)).astype(np.float32), (test / np.float32(255)).astype(np.float32)


def _float64(train, test):
    norm = io.Normalization.fit(train)
    return norm(train).astype(np.float64), norm(test).astype(np.float64)


@pytest.mark.parametrize("answer, pattern", [
    (_own_percentiles, "scaled with its own percentiles"),
    (_both, "came from training and test together"),
    (_minmax, "that is min-max scaling"),
    (_by_255, "dividing by 255 assumes 8-bit"),
    (_float64, "return float32 arrays"),
    (lambda train, test: io.Normalization.fit(train)(test), "return two arrays"),
    (lambda train, test: 1 / 0, "raised ZeroDivisionError"),
])
def test_ex01_2_wrong_answers(answer, pattern):
    assert_fails_with(check.ex01_2(answer), pattern)


def test_ex01_2_stub_reads_not_written():
    def normalise(train, test):
        raise NotImplementedError()

    assert_fails_with(check.ex01_2(normalise), "is not written yet")


def test_ex01_2_validates_its_input():
    with pytest.raises(TypeError, match=r"`normalise` must be a function"):
        check.ex01_2(np.zeros(3))


# ============================================================================ 1.3
def test_ex01_3_reference_passes():
    result = check.ex01_3(check._split)
    assert result and result.n_right == len(check._SPLIT_CASES)


def _random(n, f):
    perm = np.random.default_rng(0).permutation(n)
    k = round(f * n)
    return perm[k:], perm[:k]


def _blocks_no_gap(n, f):
    return io.split_blocks(n, (1 - f, f))


def _blocks_gap_1(n, f):
    return io.split_blocks(n, (1 - f, f), gap=1)


def _wasteful(n, f):
    train, val = io.split_blocks(n, (1 - f, f), gap=2)
    return train[: len(train) // 2], val


def _overlap(n, f):
    train, val = io.split_blocks(n, (1 - f, f), gap=2)
    return np.concatenate([train, val[:1]]), val


@pytest.mark.parametrize("answer, pattern", [
    (_random, "a random or interleaved split scatters validation slices"),
    (_blocks_no_gap, r"validation slice \d+ is 1 slice\(s\) from training slice"),
    (_blocks_gap_1, r"validation slice \d+ is 2 slice\(s\) from training slice"),
    (_wasteful, "slices are left out; a gap of a few slices is enough"),
    (_overlap, "training and validation share slices"),
    (lambda n, f: (np.arange(n), np.arange(n, n + 3)), r"slice indices run from 0 to"),
    (lambda n, f: (np.arange(2), np.arange(n - 1, n)), r"validation slices; about \d+ were"),
    (lambda n, f: (np.arange(n - 4.0), np.arange(n - 1.0, n)), "integer slice indices"),
    (lambda n, f: np.arange(n), "return two arrays"),
])
def test_ex01_3_wrong_answers(answer, pattern):
    assert_fails_with(check.ex01_3(answer), pattern)


def test_ex01_3_a_split_with_a_wider_gap_passes():
    assert check.ex01_3(lambda n, f: io.split_blocks(n, (1 - f, f), gap=3))
    assert check.ex01_3(lambda n, f: io.split_blocks(n, (f, 1 - f), gap=2)[::-1])  # val first


# ============================================================================ 1.4
def test_ex01_4_reference_passes():
    ns = solution_namespace(check.ex01_4)
    assert ns["n_tiles"] == 1980
    assert check.ex01_4(ns["n_tiles"], ns["megabytes"])


@pytest.mark.parametrize("n_tiles, megabytes, pattern", [
    (12, 519.0, "that is one slice's tiles"),
    (1800, 519.0, "count the tiles of the whole stack"),
    (1980, 129.8, "that is the size as uint8"),
    (1980, 495.0, "that is in MiB"),
    (1980, 519045120, "that is in bytes"),
    (1980, 1038.1, "that is float64"),
    (1980, 300, "multiply the number of pixels"),
])
def test_ex01_4_wrong_answers(n_tiles, megabytes, pattern):
    assert_fails_with(check.ex01_4(n_tiles, megabytes), pattern)


def test_ex01_4_validates_its_input():
    with pytest.raises(TypeError, match=r"`n_tiles` must be an integer"):
        check.ex01_4(1980.0, 519.0)
    with pytest.raises(TypeError, match=r"`megabytes`"):
        check.ex01_4(1980, "519 MB")


# ============================================================================ the notebook
def test_notebook_solutions_are_the_checkers_solutions():
    assert_solution_cells_are_the_checkers(
        NOTEBOOK, [check.ex01_1, check.ex01_2, check.ex01_3, check.ex01_4])
    checks = [c.source.strip() for c in tagged_cells(NOTEBOOK, "check")]
    assert checks == ["check.ex01_1(tiles_shape)", "check.ex01_2(normalise)",
                      "check.ex01_3(split)", "check.ex01_4(n_tiles, megabytes)"]

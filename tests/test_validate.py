import numpy as np
import pytest

from segkit import _validate as v


def test_as_binary_accepts_the_two_conventions_and_names_bad_values():
    assert v.as_binary(np.array([0, 255], np.uint8), "m").tolist() == [False, True]
    assert v.as_binary(np.array([0, 1]), "m").tolist() == [False, True]
    with pytest.raises(ValueError, match=r"`m` must be a binary mask .* got 3 distinct values: 0, 1, 2"):
        v.as_binary(np.array([0, 1, 2]), "m")
    with pytest.raises(ValueError, match=r"`m` must be a binary mask with values in \{0, 1\}"):
        v.as_binary(np.array([0, 255]), "m", allow_255=False)


@pytest.mark.parametrize("value", [0, -1.5, float("nan"), float("inf")])
def test_check_positive_rejects(value):
    with pytest.raises(ValueError, match=r"`p` must be a finite number > 0"):
        v.check_positive(value, "p")


def test_check_positive_types():
    assert v.check_positive(2, "p") == 2.0
    for bad in ("2", None, True):
        with pytest.raises(TypeError, match=r"`p` must be a number"):
            v.check_positive(bad, "p")


def test_as_label_stack_layouts_and_errors():
    lab = np.array([[0, 1], [2, 2]], np.uint16)
    stack, single = v.as_label_stack(lab, "labels")
    assert single and stack.shape == (1, 2, 2) and stack.dtype == np.int64
    stack, single = v.as_label_stack(np.zeros((3, 2, 2, 1), np.int32), "labels")
    assert not single and stack.shape == (3, 2, 2)
    with pytest.raises(TypeError, match=r"`labels` must be an integer label image .* float32"):
        v.as_label_stack(lab.astype(np.float32), "labels")
    with pytest.raises(ValueError, match=r"non-negative labels \(0 background\), got minimum -1"):
        v.as_label_stack(np.array([[-1, 0]]), "labels")
    with pytest.raises(ValueError, match=r"must have one channel"):
        v.as_label_stack(np.zeros((1, 2, 2, 3), int), "labels")
    with pytest.raises(ValueError, match=r"is empty"):
        v.as_label_stack(np.zeros((0, 3), int), "labels")


def test_as_slice():
    assert v.as_slice(np.zeros((4, 5, 1)), "x").shape == (4, 5)
    with pytest.raises(ValueError, match=r"`x` must be a 2-D slice .*; pass one slice"):
        v.as_slice(np.zeros((3, 4, 5)), "x")


def test_as_rng_and_check_int():
    a = v.as_rng(3).random()
    assert a == v.as_rng(np.random.default_rng(3)).random()
    with pytest.raises(TypeError, match=r"`rng` must be an int seed"):
        v.as_rng(1.5)
    with pytest.raises(TypeError, match=r"`n` must be an integer, got True"):
        v.check_int(True, "n")

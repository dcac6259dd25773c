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
def test_check_real_positive_rejects(value):
    with pytest.raises(ValueError, match=r"`p` must be > 0"):
        v.check_real(value, "p", low=0, low_open=True)


def test_check_real_types_and_bounds():
    assert v.check_real(2, "p", low=0, low_open=True) == 2.0
    assert v.check_real(np.float32(0.5), "p", low=0, high=1) == 0.5
    assert v.check_real(None, "p", allow_none=True) is None
    for bad in ("2", None, True, np.bool_(True)):
        with pytest.raises(TypeError, match=r"`p` must be a number"):
            v.check_real(bad, "p")
    with pytest.raises(ValueError, match=r"`p` must be a fraction in \[0, 1\), got 1"):
        v.check_real(1, "p", low=0, high=1, high_open=True, what="a fraction")
    with pytest.raises(ValueError, match=r"`p` must be <= 2, got 3"):
        v.check_real(3, "p", high=2)
    with pytest.raises(ValueError, match=r"`p` must be a finite number, got nan"):
        v.check_real(float("nan"), "p")


def test_check_choice():
    assert v.check_choice("a", "mode", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"`mode` must be 'a' or 'b', got 'c'"):
        v.check_choice("c", "mode", ("a", "b"))
    with pytest.raises(ValueError, match=r"`mode` must be one of 'a', 'b', 'c', got 3"):
        v.check_choice(3, "mode", ("a", "b", "c"))


@pytest.mark.parametrize("shape, single, out", [
    ((4, 5), True, (1, 4, 5)), ((2, 4, 5), False, (2, 4, 5)), ((2, 4, 5, 1), False, (2, 4, 5)),
])
def test_as_stack_layouts(shape, single, out):
    s, was_single = v.as_stack(np.zeros(shape), "x")
    assert s.shape == out and was_single is single
    assert v.as_stack(np.zeros(shape), "x", channel=True)[0].shape == (*out, 1)


def test_as_stack_errors():
    with pytest.raises(ValueError, match=r"`x` must be 2-D or 3-D or 4-D"):
        v.as_stack(np.zeros(5), "x")
    with pytest.raises(ValueError, match=r"`x` must have one channel .*convert colour to grey"):
        v.as_stack(np.zeros((2, 4, 4, 3)), "x")
    with pytest.raises(ValueError, match=r"`x` is empty"):
        v.as_stack(np.zeros((0, 4)), "x")
    with pytest.raises(ValueError, match=r"`x` must be finite"):
        v.as_stack(np.full((2, 2), np.nan), "x")
    with pytest.raises(ValueError, match=r"`x` must be 3-D or 4-D"):
        v.as_stack(np.zeros((2, 2)), "x", ndim_in=(3, 4))


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

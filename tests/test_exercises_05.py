"""Tests of segkit.exercises.ex05: every checker passes with its reference solution and fails,
with the intended hint, on each typical wrong answer; the solution cells of notebook 05 are
the checkers' solutions."""

from pathlib import Path

import keras
import pandas as pd
import pytest

from segkit.exercises import ex05 as check
from exercise_checks import assert_fails_with, solution_cells_by_check

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "05_unet.ipynb"


# ============================================================================ 5.1
RIGHT_SHAPES = {"bottleneck": (16, 16, 128), "skip0": (256, 256, 16), "output": (256, 256, 1)}


def test_ex05_1_reference_passes_and_is_what_keras_builds():
    assert check.ex05_1(dict(RIGHT_SHAPES))
    assert check._unet_shapes() == RIGHT_SHAPES


@pytest.mark.parametrize("key, value, hint", [
    ("bottleneck", (32, 32, 128), "count the poolings"),
    ("bottleneck", (16, 16, 64), "that is the filters of the last encoder level"),
    ("bottleneck", (16, 16, 100), r"level i has base_filters \* 2\*\*i filters"),
    ("skip0", (256, 256, 8), "a concatenation does not add values, it stacks channels"),
    ("skip0", (128, 128, 16), "after the last upsampling the features are back"),
    ("output", (256, 256, 8), "the head is a 1 x 1 convolution"),
    ("output", (240, 240, 1), "with 'same' padding every convolution keeps the size"),
])
def test_ex05_1_typical_wrong_answers_get_their_hint(key, value, hint):
    res = check.ex05_1({**RIGHT_SHAPES, key: value})
    assert_fails_with(res, rf"{key}: .*{hint}")
    assert res.n_right == 2


@pytest.mark.parametrize("answer, exc, match", [
    ([16, 16, 128], TypeError, r"`prediction` must be a dict with keys 'bottleneck'"),
    ({**RIGHT_SHAPES, "output": 1}, TypeError,
     r'`prediction\["output"\]` must be a \(height, width, channels\) tuple'),
    ({**RIGHT_SHAPES, "skip0": (256, 16)}, ValueError, r"tuple of 3 numbers, got \(256, 16\)"),
])
def test_ex05_1_validates_its_input(answer, exc, match):
    with pytest.raises(exc, match=match):
        check.ex05_1(answer)


# ============================================================================ 5.2
def right_ratios():
    return {g: {"easy": 0.1 ** g, "hard": 0.7 ** g} for g in (0.0, 1.0, 2.0, 5.0)}


def test_ex05_2_reference_passes_and_ratios_are_one_minus_p_t_to_the_gamma():
    assert check.ex05_2(right_ratios(), 0.0)
    for g in (0.0, 2.0, 5.0):
        assert check._focal_ratio(0.9, g) == pytest.approx(0.1 ** g, rel=1e-3)


def test_ex05_2_inverted_ratio():
    wrong = {g: {k: 1 / v for k, v in r.items()} for g, r in right_ratios().items()}
    assert_fails_with(check.ex05_2(wrong, 0.0), "that is cross-entropy / focal")


def test_ex05_2_p_t_instead_of_one_minus_p_t():
    wrong = {g: {"easy": 0.9 ** g, "hard": 0.3 ** g} for g in (0.0, 1.0, 2.0, 5.0)}
    assert_fails_with(check.ex05_2(wrong, 0.0), r"you used p_t\*\*gamma")


def test_ex05_2_wrong_gamma_of_the_cross_entropy_and_missing_gammas():
    assert_fails_with(check.ex05_2(right_ratios(), 1.0), "with gamma = 1 the factor is 1 - p_t")
    partial = {g: r for g, r in right_ratios().items() if g < 3}
    assert_fails_with(check.ex05_2(partial, 0.0), "also try gamma = 5")


def test_ex05_2_validates_its_input():
    with pytest.raises(TypeError, match="`observed` must be a dict of gamma"):
        check.ex05_2([1, 2], 0.0)
    with pytest.raises(ValueError, match=r"`observed\[2\]` misses 'hard'"):
        check.ex05_2({2.0: {"easy": 0.01}}, 0.0)


# ============================================================================ 5.3
@pytest.fixture(autouse=True)
def _fresh_session():
    keras.backend.clear_session()


def test_ex05_3_reference_passes():
    assert check.ex05_3(check._tiny_unet)


def _no_skip(input_shape):
    from keras import layers

    inputs = keras.Input(input_shape)
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2DTranspose(4, 2, strides=2, padding="same")(x)
    return keras.Model(inputs, layers.Conv2D(1, 1, activation="sigmoid")(x))


def _valid_padding(input_shape):
    from keras import layers

    inputs = keras.Input(input_shape)
    enc = layers.Conv2D(4, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(enc)
    x = layers.Conv2DTranspose(4, 2, strides=2)(x)
    x = layers.Concatenate()([x, enc])
    return keras.Model(inputs, layers.Conv2D(1, 1, activation="sigmoid")(x))


def _no_pooling(input_shape):
    from keras import layers

    inputs = keras.Input(input_shape)
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    return keras.Model(inputs, layers.Conv2D(1, 1, activation="sigmoid")(x))


def _softmax_head(input_shape):
    from keras import layers

    inputs = keras.Input(input_shape)
    enc = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(enc)
    x = layers.UpSampling2D(2)(x)
    x = layers.Concatenate()([x, enc])
    return keras.Model(inputs, layers.Conv2D(2, 1, activation="softmax")(x))


def _returns_layers(input_shape):
    return [keras.layers.Conv2D(1, 1)]


def _not_written(input_shape):
    raise NotImplementedError()


@pytest.mark.parametrize("fn, hint", [
    (_no_skip, "without a skip connection this is an encoder-decoder"),
    (_valid_padding, "use padding='same' in every convolution"),
    (_no_pooling, r"a U-Net goes down: add a `layers.MaxPooling2D\(2\)`"),
    (_softmax_head, "end with a 1 x 1 convolution to one channel with a sigmoid"),
    (_returns_layers, "return a keras.Model, not list"),
    (_not_written, "`tiny_unet` is not written yet"),
])
def test_ex05_3_typical_wrong_answers_get_their_hint(fn, hint):
    assert_fails_with(check.ex05_3(fn), hint)


def test_ex05_3_validates_its_input():
    with pytest.raises(TypeError, match="`tiny_unet` must be a function"):
        check.ex05_3(32)


# ============================================================================ 5.4
def study_table(bn_dice=0.6, bn_time=1.0):
    return pd.DataFrame({"parameter": ["baseline", "epsilon", "batch_norm"],
                         "value": pd.Series([None, 1e-4, False], dtype=object),
                         "val_dice": [0.5, 0.55, bn_dice],
                         "seconds_per_epoch": [2.0, 2.1, bn_time],
                         "seconds": [9.0, 9.0, 9.0]})


@pytest.mark.parametrize("bn_dice, bn_time, answer", [
    (0.6, 1.0, {"better_without": True, "faster_without": True}),
    (0.4, 3.0, {"better_without": False, "faster_without": False}),
])
def test_ex05_4_reference_passes_whatever_the_run_found(bn_dice, bn_time, answer):
    study = study_table(bn_dice, bn_time)
    assert check.ex05_4(study, answer)
    namespace = {"study": study}
    exec(check.ex05_4.solution(), namespace)
    assert namespace["answer"] == answer


def test_ex05_4_wrong_readings_get_their_hint():
    study = study_table()
    assert_fails_with(check.ex05_4(study, {"better_without": False, "faster_without": True}),
                      r"compare the `val_dice` of the baseline row")
    assert_fails_with(check.ex05_4(study, {"better_without": True, "faster_without": False}),
                      r"compare `seconds_per_epoch`")


def test_ex05_4_needs_the_batch_norm_row():
    no_row = study_table().iloc[:2]
    with pytest.raises(ValueError, match="run section 8 with 'batch_norm' in STUDY_KNOBS"):
        check.ex05_4(no_row, {"better_without": True, "faster_without": True})
    with pytest.raises(TypeError, match="`study` must be the DataFrame of section 8"):
        check.ex05_4({"a": 1}, {"better_without": True, "faster_without": True})
    with pytest.raises(TypeError, match=r'`answer\["faster_without"\]` must be True or False'):
        check.ex05_4(study_table(), {"better_without": True, "faster_without": "yes"})


# ============================================================================ the notebook
@pytest.mark.parametrize("ex", [check.ex05_1, check.ex05_2, check.ex05_3, check.ex05_4],
                         ids=lambda e: e.name)
def test_notebook_solution_cells_are_the_checkers_solutions(ex):
    cells = solution_cells_by_check(NOTEBOOK)
    assert ex.name in cells, f"notebook 05 has no check cell calling {ex.name}"
    want = ex.solution()
    if want.startswith("def "):  # a function: the cell keeps its def line and indentation
        import textwrap
        got = textwrap.dedent(cells[ex.name]).strip()
    else:
        got = cells[ex.name].strip()
    assert got == want.strip()

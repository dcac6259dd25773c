"""Exercises of notebook 05 (U-Net): the shapes inside the U, the focal loss's gamma, a U-Net
of one level, and Malec's claim about batch normalisation.

In the notebook::

    from segkit.exercises import ex05 as check

    check.ex05_1(prediction)      # prints what is right, what is wrong and why
    check.ex05_1.hint()           # graded hints, one per call
    check.ex05_1.solution()       # a reference solution, only when asked

| exercise | kind | minutes |
|---|---|---|
| `ex05_1` the shapes inside the U | predict-then-run | 10 |
| `ex05_2` what gamma does to the focal loss | change-and-observe | 10 |
| `ex05_3` a U-Net of one level | write-a-function | 20 |
| `ex05_4` does batch normalisation train faster? (Malec) | test-a-claim | 10 |
"""

import numpy as np

from .._validate import check_real, describe
from ._core import FAILED, NOT_WRITTEN, as_function, as_mapping, call, close, exercise

__all__ = ["ex05_1", "ex05_2", "ex05_3", "ex05_4"]


# ============================================================================ 5.1
_SHAPE_KEYS = ("bottleneck", "skip0", "output")
_SHAPE_SETTING = dict(depth=4, base_filters=8, tile=256)


def _unet_shapes(depth=4, base_filters=8, tile=256):
    """(height, width, channels) of the bottleneck, the top skip and the output."""
    from .. import models

    model = models.unet((tile, tile, 1), depth=depth, base_filters=base_filters)
    return {"bottleneck": tuple(model.get_layer("bottleneck_relu2").output.shape[1:]),
            "skip0": tuple(model.get_layer("skip0").output.shape[1:]),
            "output": tuple(model.output.shape[1:])}


def _as_shape(value, name):
    try:
        shape = tuple(value)
    except TypeError:
        raise TypeError(f"`{name}` must be a (height, width, channels) tuple, got "
                        f"{describe(value)}") from None
    if len(shape) != 3:
        raise ValueError(f"`{name}` must be a (height, width, channels) tuple of 3 numbers, "
                         f"got {shape!r}")
    return tuple(int(check_real(v, f"{name}[{i}]")) for i, v in enumerate(shape))


@exercise(
    title="The shapes inside the U",
    kind="predict-then-run", minutes=10,
    hints=(
        "Each level of the contracting path ends with a 2 x 2 max pooling: the height and "
        "width halve, and the next level has twice the filters (level i has "
        "base_filters * 2**i).",
        "With depth 4 there are 4 poolings before the bottleneck: 256 / 2**4. The bottleneck "
        "is one level further down than the last encoder level, so its filters are "
        "base_filters * 2**depth.",
        "`skip0` concatenates the upsampled features (base_filters channels) with the "
        "encoder's level-0 features (base_filters channels): channels add up. The head is a "
        "1 x 1 convolution to one channel.",
    ),
    solution='''
        # 4 poolings: 256 / 2**4 = 16; the bottleneck has 8 * 2**4 = 128 filters.
        # skip0 joins up0 (8 channels) and enc0 (8 channels): 16 channels at full size.
        # The head is a 1 x 1 convolution with one sigmoid channel, at the input's size.
        prediction = {"bottleneck": (16, 16, 128), "skip0": (256, 256, 16),
                      "output": (256, 256, 1)}
    ''')
def ex05_1(fb, prediction):
    """Predict, then run: the shapes of a tile inside `models.unet`.

    A U-Net of depth 4 with 8 base filters (`models.unet(depth=4, base_filters=8)`) gets one
    256 x 256 grey tile. Before running anything (and before reading the table of section 2,
    or with `DEPTH` set to something else), predict the (height, width, channels) of the
    output of the bottleneck, of the concatenation ``skip0`` (the last skip connection, at
    full resolution) and of the network's output. Pass them as
    ``prediction = {"bottleneck": (h, w, c), "skip0": (h, w, c), "output": (h, w, c)}``.
    """
    answer = as_mapping(prediction, "prediction", _SHAPE_KEYS)
    got = {k: _as_shape(answer[k], f'prediction["{k}"]') for k in _SHAPE_KEYS}
    ref = _unet_shapes(**_SHAPE_SETTING)
    depth, f, tile = (_SHAPE_SETTING[k] for k in ("depth", "base_filters", "tile"))
    if got["bottleneck"] == ref["bottleneck"]:
        fb.right("bottleneck", "four poolings and one more doubling of the filters")
    else:
        h, w, c = got["bottleneck"]
        if (h, w) != ref["bottleneck"][:2]:
            why = ("count the poolings: each halves the height and width, and there is one "
                   "per encoder level, all before the bottleneck"
                   if h in (tile // 2 ** (depth - 1), tile // 2 ** (depth + 1))
                   else "height and width halve at every 2 x 2 max pooling")
        elif c == f * 2 ** (depth - 1):
            why = ("that is the filters of the last encoder level; the bottleneck is one "
                   "level further down and doubles them once more")
        else:
            why = "level i has base_filters * 2**i filters; the bottleneck is level `depth`"
        fb.wrong("bottleneck", why)
    if got["skip0"] == ref["skip0"]:
        fb.right("skip0", "the concatenation adds the upsampled and the encoder's channels")
    elif got["skip0"][2] == f:
        fb.wrong("skip0", "a concatenation does not add values, it stacks channels: count "
                          "the channels of both inputs")
    elif got["skip0"][:2] != ref["skip0"][:2]:
        fb.wrong("skip0", "skip0 is the last skip connection: after the last upsampling the "
                          "features are back at the tile's full size")
    else:
        fb.wrong("skip0", "up0 has base_filters channels, enc0 too; skip0 stacks both")
    if got["output"] == ref["output"]:
        fb.right("output", "one probability per pixel, at the input's size ('same' padding)")
    elif got["output"][2] != 1:
        fb.wrong("output", "the head is a 1 x 1 convolution to the number of classes: one "
                           "sigmoid channel for mitochondrion vs background")
    else:
        fb.wrong("output", "with 'same' padding every convolution keeps the size, and the "
                           "expanding path undoes every pooling")
    if fb.passed:
        fb.note("the deepest level sees 16 x 16 positions, each summarising a 16 x 16 patch "
                "of the tile: context; the skips bring the full-resolution detail back.")


# ============================================================================ 5.2
_GAMMAS = (0.0, 1.0, 2.0, 5.0)
_EASY, _HARD = 0.9, 0.3


def _focal_ratio(p_t, gamma):
    """focal / cross-entropy of one pixel whose true class has probability p_t."""
    from .. import losses

    truth = np.ones((1, 1, 1, 1), "float32")
    p = np.full((1, 1, 1, 1), p_t, "float32")
    focal = float(losses.get_loss("focal", gamma=gamma)(truth, p))
    return focal / float(losses.get_loss("bce")(truth, p))


@exercise(
    title="What gamma does to the focal loss",
    kind="change-and-observe", minutes=10,
    hints=(
        "Rerun the loss table of section 3 with `losses.get_loss('focal', gamma=g)` for "
        "g = 0, 1, 2 and 5, and divide by the cross-entropy of the same pixel.",
        "The focal loss is the cross-entropy times (1 - p_t)**gamma: the ratio does not "
        "depend on the log at all.",
        "Which gamma makes (1 - p_t)**gamma equal to 1 for every pixel?",
    ),
    solution='''
        truth = np.ones((1, 1, 1, 1), "float32")
        observed = {}
        for gamma in (0.0, 1.0, 2.0, 5.0):
            ratio = {}
            for label, p in (("easy", 0.9), ("hard", 0.3)):
                p = np.full((1, 1, 1, 1), p, "float32")
                focal = float(losses.get_loss("focal", gamma=gamma)(truth, p))
                ratio[label] = focal / float(losses.get_loss("bce")(truth, p))
            observed[gamma] = ratio
        print(observed)
        same_as_bce = 0.0  # (1 - p_t)**0 = 1: the focal loss is the cross-entropy
    ''')
def ex05_2(fb, observed, same_as_bce):
    """Change and observe: how gamma turns the easy pixels down.

    For an *easy* pixel (the probability of its true class p_t = 0.9) and a *hard* one
    (p_t = 0.3), compute focal loss / cross-entropy with `losses.get_loss("focal",
    gamma=g)` and `losses.get_loss("bce")` for g = 0, 1, 2 and 5. Pass
    ``observed = {0.0: {"easy": ..., "hard": ...}, 1.0: {...}, 2.0: {...}, 5.0: {...}}``,
    and the gamma for which the focal loss is exactly the cross-entropy,
    ``same_as_bce = ...``.
    """
    if not isinstance(observed, dict):
        raise TypeError(f"`observed` must be a dict of gamma to {{'easy': ..., 'hard': ...}}, "
                        f"got {describe(observed)}")
    rows = {}
    for g, v in observed.items():
        g = check_real(g, f"observed key {g!r}")
        v = as_mapping(v, f"observed[{g:g}]", ("easy", "hard"))
        rows[g] = {k: check_real(v[k], f'observed[{g:g}]["{k}"]') for k in ("easy", "hard")}
    same = check_real(same_as_bce, "same_as_bce")
    missing = [g for g in _GAMMAS if not any(close(g, k, 1e-9) for k in rows)]
    if missing:
        fb.wrong("gammas", f"also try gamma = {', '.join(f'{g:g}' for g in missing)}")
    for g in _GAMMAS:
        key = next((k for k in rows if close(g, k, 1e-9)), None)
        if key is None:
            continue
        for label, p_t in (("easy", _EASY), ("hard", _HARD)):
            ref = _focal_ratio(p_t, g)
            v = rows[key][label]
            what = f"gamma {g:g}, {label} pixel"
            if close(v, ref, 1e-3):
                fb.right(what)
            elif close(v, 1 / ref, 1e-3):
                fb.wrong(what, "that is cross-entropy / focal: divide the focal loss by the "
                               "cross-entropy")
            elif close(v, p_t ** g, 1e-3):
                fb.wrong(what, "the factor is (1 - p_t)**gamma, small when the pixel is "
                               "easy (p_t near 1); you used p_t**gamma")
            else:
                fb.wrong(what, "compute both losses of the same pixel with the same gamma "
                               "and divide: focal / cross-entropy")
    if close(same, 0.0, 1e-9):
        fb.right("the gamma of the cross-entropy", "(1 - p_t)**0 = 1 for every pixel")
    elif close(same, 1.0, 1e-9):
        fb.wrong("the gamma of the cross-entropy", "with gamma = 1 the factor is 1 - p_t, "
                 "which is below 1 for every pixel the network gets partly right")
    else:
        fb.wrong("the gamma of the cross-entropy", "look at your row whose ratios are 1 for "
                 "both pixels")
    if fb.passed:
        fb.note(f"at gamma 2 the easy pixel keeps {_focal_ratio(_EASY, 2.0):.0%} of its "
                f"cross-entropy and the hard one {_focal_ratio(_HARD, 2.0):.0%}: the many easy "
                "background pixels of an imbalanced image stop dominating the loss.")


# ============================================================================ 5.3
def _tiny_unet(input_shape):
    import keras
    from keras import layers

    inputs = keras.Input(input_shape)
    enc = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    enc = layers.Conv2D(8, 3, padding="same", activation="relu")(enc)
    x = layers.MaxPooling2D(2)(enc)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.Conv2DTranspose(8, 2, strides=2, padding="same")(x)
    x = layers.Concatenate()([x, enc])  # the skip connection
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    outputs = layers.Conv2D(1, 1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


def _layers_of(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers_of(layer)


@exercise(
    title="A U-Net of one level",
    kind="write-a-function", minutes=20,
    hints=(
        "Follow `models.unet` with depth 1 and no batch normalisation: two 3 x 3 "
        "convolutions (keep their output for the skip), a 2 x 2 max pooling, two "
        "convolutions at the bottom, a 2 x 2 `Conv2DTranspose` with `strides=2`, then "
        "`layers.Concatenate()([upsampled, kept])`.",
        "Use `padding='same'` in every convolution, or the sizes shrink and the "
        "concatenation fails.",
        "End with `layers.Conv2D(1, 1, activation='sigmoid')` and return "
        "`keras.Model(inputs, outputs)`.",
    ),
    solution=_tiny_unet)
def ex05_3(fb, tiny_unet):
    """Write a function: a U-Net with one pooling, from ``keras.layers``.

    Write ``tiny_unet(input_shape)`` that returns a ``keras.Model`` taking ``(H, W, 1)``
    images: one encoder level (3 x 3 convolutions), one 2 x 2 max pooling, a bottom level,
    one upsampling back to full size, the skip connection that joins the encoder's
    full-resolution features, and a 1 x 1 sigmoid head giving one probability per pixel.
    Pass the function itself: ``check.ex05_3(tiny_unet)``.
    """
    import keras

    fn = as_function(tiny_unet, "tiny_unet", "(input_shape)")
    model = call(fb, fn, "tiny_unet", ((32, 48, 1),), "building it for (32, 48, 1)")
    if model is NOT_WRITTEN or model is FAILED:
        return
    if not isinstance(model, keras.Model):
        fb.wrong("what it returns", f"return a keras.Model, not {type(model).__name__}: "
                                    "`keras.Model(inputs, outputs)`")
        return
    out = tuple(model.output_shape)
    kinds = [type(layer).__name__ for layer in _layers_of(model)]
    if out[1:3] == (32, 48):
        fb.right("output size", "the same height and width as the input")
    else:
        fb.wrong("output size", f"the output is {out[1:3]} for a 32 x 48 input: use "
                                "padding='same' in every convolution, and upsample once per "
                                "pooling")
    if out[-1] == 1 and getattr(getattr(model.layers[-1], "activation", None), "__name__",
                                "") == "sigmoid":
        fb.right("head", "one sigmoid channel: a probability per pixel")
    else:
        fb.wrong("head", "end with a 1 x 1 convolution to one channel with a sigmoid: "
                         "`layers.Conv2D(1, 1, activation='sigmoid')`")
    if "MaxPooling2D" in kinds:
        fb.right("contracting path", "a max pooling halves the image")
    else:
        fb.wrong("contracting path", "a U-Net goes down: add a `layers.MaxPooling2D(2)`")
    if {"Conv2DTranspose", "UpSampling2D"} & set(kinds):
        fb.right("expanding path", "the image is brought back to full size")
    else:
        fb.wrong("expanding path", "go back up with `layers.Conv2DTranspose(filters, 2, "
                                   "strides=2, padding='same')` (or UpSampling2D)")
    if "Concatenate" in kinds:
        fb.right("skip connection", "the encoder's full-resolution features join the decoder")
    else:
        fb.wrong("skip connection", "without a skip connection this is an encoder-decoder "
                                    "(like SegNet), not a U-Net: `layers.Concatenate()"
                                    "([upsampled, encoder_features])`")
    try:
        y = np.asarray(model(np.zeros((1, 32, 48, 1), "float32")))
    except Exception as exc:  # the learner's model is feedback, not a crash
        fb.wrong("a forward pass", f"the model raised {type(exc).__name__}: {exc}")
    else:
        if y.shape == (1, 32, 48, 1) and ((y >= 0) & (y <= 1)).all():
            fb.right("a forward pass", "probabilities between 0 and 1")
    if fb.passed:
        fb.note("models.unet is this with `depth` levels, batch normalisation after each "
                "convolution, and the filters doubling level by level.")


# ============================================================================ 5.4
_BN_KEYS = ("better_without", "faster_without")


def _bn_rows(study):
    import pandas as pd

    if not isinstance(study, pd.DataFrame) or not {"parameter", "value", "val_dice",
                                                   "seconds_per_epoch"} <= set(study.columns):
        raise TypeError("`study` must be the DataFrame of section 8 (experiments."
                        f"one_at_a_time), got {describe(study)}")
    base = study[study["parameter"] == "baseline"]
    off = study[(study["parameter"] == "batch_norm") & (study["value"] == False)]  # noqa: E712
    if base.empty or off.empty:
        raise ValueError("`study` has no row with batch_norm=False (or no baseline): run "
                         "section 8 with 'batch_norm' in STUDY_KNOBS")
    return base.iloc[0], off.iloc[0]


@exercise(
    title="Does batch normalisation train faster? (Malec)",
    kind="test-a-claim", minutes=10,
    hints=(
        "Find the baseline row (batch normalisation on) and the row `batch_norm = False` of "
        "`study`.",
        "'Better' is the validation Dice; 'faster' is the time of one epoch, "
        "`seconds_per_epoch`.",
    ),
    solution='''
        base = study[study["parameter"] == "baseline"].iloc[0]
        off = study[(study["parameter"] == "batch_norm") & (study["value"] == False)].iloc[0]
        print(base[["val_dice", "seconds_per_epoch"]], off[["val_dice", "seconds_per_epoch"]])
        answer = {"better_without": bool(off["val_dice"] > base["val_dice"]),
                  "faster_without": bool(off["seconds_per_epoch"] < base["seconds_per_epoch"])}
        # An epoch without batch normalisation is cheaper; whether the network learns faster
        # *per epoch* with it is what the validation Dice after the same epochs says.
    ''')
def ex05_4(fb, study, answer):
    """Test a claim: "batch normalization provides little downside and a faster-training
    network" (Malec, Training: Normalization type).

    Malec's own Table 2 found his network better *without* it (validation Dice 0.52 against
    0.18) and faster per epoch (734 s against 2396 s). Read the study table of section 8:
    is the network trained without batch normalisation better (a higher validation Dice)
    here, and is its epoch faster? Pass the table and
    ``answer = {"better_without": True or False, "faster_without": True or False}``.
    """
    base, off = _bn_rows(study)
    answer = as_mapping(answer, "answer", _BN_KEYS)
    for key in _BN_KEYS:
        if not isinstance(answer[key], (bool, np.bool_)):
            raise TypeError(f'`answer["{key}"]` must be True or False, got '
                            f"{describe(answer[key])}")
    better = bool(off["val_dice"] > base["val_dice"])
    faster = bool(off["seconds_per_epoch"] < base["seconds_per_epoch"])
    if bool(answer["better_without"]) == better:
        fb.right("better without?", "that is what the validation Dice of the two rows says")
    else:
        fb.wrong("better without?", "compare the `val_dice` of the baseline row and of the "
                                    "row batch_norm = False")
    if bool(answer["faster_without"]) == faster:
        fb.right("faster without?", "that is what the time per epoch says")
    else:
        fb.wrong("faster without?", "compare `seconds_per_epoch`, not `seconds` (which "
                                    "includes building the model) nor the Dice")
    if fb.passed:
        fb.note("a few epochs on a few tiles is one noisy data point, as Malec's one epoch "
                "was: change SEED and run section 8 again before you believe either claim.")

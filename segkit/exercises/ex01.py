"""Exercises of notebook 01 (data wrangling): tiles, normalisation, splits, Malec's tile count.

In the notebook::

    from segkit.exercises import ex01 as check

    check.ex01_1(tiles_shape)     # prints what is right, what is wrong and why
    check.ex01_1.hint()           # graded hints, one per call
    check.ex01_1.solution()       # a reference solution, only when asked

| exercise | kind | minutes |
|---|---|---|
| `ex01_1` tiles of an odd-sized stack | predict-then-run | 5 |
| `ex01_2` one normalisation, fitted on the training stack | write-a-function | 10 |
| `ex01_3` a split that does not leak | write-a-function | 15 |
| `ex01_4` Malec's 1,980 tiles | test-a-claim | 10 |

The claim of 1.4 is quoted from C. Malec, "Segmenting Microscopy Images", Springboard
capstone, November 2019 (`../shared/sources/004_*.txt`, "Dicing up images").
"""

import numbers

import numpy as np

from .. import io
from .._validate import check_real
from ._core import FAILED, NOT_WRITTEN, as_function, call, close, exercise

__all__ = ["ex01_1", "ex01_2", "ex01_3", "ex01_4"]


# ============================================================================ 1.1
_ODD_STACK = (10, 700, 1000)


@exercise(
    title="Tiles of an odd-sized stack",
    kind="predict-then-run", minutes=5,
    hints=(
        "Count the tiles of one slice first: how many 256-pixel tiles cover 700 rows, and "
        "how many cover 1000 columns?",
        "`io.tile` pads the far edges of a slice whose sides are not multiples of the tile, "
        "so a partial tile counts as a whole one: round up, not down.",
        "Every tile is NHWC like the stacks: (number of tiles, 256, 256, 1 grey channel).",
    ),
    solution='''
        # 700 / 256 = 2.7 and 1000 / 256 = 3.9: the far edges are padded, so 3 x 4 = 12 tiles per
        # slice, 120 for 10 slices, each 256 x 256 with one grey channel (NHWC).
        tiles_shape = (120, 256, 256, 1)
    ''')
def ex01_1(fb, tiles_shape):
    """Predict, then run: the shape of the tiles `io.tile` cuts from an odd-sized stack.

    A stack of 10 slices of 700 x 1000 pixels is cut by ``io.tile(stack, 256)``. Predict the
    shape of the result as a tuple ``tiles_shape = (K, H, W, C)``.
    """
    if isinstance(tiles_shape, (str, bytes)) or not isinstance(tiles_shape, (tuple, list)) \
            or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                       for v in tiles_shape):
        raise TypeError(f"`tiles_shape` must be a tuple of integers, e.g. (12, 256, 256, 1), "
                        f"got {tiles_shape!r}"[:200])
    n, h, w = _ODD_STACK
    expect = io.tile(np.zeros((1, h, w), np.uint8), 256).shape
    k_right = n * expect[0]
    shape = tuple(int(v) for v in tiles_shape)
    if len(shape) == 3:
        fb.wrong("the layout", "tiles come out NHWC like every stack of segkit: four numbers, "
                               "the last one the grey channel")
        return
    if len(shape) != 4:
        fb.wrong("the layout", f"a stack of tiles has four axes (K, H, W, C), you gave "
                               f"{len(shape)}")
        return
    k = shape[0]
    rows, cols = -(-h // 256), -(-w // 256)
    if k == k_right:
        fb.right("number of tiles", f"{rows} x {cols} tiles per slice, times {n} slices")
    elif k == n * (h // 256) * (w // 256):
        fb.wrong("number of tiles", "you rounded down; `tile` pads the far edges, so a "
                                    "partial tile is a tile")
    elif k in (n * (h // 256) * cols, n * rows * (w // 256)):
        fb.wrong("number of tiles", "one side is rounded down: both sides are padded up to a "
                                    "whole number of tiles")
    elif k == rows * cols:
        fb.wrong("number of tiles", "that is the count of one slice; the stack has 10 slices")
    elif k == round(n * h * w / 256 ** 2):
        fb.wrong("number of tiles", "tiles are not a division of the pixel count: count "
                                    "whole tiles per row and per column of a slice")
    else:
        fb.wrong("number of tiles", "count tiles per row and per column of one slice (rounding "
                                    "up), then multiply by the number of slices")
    if shape[1:3] == (256, 256):
        fb.right("tile size", "256 x 256, the padding fills the last tiles")
    else:
        fb.wrong("tile size", "every tile has the side given to `tile`, padded tiles included")
    if shape[3] == 1:
        fb.right("channels", "one grey channel, as Keras expects")
    else:
        fb.wrong("channels", "the EM stacks are grey: one channel")


# ============================================================================ 1.2
def _normalise(train, test):
    norm = io.Normalization.fit(train)  # percentiles 1 and 99 of the training stack only
    return norm(train), norm(test)      # the same object for both


def _normalise_cases():
    rng = np.random.default_rng(11)
    train8 = rng.integers(20, 201, size=(3, 24, 32), dtype=np.uint8)
    test8 = rng.integers(60, 256, size=(2, 24, 32), dtype=np.uint8)  # brighter than training
    train16 = (rng.integers(0, 1200, size=(2, 16, 16)) + 900).astype(np.uint16)
    test16 = rng.integers(500, 4000, size=(2, 16, 16)).astype(np.uint16)
    return [("uint8 stacks, a brighter test stack", train8, test8),
            ("uint16 stacks (values up to 4000)", train16, test16)]


def _scaled(x, low, high):
    return (x.astype(np.float64) - low) / (high - low)


def _normalise_hint(got, x, train, test):
    """Recognise the usual mistakes from what `normalise` returned for `x` (train or test)."""
    t = train.astype(np.float64)
    both = np.concatenate([t.ravel(), test.astype(np.float64).ravel()])
    guesses = [
        (_scaled(x, *np.percentile(x, [1, 99])), "the test stack was scaled with its own "
         "percentiles: fit the normalisation once, on the training stack, and apply that to "
         "the test stack (refitting hides a brightness shift and leaks test statistics)"),
        (_scaled(x, *np.percentile(both, [1, 99])), "the percentiles came from training and "
         "test together: the test stack must not influence the normalisation"),
        (_scaled(x, t.min(), t.max()), "that is min-max scaling; use the 1st and 99th "
         "percentiles of the training stack, robust to a few extreme pixels"),
        (x.astype(np.float64) / 255.0, "dividing by 255 assumes 8-bit images; fit the scaling "
         "on the training stack, whatever its bit depth"),
        (x.astype(np.float64) / np.iinfo(x.dtype).max, "dividing by the dtype's maximum "
         "ignores the range the images use; fit the 1st and 99th percentiles of the training "
         "stack"),
    ]
    for value, hint in guesses:
        if got.shape == value.shape and np.allclose(got, value, atol=1e-4):
            return hint
    return ("the stacks are not scaled by the training stack's percentiles: compute low and "
            "high (percentiles 1 and 99) on `train` only, then (x - low) / (high - low) for "
            "both")


@exercise(
    title="One normalisation, fitted on the training stack",
    kind="write-a-function", minutes=10,
    hints=(
        "`io.Normalization.fit(stack)` computes the 1st and 99th percentiles; calling the "
        "object applies (x - low) / (high - low) as float32.",
        "Fit once, on `train`. Apply that same object to `train` and to `test`: the test "
        "stack never chooses its own scaling.",
    ),
    solution=_normalise)
def ex01_2(fb, normalise):
    """Write a function: normalise a training and a test stack the same way.

    Write ``normalise(train, test)`` returning ``(train_n, test_n)``, both float32, scaled so
    that the 1st and 99th percentiles of the training stack become 0 and 1, with the very
    same scaling applied to the test stack. It must work for uint8 and uint16 stacks alike.
    """
    fn = as_function(normalise, "normalise", "(train, test)")
    for what, train, test in _normalise_cases():
        got = call(fb, fn, "normalise", (train.copy(), test.copy()), what)
        if got is NOT_WRITTEN:
            return
        if got is FAILED:
            continue
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            fb.wrong(what, f"return two arrays, (train_n, test_n), not "
                           f"{type(got).__name__}")
            continue
        got_train, got_test = (np.asarray(g) for g in got)
        want_train, want_test = _normalise(train, test)
        if got_train.shape != train.shape or got_test.shape != test.shape:
            fb.wrong(what, f"keep the shapes: got {got_train.shape} and {got_test.shape} for "
                           f"stacks of {train.shape} and {test.shape}")
        elif got_train.dtype != np.float32 or got_test.dtype != np.float32:
            fb.wrong(what, f"return float32 arrays (what Keras trains on), not "
                           f"{got_train.dtype} and {got_test.dtype}")
        elif not np.allclose(got_train, want_train, atol=1e-4):
            fb.wrong(what, _normalise_hint(got_train, train, train, test))
        elif not np.allclose(got_test, want_test, atol=1e-4):
            fb.wrong(what, _normalise_hint(got_test, test, train, test))
        else:
            fb.right(what, "both stacks scaled by the training stack's percentiles")
    if fb.passed:
        fb.note("test values outside the training range come out below 0 or above 1: that "
                "is correct, and it tells you the test stack differs from the training one.")


# ============================================================================ 1.3
_REACH = 2
_SPLIT_CASES = ((40, 0.2), (165, 0.15), (12, 0.25))


def _split(n_slices, val_fraction):
    # contiguous blocks in z, with 2 slices dropped between them: the nearest training slice
    # is then 3 slices away from the first validation slice
    return io.split_blocks(n_slices, (1 - val_fraction, val_fraction), gap=2)


def _as_indices(x):
    arr = np.asarray(x)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        return None
    return arr.astype(np.int64)


@exercise(
    title="A split that does not leak",
    kind="write-a-function", minutes=15,
    hints=(
        "Neighbouring slices are near-copies. A random permutation scatters validation slices "
        "between training slices: take the validation slices as one contiguous block instead.",
        "Between the training block and the validation block, leave some slices out: how many, "
        "so that no validation slice is within 2 slices of a training slice?",
        "`io.split_blocks(n_slices, fractions, gap=...)` cuts contiguous blocks and drops "
        "`gap` slices between them.",
    ),
    solution=_split)
def ex01_3(fb, split):
    """Write a function: a train/validation split of a stack's slices that does not leak.

    Write ``split(n_slices, val_fraction)`` returning ``(train_idx, val_idx)``, two integer
    arrays of slice indices, such that about `val_fraction` of the slices are for validation,
    no validation slice lies within 2 slices of a training slice
    (``io.neighbour_leakage(train_idx, val_idx, reach=2) == 0``), and as few slices as
    possible are thrown away.
    """
    fn = as_function(split, "split", "(n_slices, val_fraction)")
    for n, f in _SPLIT_CASES:
        what = f"{n} slices, validation fraction {f:g}"
        got = call(fb, fn, "split", (n, f), what)
        if got is NOT_WRITTEN:
            return
        if got is FAILED:
            continue
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            fb.wrong(what, f"return two arrays, (train_idx, val_idx), not "
                           f"{type(got).__name__}")
            continue
        train, val = (_as_indices(g) for g in got)
        if train is None or val is None:
            fb.wrong(what, "return 1-D arrays (or lists) of integer slice indices")
            continue
        if len(val) == 0 or len(train) == 0:
            fb.wrong(what, "both the training and the validation set need slices")
            continue
        if (np.concatenate([train, val]) < 0).any() or (np.concatenate([train, val]) >= n).any():
            fb.wrong(what, f"slice indices run from 0 to {n - 1}")
            continue
        if len(np.unique(train)) != len(train) or len(np.unique(val)) != len(val):
            fb.wrong(what, "a slice is listed twice")
            continue
        if np.intersect1d(train, val).size:
            fb.wrong(what, "training and validation share slices: that is not a split")
            continue
        if abs(len(val) - f * n) > _REACH + 1:
            fb.wrong(what, f"{len(val)} validation slices; about {f * n:.0f} were asked for "
                           f"({f:g} of {n})")
            continue
        leak = io.neighbour_leakage(train, val, reach=_REACH)
        if leak > 0:
            dist = np.abs(val[:, None] - train[None, :]).min(axis=1)
            v = int(val[np.argmin(dist)])
            t = int(train[np.argmin(np.abs(train - v))])
            if len(val) > 1 and np.diff(np.sort(val)).max() > 1:
                fb.wrong(what, f"{leak:.0%} of the validation slices have a training slice "
                               "within 2 slices: a random or interleaved split scatters "
                               "validation slices among training ones; take one contiguous "
                               "block")
            else:
                fb.wrong(what, f"validation slice {v} is {abs(v - t)} slice(s) from training "
                               f"slice {t}: leave a gap wide enough between the blocks")
            continue
        dropped = n - len(train) - len(val)
        if dropped > 2 * _REACH:
            fb.wrong(what, f"{dropped} slices are left out; a gap of a few slices is enough, "
                           "the rest is training data thrown away")
            continue
        fb.right(what, f"{len(train)} training and {len(val)} validation slices, {dropped} "
                       "left out, no leakage within 2 slices")


# ============================================================================ 1.4
_EPFL_TRAIN = (165, 768, 1024)
_MB = 1e6


@exercise(
    title="Malec's 1,980 tiles",
    kind="test-a-claim", minutes=10,
    hints=(
        "`len(io.tile(np.zeros((165, 768, 1024), np.uint8), 256))` counts the tiles; check "
        "the shape of one slice's tiles too.",
        "One tile of 256 x 256 float32 pixels takes 256 * 256 * 4 bytes; a megabyte (MB) is "
        "10**6 bytes.",
    ),
    solution='''
        epfl_like = np.zeros((165, 768, 1024), np.uint8)
        n_tiles = len(io.tile(epfl_like, 256))
        megabytes = n_tiles * 256 * 256 * 4 / 1e6  # float32: 4 bytes per pixel
        print(n_tiles, "tiles,", round(megabytes), "MB as float32")
        del epfl_like
    ''')
def ex01_4(fb, n_tiles, megabytes):
    """Test a claim: Malec's "twelve 256x256 images" per slice, "1980 up from 165".

    Count the tiles `io.tile` cuts from a stack shaped like EPFL's training stack (165 slices
    of 768 x 1024), ``n_tiles``, and the memory they take as float32 in MB (10**6 bytes),
    ``megabytes``.
    """
    if isinstance(n_tiles, bool) or not isinstance(n_tiles, numbers.Integral):
        raise TypeError(f"`n_tiles` must be an integer, got {n_tiles!r}")
    megabytes = check_real(megabytes, "megabytes")
    n, h, w = _EPFL_TRAIN
    per_slice = -(-h // 256) * -(-w // 256)
    right = n * per_slice
    if n_tiles == right:
        fb.right("number of tiles", f"{per_slice} per slice x {n} slices = {right}: the claim "
                                    "holds")
    elif n_tiles == per_slice:
        fb.wrong("number of tiles", "that is one slice's tiles; the stack has 165 slices")
    else:
        fb.wrong("number of tiles", "count the tiles of the whole stack with `io.tile` (or "
                                    "per slice times the number of slices)")
    pixels = right * 256 * 256
    mb = pixels * 4 / _MB
    if close(megabytes, mb, 0.5):
        fb.right("memory as float32", "4 bytes per pixel")
    elif close(megabytes, pixels / _MB, 0.5):
        fb.wrong("memory as float32", "that is the size as uint8 (1 byte per pixel); float32 "
                                      "takes 4")
    elif close(megabytes, pixels * 4 / 2 ** 20, 0.5):
        fb.wrong("memory as float32", "that is in MiB (2**20 bytes); a MB is 10**6 bytes")
    elif close(megabytes, pixels * 4, 1.0):
        fb.wrong("memory as float32", "that is in bytes; divide by 10**6 for MB")
    elif close(megabytes, pixels * 8 / _MB, 0.5):
        fb.wrong("memory as float32", "that is float64 (8 bytes per pixel); float32 takes 4")
    else:
        fb.wrong("memory as float32", "multiply the number of pixels of all tiles by 4 bytes, "
                                      "then divide by 10**6")
    if fb.passed:
        fb.note(f"{mb:.0f} MB is a quarter of a free Binder session's memory: keep stacks as "
                "uint8 and normalise only the tiles you train on.")

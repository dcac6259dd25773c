"""Input checks shared by every module: clean arrays in, or a message that names the argument,
what was expected and what was passed."""

import numbers

import numpy as np

__all__ = []  # private module


def describe(x):
    """Short description of an argument for error messages: type, shape, dtype."""
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__}"


def as_array(x, name):
    """`x` as a NumPy array, or a TypeError naming `name` if it cannot be one."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (str, bytes, dict, set)) or x is None:
        raise TypeError(f"`{name}` must be an array, got {describe(x)}")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"`{name}` must be an array, got {describe(x)} ({exc})") from None
    if arr.dtype == object:
        raise TypeError(f"`{name}` must be a numeric array, got {describe(x)} of objects")
    return arr


def check_numeric(arr, name):
    """Reject non-numeric dtypes (strings, objects)."""
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"`{name}` must be numeric, got {describe(arr)}")
    return arr


def check_finite(arr, name):
    """Reject NaN and infinity, saying how many and where the first one is."""
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        bad = ~np.isfinite(arr)
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"`{name}` must be finite, got {int(bad.sum())} NaN/inf value(s) "
            f"(first at index {first}) in {describe(arr)}"
        )
    return arr


def check_ndim(arr, name, ndims, meaning=""):
    """Require `arr.ndim` to be one of `ndims`; `meaning` spells the expected layout."""
    ndims = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if arr.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        extra = f" ({meaning})" if meaning else ""
        raise ValueError(f"`{name}` must be {want}{extra}, got {describe(arr)}")
    return arr


def check_same_shape(a, a_name, b, b_name):
    """Require two arrays of one shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"`{b_name}` (shape {b.shape}) must have the same shape as `{a_name}` (shape {a.shape})"
        )


def as_binary(x, name, *, allow_255=True):
    """A mask as a bool array. Accepts bool, {0, 1} and (with `allow_255`) {0, 255}.

    Any other value is an error that lists the values seen: a mask that is secretly a label
    image or a probability map must not be silently thresholded.
    """
    arr = check_numeric(as_array(x, name), name)
    if arr.dtype == bool:
        return arr
    check_finite(arr, name)
    values = np.unique(arr)
    allowed = [{0}, {1}, {0, 1}] + ([{255}, {0, 255}] if allow_255 else [])
    if set(values.tolist()) not in allowed:
        shown = ", ".join(str(v) for v in values[:8]) + (", ..." if values.size > 8 else "")
        want = "{0, 1} or {0, 255}" if allow_255 else "{0, 1}"
        raise ValueError(
            f"`{name}` must be a binary mask with values in {want}, got {values.size} distinct "
            f"values: {shown}"
        )
    return arr > 0


def check_int(value, name, *, minimum=None):
    """A Python/NumPy integer, optionally bounded below."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {value}")
    return int(value)


def as_rng(rng, name="rng"):
    """A `numpy.random.Generator` from a seed, a Generator, or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"`{name}` must be an int seed, a numpy.random.Generator or None, got {rng!r}")


def as_label_stack(x, name, *, narrow=False):
    """A label image (H, W) or stack (N, H, W) / (N, H, W, 1) as (N, H, W) int64.

    With ``narrow=True``, labels of a narrower integer type (uint16, int32, ...) keep it: an
    (N, H, W) view, not an int64 copy (a set of real label images is hundreds of MB).

    Returns the stack and whether the input was a single 2-D image. Labels must be integers
    (0 background, 1..N objects): a float or boolean array is refused, since it is a mask or a
    probability map, not a label image.
    """
    arr = check_numeric(as_array(x, name), name)
    if arr.dtype == bool or arr.dtype.kind in "fc":
        raise TypeError(
            f"`{name}` must be an integer label image (0 background, 1..N objects), got "
            f"{describe(arr)}; label a binary mask first, e.g. with skimage.measure.label"
        )
    if arr.ndim == 4:
        if arr.shape[-1] != 1:
            raise ValueError(f"`{name}` must have one channel (N, H, W, 1), got {describe(arr)}")
        arr = arr[..., 0]
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"`{name}` must be 2-D (H, W) or a stack (N, H, W) or (N, H, W, 1), got {describe(arr)}"
        )
    if arr.size == 0:
        raise ValueError(f"`{name}` is empty, got {describe(arr)}")
    if arr.dtype.kind == "i" and int(arr.min()) < 0:
        raise ValueError(
            f"`{name}` must have non-negative labels (0 background), got minimum {int(arr.min())} "
            f"in {describe(arr)}"
        )
    if arr.dtype == np.uint64 and int(arr.max()) > np.iinfo(np.int64).max:
        raise ValueError(f"`{name}` has labels beyond the int64 range, got {describe(arr)}")
    single = arr.ndim == 2
    arr = arr[None] if single else arr
    if narrow and arr.dtype.kind in "iu" and arr.dtype.itemsize < 8:
        return arr, single
    return arr.astype(np.int64, copy=False), single


def as_slice(x, name, *, hint="pass one slice of a stack"):
    """A 2-D ``(H, W)`` view of an ``(H, W)`` or ``(H, W, 1)`` array; anything else is refused."""
    check_ndim(x, name, (2, 3), f"a 2-D slice (H, W) or (H, W, 1); {hint}")
    if x.ndim == 3:
        if x.shape[-1] != 1:
            raise ValueError(
                f"`{name}` must be a 2-D slice (H, W) or (H, W, 1), got {describe(x)}; {hint}"
            )
        x = x[..., 0]
    return x


def check_real(value, name, *, low=None, high=None, low_open=False, high_open=False,
               allow_none=False, what="a number"):
    """A finite real number as float, optionally within bounds; strings and bools are refused.

    `low`/`high` are inclusive unless `low_open`/`high_open`. The message names the argument
    and the interval, e.g. ``` `threshold` must be a number in [0, 1], got 1.5 ```; `what`
    names the kind of number for a bounded interval ("a fraction", "a probability").

    >>> check_real(0.25, "p", low=0, high=1)
    0.25
    >>> check_real(0, "sigma", low=0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: `sigma` must be > 0, got 0
    """
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number, got {value!r}"
                        + (" (or None)" if allow_none else ""))
    v = float(value)
    bounded = (low is None or (v > low if low_open else v >= low)) and \
              (high is None or (v < high if high_open else v <= high))
    if not np.isfinite(v) or not bounded:
        raise ValueError(f"`{name}` must be {_interval(low, high, low_open, high_open, what)}, "
                         f"got {value!r}")
    return v


def _interval(low, high, low_open, high_open, what="a number"):
    if low is not None and high is not None:
        return (f"{what} in {'(' if low_open else '['}{low:g}, {high:g}"
                f"{')' if high_open else ']'}")
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return "a finite number"


def check_choice(value, name, choices):
    """`value` if it is one of `choices` (names), else a ValueError listing them.

    >>> check_choice("min", "mode", ("min", "max"))
    'min'
    >>> check_choice("avg", "mode", ("min", "max", "mean"))
    Traceback (most recent call last):
    ...
    ValueError: `mode` must be one of 'min', 'max', 'mean', got 'avg'
    >>> check_choice("avg", "mode", ("min", "max"))
    Traceback (most recent call last):
    ...
    ValueError: `mode` must be 'min' or 'max', got 'avg'
    """
    if not isinstance(value, str) or value not in choices:
        names = [repr(c) for c in choices]
        want = " or ".join(names) if len(names) == 2 else "one of " + ", ".join(names)
        raise ValueError(f"`{name}` must be {want}, got {value!r}")
    return value


def as_stack(x, name, *, ndim_in=(2, 3, 4), channel=False, numeric=True, finite=True):
    """A stack as ``(N, H, W)`` (or ``(N, H, W, 1)`` with `channel`), and whether it was 2-D.

    Accepts a single image ``(H, W)``, a stack ``(N, H, W)`` or NHWC ``(N, H, W, 1)``, limited
    to the dimensions in `ndim_in`. More than one channel is refused with a message that says
    what to do (an RGB image must be converted to grey first). Empty arrays are refused.

    Returns
    -------
    stack : ndarray
        A view of `x` when possible (no copy, dtype unchanged).
    single : bool
        `x` was one 2-D image (callers return a 2-D result then).

    >>> s, single = as_stack(np.zeros((4, 5)), "image")
    >>> s.shape, single
    ((1, 4, 5), True)
    >>> as_stack(np.zeros((2, 4, 5, 1)), "images", channel=True)[0].shape
    (2, 4, 5, 1)
    >>> as_stack(np.zeros((2, 4, 5, 3)), "images")
    Traceback (most recent call last):
    ...
    ValueError: `images` must have one channel (N, H, W, 1), got array of shape (2, 4, 5, 3) and dtype float64; convert colour to grey first
    """
    arr = as_array(x, name)
    if numeric:
        check_numeric(arr, name)
    layouts = {2: "(H, W)", 3: "(N, H, W)", 4: "(N, H, W, 1)"}
    check_ndim(arr, name, ndim_in, " or ".join(layouts[d] for d in ndim_in))
    if arr.ndim == 4:
        if arr.shape[-1] != 1:
            raise ValueError(f"`{name}` must have one channel (N, H, W, 1), got {describe(arr)}"
                             "; convert colour to grey first")
        arr = arr[..., 0]
    if arr.size == 0:
        raise ValueError(f"`{name}` is empty, got {describe(arr)}")
    if finite:
        check_finite(arr, name)
    single = arr.ndim == 2
    if single:
        arr = arr[None]
    return (arr[..., None] if channel else arr), single


def check_normalization(normalization):
    """None, or a callable such as a `segkit.io.Normalization` (an image -> float image)."""
    if normalization is not None and not callable(normalization):
        raise TypeError("`normalization` must be None or a function of an image, such as the "
                        "segkit.io.Normalization fitted on the training images, got "
                        f"{describe(normalization)}")
    return normalization


def normalised(img, normalization):
    """One image as float32, through `normalization` when there is one (same shape)."""
    if normalization is None:
        return np.asarray(img, np.float32)
    out = np.asarray(normalization(img), np.float32)
    if out.shape != img.shape:
        raise ValueError(f"`normalization` must keep an image's shape: it turned {img.shape} "
                         f"into {out.shape}")
    return out

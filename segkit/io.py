"""Stacks in and out: TIFF stacks and PNG images to NHWC arrays, normalisation, tiling, splits.

Introduced in notebook 01. Every array that leaves this module is NHWC: ``(N, H, W, C)`` with
``N`` slices and ``C == 1`` grey channel, which is what Keras expects.
"""

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ._validate import (check_choice, as_array, as_binary, check_finite, check_int, check_ndim,
                        check_numeric, describe)

__all__ = [
    "read_stack", "read_mask", "write_stack", "to_nhwc", "Normalization", "tile",
    "untile", "object_tiles", "split_blocks", "neighbour_leakage",
    "atomic_path", "training_tiles",
]


# ----------------------------------------------------------------------------- layout
def to_nhwc(x, name="stack"):
    """Bring a grey image or stack to NHWC.

    Accepts ``(H, W)``, ``(H, W, 1)``, ``(N, H, W)`` and ``(N, H, W, 1)``. Colour images (last
    axis 3 or 4) are rejected rather than silently averaged.

    Parameters
    ----------
    x : ndarray
    name : str
        The argument's name in error messages.

    Returns
    -------
    (N, H, W, 1) ndarray
        A view of `x` where possible, same dtype.

    Examples
    --------
    >>> to_nhwc(np.zeros((4, 5))).shape
    (1, 4, 5, 1)
    >>> to_nhwc(np.zeros((3, 4, 5))).shape
    (3, 4, 5, 1)
    """
    x = check_numeric(as_array(x, name), name)
    check_ndim(x, name, (2, 3, 4), "(H, W), (N, H, W) or (N, H, W, 1)")
    colour = x.shape[-1] in (3, 4) and (x.ndim == 4 or (x.ndim == 3 and min(x.shape[:2]) > 4))
    if colour:
        raise ValueError(
            f"`{name}` looks like colour (RGB/RGBA) data, {describe(x)}; a grey image is expected. "
            "Convert it first, e.g. with skimage.color.rgb2gray."
        )
    if x.ndim == 2:
        return x[None, :, :, None]
    if x.ndim == 3:
        return x[..., None] if x.shape[-1] != 1 else x[None]
    if x.shape[-1] != 1:
        raise ValueError(f"`{name}` must have one channel (N, H, W, 1), got {describe(x)}")
    return x


# ----------------------------------------------------------------------------- files
def atomic_path(path):
    """Context manager giving a temporary name beside `path`, renamed onto it on success.

    A crash halfway through a write never leaves a truncated file under the real name: the
    temporary file is removed on an exception, and replaces `path` only when the block ends
    normally. Missing folders are created.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.

    Returns
    -------
    context manager
        Its ``as`` target is the temporary `pathlib.Path` (same folder and suffix) to write to.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "tiles.npz"
    >>> with atomic_path(out) as tmp:
    ...     np.savez_compressed(tmp, x=np.arange(3))
    >>> with np.load(out) as saved:
    ...     saved["x"].tolist()
    [0, 1, 2]
    """
    return _AtomicPath(Path(path))


class _AtomicPath:
    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                   suffix=self.path.suffix)
        os.close(fd)
        # mkstemp creates the file as 0600; give it the permissions a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)
        return False


def _grey(arr, where):
    """A decoded image as 2-D: RGB(A) holding grey becomes one channel, colour is refused."""
    if arr.ndim == 3 and arr.shape[-1] in (1, 2, 3, 4):
        colour = arr.shape[-1] in (3, 4)
        if arr.shape[-1] in (2, 4):  # grey + alpha or RGBA: the alpha must be opaque
            alpha = arr[..., -1]
            full = np.iinfo(arr.dtype).max if arr.dtype.kind in "ui" else 1.0
            if (alpha != full).any():
                raise ValueError(f"{where} has transparent pixels (alpha below {full} at "
                                 f"{int((alpha != full).sum())} pixels); segkit expects opaque "
                                 "grey images")
            arr = arr[..., :-1]
        if colour:
            differ = (arr[..., 0] != arr[..., 1]) | (arr[..., 0] != arr[..., 2])
            if differ.any():
                r, c = (int(v) for v in np.argwhere(differ)[0])
                raise ValueError(
                    f"{where} holds true colour (R, G, B differ at {int(differ.sum())} pixels, "
                    f"e.g. {tuple(int(v) for v in arr[r, c])} at ({r}, {c})); segkit expects "
                    "grey microscopy. Convert it explicitly first, e.g. with "
                    "skimage.color.rgb2gray.")
        # a copy, not a view: a view would keep the decoded channels alive, 3 or 4 times the
        # image (99 EMPS test images: 91 MB instead of 30), and is not contiguous
        arr = np.ascontiguousarray(arr[..., 0])
    if arr.ndim != 2:
        raise ValueError(f"{where} must be a 2-D grey image (or RGB/RGBA holding grey), got "
                         f"{describe(arr)}")
    return arr


def _read_image(source, where):
    """Decode a PNG or TIFF (a path or bytes) with imageio and bring it to 2-D grey."""
    import imageio.v3 as iio

    if isinstance(source, (str, os.PathLike)):
        # bytes, not the path: imageio leaves files open when no plugin can read them
        source = Path(source).read_bytes()
    try:
        arr = np.asarray(iio.imread(source, extension=Path(where).suffix or None))
    except Exception as exc:  # imageio raises several types for damaged files
        raise ValueError(f"{where} is not a readable image; is it truncated or corrupt? "
                         f"imageio said: {type(exc).__name__}: {exc}") from exc
    return _grey(arr, where)


_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF


def _is_tiff(path):
    """Whether `path` is a TIFF, by its suffix or its first bytes (files without a suffix)."""
    if path.suffix.lower() in (".tif", ".tiff"):
        return True
    with open(path, "rb") as f:
        return f.read(4) in _TIFF_MAGIC


def read_stack(path, *, name="path"):
    """Read a grey TIFF stack, a single image (PNG, JPEG, ...) or several, as NHWC.

    Parameters
    ----------
    path : str, os.PathLike or sequence of them
        A multipage (or single-page) TIFF, e.g. ``training.tif`` of the EPFL hippocampus
        set; any other file is decoded as one image with imageio (PNG, JPEG, BMP, ...). A
        list of files gives one stack, in the order given (e.g.
        ``sorted(Path("slices").glob("*.png"))``); they must all have the same size.
        Introduced in notebook 01; notebook 10 reads your own files with it.

    Returns
    -------
    (N, H, W, 1) ndarray
        uint8, uint16 or float, as stored. An image stored as RGB or RGBA whose channels
        are equal (grey saved in colour, common for PNG) becomes one channel.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not a readable image, truncated or corrupt, true colour, transparent, holding NaN,
        or files of different sizes.

    Examples
    --------
    >>> from pathlib import Path
    >>> import segkit
    >>> isbi = Path(segkit.__file__).parent.parent / "tests/data/isbi2012/data/membrane/train"
    >>> read_stack([isbi / "image/0.png", isbi / "image/1.png"]).shape
    (2, 512, 512, 1)
    """
    if isinstance(path, (list, tuple)):
        if not path:
            raise ValueError(f"`{name}` is an empty list; give at least one file")
        stacks = [read_stack(p, name=f"{name}[{i}]") for i, p in enumerate(path)]
        for i, s in enumerate(stacks[1:], start=1):
            if s.shape[1:] != stacks[0].shape[1:]:
                raise ValueError(
                    f"`{name}[{i}]` ({Path(path[i]).name}, {s.shape[1]} x {s.shape[2]}) must "
                    f"have the size of `{name}[0]` ({Path(path[0]).name}, "
                    f"{stacks[0].shape[1]} x {stacks[0].shape[2]})")
        return np.concatenate(stacks)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`{name}`: no such file: {path}")
    if not _is_tiff(path):
        arr = to_nhwc(_read_image(path, f"`{name}` ({path})"), f"{name} ({path.name})")
        check_finite(arr, f"{name} ({path.name})")
        return arr
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            arr = tif.asarray()
    except Exception as exc:  # tifffile raises several types for damaged files
        raise ValueError(
            f"`{name}` ({path}) is not a readable TIFF stack; is it truncated or corrupt? "
            f"tifffile said: {type(exc).__name__}: {exc}"
        ) from exc
    arr = to_nhwc(arr, f"{name} ({path.name})")
    check_finite(arr, f"{name} ({path.name})")
    return arr


def read_mask(path, *, name="path"):
    """Read a binary mask stack (values {0, 1} or {0, 255}) as NHWC uint8 with values {0, 1}.

    Parameters
    ----------
    path : str, os.PathLike or sequence of them
        What `read_stack` reads: a TIFF, an image file or a list of them.
    name : str
        The argument's name in error messages.

    Returns
    -------
    (N, H, W, 1) uint8 ndarray of {0, 1}

    Examples
    --------
    >>> from pathlib import Path
    >>> import segkit
    >>> isbi = Path(segkit.__file__).parent.parent / "tests/data/isbi2012/data/membrane/train"
    >>> m = read_mask(isbi / "label/0.png")  # 255 on the cells, 0 on the membranes
    >>> m.shape, m.dtype, sorted(np.unique(m).tolist())
    ((1, 512, 512, 1), dtype('uint8'), [0, 1])

    Raises
    ------
    ValueError
        Values other than the two classes (for example a label image or a probability map).
    """
    arr = read_stack(path, name=name)
    where = name if isinstance(path, (list, tuple)) else f"{name} ({Path(path).name})"
    return as_binary(arr, where).astype(np.uint8)


def write_stack(path, stack, *, mask=False):
    """Write a stack as a multipage TIFF, atomically (a crash never leaves half a file).

    Parameters
    ----------
    path : str or os.PathLike
    stack : (N, H, W), (N, H, W, 1) or (H, W) ndarray
    mask : bool
        Write a binary mask as uint8 {0, 255}, the convention of the EPFL ground truth.

    Returns
    -------
    pathlib.Path
        `path`.

    Examples
    --------
    >>> import tempfile
    >>> path = write_stack(Path(tempfile.mkdtemp()) / "s.tif", np.ones((2, 3, 3)), mask=True)
    >>> import tifffile
    >>> sorted(np.unique(tifffile.imread(path)).tolist())  # masks are stored 0/255
    [255]
    """
    import tifffile

    arr = to_nhwc(stack, "stack")[..., 0]
    if mask:
        arr = (as_binary(arr, "stack") * np.uint8(255)).astype(np.uint8)
    else:
        check_finite(arr, "stack")
    with atomic_path(path) as tmp:
        tifffile.imwrite(tmp, arr, photometric="minisblack")
    return Path(path)


# ----------------------------------------------------------------------------- normalisation
@dataclass(frozen=True)
class Normalization:
    """Intensity normalisation fitted on training images and reused, unchanged, at prediction.

    ``x -> (x - low) / (high - low)`` as float32, so that the training range maps to [0, 1].
    Fit it once on the training stack, save it beside the model (`to_dict`), apply the same
    object to validation, test and any new image: a different normalisation at prediction time
    is a classic silent failure.

    Examples
    --------
    >>> norm = Normalization.fit(np.array([[0, 50, 100]], dtype=np.uint8), percentiles=(0, 100))
    >>> norm(np.array([[0, 50, 100]], dtype=np.uint8)).tolist()
    [[0.0, 0.5, 1.0]]
    """

    low: float
    high: float

    @classmethod
    def fit(cls, images, *, percentiles=(1.0, 99.0)):
        """Fit on `images` (any shape) from the given lower and upper percentiles."""
        x = check_finite(check_numeric(as_array(images, "images"), "images"), "images")
        if x.size == 0:
            raise ValueError("`images` is empty")
        p_lo, p_hi = percentiles
        if not 0 <= p_lo < p_hi <= 100:
            raise ValueError(f"`percentiles` must satisfy 0 <= low < high <= 100, got {percentiles}")
        low, high = (float(v) for v in np.percentile(x, [p_lo, p_hi]))
        if high <= low:
            raise ValueError(
                f"`images` has no intensity spread between percentiles {p_lo} and {p_hi} "
                f"(both {low}); is it blank?"
            )
        return cls(low, high)

    @classmethod
    def named(cls, name, images):
        """A normalisation fitted on `images`, chosen by name (for sliders and studies).

        ``"percentile"``: 1st to 99th percentile (robust to outliers, the default);
        ``"minmax"``: minimum to maximum; ``"none"``: raw values as floats (0..255 for uint8),
        to see what skipping normalisation does to training.

        >>> Normalization.named("minmax", np.array([10, 20, 30]))
        Normalization(low=10.0, high=30.0)
        >>> Normalization.named("none", np.array([10, 20, 30]))
        Normalization(low=0.0, high=1.0)
        """
        check_choice(name, "normalization", ("percentile", "minmax", "none"))
        if name == "none":
            return cls(0.0, 1.0)
        return cls.fit(images, percentiles=(1.0, 99.0) if name == "percentile" else (0.0, 100.0))

    def __call__(self, images):
        x = check_numeric(as_array(images, "images"), "images")
        check_finite(x, "images")
        return ((x.astype(np.float32) - np.float32(self.low))
                / np.float32(self.high - self.low)).astype(np.float32)

    def to_dict(self):
        return asdict(self)

    def save(self, path):
        """Write as JSON beside a model (atomically), for `load` at prediction time."""
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(self.to_dict()))
        return Path(path)

    @classmethod
    def load(cls, path):
        """Read a normalisation written by `save`."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"`path`: no such file: {path}")
        try:
            return cls.from_dict(json.loads(path.read_text()))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"`path` ({path}) is not a saved Normalization: {exc}") from None

    @classmethod
    def from_dict(cls, d):
        return cls(float(d["low"]), float(d["high"]))


# ----------------------------------------------------------------------------- tiling
def _tile_grid(shape, size):
    """Rows and columns of tiles `tile` cuts from slices of `shape` ``(..., H, W, ...)``."""
    h, w = shape
    return -(-h // size), -(-w // size)


def tile(stack, size, *, pad_mode="reflect"):
    """Cut every slice into non-overlapping ``size x size`` tiles, padding the far edges.

    Parameters
    ----------
    stack : (H, W), (N, H, W) or (N, H, W, 1) ndarray
    size : int
        Tile side in pixels.
    pad_mode : str
        `numpy.pad` mode for slices whose sides are not multiples of `size`. ``"reflect"``
        (the default) gives the network realistic context at the border; use ``"constant"``
        for masks if you prefer zeros. `untile` crops the padding away either way.

    Returns
    -------
    (N * rows * cols, size, size, 1) ndarray
        Tiles in slice-major, then row-major order.

    Examples
    --------
    >>> tiles = tile(np.arange(768 * 1024).reshape(768, 1024), 256)
    >>> tiles.shape
    (12, 256, 256, 1)
    >>> bool((untile(tiles, (768, 1024)) == np.arange(768 * 1024).reshape(768, 1024)).all())
    True
    """
    size = check_int(size, "size", minimum=1)
    x = to_nhwc(stack, "stack")
    n, h, w, c = x.shape
    rows, cols = _tile_grid((h, w), size)
    ph, pw = rows * size - h, cols * size - w
    if ph or pw:
        if pad_mode == "reflect" and (ph >= h or pw >= w):
            pad_mode = "symmetric"  # reflect needs the pad to be shorter than the side
        x = np.pad(x, ((0, 0), (0, ph), (0, pw), (0, 0)), mode=pad_mode)
    t = x.reshape(n, rows, size, cols, size, c).transpose(0, 1, 3, 2, 4, 5)
    return np.ascontiguousarray(t.reshape(n * rows * cols, size, size, c))


def object_tiles(images, masks, size, *, n=None, where=None):
    """Tiles of an image stack and its masks, keeping only tiles that hold objects.

    Training on tiles of pure background teaches little and costs as much; small studies
    (a slider panel, a weak-label comparison) keep the tiles where there is something to
    segment. With `where`, the choice is made on another mask stack (e.g. the true masks)
    and applied to `masks` (e.g. weak labels), so several label sets get the same tiles.

    Parameters
    ----------
    images : (N, H, W) or (N, H, W, 1) ndarray
        Cut with reflect padding (`tile`).
    masks : ndarray shaped like `images`
        {0, 1} masks (or labels), cut with zero padding.
    size : int
        Tile side.
    n : int or None
        Keep at most `n` tiles, spread evenly over the candidates in stack order (not the
        first `n`, which would all come from the first slices); None keeps all.
    where : ndarray shaped like `masks`, optional
        Choose the tiles where this stack is non-zero; default `masks`.

    Returns
    -------
    x : (K, size, size, 1) ndarray, dtype of `images`
    y : (K, size, size, 1) ndarray, dtype of `masks`
        Kept as given (uint8 masks stay uint8, a quarter of the memory of float32;
        `segkit.augment.make_dataset` and `segkit.experiments.run_experiment` convert them
        as they need).

    Examples
    --------
    >>> m = np.zeros((2, 4, 4), np.uint8); m[1, 3, 3] = 1
    >>> x, y = object_tiles(np.ones((2, 4, 4)), m, 2)
    >>> x.shape, y.dtype.name, int(y.sum())
    ((1, 2, 2, 1), 'uint8', 1)
    """
    size = check_int(size, "size", minimum=1)
    img, msk = to_nhwc(images, "images"), to_nhwc(masks, "masks")
    chosen = msk if where is None else to_nhwc(where, "where")
    if img.shape[:3] != msk.shape[:3] or chosen.shape[:3] != msk.shape[:3]:
        other = "" if where is None else f", `where` {chosen.shape}"
        raise ValueError(f"`images`, `masks` and `where` must have the same (N, H, W); got "
                         f"`images` {img.shape}, `masks` {msk.shape}{other}")
    keep = np.flatnonzero(tile(chosen, size, pad_mode="constant").any(axis=(1, 2, 3)))
    if n is not None:
        n = check_int(n, "n", minimum=1)
        if n < keep.size:
            keep = keep[np.linspace(0, keep.size - 1, n).round().astype(np.int64)]
    return (tile(img, size)[keep],
            tile(msk, size, pad_mode="constant")[keep])


def untile(tiles, shape):
    """Stitch tiles from `tile` back into slices of `shape`, cropping the padding.

    Parameters
    ----------
    tiles : (K, S, S) or (K, S, S, C) ndarray
    shape : tuple
        The shape of the array that was tiled: ``(H, W)``, ``(N, H, W)`` or ``(N, H, W, C)``;
        the result has exactly this shape.

    Returns
    -------
    ndarray of `shape`

    Examples
    --------
    >>> x = np.arange(2 * 5 * 7).reshape(2, 5, 7)
    >>> tiles = tile(x, 4)            # padded to 8 x 8: 2 x 2 tiles per slice
    >>> tiles.shape
    (8, 4, 4, 1)
    >>> bool((untile(tiles, x.shape) == x).all())
    True
    """
    t = as_array(tiles, "tiles")
    if t.ndim == 3:
        t = t[..., None]
    check_ndim(t, "tiles", 4, "(K, S, S, C) as returned by tile()")
    k, size, size2, c = t.shape
    if size != size2:
        raise ValueError(f"`tiles` must be square, got {describe(t)}")
    shape = tuple(int(s) for s in shape)
    if len(shape) not in (2, 3, 4):
        raise ValueError(f"`shape` must be (H, W), (N, H, W) or (N, H, W, C), got {shape}")
    # read `shape` with exactly the layout rules `tile` used (via to_nhwc), at no memory cost
    n, h, w, _ = to_nhwc(np.broadcast_to(np.uint8(0), shape), "shape").shape
    rows, cols = _tile_grid((h, w), size)
    if k != n * rows * cols:
        raise ValueError(
            f"`tiles` holds {k} tiles of {size}x{size}, but `shape` {shape} needs "
            f"{n} x {rows} x {cols} = {n * rows * cols}"
        )
    x = t.reshape(n, rows, cols, size, size, c).transpose(0, 1, 3, 2, 4, 5)
    x = x.reshape(n, rows * size, cols * size, c)[:, :h, :w, :]
    return np.ascontiguousarray(x.reshape(shape))


# ----------------------------------------------------------------------------- splits
def split_blocks(n_slices, fractions=(0.7, 0.15, 0.15), *, gap=0):
    """Split slice indices ``0..n_slices-1`` into contiguous z-blocks, optionally with gaps.

    Neighbouring slices of an EM stack are nearly identical, so a random per-slice split puts
    near-copies of test slices into training and inflates every score. Contiguous blocks keep
    that leakage to the block boundaries; `gap` slices dropped between blocks remove it.

    Parameters
    ----------
    n_slices : int
    fractions : sequence of float
        Relative sizes of the blocks, in z order; normalised to sum to one.
    gap : int
        Slices left out between consecutive blocks.

    Returns
    -------
    tuple of 1-D int ndarrays, one per fraction

    Examples
    --------
    >>> [b.tolist() for b in split_blocks(10, (0.6, 0.4), gap=1)]
    [[0, 1, 2, 3, 4], [6, 7, 8, 9]]
    """
    n = check_int(n_slices, "n_slices", minimum=1)
    gap = check_int(gap, "gap", minimum=0)
    fr = np.asarray(fractions, dtype=float)
    if fr.ndim != 1 or fr.size < 1 or (fr <= 0).any() or not np.isfinite(fr).all():
        raise ValueError(f"`fractions` must be positive numbers, got {fractions!r}")
    usable = n - gap * (fr.size - 1)
    if usable < fr.size:
        raise ValueError(
            f"`n_slices`={n} is too few for {fr.size} blocks with `gap`={gap} "
            f"(need at least {fr.size + gap * (fr.size - 1)})"
        )
    bounds = np.round(np.cumsum(fr / fr.sum()) * usable).astype(int)
    sizes = np.diff(np.concatenate([[0], bounds]))
    if (sizes < 1).any():
        raise ValueError(f"`fractions` {tuple(fractions)} leave an empty block for {n} slices")
    blocks, start = [], 0
    for s in sizes:
        blocks.append(np.arange(start, start + s))
        start += s + gap
    return tuple(blocks)


def neighbour_leakage(train_idx, test_idx, *, reach=1):
    """Fraction of test slices that have a training slice within `reach` slices in z.

    A measure of how much a split leaks: 0 for blocks separated by a gap of at least `reach`
    slices, close to 1 for a random per-slice split.

    Parameters
    ----------
    train_idx, test_idx : sequence of int
        Slice indices of the two sets; they must not share a slice.
    reach : int
        A test slice leaks when a training slice is at most `reach` slices away.

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> train, test = split_blocks(10, (0.5, 0.5))
    >>> float(neighbour_leakage(train, test))
    0.2
    >>> train, test = split_blocks(10, (0.5, 0.5), gap=1)
    >>> float(neighbour_leakage(train, test))
    0.0
    """
    reach = check_int(reach, "reach", minimum=1)
    train = np.asarray(train_idx, dtype=int).ravel()
    test = np.asarray(test_idx, dtype=int).ravel()
    if test.size == 0:
        raise ValueError("`test_idx` is empty")
    if np.intersect1d(train, test).size:
        raise ValueError("`train_idx` and `test_idx` share slices: that is not a split")
    if train.size == 0:
        return 0.0
    dist = np.abs(test[:, None] - train[None, :]).min(axis=1)
    return float(np.mean(dist <= reach))


# ----------------------------------------------------------------------------- training data
def training_tiles(images, masks, size, *, val_fraction=0.2, gap=0, n=None, objects=False,
                   where=None):
    """Training and validation tiles of one stack: contiguous z-blocks, each cut into tiles.

    The data step of notebooks 05 and 06 in one call: `split_blocks` splits the slices
    into a training block and a validation block (`gap` slices apart, so that no validation
    slice has a near-copy in training), and each block is cut into ``size x size`` tiles
    (`tile`, or `object_tiles` with ``objects=True``). Images stay raw: fit a
    `Normalization` on the training tiles and apply it to both.

    Parameters
    ----------
    images : (N, H, W) or (N, H, W, 1) ndarray
        The slices, in z order.
    masks : ndarray shaped like `images`
        {0, 1} (or {0, 255}) masks.
    size : int
        Tile side.
    val_fraction : float in (0, 1)
        Share of the slices (after the gap) in the validation block.
    gap : int
        Slices left out between the blocks.
    n : int, optional
        Keep at most `n` training tiles and ``round(n * val_fraction / (1 - val_fraction))``
        (at least 1) validation tiles, spread evenly over each block; None keeps all.
    objects : bool
        Keep only tiles that hold objects (in `where` if given, else in `masks`).
    where : ndarray shaped like `masks`, optional
        With ``objects=True``: choose the tiles on this stack (e.g. the true masks) and
        take `masks` (e.g. weak labels) from the same places, so that several label sets
        get the same tiles.

    Returns
    -------
    dict
        ``{"train": (x, y), "val": (x, y)}``: ``x`` raw tiles ``(K, size, size, 1)`` in the
        dtype of `images`, ``y`` uint8 {0, 1} masks; the `data` of
        `segkit.experiments.run_experiment`. Pass the raw tiles to
        `segkit.augment.make_dataset` with ``normalization=``: it normalises tile by tile,
        so the training set is never held as float32 (four times the memory of uint8).

    Examples
    --------
    >>> images = np.arange(10 * 8 * 8, dtype=np.uint8).reshape(10, 8, 8)
    >>> masks = np.zeros_like(images); masks[:, :4, :4] = 1
    >>> tiles = training_tiles(images, masks, 4, val_fraction=0.2, gap=1)
    >>> tiles["train"][0].shape, tiles["val"][0].shape, tiles["train"][1].dtype
    ((28, 4, 4, 1), (8, 4, 4, 1), dtype('uint8'))
    >>> tiles = training_tiles(images, masks, 4, val_fraction=0.2, gap=1, objects=True)
    >>> len(tiles["train"][0]), float(tiles["train"][1].min())
    (7, 1.0)
    """
    size = check_int(size, "size", minimum=1)
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float, np.floating)) \
            or not 0 < float(val_fraction) < 1:
        raise ValueError(f"`val_fraction` must be a number in (0, 1), got {val_fraction!r}")
    img, msk = to_nhwc(images, "images"), to_nhwc(masks, "masks")
    if img.shape[:3] != msk.shape[:3]:
        raise ValueError(f"`masks` (shape {msk.shape}) must have the same (N, H, W) as "
                         f"`images` (shape {img.shape})")
    msk = as_binary(msk, "masks").astype(np.uint8)
    if where is not None:
        if not objects:
            raise ValueError("`where` chooses the tiles that hold objects: pass it with "
                             "`objects=True`")
        where = to_nhwc(where, "where")
        if where.shape[:3] != msk.shape[:3]:
            raise ValueError(f"`where` (shape {where.shape}) must have the same (N, H, W) as "
                             f"`masks` (shape {msk.shape})")
    counts = (None, None)
    if n is not None:
        n = check_int(n, "n", minimum=1)
        counts = (n, max(1, int(round(n * val_fraction / (1 - val_fraction)))))
    blocks = split_blocks(len(img), (1 - float(val_fraction), float(val_fraction)), gap=gap)
    out = {}
    for name, idx, count in zip(("train", "val"), blocks, counts):
        if objects:
            out[name] = object_tiles(img[idx], msk[idx], size, n=count,
                                     where=None if where is None else where[idx])
            continue
        x = tile(img[idx], size)
        y = tile(msk[idx], size, pad_mode="constant")
        if count is not None and count < len(x):
            keep = np.linspace(0, len(x) - 1, count).round().astype(np.int64)
            x, y = x[keep], y[keep]
        out[name] = (x, y)
    return out

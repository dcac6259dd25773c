"""Full-size prediction by overlapping tiles, blended into one seamless probability map.

Introduced in notebook 05. A network trained on 256 x 256 tiles predicts a 768 x 1024 slice
(or a whole stack) tile by tile: tiles overlap so that every pixel is predicted away from a
tile border at least once, the image is reflect-padded at its edges so that border pixels
get context too, and the overlapping predictions are averaged (uniformly, or with a smooth
window that trusts tile centres more). Use the *same* `segkit.io.Normalization` as in
training.
"""

import itertools
import numbers
import os

import numpy as np

from ._validate import as_array, check_finite, check_int, check_numeric, describe
from .io import to_nhwc

__all__ = ["predict_tiled", "predict_volume"]


def _tile_positions(length, tile, stride):
    """Start offsets of tiles of size `tile` covering ``0..length`` with at most `stride` steps.

    The last tile is aligned to the end (``length - tile``) rather than running past it.

    Examples
    --------
    >>> _tile_positions(1056, 256, 224)
    [0, 224, 448, 672, 800]
    >>> _tile_positions(256, 256, 224)
    [0]
    """
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile + 1, stride))
    if starts[-1] != length - tile:
        starts.append(length - tile)
    return starts


def _blend_window(tile, blend="average"):
    """Weights of one tile's prediction in the blend: ones, or a smooth (Gaussian) bump.

    The Gaussian window has sigma ``tile / 8`` and is floored at 1e-3 so that every pixel
    keeps a positive weight.

    Returns
    -------
    (tile, tile) float64 ndarray
    """
    tile = check_int(tile, "tile", minimum=1)
    if blend == "average":
        return np.ones((tile, tile))
    if blend == "gaussian":
        r = np.arange(tile) - (tile - 1) / 2.0
        g = np.exp(-(r ** 2) / (2.0 * (tile / 8.0) ** 2))
        return np.maximum(np.outer(g, g), 1e-3)
    raise ValueError(f"`blend` must be 'average' or 'gaussian', got {blend!r}")


def predict_tiled(model, image, *, tile=256, overlap=32, batch_size=8, normalization=None,
                  blend="average", precision="auto"):
    """Predict an image or stack of any size with a fully convolutional `model`.

    Parameters
    ----------
    model : keras.Model
        A segmentation model with ``(None, None, C)`` inputs (or exactly ``tile x tile``),
        e.g. `segkit.models.unet`.
    image : (H, W), (H, W, 1), (N, H, W) or (N, H, W, 1) ndarray
        Raw images, normalised here with `normalization`, or already normalised floats.
    tile : int
        Tile side; a multiple of the model's pooling factor (`segkit.models.size_divisor`).
    overlap : int or float
        Pixels shared by neighbouring tiles, or a fraction of `tile` (``0 <= f < 1``). The
        image is reflect-padded by ``overlap // 2`` on every side.
    batch_size : int
        Tiles per forward pass (memory).
    normalization : segkit.io.Normalization, optional
        The object used for the training data. Required for integer images.
    blend : {"average", "gaussian"}
        How overlapping predictions are combined: ``"average"`` weighs them equally,
        ``"gaussian"`` by a smooth window (sigma ``tile / 8``) that trusts tile centres more.
    precision : {"auto", "float32", "mixed_bfloat16", "mixed_float16"}
        The policy the forward passes compute in. A model built under another policy is run
        through a copy rebuilt under this one, with the same weights and float32 output
        layers. ``"auto"``: a mixed policy only where the processor supports it and a
        one-off measurement on this machine showed prediction faster with it (see
        `segkit.train.train`); ``"mixed_float16"`` needs a GPU.

    Returns
    -------
    ndarray of float32 probabilities
        The input's layout: ``(H, W)``, ``(H, W, 1)``, ``(N, H, W)`` or ``(N, H, W, 1)``;
        with a K-class model the channel axis holds the K classes (``(H, W, K)``, ...).

    Raises
    ------
    ValueError
        A tile size the model cannot take, an overlap too large for the tile, integer images
        without `normalization`, NaN in the images, an unknown `precision`.

    Examples
    --------
    >>> import keras
    >>> identity = keras.Sequential([keras.Input((None, None, 1)), keras.layers.Conv2D(
    ...     1, 1, kernel_initializer="ones", bias_initializer="zeros")])
    >>> image = np.arange(40 * 50, dtype=np.float32).reshape(40, 50)
    >>> out = predict_tiled(identity, image, tile=32, overlap=8, precision="float32")
    >>> out.shape, bool((out == image).all())
    ((40, 50), True)
    """
    plan = _plan(model, tile, overlap, batch_size, blend, precision)
    raw = check_numeric(as_array(image, "image"), "image")
    x = to_nhwc(raw, "image")
    n, h, w, _ = x.shape
    normalize = _normalizer(normalization, x.dtype, "image")
    if normalize is None:
        check_finite(x, "image")
    out = None
    for k, prob in _predict_slices(plan, x.__getitem__, n, h, w, normalize):
        if out is None:
            out = np.empty((n, h, w, prob.shape[-1]), np.float32)
        out[k] = prob
    return _restore_layout(out, raw.shape)


def _plan(model, tile, overlap, batch_size, blend, precision):
    """Checked tiling settings and the model to run (under the resolved precision)."""
    from . import _precision

    tile = check_int(tile, "tile", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    overlap = _overlap_pixels(overlap, tile)
    window = _blend_window(tile, blend)
    _check_model_tile(model, tile)
    _precision.check_precision(precision)
    return {"model": _precision.for_inference(model, precision), "tile": tile,
            "overlap": overlap, "batch_size": batch_size, "window": window}


def _normalizer(normalization, dtype, name):
    if normalization is None:
        if not np.issubdtype(dtype, np.floating):
            raise ValueError(
                f"`{name}` is {dtype}: pass the `normalization` used for training "
                "(segkit.io.Normalization) so that prediction sees the same intensities"
            )
        return None
    if not callable(normalization):
        raise TypeError(
            f"`normalization` must be a segkit.io.Normalization (or a callable), "
            f"got {describe(normalization)}"
        )
    return normalization


def _predict_slices(plan, get_slice, n, h, w, normalize):
    """Yield ``(k, (h, w, K) float32 probabilities)`` for slices ``0..n-1``, in order.

    The one tiling loop of segkit: `predict_tiled` collects its slices, `predict_volume`
    writes each to disk. ``get_slice(k)`` returns slice `k` as ``(h, w)`` or ``(h, w, 1)``;
    it is called once per slice, when the slice's first tile is needed, and at most two
    slices (and their accumulators) are held at a time, however large `n` is. Tiles of
    consecutive slices share forward passes, so batches stay full.
    """
    model, tile, overlap = plan["model"], plan["tile"], plan["overlap"]
    batch_size, window = plan["batch_size"], plan["window"]
    margin = overlap // 2
    stride = tile - overlap
    hp, wp = max(h + 2 * margin, tile), max(w + 2 * margin, tile)
    ys, xs = _tile_positions(hp, tile, stride), _tile_positions(wp, tile, stride)
    pad = ((margin, hp - h - margin), (margin, wp - w - margin), (0, 0))

    weight_sum = np.zeros((hp, wp))
    for y0 in ys:
        for x0 in xs:
            weight_sum[y0:y0 + tile, x0:x0 + tile] += window
    per_slice = len(ys) * len(xs)
    positions = ((k, y0, x0) for k in range(n) for y0 in ys for x0 in xs)  # lazy: no O(n)

    padded, acc = {}, {}
    while chunk := list(itertools.islice(positions, batch_size)):
        for k, _, _ in chunk:
            if k not in padded:
                padded[k] = _pad_slice(get_slice(k), normalize, pad)
        batch = np.stack([padded[k][y0:y0 + tile, x0:x0 + tile] for k, y0, x0 in chunk])
        pred = np.asarray(model.predict_on_batch(batch), dtype=np.float32)
        for (k, y0, x0), p in zip(chunk, pred):
            if k not in acc:
                acc[k] = [np.zeros((hp, wp, pred.shape[-1])), 0]
            acc[k][0][y0:y0 + tile, x0:x0 + tile] += p * window[..., None]
            acc[k][1] += 1
            if acc[k][1] == per_slice:  # slice complete: normalise, crop, free memory
                total = acc.pop(k)[0] / weight_sum[..., None]
                del padded[k]
                yield k, total[margin:margin + h, margin:margin + w].astype(np.float32)


# ----------------------------------------------------------------------------- volumes
VOLUME_OUTPUTS = ("probability", "mask")


def predict_volume(model, source, destination, *, tile=256, overlap=32, batch_size=8,
                   normalization=None, blend="average", output="probability", threshold=0.5,
                   precision="auto", resume=True, overwrite=False, progress=True):
    """Predict a volume larger than memory slice by slice, from disk to disk.

    Slices are read one at a time from `source`, predicted with the tiling of
    `predict_tiled` (same arguments, same results), and written one at a time, so memory
    holds about two slices whatever the volume's length: a 1065 x 2048 x 1536 FIB-SEM
    volume (3.3 GB) runs on a 2 GB runtime.

    The work is atomic and resumable. Finished slices go to a hidden work folder beside
    `destination` (``.NAME.partial``), each followed by a mark that it is complete; the
    destination appears, complete, only at the end (written under a temporary name and
    renamed). After an interruption (Ctrl-C, a restarted kernel, a killed job) the same
    call skips the slices already marked and predicts the rest. A finished destination
    records the settings it was made with: calling again with the same settings returns at
    once.

    Parameters
    ----------
    model : keras.Model
        As for `predict_tiled`.
    source : str, os.PathLike or array-like
        A multipage TIFF (memory-mapped when uncompressed and contiguous, read page by page
        otherwise), a zarr array store (a ``.zarr`` folder; needs the optional ``zarr``
        package), or any array-like of shape ``(N, H, W)`` or ``(N, H, W, 1)`` that reads
        ``source[k]`` lazily (``zarr.Array``, ``numpy.memmap``, an h5py dataset).
    destination : str or os.PathLike
        ``.tif``/``.tiff`` (a multipage TIFF, BigTIFF when over 4 GB) or ``.zarr`` (one chunk
        per slice).
    tile, overlap, batch_size, normalization, blend, precision
        As for `predict_tiled`. `normalization` is required for integer sources.
    output : {"probability", "mask"}
        float32 probabilities, ``(N, H, W)`` (``(N, H, W, K)`` for a K-class model); or
        uint8 masks ``(N, H, W)``: 1 where the probability is ``>= threshold`` (K classes:
        the index of the most probable class).
    threshold : float
        For ``output="mask"`` with one output channel.
    resume : bool
        Continue an interrupted run with the same settings. An unfinished run with other
        settings is an error (its work is not thrown away silently); ``resume=False``
        discards it and starts again.
    overwrite : bool
        Replace a `destination` that exists but was made otherwise (or not by segkit).
    progress : bool
        Show a progress bar (``tqdm.auto``: a widget in Jupyter, text elsewhere).

    Returns
    -------
    pathlib.Path
        `destination`.

    Raises
    ------
    ValueError
        A source that is not a grey stack, an unknown file type, an unfinished run with
        other settings, or any error of `predict_tiled`'s arguments.
    FileExistsError
        `destination` exists, was made with other settings, and `overwrite` is False.
    ImportError
        A zarr source or destination without the ``zarr`` package.

    Examples
    --------
    >>> import keras, tempfile, tifffile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> volume = np.arange(3 * 40 * 50, dtype=np.float32).reshape(3, 40, 50) / 6000
    >>> tifffile.imwrite(folder / "volume.tif", volume, photometric="minisblack")
    >>> identity = keras.Sequential([keras.Input((None, None, 1)), keras.layers.Conv2D(
    ...     1, 1, kernel_initializer="ones", bias_initializer="zeros")])
    >>> out = predict_volume(identity, folder / "volume.tif", folder / "prob.tif", tile=32,
    ...                      overlap=8, precision="float32", progress=False)
    >>> bool((tifffile.imread(out) == volume).all())
    True
    """
    from . import _precision
    from ._validate import check_choice, check_real

    output = check_choice(output, "output", VOLUME_OUTPUTS)
    threshold = check_real(threshold, "threshold", low=0, high=1)
    dest = _destination(destination)
    src = _open_source(source)
    try:
        n, h, w = src.shape
        if _same_file(src.path, dest):
            raise ValueError(f"`destination` ({dest}) must differ from `source`")
        normalize = _normalizer(normalization, src.dtype, "source")
        plan = _plan(model, tile, overlap, batch_size, blend, precision)
        k_out = int(model.output_shape[-1])
        if output == "probability":
            shape, dtype = ((n, h, w) if k_out == 1 else (n, h, w, k_out)), np.float32
        else:
            shape, dtype = (n, h, w), (np.uint8 if k_out <= 256 else np.uint16)
        job = _job(model, src, plan, normalization, blend, output, threshold, shape, dtype,
                   _precision.model_policy(plan["model"]))
        if dest.exists():
            if _finished_job(dest) == job:
                _progress_bar(n, n, dest, progress).close()
                return dest
            if not overwrite:
                raise FileExistsError(
                    f"`destination` ({dest}) exists, made with other settings or not by "
                    "predict_volume; pass overwrite=True to replace it, or choose another name")
        work = _Work.open(dest, job, shape, dtype, resume=resume)
        todo = np.flatnonzero(~work.done)
        bar = _progress_bar(n, n - todo.size, dest, progress)
        try:
            def get_slice(i):
                return src.read(int(todo[i]))

            for i, prob in _predict_slices(plan, get_slice, todo.size, h, w, normalize):
                work.write(int(todo[i]), _volume_values(prob, output, threshold, dtype))
                bar.update(1)
        finally:
            bar.close()
            work.close()
        work.finish(dest)
        return dest
    finally:
        src.close()


def _destination(destination):
    from pathlib import Path

    if not isinstance(destination, (str, os.PathLike)):
        raise TypeError(f"`destination` must be a file name (.tif, .tiff or .zarr), got "
                        f"{describe(destination)}")
    dest = Path(destination)
    if dest.suffix.lower() not in (".tif", ".tiff", ".zarr"):
        raise ValueError(f"`destination` must end in .tif, .tiff or .zarr, got {str(dest)!r}")
    return dest


def _same_file(a, b):
    try:
        return a is not None and os.path.realpath(a) == os.path.realpath(b)
    except OSError:
        return False


def _volume_values(prob, output, threshold, dtype):
    """One slice of the destination from its ``(h, w, K)`` probabilities."""
    from ._conventions import foreground

    if output == "probability":
        return prob[..., 0] if prob.shape[-1] == 1 else prob
    if prob.shape[-1] == 1:
        return foreground(prob[..., 0], threshold).astype(dtype)
    return np.argmax(prob, axis=-1).astype(dtype)


def _progress_bar(total, done, dest, progress):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=done, unit="slice", desc=dest.name, disable=not progress)


def _job(model, src, plan, normalization, blend, output, threshold, shape, dtype, policy):
    """Everything the destination depends on, as JSON-ready values (compared on resume)."""
    import hashlib
    import json

    digest = hashlib.sha256()
    for weight in model.get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    if normalization is None:
        norm = None
    elif hasattr(normalization, "to_dict"):
        norm = normalization.to_dict()
    else:
        norm = getattr(normalization, "__qualname__", None) or repr(normalization)
    job = {"segkit": "predict_volume 1", "source": src.identity,
           "model": {"name": model.name, "weights_sha256": digest.hexdigest()},
           "tile": plan["tile"], "overlap": plan["overlap"], "blend": blend,
           "normalization": norm, "precision": policy, "output": output,
           "threshold": threshold if output == "mask" else None,
           "shape": list(shape), "dtype": np.dtype(dtype).name}
    return json.loads(json.dumps(job))


# ----------------------------------------------------------------------------- sources
def _open_source(source):
    from pathlib import Path

    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"`source`: no such file or folder: {path}")
        if path.suffix.lower() in (".tif", ".tiff"):
            return _TiffSource(path)
        if path.is_dir():
            zarr = _import_zarr("read `source`")
            try:
                array = zarr.open_array(store=str(path), mode="r")
            except Exception as exc:
                raise ValueError(f"`source` ({path}) is not a zarr array (a zarr group? pass "
                                 f"the array, e.g. zarr.open(path)['volume']): {exc}") from None
            return _ArraySource(array, path=path)
        raise ValueError(f"`source` must be a .tif/.tiff file or a .zarr folder, got {path}")
    if all(hasattr(source, a) for a in ("shape", "dtype", "__getitem__")):
        return _ArraySource(source)
    raise TypeError(f"`source` must be a file name or an array-like with shape, dtype and "
                    f"indexing, got {describe(source)}")


def _import_zarr(purpose):
    try:
        import zarr
    except ImportError:
        raise ImportError(
            f"to {purpose} as zarr, install the optional package zarr: "
            "pip install 'segkit[zarr]' (or pip install zarr); TIFF needs nothing extra"
        ) from None
    return zarr


def _volume_shape(shape, dtype, name):
    """``(N, H, W)`` of a stack of `shape`, checked like `segkit.io.to_nhwc` checks arrays."""
    dummy = np.lib.stride_tricks.as_strided(np.zeros(1, dtype), shape=tuple(shape),
                                            strides=(0,) * len(shape))  # no memory
    if dummy.ndim not in (3, 4):
        raise ValueError(f"`{name}` must be a stack (N, H, W) or (N, H, W, 1), got shape "
                         f"{tuple(shape)}")
    n, h, w, _ = to_nhwc(dummy, name).shape
    return n, h, w


class _ArraySource:
    """Slices of an array-like (zarr, memmap, h5py) read one at a time."""

    def __init__(self, array, path=None):
        self.array, self.path = array, path
        self.dtype = np.dtype(array.dtype)
        self.shape = _volume_shape(array.shape, self.dtype, "source")
        # an array in memory cannot be fingerprinted cheaply: its shape and type must do
        self.identity = {"kind": "array" if path is None else "zarr",
                         "path": None if path is None else str(path.resolve()),
                         "shape": list(array.shape), "dtype": self.dtype.name}

    def read(self, k):
        s = np.asarray(self.array[k]).reshape(self.shape[1], self.shape[2], 1)
        return check_finite(check_numeric(s, "source"), f"source slice {k}")

    def close(self):
        pass


class _TiffSource:
    """Slices of a multipage TIFF: memory-mapped if the data are uncompressed and contiguous.

    Pages of a memory map that were read are handed back to the system after each slice
    (``madvise(MADV_DONTNEED)``), so the process's resident memory does not grow with the
    slices read. Otherwise pages are read one at a time (``tifffile``, its page cache off).
    """

    def __init__(self, path):
        import mmap

        import tifffile

        self.path = path
        try:
            self._tif = tifffile.TiffFile(path)
            series = self._tif.series[0]
            self.dtype = np.dtype(series.dtype)
            self.shape = _volume_shape(series.shape, self.dtype, f"source ({path.name})")
        except (ValueError, TypeError) as exc:
            if hasattr(self, "_tif"):
                self._tif.close()
            if "`source" in str(exc):
                raise
            raise ValueError(f"`source` ({path}) is not a readable TIFF stack: "
                             f"{type(exc).__name__}: {exc}") from exc
        n, h, w = self.shape
        st = path.stat()
        self.identity = {"kind": "tiff", "path": str(path.resolve()), "bytes": st.st_size,
                         "mtime_ns": st.st_mtime_ns, "shape": [n, h, w],
                         "dtype": self.dtype.name}
        self._mmap = self._volume = None
        offset = series.dataoffset
        if offset is not None and self.dtype.itemsize * n * h * w > 0:
            self._mmap = mmap.mmap(self._tif.filehandle.fileno(), 0, access=mmap.ACCESS_READ)
            self._volume = np.ndarray((n, h, w), self.dtype, buffer=self._mmap, offset=offset)
            self._offset, self._slice_bytes = offset, self.dtype.itemsize * h * w
        elif len(series.pages) == n:
            self._pages = series.pages
            if hasattr(self._tif.pages, "cache"):
                self._tif.pages.cache = False
        else:  # slices that are not pages (e.g. planar samples of one page): read it whole
            self._volume = series.asarray().reshape(n, h, w)

    def read(self, k):
        n, h, w = self.shape
        if self._volume is not None:
            s = np.array(self._volume[k])
            if self._mmap is not None:
                self._release(k)
        else:
            s = np.asarray(self._pages[k].asarray()).reshape(h, w)
        return check_finite(s.reshape(h, w, 1), f"source slice {k}")

    def _release(self, k):
        import mmap

        if not hasattr(self._mmap, "madvise") or not hasattr(mmap, "MADV_DONTNEED"):
            return
        page = mmap.PAGESIZE
        start = (self._offset + k * self._slice_bytes) // page * page
        stop = min(-(-(self._offset + (k + 1) * self._slice_bytes) // page) * page,
                   len(self._mmap))
        if stop > start:
            self._mmap.madvise(mmap.MADV_DONTNEED, start, stop - start)

    def close(self):
        self._volume = None
        if self._mmap is not None:
            self._mmap.close()
            self._mmap = None
        self._tif.close()


# ----------------------------------------------------------------------------- destinations
class _Work:
    """The hidden work folder of an unfinished `predict_volume` run.

    ``job.json`` (the settings), ``done`` (one byte per slice, 1 once the slice is written
    and flushed) and the data: ``data.npy`` for a TIFF destination (written at offsets with
    plain file writes, no memory map, so nothing accumulates in memory), or ``data.zarr``.
    A slice's mark is written only after its data, so an interruption at any point leaves
    at worst one slice to predict again.
    """

    def __init__(self, folder, shape, dtype, zarr_array=None):
        self.folder, self.shape, self.dtype = folder, shape, np.dtype(dtype)
        self.done = np.fromfile(folder / "done", dtype=np.uint8).astype(bool)
        self._done_file = open(folder / "done", "r+b")
        self._zarr = zarr_array
        self._data = None
        if zarr_array is None:
            header = np.load(folder / "data.npy", mmap_mode="r")
            self._data_offset = header.offset
            del header
            self._data = open(folder / "data.npy", "r+b")
        self._slice_bytes = self.dtype.itemsize * int(np.prod(shape[1:]))

    @classmethod
    def open(cls, dest, job, shape, dtype, *, resume):
        import json
        import shutil

        from .io import atomic_path

        folder = dest.parent / f".{dest.name}.partial"
        if folder.exists():
            try:
                saved = json.loads((folder / "job.json").read_text())
            except (OSError, ValueError):
                saved = None  # a folder whose creation was interrupted
            if saved is not None and saved != job and resume:
                differ = sorted(k for k in set(saved) | set(job) if saved.get(k) != job.get(k))
                raise ValueError(
                    f"an unfinished prediction into {dest.name} with other settings (they "
                    f"differ in: {', '.join(differ)}) is in {folder}; pass resume=False to "
                    "discard it and start again")
            if saved != job or not resume:
                shutil.rmtree(folder)
        zarr_array = None
        if not folder.exists():
            tmp = folder.with_name(folder.name + ".new")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            np.zeros(shape[0], np.uint8).tofile(tmp / "done")
            if dest.suffix.lower() == ".zarr":
                zarr = _import_zarr("write `destination`")
                z = zarr.open_array(store=str(tmp / "data.zarr"), mode="w", shape=shape,
                                    chunks=(1, *shape[1:]), dtype=dtype, fill_value=0)
                z.attrs["segkit"] = job
            else:
                np.lib.format.open_memmap(tmp / "data.npy", mode="w+", dtype=dtype,
                                          shape=shape).flush()
            with atomic_path(tmp / "job.json") as t:
                t.write_text(json.dumps(job, indent=1))
            os.replace(tmp, folder)  # the folder appears complete, or not at all
        if dest.suffix.lower() == ".zarr":
            zarr = _import_zarr("write `destination`")
            zarr_array = zarr.open_array(store=str(folder / "data.zarr"), mode="r+")
        return cls(folder, shape, dtype, zarr_array)

    def write(self, k, values):
        values = np.ascontiguousarray(values, dtype=self.dtype)
        if self._zarr is not None:
            self._zarr[k] = values
        else:
            self._data.seek(self._data_offset + k * self._slice_bytes)
            self._data.write(values.tobytes())
            self._data.flush()
            os.fsync(self._data.fileno())
        self._done_file.seek(k)
        self._done_file.write(b"\x01")
        self._done_file.flush()
        self.done[k] = True

    def read(self, k):
        with open(self.folder / "data.npy", "rb") as f:
            f.seek(self._data_offset + k * self._slice_bytes)
            return np.fromfile(f, self.dtype, int(np.prod(self.shape[1:]))).reshape(
                self.shape[1:])

    def close(self):
        self._done_file.close()
        if self._data is not None:
            self._data.close()

    def finish(self, dest):
        """Move the finished result onto `dest` (atomically), then remove the work folder."""
        import json
        import shutil

        from .io import atomic_path

        if not self.done.all():
            raise RuntimeError(f"{self.folder}: {int((~self.done).sum())} slice(s) missing")
        job = json.loads((self.folder / "job.json").read_text())
        if self._zarr is not None:
            trash = dest.with_name(f".{dest.name}.old")
            if dest.exists():
                shutil.rmtree(trash, ignore_errors=True)
                os.replace(dest, trash)
            os.replace(self.folder / "data.zarr", dest)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            import tifffile

            big = self._slice_bytes * self.shape[0] > 2 ** 32 - 2 ** 25
            with atomic_path(dest) as tmp, tifffile.TiffWriter(tmp, bigtiff=big) as tif:
                tif.write((self.read(k) for k in range(self.shape[0])), shape=self.shape,
                          dtype=self.dtype, photometric="minisblack",
                          metadata={"axes": "ZYX" if len(self.shape) == 3 else "ZYXC",
                                    "segkit": job})
        shutil.rmtree(self.folder)


def _finished_job(dest):
    """The settings a finished destination records (None if it records none)."""
    try:
        if dest.suffix.lower() == ".zarr":
            zarr = _import_zarr("read `destination`")
            return dict(zarr.open_array(store=str(dest), mode="r").attrs).get("segkit")
        import tifffile

        with tifffile.TiffFile(dest) as tif:
            meta = tif.shaped_metadata
            return meta[0].get("segkit") if meta else None
    except ImportError:
        raise
    except Exception:  # not ours, damaged, or a format we do not read: treat as foreign
        return None


def _overlap_pixels(overlap, tile):
    if isinstance(overlap, bool) or not isinstance(overlap, numbers.Real):
        raise TypeError(f"`overlap` must be pixels (int) or a fraction (float), got {overlap!r}")
    if isinstance(overlap, numbers.Integral):
        pixels = int(overlap)
    else:
        if not 0.0 <= overlap < 1.0:
            raise ValueError(f"`overlap` as a fraction of `tile` must be in [0, 1), got {overlap}")
        pixels = int(round(overlap * tile))
    if not 0 <= pixels < tile:
        raise ValueError(
            f"`overlap` ({pixels} pixels) must be >= 0 and smaller than `tile` ({tile})"
        )
    return pixels


def _check_model_tile(model, tile):
    from .models import check_input_size, size_divisor

    shape = tuple(model.input_shape)
    fixed = [s for s in shape[1:3] if s is not None]
    if any(s != tile for s in fixed):
        raise ValueError(
            f"`tile` ({tile}) must match the model's fixed input size {shape[1:3]}; build the "
            "model with input_shape=(None, None, 1) to predict with any tile size"
        )
    check_input_size((tile, tile), size_divisor(model), name="tile")


def _pad_slice(slice_, normalize, pad):
    s = slice_ if normalize is None else normalize(slice_)
    s = np.asarray(s, dtype=np.float32)
    mode = "reflect" if min(s.shape[:2]) > 1 else "edge"
    return np.pad(s, pad, mode=mode)


def _restore_layout(out, shape):
    """``(N, H, W, K)`` back to the layout of the input `shape`."""
    k = out.shape[-1]
    if len(shape) == 2:
        return out[0, ..., 0] if k == 1 else out[0]
    if len(shape) == 3:
        if shape[-1] == 1 and out.shape[0] == 1 and shape[:2] == out.shape[1:3]:
            return out[0]  # (H, W, 1) came in as one slice
        return out[..., 0] if k == 1 else out
    return out

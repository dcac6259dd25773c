"""Full-size prediction by overlapping tiles, blended into one seamless probability map.

Introduced in notebook 05. A network trained on 256 x 256 tiles predicts a 768 x 1024 slice
(or a whole stack) tile by tile: tiles overlap so that every pixel is predicted away from a
tile border at least once, the image is reflect-padded at its edges so that border pixels
get context too, and the overlapping predictions are averaged (uniformly, or with a smooth
window that trusts tile centres more). Use the *same* `segkit.io.Normalization` as in
training.
"""

import numbers

import numpy as np

from ._validate import as_array, check_finite, check_int, check_numeric, describe
from .io import to_nhwc

__all__ = ["predict_tiled", "tile_positions", "blend_window"]


def tile_positions(length, tile, stride):
    """Start offsets of tiles of size `tile` covering ``0..length`` with at most `stride` steps.

    The last tile is aligned to the end (``length - tile``) rather than running past it.

    Examples
    --------
    >>> tile_positions(1056, 256, 224)
    [0, 224, 448, 672, 800]
    >>> tile_positions(256, 256, 224)
    [0]
    """
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile + 1, stride))
    if starts[-1] != length - tile:
        starts.append(length - tile)
    return starts


def blend_window(tile, blend="average"):
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
                  blend="average"):
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
        How overlapping predictions are combined (see `blend_window`).

    Returns
    -------
    ndarray of float32 probabilities
        The input's layout: ``(H, W)``, ``(H, W, 1)``, ``(N, H, W)`` or ``(N, H, W, 1)``;
        with a K-class model the channel axis holds the K classes (``(H, W, K)``, ...).

    Raises
    ------
    ValueError
        A tile size the model cannot take, an overlap too large for the tile, integer images
        without `normalization`, NaN in the images.
    """
    tile = check_int(tile, "tile", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    overlap = _overlap_pixels(overlap, tile)
    window = blend_window(tile, blend)
    _check_model_tile(model, tile)

    raw = check_numeric(as_array(image, "image"), "image")
    x = to_nhwc(raw, "image")
    n, h, w, c = x.shape
    if normalization is None:
        if not np.issubdtype(x.dtype, np.floating):
            raise ValueError(
                f"`image` is {x.dtype}: pass the `normalization` used for training "
                "(segkit.io.Normalization) so that prediction sees the same intensities"
            )
        check_finite(x, "image")
        normalize = None
    else:
        if not callable(normalization):
            raise TypeError(
                f"`normalization` must be a segkit.io.Normalization (or a callable), "
                f"got {describe(normalization)}"
            )
        normalize = normalization

    margin = overlap // 2
    stride = tile - overlap
    hp, wp = max(h + 2 * margin, tile), max(w + 2 * margin, tile)
    ys, xs = tile_positions(hp, tile, stride), tile_positions(wp, tile, stride)
    pad = ((margin, hp - h - margin), (margin, wp - w - margin), (0, 0))

    weight_sum = np.zeros((hp, wp))
    for y0 in ys:
        for x0 in xs:
            weight_sum[y0:y0 + tile, x0:x0 + tile] += window
    positions = [(k, y0, x0) for k in range(n) for y0 in ys for x0 in xs]
    per_slice = len(ys) * len(xs)

    out, padded, acc = None, {}, {}
    for start in range(0, len(positions), batch_size):
        chunk = positions[start:start + batch_size]
        for k, _, _ in chunk:
            if k not in padded:
                padded[k] = _pad_slice(x[k], normalize, pad)
        batch = np.stack([padded[k][y0:y0 + tile, x0:x0 + tile] for k, y0, x0 in chunk])
        pred = np.asarray(model.predict_on_batch(batch), dtype=np.float32)
        if out is None:
            out = np.empty((n, h, w, pred.shape[-1]), np.float32)
        for (k, y0, x0), p in zip(chunk, pred):
            if k not in acc:
                acc[k] = [np.zeros((hp, wp, pred.shape[-1])), 0]
            acc[k][0][y0:y0 + tile, x0:x0 + tile] += p * window[..., None]
            acc[k][1] += 1
            if acc[k][1] == per_slice:  # slice complete: normalise, crop, free memory
                total = acc.pop(k)[0] / weight_sum[..., None]
                out[k] = total[margin:margin + h, margin:margin + w]
                del padded[k]
    return _restore_layout(out, raw.shape)


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

"""Label your own image in the notebook: click points, live weak labels, a brush.

Introduced in notebook 10 ("your own images"); notebook 03 uses it for its clicks. An
`Annotator` holds the state of an annotation session on an image or a stack:

- click points ``(z, row, col)``, added and removed with the mouse (or `Annotator.click`),
  with undo; saved and loaded in the CSV format that `segkit.weak.read_points` reads;
- the weak labels that `segkit.weak` grows from those points, recomputed for the shown
  slice a moment after the last click (debounced) and drawn over the image;
- brush corrections (paint, erase) that override the weak labels, so that the mask
  ``Annotator.mask`` is saved as a TIFF that `segkit.io.read_mask` reads.

Everything except drawing lives in plain Python and works without a browser: a notebook
run headless (CI, papermill) builds the annotator from a CSV file (`Annotator.from_csv`)
or from simulated clicks (`Annotator.from_clicks`) and runs top to bottom. Displaying the
annotator in a notebook shows the interactive panel (ipycanvas; `docs/annotation.md` says
why that library and what Colab needs).
"""

import asyncio
import inspect
import math
import time
import warnings
from pathlib import Path

import numpy as np

from .. import weak
from .._validate import (as_array, as_stack, check_choice, check_finite, check_int,
                         check_numeric, check_real, describe)
from ..io import Normalization, atomic_path, to_nhwc, write_stack

__all__ = ["Annotator"]

# ----------------------------------------------------------------------------- weak labels
# Each method: the sliders shown for it, as name -> (minimum, maximum, step); the starting
# values are the filler's own defaults (flood, EM recipes) or the value given here.
# Intensity parameters (threshold, offset) are fractions of the image's intensity range, as
# everywhere in segkit.weak, so the sliders mean the same for 8-bit, 16-bit and float images.
_SLIDERS = {
    "flood": {"sigma": (0.0, 5.0, 0.5), "closing_radius": (0, 6, 1)},
    "region": {"threshold": (0.005, 0.4, 0.005), "sigma": (0.0, 8.0, 0.5)},
    "em-flood": {"offset": (0.0, 0.08, 0.002), "block_size": (11, 101, 2),
                 "sigma": (0.0, 5.0, 0.5), "closing_radius": (0, 6, 1)},
    "em-region": {"threshold": (0.005, 0.2, 0.005), "sigma": (0.0, 8.0, 0.5)},
}
# `region_grow` has no default threshold; 8 % of the range is a starting point for the slider
_REGION_START = {"threshold": 0.08}
METHODS = tuple(_SLIDERS)


def _filler_defaults(method):
    """Keyword parameters of the filler behind `method`, with their defaults."""
    if method in ("em-flood", "em-region"):
        return dict(weak.EM_RECIPE[method[3:]])
    func = weak.flood_fill_labels if method == "flood" else weak.region_grow
    params = {name: p.default for name, p in inspect.signature(func).parameters.items()
              if p.kind is inspect.Parameter.KEYWORD_ONLY}
    if method == "region":
        params.update(_REGION_START)
    return params


def _fill(method, image, rc, params):
    """Weak labels of one slice `image` (H, W) from points `rc` (K, 2): labels, notes.

    The filler's `UserWarning` messages (a click on a border, a leak) are returned, not
    raised, so that the panel can show them; other warnings pass through.
    """
    if len(rc) == 0:
        return np.zeros(image.shape, np.int32), []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method == "flood":
            labels = weak.flood_fill_labels(image, rc, **params)
        elif method == "region":
            labels = weak.region_grow(image, rc, **params)
        else:
            labels = weak.em_weak_labels(image, rc, method=method[3:], **params)
    notes = []
    for w in caught:
        if issubclass(w.category, UserWarning):  # segkit.weak gathers a call's into one
            notes += list(getattr(w.message, "notes", [str(w.message)]))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return labels, notes


# ----------------------------------------------------------------------------- points
class _Points:
    """Click points ``(z, row, col)`` with add, remove, hit test and undo.

    Examples
    --------
    >>> pts = _Points()
    >>> pts.toggle(0, 10, 10, radius=3), pts.toggle(0, 11, 12, radius=3)
    (('added', 0), ('removed', 0))
    >>> pts.undo(); pts.array.tolist()
    True
    [[0, 10, 10]]
    """

    def __init__(self, points=None):
        self._pts = [] if points is None else [tuple(int(v) for v in p) for p in points]
        self._history = []

    def __len__(self):
        return len(self._pts)

    @property
    def array(self):
        """The points as a (K, 3) int64 array of (z, row, col), in click order."""
        return np.asarray(self._pts, np.int64).reshape(-1, 3)

    def add(self, z, row, col):
        """Append a point; returns its index."""
        self._pts.append((int(z), int(row), int(col)))
        self._history.append(("add", len(self._pts) - 1, self._pts[-1]))
        return len(self._pts) - 1

    def remove(self, index):
        """Remove point `index`; returns it."""
        point = self._pts.pop(index)
        self._history.append(("remove", index, point))
        return point

    def replace(self, points):
        """Replace all points at once (one undo step)."""
        self._history.append(("replace", None, list(self._pts)))
        self._pts = [tuple(int(v) for v in p) for p in points]

    def hit(self, z, row, col, radius):
        """Index of the point on slice `z` nearest to (row, col) within `radius` pixels.

        Distances are between pixel centres, in image pixels; on a tie the later point
        wins (it is drawn on top). None when no point is that close.
        """
        best, best_d = None, None
        for i, (pz, pr, pc) in enumerate(self._pts):
            if pz != z:
                continue
            d = math.hypot(pr - row, pc - col)
            if d <= radius and (best_d is None or d <= best_d):
                best, best_d = i, d
        return best

    def toggle(self, z, row, col, *, radius):
        """A click: remove the point hit within `radius`, else add one at (z, row, col).

        Returns ``("removed", index)`` or ``("added", index)``.
        """
        i = self.hit(z, row, col, radius)
        if i is not None:
            self.remove(i)
            return "removed", i
        return "added", self.add(z, row, col)

    def on_slice(self, z):
        """Indices (into the point list) and (row, col) of the points on slice `z`."""
        arr = self.array
        idx = np.flatnonzero(arr[:, 0] == z)
        return idx, arr[idx, 1:]

    def undo(self):
        """Undo the last add, remove or replace; False when there is nothing to undo."""
        if not self._history:
            return False
        kind, index, point = self._history.pop()
        if kind == "add":
            del self._pts[index]
        elif kind == "remove":
            self._pts.insert(index, point)
        else:
            self._pts = point
        return True


# ----------------------------------------------------------------------------- view
class _View:
    """Zoom and pan: maps screen coordinates of the panel to image coordinates and back.

    Coordinates are continuous: screen pixel ``x`` covers ``[x, x + 1)`` and image pixel
    ``col`` covers ``[col, col + 1)``, so the centre of image pixel (r, c) is
    ``(r + 0.5, c + 0.5)``. ``col = c0 + x / scale`` where ``scale`` is screen pixels per
    image pixel and ``(r0, c0)`` is the image point at the panel's top-left corner.

    The panel is the image scaled to fit `box` (height, width); when it is enlarged, the
    scale is rounded down to a whole number so that every image pixel is as large as the
    next. Zoom is limited to [fit, 32 x fit]; the view never leaves the image, and is
    centred on it when it shows more than the image.

    Examples
    --------
    >>> v = _View((100, 200), box=(100, 200))
    >>> v.size, v.scale
    ((100, 200), 1.0)
    >>> v.zoom(2, at=(50, 100)); v.pixel(0, 0)
    (25, 50)
    """

    def __init__(self, shape, box):
        self.shape = (int(shape[0]), int(shape[1]))
        h, w = self.shape
        fit = min(box[0] / h, box[1] / w)
        if fit > 1:
            fit = float(math.floor(fit))
        self.fit = fit
        self.size = (max(1, round(h * fit)), max(1, round(w * fit)))
        self.max_scale = 32 * fit
        self.reset()

    def reset(self):
        """Show the whole image."""
        self.scale = self.fit
        self.origin = (0.0, 0.0)
        self._clamp()

    def to_image(self, y, x):
        """Continuous image coordinates (row, col) of screen point (y, x)."""
        return self.origin[0] + y / self.scale, self.origin[1] + x / self.scale

    def to_screen(self, row, col):
        """Continuous screen coordinates (y, x) of image point (row, col)."""
        return (row - self.origin[0]) * self.scale, (col - self.origin[1]) * self.scale

    def pixel(self, y, x):
        """The image pixel (row, col) under screen point (y, x), or None outside the image."""
        r, c = self.to_image(y, x)
        r, c = math.floor(r), math.floor(c)
        if 0 <= r < self.shape[0] and 0 <= c < self.shape[1]:
            return r, c
        return None

    def zoom(self, factor, *, at=None):
        """Multiply the scale by `factor`, keeping the image point under `at` (y, x) fixed.

        `at` defaults to the centre of the panel.
        """
        y, x = (self.size[0] / 2, self.size[1] / 2) if at is None else at
        r, c = self.to_image(y, x)
        self.scale = min(max(self.scale * factor, self.fit), self.max_scale)
        self.origin = (r - y / self.scale, c - x / self.scale)
        self._clamp()

    def pan(self, dy, dx):
        """Move the image by (dy, dx) screen pixels (a drag)."""
        self.origin = (self.origin[0] - dy / self.scale, self.origin[1] - dx / self.scale)
        self._clamp()

    def _clamp(self):
        origin = []
        for o, n, s in zip(self.origin, self.shape, self.size):
            extent = s / self.scale
            origin.append((n - extent) / 2 if extent >= n else min(max(o, 0.0), n - extent))
        self.origin = tuple(origin)

    def grid(self):
        """Image row of each screen row and column of each screen column (-1 outside)."""
        out = []
        for o, n, s in zip(self.origin, self.shape, self.size):
            idx = np.floor(o + (np.arange(s) + 0.5) / self.scale).astype(np.int64)
            idx[(idx < 0) | (idx >= n)] = -1
            out.append(idx)
        return out[0], out[1]


# ----------------------------------------------------------------------------- brush
def _stroke_centres(start, end, radius):
    """Disk centres along the segment `start` -> `end` (image coordinates), spaced at most
    half a radius apart so that a fast stroke leaves no gaps."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    n = max(1, math.ceil(float(np.hypot(*(end - start))) / max(radius / 2, 0.5)))
    t = np.linspace(0.0, 1.0, n + 1)[:, None]
    return start + t * (end - start)


def _paint(layer, centres, radius, value):
    """Set the pixels of `layer` within `radius` of each centre to `value`.

    Centres are continuous image coordinates (pixel (r, c) covers [r, r + 1) x [c, c + 1));
    the disk is `skimage.draw.disk`, clipped to the layer. Returns the flat indices and old
    values of the changed pixels, in order, for undo.
    """
    from skimage.draw import disk

    idx, old = [], []
    for r, c in np.asarray(centres, float).reshape(-1, 2):
        rr, cc = disk((r - 0.5, c - 0.5), radius, shape=layer.shape)
        flat = np.ravel_multi_index((rr, cc), layer.shape)
        flat = flat[layer.flat[flat] != value]
        if flat.size:
            idx.append(flat)
            old.append(layer.flat[flat].copy())
            layer.flat[flat] = value
    if not idx:
        return np.zeros(0, np.int64), np.zeros(0, layer.dtype)
    return np.concatenate(idx), np.concatenate(old)


# ----------------------------------------------------------------------------- debouncing
class _Debouncer:
    """Call `func` once, `wait` seconds after the last of a burst of calls, with its arguments.

    Scheduling uses the running asyncio loop (a Jupyter kernel runs one, and widget events
    are handled in it), so the call happens between events, in the kernel's thread. Without
    a running loop, or with ``wait == 0``, each call runs at once. `schedule` replaces the
    loop's ``call_later`` (tests).
    """

    def __init__(self, func, wait, *, schedule=None):
        self.func = func
        self.wait = float(wait)
        self._schedule = schedule
        self._handle = None
        self._args = None

    @property
    def pending(self):
        return self._handle is not None

    def __call__(self, *args, **kwargs):
        self.cancel()
        self._args = (args, kwargs)
        schedule = self._schedule
        if schedule is None and self.wait > 0:
            try:
                schedule = asyncio.get_running_loop().call_later
            except RuntimeError:
                schedule = None
        if schedule is None or self.wait <= 0:
            return self._fire()
        self._handle = schedule(self.wait, self._fire)
        return None

    def cancel(self):
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def flush(self):
        """Run the pending call now, if there is one."""
        if self._handle is not None:
            self.cancel()
            return self._fire()
        return None

    def _fire(self):
        self._handle = None
        args, kwargs = self._args
        return self.func(*args, **kwargs)


# ----------------------------------------------------------------------------- drawing
# label colours (label i uses entry (i - 1) % 10), brush paint, points
_PALETTE = np.array([[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40],
                     [148, 103, 189], [140, 86, 75], [227, 119, 194], [188, 189, 34],
                     [23, 190, 207], [127, 127, 127]], np.uint8)
_PAINT = np.array([0, 230, 230], np.uint8)
_POINT_COLOUR, _POINT_EDGE = "#ffd400", "#000000"


def _grey_u8(image):
    """A slice as uint8 for display, stretched between its 0.5 and 99.5 percentiles."""
    try:
        norm = Normalization.fit(image, percentiles=(0.5, 99.5))
    except ValueError:  # constant slice
        return np.full(image.shape, 128, np.uint8)
    return (np.clip(norm(image), 0, 1) * 255).round().astype(np.uint8)


def _render_base(grey, view):
    """The visible part of `grey` at screen resolution (nearest neighbour), (dh, dw) uint8."""
    rows, cols = view.grid()
    out = grey[np.maximum(rows, 0)][:, np.maximum(cols, 0)]
    out[rows < 0] = 0
    out[:, cols < 0] = 0
    return out


def _render_overlay(labels, paint, view, *, alpha=0.35):
    """RGBA (dh, dw, 4) uint8 of the corrected mask: weak-label regions in their colours,
    painted pixels in cyan, erased pixels and background transparent, region edges opaque."""
    rows, cols = view.grid()
    r, c = np.maximum(rows, 0), np.maximum(cols, 0)
    lab = labels[r][:, c]
    pnt = paint[r][:, c]
    n = int(lab.max()) if lab.size else 0
    # one index per screen pixel: 0 nothing, 1..n a region, n + 1 painted by the brush
    key = np.where(pnt > 0, n + 1, lab)
    key[pnt < 0] = 0
    key[rows < 0] = 0
    key[:, cols < 0] = 0
    lut = np.zeros((n + 2, 4), np.uint8)
    lut[1:n + 1, :3] = _PALETTE[np.arange(n) % len(_PALETTE)]
    lut[n + 1, :3] = _PAINT
    lut[1:, 3] = round(alpha * 255)
    rgba = lut[key]
    edge = np.zeros(key.shape, bool)
    edge[1:] = key[1:] != key[:-1]
    edge[:-1] |= edge[1:]
    step = key[:, 1:] != key[:, :-1]
    edge[:, 1:] |= step
    edge[:, :-1] |= step
    rgba[..., 3][edge & (key > 0)] = 255
    return rgba


# ----------------------------------------------------------------------------- validation
def _as_points(points, shape, single, name="points"):
    """Points as a (K, 3) int64 array of (z, row, col) inside a stack of `shape` (N, H, W)."""
    arr = check_finite(check_numeric(as_array(points, name), name), name)
    if arr.size == 0:
        return np.zeros((0, 3), np.int64)
    if arr.ndim == 1 and arr.size in (2, 3):
        arr = arr[None]
    want = "(K, 2) (row, col) or (K, 3) (z, row, col)" if single else "(K, 3) (z, row, col)"
    if arr.ndim != 2 or arr.shape[1] not in ((2, 3) if single else (3,)):
        raise ValueError(f"`{name}` must be {want} for an image of shape "
                         f"{shape[1:] if single else shape}, got {describe(arr)}")
    if not np.issubdtype(arr.dtype, np.integer) and (arr != np.round(arr)).any():
        i = int(np.argwhere((arr != np.round(arr)).any(axis=1))[0, 0])
        raise ValueError(f"`{name}` must hold whole pixel coordinates; point {i} is "
                         f"{arr[i].tolist()}")
    pts = arr.astype(np.int64)
    if pts.shape[1] == 2:
        pts = np.column_stack([np.zeros(len(pts), np.int64), pts])
    bad = ((pts < 0) | (pts >= np.asarray(shape))).any(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"point {i} {tuple(arr[i].tolist())} of `{name}` is outside the "
                         f"image of shape {shape[1:] if single else shape}")
    return pts


# ----------------------------------------------------------------------------- annotator
class Annotator:
    """Click points, see weak labels grow from them, correct the mask with a brush.

    Display it in a notebook (make it the last expression of a cell) for the interactive
    panel; every action of the panel is also a method, so the same session runs headless.

    In the panel: in *point* mode a click adds a point, a click on a point removes it;
    *brush* and *erase* paint the mask with the brush size of the slider; *pan* drags the
    view; the mouse wheel and the + / - buttons zoom, *fit* shows the whole image; *undo*
    takes back the last point or stroke. A moment after the last click (`delay` seconds)
    the weak labels of the shown slice are recomputed and drawn; their parameters are on
    sliders. The status line says how long the last recomputation took and what the
    filler warned about (a click on a border, a leak).

    Parameters
    ----------
    image : (M, N), (K, M, N) or (K, M, N, 1) ndarray
        A grey image or stack (uint8, uint16 or float). Colour images are refused: convert
        them first (`skimage.color.rgb2gray`).
    points : array_like, optional
        Starting points: ``(P, 3)`` ``(z, row, col)``, or ``(P, 2)`` ``(row, col)`` for a
        single image.
    method : {"flood", "region", "em-flood", "em-region"} or None
        How weak labels grow from the points: `segkit.weak.flood_fill_labels`,
        `segkit.weak.region_grow`, or notebook 03's EM recipes (`segkit.weak.em_weak_labels`
        with ``method="flood"`` or ``"region"``). None: no weak labels, the mask is what the
        brush paints.
    params : dict, optional
        Parameters of the filler, overriding its defaults (``EM_RECIPE`` for the EM
        methods; ``threshold=0.08`` (of the intensity range) to start region growing). Those
        with a slider start there.
    delay : float
        Seconds after the last click before the weak labels are recomputed (debouncing).
    box : (int, int)
        Largest size (height, width) of the image panel in screen pixels.
    hit_radius : float
        A click within this many screen pixels of a point removes it.
    brush_radius : int
        Radius of the brush in image pixels.

    Attributes
    ----------
    points : (P, 3) int64 ndarray
        The clicks, ``(z, row, col)``, in click order.
    labels : int32 ndarray shaped like `image`
        Weak labels: ``i + 1`` on the region of ``points[i]``.
    mask : uint8 ndarray shaped like `image`
        The weak labels' foreground with the brush corrections applied, {0, 1}.
    timings : dict
        Seconds taken by the last weak-label computation (``"labels"``) and the last
        redraw (``"draw"``).

    Examples
    --------
    Two cells split by a dark wall, one click in each:

    >>> img = np.full((40, 60), 200, np.uint8); img[:, 30] = 10
    >>> ann = Annotator(img, method="flood", params={"closing_radius": 0})
    >>> ann.click(10, 10), ann.click(10, 45)
    ('added', 'added')
    >>> ann.points.tolist()
    [[0, 10, 10], [0, 10, 45]]
    >>> [int(n) for n in np.bincount(ann.labels.ravel())]
    [40, 1200, 1160]
    >>> ann.click(10, 10)  # on a point: removes it
    'removed'
    >>> ann.undo(); len(ann.points)
    True
    2
    >>> ann.paint([(5, 35), (5, 50)], erase=True)  # a stroke of the eraser
    >>> int(ann.mask.sum())
    2156
    """

    def __init__(self, image, *, points=None, method="flood", params=None, delay=0.2,
                 box=(576, 768), hit_radius=8.0, brush_radius=5):
        arr = as_array(image, "image")
        stack, _ = as_stack(to_nhwc(arr, "image")[..., 0], "image")
        self._single = arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] == 1)
        self._stack = stack
        if method is not None:
            check_choice(method, "method", METHODS)
        self.method = method
        self.params = self._check_params(method, params)
        self._params_version = 0
        self.delay = check_real(delay, "delay", low=0)
        if (not isinstance(box, (tuple, list)) or len(box) != 2
                or not all(isinstance(b, int) and b >= 32 for b in box)):
            raise ValueError(f"`box` must be (height, width) in screen pixels, each an "
                             f"integer >= 32, got {box!r}")
        self.hit_radius = check_real(hit_radius, "hit_radius", low=0)
        self.brush_radius = check_int(brush_radius, "brush_radius", minimum=1)
        start = None if points is None else _as_points(points, stack.shape, self._single)
        self._points = _Points(start)
        self._view = _View(stack.shape[1:], box)
        self._z = int(start[0, 0]) if start is not None and len(start) else 0
        self._paint = {}        # z -> int8 (H, W): +1 painted, -1 erased, 0 untouched
        self._history = []      # "points" or ("stroke", z, flat indices, old values)
        self._cache = {}        # z -> (key, labels, notes, seconds)
        self._grey = {}         # z -> uint8 display slice
        self.timings = {"labels": None, "draw": None}
        self._widget = None
        self._ui = None
        self._stroke = None
        self._drag = None
        self._pointer = None
        self._labels_version = 0
        self._warned = None     # the state whose filler warnings were last reported
        self._last_draw = 0.0
        self._message = ""

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_csv(cls, image, csv_path, **kwargs):
        """An annotator whose points come from a CSV file (`segkit.weak.read_points`).

        For headless runs (CI, papermill) and for resuming a session saved with
        `save_points`. A file of ``row,col`` lines suits a single image; a stack needs
        ``z,row,col``. Keyword arguments go to `Annotator`.
        """
        path = Path(csv_path)
        pts = weak.read_points(path)
        ann = cls(image, **kwargs)
        ann._points = _Points(_as_points(pts, ann._stack.shape, ann._single,
                                         f"points in {path.name}"))
        if len(ann._points):
            ann._z = int(ann._points.array[0, 0])
        return ann

    @classmethod
    def from_clicks(cls, image, labels, *, jitter=0, miss_rate=0, rng=None, **kwargs):
        """An annotator whose points are simulated clicks on known objects.

        One click deep inside each object of `labels` (`segkit.weak.click_points`, with
        its `jitter`, `miss_rate` and `rng`), for headless runs on data with ground truth.
        Keyword arguments go to `Annotator`.

        Examples
        --------
        >>> lab = np.zeros((20, 30), np.int32); lab[2:9, 2:9] = 1; lab[10:18, 12:25] = 2
        >>> Annotator.from_clicks(lab > 0, lab, method=None).points.tolist()
        [[0, 5, 5], [0, 13, 15]]
        """
        ann = cls(image, **kwargs)
        lab = as_array(labels, "labels")
        if lab.ndim == 2 and not ann._single:
            raise ValueError(f"`labels` ({describe(lab)}) must be a stack like `image` "
                             f"(shape {ann._stack.shape})")
        pts = weak.click_points(labels, jitter=jitter, miss_rate=miss_rate, rng=rng)
        ann._points = _Points(_as_points(pts, ann._stack.shape, ann._single, "labels"))
        if len(ann._points):
            ann._z = int(ann._points.array[0, 0])
        return ann

    @staticmethod
    def _check_params(method, params):
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise TypeError(f"`params` must be a dict of the filler's parameters, "
                            f"got {describe(params)}")
        if method is None:
            if params:
                raise ValueError(f"`params` {sorted(params)} given but `method` is None")
            return {}
        defaults = _filler_defaults(method)
        unknown = set(params) - set(defaults)
        if unknown:
            raise TypeError(f"unknown parameter(s) {sorted(unknown)} for method={method!r}; "
                            f"expected some of {sorted(defaults)}")
        for name, value in params.items():
            if isinstance(value, np.ndarray):
                raise TypeError(
                    f"`params[{name!r}]` must be a number (or None), not an array: the "
                    "annotator computes one slice at a time; for a per-pixel threshold use "
                    "method='em-flood', which computes a local threshold on each slice")
        return {**defaults, **params}

    # ------------------------------------------------------------------ state
    def __repr__(self):
        n, h, w = self._stack.shape
        what = f"{h} x {w} image" if self._single else f"stack of {n} slices of {h} x {w}"
        return (f"Annotator({what}, {len(self._points)} points, method={self.method!r}, "
                f"slice {self._z})")

    @property
    def points(self):
        """The clicks as a (P, 3) int64 array of (z, row, col), in click order (a copy)."""
        return self._points.array

    @property
    def z(self):
        """The slice shown and clicked on."""
        return self._z

    @z.setter
    def z(self, value):
        z = check_int(value, "z", minimum=0)
        if z >= self._stack.shape[0]:
            raise ValueError(f"`z` must be < {self._stack.shape[0]} (slices), got {z}")
        self._z = z
        if self._ui is not None:
            if self._ui["slice"] is not None and self._ui["slice"].value != z:
                self._ui["slice"].value = z
            self._update_labels(everything=True)

    def _layer(self, z, create=False):
        layer = self._paint.get(z)
        if layer is None and create:
            layer = self._paint[z] = np.zeros(self._stack.shape[1:], np.int8)
        return layer

    def _slice_labels(self, z):
        """Weak labels of slice `z`, numbered 1.. in the order of that slice's points, with
        the filler's warnings, the seconds it took and the number of regions it grew."""
        idx, rc = self._points.on_slice(z)
        if self.method is None or len(rc) == 0:
            return np.zeros(self._stack.shape[1:], np.int32), [], 0.0, 0
        key = (self._params_version, rc.tobytes())
        hit = self._cache.get(z)
        if hit is not None and hit[0] == key:
            return hit[1:]
        t0 = time.perf_counter()
        labels, notes = _fill(self.method, self._stack[z], rc, self.params)
        seconds = self.timings["labels"] = time.perf_counter() - t0
        regions = int(np.count_nonzero(np.bincount(labels.ravel())[1:]))
        self._cache[z] = (key, labels, notes, seconds, regions)
        if len(self._cache) > 8:  # keep the memory of a few slices only
            self._cache.pop(next(k for k in self._cache if k != z))
        return labels, notes, seconds, regions

    def _slices(self):
        """Slices that have points or brush corrections."""
        with_points = set(self._points.array[:, 0].tolist())
        painted = {z for z, layer in self._paint.items() if layer.any()}
        return sorted(with_points | painted)

    def _gather(self, what):
        n = self._stack.shape[0]
        out = np.zeros(self._stack.shape, np.int32 if what == "labels" else np.uint8)
        notes = []
        for z in self._slices():
            lab, slice_notes, _, _ = self._slice_labels(z)
            notes += [(z, m) for m in slice_notes]
            if what == "labels":
                idx, _ = self._points.on_slice(z)
                lut = np.zeros(len(idx) + 1, np.int32)
                lut[1:] = idx + 1
                out[z] = lut[lab]
            else:
                m = lab > 0
                layer = self._layer(z)
                if layer is not None:
                    m = (m | (layer > 0)) & (layer >= 0)
                out[z] = m
        state = (self._params_version, self._points.array.tobytes())
        if notes and state != self._warned:  # once per set of points and parameters
            self._warned = state
            first_z, first = notes[0]
            where = "" if self._single or n == 1 else f" (slice {first_z}; point numbers " \
                                                      "count that slice's points)"
            warnings.warn(f"weak labels: {len(notes)} warning(s) from {self.method!r}, "
                          f"e.g.{where} {first}", UserWarning, stacklevel=3)
        return out[0] if self._single else out

    @property
    def labels(self):
        """Weak labels shaped like the image: ``i + 1`` on the region of ``points[i]``.

        A `UserWarning` summarises what the filler warned about (clicks that gave no
        region), once for a given set of points and parameters (reading `labels`, `mask`
        or `known` again does not repeat it); the panel shows the same in its status line.
        """
        return self._gather("labels")

    @property
    def mask(self):
        """The mask shaped like the image, uint8 {0, 1}: weak labels corrected by the brush."""
        return self._gather("mask")

    def known(self, *, ring=3, margin=0):
        """Where the annotation says what a pixel is: uint8 {0, 1} shaped like the image.

        Introduced in notebook 10. A few clicks label a few objects; every other pixel of
        the mask is 0 only because nobody clicked there, and a network trained on the whole
        mask would learn that unclicked objects are background. The known pixels are

        - the foreground of `mask` (weak labels and brush);
        - a band around that foreground, taken as background (the membrane around a cell,
          the cytoplasm around a mitochondrion): the pixels more than `margin` and at most
          `ring` pixels away from it. The first `margin` pixels stay unknown: a weak region
          often stops a pixel or two short of its object's edge. Choose `ring` smaller than
          the gap between neighbouring objects;
        - every pixel painted with the eraser.

        Use it as the per-pixel weight of the loss (``loss="weighted_bce"`` with the target
        ``np.stack([ann.mask, ann.known()], axis=-1)``), so that training counts only
        what was annotated. Slices without points or strokes are all unknown.

        Parameters
        ----------
        ring : int
            Outer edge of the background band, in pixels from the foreground; 0 for none.
        margin : int
            Pixels next to the foreground left unknown, less than `ring`.

        Examples
        --------
        >>> img = np.full((40, 60), 200, np.uint8); img[:, 30] = 10
        >>> ann = Annotator(img, points=[(10, 10)], method="flood",
        ...                 params={"closing_radius": 0, "gap_closing": "dilation"})
        >>> int(ann.mask.sum()), int(ann.known(ring=2).sum()), int(ann.known(ring=0).sum())
        (1200, 1280, 1200)
        >>> int(ann.known(ring=2, margin=1).sum())  # the band's first column left unknown
        1240
        """
        from scipy import ndimage as ndi

        ring = check_int(ring, "ring", minimum=0)
        margin = check_int(margin, "margin", minimum=0)
        if ring and margin >= ring:
            raise ValueError(f"`margin` ({margin}) must be less than `ring` ({ring}): the band "
                             "runs from margin + 1 to ring pixels away from the mask")
        mask = self.mask.astype(bool)
        out = mask.copy()
        stack_mask = mask[None] if self._single else mask
        stack_out = out[None] if self._single else out
        for z in self._slices():
            m = stack_mask[z]
            if ring and m.any():
                band = ndi.binary_dilation(m, iterations=ring)
                if margin:
                    band &= ~ndi.binary_dilation(m, iterations=margin)
                stack_out[z] |= band
            layer = self._layer(z)
            if layer is not None:
                stack_out[z] |= layer != 0
        return out.astype(np.uint8)

    # ------------------------------------------------------------------ actions
    def _check_pixel(self, row, col, z):
        z = self._z if z is None else check_int(z, "z", minimum=0)
        n, h, w = self._stack.shape
        for value, name, size in ((z, "z", n), (row, "row", h), (col, "col", w)):
            check_real(value, name)
            if not 0 <= value < size:
                raise ValueError(f"`{name}` must be in [0, {size}) for an image of shape "
                                 f"{self._stack.shape[1:] if self._single else self._stack.shape}"
                                 f", got {value}")
        return z

    def click(self, row, col, *, z=None):
        """A click at pixel (row, col) of slice `z` (default: the shown slice).

        Removes the point within `hit_radius` screen pixels (at the current zoom), else
        adds one. Returns ``"added"`` or ``"removed"``.
        """
        z = self._check_pixel(row, col, z)
        what, _ = self._points.toggle(z, int(row), int(col),
                                      radius=self.hit_radius / self._view.scale)
        self._history.append("points")
        self._after_points()
        return what

    def paint(self, path, *, erase=False, radius=None, z=None):
        """A brush stroke along `path`, a sequence of (row, col) image coordinates.

        Paints foreground (or, with `erase`, background) in a disk of `radius` image pixels
        (default `brush_radius`) around every point of the path and along the segments
        between them. One undo step.
        """
        pts = check_finite(check_numeric(as_array(path, "path"), "path"), "path")
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
            raise ValueError(f"`path` must be (K, 2) (row, col) with K >= 1, got {describe(pts)}")
        radius = self.brush_radius if radius is None else check_int(radius, "radius", minimum=1)
        z = self._check_pixel(0, 0, z)
        self._begin_stroke(z, -1 if erase else 1, radius)
        # pixel coordinates to the continuous coordinates of their centres
        self._extend_stroke(pts[0] + 0.5)
        for p in pts[1:]:
            self._extend_stroke(p + 0.5)
        self._end_stroke()

    def undo(self):
        """Take back the last click or brush stroke; False when there is nothing to undo."""
        if not self._history:
            return False
        last = self._history.pop()
        if last == "points":
            self._points.undo()
            self._after_points()
        else:
            _, z, idx, old = last
            layer = self._layer(z, create=True)
            layer.flat[idx[::-1]] = old[::-1]
            self._after_paint()
        return True

    def set_params(self, **params):
        """Change parameters of the weak-label method (the sliders call this)."""
        self.params = self._check_params(self.method, {**self.params, **params})
        self._params_version += 1
        self._after_points()

    # ------------------------------------------------------------------ files
    def save_points(self, path):
        """Write the points as CSV (atomically): ``row,col`` lines for a single image,
        ``z,row,col`` for a stack, under a header; `segkit.weak.read_points` reads it."""
        pts = self.points
        if len(pts) == 0:
            raise ValueError("no points to save: click some first")
        header, rows = ("row,col", pts[:, 1:]) if self._single else ("z,row,col", pts)
        text = header + "\n" + "".join(",".join(str(int(v)) for v in r) + "\n" for r in rows)
        path = Path(path)
        with atomic_path(path) as tmp:
            tmp.write_text(text)
        return path

    def load_points(self, points):
        """Replace the points by those of a CSV file (`segkit.weak.read_points`) or of an
        array (``(P, 3)`` ``(z, row, col)``, or ``(P, 2)`` for a single image, e.g. from
        `segkit.weak.click_points`); undoable."""
        if isinstance(points, str) or hasattr(points, "__fspath__"):
            path = Path(points)
            pts = _as_points(weak.read_points(path), self._stack.shape, self._single,
                             f"points in {path.name}")
        else:
            pts = _as_points(points, self._stack.shape, self._single, "points")
        self._points.replace(pts)
        self._history.append("points")
        self._after_points()
        return self.points

    def save_mask(self, path):
        """Write `mask` as a TIFF (uint8 {0, 255}, atomically) that `segkit.io.read_mask`
        reads; a single image becomes one page."""
        return write_stack(path, self.mask, mask=True)

    # ------------------------------------------------------------------ brush internals
    def _begin_stroke(self, z, value, radius):
        self._stroke = {"z": z, "value": value, "radius": radius, "last": None,
                        "idx": [], "old": []}

    def _extend_stroke(self, point):
        """Paint up to `point` (continuous image coordinates); returns the centres painted."""
        s = self._stroke
        last = point if s["last"] is None else s["last"]
        centres = _stroke_centres(last, point, s["radius"])
        idx, old = _paint(self._layer(s["z"], create=True), centres, s["radius"], s["value"])
        s["idx"].append(idx)
        s["old"].append(old)
        s["last"] = np.asarray(point, float)
        return centres

    def _end_stroke(self):
        s, self._stroke = self._stroke, None
        if s is None:
            return
        idx, old = np.concatenate(s["idx"]), np.concatenate(s["old"])
        if idx.size:
            self._history.append(("stroke", s["z"], idx, old))
        self._after_paint()

    # ------------------------------------------------------------------ screen events
    # The panel calls these with canvas coordinates (x right, y down, screen pixels).
    def _on_down(self, x, y):
        self._pointer = (y, x)
        mode = self._mode()
        if mode == "point":
            hit = self._view.pixel(y, x)
            if hit is None:
                self._say("click inside the image to add a point")
                return
            self.click(*hit)
        elif mode in ("brush", "erase"):
            r, c = self._view.to_image(y, x)
            self._begin_stroke(self._z, 1 if mode == "brush" else -1, self.brush_radius)
            self._draw_brush(self._extend_stroke((r, c)))
        elif mode == "pan":
            self._drag = (y, x)

    def _on_move(self, x, y):
        self._pointer = (y, x)
        if self._stroke is not None:
            self._draw_brush(self._extend_stroke(self._view.to_image(y, x)))
        elif self._drag is not None:
            dy, dx = y - self._drag[0], x - self._drag[1]
            self._drag = (y, x)
            self._view.pan(dy, dx)
            now = time.perf_counter()
            if now - self._last_draw >= 0.08:  # at most ~12 redraws a second while dragging
                self._draw_all()

    def _on_up(self, x, y):
        if self._stroke is not None:
            self._extend_stroke(self._view.to_image(y, x))
            self._end_stroke()
        elif self._drag is not None:
            self._drag = None
            self._draw_all()

    def _on_out(self, x, y):
        self._pointer = None
        if self._stroke is not None:
            self._end_stroke()
        elif self._drag is not None:
            self._drag = None
            self._draw_all()

    def _on_wheel(self, dx, dy):
        if dy == 0:
            return
        at = self._pointer or (self._view.size[0] / 2, self._view.size[1] / 2)
        self._view.zoom(2 ** (-0.5 if dy > 0 else 0.5), at=at)
        self._draw_all()

    def _zoom(self, factor):
        if factor is None:
            self._view.reset()
        else:
            self._view.zoom(factor)
        self._draw_all()

    # ------------------------------------------------------------------ panel
    def _mode(self):
        return self._ui["mode"].value if self._ui is not None else "point"

    def _after_points(self):
        if self._ui is None:
            return
        self._draw_marks()
        self._relabel()

    def _after_paint(self):
        if self._ui is not None:
            self._draw_overlay()
            self._status()

    def _say(self, message):
        self._message = message
        if self._ui is not None:
            self._status()

    @property
    def widget(self):
        """The interactive panel (ipywidgets), built on first use."""
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def _build(self):
        import sys

        import ipywidgets as W
        try:
            from ipycanvas import MultiCanvas
        except ImportError as exc:
            raise ImportError(
                "the annotation panel needs ipycanvas (pip install 'ipycanvas>=0.13.3,<0.14'); "
                "without a front end, build the annotator with Annotator.from_csv or "
                "Annotator.from_clicks and use its methods") from exc
        if "google.colab" in sys.modules:  # Colab renders third-party widgets only then
            from google.colab import output
            output.enable_custom_widget_manager()

        dh, dw = self._view.size
        canvas = MultiCanvas(3, width=dw, height=dh)  # image, mask overlay, points
        canvas.layout.width, canvas.layout.height = f"{dw}px", f"{dh}px"
        canvas.add_class("segkit-annotate-canvas")  # stable handles for the browser test
        ui = {"canvas": canvas}
        ui["mode"] = W.ToggleButtons(options=["point", "brush", "erase", "pan"],
                                     value="point", description="mode")
        buttons = []
        for label, action in (("undo", self.undo), ("zoom in", lambda: self._zoom(2 ** 0.5)),
                              ("zoom out", lambda: self._zoom(2 ** -0.5)),
                              ("fit", lambda: self._zoom(None))):
            b = W.Button(description=label, layout=W.Layout(width="90px"))
            b.on_click(lambda _b, a=action: a())
            buttons.append(b)
        n = self._stack.shape[0]
        ui["slice"] = None
        if n > 1:
            ui["slice"] = W.IntSlider(value=self._z, min=0, max=n - 1, description="slice",
                                      continuous_update=False)
            ui["slice"].observe(lambda ch: setattr(self, "z", ch["new"]), names="value")
        sliders = []
        style = {"description_width": "initial"}
        for name, (lo, hi, step) in _SLIDERS.get(self.method, {}).items():
            value = self.params[name]
            if value is None:
                continue
            cls = W.IntSlider if isinstance(step, int) else W.FloatSlider
            s = cls(value=value, min=lo, max=hi, step=step, description=name,
                    continuous_update=False, style=style)
            s.observe(lambda ch, k=name: self.set_params(**{k: ch["new"]}), names="value")
            sliders.append(s)
        brush = W.IntSlider(value=self.brush_radius, min=1, max=50, description="brush radius",
                            continuous_update=False, style=style)
        brush.observe(lambda ch: setattr(self, "brush_radius", int(ch["new"])), names="value")
        ui["status"] = W.HTML()
        pts_path = W.Text(value="clicks.csv", description="points", layout=W.Layout(width="260px"))
        mask_path = W.Text(value="mask.tif", description="mask", layout=W.Layout(width="260px"))
        save_pts = W.Button(description="save points")
        save_mask = W.Button(description="save mask")
        save_pts.on_click(lambda _b: self._save_from_panel(self.save_points, pts_path.value))
        save_mask.on_click(lambda _b: self._save_from_panel(self.save_mask, mask_path.value))
        ui["mode"].observe(lambda ch: self._say(""), names="value")

        canvas.on_mouse_down(self._on_down)
        canvas.on_mouse_move(self._on_move)
        canvas.on_mouse_up(self._on_up)
        canvas.on_mouse_out(self._on_out)
        canvas.on_mouse_wheel(self._on_wheel)
        canvas.on_client_ready(lambda: self._draw_all())
        self._ui = ui
        self._relabel = _Debouncer(self._update_labels, self.delay)
        rows = [W.HBox([ui["mode"], *buttons]), canvas]
        if ui["slice"] is not None:
            rows.append(ui["slice"])
        rows += [W.HBox(sliders + [brush]), ui["status"],
                 W.HBox([pts_path, save_pts, mask_path, save_mask])]
        box = W.VBox(rows)
        box.add_class("segkit-annotator")
        self._update_labels(everything=True)
        return box

    def _save_from_panel(self, save, path):
        try:
            written = save(path)
        except (OSError, ValueError) as exc:
            self._say(f"not saved: {exc}")
        else:
            self._say(f"saved {written}")

    def _update_labels(self, *, everything=False):
        """Recompute the weak labels of the shown slice (if needed) and redraw them (with
        `everything`, the image too: after a change of slice)."""
        self._slice_labels(self._z)
        self._labels_version += 1
        if everything:
            self._draw_all()
            return
        t0 = time.perf_counter()
        self._draw_overlay()
        self.timings["draw"] = time.perf_counter() - t0
        self._status()

    def _draw_all(self):
        if self._ui is None:
            return
        from ipycanvas import hold_canvas

        t0 = time.perf_counter()
        canvas = self._ui["canvas"]
        z = self._z
        if z not in self._grey:
            self._grey = {z: _grey_u8(self._stack[z])}  # one slice at a time
        with hold_canvas():
            # as RGB, which ipycanvas sends as JPEG: a tenth of the PNG's encoding time and
            # half its bytes for a noisy EM view; the overlay and the points stay exact
            base = _render_base(self._grey[z], self._view)
            canvas[0].put_image_data(np.repeat(base[..., None], 3, axis=2), 0, 0)
            self._draw_overlay(hold=False)
            self._draw_marks(hold=False)
        self._last_draw = time.perf_counter()
        self.timings["draw"] = self._last_draw - t0
        self._status()

    def _draw_overlay(self, hold=True):
        if self._ui is None:
            return
        from ipycanvas import hold_canvas

        layer = self._ui["canvas"][1]
        labels = self._slice_labels(self._z)[0]
        paint = self._layer(self._z)
        if paint is None:
            paint = np.zeros(labels.shape, np.int8)
        rgba = _render_overlay(labels, paint, self._view)
        with hold_canvas() if hold else _nullcontext():
            layer.clear()
            if rgba[..., 3].any():
                layer.put_image_data(rgba, 0, 0)

    def _draw_marks(self, hold=True):
        if self._ui is None:
            return
        from ipycanvas import hold_canvas

        layer = self._ui["canvas"][2]
        _, rc = self._points.on_slice(self._z)
        with hold_canvas() if hold else _nullcontext():
            layer.clear()
            if len(rc):
                y, x = self._view.to_screen(rc[:, 0] + 0.5, rc[:, 1] + 0.5)
                layer.fill_style = _POINT_EDGE
                layer.fill_circles(x, y, 5)
                layer.fill_style = _POINT_COLOUR
                layer.fill_circles(x, y, 3.5)

    def _draw_brush(self, centres):
        """Immediate feedback during a stroke: disks drawn on the overlay (the exact mask
        is redrawn when the stroke ends)."""
        if self._ui is None or self._stroke is None:
            return
        layer = self._ui["canvas"][1]
        y, x = self._view.to_screen(centres[:, 0], centres[:, 1])
        layer.fill_style = "rgba(0, 230, 230, 0.5)" if self._stroke["value"] > 0 \
            else "rgba(0, 0, 0, 0.6)"
        layer.fill_circles(x, y, self._stroke["radius"] * self._view.scale)

    def _status(self):
        if self._ui is None:
            return
        pts = self.points
        here = int((pts[:, 0] == self._z).sum())
        parts = [f"{len(pts)} point(s), {here} on this slice" if not self._single
                 else f"{len(pts)} point(s)",
                 f"zoom {self._view.scale / self._view.fit:.3g}x"]
        notes = []
        if self.method is not None:
            _, notes, seconds, regions = self._slice_labels(self._z)
            parts.append(f"{self.method}: {regions} region(s) in {seconds * 1000:.0f} ms")
        html = " &middot; ".join(parts)
        if notes:
            html += f"<br>{len(notes)} warning(s): {_escape(notes[0])}"
        if self._message:
            html += f"<br>{_escape(self._message)}"
        self._ui["status"].value = (f'<span class="segkit-annotate-status" '
                                    f'data-labels-version="{self._labels_version}">'
                                    f"{html}</span>")


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _escape(text):
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))

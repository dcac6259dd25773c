"""Images, masks, labels and points: overlays and galleries.

Introduced in notebook 01; used by every notebook that shows an image. Label images are drawn
with a transparent background, so the image shows through where there is no object.
"""

import numpy as np

from .._validate import as_array, as_binary, check_same_shape

__all__ = ["show_images"]


def _overlay(image, mask, *, color=(1.0, 0.2, 0.2), alpha=0.35, outline=True):
    """RGB float image of `image` with `mask` drawn on it (outline or filled).

    Parameters
    ----------
    image : (M, N) ndarray
    mask : (M, N) ndarray of bool or {0, 1} or {0, 255}
    """
    from skimage.segmentation import find_boundaries

    image = as_array(image, "image").astype(np.float64)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    mask = as_binary(mask, "mask")
    if mask.ndim == 3 and mask.shape[-1] == 1:
        mask = mask[..., 0]
    check_same_shape(image, "image", mask, "mask")
    lo, hi = np.percentile(image, [0.5, 99.5])
    grey = np.clip((image - lo) / max(hi - lo, 1e-12), 0, 1)
    rgb = np.repeat(grey[..., None], 3, axis=-1)
    region = find_boundaries(mask, mode="inner") if outline else mask
    a = 1.0 if outline else alpha
    rgb[region] = (1 - a) * rgb[region] + a * np.asarray(color)
    return rgb


def _label_rgba(labels, alpha):
    """An RGBA picture of a label image: one colour per label, background transparent."""
    import matplotlib as mpl

    lab = np.asarray(labels)
    colours = np.asarray(mpl.colormaps["tab20"].colors)
    rgba = np.zeros((*lab.shape, 4))
    inside = lab > 0
    # neighbouring labels get distant colours: step through the palette by a prime
    rgba[inside, :3] = colours[(lab[inside].astype(np.int64) * 7) % len(colours)]
    rgba[inside, 3] = alpha
    return rgba


def _panel(ax, spec, title, window):
    """Draw one panel of `show_images` on `ax`."""
    from skimage.segmentation import find_boundaries

    if not isinstance(spec, dict):
        spec = {"image": spec}
    unknown = set(spec) - {"image", "cmap", "vmin", "vmax", "outlines", "labels", "points",
                           "alpha", "colorbar"}
    if unknown:
        raise ValueError(f"panel {title!r} has unknown key(s) {sorted(unknown)}; use image, "
                         "cmap, vmin, vmax, outlines, labels, points, alpha, colorbar")
    rows, cols = window
    image = spec.get("image")
    shown = None
    if image is not None:
        img = np.squeeze(as_array(image, f"panels[{title!r}]['image']"))
        outlines = spec.get("outlines")
        if outlines is not None:
            if not isinstance(outlines, (list, tuple)) or (
                    len(outlines) == 2 and not isinstance(outlines[1], tuple)
                    and np.ndim(outlines[0]) == 2 and np.ndim(outlines[1]) == 2):
                outlines = [outlines] if not isinstance(outlines, list) else outlines
            rgb = _overlay(img, np.zeros(img.shape, bool))
            palette = [(1.0, 0.2, 0.2), (0.1, 0.9, 0.1), (0.2, 0.6, 1.0), (1.0, 0.8, 0.0)]
            for i, item in enumerate(outlines):
                mask, colour = (item if isinstance(item, tuple) else (item, palette[i % 4]))
                m = np.squeeze(as_binary(mask, f"panels[{title!r}]['outlines']"))
                check_same_shape(img, "image", m, "outline mask")
                rgb[find_boundaries(m, mode="inner")] = colour
            shown = ax.imshow(rgb[rows, cols])
        else:
            shown = ax.imshow(img[rows, cols], cmap=spec.get("cmap", "gray"),
                              vmin=spec.get("vmin"), vmax=spec.get("vmax"))
    labels = spec.get("labels")
    if labels is not None:
        lab = np.squeeze(as_array(labels, f"panels[{title!r}]['labels']"))
        ax.imshow(_label_rgba(lab, spec.get("alpha", 0.45 if image is not None else 1.0))
                  [rows, cols], interpolation="nearest")
    points = spec.get("points")
    if points is not None and len(points):
        p = np.asarray(points)[:, -2:]
        r0, c0 = rows.start or 0, cols.start or 0
        keep = np.ones(len(p), bool)
        if rows.stop is not None:
            keep &= (p[:, 0] >= r0) & (p[:, 0] < rows.stop) & (p[:, 1] >= c0) & \
                (p[:, 1] < cols.stop)
        ax.plot(p[keep, 1] - c0, p[keep, 0] - r0, "+", color="red", ms=8, mew=1.5)
    if spec.get("colorbar") and shown is not None:
        ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.02)
    ax.set_title(title)
    ax.set_axis_off()


def show_images(panels, *, ncols=None, size=3.5, zoom=None):
    """One figure, one panel per entry: images with outlines, label images, points.

    Parameters
    ----------
    panels : dict of str to ndarray or dict
        Title to what the panel shows: a 2-D grey image, or a dict with any of
        ``image`` (2-D), ``cmap``/``vmin``/``vmax`` (e.g. a probability map:
        ``cmap="magma", vmin=0, vmax=1``), ``outlines`` (a mask, or a list of masks or of
        ``(mask, colour)`` pairs, drawn as outlines on the image), ``labels`` (an instance
        label image, one colour per object on a transparent background, over the image if
        there is one), ``points`` (``(K, 2)`` rows and columns, or ``(K, 3)`` with the slice
        first), ``alpha`` (of the labels) and ``colorbar``.
    ncols : int, optional
        Panels per row (default: all in one row, at most 4).
    size : float
        Inches per panel.
    zoom : (row, col, height, width), optional
        Also show that window of every panel at full resolution, beside it, with the window
        outlined on the full view: thin outlines vanish when a 768 x 1024 slice is drawn a
        few hundred pixels wide.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> img = np.zeros((40, 60)); mask = img > 1; mask[10:20, 10:30] = True
    >>> labels = mask.astype(int)
    >>> fig = show_images({"image": img, "mask": {"image": img, "outlines": mask},
    ...                    "labels": {"labels": labels, "points": [[15, 20]]}})
    >>> [ax.get_title() for ax in fig.axes]
    ['image', 'mask', 'labels']
    >>> fig = show_images({"slice": img}, zoom=(5, 5, 20, 20))
    >>> [ax.get_title() for ax in fig.axes]
    ['slice', 'slice (zoom)']
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from .._validate import check_int

    if not isinstance(panels, dict) or not panels:
        raise TypeError("`panels` must be a non-empty dict of title to image or panel dict")
    items = []
    for title, spec in panels.items():
        items.append((str(title), spec, (slice(None), slice(None)), zoom is not None))
        if zoom is not None:
            r, c, h, w = (check_int(v, "zoom", minimum=0) for v in zoom)
            items.append((f"{title} (zoom)", spec, (slice(r, r + h), slice(c, c + w)), False))
    n = len(items)
    ncols = min(n, 4) if ncols is None else check_int(ncols, "ncols", minimum=1)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows),
                             squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.set_axis_off()
    for ax, (title, spec, window, boxed) in zip(axes.ravel(), items):
        _panel(ax, spec, title, window)
        if boxed:
            r, c, h, w = zoom
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), w, h, fill=False, ec="yellow", lw=1))
    for ax in axes.ravel()[n:]:
        fig.delaxes(ax)
    fig.tight_layout()
    return fig

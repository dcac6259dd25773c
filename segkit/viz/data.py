"""Exploratory figures: intensity histograms, object counts, slice-to-slice correlation, and
orthogonal views of a stack.

Introduced in notebook 02.
"""

import numpy as np

from .._validate import as_binary
from ._axes import _ax

__all__ = ["plot_intensity_histograms", "plot_object_counts", "show_count_example",
           "plot_correlation_curves", "show_decorrelation", "show_orthogonal"]


def plot_intensity_histograms(images, masks, *, bins=256, ax=None):
    """Foreground and background intensity densities, with the best single threshold.

    Introduced in notebook 02, after Malec's Fig. 4. The title gives the best Dice any global
    threshold reaches (`segkit.eda.best_threshold`) and the histogram overlap.

    Parameters
    ----------
    images : (N, H, W) or (N, H, W, 1) ndarray
    masks : same shape, binary
    bins : int
        As for `segkit.eda.intensity_histograms`.
    ax : matplotlib.axes.Axes, optional
        Draw there instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> img = np.array([[[10, 20, 200, 210]]], dtype=np.uint8)
    >>> fig = plot_intensity_histograms(img, np.array([[[0, 0, 1, 1]]]))
    >>> fig.axes[0].get_title()
    'overlap 0%; best single-threshold Dice 1.000'
    """
    from ..eda import _best_from_histograms, intensity_histograms

    h = intensity_histograms(images, masks, bins=bins)
    best = _best_from_histograms(h)  # the same counts, not a second pass over the stack
    fig, ax = _ax(ax)
    edges = h["edges"]
    centres = (edges[:-1] + edges[1:]) / 2
    for key, colour in (("background", "0.4"), ("foreground", "tab:red")):
        counts = h[key]
        dens = counts / max(counts.sum(), 1) / np.diff(edges)
        ax.fill_between(centres, dens, step="mid", alpha=0.4, color=colour,
                        label=f"{key} ({counts.sum():,} px)")
    ax.axvline(best["threshold"], color="k", ls="--",
               label=f"best threshold {best['threshold']:.1f} ({best['polarity']})")
    ax.set_xlabel("intensity")
    ax.set_ylabel("density")
    ax.set_title(f"overlap {h['overlap']:.0%}; best single-threshold Dice {best['dice']:.3f}")
    ax.legend()
    return fig


def plot_object_counts(counts, *, axes=None):
    """Objects per slice by connected components and by the naive raster count, and areas.

    Introduced in notebook 02.

    Parameters
    ----------
    counts : dict
        As returned by `segkit.eda.compare_counts`.
    axes : two matplotlib.axes.Axes, optional
        Draw there instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from segkit.eda import compare_counts
    >>> m = np.zeros((2, 6, 6), np.uint8); m[:, 1:3, 1:3] = 1
    >>> fig = plot_object_counts(compare_counts(m))
    >>> fig.axes[1].get_title()
    '2 objects, median area 4 px'
    """
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    else:
        fig = axes[0].figure
    comp, naive, bad = counts["components"], counts["naive"], counts["disagree"]
    z = np.arange(len(comp))
    axes[0].plot(z, comp, "o-", ms=3, label="connected components")
    axes[0].plot(z, naive, "s--", ms=3, label="naive: max humps per raster line")
    if len(bad):
        axes[0].plot(z[bad], naive[bad], "x", color="tab:red", ms=8,
                     label=f"disagree ({len(bad)} of {len(comp)} slices)")
    axes[0].set_xlabel("slice")
    axes[0].set_ylabel("objects")
    axes[0].legend()
    areas = counts["areas"]
    if areas.size:
        axes[1].hist(areas, bins=np.geomspace(max(areas.min(), 1), areas.max() + 1, 30),
                     color="tab:red", alpha=0.7)
        axes[1].set_xscale("log")
    axes[1].set_xlabel("object area (pixels)")
    axes[1].set_ylabel("objects")
    axes[1].set_title(f"{areas.size} objects, median area {np.median(areas) if areas.size else 0:.0f} px")
    return fig


def show_count_example(mask, *, title="", ax=None):
    """A 2-D mask beside its humps-per-row profile, titled with both object counts.

    Introduced in notebook 02 to show where the naive raster count fails.

    Parameters
    ----------
    mask : (H, W) or (H, W, 1) ndarray, binary
    title : str
        Put before the two counts in the title.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> u = np.array([[1, 0, 1], [1, 0, 1], [1, 1, 1]])
    >>> show_count_example(u, title="U:").axes[0].get_title()
    'U: components 1, naive 2'
    """
    from ..eda import count_objects, _humps_per_line

    fig, ax = _ax(ax, figsize=(4, 3))
    m = np.squeeze(as_binary(mask, "mask"))
    n, _ = count_objects(m)
    humps = _humps_per_line(m)
    ax.imshow(m, vmin=0, vmax=1, cmap="gray", extent=(0, m.shape[1], m.shape[0], 0))
    w = m.shape[1]
    scale = 0.25 * w / max(humps.max(initial=1), 1)
    ax.plot(w + humps * scale, np.arange(len(humps)) + 0.5, color="tab:orange", lw=1.5,
            drawstyle="steps-mid")
    ax.set_xlim(0, w * 1.3)
    ax.set_title(f"{title} components {n}, naive {humps.max(initial=0)}".strip())
    ax.set_axis_off()
    return fig


def plot_correlation_curves(curves, *, ax=None, show_naive=False):
    """Correlation with the reference slice versus depth, one line and CI band per curve.

    Introduced in notebook 02.

    Parameters
    ----------
    curves : dict
        Label to a result of `segkit.eda.slice_correlation` or `transformed_correlation`.
    show_naive : bool
        Also draw the (far too narrow) intervals that treat every pixel as independent.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from segkit.eda import slice_correlation
    >>> stack = np.random.default_rng(0).random((3, 16, 16))
    >>> fig = plot_correlation_curves({"original": slice_correlation(stack, step=2)})
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['original']
    """
    fig, ax = _ax(ax, figsize=(7, 4))
    for label, c in curves.items():
        line, = ax.plot(c["depth"], c["r"], "o-", ms=3, label=label)
        ax.fill_between(c["depth"], c["low"], c["high"], color=line.get_color(), alpha=0.2)
        if show_naive:
            ax.fill_between(c["depth"], c["naive_low"], c["naive_high"], color="k", alpha=0.3)
    first = next(iter(curves.values()))
    ax.set_xlabel("depth (slices from the reference)")
    ax.set_ylabel("Pearson r with the reference slice")
    ax.set_title(f"95% Fisher-z intervals, effective n = {first['n_eff']} "
                 f"(grid step {first['step']} px; {first['n_pixels']:,} pixels)")
    ax.axhline(0, color="k", lw=0.5)
    ax.legend()
    return fig


def show_decorrelation(stack, *, noise=0.5, elastic=10.0, max_depth=10, seed=0, ax=None):
    """Correlation curves of a stack unchanged, flipped, noisy and elastically deformed.

    Introduced in notebook 02, where sliders drive `noise` (times the first slice's standard
    deviation) and `elastic` (B-spline grid sigma, pixels).

    Parameters
    ----------
    stack : (N, H, W) ndarray
    noise : float
        Standard deviation of the added noise, in units of the first slice's.
    elastic : float
        Sigma of the B-spline grid deformation, pixels.
    max_depth : int
        Slices compared with the first.
    seed : int
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> stack = np.random.default_rng(0).random((3, 32, 32))
    >>> fig = show_decorrelation(stack, noise=1.0, elastic=2.0, max_depth=2)
    >>> len(fig.axes[0].get_legend().get_texts())
    4
    """
    from ..eda import _effective_step, slice_correlation, transformed_correlation

    x = np.asarray(stack)
    slices = np.arange(min(max_depth + 1, len(x)))
    step = _effective_step(x)
    curves = {"original": slice_correlation(x, step=step, slices=slices)}
    curves["flipped"] = transformed_correlation(x, transform="flip", step=step, slices=slices)
    curves[f"noise {noise:g} sd"] = transformed_correlation(
        x, transform="noise", strength=noise, step=step, slices=slices, seed=seed)
    curves[f"elastic grid sigma {elastic:g} px"] = transformed_correlation(
        x, transform="elastic_grid", strength=elastic, step=step, slices=slices, seed=seed)
    return plot_correlation_curves(curves, ax=ax)


def show_orthogonal(stack, masks=None, *, point=None, window=None, z_scale=1.0, size=8.0):
    """Three orthogonal planes of a stack through one point: x-y, x-z and y-z.

    Introduced in notebook 02, after Malec's Fig. 2 ("the x-z and y-z planes look very similar
    to the x-y plane" when the voxels are cubic). The x-y plane is slice ``z``; below it, the
    x-z plane is row ``y`` of every slice; to its right, the y-z plane is column ``x`` of every
    slice. Dashed lines mark where the planes cross. The three planes share one grey scale.

    Parameters
    ----------
    stack : (N, H, W) or (N, H, W, 1) ndarray
    masks : ndarray shaped like `stack`, optional
        Binary masks, outlined in red in every plane.
    point : (z, y, x), optional
        Where the planes cross; default the centre of the stack.
    window : (row, col, height, width), optional
        Show only this window of the x-y plane, and the same rows and columns in the other two:
        a stack of a few dozen slices is a thin strip beside a 768 x 1024 slice. The point's
        ``y`` and ``x`` must lie inside it.
    z_scale : float
        Slice spacing divided by the pixel side: 1 for cubic voxels (EPFL's 5 x 5 x 5 nm).
    size : float
        Width of the figure in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> vol = np.zeros((6, 40, 60)); vol[2:4, 10:20, 30:50] = 1
    >>> fig = show_orthogonal(vol, vol > 0, point=(3, 15, 40), window=(0, 20, 40, 40))
    >>> [ax.get_title() for ax in fig.axes], fig.axes[1].get_ylabel().splitlines()[0]
    (['x-y: slice 3', '', 'y-z: column 40'], 'x-z: row 15')
    >>> fig.axes[1].images[0].get_array().shape[:2]  # 6 slices x the window's 40 columns
    (6, 40)
    """
    import matplotlib.pyplot as plt
    from skimage.segmentation import find_boundaries

    from .._validate import as_stack, check_int, check_real, check_same_shape, describe

    x, _ = as_stack(stack, "stack", ndim_in=(3, 4))
    m = None
    if masks is not None:
        m, _ = as_stack(masks, "masks", ndim_in=(3, 4))
        m = as_binary(m, "masks")
        check_same_shape(x, "stack", m, "masks")
    n, h, w = x.shape
    z_scale = check_real(z_scale, "z_scale", low=0.0, low_open=True)
    if point is None:
        point = (n // 2, h // 2, w // 2)
    if np.ndim(point) != 1 or len(point) != 3:
        raise ValueError(f"`point` must be (z, y, x), got {point!r}")
    z, y, c = (check_int(v, "point", minimum=0) for v in point)
    if z >= n or y >= h or c >= w:
        raise ValueError(f"`point` {tuple(point)} must lie inside the stack, "
                         f"{describe(x)} (N, H, W)")
    if window is None:
        window = (0, 0, h, w)
    if np.ndim(window) != 1 or len(window) != 4:
        raise ValueError(f"`window` must be (row, col, height, width), got {window!r}")
    r0, c0, hh, ww = (check_int(v, "window", minimum=0) for v in window)
    if hh < 1 or ww < 1 or r0 + hh > h or c0 + ww > w:
        raise ValueError(f"`window` {tuple(window)} must be a non-empty part of the {h} x {w} "
                         "slices")
    if not (r0 <= y < r0 + hh and c0 <= c < c0 + ww):
        raise ValueError(f"`point` {tuple(point)} must lie inside `window` {tuple(window)}")
    rows, cols = slice(r0, r0 + hh), slice(c0, c0 + ww)
    planes = {"xy": x[z, rows, cols], "xz": x[:, y, cols], "yz": x[:, rows, c].T}
    lo, hi = np.percentile(np.concatenate([p.ravel() for p in planes.values()]), [0.5, 99.5])
    outlines = {}
    if m is not None:
        for key, plane in {"xy": m[z, rows, cols], "xz": m[:, y, cols],
                           "yz": m[:, rows, c].T}.items():
            outlines[key] = find_boundaries(plane, mode="inner")

    def rgb(key):
        grey = np.clip((planes[key].astype(np.float64) - lo) / max(hi - lo, 1e-12), 0, 1)
        out = np.repeat(grey[..., None], 3, axis=-1)
        if key in outlines:
            out[outlines[key]] = (1.0, 0.2, 0.2)
        return out

    depth = n * z_scale
    fig = plt.figure(figsize=(size, size * (hh + depth) / (ww + depth)))
    grid = fig.add_gridspec(2, 2, width_ratios=[ww, depth], height_ratios=[hh, depth],
                            wspace=0.05, hspace=0.05)
    ax_xy = fig.add_subplot(grid[0, 0])
    ax_xz = fig.add_subplot(grid[1, 0], sharex=ax_xy)
    ax_yz = fig.add_subplot(grid[0, 1], sharey=ax_xy)
    ax_xy.imshow(rgb("xy"), extent=(c0 - 0.5, c0 + ww - 0.5, r0 + hh - 0.5, r0 - 0.5))
    ax_xz.imshow(rgb("xz"), extent=(c0 - 0.5, c0 + ww - 0.5, n - 0.5, -0.5), aspect=z_scale)
    ax_yz.imshow(rgb("yz"), extent=(-0.5, n - 0.5, r0 + hh - 0.5, r0 - 0.5),
                 aspect=1 / z_scale)
    style = dict(color="yellow", lw=0.8, ls="--")
    ax_xy.axhline(y, **style)
    ax_xy.axvline(c, **style)
    ax_xz.axhline(z, **style)
    ax_xz.axvline(c, **style)
    ax_yz.axvline(z, **style)
    ax_yz.axhline(y, **style)
    ax_xy.set_title(f"x-y: slice {z}")
    ax_yz.set_title(f"y-z: column {c}")
    ax_xy.set_ylabel("y (row)")
    ax_xz.set_xlabel("x (column)")
    ax_xz.set_ylabel(f"x-z: row {y}\nz (slice)", rotation=0, ha="right", va="center")
    ax_yz.set_xlabel("z (slice)")
    ax_xy.tick_params(labelbottom=False)
    ax_yz.tick_params(labelleft=False)
    return fig

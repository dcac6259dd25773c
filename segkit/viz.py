"""Figures shared by the notebooks: one plot style, one place figures are saved, overlays.

Introduced in notebook 01.
"""

import sys
from pathlib import Path

import numpy as np

from ._validate import as_array, as_binary, check_same_shape

__all__ = [
    "setup_notebook", "save_fig", "show_pair", "overlay",
    # notebook 02 (exploratory analysis)
    "plot_intensity_histograms", "plot_object_counts", "show_count_example",
    "plot_correlation_curves", "show_decorrelation",
    # notebook 04 (augmentation)
    "show_transform_gallery", "show_augmented", "augment_explorer", "plot_transform_losses",
    "interact_plot",
]

_FIGURE_DIR = {"path": Path("figures")}


def setup_notebook(name, *, figures_root="figures"):
    """Common set-up of every notebook: version checks, plot style, the figure folder.

    Parameters
    ----------
    name : str
        The notebook's stem, e.g. ``"01_wrangling"``; figures go to ``figures_root/name``.

    Returns
    -------
    pathlib.Path
        The folder `save_fig` writes to.
    """
    if sys.version_info < (3, 11):
        raise RuntimeError(f"segkit needs Python >= 3.11, this kernel runs {sys.version.split()[0]}")
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.figsize": (8, 4), "figure.dpi": 90, "savefig.dpi": 120, "image.cmap": "gray",
        "image.interpolation": "nearest", "axes.titlesize": 10, "axes.labelsize": 9,
        "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 8,
    })
    folder = Path(figures_root) / name
    folder.mkdir(parents=True, exist_ok=True)
    _FIGURE_DIR["path"] = folder
    return folder


def save_fig(fig, name, *, folder=None):
    """Save `fig` as ``<figure folder>/<name>.png`` (the folder set by `setup_notebook`)."""
    folder = Path(folder) if folder is not None else _FIGURE_DIR["path"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, bbox_inches="tight")
    return path


def overlay(image, mask, *, color=(1.0, 0.2, 0.2), alpha=0.35, outline=True):
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


def show_pair(image, mask, *, title="", axes=None):
    """Image beside its mask and the overlay; returns the figure."""
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    else:
        fig = axes[0].figure
    img = np.squeeze(as_array(image, "image"))
    msk = np.squeeze(as_binary(mask, "mask"))
    axes[0].imshow(img)
    axes[0].set_title(f"{title} image".strip())
    axes[1].imshow(msk, vmin=0, vmax=1)
    axes[1].set_title("mask")
    axes[2].imshow(overlay(img, msk))
    axes[2].set_title("outline on image")
    for ax in axes:
        ax.set_axis_off()
    return fig


# ----------------------------------------------------------------------------- notebook 02
def _ax(ax, figsize=(6, 4)):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    return ax.figure, ax


def plot_intensity_histograms(images, masks, *, bins=256, ax=None):
    """Foreground and background intensity densities, with the best single threshold.

    Introduced in notebook 02. The title gives the best Dice any global threshold reaches
    (`segkit.eda.best_threshold`) and the histogram overlap.
    """
    from .eda import best_threshold, intensity_histograms

    h = intensity_histograms(images, masks, bins=bins)
    best = best_threshold(images, masks, bins=bins)
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
    """
    from .eda import count_objects, humps_per_line

    fig, ax = _ax(ax, figsize=(4, 3))
    m = np.squeeze(as_binary(mask, "mask"))
    n, _ = count_objects(m)
    humps = humps_per_line(m)
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
    """
    from .eda import effective_step, slice_correlation, transformed_correlation

    x = np.asarray(stack)
    slices = np.arange(min(max_depth + 1, len(x)))
    step = effective_step(x)
    curves = {"original": slice_correlation(x, step=step, slices=slices)}
    curves["flipped"] = transformed_correlation(x, transform="flip", step=step, slices=slices)
    curves[f"noise {noise:g} sd"] = transformed_correlation(
        x, transform="noise", strength=noise, step=step, slices=slices, seed=seed)
    curves[f"elastic grid sigma {elastic:g} px"] = transformed_correlation(
        x, transform="elastic_grid", strength=elastic, step=step, slices=slices, seed=seed)
    return plot_correlation_curves(curves, ax=ax)


# ----------------------------------------------------------------------------- notebook 04
def show_transform_gallery(image, mask, pairs, *, ncols=4, size=3.0):
    """One panel per transformed ``(image, mask)`` pair, mask outlined, original first.

    Introduced in notebook 04.

    Parameters
    ----------
    image, mask : (H, W) or (H, W, 1) ndarrays
    pairs : dict
        Title to ``(image, mask)``.
    """
    import matplotlib.pyplot as plt

    items = [("original", (image, mask)), *pairs.items()]
    nrows = -(-len(items) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, (title, (img, msk)) in zip(axes.ravel(), items):
        ax.imshow(overlay(np.squeeze(img), np.squeeze(msk) > 0))
        ax.set_title(title)
    fig.tight_layout()
    return fig


def show_augmented(image, mask, *, seed=0, n=4, transforms=None, **params):
    """`n` draws of `segkit.augment.augment_pair` side by side (the widget explorer's view).

    Introduced in notebook 04.
    """
    from .augment import DEFAULT_TRANSFORMS, augment_pair

    transforms = DEFAULT_TRANSFORMS if transforms is None else transforms
    rng = np.random.default_rng(seed)
    pairs = {f"draw {i + 1}": augment_pair(image, mask, rng=rng, transforms=transforms,
                                            **params) for i in range(n)}
    return show_transform_gallery(image, mask, pairs, ncols=n + 1)


def augment_explorer(image, mask, *, n=3):
    """Sliders for every parameter of `segkit.augment.augment_pair`, starting at the defaults.

    Introduced in notebook 04. Shows `n` random draws for the chosen transforms and strengths;
    ``seed`` picks the draws.

    Returns
    -------
    ipywidgets.interactive
    """
    import ipywidgets as w

    from .augment import DEFAULT_PARAMS as d
    from .augment import DEFAULT_TRANSFORMS, TRANSFORMS

    def slider(name, lo, hi, step):
        return w.FloatSlider(value=d[name], min=lo, max=hi, step=step, description=name,
                             continuous_update=False)

    controls = {
        "image": w.fixed(image), "mask": w.fixed(mask), "n": w.fixed(n),
        "seed": w.IntSlider(value=0, min=0, max=100, description="seed",
                            continuous_update=False),
        "transforms": w.SelectMultiple(options=TRANSFORMS, value=DEFAULT_TRANSFORMS, rows=8,
                                       description="transforms"),
        "p": slider("p", 0.0, 1.0, 0.05),
        "order": w.Dropdown(options=[0, 1, 3], value=d["order"], description="order"),
        "mode": w.Dropdown(options=["reflect", "mirror", "nearest", "wrap", "constant"],
                           value=d["mode"], description="mode"),
        "max_angle": slider("max_angle", 0.0, 180.0, 5.0),
        "max_shift": slider("max_shift", 0.0, 0.5, 0.01),
        "max_zoom": slider("max_zoom", 0.0, 0.5, 0.01),
        "grid_sigma": slider("grid_sigma", 0.0, 30.0, 0.5),
        "grid_points": w.IntSlider(value=d["grid_points"], min=2, max=9,
                                   description="grid_points", continuous_update=False),
        "alpha": slider("alpha", 0.0, 300.0, 5.0),
        "sigma": slider("sigma", 1.0, 20.0, 0.5),
        "max_brightness": slider("max_brightness", 0.0, 0.5, 0.01),
        "max_contrast": slider("max_contrast", 0.0, 0.9, 0.05),
        "max_noise": slider("max_noise", 0.0, 0.3, 0.01),
    }
    return interact_plot(show_augmented, **controls)


def plot_transform_losses(rows, *, ax=None):
    """Grouped bars of train and validation loss per transform (`compare_transforms` rows).

    Introduced in notebook 04.
    """
    fig, ax = _ax(ax, figsize=(max(6, len(rows) * 1.1), 4))
    labels = [r["transform"] for r in rows]
    x = np.arange(len(rows))
    ax.bar(x - 0.2, [r["train_loss"] for r in rows], 0.4, label="train (augmented)")
    ax.bar(x + 0.2, [r["val_loss"] for r in rows], 0.4, label="validation")
    ax.set_xticks(x, labels, rotation=30, ha="right")
    ax.set_ylabel("binary cross-entropy")
    ax.legend()
    return fig


def interact_plot(plot, **widgets):
    """Sliders for a plotting function that returns a figure (`ipywidgets.interactive`).

    The figure is shown once per slider move (`ipywidgets.interact` would show it twice: once
    as the open figure, once as the return value). Widgets are ipywidgets abbreviations,
    e.g. ``noise=(0.0, 2.0, 0.25)``, or ``ipywidgets.fixed(value)`` for data.

    Returns
    -------
    ipywidgets.interactive
        Display it (the last expression of a notebook cell).
    """
    import ipywidgets
    import matplotlib.pyplot as plt

    def _draw(**kwargs):
        plot(**kwargs)
        plt.show()

    return ipywidgets.interactive(_draw, **widgets)

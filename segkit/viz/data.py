"""Exploratory figures: intensity histograms, object counts, slice-to-slice correlation.

Introduced in notebook 02.
"""

import numpy as np

from .._validate import as_binary
from ._axes import _ax

__all__ = ["plot_intensity_histograms", "plot_object_counts", "show_count_example",
           "plot_correlation_curves", "show_decorrelation"]


def plot_intensity_histograms(images, masks, *, bins=256, ax=None):
    """Foreground and background intensity densities, with the best single threshold.

    Introduced in notebook 02. The title gives the best Dice any global threshold reaches
    (`segkit.eda.best_threshold`) and the histogram overlap.
    """
    from ..eda import best_threshold, intensity_histograms

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
    from ..eda import effective_step, slice_correlation, transformed_correlation

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

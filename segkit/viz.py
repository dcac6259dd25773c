"""Figures shared by the notebooks: one plot style, one place figures are saved, overlays.

Introduced in notebook 01.
"""

import sys
from pathlib import Path

import numpy as np

from ._validate import as_array, as_binary, check_same_shape

__all__ = ["setup_notebook", "save_fig", "show_pair", "overlay"]

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

"""Notebook set-up and figure files: one plot style, one place figures are saved.

Introduced in notebook 01.
"""

import sys
from pathlib import Path

__all__ = ["setup_notebook", "save_fig"]

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

"""Notebook set-up and figure files: one plot style, one place figures are saved.

Introduced in notebook 01.
"""

import sys
from pathlib import Path

__all__ = ["setup_notebook", "save_fig"]

_FIGURE_DIR = {"path": Path("figures")}


def setup_notebook(name, *, figures_root="figures"):
    """Common set-up of every notebook: version checks, plot style, the figure folder.

    Also shows warnings as one line, ``UserWarning: message``, without the temporary file
    name and source line that Jupyter's default format prints for code in a cell.

    Parameters
    ----------
    name : str
        The notebook's stem, e.g. ``"01_wrangling"``; figures go to ``figures_root/name``.
    figures_root : str or os.PathLike
        The folder that holds every notebook's figure folder.

    Returns
    -------
    pathlib.Path
        The folder `save_fig` writes to.

    Examples
    --------
    >>> import tempfile
    >>> folder = setup_notebook("01_wrangling", figures_root=tempfile.mkdtemp())
    >>> folder.name, folder.is_dir()
    ('01_wrangling', True)
    """
    if sys.version_info < (3, 11):
        raise RuntimeError(f"segkit needs Python >= 3.11, this kernel runs {sys.version.split()[0]}")
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.figsize": (8, 4), "figure.dpi": 90, "savefig.dpi": 120, "image.cmap": "gray",
        "image.interpolation": "nearest", "axes.titlesize": 10, "axes.labelsize": 9,
        "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 8,
    })
    import warnings

    warnings.formatwarning = _one_line_warning
    folder = Path(figures_root) / name
    folder.mkdir(parents=True, exist_ok=True)
    _FIGURE_DIR["path"] = folder
    return folder


def _one_line_warning(message, category, filename, lineno, line=None):
    return f"{category.__name__}: {message}\n"


def save_fig(fig, name, *, folder=None):
    """Save `fig` as ``<figure folder>/<name>.png`` (the folder set by `setup_notebook`).

    Returns nothing, so a cell that ends with it prints nothing.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    name : str
        File name without extension.
    folder : str or os.PathLike, optional
        Instead of the notebook's figure folder.

    Examples
    --------
    >>> import tempfile, matplotlib.pyplot as plt
    >>> from pathlib import Path
    >>> fig, _ = plt.subplots()
    >>> folder = Path(tempfile.mkdtemp())
    >>> save_fig(fig, "empty", folder=folder)
    >>> (folder / "empty.png").is_file()
    True
    """
    folder = Path(folder) if folder is not None else _FIGURE_DIR["path"]
    folder.mkdir(parents=True, exist_ok=True)
    fig.savefig(folder / f"{name}.png", bbox_inches="tight")

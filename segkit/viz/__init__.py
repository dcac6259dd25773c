"""Figures of the course (the presentation layer, with `segkit.widgets`), by what they show.

- `segkit.viz.notebook`: `setup_notebook` (version checks, plot style, figure folder) and
  `save_fig` (introduced in notebook 01).
- `segkit.viz.images`: images, masks, labels and points: `show_images` (every image figure
  of the course, with outlines, labels on a transparent background, points and a zoomed
  window).
- `segkit.viz.data`: exploratory figures of notebook 02, `show_orthogonal` (x-y, x-z and y-z
  planes of a stack) among them.
- `segkit.viz.augment`: random draws of the augmentation, the figure that
  `segkit.widgets.augment_explorer` redraws (notebook 04).
- `segkit.viz.scores`: `plot_history` (learning curves), `plot_confusion`, `plot_roc`, and the
  figures notebook 07's sliders drive: `plot_threshold`, `show_degraded`.

Nothing here computes a result the lesson depends on: each function draws what the
computation layer returned.
"""

from .data import (plot_correlation_curves, plot_intensity_histograms, plot_object_counts,
                   show_count_example, show_decorrelation, show_orthogonal)
from .images import show_images
from .notebook import save_fig, setup_notebook
from .scores import plot_confusion, plot_history, plot_roc, plot_threshold, show_degraded

__all__ = [
    "setup_notebook", "save_fig",
    "show_images",
    "plot_intensity_histograms", "plot_object_counts", "show_count_example",
    "plot_correlation_curves", "show_decorrelation", "show_orthogonal",
    "plot_confusion", "plot_roc", "plot_history", "plot_threshold", "show_degraded",
]

"""Figures of the course (the presentation layer, with `segkit.widgets`), by what they show.

- `segkit.viz.notebook`: `setup_notebook` (version checks, plot style, figure folder) and
  `save_fig` (introduced in notebook 01).
- `segkit.viz.images`: images, masks, labels and points: `overlay`, `show_images` (every
  image figure of the course, with outlines, labels on a transparent background, points and
  a zoomed window).
- `segkit.viz.data`: exploratory figures of notebook 02.
- `segkit.viz.augment`: `show_augmented`, random draws of the augmentation (notebook 04).
- `segkit.viz.scores`: `plot_history` (learning curves), `plot_confusion`, `plot_roc`, and the
  figures notebook 07's sliders drive: `plot_threshold`, `show_degraded`.

Nothing here computes a result the lesson depends on: each function draws what the
computation layer returned.
"""

from .augment import show_augmented
from .data import (plot_correlation_curves, plot_intensity_histograms, plot_object_counts,
                   show_count_example, show_decorrelation)
from .images import overlay, show_images
from .notebook import save_fig, setup_notebook
from .scores import plot_confusion, plot_history, plot_roc, plot_threshold, show_degraded

__all__ = [
    "setup_notebook", "save_fig",
    "overlay", "show_images",
    "plot_intensity_histograms", "plot_object_counts", "show_count_example",
    "plot_correlation_curves", "show_decorrelation",
    "show_augmented",
    "plot_confusion", "plot_roc", "plot_history", "plot_threshold", "show_degraded",
]

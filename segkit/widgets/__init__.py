"""Interactive panels for the notebooks (the presentation layer, with `segkit.viz`).

Introduced in notebook 01. Each function builds its widgets and returns them, so a notebook
cell ends with one call and the learner gets sliders.

- `panels`: sliders over stacks, parameters and experiments.
- `annotate`: `Annotator`, click points, live weak labels and a brush on your own image
  (notebook 10).
"""

from .annotate import Annotator
from .panels import augment_explorer, browse_stack, experiment_panel, interact_plot

__all__ = ["browse_stack", "interact_plot", "augment_explorer", "experiment_panel", "Annotator"]

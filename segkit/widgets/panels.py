"""ipywidgets panels shared by the notebooks.

Introduced in notebook 01. Each function builds its widgets and returns them, so a notebook
cell ends with one call and the learner gets sliders.
"""

from .._validate import as_binary, check_same_shape
from ..io import to_nhwc

__all__ = ["browse_stack"]


def browse_stack(images, masks=None, *, title="slice"):
    """A slider over the slices of a stack, with the mask outlined when given.

    Parameters
    ----------
    images : (N, H, W) or (N, H, W, 1) ndarray
    masks : same shape as `images`, optional
        Binary masks ({0, 1}, {0, 255} or bool).

    Returns
    -------
    ipywidgets.Widget
        Display it (a notebook shows the last expression of a cell).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from ..viz import overlay

    x = to_nhwc(images, "images")[..., 0]
    m = None
    if masks is not None:
        m = as_binary(to_nhwc(masks, "masks")[..., 0], "masks")
        check_same_shape(x, "images", m, "masks")
    out = widgets.Output()
    slider = widgets.IntSlider(value=0, min=0, max=len(x) - 1, description=title,
                               continuous_update=False)

    def draw(change=None):
        k = slider.value
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(6, 4.5))
            ax.imshow(x[k] if m is None else overlay(x[k], m[k]))
            frac = "" if m is None else f", foreground {m[k].mean():.1%}"
            ax.set_title(f"{title} {k} of {len(x)}{frac}")
            ax.set_axis_off()
            plt.show()

    slider.observe(draw, names="value")
    draw()
    return widgets.VBox([slider, out])

"""ipywidgets panels shared by the notebooks.

Introduced in notebook 01. Each function builds its widgets and returns them, so a notebook
cell ends with one call and the learner gets sliders.
"""

import numpy as np  # noqa: F401 (the docstring examples use it)

from .._validate import as_binary, check_same_shape
from ..io import to_nhwc

__all__ = ["browse_stack", "interact_plot", "augment_explorer", "experiment_panel"]


def browse_stack(images, masks=None, *, title="slice"):
    """A slider over the slices of a stack, with the mask outlined when given.

    Parameters
    ----------
    images : (N, H, W) or (N, H, W, 1) ndarray
    masks : same shape as `images`, optional
        Binary masks ({0, 1}, {0, 255} or bool).

    title : str
        The slider's label, and the figure's title before the slice number.

    Returns
    -------
    ipywidgets.Widget
        Display it (a notebook shows the last expression of a cell).

    Examples
    --------
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     panel = browse_stack(np.zeros((3, 8, 8)), np.zeros((3, 8, 8), bool))
    >>> panel.children[0].max
    2
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from ..viz.images import _overlay

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
            ax.imshow(x[k] if m is None else _overlay(x[k], m[k]))
            frac = "" if m is None else f", foreground {m[k].mean():.1%}"
            ax.set_title(f"{title} {k} of {len(x)}{frac}")
            ax.set_axis_off()
            plt.show()

    slider.observe(draw, names="value")
    draw()
    return widgets.VBox([slider, out])


def augment_explorer(image, mask, *, n=3):
    """Sliders for every parameter of `segkit.augment.augment_pair`, starting at the defaults.

    Introduced in notebook 04. Shows `n` random draws for the chosen transforms and strengths;
    ``seed`` picks the draws.

    Parameters
    ----------
    image, mask : (H, W) or (H, W, 1) ndarrays
        A normalised image tile and its mask.
    n : int
        Draws shown side by side.

    Returns
    -------
    ipywidgets.interactive

    Examples
    --------
    >>> import contextlib, io
    >>> img = np.linspace(0, 1, 256, dtype=np.float32).reshape(16, 16)
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     panel = augment_explorer(img, img > 0.5, n=1)
    >>> [c.description for c in panel.children[:3]]
    ['seed', 'transforms', 'p']
    """
    import ipywidgets as w

    from ..augment import DEFAULT_PARAMS as d
    from ..augment import _DEFAULT_TRANSFORMS, TRANSFORMS

    def slider(name, lo, hi, step):
        return w.FloatSlider(value=d[name], min=lo, max=hi, step=step, description=name,
                             continuous_update=False)

    controls = {
        "image": w.fixed(image), "mask": w.fixed(mask), "n": w.fixed(n),
        "seed": w.IntSlider(value=0, min=0, max=100, description="seed",
                            continuous_update=False),
        "transforms": w.SelectMultiple(options=TRANSFORMS, value=_DEFAULT_TRANSFORMS, rows=8,
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
    from ..viz.augment import _show_augmented

    return interact_plot(_show_augmented, **controls)


def interact_plot(plot, **widgets):
    """Sliders for a plotting function that returns a figure (`ipywidgets.interactive`).

    The figure is shown once per slider move (`ipywidgets.interact` would show it twice: once
    as the open figure, once as the return value), and redrawn when a slider is released,
    not at every value it passes while dragged. Labels are shown in full.

    Parameters
    ----------
    plot : callable
        Draws a figure from keyword arguments (e.g. a `segkit.viz` function).
    **widgets
        ipywidgets abbreviations, e.g. ``noise=(0.0, 2.0, 0.25)``, widgets, or
        ``ipywidgets.fixed(value)`` for data.

    Returns
    -------
    ipywidgets.interactive
        Display it (the last expression of a notebook cell).

    Examples
    --------
    >>> import contextlib, io, matplotlib.pyplot as plt
    >>> with contextlib.redirect_stdout(io.StringIO()):  # outside Jupyter it draws as text
    ...     panel = interact_plot(lambda n: plt.plot(range(n)), n=(1, 10))
    >>> slider = panel.children[0]
    >>> slider.description, slider.continuous_update, slider.style.description_width
    ('n', False, 'initial')
    """
    import ipywidgets
    import matplotlib.pyplot as plt

    def _draw(**kwargs):
        plot(**kwargs)
        plt.show()

    panel = ipywidgets.interactive(_draw, **widgets)
    for control in panel.children[:-1]:  # the last child is the output
        if hasattr(control, "continuous_update"):
            control.continuous_update = False
        if hasattr(control, "style") and hasattr(control.style, "description_width"):
            control.style.description_width = "initial"
    return panel


def experiment_panel(data, *, defaults=None):
    """ipywidgets panel: set the knobs, press Train, read the validation and test Dice.

    Introduced in notebook 05. Each press calls `segkit.experiments.run_experiment` (which
    clears the Keras session first) with the widgets' values; results accumulate in a table
    (a DataFrame) below the button.

    Parameters
    ----------
    data : dict
        As for `segkit.experiments.run_experiment` (keep it small: a press should take
        seconds to a minute).
    defaults : dict, optional
        Initial widget values: ``learning_rate``, ``epsilon``, ``batch_size``, ``depth``,
        ``base_filters``, ``loss``, ``normalization``, ``epochs``, ``architecture``.

    Returns
    -------
    ipywidgets.VBox

    Examples
    --------
    >>> panel = experiment_panel({}, defaults={"depth": 3})
    >>> type(panel).__name__
    'VBox'
    """
    import ipywidgets as widgets
    import pandas as pd
    from IPython.display import display

    from ..experiments import run_experiment

    d = {"learning_rate": 1e-3, "epsilon": 1e-7, "batch_size": 8, "depth": 2,
         "base_filters": 8, "loss": "dice", "normalization": "percentile", "epochs": 3,
         "architecture": "unet", **(defaults or {})}
    style = {"description_width": "110px"}
    knobs = {
        "learning_rate": widgets.FloatLogSlider(value=d["learning_rate"], base=10, min=-5,
                                                max=-1, description="learning rate",
                                                style=style),
        "epsilon": widgets.FloatLogSlider(value=d["epsilon"], base=10, min=-8, max=0,
                                          description="Adam epsilon", style=style),
        "batch_size": widgets.Dropdown(options=[2, 4, 8, 16, 32], value=d["batch_size"],
                                       description="batch size", style=style),
        "depth": widgets.IntSlider(value=d["depth"], min=1, max=5, description="depth",
                                   style=style),
        "base_filters": widgets.Dropdown(options=[2, 4, 8, 16, 32], value=d["base_filters"],
                                         description="base filters", style=style),
        "loss": widgets.Dropdown(options=["dice", "log_dice", "bce", "bce_dice", "focal",
                                          "jaccard"], value=d["loss"], description="loss",
                                 style=style),
        "normalization": widgets.Dropdown(options=["percentile", "minmax", "none"],
                                          value=d["normalization"],
                                          description="normalisation", style=style),
        "epochs": widgets.IntSlider(value=d["epochs"], min=1, max=30, description="epochs",
                                    style=style),
        "architecture": widgets.Dropdown(options=["unet", "segnet"], value=d["architecture"],
                                         description="architecture", style=style),
    }
    button = widgets.Button(description="Train", button_style="primary")
    out = widgets.Output()
    rows = []

    def on_click(_):
        button.disabled = True
        try:
            params = {k: w.value for k, w in knobs.items()}
            with out:
                out.clear_output()
                print("training ...")
            scores, _ = run_experiment(data, **params)
            rows.append({**params, **scores})
            with out:
                out.clear_output()
                display(pd.DataFrame(rows))
        finally:
            button.disabled = False

    button.on_click(on_click)
    return widgets.VBox([widgets.HBox([widgets.VBox(list(knobs.values())[:5]),
                                       widgets.VBox(list(knobs.values())[5:] + [button])]),
                         out])

"""Score figures: the confusion matrix, the ROC curve, learning curves.

Introduced in notebook 05 (learning curves) and 07 (confusion matrix, ROC).
"""

import numpy as np

from .._validate import check_choice, describe
from ..metrics.pixel import Confusion

__all__ = ["plot_confusion", "plot_roc", "plot_history"]


def plot_confusion(counts, *, ax=None, normalize=True, title=None, layout="sklearn"):
    """Draw a pooled `segkit.metrics.Confusion` as a 2 x 2 heat map with counts and
    percentages.

    Parameters
    ----------
    counts : Confusion
        From `segkit.metrics.confusion`.
    ax : matplotlib.axes.Axes, optional
    normalize : bool
        Colour by fraction of all pixels (the text shows both).
    title : str, optional
    layout : {"sklearn", "tp-first"}
        ``[[TN, FP], [FN, TP]]`` (scikit-learn) or ``[[TP, FN], [FP, TN]]`` (Nyawira &
        Bushman); the title says which.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if not isinstance(counts, Confusion):
        raise TypeError(f"`counts` must be a Confusion (from segkit.metrics.confusion), "
                        f"got {describe(counts)}")
    check_choice(layout, "layout", ("sklearn", "tp-first"))
    m = counts.matrix(layout=layout)
    frac = m / m.sum()
    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 3.2))
    ax.imshow(frac if normalize else m, cmap="Blues", vmin=0)
    names = [["TN", "FP"], ["FN", "TP"]] if layout == "sklearn" else [["TP", "FN"], ["FP", "TN"]]
    classes = ["background", "foreground"] if layout == "sklearn" else ["foreground",
                                                                           "background"]
    for i in range(2):
        for j in range(2):
            ax.text(j, i, f"{names[i][j]}\n{m[i, j]:,}\n{100 * frac[i, j]:.2f} %",
                    ha="center", va="center",
                    color="white" if frac[i, j] > 0.5 * frac.max() else "black")
    ax.set_xticks([0, 1], classes)
    ax.set_yticks([0, 1], classes)
    ax.set_xlabel("prediction")
    ax.set_ylabel("ground truth")
    layout_name = ("scikit-learn layout" if layout == "sklearn" else
                   "layout of Nyawira & Bushman")
    ax.set_title(f"{title}\n({layout_name})" if title else f"({layout_name})")
    return ax


def plot_roc(y_true, y_score, *, ax=None, label="scores", threshold=None):
    """Draw the ROC curve of a score map, its AUROC, the chance diagonal and, when
    `threshold` is given, the single operating point whose area is the balanced AUROC.

    Parameters
    ----------
    y_true, y_score
        As in `segkit.metrics.roc_auc`.
    ax : matplotlib.axes.Axes, optional
    label : str
        Legend label of the curve.
    threshold : float, optional
        Also draw the operating point of this threshold.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    from ..metrics import confusion, roc_auc, roc_curve

    f, t, _ = roc_curve(y_true, y_score)
    if f.size > 4000:  # millions of points draw slowly and look the same: thin them out
        keep = np.unique(np.linspace(0, f.size - 1, 4000).astype(int))
        f, t = f[keep], t[keep]
    if ax is None:
        _, ax = plt.subplots(figsize=(3.8, 3.6))
    ax.plot(f, t, label=f"{label} (AUROC {roc_auc(y_true, y_score):.3f})")
    ax.plot([0, 1], [0, 1], ls=":", c="grey", label="chance")
    if threshold is not None:
        c = confusion(y_true, y_score, threshold=threshold)
        x, y = c.fpr(), c.recall()
        ax.plot([0, x, 1], [0, y, 1], ls="--", c="C1", lw=1,
                label=f"threshold {threshold:g} (balanced AUROC {c.balanced_auroc():.3f})")
        ax.plot([x], [y], "o", c="C1")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_aspect("equal")
    ax.legend(loc="lower right")
    return ax


def plot_history(history, *, keys=("loss", "dice"), axes=None):
    """Learning curves: each key per epoch, on the training and the validation data.

    Parameters
    ----------
    history : keras.callbacks.History or dict
        From `segkit.train.train` (or its ``.history`` dict).
    keys : sequence of str
        One panel each; ``"val_" + key`` is drawn too when present. A key missing from the
        history is an error that lists the keys there are.
    axes : sequence of matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_history({"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]}, keys=["loss"])
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['training', 'validation']
    """
    import matplotlib.pyplot as plt

    h = getattr(history, "history", history)
    if not isinstance(h, dict):
        raise TypeError(f"`history` must be a keras History or a dict of per-epoch values, "
                        f"got {describe(history)}")
    missing = [k for k in keys if k not in h]
    if missing:
        raise ValueError(f"`keys` {missing} are not in the history; it has {sorted(h)}")
    if axes is None:
        fig, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.2), squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    for ax, key in zip(axes, keys):
        epochs = np.arange(1, len(h[key]) + 1)
        ax.plot(epochs, h[key], "o-", label="training")
        if f"val_{key}" in h:
            ax.plot(epochs, h[f"val_{key}"], "o-", label="validation")
        ax.set(xlabel="epoch", title=key)
        ax.legend()
    return fig

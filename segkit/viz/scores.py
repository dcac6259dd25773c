"""Score figures: the confusion matrix, the ROC curve, learning curves, and the two figures
that notebook 07's sliders drive (`plot_threshold`, `show_degraded`).

Introduced in notebook 05 (learning curves) and 07 (confusion matrix, ROC, sliders).
"""

import numpy as np

from .._validate import check_choice, describe
from ..metrics.pixel import Confusion

__all__ = ["plot_confusion", "plot_roc", "plot_history", "plot_threshold", "show_degraded"]


def plot_confusion(counts, *, ax=None, normalize=True, title=None, layout="sklearn"):
    """Draw a pooled `segkit.metrics.Confusion` as a 2 x 2 heat map with counts and
    percentages.

    Parameters
    ----------
    counts : Confusion
        From `segkit.metrics.confusion`, or built from fractions of all pixels (then only the
        percentages are shown).
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

    Examples
    --------
    >>> from segkit import metrics
    >>> ax = plot_confusion(metrics.confusion([[1, 1, 0, 0]], [[1, 0, 0, 1]]),
    ...                     layout="tp-first")
    >>> [t.get_text().split()[0] for t in ax.texts], ax.get_title()
    (['TP', 'FN', 'FP', 'TN'], '(layout of Nyawira & Bushman)')
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
    counts = m.dtype.kind == "i"  # fractions of all pixels (floats) show as percentages only
    for i in range(2):
        for j in range(2):
            shown = f"{m[i, j]:,}\n" if counts else ""
            ax.text(j, i, f"{names[i][j]}\n{shown}{100 * frac[i, j]:.2f} %",
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

    Examples
    --------
    >>> ax = plot_roc([[0, 0, 1, 1]], [[0.1, 0.4, 0.35, 0.8]], threshold=0.5)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['scores (AUROC 0.750)', 'chance', 'threshold 0.5 (balanced AUROC 0.750)']
    """
    import matplotlib.pyplot as plt

    from ..metrics import confusion
    from ..metrics.curves import _roc_curve

    f, t, _ = _roc_curve(y_true, y_score)
    # the trapezoid area of the whole curve is the rank AUROC of `segkit.metrics.roc_auc`
    # (to rounding), without sorting the scores a second time
    auc = float(np.sum(np.diff(f) * (t[1:] + t[:-1]) / 2))
    if f.size > 4000:  # millions of points draw slowly and look the same: thin them out
        keep = np.unique(np.linspace(0, f.size - 1, 4000).astype(int))
        f, t = f[keep], t[keep]
    if ax is None:
        _, ax = plt.subplots(figsize=(3.8, 3.6))
    ax.plot(f, t, label=f"{label} (AUROC {auc:.3f})")
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


# ============================================================================ notebook 07 sliders
# Figure functions that `segkit.widgets.interact_plot` drives with sliders (notebook 07 §9):
# every argument a slider sets is a keyword, the data are fixed.


def plot_threshold(y_true, y_score, *, threshold=0.5, layout="tp-first", scale="landis-koch"):
    """One threshold of a probability map: its confusion matrix, its point on the ROC curve, and
    its scores.

    Moving `threshold` (a slider in notebook 07) trades false positives for false negatives:
    the matrix shows the counts, the ROC curve the operating point whose area is the balanced
    AUROC, and the title FPR, FNR, Dice and Cohen's kappa with its reading.

    Parameters
    ----------
    y_true : (H, W), (N, H, W) or (N, H, W, 1) ndarray
        Binary ground truth with both classes.
    y_score : float ndarray of the same shape
        Probabilities in [0, 1]; foreground where ``y_score >= threshold``.
    threshold : float in [0, 1]
    layout : {"tp-first", "sklearn"}
        Of the confusion matrix (`plot_confusion`); ``"tp-first"`` is Nyawira & Bushman's.
    scale : str
        Kappa reading, as `segkit.metrics.interpret_kappa`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> t = np.array([[1, 1, 0, 0, 0]])
    >>> fig = plot_threshold(t, np.array([[0.9, 0.4, 0.6, 0.2, 0.1]]), threshold=0.5)
    >>> fig._suptitle.get_text()
    'threshold 0.50: FPR 0.3333  FNR 0.5000  Dice 0.5000  kappa 0.1667 (slight)'
    """
    import matplotlib.pyplot as plt

    from ..metrics import confusion, interpret_kappa
    from ..metrics._common import _threshold

    threshold = _threshold(threshold)
    c = confusion(y_true, y_score, threshold=threshold)
    c.balanced_auroc()  # both classes, or an error that says so, before drawing
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 4.4), gridspec_kw={"width_ratios": [1, 1.1]})
    plot_confusion(c, ax=axes[0], layout=layout)
    plot_roc(y_true, y_score, ax=axes[1], threshold=threshold)
    k = c.cohen_kappa()
    fig.suptitle(f"threshold {threshold:.2f}: FPR {c.fpr():.4f}  FNR {c.fnr():.4f}  "
                 f"Dice {c.dice():.4f}  kappa {k:.4f} ({interpret_kappa(k, scale=scale)})")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def show_degraded(image, mask, labels, *, erode=0, dilate=0, noise=0.0, miss_rate=0.0,
                  rng=0, zoom=None):
    """A mask and a label image with the same controlled mistakes, and how the pixel and the
    object scores respond.

    `mask` is degraded with `segkit.synthetic.degrade_mask` and drawn over `image` (truth
    green, degraded red), titled with Dice, kappa, FPR and FNR; `labels` with
    `segkit.synthetic.degrade_labels`, titled with SEG, AP50 and AP (StarDist definition)
    and the number of objects found. Notebook 07 moves the mistakes with sliders.

    Parameters
    ----------
    image : (H, W) ndarray
        The slice under `mask`.
    mask : (H, W) ndarray
        Its binary ground truth.
    labels : (M, N) int ndarray
        A reference label image (another image may be used, e.g. touching particles).
    erode, dilate, noise, miss_rate, rng
        As in `segkit.synthetic.degrade_mask`.
    zoom : (row, col, height, width), optional
        Also show that window of `image` at full resolution.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> img = np.zeros((20, 20)); m = np.zeros((20, 20), bool); m[5:15, 5:15] = True
    >>> lab = np.zeros((20, 20), int); lab[2:8, 2:8] = 1; lab[10:18, 10:18] = 2
    >>> fig = show_degraded(img, m, lab, miss_rate=1.0)
    >>> [ax.get_title().split(chr(10))[0] for ax in fig.axes]
    ['Dice 0.000  kappa 0.000  FPR 0.0000  FNR 1.000', 'SEG 0.000  AP50 0.000  AP 0.000']
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from .. import metrics, synthetic
    from .._validate import as_array, check_int, check_same_shape
    from .images import _panel

    image = np.squeeze(as_array(image, "image"))
    m = np.squeeze(as_array(mask, "mask"))
    check_same_shape(image, "image", m, "mask")
    if image.ndim != 2:
        raise ValueError(f"`image` must be one 2-D slice, got {describe(image)}")
    kw = dict(erode=erode, dilate=dilate, noise=noise, miss_rate=miss_rate, rng=rng)
    pm = synthetic.degrade_mask(m, **kw)
    lab = synthetic.degrade_labels(labels, **kw)
    truth = np.squeeze(labels)
    c = metrics.confusion(m, pm)
    table = metrics.contingency_table(truth, lab)
    ap = metrics.average_precision(table=table, definition="stardist")
    report = metrics.object_report(table=table)
    seg = metrics.seg_score(table=table) if table.n_true else float("nan")
    pixel_title = (f"Dice {c.dice():.3f}  kappa {c.cohen_kappa():.3f}  FPR {c.fpr():.4f}  "
                   f"FNR {c.fnr():.3f}")
    object_title = (f"SEG {seg:.3f}  AP50 {ap.ap50:.3f}  AP {ap.ap:.3f}\n"
                    f"{report.found} of {report.n_true} found, {report.extra} false")
    em = {"image": image, "outlines": [(m, (0.1, 0.9, 0.1)), (pm, (1.0, 0.2, 0.2))]}
    panels = [(pixel_title, em, (slice(None), slice(None)))]
    if zoom is not None:
        r, col, h, w = (check_int(v, "zoom", minimum=0) for v in zoom)
        panels.append(("(zoom)", em, (slice(r, r + h), slice(col, col + w))))
    panels.append((object_title, {"labels": lab}, (slice(None), slice(None))))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.0), squeeze=False)
    for ax, (title, spec, window) in zip(axes[0], panels):
        _panel(ax, spec, title, window)
    if zoom is not None:
        axes[0, 0].add_patch(Rectangle((col - 0.5, r - 0.5), w, h, fill=False, ec="yellow",
                                       lw=1))
    fig.tight_layout()
    return fig

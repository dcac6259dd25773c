"""Tests of segkit.viz: the figures draw what they are given, and refuse what they cannot."""

import numpy as np
import pytest

from segkit import metrics as M
from segkit import viz


def test_plots_draw():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(6)
    t = rng.random((2, 8, 8)) > 0.5
    s = np.clip(t + rng.normal(0, 0.4, t.shape), 0, 1)
    ax = viz.plot_confusion(M.confusion(t, s), title="c")
    assert len(ax.texts) == 4
    ax = viz.plot_roc(t, s, threshold=0.5)
    assert ax.get_legend().get_texts()[0].get_text() == f"scores (AUROC {M.roc_auc(t, s):.3f})"
    ties = np.round(s, 1)  # the trapezoid of the curve is the rank AUROC, ties included
    ax = viz.plot_roc(t, ties)
    assert ax.get_legend().get_texts()[0].get_text() == \
        f"scores (AUROC {M.roc_auc(t, ties):.3f})"
    plt.close("all")
    with pytest.raises(TypeError, match="`counts` must be a Confusion"):
        viz.plot_confusion(np.zeros((2, 2)))
    ax = viz.plot_confusion(M.confusion(t, s), layout="tp-first")
    assert [x.get_text() for x in ax.get_xticklabels()] == ["foreground", "background"]
    assert "Nyawira & Bushman" in ax.get_title()
    assert ax.texts[0].get_text().startswith("TP")


def test_show_images_panels_and_zoom():
    img = np.arange(40 * 60, dtype=float).reshape(40, 60)
    mask = np.zeros((40, 60), bool)
    mask[10:20, 10:30] = True
    labels = mask.astype(int)
    fig = viz.show_images({"a": img, "b": {"image": img, "outlines": [(mask, (0, 1, 0))]},
                           "c": {"image": img, "labels": labels, "points": [[0, 15, 20]]},
                           "p": {"image": img / img.max(), "cmap": "magma", "vmin": 0,
                                 "vmax": 1, "colorbar": True}}, zoom=(5, 5, 20, 20))
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["a", "a (zoom)", "b", "b (zoom)", "c", "c (zoom)", "p", "p (zoom)"]
    zoomed = fig.axes[1].images[0].get_array()
    assert zoomed.shape == (20, 20) and zoomed[0, 0] == img[5, 5]
    with pytest.raises(ValueError, match=r"panel 'x' has unknown key\(s\) \['colour'\]"):
        viz.show_images({"x": {"image": img, "colour": "red"}})
    with pytest.raises(TypeError, match="`panels` must be a non-empty dict"):
        viz.show_images([img])


def test_label_images_have_a_transparent_background():
    from segkit.viz.images import _label_rgba

    rgba = _label_rgba(np.array([[0, 1], [2, 0]]), alpha=0.5)
    assert rgba[0, 0, 3] == 0 and rgba[1, 1, 3] == 0 and rgba[0, 1, 3] == 0.5
    assert not np.array_equal(rgba[0, 1, :3], rgba[1, 0, :3])


def test_plot_history():
    fig = viz.plot_history({"loss": [1.0, 0.5], "val_loss": [1.2, 0.8], "dice": [0.1, 0.4]},
                           keys=["loss", "dice"])
    assert [ax.get_title() for ax in fig.axes] == ["loss", "dice"]
    assert len(fig.axes[1].lines) == 1  # no validation Dice in this history
    with pytest.raises(ValueError, match=r"`keys` \['iou'\] are not in the history"):
        viz.plot_history({"loss": [1.0]}, keys=["iou"])


# ============================================================================ notebook 07 sliders
def test_plot_confusion_of_fractions_shows_percentages_only():
    import matplotlib.pyplot as plt

    ax = viz.plot_confusion(M.Confusion(tp=0.03, fn=0.01, fp=0.02, tn=0.94), layout="tp-first")
    assert [t.get_text() for t in ax.texts] == ["TP\n3.00 %", "FN\n1.00 %", "FP\n2.00 %",
                                                "TN\n94.00 %"]
    ax = viz.plot_confusion(M.confusion([[1, 1, 0, 0]], [[1, 0, 0, 1]]))
    assert ax.texts[0].get_text() == "TN\n1\n25.00 %"  # counts keep their count line
    plt.close("all")


def test_plot_threshold_shows_the_matrix_the_operating_point_and_the_scores():
    import matplotlib.pyplot as plt

    t = np.array([[1, 1, 0, 0, 0]])
    s = np.array([[0.9, 0.4, 0.6, 0.2, 0.1]])
    fig = viz.plot_threshold(t, s, threshold=0.3)  # foreground 0.9, 0.4, 0.6: FP 1, FN 0
    matrix, roc = fig.axes
    assert [x.get_text().split("\n")[:2] for x in matrix.texts] == \
        [["TP", "2"], ["FN", "0"], ["FP", "1"], ["TN", "2"]]
    assert "balanced AUROC 0.833" in roc.get_legend().get_texts()[-1].get_text()
    assert fig._suptitle.get_text().startswith("threshold 0.30: FPR 0.3333  FNR 0.0000")
    fig = viz.plot_threshold(t, s, threshold=0.95, layout="sklearn", scale="nyawira-bushman")
    assert fig._suptitle.get_text().endswith("kappa 0.0000 (slight agreement)")
    plt.close("all")
    with pytest.raises(ValueError, match="`threshold` must be"):
        viz.plot_threshold(t, s, threshold=1.5)
    with pytest.raises(ValueError, match="AUROC needs both classes"):
        viz.plot_threshold(np.zeros((1, 5), int), s)


def test_show_degraded_titles_follow_the_mistakes():
    import matplotlib.pyplot as plt

    img = np.zeros((20, 20))
    m = np.zeros((20, 20), bool)
    m[4:16, 4:16] = True
    lab = np.zeros((20, 20), int)
    lab[2:8, 2:8], lab[10:18, 10:18] = 1, 2
    fig = viz.show_degraded(img, m, lab)
    assert [ax.get_title() for ax in fig.axes] == [
        "Dice 1.000  kappa 1.000  FPR 0.0000  FNR 0.000",
        "SEG 1.000  AP50 1.000  AP 1.000\n2 of 2 found, 0 false"]
    fig = viz.show_degraded(img, m, lab, erode=1, zoom=(2, 2, 8, 8))
    pixel, zoom, objects = fig.axes
    # 12 x 12 eroded to 10 x 10: Dice 200 / 244, FNR 44 / 144
    assert pixel.get_title() == "Dice 0.820  kappa 0.744  FPR 0.0000  FNR 0.306"
    assert zoom.get_title() == "(zoom)" and zoom.images[0].get_array().shape[:2] == (8, 8)
    # 6 x 6 -> 4 x 4 (IoU 16/36, under half: SEG 0), 8 x 8 -> 6 x 6 (IoU 36/64): SEG 0.28125;
    # at IoU 0.5 one TP, one FP, one FN: AP50 1/3
    assert objects.get_title().startswith("SEG 0.281  AP50 0.333")
    plt.close("all")
    with pytest.raises(ValueError, match=r"`mask` \(shape \(3, 3\)\) must have the same shape"):
        viz.show_degraded(img, np.zeros((3, 3), bool), lab)
    with pytest.raises(ValueError, match="`erode` must be >= 0"):
        viz.show_degraded(img, m, lab, erode=-1)

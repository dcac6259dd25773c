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
    assert "AUROC" in ax.get_legend().get_texts()[0].get_text()
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


def test_show_orthogonal_cuts_the_stack_through_the_point():
    vol = np.arange(5 * 30 * 40, dtype=float).reshape(5, 30, 40)
    masks = np.zeros(vol.shape, np.uint8)
    masks[1:4, 5:15, 10:30] = 1
    fig = viz.show_orthogonal(vol[..., None], masks, point=(2, 10, 20))
    xy, xz, yz = (ax.images[0].get_array() for ax in fig.axes)
    assert xy.shape[:2] == (30, 40) and xz.shape[:2] == (5, 40) and yz.shape[:2] == (30, 5)
    # one grey scale for the three planes: the planes' pixels keep their order
    assert xz[0, 0, 0] < xy[0, 0, 0] < yz[0, -1, 0]
    assert (xy[5, 10] == (1.0, 0.2, 0.2)).all()          # the mask's corner is outlined
    fig = viz.show_orthogonal(vol, point=(4, 12, 8), window=(10, 0, 10, 20), z_scale=2.0)
    xy, xz, yz = (ax.images[0].get_array() for ax in fig.axes)
    assert xy.shape[:2] == (10, 20) and xz.shape[:2] == (5, 20) and yz.shape[:2] == (10, 5)
    assert fig.axes[1].get_aspect() == 2.0
    assert [ax.get_title() for ax in fig.axes] == ["x-y: slice 4", "", "y-z: column 8"]
    assert fig.axes[1].get_ylabel().startswith("x-z: row 12\n")
    import matplotlib.pyplot as plt
    plt.close("all")


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(point=(5, 0, 0)), ValueError, r"`point` \(5, 0, 0\) must lie inside the stack"),
    (dict(point=(0, 0)), ValueError, r"`point` must be \(z, y, x\)"),
    (dict(window=(0, 0, 40, 10)), ValueError, r"`window` \(0, 0, 40, 10\) must be a non-empty"),
    (dict(point=(0, 0, 0), window=(5, 5, 10, 10)), ValueError,
     r"`point` \(0, 0, 0\) must lie inside `window`"),
    (dict(z_scale=0), ValueError, r"`z_scale`"),
    (dict(masks=np.zeros((5, 30, 41))), ValueError, r"`masks` \(shape \(5, 30, 41\)\) must have"),
])
def test_show_orthogonal_refuses(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        viz.show_orthogonal(np.zeros((5, 30, 40)), **kwargs)

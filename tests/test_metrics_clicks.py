"""Tests of segkit.metrics.clicks: weak labels scored per click and per image."""

import warnings

import numpy as np
import pytest

from segkit import metrics, synthetic, weak
from segkit.metrics import click_scores


def two_objects():
    """Two 4 x 4 objects one column apart on a 6 x 11 background."""
    true = np.zeros((6, 11), int)
    true[1:5, 1:5] = 1
    true[1:5, 6:10] = 2
    return true


def test_hand_worked_leak():
    # region of click 0: its object (16 px), the gap column (4 px), one column of object 2
    true = two_objects()
    pred = np.zeros_like(true)
    pred[1:5, 1:7] = 1
    s = click_scores(true, pred, [(2, 2), (2, 8)])
    row0, row1 = s.per_click.iloc[0], s.per_click.iloc[1]
    assert (row0.true_id, row0.true_area, row0.region_area) == (1, 16, 24)
    assert row0.dice == pytest.approx(2 * 16 / (16 + 24))
    # kappa in the object's box plus 8 px (the whole 6 x 11 image): TP 16, FP 8, FN 0, TN 42
    pa, pc = (16 + 42) / 66, (16 * 24 + 50 * 42) / 66 ** 2
    assert row0.kappa == pytest.approx((pa - pc) / (1 - pc))
    assert (row1.region_area, row1.dice, row1.kappa) == (0, 0.0, 0.0)
    # per image: TP 20, FP 4, FN 12
    assert s.per_image.dice[0] == pytest.approx(40 / 56)
    assert s.summary() == pytest.approx({
        "clicks": 2, "lost": 1, "dice_per_click": 0.4, "kappa_per_click": row0.kappa / 2,
        "dice_per_image": 40 / 56, "kappa_per_image": s.per_image.kappa[0]})
    assert str(s).startswith("per click: Dice 0.400, kappa 0.359 (1 of 2 clicks without a "
                             "region) | per image: Dice 0.714")


def test_margin_sets_the_kappa_window():
    true = two_objects()
    pred = np.zeros_like(true)
    pred[1:5, 1:7] = 1
    tight = click_scores(true, pred, [(2, 2), (2, 8)], margin=0).per_click.kappa[0]
    # inside the object's own box every pixel is object and region: the same constant
    assert tight == 1.0
    assert click_scores(true, pred, [(2, 2), (2, 8)], margin=1).per_click.kappa[0] < 1.0


def test_perfect_weak_labels_score_one_everywhere():
    images, labels, _ = synthetic.make_cells(2, (64, 64), seed=0, n_cells=6)
    pts, ids = weak.click_points(labels, return_ids=True)
    pred = np.zeros_like(labels)
    for k, (z, _, _) in enumerate(pts):
        pred[z][labels[z] == ids[k]] = k + 1
    s = click_scores(labels, pred, pts)
    assert (s.per_click.dice == 1).all() and (s.per_click.kappa == 1).all()
    assert (s.per_image.dice == 1).all() and (s.per_image.kappa == 1).all()
    assert list(s.per_image.image) == [0, 1] and s.summary()["lost"] == 0
    nhwc = click_scores(labels[..., None], pred[..., None], pts)
    assert nhwc.summary() == s.summary()


def test_per_click_dice_agrees_with_metrics_dice():
    images, labels, _ = synthetic.make_cells(2, (96, 96), seed=1, n_cells=8)
    pts, ids = weak.click_points(labels, jitter=3, rng=0, return_ids=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grown = weak.region_grow(images, pts, threshold=0.15)
    s = click_scores(labels, grown, pts, ids=ids)
    for k, (z, _, _) in enumerate(pts):
        assert s.per_click.dice[k] == pytest.approx(
            metrics.dice(labels[z] == ids[k], grown[z] == k + 1, zero_division=0.0))
    c = metrics.confusion(labels > 0, grown > 0, per_image=True)
    np.testing.assert_allclose(s.per_image.kappa, c.cohen_kappa())


def test_ids_are_needed_for_a_click_off_its_object():
    true = two_objects()
    pred = np.zeros_like(true)
    with pytest.raises(ValueError, match=r"point 1 \(0, 0\) is on the background of "
                                         r"`true_labels`; pass `ids`"):
        click_scores(true, pred, [(2, 2), (0, 0)])
    s = click_scores(true, pred, [(2, 2), (0, 0)], ids=[1, 2])
    assert s.per_click.true_id.tolist() == [1, 2] and s.summary()["lost"] == 2


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(pred_labels=np.zeros((6, 10), int)), ValueError,
     r"`pred_labels` \(shape \(1, 6, 10\)\) must have the same shape as `true_labels`"),
    (dict(points=[(2, 2), (6, 0)]), ValueError, r"point 1 \(6, 0\) is outside the labels of "
                                                r"shape \(6, 11\)"),
    (dict(points=[(0, 2, 2)]), ValueError, r"`points` must be \(P, 2\): \(row, col\)"),
    (dict(points=[(2.5, 2)]), ValueError, r"`points` must hold whole pixel coordinates"),
    (dict(ids=[1]), ValueError, r"`ids` must be one whole number per point \(2\)"),
    (dict(ids=[1, 3]), ValueError, r"`ids\[1\]` = 3 is not an object of `true_labels` "
                                   r"\(1 to 2\)"),
    (dict(margin=-1), ValueError, r"`margin` must be >= 0"),
    (dict(pred_labels=np.full((6, 11), 3)), ValueError,
     r"`pred_labels` has label 3 but there are only 2 points"),
    (dict(pred_labels=np.zeros((6, 11))), TypeError, r"`pred_labels` must be an integer label"),
])
def test_bad_input_is_named(kwargs, error, message):
    args = dict(true_labels=two_objects(), pred_labels=np.zeros((6, 11), int),
                points=[(2, 2), (2, 8)])
    args.update(kwargs)
    pts = args.pop("points")
    with pytest.raises(error, match=message):
        click_scores(args.pop("true_labels"), args.pop("pred_labels"), pts, **args)

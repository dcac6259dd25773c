"""Tests of segkit.losses: hand-computed values on tiny tensors, metrics, the weight map."""

import keras
import numpy as np
import pytest

from segkit import losses as L


def square():
    y = np.zeros((1, 4, 4, 1), "float32")
    y[0, 1:3, 1:3] = 1
    return y


def value(loss, y_true, y_pred):
    return float(np.asarray(loss(y_true, y_pred)))


@pytest.mark.parametrize("name", ["dice", "log_dice", "jaccard", "bce", "focal", "weighted_bce",
                                  "bce_dice", "mae", "mse"])
def test_perfect_prediction_gives_zero(name):
    y = square()
    assert value(L.get_loss(name), y, y) == pytest.approx(0.0, abs=1e-5)


def test_dice_half_prediction_by_hand():
    # 4 foreground pixels, p = 0.5 everywhere: 2*2 / (4 + 8) = 1/3
    y, p = square(), np.full((1, 4, 4, 1), 0.5, "float32")
    assert value(L.get_loss("dice", smooth=0), y, p) == pytest.approx(1 - 1 / 3, rel=1e-6)
    assert value(L.get_loss("log_dice", smooth=0), y, p) == pytest.approx(np.log(3), rel=1e-6)
    # IoU = 2 / (4 + 8 - 2) = 0.2
    assert value(L.get_loss("jaccard", smooth=0), y, p) == pytest.approx(0.8, rel=1e-6)


def test_dice_with_smoothing_by_hand():
    y, p = square(), np.zeros((1, 4, 4, 1), "float32")
    assert value(L.get_loss("dice", smooth=1), y, p) == pytest.approx(1 - 1 / 5, rel=1e-6)
    # both empty: a perfect score, not 0/0
    assert value(L.get_loss("dice", smooth=1), p, p) == pytest.approx(0.0, abs=1e-7)


def test_crossentropy_and_focal_by_hand():
    y, p = square(), np.full((1, 4, 4, 1), 0.5, "float32")
    assert value(L.get_loss("bce"), y, p) == pytest.approx(np.log(2), rel=1e-6)
    assert value(L.get_loss("focal", gamma=2), y, p) == pytest.approx(0.25 * np.log(2), rel=1e-6)
    assert value(L.get_loss("focal", gamma=0), y, p) == pytest.approx(np.log(2), rel=1e-6)
    # alpha = 0.25 weights 4 foreground pixels by 0.25 and 12 background pixels by 0.75
    expected = (4 * 0.25 + 12 * 0.75) / 16 * 0.25 * np.log(2)
    assert value(L.get_loss("focal", gamma=2, alpha=0.25), y, p) == pytest.approx(expected, rel=1e-6)


def test_focal_down_weights_easy_pixels():
    y = square()
    easy = np.where(y > 0, 0.9, 0.1).astype("float32")
    ratio = value(L.get_loss("focal", gamma=2), y, easy) / value(L.get_loss("bce"), y, easy)
    assert ratio == pytest.approx(0.01, rel=1e-4)  # (1 - 0.9)**2


def test_multiclass_integer_labels_equal_one_hot():
    labels = np.array([[0, 1], [2, 1]])[None, ..., None].astype("float32")
    onehot = np.eye(3, dtype="float32")[labels[..., 0].astype(int)]
    pred = np.full((1, 2, 2, 3), 1 / 3, "float32")
    for name in ("dice", "bce", "jaccard"):
        loss = L.get_loss(name)
        assert value(loss, labels, pred) == pytest.approx(value(loss, onehot, pred), rel=1e-6)
    assert value(L.get_loss("bce"), labels, pred) == pytest.approx(np.log(3), rel=1e-6)
    assert value(L.get_loss("dice"), labels, onehot) == pytest.approx(0.0, abs=1e-6)


def test_weighted_bce_uses_the_weight_channel():
    y, p = square(), np.full((1, 4, 4, 1), 0.5, "float32")
    target = np.concatenate([y, np.full_like(y, 3.0)], axis=-1)
    assert value(L.get_loss("weighted_bce"), target, p) == pytest.approx(3 * np.log(2), rel=1e-6)
    assert value(L.get_loss("weighted_bce"), y, p) == pytest.approx(np.log(2), rel=1e-6)


@pytest.mark.parametrize("metric, expected", [(L._DiceMetric, 2 * 2 / (4 + 3)),
                                              (L._IoUMetric, 2 / 5)])
def test_metrics_threshold_and_accumulate(metric, expected):
    y = square()
    p = np.zeros_like(y)
    p[0, 1, 1:3] = 0.6  # 2 true positives
    p[0, 0, 0] = 0.7  # 1 false positive
    p[0, 2, 1] = 0.4  # below threshold
    m = metric(threshold=0.5)
    m.update_state(y, p)
    assert float(m.result()) == pytest.approx(expected, rel=1e-6)
    m.update_state(y, y)  # the second batch adds 4 | 4 + 4
    inter, total = 2 + 4, 7 + 8
    want = 2 * inter / total if metric is L._DiceMetric else inter / (total - inter)
    assert float(m.result()) == pytest.approx(want, rel=1e-6)
    m.reset_state()
    assert float(m.result()) == 1.0


def test_metric_ignores_weight_channel():
    y = square()
    m = L._DiceMetric()
    m.update_state(np.concatenate([y, np.full_like(y, 5)], -1), y)
    assert float(m.result()) == 1.0


@pytest.mark.parametrize("obj", [L.get_loss("dice", smooth=2.0), L.get_loss("log_dice"),
                                 L.get_loss("jaccard"), L.get_loss("focal", gamma=1.5, alpha=0.3),
                                 L.get_loss("weighted_bce"), L.get_loss("bce"),
                                 L.get_loss("bce_dice", smooth=0.5), L.get_loss("mae"),
                                 L._DiceMetric(threshold=0.3), L._IoUMetric(threshold=0.7)])
def test_serialisable(obj):
    config = keras.saving.serialize_keras_object(obj)
    assert config["registered_name"].startswith("segkit>")
    again = keras.saving.deserialize_keras_object(config)
    assert type(again) is type(obj)
    assert again.get_config() == obj.get_config()


def test_get_loss():
    assert L.get_loss("log_dice").kind == "log_dice"
    fn = keras.losses.BinaryCrossentropy()
    assert L.get_loss(fn) is fn
    with pytest.raises(ValueError, match="`loss` must be one of"):
        L.get_loss("dise")
    with pytest.raises(TypeError, match="`loss` must be a name of segkit.losses.LOSSES or a "
                                        "callable"):
        L.get_loss(3)
    with pytest.raises(TypeError, match=r"loss 'dice' takes \['smooth'\], got \['gamma'\]"):
        L.get_loss("dice", gamma=2)
    assert set(L.LOSSES) >= {"dice", "bce", "focal", "weighted_bce", "mae"}


def test_target_kind():
    assert L.target_kind("dice") == "mask"
    assert L.target_kind(L.get_loss("mae")) == "value"
    assert L.target_kind("weighted_bce") == "weighted mask"
    assert L.target_kind(keras.losses.MeanSquaredError()) == "value"
    assert L.target_kind(keras.losses.BinaryCrossentropy()) == "mask"


@pytest.mark.parametrize("kwargs, match", [(dict(alpha=2), "`alpha`"), (dict(gamma=-1), "`gamma`")])
def test_focal_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        L.get_loss("focal", **kwargs)


# ----------------------------------------------------------------------------- weight map
def two_squares(gap=2):
    mask = np.zeros((20, 20 + gap), np.uint8)
    mask[5:15, 1:10] = 1
    mask[5:15, 10 + gap:19 + gap] = 1
    return mask


def test_weight_map_high_in_the_gap_between_touching_objects():
    mask = two_squares(gap=2)
    w = L.unet_weight_map(mask, w0=10, sigma=5, class_balance=False)
    assert w.shape == mask.shape and w.dtype == np.float32
    gap = w[5:15, 10:12]
    # the gap is 1 or 2 pixels from each square: d1 + d2 = 3
    np.testing.assert_allclose(gap, 1 + 10 * np.exp(-9 / 50), rtol=1e-6)
    assert (w[mask > 0] == 1).all()  # objects: w_c only
    background = w[(mask == 0)]
    assert gap.min() == background.max()
    assert w[0, 0] < gap.min() / 2


def test_weight_map_hand_value_and_single_object():
    mask = two_squares(gap=1)
    w = L.unet_weight_map(mask, w0=10, sigma=5, class_balance=False)
    assert w[8, 10] == pytest.approx(1 + 10 * np.exp(-4 / 50), rel=1e-6)  # d1 = d2 = 1
    one = np.zeros((10, 10), np.uint8)
    one[3:6, 3:6] = 1
    np.testing.assert_array_equal(L.unet_weight_map(one, class_balance=False), 1.0)


def test_weight_map_class_balance_and_label_images():
    mask = two_squares()
    w = L.unet_weight_map(mask, w0=0)
    f = mask.mean()
    np.testing.assert_allclose(w[mask > 0], 0.5 / f, rtol=1e-6)
    np.testing.assert_allclose(w[mask == 0], 0.5 / (1 - f), rtol=1e-6)
    assert float(w.mean()) == pytest.approx(1.0, rel=1e-6)
    # two touching objects given as a label image stay two objects
    labels = np.zeros((10, 10), int)
    labels[2:8, 1:5], labels[2:8, 5:9] = 1, 2
    lw = L.unet_weight_map(labels, class_balance=False)
    assert lw[0, 5] > lw[0, 0]


def test_with_weight_maps_and_errors():
    masks = np.stack([two_squares(), two_squares()])[..., None]
    out = L.with_weight_maps(masks)
    assert out.shape == (*masks.shape[:3], 2)
    np.testing.assert_array_equal(out[..., 0], masks[..., 0])
    with pytest.raises(ValueError, match="`labels` must be 2-D"):
        L.unet_weight_map(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="`labels` must hold integer labels"):
        L.unet_weight_map(np.full((3, 3), 0.5))
    with pytest.raises(ValueError, match="`sigma` must be > 0"):
        L.unet_weight_map(np.zeros((3, 3)), sigma=0)


def test_with_weight_maps_separates_touching_objects():
    lab = np.zeros((1, 6, 9), np.int32)
    lab[0, 1:5, 1:5], lab[0, 1:5, 5:8] = 1, 2  # touching along column 4 | 5
    plain = L.with_weight_maps(lab, class_balance=False)
    # without a gap the contact is foreground: no border weight there
    assert plain[0, 2, 4, 0] == 1 and plain[0, 2, 4, 1] == 1
    sep = L.with_weight_maps(lab, class_balance=False, separate=True)
    assert (sep[0, 1:5, 4, 0] == 0).all() and (sep[0, 1:5, 5, 0] == 1).all()  # one-pixel gap
    assert sep[0, 2, 4, 1] > 9  # the gap gets about w0 + 1
    assert sep[..., 0].sum() == plain[..., 0].sum() - 4
    with pytest.raises(TypeError, match=r"`masks` must be integer label images to be separated"):
        L.with_weight_maps(lab.astype(np.float32), separate=True)

"""Tests of segkit.instances: distance targets, watershed splitting, the two-head U-Net."""

import numpy as np
import pytest

from segkit import instances, models
from segkit._validate import as_label_stack
from segkit.synthetic import make_touching_particles
from segkit.metrics import average_precision, seg_score
from segkit.train import train


@pytest.fixture(scope="module")
def particles():
    return make_touching_particles(3, (96, 96), seed=0, n_particles=12)


def test_distance_targets_by_hand():
    lab = np.zeros((9, 9), np.int32)
    lab[1:8, 1:8] = 3
    d = instances.distance_targets(lab, cap=10)
    assert d.dtype == np.float32
    assert d[4].tolist() == [0, 1, 2, 3, 4, 3, 2, 1, 0]
    assert instances.distance_targets(lab, cap=2)[4].max() == 2
    # two touching objects meet in a valley of ones
    two = np.zeros((5, 10), np.int32)
    two[:, :5], two[:, 5:] = 1, 2
    assert instances.distance_targets(two)[2].tolist() == [1, 2, 3, 2, 1, 1, 2, 3, 2, 1]


def test_distance_targets_shapes(particles):
    _, lab = particles
    d = instances.distance_targets(lab[..., None], cap=10)
    assert d.shape == lab.shape
    assert ((d > 0) == (lab > 0)).all() and d.max() == 10
    assert np.array_equal(instances.distance_targets(lab[1]), d[1])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int32, np.uint32])
def test_distance_targets_any_integer_type_without_an_int64_copy(particles, dtype):
    _, lab = particles
    want = instances.distance_targets(lab.astype(np.int64))
    assert np.array_equal(instances.distance_targets(lab.astype(dtype)), want)
    assert np.array_equal(instances.distance_targets(lab.astype(dtype)[..., None]), want)
    # the narrow types are read in place: the view has the caller's memory
    narrow = lab.astype(dtype)
    assert np.shares_memory(as_label_stack(narrow, "labels", narrow=True)[0], narrow)
    with pytest.raises(ValueError, match=r"`labels` must have non-negative labels"):
        instances.distance_targets(-lab.astype(np.int16))
    with pytest.raises(TypeError, match=r"`labels` must be an integer label image"):
        instances.distance_targets(lab.astype(np.float32))


def test_split_touching_beats_connected_components_on_ideal_inputs(particles):
    _, lab = particles
    dist = instances.distance_targets(lab, cap=10)
    split = instances.split_touching(lab > 0, dist)
    cc = instances.connected_components(lab > 0)
    seg_split, seg_cc = seg_score(lab, split), seg_score(lab, cc)
    assert split.dtype == np.int32 and split.shape == lab.shape
    assert seg_split > 0.95
    assert seg_cc < 0.6
    assert seg_split > seg_cc + 0.3
    assert average_precision(lab, split, definition="stardist").ap > \
        average_precision(lab, cc, definition="stardist").ap


def test_split_touching_2d_and_min_area():
    lab = np.zeros((12, 30), np.int32)
    lab[2:10, 2:10], lab[2:10, 10:18] = 1, 2
    lab[4:6, 24:26] = 3  # 4 pixels
    d = instances.distance_targets(lab)
    out = instances.split_touching(lab > 0, d, sigma=0)
    assert out.ndim == 2 and int(out.max()) == 3
    assert int(instances.split_touching(lab > 0, d, sigma=0, min_area=5).max()) == 2
    assert not instances.split_touching(np.zeros((8, 8)), np.zeros((8, 8))).any()


def test_connected_components_stack():
    m = np.zeros((2, 4, 4))
    m[0, 0, 0] = m[0, 3, 3] = m[1, 1:3, 1:3] = 1
    out = instances.connected_components(m)
    assert out.dtype == np.int32 and out.max(axis=(1, 2)).tolist() == [2, 1]


def test_distance_unet_trains_and_predicts(particles, tmp_path):
    import keras

    images, lab = particles
    x = images[:, :32, :32] / 255.0
    y = lab[:, :32, :32]
    model = models.distance_unet((None, None, 1), depth=2, base_filters=4, cap=5)

    def targets(lab):
        return {"prob": (lab > 0).astype(np.float32)[..., None],
                "dist": instances.distance_targets(lab, cap=5)[..., None]}

    hist = train(model, (x[..., None], targets(y)), (x[:1, ..., None], targets(y[:1])),
                 epochs=1, loss={"prob": "bce", "dist": "mae"},
                 loss_weights={"prob": 1.0, "dist": 1 / 5}, batch_size=2, verbose=0)
    assert {"loss", "prob_loss", "dist_loss", "val_loss"} <= set(hist.history)
    prob, dist = instances.predict_distance(model, x)
    assert prob.shape == dist.shape == y.shape
    assert 0 <= prob.min() and prob.max() <= 1 and 0 <= dist.min() and dist.max() <= 5
    path = tmp_path / "d.keras"
    model.save(path)
    again = keras.models.load_model(path)
    assert np.allclose(instances.predict_distance(again, x[0])[1], dist[0], atol=1e-5)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: instances.distance_targets(np.zeros((4, 4))), TypeError,
     r"`labels` must be an integer label image.*float64"),
    (lambda: instances.distance_targets(np.zeros((4, 4), int), cap=0), ValueError,
     r"`cap` must be > 0, got 0"),
    (lambda: instances.split_touching(np.zeros((4, 4)), np.zeros((4, 5))), ValueError,
     r"`dist` \(shape \(4, 5\)\) must have the same shape as `prob` \(shape \(4, 4\)\)"),
    (lambda: instances.split_touching(np.zeros(4), np.zeros(4)), ValueError,
     r"`prob` must be 2-D"),
    (lambda: instances.split_touching(np.zeros((4, 4)), np.zeros((4, 4)), h=-1), ValueError,
     r"`h` must be > 0"),
    (lambda: instances.split_touching(np.zeros((4, 4)), np.full((4, 4), np.nan)), ValueError,
     r"`dist` must be finite"),
    (lambda: models.distance_unet((32, 32, 1), depth=2, n_classes=3), ValueError,
     r"`n_classes` must be 1"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ----------------------------------------------------------------------------- lists, scale
def test_lists_of_images_of_different_sizes(particles):
    _, lab = particles
    small = lab[1, :50, :70]
    listed = instances.distance_targets([lab[0], small], cap=10)
    assert [d.shape for d in listed] == [(96, 96), (50, 70)]
    assert np.array_equal(listed[0], instances.distance_targets(lab[0], cap=10))
    masks = [(lab[0] > 0).astype(np.float32), (small > 0).astype(np.float32)]
    split = instances.split_touching(masks, listed, sigma=0)
    assert np.array_equal(split[1], instances.split_touching(masks[1], listed[1], sigma=0))
    cc = instances.connected_components(masks)
    assert [c.shape for c in cc] == [(96, 96), (50, 70)]
    with pytest.raises(ValueError, match=r"`dist\[1\]` \(shape \(50, 69\)\) must have the same "
                                         r"shape as `prob\[1\]` \(shape \(50, 70\)\)"):
        instances.split_touching(masks, [listed[0], listed[1][:, :69]])
    with pytest.raises(ValueError, match=r"`prob` is a list of 2 images, so `dist` must be a "
                                         r"list of as many"):
        instances.split_touching(masks, listed[0])


def test_predict_distance_any_size_and_scale():
    import keras

    keras.utils.set_random_seed(0)
    model = models.distance_unet((None, None, 1), depth=2, base_filters=2, cap=4)
    rng = np.random.default_rng(0)
    x = rng.random((2, 20, 28)).astype(np.float32)  # sides not multiples of 4
    prob, dist = instances.predict_distance(model, x)
    assert prob.shape == dist.shape == (2, 20, 28)
    # the same image, alone, in a list: the same maps
    probs, dists = instances.predict_distance(model, [x[0], x[1, :17, :9]])
    assert np.allclose(probs[0], prob[0], atol=1e-5) and probs[1].shape == (17, 9)
    # at half scale: maps back at the image's size, distances in the image's pixels (<= 2 cap)
    half_p, half_d = instances.predict_distance(model, x, scale=0.5)
    assert half_p.shape == (2, 20, 28) and 0 <= half_d.min() and half_d.max() <= 8 + 1e-5
    assert half_d.max() > dist.max() * 1.2  # twice the working-scale distance
    with pytest.raises(ValueError, match=r"`scale` must be a number in \(0, 4\]"):
        instances.predict_distance(model, x, scale=0)
    with pytest.raises(ValueError, match=r"`images\[1\]` must be one 2-D image"):
        instances.predict_distance(model, [x[0], x])


def test_predict_distance_normalises_raw_images_one_at_a_time():
    import keras

    from segkit import io

    keras.utils.set_random_seed(0)
    model = models.distance_unet((None, None, 1), depth=2, base_filters=2, cap=4)
    raw = np.random.default_rng(0).integers(0, 256, (2, 20, 28)).astype(np.uint8)
    norm = io.Normalization.fit(raw)
    for kwargs in ({}, {"scale": 0.5}):  # the stack path and the image-by-image path
        want = instances.predict_distance(model, norm(raw), **kwargs)
        got = instances.predict_distance(model, raw, normalization=norm, **kwargs)
        assert all(np.array_equal(g, w) for g, w in zip(got, want))
    listed = instances.predict_distance(model, [raw[0], raw[1, :17]], normalization=norm)
    assert np.array_equal(listed[1][1], instances.predict_distance(model, [norm(raw[1, :17])])[1][0])
    unet = models.unet((None, None, 1), depth=2, base_filters=2)
    assert np.array_equal(instances._predict_maps(unet, [raw[0]], normalization=norm)[0],
                          instances._predict_maps(unet, [norm(raw[0])])[0])
    with pytest.raises(TypeError, match=r"`normalization` must be None or a function of an "
                                        r"image.*got int"):
        instances.predict_distance(model, raw, normalization=3)
    with pytest.raises(ValueError, match=r"`normalization` must keep an image's shape: it "
                                         r"turned \(20, 28\) into \(20, 14\)"):
        instances.predict_distance(model, [raw[0]], normalization=lambda im: im[:, ::2])

"""Tests of segkit.patches: multi-scale windows, pixel sampling, symmetries, the classifier."""

import numpy as np
import pytest

from segkit import patches


def test_scale_one_window_is_the_neighbourhood():
    img = np.random.default_rng(0).random((20, 24)).astype(np.float32)
    pyr = patches._scale_pyramid(img, scales=(1,), size=5)
    rows, cols = np.array([2, 10, 19]), np.array([2, 7, 23])
    p = patches._extract_patches(pyr, rows, cols, scales=(1,), size=5)
    padded = np.pad(img, 2, mode="symmetric")
    for k, (r, c) in enumerate(zip(rows, cols)):
        assert np.array_equal(p[k, :, :, 0], padded[r:r + 5, c:c + 5])
        assert p[k, 2, 2, 0] == img[r, c]  # the pixel sits in the centre


def test_coarse_scale_is_block_mean():
    img = np.arange(81, dtype=np.float32).reshape(9, 9)
    pyr = patches._scale_pyramid(img, scales=(1, 3), size=3)
    p = patches._extract_patches(pyr, [4], [4], scales=(1, 3), size=3)
    assert p.shape == (1, 3, 3, 2)
    blocks = img.reshape(3, 3, 3, 3).mean(axis=(1, 3))
    assert np.allclose(p[0, :, :, 1], blocks)  # centre block (1, 1) and its 8 neighbours
    # every pixel of a block shares its coarse window
    q = patches._extract_patches(pyr, [3, 5], [3, 5], scales=(1, 3), size=3)
    assert np.array_equal(q[0, ..., 1], q[1, ..., 1])


def test_pyramid_handles_sides_that_are_not_multiples():
    pyr = patches._scale_pyramid(np.ones((10, 11)), scales=(1, 3, 9, 27), size=25)
    assert [p.shape for p in pyr] == [(34, 35), (28, 28), (26, 26), (25, 25)]
    p = patches._extract_patches(pyr, [9], [10], scales=(1, 3, 9, 27), size=25)
    assert np.allclose(p, 1)


def test_sample_pixels_balanced_and_aoi():
    lab = np.zeros((20, 20), np.int32)
    lab[:5, :10] = 1  # 50 inside
    r, c = patches._sample_pixels(lab, fraction=0.25, rng=0)
    assert r.size == 100 and (lab[r, c] > 0).sum() == 50
    assert len(set(zip(r.tolist(), c.tolist()))) == 100  # no pixel twice
    aoi = np.zeros((20, 20), bool)
    aoi[:, :10] = True
    r, c = patches._sample_pixels(lab, fraction=1.0, aoi=aoi, rng=1)
    assert aoi[r, c].all() and r.size == 200  # all 200 area-of-interest pixels
    r, c = patches._sample_pixels(lab, fraction=0.5, balanced=False, rng=2)
    assert r.size == 200


def test_dihedral_gives_eight_distinct_symmetries():
    from segkit.augment import dihedral  # the one dihedral of the package, one k per patch

    p = np.arange(9, dtype=float).reshape(1, 3, 3, 1)
    outs = {dihedral(p, k).tobytes() for k in range(8)}
    assert len(outs) == 8
    many = np.repeat(p, 8, axis=0)
    each = dihedral(many, np.arange(8))
    for k in range(8):
        assert np.array_equal(each[k], dihedral(p, k)[0])
        assert each[k, 1, 1, 0] == 4  # the centre pixel stays in the centre


def test_random_dihedral_layer_in_training_only():
    from segkit.augment import dihedral

    model = patches.patch_classifier(n_scales=1, size=5, filters=2, seed=3)
    layer = model.get_layer("random_dihedral")
    p = np.random.default_rng(0).random((64, 5, 5, 1)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(layer(p, training=False)), p)
    out = np.asarray(layer(p, training=True))
    seen = set()
    for i in range(len(p)):  # every patch is exactly one of its 8 symmetries
        ks = [k for k in range(8) if np.array_equal(out[i], dihedral(p[i:i + 1], k)[0])]
        assert len(ks) == 1
        seen.add(ks[0])
    assert len(seen) > 4  # drawn per patch, not one symmetry for the batch


def test_train_and_predict_tiny():
    from segkit.synthetic import make_touching_particles

    images, labels = make_touching_particles(1, (32, 32), seed=0, n_particles=4,
                                             radius=(4, 7))
    x = images[0] / 255.0
    from segkit.train import train

    model = patches.patch_classifier(n_scales=2, size=9, filters=4, cap=5)
    aoi = np.zeros((32, 32), bool)
    aoi[:, :16] = True
    data = patches.training_set(model, x, labels[0], fraction=0.2, scales=(1, 3), aoi=aoi,
                                rng=0)
    out = train(model, data, epochs=2, loss={"prob": "bce", "dist": "mae"}, batch_size=32,
                verbose=0)
    assert data[0].shape[0] == round(0.2 * 512) and len(out.history["loss"]) == 2
    prob, dist = patches.predict_patch_classifier(model, x, scales=(1, 3), rows_per_chunk=5)
    assert prob.shape == dist.shape == (32, 32)
    assert 0 <= prob.min() and prob.max() <= 1 and 0 <= dist.min() and dist.max() <= 5
    # chunking does not change the result
    again, _ = patches.predict_patch_classifier(model, x, scales=(1, 3), rows_per_chunk=32)
    assert np.allclose(prob, again, atol=1e-5)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: patches._scale_pyramid(np.zeros((4, 4)), size=4), ValueError,
     r"`size` must be odd"),
    (lambda: patches._scale_pyramid(np.zeros((2, 4, 4))), ValueError,
     r"`image` must be one 2-D image"),
    (lambda: patches._scale_pyramid(np.zeros((4, 4)), scales=(1, 0)), ValueError,
     r"`scales` must be >= 1, got 0"),
    (lambda: patches._sample_pixels(np.zeros((4, 4)), fraction=0.5), TypeError,
     r"`labels` must be an integer label image or a bool mask.*float64"),
    (lambda: patches._sample_pixels(np.zeros((4, 4), int), fraction=0), ValueError,
     r"`fraction` must be a number in \(0, 1\], got 0"),
    (lambda: patches._sample_pixels(np.zeros((4, 4), int), fraction=0.5,
                                   aoi=np.ones((3, 3), bool)), ValueError,
     r"`aoi` \(shape \(3, 3\)\) must have the same shape as `labels` \(shape \(4, 4\)\)"),
    (lambda: patches.predict_patch_classifier(patches.patch_classifier(n_scales=2, filters=2),
                                              np.zeros((8, 8))), ValueError,
     r"`model` takes 2 scales but `scales` names 4"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ----------------------------------------------------------------------------- Bellybutton
def _published_bellybutton(n_scales=4):
    """Bellybutton's model 1, written out from ``bellybuttonseg/generate_network.py``
    (commit 5c46b4a, lines 30-62; docs/notes/issue13-definitions.md section 5.1)."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(25, 25, n_scales), name="img")
    x = layers.Conv2D(64, 3, activation="relu")(inputs)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(pool_size=(2, 2))(x)
    x = layers.Conv2D(32, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Dropout(.1)(x)
    x = layers.Conv2D(32, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])
    block_2_output = layers.MaxPooling2D(pool_size=(2, 2))(block_2_output)
    x = layers.Conv2D(32, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Dropout(.1)(x)
    x = layers.Conv2D(32, 3, activation="relu", padding="same")(x)
    block_3_output = layers.add([x, block_2_output])
    block_3_output = layers.MaxPooling2D(pool_size=(2, 2))(block_3_output)
    x = layers.Flatten()(block_3_output)
    for _ in range(4):
        x = layers.Dense(64, activation="relu")(x)
        x = layers.Dropout(.1)(x)
    outputs2 = layers.Dense(1, activation="relu", name="distance_output")(x)
    x2 = layers.add([x, outputs2])
    outputs = layers.Dense(2, activation="softmax", name="category_output")(x2)
    return keras.Model(inputs, [outputs, outputs2], name="BB_resnet_2out")


def _kernel_shapes(model):
    import keras

    return [tuple(layer.kernel.shape) for layer in model.layers
            if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]


def test_bellybutton_network_is_the_published_one():
    import keras

    ours = patches.patch_classifier(architecture="bellybutton")
    code = _published_bellybutton()
    assert code.count_params() == 78_755  # the figure of the notes, rebuilt here
    # the same layers with the same kernels, but the class head: one sigmoid unit where the
    # code has a two-unit softmax (the same classifier), so 65 parameters fewer
    assert _kernel_shapes(ours)[:-1] == _kernel_shapes(code)[:-1]  # ... the distance unit
    assert _kernel_shapes(ours)[-1] == (64, 1) and _kernel_shapes(code)[-1] == (64, 2)
    assert ours.count_params() == 78_755 - 65
    assert ours.get_layer("pool3").output.shape == (None, 2, 2, 32)  # not the caption's 96
    counted = [layer for layer in ours.layers
               if isinstance(layer, (keras.layers.Conv2D, keras.layers.MaxPooling2D,
                                     keras.layers.Dense))]
    assert len(counted) == 15  # 6 convolutions, 3 poolings, 4 dense layers, 2 outputs
    skips = [layer for layer in ours.layers if isinstance(layer, keras.layers.Add)]
    assert [s.name for s in skips] == ["block2_skip", "block3_skip", "features_plus_dist"]
    drops = [layer for layer in ours.layers if isinstance(layer, keras.layers.Dropout)]
    assert len(drops) == 6 and {d.rate for d in drops} == {0.1}


def test_bellybutton_network_computes_what_the_code_computes():
    """Same weights (the class head mapped: softmax over two logits = sigmoid of their
    difference) give the same outputs as the published model, up to float error."""
    code = _published_bellybutton()
    ours = patches.patch_classifier(architecture="bellybutton", augment=False)
    code_weights = code.get_weights()
    *body, w_cls, b_cls = code_weights
    sig_w = (w_cls[:, 1] - w_cls[:, 0])[:, None]
    sig_b = np.array([b_cls[1] - b_cls[0]])
    ours.set_weights(body + [sig_w, sig_b])
    x = np.random.default_rng(0).random((16, 25, 25, 4)).astype(np.float32)
    cls, dist = code.predict(x, verbose=0)
    out = ours.predict(x, verbose=0)
    np.testing.assert_allclose(out["prob"][:, 0], cls[:, 1], atol=1e-5)
    np.testing.assert_allclose(out["dist"][:, 0], np.minimum(dist[:, 0], 10), atol=1e-5)


def test_bellybutton_options():
    small = patches.patch_classifier(architecture="bellybutton", filters=4, size=13,
                                     n_scales=3, dropout=0.0, cap=4)
    assert small.input_shape == (None, 13, 13, 3)
    assert small.get_layer("pool3").output.shape == (None, 1, 1, 4)
    assert not [layer for layer in small.layers if "dropout" in layer.name]
    assert patches._cap(small) == 4.0 and patches._cap(patches.patch_classifier(cap=7)) == 7.0
    lab = np.zeros((30, 30), int)
    lab[5:25, 5:25] = 1
    x, y = patches.training_set(small, lab.astype(float), lab, fraction=0.1, scales=(1, 2, 3),
                                rng=0)
    assert x.shape[1:] == (13, 13, 3) and y["dist"].max() <= 4


def test_predict_only_the_area_of_interest():
    model = patches.patch_classifier(n_scales=2, size=9, filters=2, cap=5, seed=0)
    img = np.random.default_rng(1).random((20, 18)).astype(np.float32)
    aoi = np.zeros(img.shape, bool)
    aoi[3:17, 9:] = True
    whole, whole_d = patches.predict_patch_classifier(model, img, scales=(1, 3))
    part, part_d = patches.predict_patch_classifier(model, img, scales=(1, 3), aoi=aoi,
                                                    rows_per_chunk=4)
    np.testing.assert_allclose(part[aoi], whole[aoi], atol=1e-5)  # same patches, same output
    np.testing.assert_allclose(part_d[aoi], whole_d[aoi], atol=1e-5)
    assert not part[~aoi].any() and not part_d[~aoi].any()


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(architecture="resnet"), ValueError,
     r"`architecture` must be 'small' or 'bellybutton', got 'resnet'"),
    (dict(architecture="bellybutton", size=11), ValueError, r"`size` must be >= 13, got 11"),
    (dict(filters=0), ValueError, r"`filters` must be >= 1, got 0"),
    (dict(dropout=1.0), ValueError, r"`dropout` must be"),
])
def test_patch_classifier_bad_options(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        patches.patch_classifier(**kwargs)


def test_training_set_refuses_a_model_without_a_cap():
    import keras

    inputs = keras.Input((9, 9, 1))
    flat = keras.layers.Flatten()(inputs)
    model = keras.Model(inputs, {"prob": keras.layers.Dense(1, name="prob")(flat),
                                 "dist": keras.layers.Dense(1, name="dist")(flat)})
    lab = np.zeros((12, 12), int)
    lab[3:9, 3:9] = 1
    with pytest.raises(ValueError, match=r"`model`'s 'dist' layer \(Dense\) does not say the "
                                         r"distance cap"):
        patches.training_set(model, lab.astype(float), lab, fraction=0.5, scales=(1,))
    with pytest.raises(ValueError, match="`model` has no layer named 'dist'"):
        patches._cap(keras.Model(inputs, flat))
    with pytest.raises(ValueError, match=r"`aoi` \(shape \(3, 3\)\) must have the same shape "
                                         r"as `image` \(shape \(12, 12\)\)"):
        patches.predict_patch_classifier(patches.patch_classifier(n_scales=1, size=9),
                                         lab.astype(float), scales=(1,),
                                         aoi=np.ones((3, 3), bool))

"""Tests of segkit.models: shapes, size checks, SegNet's pooling indices, saving."""

import keras
import numpy as np
import pytest

from segkit import models
from segkit.losses import _DiceMetric as DiceMetric, get_loss
from segkit.models import (MaxPoolingWithArgmax2D, MaxUnpooling2D, MCDropout, check_input_size,
                           load_model,
                           _nearest_valid_size, segnet, size_divisor, unet)

TINY = dict(depth=2, base_filters=4)
BUILDERS = [unet, segnet]


@pytest.fixture(autouse=True)
def _fresh_session():
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)


def x32(n=2, h=32, w=32, seed=0):
    return np.random.default_rng(seed).random((n, h, w, 1)).astype("float32")


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("n_classes", [1, 3])
def test_output_shape_and_head(build, n_classes):
    model = build((None, None, 1), n_classes=n_classes, **TINY)
    assert isinstance(model, keras.Model)
    y = model.predict(x32(h=32, w=48), verbose=0)
    assert y.shape == (2, 32, 48, n_classes)
    assert y.dtype == np.float32
    assert (y >= 0).all() and (y <= 1).all()
    if n_classes > 1:
        np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-5)
    assert model.layers[-1].activation.__name__ == ("sigmoid" if n_classes == 1 else "softmax")


@pytest.mark.parametrize("build", BUILDERS)
def test_fixed_shape_not_divisible_names_nearest_size(build):
    with pytest.raises(ValueError, match=r"height 300 is not a multiple of 16.*nearest valid size is 304"):
        build((300, 256, 1), depth=4)
    with pytest.raises(ValueError, match=r"width 36 is not a multiple of 8.*nearest valid size is 40"):
        build((32, 36, 1), depth=3)


@pytest.mark.parametrize("kwargs, match", [
    (dict(depth=0), "`depth` must be >= 1"),
    (dict(base_filters=2.5), "`base_filters` must be an integer"),
    (dict(dropout=1.0), r"`dropout` must be in \[0, 1\)"),
    (dict(n_classes=0), "`n_classes` must be >= 1"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        unet((32, 32, 1), **{**TINY, **kwargs})


def test_two_dimensional_input_shape_gets_a_channel():
    assert unet((32, 32), **TINY).input_shape == (None, 32, 32, 1)


@pytest.mark.parametrize("size, divisor, expected", [
    (300, 16, 304), (290, 16, 288), (296, 16, 304), (8, 16, 16), (24, 16, 32), (256, 16, 256), (1, 1, 1),
])
def test_nearest_valid_size(size, divisor, expected):
    assert _nearest_valid_size(size, divisor) == expected
    assert expected % divisor == 0


def test_check_input_size_accepts_none_and_valid():
    check_input_size((None, None, 1), 16)
    check_input_size((4, 64, 32, 1), 16)
    with pytest.raises(ValueError, match="must be"):
        check_input_size((1,), 16)


def test_size_divisor():
    assert size_divisor(unet(**TINY)) == 4
    assert size_divisor(segnet(depth=3, base_filters=4)) == 8
    assert size_divisor(keras.Sequential([keras.Input((None, None, 1)),
                                          keras.layers.Conv2D(1, 1)])) == 1


def test_unpooling_puts_each_max_back_and_zeros_elsewhere():
    a = np.array([[1, 2, 0, 5],
                  [3, 4, 6, 1],
                  [9, 0, 1, 1],
                  [0, 8, 2, 7]], dtype="float32")[None, :, :, None]
    pooled, idx = MaxPoolingWithArgmax2D(2)(a)
    np.testing.assert_array_equal(np.asarray(pooled)[0, ..., 0], [[4, 6], [9, 7]])
    np.testing.assert_array_equal(np.asarray(idx)[0, ..., 0], [[3, 2], [0, 3]])
    up = np.asarray(MaxUnpooling2D(2)([pooled, idx]))[0, ..., 0]
    np.testing.assert_array_equal(up, [[0, 0, 0, 0],
                                       [0, 4, 6, 0],
                                       [9, 0, 0, 0],
                                       [0, 0, 0, 7]])


def test_pooling_matches_keras_max_pooling_and_channels_are_independent():
    x = x32(n=2, h=8, w=12) * 10
    x = np.concatenate([x, -x], axis=-1)
    pooled, idx = MaxPoolingWithArgmax2D(2)(x)
    np.testing.assert_array_equal(np.asarray(pooled), np.asarray(keras.layers.MaxPooling2D(2)(x)))
    up = np.asarray(MaxUnpooling2D(2)([pooled, idx]))
    assert up.shape == x.shape
    assert ((up == 0) | (up == x)).all()  # values only where they came from
    assert (np.count_nonzero(up, axis=(1, 2)) == 4 * 6).all()  # one per window and channel


def test_segnet_uses_argmax_unpooling_not_upsampling():
    model = segnet(**TINY)
    kinds = {type(layer) for layer in model.layers}
    assert MaxPoolingWithArgmax2D in kinds and MaxUnpooling2D in kinds
    assert not kinds & {keras.layers.UpSampling2D, keras.layers.Conv2DTranspose}


@pytest.mark.parametrize("build", BUILDERS)
def test_save_load_round_trip_without_custom_objects(build, tmp_path):
    model = build((None, None, 1), dropout=0.2, **TINY)
    model.compile(optimizer="adam", loss=get_loss("dice"), metrics=[DiceMetric()])
    x = x32()
    model.train_on_batch(x, (x > 0.5).astype("float32"))  # builds the optimizer's state too
    before = model.predict(x, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), before)
    assert type(loaded.loss).__name__ == "SegLoss" and loaded.loss.kind == "dice"
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]


def test_dropout_layers_are_keras_dropout():
    model = unet(dropout=0.3, **TINY)
    drops = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert len(drops) == 1 + TINY["depth"]
    assert all(d.rate == 0.3 for d in drops)
    assert not any(isinstance(layer, keras.layers.Dropout) for layer in unet(**TINY).layers)


def test_mc_dropout_active_at_inference_and_bn_statistics_untouched(tmp_path):
    x = x32()
    plain = unet(dropout=0.5, **TINY)
    np.testing.assert_array_equal(plain.predict(x, verbose=0), plain.predict(x, verbose=0))

    mc = unet(dropout=0.5, mc_dropout=True, **TINY)
    bn = [w.numpy().copy() for w in mc.non_trainable_weights]
    a, b = mc.predict(x, verbose=0), mc.predict(x, verbose=0)
    assert not np.array_equal(a, b)
    for before, after in zip(bn, mc.non_trainable_weights):
        np.testing.assert_array_equal(before, after.numpy())
    mc.save(tmp_path / "mc.keras")
    loaded = keras.models.load_model(tmp_path / "mc.keras")
    assert all(layer.always_on for layer in loaded.layers if isinstance(layer, MCDropout))


def test_module_docstring_documents_mc_dropout_and_bn():
    assert "training=True" in models.__doc__ and "batch normalisation" in models.__doc__


def test_load_model_in_a_fresh_process_needs_no_custom_objects(tmp_path):
    """A kernel that never imported segkit.models can still load a saved model."""
    import subprocess
    import sys

    path = tmp_path / "m.keras"
    model = unet((16, 16, 1), depth=2, base_filters=2, dropout=0.1)
    from segkit.losses import _DiceMetric as DiceMetric, get_loss
    model.compile(optimizer="adam", loss=get_loss("dice"), metrics=[DiceMetric()])
    model.save(path)
    code = ("import segkit.models as m, numpy as np; "
            f"mdl = m.load_model(r'{path}'); print(mdl.predict(np.zeros((1, 16, 16, 1)), verbose=0).shape)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "(1, 16, 16, 1)" in out.stdout
    with pytest.raises(FileNotFoundError, match=r"no such model file"):
        load_model(tmp_path / "missing.keras")


@pytest.mark.parametrize("build", BUILDERS)
def test_kernel_size_sets_every_convolution_but_the_head(build):
    model = build((None, None, 1), kernel_size=5, **TINY)
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)
             and not isinstance(l, keras.layers.Conv2DTranspose)]
    assert {l.kernel_size for l in convs if l.name != "head"} == {(5, 5)}
    assert model.get_layer("head").kernel_size == (1, 1)
    assert model.predict(x32(), verbose=0).shape == (2, 32, 32, 1)
    default = build((None, None, 1), **TINY)
    assert model.count_params() > default.count_params()  # 25 weights per kernel, not 9
    with pytest.raises(ValueError, match="`kernel_size` must be odd"):
        build((None, None, 1), kernel_size=4, **TINY)
    with pytest.raises(ValueError, match="`kernel_size` must be >= 1"):
        build((None, None, 1), kernel_size=0, **TINY)


def test_unet_without_batch_norm_has_none_and_uses_biases():
    model = unet((None, None, 1), batch_norm=False, **TINY)
    assert not any(isinstance(l, keras.layers.BatchNormalization) for l in model.layers)
    assert model.get_layer("enc0_conv1").use_bias

def test_encoder_dropout_is_spatial_and_off_by_default():
    from segkit.models import MCDropout, distance_unet, unet

    plain = unet((16, 16, 1), depth=2, base_filters=4)
    assert not [l for l in plain.layers if isinstance(l, MCDropout)]
    model = distance_unet((16, 16, 1), depth=2, base_filters=4, encoder_dropout=(0.03, 0.3),
                          mc_dropout=True)
    drops = {l.name: l for l in model.layers if isinstance(l, MCDropout)}
    assert sorted(drops) == ["bottleneck_spatial_dropout", "enc0_dropout", "enc1_dropout"]
    assert drops["enc0_dropout"].rate == 0.03 and drops["bottleneck_spatial_dropout"].rate == 0.3
    assert all(tuple(d.noise_shape) == (None, 1, 1, None) for d in drops.values())
    # whole feature maps are dropped: each channel is either all zero or all scaled
    out = np.asarray(drops["bottleneck_spatial_dropout"](np.ones((2, 4, 4, 8), np.float32)))
    per_channel = out.reshape(2, 16, 8)
    assert (per_channel.min(axis=1) == per_channel.max(axis=1)).all()
    with pytest.raises(ValueError, match=r"`encoder_dropout` must be None or a pair of rates"):
        unet((16, 16, 1), depth=2, encoder_dropout=0.3)
    with pytest.raises(ValueError, match=r"`encoder_dropout` must be a number in \[0, 1\)"):
        unet((16, 16, 1), depth=2, encoder_dropout=(0.1, 1.0))

"""Tests of segkit.predict: tiled prediction reproduces an identity model exactly."""

import keras
import numpy as np
import pytest

from segkit.io import Normalization
from segkit.models import unet
from segkit.predict import blend_window, predict_tiled, tile_positions


@pytest.fixture(scope="module")
def identity():
    """A 1x1 convolution with kernel 1, bias 0, linear activation: output == input."""
    model = keras.Sequential([keras.Input((None, None, 1)),
                              keras.layers.Conv2D(1, 1, kernel_initializer="ones",
                                                  bias_initializer="zeros")])
    return model


@pytest.fixture(scope="module")
def tiny_unet():
    keras.utils.set_random_seed(0)
    return unet(depth=2, base_filters=4)


def rand(shape, seed=0):
    return np.random.default_rng(seed).random(shape).astype("float32")


@pytest.mark.parametrize("shape", [(300, 517), (3, 70, 45), (2, 33, 40, 1), (40, 41, 1),
                                   (5, 7), (1, 64, 64)])
@pytest.mark.parametrize("blend", ["average", "gaussian"])
def test_identity_model_is_reproduced_exactly(identity, shape, blend):
    x = rand(shape)
    y = predict_tiled(identity, x, tile=64, overlap=12, batch_size=3, blend=blend)
    assert y.shape == x.shape and y.dtype == np.float32
    np.testing.assert_allclose(y, x, rtol=1e-6, atol=1e-7)
    if blend == "average":
        np.testing.assert_array_equal(y, x)


def test_same_normalization_as_training(identity):
    raw = (rand((2, 50, 60)) * 200).astype(np.uint8)
    norm = Normalization.fit(raw)
    y = predict_tiled(identity, raw, tile=32, overlap=0.25, normalization=norm)
    np.testing.assert_array_equal(y, norm(raw))


def test_tiled_matches_whole_image_on_the_interior(tiny_unet):
    x = rand((1, 96, 128, 1))
    whole = tiny_unet.predict(x, verbose=0)
    tiled = predict_tiled(tiny_unet, x, tile=64, overlap=32, blend="gaussian")
    assert tiled.shape == x.shape
    assert (tiled >= 0).all() and (tiled <= 1).all()
    # far from tile borders the receptive field sees the same pixels
    assert np.abs(tiled - whole)[0, 24:72, 24:104].mean() < 0.05


def test_multiclass_output_layout():
    model = unet(depth=2, base_filters=4, n_classes=3)
    assert predict_tiled(model, rand((40, 50)), tile=32, overlap=8).shape == (40, 50, 3)
    assert predict_tiled(model, rand((2, 40, 50)), tile=32, overlap=8).shape == (2, 40, 50, 3)


def test_tile_positions_cover_everything():
    for length in (1, 63, 64, 65, 300, 1056):
        starts = tile_positions(length, 64, 48)
        covered = np.zeros(max(length, 64), bool)
        for s in starts:
            covered[s:s + 64] = True
        assert covered.all() and starts[-1] == max(length - 64, 0)


def test_blend_window():
    assert (blend_window(8) == 1).all()
    g = blend_window(16, "gaussian")
    assert g[8, 8] > g[0, 0] >= 1e-3 and np.allclose(g, g.T)


@pytest.mark.parametrize("kwargs, match", [
    (dict(tile=30, overlap=8), r"`tile` .*30.*not a multiple of 4.*nearest valid size is 32"),
    (dict(tile=32, overlap=32), r"`overlap` \(32 pixels\) must be >= 0 and smaller"),
    (dict(tile=32, overlap=1.5), r"`overlap` as a fraction"),
    (dict(tile=32, overlap="8"), "`overlap` must be pixels"),
    (dict(tile=32, overlap=8, blend="median"), "`blend` must be"),
])
def test_bad_arguments(tiny_unet, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        predict_tiled(tiny_unet, rand((40, 40)), **kwargs)


def test_bad_images(identity):
    with pytest.raises(ValueError, match="pass the `normalization` used for training"):
        predict_tiled(identity, np.zeros((40, 40), np.uint8), tile=32, overlap=8)
    with pytest.raises(ValueError, match="must be finite"):
        predict_tiled(identity, np.full((40, 40), np.nan, np.float32), tile=32,
                      overlap=8)
    with pytest.raises(ValueError, match="colour"):
        predict_tiled(identity, np.zeros((40, 40, 3), np.float32), tile=32, overlap=8)
    fixed = unet((32, 32, 1), depth=2, base_filters=4)
    with pytest.raises(ValueError, match="must match the model's fixed input size"):
        predict_tiled(fixed, rand((40, 40)), tile=64)

import numpy as np
import pytest

from segkit import augment as A


def _pair(size=32, seed=0):
    """A smooth image whose bright blobs are exactly the mask (image == mask as float)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    mask = np.zeros((size, size), np.uint8)
    for cy, cx, r in rng.uniform([6, 6, 3], [size - 6, size - 6, 6], size=(3, 3)):
        mask[(yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2] = 1
    return mask.astype(np.float32), mask


def _labels(size=32):
    lab = np.zeros((size, size), np.int32)
    lab[8:14, 8:14] = 3
    lab[16:24, 10:16] = 7
    lab[10:16, 18:26] = 12
    return lab


PAIR_TRANSFORMS = {
    "dihedral": lambda i, m, rng: A._random_dihedral(i, m, rng=rng),
    "rotate": lambda i, m, rng: A.rotate(i, m, angle=23.0),
    "shift": lambda i, m, rng: A.shift(i, m, offset=(2.5, -3.0)),
    "zoom": lambda i, m, rng: A.zoom(i, m, factor=1.2),
    "intensity": lambda i, m, rng: A.brightness_contrast(i, m, brightness=0.1, contrast=1.3),
    "noise": lambda i, m, rng: A.gaussian_noise(i, m, sigma=0.1, rng=rng),
    "elastic_grid": lambda i, m, rng: A.elastic_grid(i, m, sigma=3.0, points=3, rng=rng),
    "elastic_alpha_sigma": lambda i, m, rng: A.elastic_alpha_sigma(i, m, alpha=20.0, sigma=4.0,
                                                                   rng=rng),
    "augment_pair": lambda i, m, rng: A.augment_pair(i, m, rng=rng, p=1.0,
                                                     transforms=A.TRANSFORMS),
}


# ----------------------------------------------------------------------------- dihedral
def test_dihedral_gives_eight_distinct_exact_copies():
    a = np.arange(12).reshape(3, 4)
    outs = [A.dihedral(a, k) for k in range(8)]
    assert len({(o.shape, o.tobytes()) for o in outs}) == 8
    for o in outs:
        assert sorted(o.ravel().tolist()) == list(range(12))
        assert o.dtype == a.dtype
    assert np.array_equal(A.dihedral(a, 1), np.rot90(a))
    assert np.array_equal(A.dihedral(a, 4), a[::-1])


@pytest.mark.parametrize("k", range(8))
def test_dihedral_inverse_round_trip(k):
    a = np.random.default_rng(k).random((5, 5, 1))
    assert np.array_equal(A.dihedral(A.dihedral(a, k), k, inverse=True), a)


def test_dihedral_acts_on_image_axes_of_a_batch():
    batch = np.random.default_rng(0).random((2, 4, 4, 1))
    out = A.dihedral(batch, 3)
    for i in range(2):
        assert np.array_equal(out[i], A.dihedral(batch[i], 3))


@pytest.mark.parametrize("k, exc, match", [(8, ValueError, r"`k` must be in 0\.\.7"),
                                           (-1, ValueError, r"`k` must be >= 0"),
                                           (1.5, TypeError, r"`k` must be an integer")])
def test_dihedral_bad_k(k, exc, match):
    with pytest.raises(exc, match=match):
        A.dihedral(np.zeros((2, 2)), k)


# ----------------------------------------------------------------------------- pairs
@pytest.mark.parametrize("name", PAIR_TRANSFORMS)
@pytest.mark.parametrize("layout", ["hw", "hw1"])
def test_pair_keeps_layout_dtype_and_binary_mask(name, layout):
    img, msk = _pair()
    if layout == "hw1":
        img, msk = img[..., None], msk[..., None]
    out_img, out_msk = PAIR_TRANSFORMS[name](img, msk, np.random.default_rng(1))
    assert out_img.shape == img.shape and out_msk.shape == msk.shape
    assert out_img.dtype == np.float32 and out_msk.dtype == msk.dtype
    assert set(np.unique(out_msk).tolist()) <= {0, 1}
    assert np.isfinite(out_img).all()


@pytest.mark.parametrize("name", ["dihedral", "rotate", "shift", "zoom", "elastic_grid",
                                  "elastic_alpha_sigma", "augment_pair"])
def test_image_and_mask_move_together(name):
    img, msk = _pair(48)
    out_img, out_msk = PAIR_TRANSFORMS[name](img, msk, np.random.default_rng(2))
    if name == "augment_pair":  # intensity/noise change values; undo them by ranking
        agree = ((out_img > np.median(out_img[out_msk == 1]) / 2) == out_msk).mean()
        assert agree > 0.9
    else:
        assert ((out_img > 0.5) == (out_msk == 1)).mean() > 0.97


@pytest.mark.parametrize("name", ["dihedral", "rotate", "shift", "zoom", "elastic_grid",
                                  "elastic_alpha_sigma", "augment_pair"])
def test_label_images_keep_their_labels(name):
    lab = _labels()
    img = (lab > 0).astype(np.float32)
    _, out = PAIR_TRANSFORMS[name](img, lab, np.random.default_rng(3))
    assert out.dtype == lab.dtype
    assert set(np.unique(out).tolist()) <= set(np.unique(lab).tolist())
    # the objects sit well inside the frame, so none is lost
    assert set(np.unique(out).tolist()) == {0, 3, 7, 12}


def test_labels_pushed_out_of_frame_disappear_and_nothing_new_appears():
    lab = _labels()
    _, out = A.shift(lab.astype(np.float32), lab, offset=(0, -20), mode="constant")
    assert set(np.unique(out).tolist()) == {0, 12}


@pytest.mark.parametrize("call", [
    lambda i, m: A.rotate(i, m, angle=0.0),
    lambda i, m: A.shift(i, m, offset=(0, 0)),
    lambda i, m: A.zoom(i, m, factor=1.0),
    lambda i, m: A.elastic_grid(i, m, sigma=0.0, points=3, rng=0),
    lambda i, m: A.elastic_alpha_sigma(i, m, alpha=0.0, sigma=3.0, rng=0),
    lambda i, m: A.brightness_contrast(i, m),
    lambda i, m: A.gaussian_noise(i, m, sigma=0.0, rng=0),
    lambda i, m: A.augment_pair(i, m, rng=0, p=0.0),
])
def test_zero_strength_is_the_identity(call):
    img, msk = _pair()
    out_img, out_msk = call(img, msk)
    np.testing.assert_allclose(out_img, img, atol=1e-5)
    assert np.array_equal(out_msk, msk)


def test_rotate_by_90_matches_the_exact_quarter_turn():
    img = np.random.default_rng(0).random((9, 9)).astype(np.float32)
    msk = (img > 0.5).astype(np.uint8)
    out_img, out_msk = A.rotate(img, msk, angle=90.0)
    np.testing.assert_allclose(out_img, np.rot90(img), atol=1e-5)
    assert np.array_equal(out_msk, np.rot90(msk))


def test_integer_shift_is_exact():
    img, msk = _pair()
    out_img, out_msk = A.shift(img, msk, offset=(3, -2), mode="constant")
    assert np.array_equal(out_msk[3:, :-2], msk[:-3, 2:])
    np.testing.assert_allclose(out_img[3:, :-2], img[:-3, 2:], atol=1e-6)


def test_brightness_contrast_on_paper():
    out, _ = A.brightness_contrast(np.array([[1.0, 3.0]]), np.zeros((1, 2), np.uint8),
                                   brightness=1.0, contrast=0.5)
    assert out.tolist() == [[2.5, 3.5]]


def test_noise_has_the_requested_sigma():
    out, _ = A.gaussian_noise(np.zeros((200, 200)), np.zeros((200, 200), bool), sigma=0.2,
                              rng=0)
    assert abs(out.std() - 0.2) < 0.01


# ----------------------------------------------------------------------------- randomness
@pytest.mark.parametrize("name", ["dihedral", "noise", "elastic_grid", "elastic_alpha_sigma",
                                  "augment_pair"])
def test_same_seed_same_result_different_seed_different(name):
    img, msk = _pair(seed=5)
    f = PAIR_TRANSFORMS[name]
    a = f(img, msk, np.random.default_rng(7))
    b = f(img, msk, np.random.default_rng(7))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    outs = {f(img, msk, np.random.default_rng(s))[0].tobytes() for s in range(8)}
    assert len(outs) > 1


def test_one_generator_gives_different_samples_different_augmentations():
    img, msk = _pair()
    rng = np.random.default_rng(0)
    first = A.augment_pair(img, msk, rng=rng, p=1.0)
    second = A.augment_pair(img, msk, rng=rng, p=1.0)
    assert not np.array_equal(first[0], second[0])


def test_int_seed_and_generator_agree():
    img, msk = _pair()
    a = A.augment_pair(img, msk, rng=11, p=1.0)
    b = A.augment_pair(img, msk, rng=np.random.default_rng(11), p=1.0)
    assert np.array_equal(a[0], b[0])


def test_elastic_grid_does_not_touch_global_numpy_state():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    A.elastic_grid(*_pair(), sigma=4.0, points=3, rng=1)
    assert np.array_equal(np.random.get_state()[1], before)


def test_non_square_tiles_keep_their_shape():
    img = np.zeros((16, 24), np.float32)
    msk = np.zeros((16, 24), np.uint8)
    for s in range(10):
        out_img, out_msk = A.augment_pair(img, msk, rng=s, p=1.0)
        assert out_img.shape == (16, 24) and out_msk.shape == (16, 24)


@pytest.mark.parametrize("ks, allowed", [
    ((0, 4), "vertical"),             # Keras's vertical_flip: upside down or not
    ((0, 6), "horizontal"),           # horizontal_flip: left-right or not
    ((0, 2, 4, 6), "both"),           # both flips, as Malec's final pipeline
])
def test_dihedral_k_limits_the_symmetries_drawn(ks, allowed):
    img = np.arange(36, dtype=np.float32).reshape(6, 6)
    copies = {"vertical": [img, img[::-1]], "horizontal": [img, img[:, ::-1]],
              "both": [img, img[::-1], img[:, ::-1], img[::-1, ::-1]]}[allowed]
    seen = set()
    for s in range(40):
        out, _ = A.augment_pair(img, img.astype(np.uint8) % 2, rng=s, p=1.0,
                                transforms=["dihedral"], dihedral_k=ks)
        match = [i for i, c in enumerate(copies) if np.array_equal(out, c)]
        assert match, f"seed {s} gave a symmetry outside {ks}"
        seen.add(match[0])
    assert seen == set(range(len(copies)))  # and every allowed one is drawn


def test_default_dihedral_k_draws_as_before():
    # all eight symmetries, drawn with the same call to the generator as before the option
    img = np.arange(16, dtype=np.float32).reshape(4, 4)
    rng = np.random.default_rng(3)
    rng.random()  # the p-draw of augment_pair
    k = int(rng.integers(8))
    out, _ = A.augment_pair(img, img.astype(np.uint8) % 2, rng=3, p=1.0, transforms=["dihedral"])
    np.testing.assert_array_equal(out, A.dihedral(img, k))


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("image, mask, exc, match", [
    (np.zeros((8, 8)), np.zeros((8, 9)), ValueError,
     r"`mask` \(shape \(8, 9\)\) must have the same height and width as `image` \(shape \(8, 8\)\)"),
    (np.zeros((5, 8, 8)), np.zeros((5, 8, 8)), ValueError,
     r"`image` must be a 2-D slice .* got array of shape \(5, 8, 8\)"),
    (np.zeros((2, 5, 8, 8)), np.zeros((8, 8)), ValueError, r"`image` must be 2-D or 3-D"),
    (np.zeros((8, 8, 3)), np.zeros((8, 8)), ValueError, r"`image` .* colour image"),
    (np.full((8, 8), np.nan), np.zeros((8, 8)), ValueError,
     r"`image` must be finite, got 64 NaN/inf"),
    (np.zeros((8, 8)), np.full((8, 8), 0.3), ValueError, r"`mask` .* probability map"),
    (np.zeros((8, 8)), np.full((8, 8), np.nan), ValueError, r"`mask` must be finite"),
    ("image", np.zeros((8, 8)), TypeError, r"`image` must be an array, got str"),
])
def test_bad_pairs(image, mask, exc, match):
    with pytest.raises(exc, match=match):
        A.augment_pair(image, mask, rng=0)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"transforms": ("rotate", "blur")}, ValueError,
     r"`transforms` has unknown name\(s\) 'blur'; choose from dihedral"),
    ({"transforms": "sharpen"}, ValueError, r"unknown name\(s\) 'sharpen'"),
    ({"max_angel": 10}, TypeError, r"unknown augmentation parameter\(s\) `max_angel`"),
    ({"p": 1.5}, ValueError, r"`p` must be <= 1.0, got 1.5"),
    ({"order": 7}, ValueError, r"`order` must be a spline order between 0 and 5, got 7"),
    ({"mode": "edge"}, ValueError, r"`mode` must be one of .* got 'edge'"),
    ({"grid_points": 1}, ValueError, r"`grid_points` must be >= 2, got 1"),
    ({"max_noise": float("nan")}, ValueError, r"`max_noise` must be finite"),
    ({"max_zoom": 1.0}, ValueError, r"`max_zoom` must be < 1"),
    ({"dihedral_k": ()}, TypeError, r"`dihedral_k` must be a non-empty sequence"),
    ({"dihedral_k": 4}, TypeError, r"`dihedral_k` must be a non-empty sequence .* got 4"),
    ({"dihedral_k": (0, 8)}, ValueError, r"`dihedral_k` must hold distinct symmetries k in 0..7"),
    ({"dihedral_k": (4, 4)}, ValueError, r"`dihedral_k` must hold distinct"),
    ({"dihedral_k": (0, 1.5)}, TypeError, r"`dihedral_k`"),
])
def test_bad_augment_options(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        A.augment_pair(*_pair(), rng=0, **kwargs)


def test_bad_rng():
    with pytest.raises(TypeError, match=r"`rng` must be an int seed"):
        A.augment_pair(*_pair(), rng="seed")


def test_bad_transform_arguments():
    img, msk = _pair()
    with pytest.raises(ValueError, match=r"`factor` must be > 0, got -1.0"):
        A.zoom(img, msk, factor=-1)
    with pytest.raises(ValueError, match=r"`offset` must be a pair"):
        A.shift(img, msk, offset=3)
    with pytest.raises(ValueError, match=r"`sigma` must be > 0"):
        A.elastic_alpha_sigma(img, msk, alpha=1.0, sigma=0.0, rng=0)
    with pytest.raises(ValueError, match=r"`points` must be >= 2"):
        A.elastic_grid(img, msk, sigma=1.0, points=1, rng=0)


# ----------------------------------------------------------------------------- tf.data
def _tiles(n=6, size=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, size, size, 1)).astype(np.float32)
    return x, (x > 0.5).astype(np.uint8)


def _epoch(ds):
    return [(bx.numpy(), by.numpy()) for bx, by in ds]


def test_make_dataset_yields_float_batches_with_binary_masks():
    x, y = _tiles()
    batches = _epoch(A.make_dataset(x, y, batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 16, 16, 1), (2, 16, 16, 1)]
    for bx, by in batches:
        assert bx.dtype == np.float32 and by.dtype == np.float32
        assert set(np.unique(by).tolist()) <= {0.0, 1.0}


def test_make_dataset_without_augmentation_passes_tiles_through():
    x, y = _tiles()
    (bx, by), = _epoch(A.make_dataset(x, y, batch_size=6, augment=False, shuffle=False))
    assert np.array_equal(bx, x) and np.array_equal(by, y.astype(np.float32))


@pytest.mark.parametrize("augment", [False, True])
def test_make_dataset_normalises_raw_tiles_one_at_a_time(augment):
    from segkit.io import Normalization

    raw = np.random.default_rng(3).integers(0, 256, (6, 16, 16, 1)).astype(np.uint8)
    y = (raw > 127).astype(np.uint8)
    norm = Normalization.fit(raw)
    kwargs = dict(batch_size=4, augment=augment, seed=2)
    on_the_fly = _epoch(A.make_dataset(raw, y, normalization=norm, **kwargs))
    beforehand = _epoch(A.make_dataset(norm(raw), y, **kwargs))
    assert len(on_the_fly) == len(beforehand) == 2
    for (a, am), (b, bm) in zip(on_the_fly, beforehand):
        assert a.dtype == np.float32 and am.dtype == np.float32
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(am, bm)
    assert not np.allclose(on_the_fly[0][0], raw[:4])  # normalised, not the raw grey levels


def test_make_dataset_rejects_a_normalization_that_is_not_callable():
    x = np.zeros((2, 8, 8, 1), np.uint8)
    with pytest.raises(TypeError, match=r"`normalization` must be None or a function of an "
                                        r"image, such as the segkit.io.Normalization.*got str"):
        A.make_dataset(x, x, normalization="percentile")


def test_make_dataset_reproduces_runs_and_varies_epochs():
    x, y = _tiles()
    ds1 = A.make_dataset(x, y, batch_size=3, seed=4)
    ds2 = A.make_dataset(x, y, batch_size=3, seed=4)
    run1 = [_epoch(ds1), _epoch(ds1)]
    run2 = [_epoch(ds2), _epoch(ds2)]
    for e1, e2 in zip(run1, run2):
        for (a, _), (b, _) in zip(e1, e2):
            assert np.array_equal(a, b)
    assert not np.array_equal(run1[0][0][0], run1[1][0][0])
    other = _epoch(A.make_dataset(x, y, batch_size=3, seed=5))
    assert not np.array_equal(other[0][0], run1[0][0][0])


def test_make_dataset_repeat_continues_with_new_epochs():
    x, y = _tiles(n=4)
    it = iter(A.make_dataset(x, y, batch_size=4, repeat=True, seed=1))
    first, second = next(it)[0].numpy(), next(it)[0].numpy()
    assert first.shape == second.shape and not np.array_equal(first, second)


def test_make_dataset_feeds_model_fit():
    import keras

    x, y = _tiles(n=4)
    keras.utils.set_random_seed(0)
    from segkit.models import unet

    model = unet((16, 16, 1), depth=1, base_filters=2)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    # shuffle=False: the dataset shuffles itself; Keras 3.15 warns if fit is asked to as well
    hist = model.fit(A.make_dataset(x, y, batch_size=2, p=1.0), epochs=1, steps_per_epoch=1,
                     shuffle=False, verbose=0)
    assert np.isfinite(hist.history["loss"][0])


@pytest.mark.parametrize("images, masks, kwargs, exc, match", [
    (np.zeros((2, 8, 8, 1), np.uint8), np.zeros((2, 8, 8, 1)), {}, TypeError,
     r"`images` must be normalised floats.*Normalization.*normalization=norm"),
    (np.zeros((8, 8, 1), np.float32), np.zeros((8, 8, 1)), {}, ValueError,
     r"`images` must be 4-D \(NHWC tiles"),
    (np.zeros((2, 8, 8, 1), np.float32), np.zeros((2, 8, 9, 1)), {}, ValueError,
     r"`masks` \(shape \(2, 8, 9, 1\)\) must have the same shape as `images`"),
    (np.zeros((2, 8, 8, 1), np.float32), np.full((2, 8, 8, 1), 2), {}, ValueError,
     r"`masks` must be a binary mask"),
    (np.full((2, 8, 8, 1), np.nan, np.float32), np.zeros((2, 8, 8, 1)), {}, ValueError,
     r"`images` must be finite"),
    (np.zeros((2, 8, 8, 1), np.float32), np.zeros((2, 8, 8, 1)), {"transforms": ["warp"]},
     ValueError, r"`transforms` has unknown name\(s\) 'warp'"),
    (np.zeros((2, 8, 8, 1), np.float32), np.zeros((2, 8, 8, 1)), {"batch_size": 0},
     ValueError, r"`batch_size` must be >= 1"),
    (np.zeros((2, 8, 8, 1), np.float32), np.zeros((2, 8, 8, 1)), {"sharpness": 2},
     TypeError, r"unknown augmentation parameter\(s\) `sharpness`"),
])
def test_make_dataset_bad_input(images, masks, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        A.make_dataset(images, masks, **kwargs)


@pytest.mark.parametrize("order", [0, 1, 3])
def test_mask_is_nearest_neighbour_whatever_the_image_order(order):
    lab = _labels()
    img = (lab > 0).astype(np.float32)
    for s in range(3):
        _, out = A.augment_pair(img, lab, rng=s, p=1.0, order=order, transforms=A.TRANSFORMS)
        assert set(np.unique(out).tolist()) <= {0, 3, 7, 12}

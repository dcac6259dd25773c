"""Tests of segkit.patches: multi-scale windows, pixel sampling, symmetries, the classifier."""

import numpy as np
import pytest

from segkit import patches


def test_scale_one_window_is_the_neighbourhood():
    img = np.random.default_rng(0).random((20, 24)).astype(np.float32)
    pyr = patches.scale_pyramid(img, scales=(1,), size=5)
    rows, cols = np.array([2, 10, 19]), np.array([2, 7, 23])
    p = patches.extract_patches(pyr, rows, cols, scales=(1,), size=5)
    padded = np.pad(img, 2, mode="symmetric")
    for k, (r, c) in enumerate(zip(rows, cols)):
        assert np.array_equal(p[k, :, :, 0], padded[r:r + 5, c:c + 5])
        assert p[k, 2, 2, 0] == img[r, c]  # the pixel sits in the centre


def test_coarse_scale_is_block_mean():
    img = np.arange(81, dtype=np.float32).reshape(9, 9)
    pyr = patches.scale_pyramid(img, scales=(1, 3), size=3)
    p = patches.extract_patches(pyr, [4], [4], scales=(1, 3), size=3)
    assert p.shape == (1, 3, 3, 2)
    blocks = img.reshape(3, 3, 3, 3).mean(axis=(1, 3))
    assert np.allclose(p[0, :, :, 1], blocks)  # centre block (1, 1) and its 8 neighbours
    # every pixel of a block shares its coarse window
    q = patches.extract_patches(pyr, [3, 5], [3, 5], scales=(1, 3), size=3)
    assert np.array_equal(q[0, ..., 1], q[1, ..., 1])


def test_pyramid_handles_sides_that_are_not_multiples():
    pyr = patches.scale_pyramid(np.ones((10, 11)), scales=(1, 3, 9, 27), size=25)
    assert [p.shape for p in pyr] == [(34, 35), (28, 28), (26, 26), (25, 25)]
    p = patches.extract_patches(pyr, [9], [10], scales=(1, 3, 9, 27), size=25)
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
    (lambda: patches.scale_pyramid(np.zeros((4, 4)), size=4), ValueError,
     r"`size` must be odd"),
    (lambda: patches.scale_pyramid(np.zeros((2, 4, 4))), ValueError,
     r"`image` must be one 2-D image"),
    (lambda: patches.scale_pyramid(np.zeros((4, 4)), scales=(1, 0)), ValueError,
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

import numpy as np
import pytest

from segkit import eda


def _dice(pred, truth):
    tp = (pred & truth).sum()
    denom = pred.sum() + truth.sum()
    return 2 * tp / denom if denom else 0.0


# ----------------------------------------------------------------------------- intensities
def test_histograms_count_every_pixel_once():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (3, 10, 12), dtype=np.uint8)
    msk = rng.random((3, 10, 12)) > 0.7
    h = eda.intensity_histograms(img, msk)
    assert h["foreground"].sum() == msk.sum()
    assert h["background"].sum() == (~msk).sum()
    assert len(h["edges"]) == len(h["foreground"]) + 1
    assert 0 <= h["overlap"] <= 1


def test_identical_distributions_overlap_fully():
    img = np.tile(np.arange(10, dtype=np.uint8), (1, 2, 1))
    msk = np.zeros_like(img)
    msk[0, 0] = 1
    assert eda.intensity_histograms(img, msk)["overlap"] == pytest.approx(1.0)


@pytest.mark.parametrize("polarity", ["above", "below"])
def test_best_threshold_separable_gives_dice_one(polarity):
    img = np.array([[[10, 12, 200, 220]]], dtype=np.uint8)
    msk = np.array([[[0, 0, 1, 1]]], dtype=np.uint8)
    if polarity == "below":
        msk = 1 - msk
    r = eda.best_threshold(img, msk)
    assert r == {"threshold": r["threshold"], "polarity": polarity, "dice": 1.0}
    pred = img > r["threshold"] if polarity == "above" else img < r["threshold"]
    assert np.array_equal(pred, msk.astype(bool))


@pytest.mark.parametrize("seed", range(3))
def test_best_threshold_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 20, (2, 6, 7), dtype=np.uint8)
    msk = (img + rng.integers(-6, 7, img.shape)) > 10
    best = max(_dice(img > t, msk) for t in np.arange(-0.5, 20.5))
    best = max(best, max(_dice(img < t, msk) for t in np.arange(-0.5, 20.5)))
    assert eda.best_threshold(img, msk)["dice"] == pytest.approx(best)


def test_best_threshold_on_float_images_is_bounded():
    rng = np.random.default_rng(1)
    img = rng.normal(size=(2, 16, 16)).astype(np.float32)
    msk = rng.random((2, 16, 16)) > 0.5
    r = eda.best_threshold(img, msk, bins=32)
    assert 0 < r["dice"] <= 1


# ----------------------------------------------------------------------------- objects
def test_connectivity_decides_diagonal_touching():
    diag = np.array([[1, 0], [0, 1]])
    assert eda.count_objects(diag, connectivity=2)[0] == 1
    assert eda.count_objects(diag, connectivity=1)[0] == 2


def test_stacks_count_per_slice_unless_asked_for_3d():
    m = np.zeros((4, 6, 6, 1), np.uint8)
    m[0:3, 1:3, 1:3] = 1          # a 2 x 2 x 3 column: one object in 3-D, three in 2-D
    m[1, 4, 4] = 1                # one voxel alone in slice 1
    m[3, 3, 3] = 1                # touches the column's last voxel (2, 2, 2) at a corner only
    n2, areas = eda.count_objects(m)
    assert n2 == 5 and sorted(areas.tolist()) == [1, 1, 4, 4, 4]
    n3, volumes = eda.count_objects(m, dims=3)
    assert n3 == 2 and sorted(volumes.tolist()) == [1, 13]  # the corner joins in full 3-D
    n6, volumes6 = eda.count_objects(m, dims=3, connectivity=1)  # 6-neighbourhood: it does not
    assert n6 == 3 and sorted(volumes6.tolist()) == [1, 1, 12]
    assert eda.count_objects(m[..., 0], dims=3)[0] == 2  # (N, H, W) as well
    assert volumes.dtype.kind == "i"


def test_spacing_gives_physical_areas_and_volumes():
    m = np.zeros((3, 5, 5), bool)
    m[:, 1:3, 1:4] = True                           # 3 slices of 2 x 3 pixels
    _, area = eda.count_objects(m[0], spacing=5.0)
    assert area.tolist() == [6 * 25.0]              # Malec's 25 nm^2 per pixel
    _, vol = eda.count_objects(m, dims=3, spacing=5.0)
    assert vol.tolist() == [18 * 125.0]             # and 125 nm^3 per voxel
    _, vol = eda.count_objects(m, dims=3, spacing=(10.0, 5.0, 5.0))  # anisotropic voxels
    assert vol.tolist() == [18 * 250.0]
    _, areas = eda.count_objects(m, spacing=(2.0, 3.0))  # a stack, per slice, (dy, dx)
    assert areas.tolist() == [36.0, 36.0, 36.0]


def test_one_slice_with_a_channel_axis_is_one_slice():
    m = np.zeros((5, 5, 1), np.uint8)
    m[0, 0] = m[4, 4] = 1
    assert eda.count_objects(m)[0] == 2
    assert eda.count_objects(m, dims=3)[0] == 2


def test_objects_per_slice_and_areas():
    m = np.zeros((2, 6, 6), np.uint8)
    m[0, 0:2, 0:2] = 1
    m[0, 4:6, 3:6] = 1
    m[1, 2:5, 2:3] = 1
    counts, areas = eda._objects_per_slice(m[..., None])
    assert counts.tolist() == [2, 1]
    assert sorted(areas.tolist()) == [3, 4, 6]


def test_empty_mask_has_no_objects_and_no_humps():
    z = np.zeros((4, 4), bool)
    assert eda.count_objects(z)[0] == 0
    assert eda._naive_object_count(z) == 0


def test_humps_count_runs_along_rows_or_columns():
    m = np.array([[1, 1, 0, 1], [0, 0, 0, 0], [1, 0, 1, 0]])
    assert eda._humps_per_line(m).tolist() == [2, 0, 2]
    assert eda._humps_per_line(m, axis=0).tolist() == [2, 1, 1, 1]


def test_naive_count_agrees_on_side_by_side_convex_objects():
    m = np.zeros((8, 12), np.uint8)
    m[2:5, 1:3] = m[3:6, 5:7] = m[1:7, 9:11] = 1
    assert eda._naive_object_count(m) == eda.count_objects(m)[0] == 3


def test_compare_counts_finds_the_failures():
    m = np.zeros((3, 6, 6), np.uint8)
    m[0, 1, 1] = m[0, 4, 1] = 1               # stacked: naive 1, components 2
    m[1, 1:4, 1] = m[1, 1:4, 3] = m[1, 3, 1:4] = 1  # U shape: naive 2, components 1
    m[2, 1, 1] = m[2, 1, 4] = 1               # side by side: both 2
    c = eda.compare_counts(m)
    assert c["components"].tolist() == [2, 1, 2]
    assert c["naive"].tolist() == [1, 2, 2]
    assert c["disagree"].tolist() == [0, 1]


# ----------------------------------------------------------------------------- correlation
def test_fisher_ci_on_paper():
    # z = atanh(0.5) = 0.5493, se = 1/sqrt(100) = 0.1, z +- 1.96 se back through tanh
    low, high = eda._fisher_ci(0.5, 103)
    assert low == pytest.approx(np.tanh(np.arctanh(0.5) - 0.196), abs=1e-4)
    assert high == pytest.approx(np.tanh(np.arctanh(0.5) + 0.196), abs=1e-4)


@pytest.mark.parametrize("r", [-0.9, -0.3, 0.0, 0.4, 0.95])
def test_fisher_ci_properties(r):
    low, high = eda._fisher_ci(r, 50)
    assert -1 <= low < r < high <= 1
    nlow, nhigh = eda._fisher_ci(-r, 50)
    assert (nlow, nhigh) == pytest.approx((-high, -low))
    wide = eda._fisher_ci(r, 10)
    assert wide[1] - wide[0] > high - low


def test_fisher_ci_perfect_correlation_is_degenerate():
    assert eda._fisher_ci(1.0, 20) == (1.0, 1.0)


def test_correlation_length_grows_with_smoothing():
    from scipy.ndimage import gaussian_filter

    noise = np.random.default_rng(0).random((64, 64))
    assert eda._correlation_length(noise) == 1
    assert eda._correlation_length(gaussian_filter(noise, 4)) > 3


def test_slice_correlation_identical_and_independent_slices():
    rng = np.random.default_rng(0)
    base = rng.random((32, 32))
    stack = np.stack([base, base, rng.random((32, 32))])
    c = eda.slice_correlation(stack, step=1)
    assert c["depth"].tolist() == [0, 1, 2]
    assert c["r"][:2] == pytest.approx([1.0, 1.0])
    assert abs(c["r"][2]) < 0.15
    assert c["low"][2] < c["r"][2] < c["high"][2]
    assert c["n_eff"] == c["n_pixels"] == 1024


def test_effective_n_comes_from_the_grid_step():
    stack = np.random.default_rng(1).random((2, 30, 40, 1))
    c = eda.slice_correlation(stack, step=10)
    assert c["n_eff"] == 3 * 4 and c["n_pixels"] == 1200
    # the pixel-count interval is far narrower than the honest one
    assert (c["naive_high"] - c["naive_low"])[1] < (c["high"] - c["low"])[1]


def test_flip_decorrelates_more_than_nothing():
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(2)
    base = gaussian_filter(rng.random((48, 48)), 3)
    stack = np.stack([base + 0.01 * rng.random((48, 48)) for _ in range(3)])
    same = eda.transformed_correlation(stack, transform="none", step=4)
    flip = eda.transformed_correlation(stack, transform="flip", step=4)
    noisy = eda.transformed_correlation(stack, transform="noise", strength=2.0, step=4)
    assert same["r"][0] == pytest.approx(1.0) and flip["r"][0] == pytest.approx(1.0)
    assert (flip["r"][1:] < same["r"][1:] - 0.3).all()
    assert (noisy["r"][1:] < same["r"][1:]).all()


def test_transformed_correlation_on_a_subset_of_slices():
    stack = np.random.default_rng(3).random((5, 16, 16))
    c = eda.transformed_correlation(stack, transform="elastic_grid", strength=2.0, step=2,
                                    slices=[2, 3])
    assert c["depth"].tolist() == [2, 3] and len(c["r"]) == 2


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, exc, match", [
    (lambda: eda.intensity_histograms(np.zeros((2, 4, 4)), np.zeros((2, 4, 5))), ValueError,
     r"`masks` \(shape \(2, 4, 5\)\) must have the same shape as `images` \(shape \(2, 4, 4\)\)"),
    (lambda: eda.best_threshold(np.zeros((4, 4)), np.zeros((4, 4))), ValueError,
     r"`images` must be 3-D or 4-D \(a stack"),
    (lambda: eda.best_threshold(np.full((1, 4, 4), np.nan), np.zeros((1, 4, 4))), ValueError,
     r"`images` must be finite, got 16 NaN"),
    (lambda: eda.intensity_histograms(np.zeros((1, 4, 4)), np.full((1, 4, 4), 3)), ValueError,
     r"`masks` must be a binary mask"),
    (lambda: eda.count_objects(np.zeros((2, 3, 4, 4))), ValueError,
     r"`mask` must have one channel \(N, H, W, 1\), got array of shape \(2, 3, 4, 4\)"),
    (lambda: eda.count_objects(np.zeros((4, 4)), connectivity=3), ValueError,
     r"`connectivity` must be between 1 and 2 for 2-D components, got 3"),
    (lambda: eda.count_objects(np.zeros((2, 4, 4)), dims=3, connectivity=4), ValueError,
     r"`connectivity` must be between 1 and 3 for 3-D components, got 4"),
    (lambda: eda.count_objects(np.zeros((2, 4, 4)), dims=4), ValueError,
     r"`dims` must be 2 \(objects of each slice\) or 3 \(objects of the volume\), got 4"),
    (lambda: eda.count_objects(np.zeros((2, 4, 4)), dims=3, spacing=(5.0, 5.0)), ValueError,
     r"`spacing` must be one number or 3 \(one per axis\), got \(5.0, 5.0\)"),
    (lambda: eda.count_objects(np.zeros((4, 4)), spacing=-1.0), ValueError, r"`spacing`"),
    (lambda: eda.count_objects(np.zeros((4, 4)), spacing="5 nm"), TypeError, r"`spacing`"),
    (lambda: eda.count_objects(np.full((4, 4), 3)), ValueError, r"`mask` must be a binary mask"),
    (lambda: eda._humps_per_line(np.zeros((4, 4)), axis=2), ValueError, r"`axis` must be 0 or 1"),
    (lambda: eda._fisher_ci(1.2, 10), ValueError, r"`r` must be correlations in \[-1, 1\]"),
    (lambda: eda._fisher_ci(0.2, 3), ValueError, r"`n` must be > 3"),
    (lambda: eda.slice_correlation(np.zeros((2, 4, 4)), reference=2), ValueError,
     r"`reference` must be < the number of slices 2, got 2"),
    (lambda: eda.slice_correlation(np.zeros((2, 4, 4, 3))), ValueError,
     r"`stack` must have one channel"),
    (lambda: eda.transformed_correlation(np.zeros((2, 4, 4)), transform="blur"), ValueError,
     r"`transform` must be one of 'none', 'flip'.* got 'blur'"),
    (lambda: eda.transformed_correlation(np.zeros((2, 4, 4)), transform="noise",
                                         strength="(0.5, 2.0)"), TypeError,
     r"`strength` must be a number, got '\(0.5, 2.0\)'"),
    (lambda: eda.transformed_correlation(np.zeros((2, 4, 4)), transform="noise",
                                         strength=-1.0), ValueError,
     r"`strength` must be a finite number >= 0, got -1.0"),
    (lambda: eda._correlation_length(np.zeros((4, 4)), threshold=1.5), ValueError,
     r"`threshold` must be in \(0, 1\)"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("dtype, low, high", [(np.uint8, 0, 256), (np.uint16, 1000, 1200),
                                              (np.int16, -50, 60)])
def test_integer_histograms_count_like_numpy(dtype, low, high):
    rng = np.random.default_rng(4)
    x = rng.integers(low, high, size=(3, 20, 30)).astype(dtype)
    y = rng.random((3, 20, 30)) > 0.7
    h = eda.intensity_histograms(x, y)
    np.testing.assert_array_equal(h["foreground"], np.histogram(x[y], bins=h["edges"])[0])
    np.testing.assert_array_equal(h["background"], np.histogram(x[~y], bins=h["edges"])[0])

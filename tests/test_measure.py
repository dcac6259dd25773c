"""Tests of segkit.measure: hand-made label images whose statistics are known on paper."""

import math

import numpy as np
import pytest

from segkit import measure


def _square(size=10, shape=(20, 20), at=5):
    lab = np.zeros(shape, np.int32)
    lab[at:at + size, at:at + size] = 1
    return lab


def test_square_statistics():
    t = measure.object_table(_square())
    assert t["label"].tolist() == [1]
    assert t["area"][0] == 100
    assert t["equivalent_diameter"][0] == pytest.approx(2 * math.sqrt(100 / math.pi))
    assert t["perimeter"][0] == pytest.approx(36)  # scikit-image's 4-connected estimate
    assert t["aspect_ratio"][0] == pytest.approx(1.0)
    assert t["solidity"][0] == pytest.approx(1.0)
    assert (t["centroid_y"][0], t["centroid_x"][0]) == (9.5, 9.5)
    assert t["skeleton_length"][0] > 0


@pytest.mark.parametrize("p", [0.5, 2.0, 3.0])
def test_pixel_size_scales_lengths_and_areas(p):
    t1 = measure.object_table(_square())
    tp = measure.object_table(_square(), pixel_size=p)
    assert tp["area"][0] == pytest.approx(100 * p * p)
    for col in ("equivalent_diameter", "perimeter", "major_axis", "minor_axis",
                "skeleton_length", "centroid_y"):
        assert tp[col][0] == pytest.approx(t1[col][0] * p)
    for col in ("aspect_ratio", "solidity"):
        assert tp[col][0] == pytest.approx(t1[col][0])


def test_pixel_size_two_gives_area_400():
    assert measure.object_table(_square(), pixel_size=2)["area"][0] == 400


def test_rectangle_aspect_ratio_and_l_shape_solidity():
    lab = np.zeros((30, 40), np.int32)
    lab[5:9, 5:25] = 1  # 4 x 20 rectangle: pixel variances (n**2 - 1) / 12 per axis
    lab[15:25, 5:8] = 2  # L: 10x3 plus 3x7 foot
    lab[22:25, 8:15] = 2
    t = measure.object_table(lab)
    assert t["aspect_ratio"][0] == pytest.approx(math.sqrt((20**2 - 1) / (4**2 - 1)))
    assert t["area"][1] == 30 + 21
    assert t["solidity"][1] < 0.8


def test_line_has_infinite_aspect_ratio_and_skeleton_of_its_length():
    lab = np.zeros((10, 20), np.int32)
    lab[5, 3:13] = 7
    t = measure.object_table(lab)
    assert np.isinf(t["aspect_ratio"][0])
    assert t["skeleton_length"][0] == 10


def test_border_objects_removed_and_min_area():
    lab = np.zeros((20, 20), np.int32)
    lab[0:4, 0:4] = 1  # touches the border
    lab[8:10, 8:10] = 2  # 4 pixels
    lab[12:17, 12:17] = 3  # 25 pixels
    assert measure.object_table(lab)["label"].tolist() == [2, 3]
    assert measure.object_table(lab, exclude_border=False)["label"].tolist() == [1, 2, 3]
    assert measure.object_table(lab, min_area=5)["label"].tolist() == [3]


def test_intensity_columns():
    lab = _square(4, (10, 10), 3)
    img = np.arange(100, dtype=np.uint8).reshape(10, 10)
    t = measure.object_table(lab, img)
    assert (t["intensity_min"][0], t["intensity_max"][0]) == (33, 66)
    assert t["intensity_mean"][0] == pytest.approx(img[3:7, 3:7].mean())
    assert "intensity_mean" not in measure.object_table(lab)
    t1 = measure.object_table(lab, img[..., None])  # (H, W, 1) image
    assert t1["intensity_max"][0] == 66


def test_stack_slices_and_empty():
    stack = np.stack([_square(), np.zeros((20, 20), np.int32), _square(4)])
    t = measure.object_table(stack[..., None])
    assert t["slice"].tolist() == [0, 2]
    assert t["area"].tolist() == [100, 16]
    empty = measure.object_table(np.zeros((5, 5), np.uint8))
    assert all(empty[c].size == 0 for c in empty.columns)


def test_histogram_pair_and_cosine_distance():
    h_a, h_b, edges = measure.histogram_pair([1, 1, 2], [1, 1, 2, np.inf], bins=4)
    assert h_a.sum() == pytest.approx(1) and edges.size == 5
    assert measure._cosine_distance(h_a, h_b) == pytest.approx(0)
    h_a, h_b, _ = measure.histogram_pair([0.0], [10.0], bins=2)
    assert measure._cosine_distance(h_a, h_b) == 1.0


def test_rdf_lattice_peak_and_poisson_near_one():
    lab = np.zeros((200, 200), np.int32)
    k = 0
    for y in range(5, 200, 10):
        for x in range(5, 200, 10):
            k += 1
            lab[y, x] = k
    r, g = measure.rdf(lab, r_max=25, bins=25)
    assert g[r < 9].max() == 0  # nothing closer than the spacing
    assert r[np.argmax(g)] == pytest.approx(10.5)
    rng = np.random.default_rng(0)
    pts = np.zeros((20, 400, 400), np.int32)
    for i in range(20):
        yx = rng.integers(0, 400, size=(150, 2))
        pts[i][yx[:, 0], yx[:, 1]] = np.arange(1, 151)
    r, g = measure.rdf(pts, r_max=80, bins=8)
    # translation correction keeps g near 1 up to r_max even though r_max reaches the edges
    assert np.abs(g[1:] - 1).max() < 0.1


def test_rdf_single_object_is_nan():
    r, g = measure.rdf(_square(), r_max=5, bins=3)
    assert np.isnan(g).all() and r.size == 3


def test_compare_distributions_identical_and_different():
    from segkit.synthetic import make_touching_particles

    _, labels = make_touching_particles(2, (96, 96), seed=1, n_particles=10)
    same = measure.compare_distributions(labels, labels, bins=8, r_max=20, rdf_bins=5)
    assert same["area_distance"] == 0 and same["rdf_rmse"] == 0
    from scipy import ndimage as ndi

    merged = np.stack([ndi.label(s > 0)[0] for s in labels]).astype(np.int32)
    diff = measure.compare_distributions(labels, merged, bins=8, r_max=20, rdf_bins=5)
    assert diff["area_distance"] > 0 and diff["n_pred"] < diff["n_true"]


def test_object_table_is_a_dataframe_that_saves_as_csv(tmp_path):
    import pandas as pd

    t = measure.object_table(_square(), pixel_size=2)
    assert isinstance(t, pd.DataFrame) and len(t) == 1
    t.to_csv(tmp_path / "objects.csv", index=False)
    back = pd.read_csv(tmp_path / "objects.csv")
    assert back.columns.tolist() == t.columns.tolist() and back["area"].tolist() == [400]


@pytest.mark.parametrize("labels, exc, match", [
    (np.zeros((4, 4), float), TypeError, r"`labels` must be an integer label image.*float64"),
    (np.zeros((4, 4), bool), TypeError, r"`labels` must be an integer label image.*bool"),
    (np.zeros(4, np.int32), ValueError, r"`labels` must be 2-D.*shape \(4,\)"),
    (-np.ones((4, 4), np.int32), ValueError, r"`labels` must have non-negative labels"),
    ("abc", TypeError, r"`labels` must be an array"),
])
def test_bad_labels(labels, exc, match):
    with pytest.raises(exc, match=match):
        measure.object_table(labels)


@pytest.mark.parametrize("p", [0, -1.0, np.nan])
def test_bad_pixel_size(p):
    with pytest.raises(ValueError, match=r"`pixel_size` must be > 0, got"):
        measure.object_table(_square(), pixel_size=p)


def test_bad_other_arguments(tmp_path):
    with pytest.raises(TypeError, match=r"`pixel_size` must be a number, got 'x'"):
        measure.object_table(_square(), pixel_size="x")
    with pytest.raises(ValueError, match=r"`image` \(shape \(3, 3\)\) must have the same shape"):
        measure.object_table(_square(), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"`min_area` must be >= 0, got -1"):
        measure.object_table(_square(), min_area=-1)
    with pytest.raises(ValueError, match=r"`r_max` must be > 0 and below"):
        measure.rdf(_square(), r_max=50)


def test_medians_and_means_of_the_table():
    stack = np.stack([_square(), _square(4), _square(6)])
    t = measure.object_table(stack, pixel_size=2.0)
    s = t[["area", "equivalent_diameter", "aspect_ratio"]].median()
    assert len(t) == 3 and s["area"] == 144.0
    assert s["equivalent_diameter"] == pytest.approx(2 * math.sqrt(144 / math.pi))
    assert s["aspect_ratio"] == pytest.approx(1.0)
    assert t["area"].mean() == pytest.approx((400 + 64 + 144) / 3)


def test_empty_table_summarises_to_nan_without_warnings():
    # pytest turns warnings into errors: NumPy's "Mean of empty slice" would fail this test
    empty = measure.object_table(np.zeros((2, 16, 16), np.int32))
    assert len(empty) == 0 and "area" in empty.columns
    for s in (empty[["area", "aspect_ratio"]].median(), empty[["area"]].mean()):
        assert s.isna().all()


# ----------------------------------------------------------------------------- lists (EMPS)
def test_lists_of_images_of_different_sizes():
    a = np.zeros((30, 40), np.int32)
    a[5:10, 5:10], a[15:25, 20:26] = 1, 2
    b = np.zeros((24, 20), np.int32)
    b[4:8, 4:12] = 5
    t = measure.object_table([a, b])
    assert t["slice"].tolist() == [0, 0, 1] and t["label"].tolist() == [1, 2, 5]
    assert t["area"].tolist() == [25.0, 60.0, 32.0]
    # intensities pair with the labels image by image
    ti = measure.object_table([a, b], [np.ones(a.shape), np.full(b.shape, 3.0)])
    assert ti["intensity_mean"].tolist() == [1.0, 1.0, 3.0]
    with pytest.raises(ValueError, match=r"`labels` is a list of 2 images, so `image` must be"):
        measure.object_table([a, b], np.ones(a.shape))
    # a stack of as many images pairs with a list of label images of one size
    stack = np.stack([np.ones(a.shape), np.full(a.shape, 3.0)])
    assert measure.object_table([a, a], stack).equals(measure.object_table([a, a], list(stack)))
    with pytest.raises(ValueError, match=r"must be a list or a stack of as many, got list of "
                                         r"length 2"):
        measure.object_table([a, a, a], stack)


def test_narrow_label_types_are_measured_in_place():
    a = np.zeros((30, 40), np.int32)
    a[5:10, 5:10], a[15:25, 20:26] = 1, 2
    want = measure.object_table([a, a[:20]])
    for dtype in (np.uint8, np.uint16, np.int16):
        assert measure.object_table([a.astype(dtype), a[:20].astype(dtype)]).equals(want)
    narrow = a.astype(np.uint16)
    assert np.shares_memory(measure._labels(narrow)[0], narrow)


def test_rdf_of_a_list_weights_each_image_by_its_area():
    a = np.zeros((40, 40), np.int32)
    a[10, 10], a[10, 20] = 1, 2
    r, g_one = measure.rdf(a, r_max=20, bins=4)
    _, g_list = measure.rdf([a, a], r_max=20, bins=4)
    np.testing.assert_allclose(g_list, g_one)  # the same image twice: the same g(r)
    with pytest.raises(ValueError, match=r"`r_max` must be > 0 and below the shorter image side"):
        measure.rdf([a, a[:10]], r_max=20)


def test_compare_distributions_per_image_rows():
    a = np.zeros((40, 40), np.int32)
    a[5:10, 5:10], a[20:30, 20:25] = 1, 2
    rows = measure.compare_distributions([a, a[:35]], [a, np.zeros((35, 40), np.int32)],
                                         bins=5, r_max=10, rdf_bins=2, per_image=True)
    assert rows["image"].tolist() == [0, 1] and rows["n_true"].tolist() == [2, 2]
    assert rows["n_pred"].tolist() == [2, 0] and rows["area_distance"].tolist()[0] == 0.0
    pooled = measure.compare_distributions(np.stack([a, a]), np.stack([a, a]), bins=5,
                                           r_max=10, rdf_bins=2)
    assert pooled["n_true"] == 4 and pooled["rdf_rmse"] == 0.0

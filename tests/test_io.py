import numpy as np
import pytest
import tifffile
from hypothesis import given, settings, strategies as st

from segkit import data, io


# ----------------------------------------------------------------------------- to_nhwc
@pytest.mark.parametrize("shape, expected", [
    ((4, 5), (1, 4, 5, 1)),
    ((3, 4, 5), (3, 4, 5, 1)),
    ((4, 5, 1), (1, 4, 5, 1)),
    ((3, 4, 5, 1), (3, 4, 5, 1)),
])
def test_to_nhwc_accepts_common_layouts(shape, expected):
    assert io.to_nhwc(np.zeros(shape, np.uint8)).shape == expected


@pytest.mark.parametrize("shape", [(40, 50, 3), (2, 4, 5, 3), (40, 50, 4)])
def test_to_nhwc_rejects_colour(shape):
    with pytest.raises(ValueError, match=r"`stack` looks like colour .*rgb2gray"):
        io.to_nhwc(np.zeros(shape), "stack")


def test_to_nhwc_rejects_wrong_ndim_and_types():
    with pytest.raises(ValueError, match=r"`stack` must be 2-D or 3-D or 4-D"):
        io.to_nhwc(np.zeros(5), "stack")
    with pytest.raises(TypeError, match=r"`stack` must be numeric"):
        io.to_nhwc(np.array([["a"]]), "stack")
    with pytest.raises(TypeError, match=r"`stack` must be an array, got str"):
        io.to_nhwc("image.tif", "stack")


# ----------------------------------------------------------------------------- TIFF files
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_write_read_stack_round_trip_is_exact(tmp_path, dtype):
    rng = np.random.default_rng(0)
    stack = (rng.random((5, 12, 17)) * 200).astype(dtype)
    path = io.write_stack(tmp_path / "s.tif", stack)
    back = io.read_stack(path)
    assert back.shape == (5, 12, 17, 1) and back.dtype == dtype
    np.testing.assert_array_equal(back[..., 0], stack)
    with tifffile.TiffFile(path) as tif:
        assert len(tif.pages) == 5  # a real multipage TIFF, one page per slice


def test_masks_are_written_0_255_and_read_0_1(tmp_path):
    mask = np.zeros((2, 4, 4), bool)
    mask[0, 1:3, 1:3] = True
    path = io.write_stack(tmp_path / "m.tif", mask, mask=True)
    assert set(np.unique(tifffile.imread(path)).tolist()) == {0, 255}
    back = io.read_mask(path)
    assert back.dtype == np.uint8 and set(np.unique(back).tolist()) == {0, 1}
    np.testing.assert_array_equal(back[..., 0], mask)


def test_read_stack_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"`path`: no such file"):
        io.read_stack(tmp_path / "nope.tif")


def test_read_stack_truncated_file(tmp_path):
    path = io.write_stack(tmp_path / "s.tif", np.ones((4, 64, 64), np.uint8))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(ValueError, match=r"`path` \(.*s.tif\) is not a readable TIFF stack; is it truncated or corrupt"):
        io.read_stack(path)


def test_read_stack_not_a_tiff(tmp_path):
    path = tmp_path / "fake.tif"
    path.write_text("this is not an image")
    with pytest.raises(ValueError, match=r"not a readable TIFF"):
        io.read_stack(path)


def test_read_stack_rejects_rgb(tmp_path):
    path = tmp_path / "rgb.tif"
    tifffile.imwrite(path, np.zeros((8, 8, 3), np.uint8), photometric="rgb")
    with pytest.raises(ValueError, match=r"looks like colour"):
        io.read_stack(path)


def test_read_stack_rejects_nan(tmp_path):
    stack = np.zeros((2, 4, 4), np.float32)
    stack[1, 2, 3] = np.nan
    path = tmp_path / "nan.tif"
    tifffile.imwrite(path, stack, photometric="minisblack")
    with pytest.raises(ValueError, match=r"must be finite, got 1 NaN/inf value\(s\) \(first at index \(1, 2, 3, 0\)\)"):
        io.read_stack(path)


def test_read_mask_rejects_non_binary_values(tmp_path):
    path = tmp_path / "labels.tif"
    tifffile.imwrite(path, np.array([[[0, 1, 2], [0, 3, 3]]], np.uint8), photometric="minisblack")
    with pytest.raises(ValueError, match=r"binary mask with values in \{0, 1\} or \{0, 255\}, got 4 distinct values: 0, 1, 2, 3"):
        io.read_mask(path)


def test_read_pair_shape_mismatch(tmp_path):
    io.write_stack(tmp_path / "i.tif", np.zeros((3, 8, 8), np.uint8))
    io.write_stack(tmp_path / "m.tif", np.zeros((2, 8, 8), np.uint8), mask=True)
    with pytest.raises(ValueError, match=r"`mask_path` \(m.tif, shape \(2, 8, 8, 1\)\) must have the same shape as `image_path` \(i.tif, shape \(3, 8, 8, 1\)\)"):
        data._read_pair(tmp_path / "i.tif", tmp_path / "m.tif")


def test_write_is_atomic_on_failure(tmp_path):
    target = tmp_path / "keep.tif"
    io.write_stack(target, np.ones((2, 4, 4), np.uint8))
    before = target.read_bytes()
    with pytest.raises(ValueError):
        io.write_stack(target, np.full((2, 4, 4), 7, np.uint8), mask=True)  # not binary
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.tif"]  # no temp file left


# ----------------------------------------------------------------------------- normalisation
def test_normalization_fit_apply_and_serialise():
    x = np.arange(101, dtype=np.uint16)
    norm = io.Normalization.fit(x, percentiles=(0, 100))
    y = norm(x)
    assert y.dtype == np.float32 and y.min() == 0 and y.max() == 1
    again = io.Normalization.from_dict(norm.to_dict())
    np.testing.assert_array_equal(again(x), y)


def test_normalization_bad_input():
    with pytest.raises(ValueError, match=r"no intensity spread"):
        io.Normalization.fit(np.full((4, 4), 3))
    with pytest.raises(ValueError, match=r"`percentiles` must satisfy"):
        io.Normalization.fit(np.arange(10), percentiles=(50, 10))
    with pytest.raises(ValueError, match=r"`images` must be finite"):
        io.Normalization(0, 1)(np.array([0.0, np.nan]))


# ----------------------------------------------------------------------------- tiling
@pytest.mark.parametrize("shape", [(768, 1024), (3, 768, 1024), (2, 300, 517, 1), (5, 7), (1, 256, 256)])
@pytest.mark.parametrize("pad_mode", ["reflect", "constant"])
def test_tile_untile_round_trip_exact(shape, pad_mode):
    x = np.random.default_rng(1).integers(0, 65535, size=shape, dtype=np.uint16)
    tiles = io.tile(x, 256, pad_mode=pad_mode)
    assert tiles.shape[1:] == (256, 256, 1)
    np.testing.assert_array_equal(io.untile(tiles, shape), x)


def test_tile_counts_and_order():
    x = np.arange(2 * 4 * 6).reshape(2, 4, 6)
    tiles = io.tile(x, 2)
    assert tiles.shape == (2 * 2 * 3, 2, 2, 1)
    np.testing.assert_array_equal(tiles[1, ..., 0], x[0, 0:2, 2:4])  # row-major within slice
    np.testing.assert_array_equal(tiles[6, ..., 0], x[1, 0:2, 0:2])  # then the next slice


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), h=st.integers(1, 40), w=st.integers(1, 40), size=st.integers(1, 16))
def test_tile_untile_property(n, h, w, size):
    x = np.arange(n * h * w, dtype=np.int64).reshape(n, h, w)
    np.testing.assert_array_equal(io.untile(io.tile(x, size), x.shape), x)


def test_untile_wrong_count():
    tiles = io.tile(np.zeros((768, 1024)), 256)
    with pytest.raises(ValueError, match=r"`tiles` holds 12 tiles of 256x256, but `shape` \(2, 768, 1024\) needs 2 x 3 x 4 = 24"):
        io.untile(tiles, (2, 768, 1024))


def test_tile_rejects_bad_size():
    with pytest.raises(ValueError, match=r"`size` must be >= 1, got 0"):
        io.tile(np.zeros((4, 4)), 0)
    with pytest.raises(TypeError, match=r"`size` must be an integer"):
        io.tile(np.zeros((4, 4)), 2.5)


# ----------------------------------------------------------------------------- splits
def test_split_blocks_contiguous_disjoint_with_gap():
    train, val, test = io.split_blocks(165, (0.7, 0.15, 0.15), gap=5)
    for block in (train, val, test):
        assert (np.diff(block) == 1).all()
    assert val[0] - train[-1] == 6 and test[0] - val[-1] == 6
    assert test[-1] == 164
    assert len(train) + len(val) + len(test) == 165 - 10


def test_split_blocks_errors():
    with pytest.raises(ValueError, match=r"`n_slices`=3 is too few for 3 blocks with `gap`=2"):
        io.split_blocks(3, (1, 1, 1), gap=2)
    with pytest.raises(ValueError, match=r"`fractions` must be positive"):
        io.split_blocks(10, (0.5, -0.5))


def test_normalization_save_load(tmp_path):
    norm = io.Normalization(12.5, 200.0)
    path = norm.save(tmp_path / "m" / "norm.json")
    assert io.Normalization.load(path) == norm
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match=r"is not a saved Normalization"):
        io.Normalization.load(tmp_path / "bad.json")
    with pytest.raises(FileNotFoundError, match=r"no such file"):
        io.Normalization.load(tmp_path / "none.json")


def test_atomic_files_get_ordinary_permissions(tmp_path):
    import os
    umask = os.umask(0o022)
    try:
        path = io.write_stack(tmp_path / "s.tif", np.zeros((1, 4, 4), np.uint8))
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_object_tiles_keeps_tiles_with_objects_spread_over_the_stack():
    images = np.arange(4 * 8 * 8, dtype=np.uint16).reshape(4, 8, 8)
    masks = np.zeros((4, 8, 8), np.uint8)
    for z in range(4):
        masks[z, 1, 1] = 1  # one object in the top-left tile of every slice
    masks[3, 6, 6] = 1
    x, y = io.object_tiles(images, masks, 4)
    assert x.shape == (5, 4, 4, 1) and y.dtype == np.uint8  # the masks' own dtype
    assert (y.reshape(5, -1).max(axis=1) == 1).all()
    np.testing.assert_array_equal(x[0, ..., 0], images[0, :4, :4])
    # n spreads the choice evenly: first, middle and last candidate, not the first three
    x3, _ = io.object_tiles(images, masks, 4, n=3)
    np.testing.assert_array_equal(x3[:, 0, 0, 0], [images[0, 0, 0], images[2, 0, 0],
                                                   images[3, 4, 4]])
    # `where` chooses on one mask stack and cuts another (weak labels on true-mask tiles)
    weak = np.zeros_like(masks)
    xw, yw = io.object_tiles(images, weak, 4, where=masks)
    np.testing.assert_array_equal(xw, x)
    assert yw.sum() == 0


def test_object_tiles_rejects_mismatched_stacks():
    with pytest.raises(ValueError, match=r"`images`, `masks` and `where` must have the same"):
        io.object_tiles(np.zeros((2, 8, 8)), np.zeros((3, 8, 8)), 4)
    with pytest.raises(ValueError, match=r"`where` \(1, 8, 8, 1\)"):
        io.object_tiles(np.zeros((2, 8, 8)), np.zeros((2, 8, 8)), 4, where=np.zeros((1, 8, 8)))
    with pytest.raises(ValueError, match="`n` must be >= 1"):
        io.object_tiles(np.zeros((2, 8, 8)), np.ones((2, 8, 8)), 4, n=0)


def test_normalization_named():
    raw = np.arange(101, dtype=np.uint8).reshape(1, 101)
    assert io.Normalization.named("minmax", raw)(raw).max() == 1.0
    assert io.Normalization.named("none", raw)(raw).max() == 100.0
    assert io.Normalization.named("percentile", raw).low == pytest.approx(1.0)
    with pytest.raises(ValueError, match="`normalization` must be"):
        io.Normalization.named("zscore", raw)


# ----------------------------------------------------------------------------- PNG and lists
ISBI = __import__("pathlib").Path(__file__).parent / "data" / "isbi2012" / "data" / "membrane" / "train"


def test_read_stack_reads_a_png_and_a_list_of_pngs():
    one = io.read_stack(ISBI / "image" / "0.png")
    assert one.shape == (1, 512, 512, 1) and one.dtype == np.uint8
    both = io.read_stack([ISBI / "image" / "0.png", ISBI / "image" / "1.png"])
    assert both.shape == (2, 512, 512, 1)
    np.testing.assert_array_equal(both[:1], one)
    mask = io.read_mask([ISBI / "label" / "0.png", ISBI / "label" / "1.png"])  # 255: cell
    assert mask.dtype == np.uint8 and set(np.unique(mask)) == {0, 1}


def test_read_stack_png_grey_saved_as_rgb_becomes_one_channel(tmp_path):
    import imageio.v3 as iio

    grey = np.arange(48, dtype=np.uint8).reshape(6, 8)
    iio.imwrite(tmp_path / "rgb.png", np.repeat(grey[..., None], 3, axis=2))
    np.testing.assert_array_equal(io.read_stack(tmp_path / "rgb.png")[0, ..., 0], grey)
    colour = np.repeat(grey[..., None], 3, axis=2)
    colour[2, 3, 0] = 255
    iio.imwrite(tmp_path / "colour.png", colour)
    with pytest.raises(ValueError, match=r"`path` \(.*colour.png\) holds true colour .* at "
                                         r"\(2, 3\)"):
        io.read_stack(tmp_path / "colour.png")


def test_read_stack_list_errors(tmp_path):
    import imageio.v3 as iio

    iio.imwrite(tmp_path / "small.png", np.zeros((6, 8), np.uint8))
    with pytest.raises(ValueError, match=r"`path\[1\]` \(small.png, 6 x 8\) must have the "
                                         r"size of `path\[0\]` \(0.png, 512 x 512\)"):
        io.read_stack([ISBI / "image" / "0.png", tmp_path / "small.png"])
    with pytest.raises(ValueError, match=r"`path` is an empty list"):
        io.read_stack([])
    (tmp_path / "bad.png").write_text("not an image")
    with pytest.raises(ValueError, match=r"bad.png\) is not a readable image"):
        io.read_stack(tmp_path / "bad.png")

# ----------------------------------------------------------------------------- training_tiles
def _ten_slices():
    images = (np.arange(10)[:, None, None] * 10 + np.zeros((10, 8, 8))).astype(np.uint8)
    masks = np.zeros((10, 8, 8), np.uint8)
    masks[:, :4, :4] = 1  # one tile of four holds the object
    return images, masks


def test_training_tiles_blocks_are_contiguous_with_the_gap():
    images, masks = _ten_slices()
    tiles = io.training_tiles(images, masks, 4, val_fraction=0.2, gap=1)
    x, y = tiles["train"]
    xv, yv = tiles["val"]
    # split_blocks(10, (0.8, 0.2), gap=1): slices 0-6 train, 8-9 validation, 7 left out
    assert sorted(set(x[:, 0, 0, 0].tolist())) == [0, 10, 20, 30, 40, 50, 60]
    assert sorted(set(xv[:, 0, 0, 0].tolist())) == [80, 90]
    assert x.shape == (28, 4, 4, 1) and x.dtype == np.uint8  # raw: the caller normalises
    assert y.dtype == np.uint8 and y.sum() == 7 * 16  # {0, 1}, a quarter of float32
    np.testing.assert_array_equal(x, io.tile(images[:7], 4))


def test_training_tiles_n_keeps_proportional_tiles_spread_evenly():
    images, masks = _ten_slices()
    tiles = io.training_tiles(images, masks, 4, val_fraction=0.2, gap=1, n=4)
    x, _ = tiles["train"]
    xv, _ = tiles["val"]
    assert len(x) == 4 and len(xv) == 1  # round(4 * 0.2 / 0.8) = 1
    assert x[0, 0, 0, 0] == 0 and x[-1, 0, 0, 0] == 60  # first and last slice, not the first 4


def test_training_tiles_objects_and_where_give_several_label_sets_the_same_tiles():
    images, masks = _ten_slices()
    weak = np.zeros_like(masks)
    weak[:, 0, 0] = 255  # a weak label: only one pixel, stored 0/255
    true = io.training_tiles(images, masks, 4, gap=1, objects=True)
    on_weak = io.training_tiles(images, weak, 4, gap=1, objects=True, where=masks)
    np.testing.assert_array_equal(true["train"][0], on_weak["train"][0])
    assert len(true["train"][0]) == 7 and (true["train"][1] == 1).all()
    assert on_weak["train"][1].sum() == 7 and on_weak["train"][1].max() == 1.0


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(val_fraction=1.0), ValueError, r"`val_fraction` must be a number in \(0, 1\), got 1.0"),
    (dict(val_fraction=True), ValueError, r"`val_fraction` must be a number in \(0, 1\)"),
    (dict(n=0), ValueError, "`n` must be >= 1"),
    (dict(where=np.zeros((10, 8, 8))), ValueError, r"pass it with `objects=True`"),
    (dict(objects=True, where=np.zeros((9, 8, 8))), ValueError,
     r"`where` \(shape \(9, 8, 8, 1\)\) must have the same \(N, H, W\)"),
])
def test_training_tiles_rejects_bad_arguments(kwargs, exc, match):
    images, masks = _ten_slices()
    with pytest.raises(exc, match=match):
        io.training_tiles(images, masks, 4, **kwargs)


def test_training_tiles_rejects_masks_that_are_not_binary():
    images, masks = _ten_slices()
    with pytest.raises(ValueError, match=r"`masks` must be a binary mask"):
        io.training_tiles(images, masks * 3, 4)
    with pytest.raises(ValueError, match=r"`masks` \(shape \(9, 8, 8, 1\)\) must have the same"):
        io.training_tiles(images, masks[:9], 4)

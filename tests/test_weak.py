import warnings

import numpy as np
import pytest
from scipy import ndimage as ndi

from segkit import metrics, synthetic
from segkit.weak import _local_threshold as local_threshold  # private: em_weak_labels' helper
from segkit.weak import (EM_RECIPE, _binarize_borders, click_points, clicks_from_masks,
                         em_weak_labels, flood_fill_labels, flood_fill_steps,
                         read_points, region_grow)


# ----------------------------------------------------------------------------- fixtures
def grid_cells(n=3, cell=10, wall=3, inside=200, membrane=20):
    """An n x n grid of square cells (cell x cell pixels) behind dark walls `wall` wide.

    Returns the image, the true labels (0 on walls, 1.. row-major) and the centre of each
    cell. Side: wall + n * (cell + wall).
    """
    side = wall + n * (cell + wall)
    image = np.full((side, side), membrane, np.uint8)
    labels = np.zeros((side, side), np.int32)
    centres = []
    for i in range(n):
        for j in range(n):
            r0, c0 = wall + i * (cell + wall), wall + j * (cell + wall)
            image[r0:r0 + cell, c0:c0 + cell] = inside
            labels[r0:r0 + cell, c0:c0 + cell] = i * n + j + 1
            centres.append((r0 + cell // 2, c0 + cell // 2))
    return image, labels, np.array(centres)


def noisy_cells(seed, n=2, cell=8, sd=18.0):
    image, labels, centres = grid_cells(n=n, cell=cell, wall=2, inside=160, membrane=60)
    rng = np.random.default_rng(seed)
    noisy = np.clip(image + rng.normal(0, sd, image.shape), 0, 255).round().astype(np.uint8)
    noisy[tuple(centres.T)] = 160  # clicks on the cell, never on a noise-dark pixel
    return noisy, labels, centres


def reference_grow(image, seeds, threshold, max_size):
    """Plain Python transcription of the exact algorithm region_grow documents (batch=0).

    Round by round, each growing region picks from its boundary band the unclaimed
    4-neighbour closest to its mean (ties: lower (row, col)), stopping for good when that
    difference exceeds `threshold`; a pixel picked by several regions goes to the lowest label.
    """
    img = image.astype(np.float64)
    h, w = img.shape
    lab = np.zeros((h, w), np.int32)

    def free_neighbours(p):
        r, c = p
        for q in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if 0 <= q[0] < h and 0 <= q[1] < w and lab[q] == 0:
                yield q

    total, size, band, active = {}, {}, {}, {}
    for i, s in enumerate(map(tuple, seeds)):
        lab[s] = i + 1
        total[i], size[i], active[i] = img[s], 1, max_size > 1
    for i, s in enumerate(map(tuple, seeds)):
        band[i] = set(free_neighbours(s))
    while any(active.values()):
        picks = {}
        for i in sorted(band):
            if not active[i]:
                continue
            band[i] = {p for p in band[i] if lab[p] == 0}
            mean = total[i] / size[i]
            best = min(band[i], key=lambda p: (abs(img[p] - mean), p), default=None)
            if best is None or abs(img[best] - mean) > threshold:
                active[i] = False
                continue
            picks[i] = best
        claimed = {}
        for i in sorted(picks):
            claimed.setdefault(picks[i], i)
        for p, i in claimed.items():
            lab[p] = i + 1
            total[i] += img[p]
            size[i] += 1
            if size[i] >= max_size:
                active[i] = False
        for p, i in claimed.items():
            band[i] |= set(free_neighbours(p))
    return lab


def dice(a, b):
    return 2 * (a & b).sum() / max(1, a.sum() + b.sum())


def frac(grey, image):
    """`grey` grey levels as a fraction of `image`'s intensity range, the fillers' unit."""
    return grey / (float(np.max(image)) - float(np.min(image)))


def in_grey(fraction, image):
    """A fraction of `image`'s range back in grey levels, computed as the fillers do."""
    return fraction * (float(np.max(image)) - float(np.min(image)))


# ----------------------------------------------------------------------------- flood fill
def test_flood_fill_steps_shapes_and_one_label_per_point():
    image, labels, centres = grid_cells()
    steps = flood_fill_steps(image, centres, sigma=0)
    assert list(steps) == ["binarised", "skeleton", "closed", "filled"]
    for key in ("binarised", "skeleton", "closed"):
        assert steps[key].dtype == bool and steps[key].shape == image.shape
    filled = steps["filled"]
    assert filled.dtype == np.int32
    assert sorted(np.unique(filled)) == list(range(len(centres) + 1))
    assert (steps["binarised"] == (labels == 0)).all()
    assert not (steps["skeleton"] & (labels > 0)).any()  # skeleton inside the walls
    assert (steps["skeleton"][14] & steps["skeleton"][:, 27]).any()  # on the wall midlines


def test_flood_fill_region_sizes_follow_the_disk():
    # walls 3 px wide, skeleton on their middle line. No disk: each region is the cell plus
    # the one-pixel half-wall around it. A disk of radius 1 covers the walls again: the
    # region is the cell (plus one pixel along the image edge, where the skeleton sits on
    # the outermost pixel). Radius 2 eats one pixel of the cell all round.
    image, labels, centres = grid_cells()
    centre = labels == 5
    inner = ndi.binary_erosion(centre)
    ring = ndi.binary_dilation(centre, np.ones((3, 3)))
    expected = {0: ring, 1: centre, 2: inner}
    for radius, region in expected.items():
        filled = flood_fill_labels(image, centres, closing_radius=radius,
                                   gap_closing="dilation")
        np.testing.assert_array_equal(filled == 5, region)
        # the paper's closing keeps the skeleton thin: each region is the cell plus the
        # half-wall around it, less the corners where walls meet (a closing rounds them)
        closed = flood_fill_labels(image, centres, closing_radius=radius) == 5
        assert not (closed & ~ring).any()
        assert (ring & ~closed).sum() == {0: 0, 1: 4, 2: 12}[radius]
        for i in range(len(centres)):  # never part of another cell
            assert set(np.unique(labels[filled == i + 1])) <= {0, i + 1}


def test_flood_fill_label_follows_point_order():
    image, labels, centres = grid_cells()
    order = [4, 0, 8]
    filled = flood_fill_labels(image, centres[order])
    for k, i in enumerate(order):
        assert filled[tuple(centres[i])] == k + 1
    assert set(np.unique(filled)) == {0, 1, 2, 3}


def test_flood_fill_stack_is_per_slice_and_accepts_nhwc():
    image, _, centres = grid_cells()
    stack = np.stack([image, image[:, ::-1]])
    pts = np.array([(0, *centres[0]), (1, *centres[0]), (1, *centres[4])])
    filled = flood_fill_labels(stack, pts)
    assert filled.shape == stack.shape and filled.dtype == np.int32
    np.testing.assert_array_equal(filled[0], flood_fill_labels(image, centres[:1]))
    second = flood_fill_labels(stack[1], pts[1:, 1:])
    np.testing.assert_array_equal(filled[1], np.where(second > 0, second + 1, 0))
    np.testing.assert_array_equal(flood_fill_labels(stack[..., None], pts), filled)


def gap_cells():
    """3 x 3 cells of 20 px with a 3-px gap in the wall between cells 1 and 2. The skeleton
    prunes the wall stubs at the gap, so its gap is about 9 px: a disk of radius 5 shuts it.
    """
    image, labels, centres = grid_cells(cell=20)
    image[8:11, 23:26] = 200
    return image, labels, centres


def test_flood_fill_leaks_through_a_gap_unless_closed():
    image, labels, centres = gap_cells()
    with pytest.warns(UserWarning, match=r"point 1 \(13, 36\) falls in the region already "
                                         r"filled from point 0"):
        leaky = flood_fill_labels(image, centres, closing_radius=1)
    assert (leaky[labels == 2] == 1).all()  # cell 2 taken by the fill from cell 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        closed = flood_fill_labels(image, centres, closing_radius=5, gap_closing="dilation")
    assert len(np.unique(closed)) == len(centres) + 1
    assert set(np.unique(closed[labels == 2])) == {0, 2}


def test_flood_fill_max_size_drops_leaked_regions():
    image, labels, centres = gap_cells()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        filled = flood_fill_labels(image, centres, closing_radius=1, max_size=500,
                                   gap_closing="dilation")
    assert len(caught) == 1  # one warning per call, every message in its `notes`
    messages = list(caught[0].message.notes)
    assert str(caught[0].message).startswith(
        "flood_fill_labels: 2 warning(s) for 9 click(s), e.g. the region of point 0")
    assert messages == [
        "the region of point 0 (13, 13) has 877 pixels, more than `max_size`=500 (a leak?); "
        "it is dropped",
        "point 1 (13, 36) falls in the region already filled from point 0 (a leak through a "
        "membrane gap, or two clicks in one object); it produces no region"]
    assert set(np.unique(filled)) == {0, *range(3, 10)}
    with pytest.raises(ValueError, match=r"`max_size` must be >= 1, got 0"):
        flood_fill_labels(image, centres, max_size=0)


def test_flood_fill_morphological_closing_does_not_stop_the_leak():
    image, labels, centres = gap_cells()
    with pytest.warns(UserWarning, match="falls in the region already filled from point 0"):
        leaky = flood_fill_labels(image, centres, closing_radius=5, gap_closing="closing")
    assert (leaky[labels == 2] == 1).mean() > 0.9 and not (leaky == 2).any()


def test_flood_fill_too_large_closing_disk_under_fills():
    image, labels, centres = grid_cells()
    good = flood_fill_labels(image, centres, closing_radius=1, gap_closing="dilation")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bad = flood_fill_labels(image, centres, closing_radius=7, gap_closing="dilation")
    assert len(caught) == 1
    messages = list(caught[0].message.notes)
    assert len(messages) == 9 and all("is on a border pixel" in m for m in messages)
    assert "point 4 (21, 21) is on a border pixel; it produces no region" in messages
    assert not bad.any() and (good > 0).sum() > 900
    shrunk = flood_fill_labels(image, centres, closing_radius=3, gap_closing="dilation")
    assert 0 < (shrunk > 0).sum() < (good > 0).sum() / 2  # under-filled, not lost


def test_flood_fill_threshold_number_and_bright_borders():
    image, _, centres = grid_cells()
    otsu = flood_fill_labels(image, centres)
    np.testing.assert_array_equal(
        flood_fill_labels(image, centres, threshold=frac(100 - 20, image)), otsu)
    np.testing.assert_array_equal(
        flood_fill_labels(255 - image, centres, dark_borders=False), otsu)


def test_flood_fill_threshold_per_pixel():
    image, _, centres = grid_cells()
    stack = np.stack([image, image // 2])  # second slice darker: one number fits one slice
    local = np.stack([np.full(image.shape, 100.0), np.full(image.shape, 50.0)])
    filled = flood_fill_labels(stack, [(0, *centres[4]), (1, *centres[4])], threshold=local)
    np.testing.assert_array_equal(filled[0] > 0, filled[1] > 0)
    assert set(np.unique(filled)) == {0, 1, 2}
    np.testing.assert_array_equal(_binarize_borders(image, threshold=local[0]),
                                  _binarize_borders(image, threshold=frac(100 - 20, image)))
    with pytest.raises(ValueError, match=r"`threshold` \(shape \(3, 3\)\) must be a number, "
                                         r"None or an array of the same shape as `image` "
                                         r"\(shape \(42, 42\)\)"):
        _binarize_borders(image, threshold=np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"`sigma` must be a number >= 0 \(pixels\), got -1"):
        _binarize_borders(image, sigma=-1)


def test_flood_fill_no_border_at_threshold_warns():
    image, _, centres = grid_cells()
    with pytest.warns(UserWarning, match="has no border pixel at `threshold`=0.0"):
        filled = flood_fill_labels(image, centres[:1], threshold=0.0)
    assert (filled == 1).all()


def test_binarize_borders_constant_image_is_an_error():
    with pytest.raises(ValueError, match=r"`image` is constant \(value 7\): it has no border"):
        _binarize_borders(np.full((8, 8), 7, np.uint8))
    with pytest.raises(ValueError, match=r"slice 1 of `image` is constant"):
        flood_fill_labels(np.stack([grid_cells()[0], np.zeros((42, 42))]), [(0, 8, 8)])


# ----------------------------------------------------------------------------- region growing
def test_region_grow_noise_free_cells_are_exact():
    image, labels, centres = grid_cells()
    grown = region_grow(image, centres, threshold=frac(20, image))
    assert grown.dtype == np.int32
    np.testing.assert_array_equal(grown, labels)


def test_region_grow_follows_the_region_mean_not_the_seed_value():
    # a ramp 0, 1, 2, ...: adding 0..k gives mean k / 2, so k + 1 joins while
    # k / 2 + 1 <= 5, i.e. the region is 0..9 (a flood fill within 5 of the seed stops at 5)
    ramp = np.arange(30, dtype=np.uint8)[None, :]
    assert in_grey(frac(5, ramp), ramp) == 5
    grown = region_grow(ramp, [(0, 0)], threshold=frac(5, ramp), max_size=30)
    assert grown[0].tolist() == [1] * 10 + [0] * 20


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("threshold", [25, 45])
def test_region_grow_exact_matches_reference(seed, threshold):
    image, _, centres = noisy_cells(seed)
    ours = region_grow(image, centres, threshold=frac(threshold, image), batch=0, max_size=400)
    ref = reference_grow(image, centres, in_grey(frac(threshold, image), image), 400)
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("seed", [0, 1])
def test_region_grow_exact_matches_reference_when_regions_compete(seed):
    # no walls: the regions meet, and contested pixels must go where the reference says
    rng = np.random.default_rng(seed)
    image = rng.normal(100, 12, (18, 22)).round().astype(np.uint8)
    seeds = np.array([(2, 3), (9, 11), (15, 19), (3, 18)])
    ours = region_grow(image, seeds, threshold=frac(30, image), batch=0, max_size=1000)
    ref = reference_grow(image, seeds, in_grey(frac(30, image), image), 1000)
    assert (ref > 0).sum() > 300 and len(np.unique(ref)) == 5
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("seed", [0, 1])
def test_region_grow_batched_is_close_to_exact(seed):
    image, _, centres = noisy_cells(seed, n=3, cell=14)
    exact = region_grow(image, centres, threshold=frac(40, image), batch=0)
    fast = region_grow(image, centres, threshold=frac(40, image), batch=0.1)
    scores = [dice(exact == i + 1, fast == i + 1) for i in range(len(centres))]
    assert np.mean(scores) > 0.95
    assert (exact[tuple(centres.T)] == fast[tuple(centres.T)]).all()


@pytest.mark.parametrize("batch", [0, 0.1, 1])
def test_region_grow_properties(batch):
    image, _, centres = noisy_cells(3, n=3, cell=10)
    grown = region_grow(image, centres, threshold=frac(60, image), batch=batch)
    # one label per point, on its seed; labels are only point numbers; regions are connected
    assert (grown[tuple(centres.T)] == np.arange(1, len(centres) + 1)).all()
    for i in range(len(centres)):
        assert ndi.label(grown == i + 1)[1] == 1


def test_region_grow_smoothing_tames_noise():
    image, labels, centres = noisy_cells(0, n=3, cell=14, sd=30)
    raw = region_grow(image, centres, threshold=frac(15, image))
    smooth = region_grow(image, centres, threshold=frac(15, image), sigma=1.5)
    assert dice(smooth > 0, labels > 0) > dice(raw > 0, labels > 0) + 0.1


def test_region_grow_max_size_bound_warns():
    image = np.full((20, 20), 100, np.uint8)
    image[0, 0] = 0  # not constant
    with pytest.warns(UserWarning, match=r"region of point 0 \(10, 10\) reached `max_size`=30"):
        grown = region_grow(image, [(10, 10)], threshold=frac(5, image), max_size=30)
    assert (grown == 1).sum() == 30


def test_region_grow_stack_and_connectivity():
    image, labels, centres = grid_cells()
    stack = np.stack([image, image])
    pts = np.array([(1, *centres[2]), (0, *centres[2])])
    grown = region_grow(stack, pts, threshold=frac(20, image))
    assert (grown[1] == np.where(labels == 3, 1, 0)).all()
    assert (grown[0] == np.where(labels == 3, 2, 0)).all()
    diag = np.full((3, 3), 200, np.uint8)
    diag[[0, 1, 1, 2], [1, 0, 2, 1]] = 0
    kwargs = dict(threshold=frac(10, diag), border_threshold=frac(50, diag), max_size=9)
    assert region_grow(diag, [(0, 0)], connectivity=2, **kwargs)[1, 1] == 1
    assert region_grow(diag, [(0, 0)], connectivity=1, **kwargs)[1, 1] == 0


def test_region_grow_constant_image_warns_and_regions_meet():
    with pytest.warns(UserWarning, match=r"`image` is constant \(value 50\): it has no border"):
        grown = region_grow(np.full((6, 6), 50, np.uint8), [(0, 0), (5, 5)], threshold=1,
                            max_size=36, border_threshold="otsu")
    assert (grown > 0).all() and set(np.unique(grown)) == {1, 2}


# ----------------------------------------------------------------------------- bad points
FILLERS = [
    pytest.param(lambda im, p: flood_fill_labels(im, p), id="flood"),
    # 20 grey levels of grid_cells (20 to 200); the border check asked for, as these test it
    pytest.param(lambda im, p: region_grow(im, p, threshold=20 / 180, border_threshold="otsu"),
                 id="grow"),
]


@pytest.mark.parametrize("fill", FILLERS)
def test_point_outside_image_is_an_error(fill):
    image, _, centres = grid_cells()
    with pytest.raises(ValueError, match=r"point 1 \(50, 3\) is outside `image` of shape "
                                         r"\(42, 42\)"):
        fill(image, [centres[0], (50, 3)])
    with pytest.raises(ValueError, match=r"point 0 \(0, -1, 3\) is outside"):
        fill(np.stack([image]), [(0, -1, 3)])


@pytest.mark.parametrize("fill", FILLERS)
def test_point_on_border_pixel_warns_and_gives_no_region(fill):
    image, _, centres = grid_cells()
    with pytest.warns(UserWarning, match=r"point 1 \(0, 0\) is on a border pixel; it produces "
                                         r"no region"):
        out = fill(image, [centres[0], (0, 0)])
    assert set(np.unique(out)) == {0, 1}


@pytest.mark.parametrize("fill", FILLERS)
def test_duplicate_point_warns_and_gives_no_region(fill):
    image, _, centres = grid_cells()
    with pytest.warns(UserWarning, match=r"point 2 \(8, 8\) duplicates point 0"):
        out = fill(image, [centres[0], centres[1], centres[0]])
    assert set(np.unique(out)) == {0, 1, 2}


@pytest.mark.parametrize("fill", FILLERS)
@pytest.mark.parametrize("points, message", [
    ([(1, 2, 3)], r"`points` must be \(K, 2\): \(row, col\) for a \(H, W\) image"),
    ([(1.5, 2)], r"whole pixel coordinates; point 0 is \(1.5, 2.0\)"),
    ([(np.nan, 2)], r"`points` must be finite"),
    ("a,b", r"`points` must be an array"),
])
def test_bad_points_are_errors(fill, points, message):
    image, _, _ = grid_cells()
    with pytest.raises((ValueError, TypeError), match=message):
        fill(image, points)


@pytest.mark.parametrize("fill", FILLERS)
def test_bad_images_are_errors(fill):
    image, _, centres = grid_cells()
    nan = image.astype(float)
    nan[3, 4] = np.nan
    with pytest.raises(ValueError, match=r"`image` must be finite, got 1 NaN/inf value\(s\) "
                                         r"\(first at index \(3, 4\)\)"):
        fill(nan, centres)
    with pytest.raises(ValueError, match=r"`image` must be 2-D \(H, W\) or 3-D"):
        fill(np.zeros(5), [(1, 1)])
    with pytest.raises(TypeError, match="`image` must be numeric"):
        fill(np.array([["a"]]), [(0, 0)])


@pytest.mark.parametrize("fill", FILLERS)
def test_no_points_gives_empty_labels(fill):
    image, _, _ = grid_cells()
    out = fill(image, np.zeros((0, 2)))
    assert out.shape == image.shape and out.dtype == np.int32 and not out.any()


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(threshold=-1), ValueError, r"`threshold` must be a number in \[0, 1\], got -1"),
    (dict(threshold=np.nan), ValueError, r"`threshold` must be a number in \[0, 1\], got nan"),
    (dict(threshold=0.1, batch=2), ValueError, r"`batch` must be a number in \[0, 1\], got 2"),
    (dict(threshold=0.1, connectivity=3), ValueError, r"`connectivity` must be 1 or 2, got 3"),
    (dict(threshold=0.1, max_size=0), ValueError, r"`max_size` must be >= 1, got 0"),
    (dict(threshold=0.1, sigma=-2), ValueError, r"`sigma` must be a number >= 0 \(pixels\)"),
])
def test_region_grow_bad_options(kwargs, error, message):
    image, _, centres = grid_cells()
    with pytest.raises(error, match=message):
        region_grow(image, centres, **kwargs)


def test_flood_fill_bad_options():
    image, _, centres = grid_cells()
    with pytest.raises(ValueError, match=r"`closing_radius` must be >= 0, got -1"):
        flood_fill_labels(image, centres, closing_radius=-1)
    with pytest.raises(TypeError, match=r"`closing_radius` must be an integer, got 1.5"):
        flood_fill_labels(image, centres, closing_radius=1.5)
    with pytest.raises(TypeError, match=r"`threshold` must be a finite number, an array or None, "
                                        r"got 'a'"):
        flood_fill_labels(image, centres, threshold="a")


# ----------------------------------------------------------------------------- clicks
def test_click_points_concave_object_is_clicked_inside():
    lab = np.zeros((30, 30), np.int32)
    lab[2:28, 2:8] = 1  # a C shape: its centroid lies in the empty middle
    lab[2:8, 2:28] = 1
    lab[22:28, 2:28] = 1
    centroid = np.round(np.argwhere(lab == 1).mean(axis=0)).astype(int)
    assert lab[tuple(centroid)] == 0
    (point,) = click_points(lab)
    assert lab[tuple(point)] == 1


def test_click_points_grid_and_ids():
    image, labels, centres = grid_cells(cell=11)  # odd side: one centre, no ties
    pts, ids = click_points(labels, return_ids=True)
    np.testing.assert_array_equal(pts, centres)
    assert ids.tolist() == list(range(1, 10))
    stack = click_points(np.stack([labels, labels[::-1]]))
    assert stack.shape == (18, 3) and stack[:9, 0].tolist() == [0] * 9


def test_click_points_jitter_and_misses_are_seeded_and_bounded():
    _, labels, centres = grid_cells()
    a = click_points(labels, jitter=3, rng=1)
    np.testing.assert_array_equal(a, click_points(labels, jitter=3, rng=1))
    exact = click_points(labels)
    assert (np.hypot(*(a - exact).T) <= 3 + np.sqrt(0.5)).all()
    assert not (a == exact).all()
    edge = click_points(labels, jitter=100, rng=0)
    assert ((edge >= 0) & (edge < 42)).all()
    pts, ids = click_points(labels, miss_rate=0.5, rng=3, return_ids=True)
    assert 0 < len(pts) < 9 and len(ids) == len(pts)
    np.testing.assert_array_equal(pts, exact[ids - 1])


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(jitter=-1), ValueError, r"`jitter` must be a number >= 0 \(pixels\), got -1"),
    (dict(miss_rate=1), ValueError, r"`miss_rate` must be a number in \[0, 1\), got 1"),
    (dict(rng="x"), TypeError, r"`rng` must be an int seed"),
])
def test_click_points_bad_options(kwargs, error, message):
    with pytest.raises(error, match=message):
        click_points(np.ones((4, 4), int), **kwargs)


def test_click_points_bad_labels():
    with pytest.raises(TypeError, match=r"`labels` must be an integer label image"):
        click_points(np.ones((4, 4)) * 0.5)
    with pytest.raises(ValueError, match=r"`labels` must be >= 0"):
        click_points(-np.ones((4, 4), int))
    with pytest.raises(ValueError, match=r"`labels` must be 2-D"):
        click_points(np.ones(4, int))


# ----------------------------------------------------------------------------- CSV
@pytest.mark.parametrize("text, expected", [
    ("row,col\n3,4\n5,6\n", [[3, 4], [5, 6]]),
    ("3,4\n5,6\n", [[3, 4], [5, 6]]),
    ("z, y, x\n0, 3.4, 4.6\n\n1, 5, 6\n", [[0, 3, 5], [1, 5, 6]]),
])
def test_read_points(tmp_path, text, expected):
    path = tmp_path / "clicks.csv"
    path.write_text(text)
    pts = read_points(path)
    assert pts.dtype == np.int64 and pts.tolist() == expected


@pytest.mark.parametrize("text, message", [
    ("", r"clicks.csv holds no points"),
    ("row,col\n", r"clicks.csv holds no points"),
    ("1,2\n3\n", r"clicks.csv line 2: expected 2 \(row, col\) or 3 \(z, row, col\) columns, "
                 r"got 1"),
    ("1,2\n3,4,5\n", r"line 2: 3 columns, but line 1 has 2"),
    ("1,2\nx,4\n", r"line 2: expected numbers, got 'x,4'"),
    ("1,2\nnan,4\n", r"line 2: coordinates must be finite"),
    ("1,-2\n", r"line 1: coordinates must be >= 0"),
])
def test_read_points_errors(tmp_path, text, message):
    path = tmp_path / "clicks.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_points(path)


def test_read_points_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"`csv_path`: no such file"):
        read_points(tmp_path / "nope.csv")


def test_clicks_round_trip_through_fillers():
    image, labels, _ = grid_cells()
    pts = click_points(labels)
    np.testing.assert_array_equal(region_grow(image, pts, threshold=frac(20, image)), labels)


# ----------------------------------------------------------------------------- EM recipe
def test_local_threshold_finds_dark_lines_where_a_global_threshold_cannot():
    # a bright and a dim half, each crossed by a line darker than its surroundings by 40
    img = np.full((40, 80), 200.0)
    img[:, 40:] = 100
    img[20, :40] = 160  # the left line is brighter than the whole right half
    img[20, 40:] = 60
    t = local_threshold(img, block_size=9, offset=frac(10, img))
    below = img < t
    assert below[20, 5:35].all() and below[20, 45:75].all()
    flat = np.r_[0:15, 26:40]  # rows away from the lines
    away = np.r_[0:34, 46:80]  # columns away from the step between the halves
    assert not below[np.ix_(flat, away)].any()
    # ...while no single threshold can: the left line (160) is brighter than the dim half
    assert img[20, 0] > img[5, 60]
    # no single threshold marks both lines without the dim half's flat pixels
    stack = local_threshold(np.stack([img, img]), block_size=9, offset=frac(10, img))
    assert stack.shape == (2, 40, 80) and stack.dtype == np.float32
    np.testing.assert_allclose(stack[1], t)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"block_size": 8}, ValueError, "`block_size` must be odd"),
    ({"block_size": 1}, ValueError, "`block_size` must be >= 3"),
    ({"block_size": 9.0}, TypeError, "`block_size` must be an integer"),
    ({"offset": float("nan")}, ValueError, r"`offset` must be a number in \[-1, 1\], got nan"),
])
def test_local_threshold_rejects_bad_parameters(kwargs, error, words):
    with pytest.raises(error, match=words):
        local_threshold(np.zeros((10, 10)), **kwargs)


def test_clicks_from_masks_clicks_every_connected_object_per_slice():
    m = np.zeros((2, 12, 12, 1), np.uint8)
    m[0, 1:5, 1:5] = 1
    m[0, 7:11, 2:10] = 1
    m[1, 3:9, 3:9] = 1
    pts, ids = clicks_from_masks(m, return_ids=True)
    assert pts.tolist() == [[0, 2, 2], [0, 8, 3], [1, 5, 5]]
    assert ids.tolist() == [1, 2, 1]
    assert all(m[z, r, c, 0] == 1 for z, r, c in pts)
    assert clicks_from_masks(m[0, ..., 0]).tolist() == [[2, 2], [8, 3]]


def test_clicks_from_masks_of_a_stack_equals_click_points_of_its_labels(em_slices):
    # the stack is labelled one slice at a time (memory), with the same clicks and randomness
    from skimage.measure import label

    _, masks = em_slices
    labels = np.stack([label(m) for m in masks])
    for kwargs in [{}, {"jitter": 4, "miss_rate": 0.3, "rng": 7, "return_ids": True}]:
        got, want = clicks_from_masks(masks, **kwargs), click_points(labels, **kwargs)
        for g, w in zip(got if kwargs else [got], want if kwargs else [want]):
            np.testing.assert_array_equal(g, w)
    assert len(clicks_from_masks(masks)) >= 5  # several objects on several slices
    with pytest.raises(TypeError, match=r"unknown keyword argument\(s\) \['jiter'\]"):
        clicks_from_masks(masks, jiter=2)
    with pytest.raises(ValueError, match="`miss_rate` must be a number in"):
        clicks_from_masks(masks, miss_rate=1)


def test_clicks_from_masks_refuses_a_label_image():
    lab = np.zeros((6, 6), np.int32)
    lab[1:3, 1:3], lab[4:6, 4:6] = 1, 2
    with pytest.raises(ValueError, match="`masks` must be a binary mask"):
        clicks_from_masks(lab)


@pytest.fixture(scope="module")
def em_slices():
    images, masks = synthetic.make_em_volume(3, (384, 512), seed=1)[:2]
    return images, masks


def test_em_recipe_fills_mitochondria_flood_precise_region_complete(em_slices):
    images, masks = em_slices
    pts = clicks_from_masks(masks)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        flood = em_weak_labels(images, pts, method="flood")
        grown = em_weak_labels(images, pts, method="region")
    assert flood.shape == grown.shape == images.shape and flood.dtype == np.int32
    assert set(np.unique(flood)) <= set(range(len(pts) + 1))
    # the per-click warnings come back as one summary per call, counting them
    assert len(caught) <= 2
    assert all(str(w.message).startswith("em_weak_labels(method=") for w in caught)
    # the flood fill stays inside the mitochondria; region growing covers more of them
    assert metrics.confusion(masks, flood > 0).precision() > 0.9
    assert metrics.confusion(masks, grown > 0).recall() > metrics.confusion(masks,
                                                                          flood > 0).recall()
    assert metrics.dice(masks, flood > 0) > 0.3 and metrics.dice(masks, grown > 0) > 0.3
    # the recipe is the fillers with EM_RECIPE's values, nothing more
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = region_grow(images, pts, **EM_RECIPE["region"])
    np.testing.assert_array_equal(direct, grown)


@pytest.mark.parametrize("threshold", [None, 0.4, "local"])
def test_flood_fill_slice_by_slice_equals_the_whole_stack_steps(em_slices, threshold):
    # flood_fill_labels and the recipe work one slice at a time (memory of one slice);
    # flood_fill_steps keeps every step of the whole stack: the labels and warnings agree
    images, masks = em_slices
    pts = clicks_from_masks(masks)
    pts = np.vstack([pts, pts[:1]])  # a duplicate click: one warning in each
    recipe = EM_RECIPE["flood"]
    kwargs = dict(sigma=recipe["sigma"], closing_radius=recipe["closing_radius"],
                  max_size=recipe["max_size"] if threshold == "local" else None,
                  gap_closing=recipe["gap_closing"])
    if threshold == "local":
        t = local_threshold(images, block_size=recipe["block_size"], offset=recipe["offset"])
    else:
        t = threshold
    runs = {}
    for name, call in [
            ("steps", lambda: flood_fill_steps(images, pts, threshold=t, **kwargs)["filled"]),
            ("labels", lambda: flood_fill_labels(images, pts, threshold=t, **kwargs)),
            ("recipe", lambda: em_weak_labels(images, pts, method="flood"))]:
        if name == "recipe" and threshold != "local":
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            runs[name] = call(), sorted(n for w in caught for n in w.message.notes)
    (steps, notes), *others = runs.values()
    assert len(runs) == (3 if threshold == "local" else 2) and (steps > 0).any()
    assert any("duplicates point 0" in n for n in notes)
    for labels, other_notes in others:
        np.testing.assert_array_equal(labels, steps)
        assert other_notes == notes


def test_em_weak_labels_overrides_and_rejects_unknown_parameters(em_slices):
    images, masks = em_slices
    pts = clicks_from_masks(masks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tight = em_weak_labels(images, pts, method="region", threshold=2 / 255)
        loose = em_weak_labels(images, pts, method="region")
    assert (tight > 0).sum() < (loose > 0).sum()
    with pytest.raises(TypeError, match=r"unknown parameter\(s\) \['closing_radius'\]"):
        em_weak_labels(images, pts, method="region", closing_radius=2)
    with pytest.raises(ValueError, match="`method` must be one of"):
        em_weak_labels(images, pts, method="watershed")


# ----------------------------------------------------------------------------- real-image defaults
def test_region_grow_keeps_every_click_under_uneven_illumination():
    # cells under a smooth brightness gradient of +-15 % across the image: a global Otsu
    # level splits bright from dim interiors, so a border check drops the dim side's clicks
    images, labels, _ = synthetic.make_cells(1, (96, 128), seed=0, n_cells=6)
    ramp = 1 + 0.15 * np.linspace(-1, 1, 128)[None, None, :]
    image = np.clip(images * ramp, 0, 255).round().astype(np.uint8)
    pts, ids = click_points(labels, return_ids=True)
    kwargs = dict(threshold=30 / 255, max_size=96 * 128)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default: no check, no warning, every click grows
        grown = region_grow(image, pts, **kwargs)
    assert all((grown == k + 1).any() for k in range(len(pts)))
    scores = [dice(grown[0] == k + 1, labels[0] == i) for k, i in enumerate(ids)]
    assert min(scores) > 0.6
    with pytest.warns(UserWarning, match="is on a border pixel; it produces no region"):
        checked = region_grow(image, pts, border_threshold="otsu", **kwargs)
    assert sum((checked == k + 1).any() for k in range(len(pts))) < len(pts)


def test_flood_fill_per_pixel_threshold_on_one_slice():
    images, labels, _ = synthetic.make_cells(2, (96, 96), seed=3, n_cells=8)
    pts = click_points(labels)
    on_0 = pts[pts[:, 0] == 0, 1:]
    local = local_threshold(images, block_size=21)
    assert local_threshold(images[0], block_size=21).shape == images[0].shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few clicks land on texture marked as border
        one = flood_fill_labels(images[0], on_0, threshold=local[0])  # raised a shape error
        stack = flood_fill_labels(images, pts, threshold=local)
    np.testing.assert_array_equal(one, stack[0])
    assert len(np.unique(one)) > len(on_0) // 2
    with pytest.raises(ValueError, match=r"`threshold` \(shape \(96, 95\)\) must be a number, "
                                         r"None or an array of the same shape as `image` "
                                         r"\(shape \(96, 96\)\)"):
        flood_fill_labels(images[0], on_0, threshold=local[0, :, 1:])


def _depths(image):
    """One image at three bit depths: uint8, uint16 (x 257) and float in [0, 1]."""
    return {"uint8": image, "uint16": image.astype(np.uint16) * np.uint16(257),
            "float": image / 255.0}


CELL_FILLERS = {
    "flood, Otsu": lambda im, p: flood_fill_labels(im, p),
    "flood, fraction": lambda im, p: flood_fill_labels(im, p, threshold=0.45),
    "flood, local threshold": lambda im, p: flood_fill_labels(
        im, p, threshold=local_threshold(im, block_size=21, offset=0.02)),
    "region": lambda im, p: region_grow(im, p, threshold=0.1, sigma=1.0),
    "region, border check": lambda im, p: region_grow(im, p, threshold=0.1,
                                                      border_threshold=0.3),
    "region, Otsu check": lambda im, p: region_grow(im, p, threshold=0.1,
                                                    border_threshold="otsu"),
}


@pytest.mark.parametrize("fill", CELL_FILLERS.values(), ids=CELL_FILLERS.keys())
def test_fillers_give_the_same_labels_at_three_bit_depths(fill):
    images, labels, _ = synthetic.make_cells(2, (96, 96), seed=1, n_cells=8)
    pts = click_points(labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # clicks lost to a check warn alike at every depth
        out = {k: fill(im, pts) for k, im in _depths(images).items()}
    assert len(np.unique(out["uint8"])) > len(pts) // 2  # a real result, not an empty one
    np.testing.assert_array_equal(out["uint16"], out["uint8"])
    np.testing.assert_array_equal(out["float"], out["uint8"])


@pytest.mark.parametrize("method", ["flood", "region"])
def test_em_recipe_gives_the_same_labels_at_three_bit_depths(em_slices, method):
    images, masks = em_slices
    pts = clicks_from_masks(masks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = {k: em_weak_labels(im, pts, method=method) for k, im in _depths(images).items()}
    assert metrics.dice(masks, out["uint8"] > 0) > 0.3
    np.testing.assert_array_equal(out["uint16"], out["uint8"])
    np.testing.assert_array_equal(out["float"], out["uint8"])


@pytest.mark.parametrize("call, message", [
    (lambda im: region_grow(im, [(8, 8)], threshold=30), r"`threshold` must be a number in "
     r"\[0, 1\], got 30: a fraction of the image's intensity range"),
    (lambda im: region_grow(im, [(8, 8)], threshold=0.1, border_threshold=50),
     r"`border_threshold` must be a number in \[0, 1\], got 50"),
    (lambda im: region_grow(im, [(8, 8)], threshold=0.1, border_threshold="isodata"),
     r"`border_threshold` must be one of 'otsu', got 'isodata'"),
    (lambda im: _binarize_borders(im, threshold=100), r"`threshold` must be a number in "
     r"\[0, 1\], got 100"),
    (lambda im: local_threshold(im, offset=3), r"`offset` must be a number in \[-1, 1\], got 3"),
])
def test_grey_levels_of_earlier_versions_are_refused_with_the_new_unit(call, message):
    image, _, _ = grid_cells()
    with pytest.raises(ValueError, match=message):
        call(image)


# ----------------------------------------------------------------------------- gathered warnings
def test_a_filler_call_warns_once_with_every_message_in_notes():
    image, labels, centres = grid_cells()
    walls = [(0, 5), (0, 9), (0, 20)]  # three clicks on the skeleton of the top wall
    pts = np.vstack([centres[:2], walls])
    for fill, name in [(flood_fill_labels, "flood_fill_labels"),
                       (flood_fill_steps, "flood_fill_steps")]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fill(image, pts, closing_radius=0)
        assert len(caught) == 1
        w = caught[0]
        assert issubclass(w.category, UserWarning)
        assert str(w.message).startswith(f"{name}: 3 warning(s) for 5 click(s), e.g. point 2 "
                                         "(0, 5) is on a border pixel")
        assert [m.split(" is on")[0] for m in w.message.notes] == [
            "point 2 (0, 5)", "point 3 (0, 9)", "point 4 (0, 20)"]
        assert w.filename == __file__  # it points at the caller, not into segkit
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        region_grow(image, pts, threshold=0.1, border_threshold=0.5)
    assert len(caught) == 1 and len(caught[0].message.notes) == 3
    assert str(caught[0].message).startswith("region_grow: 3 warning(s) for 5 click(s)")


def test_gathered_warnings_obey_the_callers_filter():
    image, labels, centres = grid_cells()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match=r"flood_fill_labels: 1 warning\(s\) for 1 "):
            flood_fill_labels(image, [(0, 5)], closing_radius=0)
        flood_fill_labels(image, centres, closing_radius=0)  # no warning: nothing raised


def test_em_weak_labels_gathers_the_fillers_warnings_once(em_slices):
    images, masks = em_slices
    pts = np.vstack([clicks_from_masks(masks), [(0, 0, 0), (0, 0, 0)]])  # a duplicate
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        em_weak_labels(images, pts, method="flood")
    assert len(caught) == 1
    notes = caught[0].message.notes
    assert any("duplicates point" in n for n in notes)
    assert str(caught[0].message).startswith(
        f"em_weak_labels(method='flood'): {len(notes)} warning(s) for {len(pts)} click(s)")


def test_cells_have_no_speck_cells_whose_click_sits_on_the_membrane():
    # where warped borders meet, the dilated membranes used to enclose cells of 1-4 pixels;
    # region growing from their clicks ran along the membrane network
    images, labels, _ = synthetic.make_cells(8, (256, 256), seed=0, n_cells=40)
    for lab in labels:
        sizes = np.bincount(lab.ravel())[1:]
        assert sizes.min() > 50
    pts, ids = click_points(labels, return_ids=True)
    grown = region_grow(images, pts, threshold=30 / 255)
    for k, (z, _, _) in enumerate(pts):  # no region much larger than its cell
        assert (grown[z] == k + 1).sum() <= 1.2 * (labels[z] == ids[k]).sum()

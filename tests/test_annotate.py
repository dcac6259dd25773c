import asyncio
import warnings

import numpy as np
import pytest

from segkit import io, weak
from segkit.widgets import Annotator
from segkit.widgets.annotate import (_Debouncer, _grey_u8, _paint, _Points, _render_base,
                                     _render_overlay, _stroke_centres, _View)


# ----------------------------------------------------------------------------- fixtures
def two_cells(h=40, w=60, wall=30):
    """Bright cells left and right of a one-pixel dark wall at column `wall`."""
    img = np.full((h, w), 200, np.uint8)
    img[:, wall] = 10
    return img


def grid_stack(n=3):
    """A stack of `n` slices, each four bright squares behind dark walls; true labels."""
    img = np.full((n, 32, 32), 20, np.uint8)
    lab = np.zeros((n, 32, 32), np.int32)
    for z in range(n):
        for k, (r, c) in enumerate([(2, 2), (2, 18), (18, 2), (18, 18)]):
            img[z, r:r + 12, c:c + 12] = 200
            lab[z, r:r + 12, c:c + 12] = k + 1
    return img, lab


# ----------------------------------------------------------------------------- points
def test_points_add_remove_undo():
    pts = _Points()
    assert pts.add(0, 5, 6) == 0 and pts.add(1, 7, 8) == 1 and pts.add(0, 9, 9) == 2
    assert pts.remove(1) == (1, 7, 8)
    assert pts.array.tolist() == [[0, 5, 6], [0, 9, 9]]
    assert pts.undo()  # the removal: back at its index
    assert pts.array.tolist() == [[0, 5, 6], [1, 7, 8], [0, 9, 9]]
    assert pts.undo() and pts.undo() and pts.undo()  # the three additions
    assert len(pts) == 0 and pts.array.shape == (0, 3)
    assert not pts.undo()


def test_points_replace_is_one_undo_step():
    pts = _Points([(0, 1, 1)])
    pts.replace([(0, 2, 2), (0, 3, 3)])
    assert len(pts) == 2
    assert pts.undo() and pts.array.tolist() == [[0, 1, 1]]


@pytest.mark.parametrize("where, radius, hit", [
    ((10, 13), 3.0, 0),      # distance 3: on the circle counts
    ((10, 14), 3.0, None),   # distance 4
    ((12, 12), 3.0, 0),      # distance 2.83
    ((10, 10), 0.0, 0),      # the point itself with no tolerance
])
def test_points_hit_radius(where, radius, hit):
    pts = _Points([(0, 10, 10)])
    assert pts.hit(0, *where, radius) == hit


def test_points_hit_only_on_its_slice_and_nearest_wins():
    pts = _Points([(0, 10, 10), (1, 10, 10), (0, 10, 14)])
    assert pts.hit(1, 10, 11, 3) == 1
    assert pts.hit(0, 10, 13, 3) == 2      # 1 from point 2, 3 from point 0
    assert pts.hit(2, 10, 10, 3) is None


def test_points_toggle_adds_then_removes():
    pts = _Points()
    assert pts.toggle(0, 4, 4, radius=2) == ("added", 0)
    assert pts.toggle(0, 5, 5, radius=2) == ("removed", 0)
    assert pts.toggle(0, 8, 8, radius=2) == ("added", 0)
    assert pts.array.tolist() == [[0, 8, 8]]


# ----------------------------------------------------------------------------- view
def test_view_fits_768_by_1024_into_the_default_box():
    v = _View((768, 1024), box=(576, 768))
    assert v.size == (576, 768) and v.scale == 0.75 and v.origin == (0.0, 0.0)
    # screen pixel x covers image columns [x / 0.75, (x + 1) / 0.75)
    assert v.pixel(0, 0) == (0, 0)
    assert v.pixel(575.9, 767.9) == (767, 1023)
    assert v.pixel(75.5, 150.5) == (100, 200)


def test_view_enlarges_small_images_by_a_whole_factor():
    v = _View((100, 150), box=(576, 768))
    assert v.scale == 5.0 and v.size == (500, 750)


def test_view_zoom_keeps_the_point_under_the_cursor():
    v = _View((100, 200), box=(100, 200))
    v.zoom(2, at=(50, 100))
    assert v.scale == 2.0
    # image point (50, 100) stays under screen point (50, 100)
    assert v.to_image(50, 100) == pytest.approx((50.0, 100.0))
    assert v.origin == pytest.approx((25.0, 50.0))
    assert v.pixel(0, 0) == (25, 50)
    assert v.pixel(199.9, 399.9) is None or v.size == (100, 200)
    assert v.pixel(99.9, 199.9) == (74, 149)


def test_view_pan_moves_the_image_with_the_drag_and_stays_inside():
    v = _View((100, 200), box=(100, 200))
    v.zoom(4, at=(0, 0))
    assert v.origin == (0.0, 0.0) and v.scale == 4.0
    v.pan(-40, -80)          # drag up-left by (40, 80) screen px: 10 and 20 image px
    assert v.origin == pytest.approx((10.0, 20.0))
    assert v.pixel(2, 2) == (10, 20)
    v.pan(-10_000, -10_000)  # far past the corner: stops at the image's edge
    assert v.origin == pytest.approx((75.0, 150.0))
    assert v.pixel(99.9, 199.9) == (99, 199)


@pytest.mark.parametrize("zooms, pan", [((), (0, 0)), ((2.0,), (-13, 7)),
                                        ((2.0, 2.0, 1.5), (-40, -90))])
def test_view_round_trip_at_known_positions(zooms, pan):
    v = _View((768, 1024), box=(576, 768))
    for f in zooms:
        v.zoom(f, at=(100, 200))
    v.pan(*pan)
    rows, cols = v.grid()
    for r, c in [(0, 0), (100, 200), (383, 511), (767, 1023), (400, 600)]:
        y, x = v.to_screen(r + 0.5, c + 0.5)  # where the centre of pixel (r, c) is shown
        if 0 <= y < v.size[0] and 0 <= x < v.size[1]:
            assert v.pixel(y, x) == (r, c)
            # the renderer samples the same pixel there
            assert (rows[int(y)], cols[int(x)]) == (r, c)


def test_view_zoom_is_bounded():
    v = _View((64, 64), box=(64, 64))
    v.zoom(0.1)
    assert v.scale == v.fit == 1.0
    v.zoom(1000)
    assert v.scale == 32.0


def test_render_base_samples_nearest_pixels():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    v = _View((3, 4), box=(6, 8))
    out = _render_base(grey, v)
    assert out.shape == (6, 8)
    assert (out == np.kron(grey, np.ones((2, 2), np.uint8))).all()


def test_render_overlay_colours_regions_paint_and_erase():
    labels = np.zeros((4, 4), np.int32); labels[:2, :2] = 1
    paint = np.zeros((4, 4), np.int8); paint[3, 3] = 1; paint[0, 0] = -1
    rgba = _render_overlay(labels, paint, _View((4, 4), box=(4, 4)))
    alpha = rgba[..., 3] > 0
    assert alpha.tolist() == [[False, True, False, False], [True, True, False, False],
                              [False, False, False, False], [False, False, False, True]]
    assert rgba[3, 3, :3].tolist() == [0, 230, 230]   # painted: cyan


# ----------------------------------------------------------------------------- brush
def test_stroke_centres_leave_no_gap():
    c = _stroke_centres((0.0, 0.0), (0.0, 20.0), radius=4)
    assert c[0].tolist() == [0.0, 0.0] and c[-1].tolist() == [0.0, 20.0]
    assert np.diff(c[:, 1]).max() <= 2.0 + 1e-9  # half the radius


def test_paint_changes_the_layer_and_returns_what_it_overwrote():
    layer = np.zeros((20, 20), np.int8)
    layer[10, 10] = -1
    idx, old = _paint(layer, _stroke_centres((10.5, 2.5), (10.5, 17.5), 2), 2, 1)
    assert layer[10, 2:18].tolist() == [1] * 16         # the whole segment
    assert layer[10, 0] == 0 and layer[0, 10] == 0      # nothing far from it
    assert (np.abs(np.flatnonzero(layer) // 20 - 10) <= 1).all()
    assert -1 in old.tolist() and len(np.unique(idx)) == len(idx)
    layer.flat[idx[::-1]] = old[::-1]                   # undo
    assert layer.sum() == -1 and layer[10, 10] == -1


def test_annotator_brush_stroke_changes_the_mask_and_undo_restores_it():
    ann = Annotator(two_cells(), method=None, brush_radius=2)
    assert ann.mask.sum() == 0
    ann.paint([(20, 5), (20, 25)])
    m = ann.mask
    assert m.dtype == np.uint8 and m.shape == (40, 60)
    assert m[20, 5:26].all() and m[10].sum() == 0
    ann.paint([(20, 10), (20, 12)], erase=True)
    assert ann.mask[20, 10:13].sum() == 0 and ann.mask[20, 20] == 1
    assert ann.undo() and ann.mask[20, 10:13].all()
    assert ann.undo() and ann.mask.sum() == 0


def test_eraser_overrides_the_weak_labels():
    ann = Annotator(two_cells(), points=[(10, 10)], method="flood",
                    params={"closing_radius": 0})
    before = int(ann.mask.sum())
    assert before == 1200
    ann.paint([(0, 0), (0, 29)], erase=True, radius=1)
    assert ann.mask[0].sum() == 0 and int(ann.mask.sum()) == before - 30
    assert (ann.labels > 0).sum() == before  # the weak labels themselves are unchanged


# ----------------------------------------------------------------------------- annotator
def test_click_adds_and_click_on_a_point_removes_it():
    ann = Annotator(two_cells(), method=None)
    assert ann.click(10, 10) == "added"
    assert ann.click(20, 40) == "added"
    assert ann.points.tolist() == [[0, 10, 10], [0, 20, 40]]
    assert ann.click(10, 10) == "removed"
    assert ann.points.tolist() == [[0, 20, 40]]
    assert ann.undo() and ann.points.tolist() == [[0, 10, 10], [0, 20, 40]]


def test_hit_radius_is_in_screen_pixels_at_the_current_zoom():
    ann = Annotator(np.zeros((768, 1024)), method=None, hit_radius=8)
    assert ann._view.scale == 0.75               # 8 screen px = 10.7 image px
    ann.click(100, 100)
    assert ann.click(100, 110) == "removed"
    ann.click(100, 100)
    ann._view.zoom(4)                             # scale 3: 8 screen px = 2.7 image px
    assert ann.click(100, 104) == "added"
    assert ann.click(100, 102) == "removed"       # both 2 px away: the later point goes
    assert ann.points.tolist() == [[0, 100, 100]]


def test_points_array_is_a_copy_with_z():
    img, _ = grid_stack()
    ann = Annotator(img, points=[(1, 5, 5)], method=None)
    pts = ann.points
    pts[0, 0] = 2
    assert ann.points.tolist() == [[1, 5, 5]] and ann.z == 1


def test_labels_of_a_stack_match_the_weak_filler_on_the_whole_stack():
    img, lab = grid_stack()
    clicks = [(0, 8, 8), (2, 24, 24), (0, 24, 8), (1, 8, 24)]
    ann = Annotator(img, points=clicks, method="flood", params={"sigma": 0.0})
    expected = weak.flood_fill_labels(img, clicks, sigma=0.0)
    assert (ann.labels == expected).all()
    assert (ann.mask == (expected > 0)).all()
    assert ann.mask.shape == img.shape


def test_labels_warn_about_clicks_that_gave_no_region():
    ann = Annotator(two_cells(), points=[(5, 30)], method="flood",
                    params={"closing_radius": 0})
    with pytest.warns(UserWarning, match=r"1 warning\(s\) from 'flood'.*\(5, 30\) is on a border"):
        assert ann.labels.max() == 0


def test_region_and_em_methods_run_on_a_slice():
    img, lab = grid_stack(1)
    for method, params in [("region", {"threshold": 30 / 255, "sigma": 0.0}),
                           ("em-region", {"threshold": 30 / 255, "sigma": 0.0, "max_size": 500})]:
        ann = Annotator(img[0], points=[(8, 8)], method=method, params=params)
        assert (ann.labels == (lab[0] == 1)).all(), method


def test_set_params_changes_the_labels():
    ann = Annotator(two_cells(), points=[(10, 10)], method="flood",
                    params={"closing_radius": 0, "gap_closing": "dilation"})
    assert int(ann.mask.sum()) == 1200
    ann.set_params(closing_radius=2)
    assert 0 < int(ann.mask.sum()) < 1200
    with pytest.raises(TypeError, match=r"unknown parameter\(s\) \['radius'\]"):
        ann.set_params(radius=1)


def test_array_parameters_are_refused_with_the_alternative():
    img = two_cells()
    with pytest.raises(TypeError, match=r"`params\['threshold'\]` must be a number .* "
                                        r"method='em-flood'"):
        Annotator(img, method="flood", params={"threshold": np.full(img.shape, 100.0)})


# ----------------------------------------------------------------------------- files
def test_points_csv_round_trip_through_read_points(tmp_path):
    ann = Annotator(two_cells(), points=[(10, 10), (20, 45)], method=None)
    path = ann.save_points(tmp_path / "clicks.csv")
    assert path.read_text().splitlines()[0] == "row,col"
    assert weak.read_points(path).tolist() == [[10, 10], [20, 45]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clicks.csv"]  # no temp file left
    again = Annotator.from_csv(two_cells(), path, method=None)
    assert (again.points == ann.points).all()


def test_points_csv_of_a_stack_has_z(tmp_path):
    img, _ = grid_stack()
    ann = Annotator(img, points=[(2, 8, 8), (0, 24, 24)], method=None)
    path = ann.save_points(tmp_path / "clicks.csv")
    assert weak.read_points(path).tolist() == [[2, 8, 8], [0, 24, 24]]
    other = Annotator(img, method=None)
    assert other.load_points(path).tolist() == [[2, 8, 8], [0, 24, 24]]
    assert other.undo() and len(other.points) == 0


def test_saving_no_points_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no points to save"):
        Annotator(two_cells(), method=None).save_points(tmp_path / "c.csv")
    assert not (tmp_path / "c.csv").exists()


def test_loading_points_outside_the_image_names_them(tmp_path):
    path = tmp_path / "clicks.csv"
    path.write_text("row,col\n5,5\n40,3\n")
    with pytest.raises(ValueError, match=r"point 1 \(40, 3\) of `points in clicks.csv` is "
                                         r"outside the image of shape \(40, 60\)"):
        Annotator.from_csv(two_cells(), path)
    img, _ = grid_stack()
    with pytest.raises(ValueError, match=r"must be \(K, 3\) \(z, row, col\)"):
        Annotator.from_csv(img, path)


def test_mask_tiff_round_trip_through_read_mask(tmp_path):
    img, _ = grid_stack()
    ann = Annotator(img, points=[(1, 8, 8)], method="flood", params={"sigma": 0.0})
    ann.paint([(28, 2), (28, 20)], z=2, radius=1)
    path = ann.save_mask(tmp_path / "mask.tif")
    back = io.read_mask(path)
    assert back.shape == img.shape + (1,)
    assert (back[..., 0] == ann.mask).all()
    filled = weak.flood_fill_labels(img[1], [(8, 8)], sigma=0.0) > 0
    assert (back[1, ..., 0] == filled).all() and back[0].sum() == 0
    assert back[2, 28, 2:21, 0].all() and back[2].sum() < 3 * 21


def test_mask_of_a_single_image_is_one_page(tmp_path):
    ann = Annotator(two_cells(), method=None, brush_radius=3)
    ann.paint([(20, 20)])
    back = io.read_mask(ann.save_mask(tmp_path / "m.tif"))
    assert back.shape == (1, 40, 60, 1) and (back[0, ..., 0] == ann.mask).all()


# ----------------------------------------------------------------------------- headless
def test_from_clicks_simulates_one_click_per_object():
    img, lab = grid_stack()
    ann = Annotator.from_clicks(img, lab, method="flood", params={"sigma": 0.0})
    assert len(ann.points) == 12
    assert (lab[tuple(ann.points.T)] > 0).all()
    expected = weak.flood_fill_labels(img, weak.click_points(lab), sigma=0.0)
    assert (ann.labels == expected).all()
    assert len(np.unique(ann.labels)) == 13  # every object got its region


def test_from_clicks_wants_labels_shaped_like_the_image():
    img, lab = grid_stack()
    with pytest.raises(ValueError, match=r"`labels` .* must be a stack like `image`"):
        Annotator.from_clicks(img, lab[0])


def test_headless_session_runs_without_ipycanvas_or_a_front_end(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "ipycanvas", None)  # import fails
    ann = Annotator(two_cells(), points=[(10, 10)], method="flood",
                    params={"closing_radius": 0})
    ann.paint([(30, 40)])
    assert ann.mask.sum() > 1200
    with pytest.raises(ImportError, match="Annotator.from_csv"):
        ann.widget


# ----------------------------------------------------------------------------- validation
def test_colour_images_are_refused():
    with pytest.raises(ValueError, match="looks like colour"):
        Annotator(np.zeros((40, 60, 3), np.uint8))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"method": "watershed"}, ValueError, r"`method` must be one of 'flood', 'region'"),
    ({"params": {"radius": 3}}, TypeError, r"unknown parameter\(s\) \['radius'\]"),
    ({"method": None, "params": {"sigma": 1}}, ValueError, r"`method` is None"),
    ({"points": [(50, 5)]}, ValueError, r"point 0 \(50, 5\) of `points` is outside"),
    ({"points": [(5.5, 5)]}, ValueError, r"whole pixel coordinates"),
    ({"box": (10, 10)}, ValueError, r"`box` must be \(height, width\)"),
    ({"delay": -1}, ValueError, r"`delay` must be >= 0"),
    ({"brush_radius": 0}, ValueError, r"`brush_radius` must be >= 1"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        Annotator(two_cells(), **kwargs)


def test_clicks_outside_are_refused():
    ann = Annotator(two_cells(), method=None)
    with pytest.raises(ValueError, match=r"`row` must be in \[0, 40\)"):
        ann.click(40, 3)


# ----------------------------------------------------------------------------- debouncing
class FakeClock:
    def __init__(self):
        self.calls = []

    def __call__(self, delay, callback):
        handle = _Handle(callback)
        self.calls.append((delay, handle))
        return handle


class _Handle:
    def __init__(self, callback):
        self.callback, self.cancelled = callback, False

    def cancel(self):
        self.cancelled = True


def test_debouncer_keeps_only_the_last_call_of_a_burst():
    seen, clock = [], FakeClock()
    d = _Debouncer(seen.append, 0.2, schedule=clock)
    d(1); d(2); d(3)
    assert seen == [] and d.pending
    assert [h.cancelled for _, h in clock.calls] == [True, True, False]
    assert all(delay == 0.2 for delay, _ in clock.calls)
    clock.calls[-1][1].callback()
    assert seen == [3] and not d.pending


def test_debouncer_flush_and_no_loop():
    seen = []
    d = _Debouncer(seen.append, 0.2, schedule=FakeClock())
    d("a")
    d.flush()
    assert seen == ["a"] and not d.pending
    _Debouncer(seen.append, 0.2)("now")  # no running event loop: runs at once
    assert seen == ["a", "now"]


def test_debouncer_in_a_running_event_loop():
    seen = []

    async def burst():
        d = _Debouncer(seen.append, 0.05)
        for i in range(5):
            d(i)
        assert seen == []
        await asyncio.sleep(0.2)

    asyncio.run(burst())
    assert seen == [4]


# ----------------------------------------------------------------------------- panel
def test_panel_turns_screen_events_into_points_strokes_zoom_and_pan():
    pytest.importorskip("ipycanvas")
    img = np.tile(np.linspace(0, 255, 1024).astype(np.uint8), (768, 1))
    ann = Annotator(np.stack([img, img]), method=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ann.widget
    assert ann._view.size == (576, 768)
    # the handles the browser test finds the panel and its canvas by
    assert "segkit-annotator" in ann.widget._dom_classes
    assert "segkit-annotate-canvas" in ann._ui["canvas"]._dom_classes
    # a click at the screen position of image pixel (100, 200)
    y, x = ann._view.to_screen(100.5, 200.5)
    ann._on_down(x, y); ann._on_up(x, y)
    assert ann.points.tolist() == [[0, 100, 200]]
    ann._on_down(x + 2, y + 2); ann._on_up(x + 2, y + 2)  # on the point: removed
    assert len(ann.points) == 0
    # a brush stroke, on slice 1
    ann.z = 1
    assert list(ann._grey) == [1]  # the image of slice 1 was drawn
    ann._ui["mode"].value = "brush"
    ann.brush_radius = 3
    ann._on_down(100, 100); ann._on_move(120, 100); ann._on_up(140, 100)
    row = int(100 / 0.75)
    assert ann.mask[1, row, int(100 / 0.75):int(140 / 0.75)].all() and ann.mask[0].sum() == 0
    # wheel zoom at the pointer, then a drag in pan mode
    ann._on_move(384, 288)
    ann._on_wheel(0, -120)
    assert ann._view.scale == pytest.approx(0.75 * 2 ** 0.5)
    ann._ui["mode"].value = "pan"
    before = ann._view.origin
    ann._on_down(300, 300); ann._on_move(280, 290); ann._on_up(280, 290)
    after = ann._view.origin
    assert after[1] - before[1] == pytest.approx(20 / ann._view.scale)
    assert ann.undo() and ann.mask.sum() == 0
    assert 'data-labels-version' in ann._ui["status"].value


# ----------------------------------------------------------------------------- real-world input
@pytest.mark.parametrize("dtype, top", [(np.uint16, 60000), (np.float32, 1.0)])
def test_16_bit_and_float_images(dtype, top):
    img = (two_cells().astype(np.float64) / 200 * top).astype(dtype)
    ann = Annotator(img, points=[(10, 10)], method="flood", params={"closing_radius": 0})
    assert int(ann.mask.sum()) == 1200
    grey = _grey_u8(img)
    assert grey.dtype == np.uint8 and grey.min() == 0 and grey.max() == 255


def test_nhwc_stack_and_bad_slice_or_path():
    img, _ = grid_stack()
    ann = Annotator(img[..., None], method=None)
    assert ann.mask.shape == img.shape
    with pytest.raises(ValueError, match=r"`z` must be < 3 \(slices\), got 3"):
        ann.z = 3
    with pytest.raises(ValueError, match=r"`path` must be \(K, 2\) \(row, col\)"):
        ann.paint([1, 2, 3])


# ----------------------------------------------------------------------------- notebook 10
def test_load_points_takes_an_array_as_well_as_a_csv(tmp_path):
    img, lab = grid_stack(2)
    ann = Annotator(img, method="flood", params={"closing_radius": 0})
    pts = weak.click_points(lab)
    assert ann.load_points(pts).tolist() == pts.tolist()
    assert ann.undo() and len(ann.points) == 0
    ann.load_points(pts[:2])
    ann.save_points(tmp_path / "p.csv")
    ann.load_points(pts)
    assert ann.load_points(tmp_path / "p.csv").tolist() == pts[:2].tolist()
    with pytest.raises(ValueError, match=r"point 0 \(5, 0, 0\) of `points` is outside"):
        ann.load_points([(5, 0, 0)])
    single = Annotator(img[0], method=None)
    assert single.load_points([(3, 4)]).tolist() == [[0, 3, 4]]


def test_known_pixels_are_the_mask_a_ring_and_the_eraser():
    img = two_cells()
    ann = Annotator(img, points=[(10, 10)], method="flood",
                    params={"closing_radius": 0, "gap_closing": "dilation"})
    mask = ann.mask.astype(bool)  # the left cell: columns 0..29
    assert mask[:, :30].all() and not mask[:, 30:].any()
    known = ann.known(ring=2).astype(bool)
    assert (known[:, :32]).all() and not known[:, 32:].any()  # the wall and one column more
    assert (ann.known(ring=0) == ann.mask).all()
    ann.paint([(5, 50)], erase=True, radius=2)  # an eraser dab on the right cell
    dab = ann.known(ring=0).astype(bool) & ~mask
    assert dab.any() and dab[:, 45:56].any() and not dab[:, :45].any()
    with pytest.raises(ValueError, match=r"`ring` must be >= 0"):
        ann.known(ring=-1)


def test_known_is_empty_on_slices_without_annotation():
    img, lab = grid_stack(3)
    ann = Annotator(img, points=[(1, 8, 8)], method="flood", params={"closing_radius": 0})
    known = ann.known(ring=1)
    assert known.shape == img.shape and known.dtype == np.uint8
    assert known[1].any() and not known[0].any() and not known[2].any()


def test_filler_warnings_are_reported_once_per_state():
    ann = Annotator(two_cells(), points=[(5, 30)], method="flood",
                    params={"closing_radius": 0})
    with pytest.warns(UserWarning, match=r"1 warning\(s\) from 'flood'"):
        ann.labels
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same points and parameters: no repeat
        ann.mask, ann.known(), ann.labels
    ann.click(5, 10)  # a new point: the warning comes again
    with pytest.warns(UserWarning, match=r"1 warning\(s\) from 'flood'"):
        ann.mask


def test_known_margin_leaves_the_edge_of_the_mask_unknown():
    img = two_cells()
    ann = Annotator(img, points=[(10, 10)], method="flood",
                    params={"closing_radius": 0, "gap_closing": "dilation"})
    known = ann.known(ring=3, margin=1).astype(bool)
    assert known[:, :30].all()                      # the mask
    assert not known[:, 30].any()                   # the first pixel beyond it: unknown
    assert known[:, 31:33].all() and not known[:, 33:].any()  # the band, 2 and 3 px away
    with pytest.raises(ValueError, match=r"`margin` \(3\) must be less than `ring` \(3\)"):
        ann.known(ring=3, margin=3)

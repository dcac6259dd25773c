"""The annotator (`segkit.widgets.Annotator`) in JupyterLab, clicked as a learner clicks it.

Notebook 10 is opened in headless Chromium and run up to the cell that shows the panel (its
quick example: a stack of 384 x 384 slices of bright particles, ``box=(512, 512)``, so that
the panel shows slice 0 at one screen pixel per image pixel). Then, with the mouse:

- clicks at the screen positions of known image pixels: the kernel's ``ann.points`` holds
  them, to within a pixel; each click's live weak labels are timed (printed, not asserted);
- a click on a point removes it; *undo* brings it back;
- a brush stroke paints the mask: the painted pixels rise by about the stroke's area;
- after one *zoom in* step (√2 about the panel's centre), a click lands on the pixel computed
  here from that zoom, not read back from the annotator.

The kernel's state is read with ``kernel_eval`` (a silent request on the page's own kernel
connection). Screenshots: ``build/browser/screenshots/annotator/``.
"""

import math
import re
import time

import numpy as np
import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "notebooks/10_your_own_images.ipynb"
PANEL_CELL = re.compile(r"^ann = widgets\.Annotator\(", re.M)
STATUS = ".segkit-annotate-status"
ZOOM = math.sqrt(2)          # one "zoom in" step
STROKE = (20, 40, 140)       # brush stroke along image row 20, columns 40 to 140


@pytest.fixture(scope="module")
def panel(lab, browser_context, open_notebook, run_through, cell_outputs, kernel_eval,
          shutdown_kernel):
    """Notebook 10 run up to its annotator panel: the page, the panel and its canvas
    (locators), and ``ask(expression)``, a value from the notebook's kernel."""
    page = browser_context.new_page()
    try:
        open_notebook(page, lab, NOTEBOOK)
        cells = cell_outputs(page)
        index = next(c["index"] for c in cells
                     if c["cell_type"] == "code" and PANEL_CELL.search(c["source"]))
        run_through(page, index)
        errors = [c["index"] for c in cell_outputs(page)[:index + 1]
                  if any(o["output_type"] == "error" for o in c["outputs"])]
        assert not errors, f"notebook 10: cells {errors} raised before the panel"
        root = page.locator(".segkit-annotator")
        canvas = root.locator("canvas.segkit-annotate-canvas")
        canvas.wait_for()
        page.wait_for_selector(STATUS)
        yield page, root, canvas, lambda expression: kernel_eval(page, expression)
    finally:
        shutdown_kernel(page)
        page.close()


def _version(page):
    return int(page.locator(STATUS).get_attribute("data-labels-version"))


def _wait_for_labels(page, after, timeout_s=30):
    """Wait until the status line shows weak labels newer than version `after`."""
    page.wait_for_function(
        f"() => Number(document.querySelector('{STATUS}').dataset.labelsVersion) > {after}",
        polling="raf", timeout=timeout_s * 1000)


def _at(canvas, settled_box, *points):
    """Page coordinates (x, y) of canvas points (y, x), once the page has stopped scrolling."""
    canvas.evaluate("e => e.scrollIntoView({block: 'center'})")
    box = settled_box(canvas)
    at = [(box["x"] + x, box["y"] + y) for y, x in points]
    return at[0] if len(at) == 1 else at


def _until(ask, expression, what, timeout_s=30):
    """Poll the kernel until `expression` is true; returns its value."""
    deadline = time.monotonic() + timeout_s
    while not (value := ask(expression)):
        assert time.monotonic() < deadline, f"{what} did not reach the kernel in {timeout_s} s"
        time.sleep(0.1)
    return value


def _fit_screen(row, col):
    """Canvas (y, x) of the centre of image pixel (row, col) at one screen px per image px."""
    return row + 0.5, col + 0.5


def test_the_panel_shows_the_slice_at_one_screen_pixel_per_image_pixel(panel):
    page, root, canvas, ask = panel
    h, w = ask("list(ann._stack.shape[1:])")
    size = canvas.evaluate("e => [e.width, e.height, e.clientWidth, e.clientHeight]")
    assert size == [w, h, w, h], f"canvas {size} for a {h} x {w} slice"
    assert ask("ann.points.tolist()") == []


def test_clicks_land_on_their_pixels_then_remove_undo_brush_zoom(panel, settled_box, shot,
                                                                 capsys):
    page, root, canvas, ask = panel
    # one click inside each particle of slice 0 (the notebook's simulated clicks); four now,
    # a fifth after the zoom
    inside = ask("[p[1:] for p in weak.click_points("
                 "instances.connected_components(truth[:1]), rng=0).tolist()]")
    targets = inside[:4]
    assert len(targets) == 4

    # 1. clicks at known pixels, each timed until the status line shows its weak labels
    delays, drawn = [], []
    for r, c in targets:
        v0 = _version(page)
        x, y = _at(canvas, settled_box, _fit_screen(r, c))
        t0 = time.perf_counter()
        page.mouse.click(x, y)
        # the point's marker (yellow) on the canvas, then the weak labels
        page.wait_for_function(
            "([e, x, y]) => { const d = e.getContext('2d').getImageData(x, y, 1, 1).data;"
            " return d[0] > 200 && d[1] > 180 && d[2] < 80; }",
            arg=[canvas.element_handle(), int(c + 0.5), int(r + 0.5)], polling="raf",
            timeout=30_000)
        drawn.append(time.perf_counter() - t0)
        _wait_for_labels(page, v0)
        delays.append(time.perf_counter() - t0)
    points = ask("ann.points.tolist()")
    assert len(points) == len(targets), points
    error = max(max(abs(p[1] - r), abs(p[2] - c)) for p, (r, c) in zip(points, targets))
    assert all(p[0] == 0 for p in points) and error <= 1, (
        f"clicked pixels {targets}, the kernel got {points}")
    timings = ask("ann.timings")
    shot(root, "annotator/1-clicks")

    # 2. a click 2 screen pixels off the first point removes it; undo brings it back
    v0 = _version(page)
    y, x = _fit_screen(*targets[0])
    page.mouse.click(*_at(canvas, settled_box, (y + 2, x + 2)))
    _wait_for_labels(page, v0)
    assert ask("ann.points.tolist()") == points[1:]
    v0 = _version(page)
    root.get_by_role("button", name="undo", exact=True).click()
    _wait_for_labels(page, v0)
    assert ask("ann.points.tolist()") == points
    shot(root, "annotator/2-removed-then-undone")

    # 3. a brush stroke: the mask's painted pixels rise by about the stroke's area
    radius = ask("ann.brush_radius")
    row, c0, c1 = STROKE
    window = (slice(row - radius - 1, row + radius + 2), slice(c0 - radius - 1, c1 + radius + 2))
    expr = (f"ann.mask[0, {window[0].start}:{window[0].stop}, "
            f"{window[1].start}:{window[1].stop}].tolist()")
    before, total_before = np.array(ask(expr)), ask("int(ann.mask[0].sum())")
    root.get_by_role("button", name="brush", exact=True).click()
    (x0, y0), (x1, y1) = _at(canvas, settled_box, _fit_screen(row, c0), _fit_screen(row, c1))
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=10)
    page.mouse.up()
    _until(ask, f"ann._stroke is None and int(ann.mask[0].sum()) != {total_before}",
           "the brush stroke")
    after = np.array(ask(expr))
    rise = ask("int(ann.mask[0].sum())") - total_before
    # the stroke's area: pixels whose centre is within `radius` of the segment (as
    # skimage.draw.disk paints), among those not in the mask yet. The pointer lands within
    # half a screen pixel of where it was sent, so the painted band may sit half a pixel off:
    # its core must be painted, nothing a pixel beyond it changed, its area close to this.
    rr, cc = np.mgrid[window[0], window[1]]
    dist = np.hypot(rr - row, cc - np.clip(cc, c0, c1))
    area = int(((dist < radius) & (before == 0)).sum())
    assert after[dist < radius - 1.5].all(), "the stroke's core is not all painted"
    assert (after == before)[dist >= radius + 1].all(), \
        "the stroke changed pixels more than a pixel away from its path"
    assert rise == int((after - before).sum()), "the stroke changed pixels outside its window"
    assert 0.85 * area <= rise <= 1.15 * area, f"stroke of area {area} painted {rise} pixels"
    shot(root, "annotator/3-brush")

    # 4. one zoom step, then a click on a pixel whose screen position is computed here
    root.get_by_role("button", name="point", exact=True).click()
    root.get_by_role("button", name="zoom in", exact=True).click()
    page.wait_for_function(f"() => document.querySelector('{STATUS}').textContent"
                           f".includes('zoom {ZOOM:.3g}x')", timeout=30_000)
    h, w = ask("list(ann._stack.shape[1:])")
    # √2 about the panel's centre: the image point there stays put
    origin = (h / 2 - h / 2 / ZOOM, w / 2 - w / 2 / ZOOM)
    target = next(t for t in inside[4:] if all(
        o + 10 <= v <= o + n / ZOOM - 10 for v, o, n in zip(t, origin, (h, w))))
    y = (target[0] + 0.5 - origin[0]) * ZOOM
    x = (target[1] + 0.5 - origin[1]) * ZOOM
    n = len(points)
    page.mouse.click(*_at(canvas, settled_box, (y, x)))
    _until(ask, f"len(ann.points) > {n}", "the zoomed click")
    z, r, c = ask("ann.points.tolist()")[-1]
    assert z == 0 and abs(r - target[0]) <= 1 and abs(c - target[1]) <= 1, (
        f"zoomed {ZOOM:.3g}x, clicked pixel {target}, the kernel got {(r, c)}")
    zoomed_error = max(abs(r - target[0]), abs(c - target[1]))
    shot(root, "annotator/4-zoomed-click")

    with capsys.disabled():
        print(f"\nannotator, notebook 10 ({h} x {w}, {ask('ann.method')!r}): click to "
              f"point drawn {', '.join(f'{d:.2f}' for d in drawn)} s; click to weak labels "
              f"shown {', '.join(f'{d:.2f}' for d in delays)} s (debounce "
              f"{ask('ann.delay')} s); kernel, last click: labels "
              f"{timings['labels'] * 1000:.0f} ms, overlay {timings['draw'] * 1000:.0f} ms; "
              f"brush stroke area {area}, painted {rise}; click error {error} px, "
              f"zoomed {zoomed_error} px")

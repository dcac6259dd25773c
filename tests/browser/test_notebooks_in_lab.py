"""Every course notebook as a learner sees it: JupyterLab in headless Chromium, Run All.

Each notebook runs once (quick parameters) in a module-scoped fixture; the tests then read what
the page shows (`tools/outputs.py` says what must not be there): no error output, no
TensorFlow start-up log, no stray return values, slider labels in full, and, for every slider panel, a moved slider redraws its output. Screenshots of
every cell's output, and of each panel before and after its slider moved, are kept under
``build/browser/screenshots/<notebook>/``.
"""

import re
from dataclasses import dataclass

import nbformat
import pytest

import course
import outputs

pytestmark = pytest.mark.browser

NOTEBOOKS = course.notebook_paths()
# Code that puts widgets on the page: ipywidgets itself, interact, segkit.widgets, the panels
# and explorers of segkit.viz/train.
WIDGET_CODE = re.compile(r"\bipywidgets\b|\binteract\w*\(|\bwidgets\.\w+\(|_explorer\(|_panel\(")
def uses_widgets(path):
    nb = nbformat.read(path, as_version=4)
    return any(WIDGET_CODE.search(c.source) for c in nb.cells
               if c.cell_type == "code" and "setup" not in c.metadata.get("tags", []))


@dataclass
class Ran:
    stem: str
    page: object
    cells: list
    panels: list
    seconds: float


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def ran(request, lab, browser_context, open_notebook, run_all, cell_outputs, widget_panels, shot,
        shutdown_kernel):
    """One notebook opened in JupyterLab and run top to bottom; screenshots of its outputs."""
    path = request.param
    page = browser_context.new_page()
    try:
        open_notebook(page, lab, f"notebooks/{path.name}")
        seconds = run_all(page)
        cells = cell_outputs(page)
        areas = page.locator(".jp-Notebook .jp-Cell")
        for cell in cells:
            if cell["outputs"]:
                shot(areas.nth(cell["index"]).locator(".jp-Cell-outputArea"),
                     f"{path.stem}/cell{cell['index']:02d}")
        yield Ran(path.stem, page, cells, widget_panels(page), seconds)
    finally:
        shutdown_kernel(page)
        page.close()


def _found(ran, kind):
    return [(i, text) for i, k, text in outputs.findings(ran.cells) if k == kind]


def test_every_cell_runs_without_error_output(ran):
    errors = _found(ran, "error")
    assert not errors, f"{ran.stem}: error output in cells {errors}"
    unrun = [c["index"] for c in ran.cells if c["cell_type"] == "code"
             and c["source"].strip() and c["execution_count"] is None]
    assert not unrun, f"{ran.stem}: cells {unrun} did not run"
    assert any(c["outputs"] for c in ran.cells), f"{ran.stem}: no output found on the page"


def test_no_tensorflow_log_in_the_page(ran):
    """TensorFlow's log (C++ start-up lines, its Python logger) is not the lesson.

    `make test-colab` checks the same on Colab's runtime.
    """
    native = _found(ran, "tensorflow log")
    assert not native, f"{ran.stem}: TensorFlow/absl log shown in cells {native}"


def test_no_stray_return_values(ran):
    stray = _found(ran, "stray value")
    assert not stray, f"{ran.stem}: cells show a value nobody asked for: {stray}"


def test_widgets_show_where_the_code_makes_them(ran):
    assert bool(ran.panels) == uses_widgets(course.NOTEBOOKS / f"{ran.stem}.ipynb"), (
        f"{ran.stem}: {len(ran.panels)} widget panels on the page; the code "
        f"{'makes' if uses_widgets(course.NOTEBOOKS / f'{ran.stem}.ipynb') else 'makes no'} widgets")


def test_slider_labels_show_in_full(ran, truncated_labels):
    if not ran.panels:
        pytest.skip("no widgets in this notebook")
    cut = truncated_labels(ran.page)
    assert not cut, f"{ran.stem}: slider labels cut off: {cut}"


def test_moving_a_slider_redraws_its_output(ran, drag_slider, press_slider, slider_value,
                                            wait_for_change, shot):
    """Every panel with sliders and an Output redraws when its first slider moves.

    Panels with a button (the training panel of 05/06) act on the button, not on the sliders;
    they must still show their controls (the annotator of notebook 10: its canvas). The first slider panel is moved with the mouse, the
    others with the keyboard.
    """
    if not ran.panels:
        pytest.skip("no widgets in this notebook")
    live = [p for p in ran.panels if p.sliders and not p.buttons]
    button_panels = [p for p in ran.panels if p.buttons]
    assert live or button_panels, f"{ran.stem}: widgets without sliders or buttons"
    for p in button_panels:
        assert p.root.is_visible(), f"{ran.stem}: button panel not shown"
        if p.root.locator("canvas.segkit-annotate-canvas").count():
            # the annotator draws on its canvas, not into an Output (test_annotator.py clicks it)
            assert p.root.locator("canvas.segkit-annotate-canvas").first.is_visible(), \
                f"{ran.stem}: annotator panel without its canvas"
        else:
            assert p.outputs, f"{ran.stem}: button panel without an Output"
    for k, panel in enumerate(live):
        name = f"{ran.stem}/panel{k}-cell{panel.cell:02d}"
        assert panel.outputs, f"{name}: sliders without an Output widget"
        output = panel.outputs[0]
        before = output.inner_html()
        assert output.locator(".jp-OutputArea-child").count(), \
            f"{name}: the panel showed nothing before the slider moved"
        shot(panel.root, f"{name}-before")
        handle = panel.handle(0)
        value = slider_value(handle)
        at_max = value >= float(handle.get_attribute("aria-valuemax"))
        if k == 0:
            drag_slider(ran.page, handle, -80 if at_max else 80)
        else:
            press_slider(handle, "ArrowLeft" if at_max else "ArrowRight", times=2)
        assert slider_value(handle) != value, f"{name}: slider {panel.label(0)!r} did not move"
        wait_for_change(output, before)
        ran.page.wait_for_function(
            """el => !el.querySelector('img') || el.querySelector('img').complete""",
            arg=output.element_handle(), timeout=30_000)
        shot(panel.root, f"{name}-after")


def test_the_checks_see_what_they_look_for(lab, new_page, open_notebook, run_all, cell_outputs,
                                          shutdown_kernel):
    """A notebook made to fail each check, run in the page: the checks above can fail."""
    tf_line = ("2026-11-29 11:38:42.907159: E external/local_xla/xla/stream_executor/cuda/"
               "cuda_platform.cc:51] failed call to cuInit")
    absl_line = ("I0000 00:00:1795954266.460995   15516 port.cc:153] oneDNN custom operations "
                 "are on (written to file descriptor 2, below Python, as TensorFlow does)")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in (
        f"import os, pathlib, sys, time, warnings\nwarnings.warn('a lesson warning')\n"
        f"print({tf_line!r}, file=sys.stderr)",
        f"os.write(2, {(absl_line + chr(10)).encode()!r}); time.sleep(1)",
        "pathlib.Path('figures') / 'x.png'",
        "1 / 0",
    )]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab.root / "checks.ipynb")
    page = new_page()
    open_notebook(page, lab, "checks.ipynb")
    run_all(page)
    cells = cell_outputs(page)
    shutdown_kernel(page)
    found = outputs.findings(cells)
    assert {k for _, k, _ in found} == {"error", "stray value", "tensorflow log"}, found
    assert any("below Python" in text for _, _, text in found), \
        f"output written to file descriptor 2 did not reach the page: {cells}"
    assert "a lesson warning" in str(cells)

"""Fixtures for tests that drive JupyterLab (and the built book) in a real browser.

Headless Chromium from Debian's ``chromium`` package (``SEGKIT_CHROMIUM`` to point elsewhere),
driven by Playwright for Python with that executable: no browser is ever downloaded. JupyterLab
is served on 127.0.0.1 with a random token, from ``build/browser/lab``, where every course
notebook is copied with its quick parameters injected (papermill's convention, as in
``make test``), so "Run All" in the browser takes the quick path.

Without Chromium or Playwright the tests skip, unless ``SEGKIT_BROWSER=required`` (set by
``make test-browser`` and CI), where they fail instead.

Reusable pieces, for any test of what a learner sees:

- ``lab``: the server (``lab.url_for("notebooks/01_wrangling.ipynb")``).
- ``browser_context``: one Chromium profile, fresh per session; ``new_page`` gives a tab.
- ``open_notebook(page, lab, relpath)``, ``run_all(page)``: open a notebook, wait for its
  kernel; run every cell and wait until the kernel is idle again.
- ``run_through(page, index)``: run the cells up to `index` only (a widget before the
  cells that would use it).
- ``kernel_eval(page, expression)``: a value from the notebook's kernel (``ann.points.tolist()``).
- ``settled_box(locator)``: where an element is once JupyterLab's smooth scroll has stopped.
- ``shutdown_kernel(page)``: stop the notebook's kernel before closing its tab.
- ``cell_outputs(page)``: the cells with their outputs, as in a notebook's JSON.
- ``widget_panels(page)``: the widget trees in cell outputs, with their sliders, outputs, buttons.
- ``drag_slider(page, handle, dx)``, ``press_slider(handle, key, times)``: move a slider with
  the mouse or the keyboard, as a learner does.
- ``slider_value(handle)``, ``truncated_labels(page)``: a slider's value; widget labels cut off.
- ``wait_for_change(locator, before)``: poll until a part of the page differs from `before`.
- ``shot(target, name)``: a screenshot under ``build/browser/screenshots``.
- ``static_server(folder)``: serve a folder on 127.0.0.1; ``book_site``: the built book there.
"""

import ast
import functools
import http.server
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

import course

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "browser"
SCREENSHOTS = BUILD / "screenshots"
BOOK_HTML = ROOT / "build" / "book" / "html"
# Chromium as root in a sandboxed CI machine with no network beyond the package registries.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-gpu", "--disable-quic",
                 "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1400, "height": 1000}
# JupyterLab settings for a quiet, deterministic page: every cell in the DOM (no windowing), no
# news or update checks (they would reach out to the network and pop a toast over the page).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": '{"windowingMode": "none"}',
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        '{"fetchNews": "false", "checkForUpdates": false}',
}
RUN_ALL_TIMEOUT_S = 900


def browser_required():
    return os.environ.get("SEGKIT_BROWSER", "") == "required"


def _missing(reason):
    if browser_required():
        pytest.fail(f"{reason} (SEGKIT_BROWSER=required)")
    pytest.skip(reason)


def importlib_missing(module):
    import importlib.util

    return importlib.util.find_spec(module) is None


def chromium_path():
    path = os.environ.get("SEGKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.access(path, os.X_OK) else None


def _die_with_parent():
    """In the server's process: ask Linux for SIGTERM when pytest dies, however it dies."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_http(url, *, timeout, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"no answer from {url} within {timeout} s")


def shot(target, name, **options):
    """Save a screenshot of a page or locator as ``build/browser/screenshots/<name>.png``.

    `options` go to Playwright's ``screenshot`` (``full_page=True`` for a whole page).
    """
    path = SCREENSHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(path), **options)
    return path


# ----------------------------------------------------------------------------- servers
@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path

    def url_for(self, relpath):
        # `reset`: a workspace with only this notebook (JupyterLab otherwise reopens every tab
        # of the last page, and starts a kernel for each)
        return f"{self.url}/lab/tree/{relpath}?reset&token={self.token}"


def write_quick_copies(folder):
    """Every course notebook with its quick parameters injected, in ``folder/notebooks``."""
    nb_dir = folder / "notebooks"
    if nb_dir.exists():
        shutil.rmtree(nb_dir)
    nb_dir.mkdir(parents=True)
    for path in course.notebook_paths():
        nb = course.with_parameters(nbformat.read(path, as_version=4), quick=True)
        nbformat.write(nb, nb_dir / path.name)
    return nb_dir


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token, serving quick copies of the notebooks."""
    if importlib_missing("jupyterlab"):
        _missing("JupyterLab is not installed (make env)")
    root = BUILD / "lab"
    write_quick_copies(root)
    private = tmp_path_factory.mktemp("jupyter")
    settings = private / "settings"
    for name, text in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(text)
    # What a learner's kernel sees: no log level or backend set by a test runner, and no
    # PYTEST_* variables (with PYTEST_CURRENT_TEST set, ipykernel stops forwarding what C++
    # code writes to stderr, TensorFlow's log among it, to the notebook).
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "MPLBACKEND", "JUPYTER_PLATFORM_DIRS")
           and not k.startswith("PYTEST_")}
    env.update(JUPYTER_CONFIG_DIR=str(private / "config"), JUPYTER_RUNTIME_DIR=str(private / "run"),
               JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(private / "workspaces"))
    port, token = _free_port(), secrets.token_hex(24)
    log = BUILD / "jupyterlab.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
           "--LabApp.extension_manager=readonly"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                preexec_fn=_die_with_parent)
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=120,
                       process=proc)
        yield Lab(url=f"http://127.0.0.1:{port}", token=token, root=root, log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def static_server():
    """``serve(folder) -> base URL``: a folder over HTTP on 127.0.0.1, for the session."""
    servers = []

    def serve(folder):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def book_site(static_server):
    """Base URL of the book that `make book` built (``build/book/html``), on 127.0.0.1."""
    if not (BOOK_HTML / "index.html").is_file():
        _missing(f"no book in {BOOK_HTML}: run `make book` (QUICK=1 for the quick run) first")
    return static_server(BOOK_HTML)


@pytest.fixture(scope="session")
def book_source():
    """The folder of notebooks the book was built from (``build/book/src``)."""
    return BOOK_HTML.parent / "src"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


# ----------------------------------------------------------------------------- browser
@pytest.fixture(scope="session")
def browser_context(tmp_path_factory):
    """Headless Debian Chromium with a fresh profile (``--user-data-dir``) for the session."""
    if importlib_missing("playwright"):
        _missing("Playwright for Python is not installed (make env)")
    exe = chromium_path()
    if exe is None:
        _missing("no Chromium: install Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=exe,
            headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT)
        context.set_default_timeout(60_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def new_page(browser_context):
    """``new_page() -> page``: tabs closed at the end of the test."""
    pages = []

    def make():
        page = browser_context.new_page()
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.close()


_KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""


def open_notebook(page, lab, relpath, *, timeout_s=120):
    """Open `relpath` (relative to the server root) in JupyterLab; wait for an idle kernel."""
    page.goto(lab.url_for(relpath))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout_s * 1000)
    page.wait_for_function(_KERNEL_IDLE, timeout=timeout_s * 1000, polling=250)


def run_all(page, *, timeout_s=RUN_ALL_TIMEOUT_S):
    """Run every cell ("Run All Cells") and wait until none is queued or running.

    Returns the wall time in seconds. A cell that raises stops the run, as in JupyterLab.
    """
    start = time.monotonic()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    return _wait_for_run(page, start, timeout_s)


def run_through(page, index, *, timeout_s=RUN_ALL_TIMEOUT_S):
    """Run cells 0 to `index` (page order, as in ``cell_outputs``) and wait until none is
    queued or running ("Run All Above" on the next cell; "Run All" for the last cell).

    Returns the wall time in seconds.
    """
    start = time.monotonic()
    page.evaluate("""(i) => {
      const nb = window.jupyterapp.shell.currentWidget.content;
      if (i + 1 >= nb.widgets.length) {
        return window.jupyterapp.commands.execute('notebook:run-all-cells');
      }
      nb.activeCellIndex = i + 1;
      return window.jupyterapp.commands.execute('notebook:run-all-above');
    }""", index)
    return _wait_for_run(page, start, timeout_s)


def _wait_for_run(page, start, timeout_s):
    # the first prompt turns to [*] at once; then wait for no [*] and an idle kernel, twice in
    # a row a second apart (an idle kernel between two queued cells is not the end)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-InputPrompt')].some(e => /\\[[*\\d]/.test(e.textContent))",
        timeout=60_000, polling=100)
    done = ("() => ![...document.querySelectorAll('.jp-InputPrompt')].some("
            "e => e.textContent.includes('*')) && (" + _KERNEL_IDLE + ")()")
    while True:
        remaining = timeout_s - (time.monotonic() - start)
        if remaining <= 0:
            raise TimeoutError(f"Run All did not finish within {timeout_s} s")
        page.wait_for_function(done, timeout=remaining * 1000, polling=500)
        page.wait_for_timeout(1000)
        if page.evaluate(done):
            return time.monotonic() - start


def kernel_eval(page, expression, *, timeout_s=60):
    """The value of the Python `expression` in the kernel of the notebook shown in `page`.

    The value travels as JSON (``json.dumps(expression)`` is evaluated in the kernel), so
    it must be made of lists, dicts, strings, numbers, booleans and None: ``ann.points.tolist()``,
    ``int(ann.mask.sum())``. It is a silent execute request's ``user_expressions`` on the
    page's own kernel connection: it leaves no prompt number, output or history in the
    notebook, and it reaches the kernel after every widget message the page sent before it
    (a click's message included), as the kernel handles its shell messages in order.
    An exception in the kernel raises RuntimeError here.
    """
    value = page.evaluate("""async ([expr, ms]) => {
      const w = window.jupyterapp.shell.currentWidget;
      const kernel = w.sessionContext.session.kernel;
      const future = kernel.requestExecute({code: '', silent: true, store_history: false,
                                            user_expressions: {v: expr}});
      const timer = new Promise((_, fail) => setTimeout(
        () => fail(new Error(`no reply from the kernel within ${ms} ms`)), ms));
      const reply = await Promise.race([future.done, timer]);
      return reply.content.user_expressions.v;
    }""", [f"__import__('json').dumps({expression})", timeout_s * 1000])
    if value.get("status") != "ok":
        raise RuntimeError(f"{expression!r} in the kernel: {value.get('ename')}: "
                           f"{value.get('evalue')}")
    return json.loads(ast.literal_eval(value["data"]["text/plain"]))


def settled_box(locator, *, timeout_s=10, still_s=0.3):
    """The bounding box of `locator` once it has stopped moving for `still_s` seconds.

    JupyterLab scrolls smoothly to a cell that becomes active (a click in its output makes
    it so): a position read during the scroll would send the next click elsewhere.
    """
    deadline = time.monotonic() + timeout_s
    last, since = locator.bounding_box(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        box = locator.bounding_box()
        if box != last:
            last, since = box, time.monotonic()
        elif time.monotonic() - since >= still_s:
            return box
    raise AssertionError(f"still moving after {timeout_s} s: {last}")


def shutdown_kernel(page):
    """Shut down the kernel of the notebook shown in `page` (closing a tab leaves it running)."""
    page.evaluate("""async () => {
      const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
      if (w && w.sessionContext) { await w.sessionContext.shutdown(); }
    }""")


_CELLS = """() => window.jupyterapp.shell.currentWidget.content.widgets.map((cell, index) => {
  const m = cell.model;
  return {index, cell_type: m.type, source: m.sharedModel.getSource(),
          execution_count: m.type === 'code' ? m.executionCount : null,
          outputs: m.type === 'code' ? m.outputs.toJSON() : []};
})"""


def cell_outputs(page):
    """The cells of the notebook shown in `page`, as in a notebook's JSON (with outputs).

    Read from JupyterLab's notebook model, which the page renders: ``output_type`` tells an
    error from a stderr stream (both render as the same pink box). Index = position on the page.
    """
    return page.evaluate(_CELLS)


@dataclass
class Panel:
    """One widget tree shown in a cell's output."""
    cell: int
    root: object        # Locator of the top widget
    sliders: list       # Locators of the sliders (``.widget-slider``)
    outputs: list       # Locators of the Output widgets
    buttons: list       # Locators of the buttons

    def handle(self, i=0):
        """The draggable handle of slider `i` (noUiSlider's ``role=slider`` element)."""
        return self.sliders[i].locator("[role=slider]").first

    def label(self, i=0):
        return self.sliders[i].locator(".widget-label").first.text_content().strip()


def widget_panels(page):
    """The widget trees in the notebook's cell outputs, in page order."""
    cells = page.locator(".jp-Notebook .jp-Cell")
    panels = []
    for c in range(cells.count()):
        roots = cells.nth(c).locator(
            ".jp-Cell-outputArea .jp-OutputArea-output > .jupyter-widgets")
        for r in range(roots.count()):
            root = roots.nth(r)
            panels.append(Panel(
                cell=c, root=root,
                sliders=[root.locator(".widget-slider").nth(i)
                         for i in range(root.locator(".widget-slider").count())],
                outputs=[root.locator(".widget-output").nth(i)
                         for i in range(root.locator(".widget-output").count())],
                buttons=[root.locator("button").nth(i)
                         for i in range(root.locator("button").count())]))
    return panels


def slider_value(handle):
    return float(handle.get_attribute("aria-valuenow"))


def drag_slider(page, handle, dx):
    """Drag a slider's handle `dx` pixels (negative: left) with the mouse, in small steps."""
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=12)
    page.mouse.up()


def press_slider(handle, key="ArrowRight", times=1):
    """Move a slider with the keyboard: focus its handle, press `key` `times` times."""
    handle.scroll_into_view_if_needed()
    handle.focus()
    for _ in range(times):
        handle.press(key)


def wait_for_change(locator, before, *, timeout_s=90, settle_s=2.0, read=None):
    """Poll `locator` until ``read(locator)`` (its inner HTML) differs from `before` and then
    stays the same for `settle_s` seconds (a dragged slider queues one redraw per value).

    Returns the settled value, or raises AssertionError after `timeout_s` seconds.
    """
    read = read or (lambda loc: loc.inner_html())
    deadline = time.monotonic() + timeout_s
    last, since = before, time.monotonic()
    while time.monotonic() < deadline:
        now = read(locator)
        if now != last:
            last, since = now, time.monotonic()
        elif last != before and time.monotonic() - since >= settle_s:
            return last
        time.sleep(0.25)
    if last != before:
        raise AssertionError(f"still changing after {timeout_s} s")
    raise AssertionError(f"no change within {timeout_s} s")


def truncated_labels(page):
    """Widget description labels whose text does not fit (shown cut, with an ellipsis)."""
    return page.evaluate("""() => [...document.querySelectorAll('.jp-Notebook .widget-label')]
        .filter(e => e.offsetParent !== null && e.textContent.trim() && e.scrollWidth > e.clientWidth + 1)
        .map(e => e.textContent.trim())""")


# ----------------------------------------------------------------------------- as fixtures
# Test modules cannot import this conftest (pytest runs with --import-mode=importlib), so each
# helper above is also a session fixture of the same name that returns it.


@pytest.fixture(scope="session", name="open_notebook")
def _open_notebook_fixture():
    return open_notebook


@pytest.fixture(scope="session", name="run_all")
def _run_all_fixture():
    return run_all


@pytest.fixture(scope="session", name="cell_outputs")
def _cell_outputs_fixture():
    return cell_outputs


@pytest.fixture(scope="session", name="widget_panels")
def _widget_panels_fixture():
    return widget_panels


@pytest.fixture(scope="session", name="drag_slider")
def _drag_slider_fixture():
    return drag_slider


@pytest.fixture(scope="session", name="press_slider")
def _press_slider_fixture():
    return press_slider


@pytest.fixture(scope="session", name="slider_value")
def _slider_value_fixture():
    return slider_value


@pytest.fixture(scope="session", name="wait_for_change")
def _wait_for_change_fixture():
    return wait_for_change


@pytest.fixture(scope="session", name="truncated_labels")
def _truncated_labels_fixture():
    return truncated_labels


@pytest.fixture(scope="session", name="shot")
def _shot_fixture():
    return shot


@pytest.fixture(scope="session", name="run_through")
def _run_through_fixture():
    return run_through


@pytest.fixture(scope="session", name="kernel_eval")
def _kernel_eval_fixture():
    return kernel_eval


@pytest.fixture(scope="session", name="settled_box")
def _settled_box_fixture():
    return settled_box


@pytest.fixture(scope="session", name="shutdown_kernel")
def _shutdown_kernel_fixture():
    return shutdown_kernel

"""Check the annotator in a real browser: JupyterLab, headless Chromium, Playwright.

Standalone (not collected by pytest; the course's browser tests will live in
`tests/browser/`). It copies `annotation_demo.ipynb` to a temporary folder, serves it with
JupyterLab, opens it in Chromium, runs it, then:

1. clicks at known image pixels and reads the kernel's point array (a second client on the
   notebook's kernel), which must hold them to within a pixel;
2. measures click-to-redraw: from the click to the status line showing the new weak labels;
3. removes a point by clicking on it;
4. paints a brush stroke and checks that the kernel's mask changed along it;
5. zooms in and clicks again at a known pixel.

Screenshots go to the output folder. Run from the repository root::

    PYTHONPATH=$PWD:/path/to/playwright python docs/annotation_browser_check.py --out /tmp/annot

Needs JupyterLab, ipycanvas and Playwright for Python; Chromium from the system
(``--chromium``, default /usr/bin/chromium).
"""

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = [(100, 200), (400, 700), (600, 900), (300, 500)]  # image pixels (row, col)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(folder, port, token):
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
           "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={folder}", "--ServerApp.allow_root=True"]
    log = open(Path(folder) / "lab.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url, timeout=1)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("JupyterLab did not start; see lab.log")


def kernel_client(port, token):
    """A jupyter_client connected to the kernel of the (only) running notebook session."""
    from jupyter_client import BlockingKernelClient
    from jupyter_core.paths import jupyter_runtime_dir

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/sessions?token={token}") as r:
        sessions = json.load(r)
    kid = sessions[0]["kernel"]["id"]
    client = BlockingKernelClient(connection_file=str(Path(jupyter_runtime_dir())
                                                      / f"kernel-{kid}.json"))
    client.load_connection_file()
    client.start_channels()
    client.wait_for_ready(timeout=30)
    return client


def ask(client, expr):
    """Evaluate `expr` in the notebook's kernel and return it (JSON-able)."""
    code = f"import json as _j; print(_j.dumps({expr}))"
    out = []

    def hook(msg):
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("ERROR " + msg["content"]["evalue"])

    client.execute_interactive(code, output_hook=hook, timeout=60)
    text = "".join(out).strip()
    if text.startswith("ERROR"):
        raise RuntimeError(text)
    return json.loads(text)


def stable_box(locator, tries=50):
    """The element's bounding box once it has stopped moving (JupyterLab scrolls smoothly
    to the active cell after a click on a widget)."""
    last = locator.bounding_box()
    for _ in range(tries):
        time.sleep(0.1)
        box = locator.bounding_box()
        if box == last:
            return box
        last = box
    return last


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/annotation-check")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="annot-"))
    shutil.copy(ROOT / "docs" / "annotation_demo.ipynb", folder)
    port, token = free_port(), secrets.token_hex(16)
    lab = start_lab(folder, port, token)
    report = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=args.chromium, headless=True,
                args=["--no-sandbox", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1500, "height": 1300})
            console = []
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            try:
                _run(page, port, token, out, report)
            except Exception:
                page.screenshot(path=str(out / "failed.png"))
                raise
            finally:
                (out / "console.log").write_text("\n".join(console))
                browser.close()
    finally:
        lab.terminate()
        lab.wait(timeout=30)
        (out / "lab.log").write_text((folder / "lab.log").read_text())
        shutil.rmtree(folder, ignore_errors=True)
    (out / "report.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    ok = (report["max_error_px"] <= 1 and report["removed"]
          and report["mask_before_after_stroke"][1] > report["mask_before_after_stroke"][0]
          and abs(report["zoomed_click"][1][1] - report["zoomed_click"][0][0]) <= 1
          and abs(report["zoomed_click"][1][2] - report["zoomed_click"][0][1]) <= 1)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


def _run(page, port, token, out, report):
    if True:
        if True:
            page.goto(f"http://127.0.0.1:{port}/lab/tree/annotation_demo.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook", timeout=120_000)
            page.get_by_text("| Idle").wait_for(timeout=120_000)  # the kernel is up
            canvas = page.locator(".jp-OutputArea canvas").last
            for attempt in range(3):
                page.get_by_role("menuitem", name="Run", exact=True).click()
                page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
                try:
                    canvas.wait_for(timeout=60_000)
                    break
                except Exception:
                    if attempt == 2:
                        raise
            page.wait_for_selector(".segkit-annotate-status", timeout=60_000)
            no_news = page.get_by_role("button", name="No", exact=True)
            if no_news.count():
                no_news.first.click()  # the "Jupyter news?" toast would cover the panel
            canvas.evaluate("e => e.scrollIntoView({block: 'start'})")
            time.sleep(1.0)
            page.screenshot(path=str(out / "1-opened.png"))
            kc = kernel_client(port, token)
            box = canvas.bounding_box()
            report["canvas_css_size"] = [box["width"], box["height"]]
            report["kernel_view"] = ask(kc, "[ann._view.size, ann._view.scale]")

            def screen_of(r, c):
                """Page coordinates of the centre of image pixel (r, c), as shown now."""
                y, x = ask(kc, f"ann._view.to_screen({r} + 0.5, {c} + 0.5)")
                # JupyterLab scrolls to the active cell now and then: bring the panel back to
                # the middle of the window and wait until it stops moving
                canvas.evaluate("e => e.scrollIntoView({block: 'center'})")
                b = stable_box(canvas)
                return b["x"] + x, b["y"] + y

            def version():
                return int(page.locator(".segkit-annotate-status")
                           .get_attribute("data-labels-version"))

            # 1 + 2: clicks at known pixels, click-to-redraw
            delays = []
            for r, c in TARGETS:
                v0 = version()
                x, y = screen_of(r, c)
                t0 = time.perf_counter()
                page.mouse.click(x, y)
                page.wait_for_function(
                    f"Number(document.querySelector('.segkit-annotate-status')"
                    f".dataset.labelsVersion) > {v0}", polling="raf", timeout=30_000)
                delays.append(time.perf_counter() - t0)
            got = ask(kc, "ann.points.tolist()")
            report["clicked"] = [list(t) for t in TARGETS]
            report["kernel_points"] = got
            report["max_error_px"] = max(max(abs(p[1] - t[0]), abs(p[2] - t[1]))
                                         for p, t in zip(got, TARGETS))
            report["click_to_redraw_s"] = [round(d, 3) for d in delays]
            report["kernel_labels_s"] = ask(kc, "ann.timings")
            page.screenshot(path=str(out / "2-points.png"))

            # debouncing: two quick clicks give one recomputation
            v0 = version()
            quick = [screen_of(r, c) for r, c in [(150, 150), (160, 300)]]
            for x, y in quick:  # well within the `delay` of 0.2 s
                page.mouse.click(x, y)
            page.wait_for_function(
                f"Number(document.querySelector('.segkit-annotate-status')"
                f".dataset.labelsVersion) > {v0}", polling="raf", timeout=30_000)
            time.sleep(1.0)
            report["recomputations_for_two_quick_clicks"] = version() - v0

            # 3: remove the first point by clicking next to it (2 screen px off)
            n_before = len(ask(kc, "ann.points.tolist()"))
            x, y = screen_of(*TARGETS[0])
            page.mouse.click(x + 2, y + 2)
            time.sleep(0.5)
            after = ask(kc, "ann.points.tolist()")
            report["removed"] = (len(after) == n_before - 1
                                 and [0, *TARGETS[0]] not in after)

            # 4: a brush stroke
            page.get_by_role("button", name="brush", exact=True).click()
            m0 = ask(kc, "int(ann.mask.sum())")
            (x0, y0), (x1, y1) = screen_of(700, 100), screen_of(700, 300)
            page.mouse.move(x0, y0)
            page.mouse.down()
            for k in range(1, 11):
                page.mouse.move(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)
            page.mouse.up()
            time.sleep(0.5)
            report["mask_before_after_stroke"] = [m0, ask(kc, "int(ann.mask.sum())")]
            report["stroke_row_painted"] = ask(
                kc, "int(ann.mask[700, 100:301].sum())")
            page.screenshot(path=str(out / "3-brush.png"))

            # 5: zoom in twice, click a known pixel
            page.get_by_role("button", name="point", exact=True).click()
            for _ in range(2):
                page.get_by_role("button", name="zoom in", exact=True).click()
                time.sleep(0.3)
            target = (380, 510)
            page.mouse.click(*screen_of(*target))
            time.sleep(0.5)
            last = ask(kc, "ann.points.tolist()[-1]")
            report["zoomed_scale"] = ask(kc, "ann._view.scale")
            report["zoomed_click"] = [list(target), last]
            page.screenshot(path=str(out / "4-zoomed.png"))
            kc.stop_channels()


if __name__ == "__main__":
    sys.exit(main())

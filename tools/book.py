"""The executed course as a static website (not part of the lesson): ``make book``.

    python tools/book.py [--notebooks build/notebooks] [--out build/book]

Takes the executed notebooks that ``make course`` writes (``QUICK=1`` for the quick run CI
uses), so the site shows the outputs and figures of a real run, and builds them with Jupyter
Book 1 (Sphinx, MyST-NB) without executing anything and without the network: the theme's
assets ship in its wheel. (Jupyter Book 2 is mystmd, which fetches its theme from the
network at build time, jupyter-book/mystmd#210 and #1451, so it cannot build offline.)
Figures are embedded in the notebooks' outputs, so they are part of the pages.

Widgets have no saved state in a headless run, so each widget output is replaced by a note
that says how to get the sliders (figures a panel drew once stay). The site lands in
``build/book/html`` (open ``index.html``); the Sphinx log in ``build/book/sphinx.log``.
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course  # noqa: E402

ROOT = course.ROOT
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("(Interactive controls: open this notebook in JupyterLab, Binder or Colab "
               "to use them.)")
CONFIG = """\
# Written by tools/book.py (make book); not edited by hand.
title: "segkit: deep-learning image segmentation for microscopy"
author: the segkit course
only_build_toc_files: true
exclude_patterns: ["_build", "**.ipynb_checkpoints"]
execute:
  execute_notebooks: "off"   # the notebooks were executed by `make course`
html:
  use_repository_button: false
  use_issues_button: false
  use_edit_page_button: false
  home_page_in_navbar: true
launch_buttons:
  binderhub_url: ""
  colab_url: ""
sphinx:
  config:
    html_show_copyright: false
    html_last_updated_fmt: ""
    nb_merge_streams: true
"""


def widget_free(nb):
    """`nb` with each widget view replaced by a short note, and no saved widget state.

    A static page cannot run the Python behind a slider, and with widget state in the
    metadata the page would load the widget manager from a CDN to draw dead controls.
    """
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW in data:
                out["data"] = {"text/plain": WIDGET_NOTE}
    return nb


def note_injected_parameters(nb):
    """Say above papermill's injected cell that the page ran with those (quick) values."""
    for i, cell in enumerate(nb.cells):
        if "injected-parameters" in cell.metadata.get("tags", []):
            nb.cells.insert(i, nbformat.v4.new_markdown_cell(
                "*This page was run with the values below (the quick ones, for `make book "
                "QUICK=1`), injected after the parameters cell; a full run uses the values above.*"))
            break
    return nb


def toc(paths):
    lines = ["# Written by tools/book.py (make book).", "format: jb-book",
             f"root: {paths[0].stem}", "chapters:"]
    lines += [f"  - file: {p.stem}" for p in paths[1:]]
    return "\n".join(lines) + "\n"


def build(notebooks, out):
    paths = course.notebook_paths()
    missing = [p.name for p in paths if not (notebooks / p.name).is_file()]
    if missing:
        raise SystemExit(f"no executed copy of {', '.join(missing)} in {notebooks}: "
                         "run `make course` (QUICK=1 for the quick run) first")
    src = out / "src"
    if out.exists():
        shutil.rmtree(out)
    src.mkdir(parents=True)
    for p in paths:
        nb = nbformat.read(notebooks / p.name, as_version=4)
        if not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"):
            raise SystemExit(f"{notebooks / p.name} has no outputs: is it an executed copy?")
        nbformat.write(note_injected_parameters(widget_free(nb)), src / p.name)
    (src / "_config.yml").write_text(CONFIG)
    (src / "_toc.yml").write_text(toc(paths))
    log = out / "sphinx.log"
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build",
           str(src), "--path-output", str(out), "--builder", "html"]
    with open(log, "w") as f:
        done = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    text = log.read_text()
    if done.returncode != 0:
        print(text[-4000:], file=sys.stderr)
        raise SystemExit(f"jupyter-book failed ({done.returncode}); log in {log}")
    shutil.move(str(out / "_build" / "html"), str(out / "html"))
    shutil.rmtree(out / "_build", ignore_errors=True)
    pages = sorted(x.name for x in (out / "html").glob("*.html"))
    warnings = [line for line in text.splitlines() if "WARNING" in line]
    report = {"pages": pages, "warnings": warnings}
    (out / "book-report.json").write_text(json.dumps(report, indent=2))
    print(f"book: {len(pages)} pages in {out / 'html'} ({len(warnings)} Sphinx warnings; "
          f"log in {log})")
    for w in warnings:
        print("  ", w)
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", default=str(ROOT / "build" / "notebooks"))
    parser.add_argument("--out", default=str(ROOT / "build" / "book"))
    args = parser.parse_args(argv)
    build(Path(args.notebooks), Path(args.out))


if __name__ == "__main__":
    main()

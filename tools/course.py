"""Course tooling (not part of the lesson): run the notebooks, derive their headers, strip them.

    python tools/course.py run [--quick] [--only 01,05] [--out build]
    python tools/course.py headers      # badges + Colab setup cell from pyproject.toml
    python tools/course.py strip        # remove outputs and execution counts
    python tools/course.py timings      # measured times/memory into 00_index and the README

`run` executes every notebook in course order in a fresh kernel, with the quick parameters when
asked (each parameter line of the cell tagged ``parameters`` carries ``# quick: <value>``),
writes the executed copies to ``build/notebooks/`` (git-ignored) and prints, and saves to
``build/course-report.json``, each notebook's wall time and the kernel's peak resident memory.
"""

import argparse
import ast
import json
import os
import re
import shutil
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NB_PATTERN = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")
QUICK_RE = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*=\s*.+?#\s*quick:\s*(?P<value>.+?)\s*$")
RSS_MARK = "__SEGKIT_PEAK_RSS_KB__"


def notebook_paths(only=None):
    """Course notebooks in order; `only` is a list of number prefixes such as ["01", "05"]."""
    paths = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if NB_PATTERN.match(p.name))
    if only:
        paths = [p for p in paths if p.name[:2] in only]
    return paths


def settings():
    with open(ROOT / "pyproject.toml", "rb") as f:
        cfg = tomllib.load(f)["tool"]["segkit"]
    return cfg["repository"], cfg["branch"]


def cell_with_tag(nb, tag):
    for i, cell in enumerate(nb.cells):
        if tag in cell.get("metadata", {}).get("tags", []):
            return i, cell
    return None, None


def quick_parameters(nb):
    """The quick values of the ``parameters`` cell, as a dict of Python objects."""
    _, cell = cell_with_tag(nb, "parameters")
    if cell is None:
        raise ValueError("notebook has no cell tagged 'parameters'")
    quick = {}
    for line in cell.source.splitlines():
        m = QUICK_RE.match(line.strip())
        if m:
            try:
                quick[m["name"]] = ast.literal_eval(m["value"])
            except (ValueError, SyntaxError):
                raise ValueError(f"quick value of {m['name']} is not a Python literal: {m['value']!r}")
            if isinstance(quick[m["name"]], (tuple, set)):
                # papermill injects only str/number/bool/None/list/dict faithfully; a tuple
                # would arrive in the notebook as its string representation
                raise ValueError(f"quick value of {m['name']} is a {type(quick[m['name']]).__name__}; "
                                 "use a list (papermill would inject it as a string)")
    return quick


# ----------------------------------------------------------------------------- headers
def badges_markdown(stem):
    repo, branch = settings()
    binder = (f"https://mybinder.org/v2/gh/{repo}/{branch}"
              f"?labpath=notebooks%2F{stem}.ipynb")
    colab = f"https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/{stem}.ipynb"
    return (f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder}) "
            f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab})")


def setup_source(stem):
    repo, branch = settings()
    return f'''\
# Setup: not the lesson, run it and move on (written by `make headers`; do not edit by hand).
import sys

IS_COLAB = "google.colab" in sys.modules
if IS_COLAB:  # hosted runtime: fetch the course and install segkit, keeping Colab's TensorFlow
    import os, subprocess
    if not os.path.isdir("segkit-course"):
        subprocess.run(["git", "clone", "--depth", "1", "--branch", "{branch}",
                        "https://github.com/{repo}", "segkit-course"], check=True)
    os.chdir("segkit-course/notebooks")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "--no-binary=elasticdeform", ".."], check=True)

import segkit
from segkit.viz import setup_notebook

FIGURES = setup_notebook("{stem}")  # version checks, plot style, this notebook's figure folder'''


def apply_headers(nb, stem):
    """Rewrite the cells tagged ``badges`` and ``setup`` from the settings. True if changed."""
    changed = False
    for tag, source in (("badges", badges_markdown(stem)), ("setup", setup_source(stem))):
        i, cell = cell_with_tag(nb, tag)
        if cell is None:
            raise ValueError(f"{stem}: no cell tagged {tag!r}")
        if cell.source != source:
            cell.source = source
            changed = True
    return changed


def strip(nb):
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code":
            if cell.get("outputs") or cell.get("execution_count") is not None:
                changed = True
            cell.outputs = []
            cell.execution_count = None
        for key in ("execution", "collapsed", "scrolled"):
            if key in cell.metadata:
                del cell.metadata[key]
                changed = True
    return changed


README_START, README_END = "<!-- badges:start -->", "<!-- badges:end -->"


def readme_with_badges(text):
    """The README text with the course's Binder/Colab badges between the badge markers."""
    return _replace_between(text, README_START, README_END, badges_markdown("00_index"))


TIMINGS_START, TIMINGS_END = "<!-- timings:start -->", "<!-- timings:end -->"
# The free-runtime budget (Binder: 2 CPU cores, about 2 GB): per notebook in full mode, and
# for the whole course in each mode.
BUDGET = {"rss_mb": 2048, "notebook_s": 15 * 60, "full_total_s": 45 * 60, "quick_total_s": 10 * 60}
# Issue 17's goals, tighter than the budget: a kernel leaves room for the Jupyter server and
# one more kernel on a 2 GiB runtime, and the full course fits a 20-minute session.
GOAL = {"rss_mb": 1536, "full_total_s": 20 * 60}


def over_goal(report):
    """The notebooks of a full-mode report whose kernel peaked above ``GOAL["rss_mb"]``."""
    return [r["notebook"] for r in report["notebooks"]
            if report["mode"] == "full" and (r["peak_rss_mb"] or 0) > GOAL["rss_mb"]]


def timings_markdown(reports):
    """A markdown table of wall time and peak memory per notebook from run reports.

    `reports` maps a mode ("full", "quick") to the JSON written by `run`; missing modes show
    as "not measured".
    """
    names = sorted({r["notebook"] for rep in reports.values() for r in rep["notebooks"]})
    modes = [m for m in ("full", "quick") if m in reports]
    if not names:
        return "_Not measured yet: run `make course` and `make course QUICK=1`, then `make timings`._"

    def cell(mode, name):
        for r in reports[mode]["notebooks"]:
            if r["notebook"] == name:
                if r["status"] != "ok":
                    return "failed"
                rss = "?" if r["peak_rss_mb"] is None else f"{r['peak_rss_mb'] / 1024:.2f} GiB"
                over = mode == "full" and (r["wall_s"] > BUDGET["notebook_s"]
                                           or (r["peak_rss_mb"] or 0) > BUDGET["rss_mb"])
                above = mode == "full" and (r["peak_rss_mb"] or 0) > GOAL["rss_mb"]
                return (f"{r['wall_s'] / 60:.1f} min, {rss}" + (" **over budget**" if over else "")
                        + (f" (over the {GOAL['rss_mb'] / 1024:.1f} GiB goal)" if above else ""))
        return "not measured"

    lines = ["| notebook | " + " | ".join(f"{m} mode (time, peak memory)" for m in modes) + " |",
             "|---|" + "---|" * len(modes)]
    for name in names:
        lines.append(f"| {name.removesuffix('.ipynb')} | "
                     + " | ".join(cell(m, name) for m in modes) + " |")
    totals = " | ".join(
        f"{reports[m]['total_wall_s'] / 60:.1f} min"
        + (" **over budget**" if reports[m]["total_wall_s"] > BUDGET[f"{m}_total_s"] else "")
        for m in modes)
    lines.append(f"| **whole course** | {totals} |")
    dates = ", ".join(f"{m}: {reports[m]['date']} on {reports[m]['cpu_count']} CPU cores" for m in modes)
    lines.append("")
    lines.append(f"Measured by `make course` ({dates}).")
    return "\n".join(lines)


def _replace_between(text, start, end, body):
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def cmd_timings(args):
    out = Path(args.out)
    reports = {}
    for mode in ("full", "quick"):
        f = out / f"course-report-{mode}.json"
        if f.is_file():
            reports[mode] = json.loads(f.read_text())
    table = timings_markdown(reports)
    for doc in (ROOT / "README.md", ROOT / "benchmarks" / "README.md"):
        doc.write_text(_replace_between(doc.read_text(), TIMINGS_START, TIMINGS_END, table))
    index = NOTEBOOKS / "00_index.ipynb"
    nb = nbformat.read(index, as_version=4)
    _, cell = cell_with_tag(nb, "timings")
    if cell is None:
        raise SystemExit("00_index.ipynb has no markdown cell tagged 'timings'")
    cell.source = "## Time and memory per notebook\n\n" + table
    nbformat.write(nb, index)
    print(table)


def cmd_headers(args):
    readme = ROOT / "README.md"
    text = readme.read_text()
    if readme_with_badges(text) != text:
        readme.write_text(readme_with_badges(text))
        print("updated README.md")
    for path in notebook_paths():
        nb = nbformat.read(path, as_version=4)
        if apply_headers(nb, path.stem) | strip(nb):
            nbformat.write(nb, path)
            print(f"updated {path.relative_to(ROOT)}")


def cmd_strip(args):
    for path in notebook_paths():
        nb = nbformat.read(path, as_version=4)
        if strip(nb):
            nbformat.write(nb, path)
            print(f"stripped {path.relative_to(ROOT)}")


# ----------------------------------------------------------------------------- run
def with_parameters(nb, *, quick=False, extra_parameters=None):
    """`nb` with its quick parameters (and `extra_parameters`) injected as papermill does.

    The injected cell follows the ``parameters`` cell; a notebook without any parameters to
    inject comes back unchanged.
    """
    from papermill.parameterize import parameterize_notebook

    params = dict(quick_parameters(nb)) if quick else {}
    params.update(extra_parameters or {})
    if not params:
        return nb
    for cell in nb.cells:  # papermill expects every cell to carry a tags list
        cell.metadata.setdefault("tags", [])
    nb.metadata.setdefault("papermill", {})
    return parameterize_notebook(nb, params)


def run_notebook(path, out_dir, *, quick=False, timeout=1800, extra_parameters=None):
    """Execute one notebook in a fresh kernel; return a report dict (status, wall_s, peak_rss_mb)."""
    from traitlets.config import Config
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = with_parameters(nbformat.read(path, as_version=4), quick=quick,
                         extra_parameters=extra_parameters)
    nb.cells.append(nbformat.v4.new_code_cell(
        f"import resource\nprint('{RSS_MARK}', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"))
    env_backup = dict(os.environ)
    os.environ["PYTHONHASHSEED"] = "0"
    # TensorFlow's C++ info and warnings stay out of the executed copies unless the caller
    # asks for a level (the Colab profile sets "", meaning unset as on a fresh Colab runtime:
    # what learners get, with segkit's own start-up hush in place)
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "":
        del os.environ["TF_CPP_MIN_LOG_LEVEL"]
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend puts figures in the copy
    # IPC sockets in a private folder, not TCP ports: several kernels started at once (tests,
    # other sessions on the machine) can otherwise race for the same ports and hang.
    sock_dir = tempfile.mkdtemp(prefix="segkit-kernel-")
    config = Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(sock_dir, "k")}})
    client = NotebookClient(nb, config=config, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    # No front-end emulation of ipywidgets' Output widget: nbclient's emulation sends comm
    # messages on the shell channel while it waits there for the cell's reply, and a cell that
    # draws into an Output widget (interact, sliders) then sometimes stalls until `timeout`
    # (jupyter/nbclient#312). Seen here on notebook 04: 300 s stalls; none in 3 runs without.
    client.widget_registry = {}
    start = time.perf_counter()
    status, error = "ok", None
    try:
        client.execute()
    except CellExecutionError as exc:
        status, error = "failed", str(exc)
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
        shutil.rmtree(sock_dir, ignore_errors=True)
    wall = time.perf_counter() - start
    peak_kb = None
    measure = nb.cells.pop()
    for out in measure.get("outputs", []):
        text = out.get("text", "")
        if RSS_MARK in text:
            peak_kb = int(text.split(RSS_MARK)[1].split()[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".{path.name}.tmp"
    nbformat.write(nb, tmp)
    os.replace(tmp, out_dir / path.name)
    return {"notebook": path.name, "status": status, "quick": quick, "wall_s": round(wall, 1),
            "peak_rss_mb": None if peak_kb is None else round(peak_kb / 1024, 1), "error": error}


def merge_reports(previous, new, *, mode, date, cpu_count):
    """Fold the notebook reports of this run into the saved report of the same mode.

    `make course ONLY=05` then updates notebook 05's row and keeps the others; the total is
    the sum over the course, so it stays the time of one run of every notebook in order.
    """
    rows = {r["notebook"]: r for r in (previous or {}).get("notebooks", [])}
    rows.update({r["notebook"]: r for r in new})
    ordered = [rows[k] for k in sorted(rows)]
    return {"mode": mode, "total_wall_s": round(sum(r["wall_s"] for r in ordered), 1),
            "cpu_count": cpu_count, "date": date, "notebooks": ordered}


def save_reports(out, reports, *, mode):
    """Fold `reports` into ``out/course-report-{mode}.json`` (`merge_reports`), atomically."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"course-report-{mode}.json"
    report = merge_reports(json.loads(path.read_text()) if path.is_file() else None, reports,
                           mode=mode, date=time.strftime("%Y-%m-%d"), cpu_count=os.cpu_count())
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=2))
    os.replace(tmp, path)


def cmd_run(args):
    out = Path(args.out)
    paths = notebook_paths(args.only.split(",") if args.only else None)
    if not paths:
        sys.exit("no notebooks matched")
    mode = "quick" if args.quick else "full"
    print(f"running {len(paths)} notebook(s) in {mode} mode; executed copies in {out / 'notebooks'}")
    reports, total = [], time.perf_counter()
    for path in paths:
        rep = run_notebook(path, out / "notebooks", quick=args.quick)
        reports.append(rep)
        rss = "?" if rep["peak_rss_mb"] is None else f"{rep['peak_rss_mb']:.0f} MB"
        print(f"{rep['notebook']:<40} {rep['status']:<7} {rep['wall_s']:7.1f} s   peak RSS {rss}",
              flush=True)
        if rep["status"] != "ok":
            print(rep["error"][-3000:], file=sys.stderr)
    total = time.perf_counter() - total
    print(f"{'total':<40} {'':<7} {total:7.1f} s")
    for name in over_goal({"mode": mode, "notebooks": reports}):
        print(f"{name}: peak kernel memory over the {GOAL['rss_mb']} MiB goal (issue 17)")
    save_reports(out, reports, mode=mode)
    if any(r["status"] != "ok" for r in reports):
        sys.exit(1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="execute the notebooks headless")
    run.add_argument("--quick", action="store_true", help="inject each notebook's quick parameters")
    run.add_argument("--only", default="", help="comma-separated notebook numbers, e.g. 01,05")
    run.add_argument("--out", default=str(ROOT / "build"))
    sub.add_parser("headers", help="derive badges and setup cells from pyproject.toml")
    sub.add_parser("strip", help="remove outputs from the notebooks")
    tim = sub.add_parser("timings", help="write measured times into 00_index and the README")
    tim.add_argument("--out", default=str(ROOT / "build"))
    args = parser.parse_args(argv)
    {"run": cmd_run, "headers": cmd_headers, "strip": cmd_strip, "timings": cmd_timings}[args.cmd](args)


if __name__ == "__main__":
    main()

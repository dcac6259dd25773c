"""Course tooling (not part of the lesson): student copies and executed solutions.

    python tools/exercises.py student   [--only 07] [--src notebooks] [--out build/student]
    python tools/exercises.py solutions [--only 07] [--full] [--src notebooks]
                                        [--out build/solutions]
    python tools/exercises.py metadata  [--src notebooks]   # nbgrader metadata from the tags

Exercise cells are marked with cell tags, and carry nbgrader's metadata so that a course
notebook is also an nbgrader *source* notebook (docs/exercises.md):

- ``solution``: a solution cell. In a code cell, the lines between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` are the solution; without the markers the whole cell is.
- ``check``: the cell that calls the exercise's checker, ``check.ex07_1(...)``.

Each exercise starts with a markdown heading ``### Exercise 7.1 · title``; the tagged cells
below it belong to it, which names their nbgrader ``grade_id`` (``ex07_1_solution`` for code,
``ex07_1_answer`` for a markdown answer, ``ex07_1_check``).

``student`` writes every notebook with its solutions replaced by nbgrader's stubs
(``# YOUR CODE HERE`` / ``raise NotImplementedError()`` in code, ``YOUR ANSWER HERE`` in
markdown), without outputs, to ``build/student/``: what ``nbgrader generate_assignment``
makes of the same notebook, minus its checksums. ``solutions`` runs every notebook that has
solution cells through `course.run_notebook` (quick parameters unless ``--full``) and writes
the executed copies to ``build/solutions/``. ``metadata`` writes the nbgrader metadata that
the tags imply into the notebooks (run it after adding or moving exercise cells).
"""

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

import course

ROOT = course.ROOT
SOLUTION_TAG, CHECK_TAG = "solution", "check"
# nbgrader's ClearSolutions: a line containing BEGIN/END SOLUTION delimits a solution region,
# which becomes the code stub (indented like the BEGIN line) or the text stub.
BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
HEADING_RE = re.compile(r"^#{2,4}\s+Exercise\s+(\d+)\.(\d+)\b", re.MULTILINE)
CALL_RE = re.compile(r"\bcheck\.(ex\d\d_\d+)\s*\(")
SCHEMA_VERSION = 3  # nbgrader's cell metadata schema (nbgrader/nbgraderformat/v3.json)


def notebook_paths(src=None, only=None):
    """The course notebooks (`course.notebook_paths`), or those of another folder `src`."""
    if src is None or Path(src).resolve() == course.NOTEBOOKS.resolve():
        return course.notebook_paths(only)
    paths = sorted(p for p in Path(src).glob("*.ipynb") if course.NB_PATTERN.match(p.name))
    return [p for p in paths if p.name[:2] in only] if only else paths


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def is_solution(cell):
    """Tagged ``solution``, or marked as one in nbgrader's metadata."""
    return SOLUTION_TAG in tags(cell) or bool(
        cell.get("metadata", {}).get("nbgrader", {}).get("solution", False))


def has_solutions(nb):
    return any(is_solution(c) for c in nb.cells)


def _clear_regions(cell, where):
    """Replace the solution regions of one cell by the stub; True if there was one."""
    stub = (CODE_STUB if cell.cell_type == "code" else TEXT_STUB).split("\n")
    out, inside, replaced = [], False, False
    for line in cell.source.split("\n"):
        if BEGIN in line:
            if inside:
                raise ValueError(f"{where}: nested '### {BEGIN}'")
            inside = replaced = True
            indent = re.match(r"\s*", line).group(0)
            out += [indent + s for s in stub]
        elif END in line:
            if not inside:
                raise ValueError(f"{where}: '### {END}' without a '### {BEGIN}' before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: '### {BEGIN}' without its '### {END}'")
    cell.source = "\n".join(out)
    return replaced


def student_copy(nb, name="notebook"):
    """A copy of `nb` with every solution replaced by nbgrader's stub, and no outputs.

    Raises ValueError for unbalanced markers, or markers in a cell that is not a solution
    cell (nbgrader refuses both).
    """
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        where = f"{name}, cell {i}"
        replaced = _clear_regions(cell, where)
        if replaced and not is_solution(cell):
            raise ValueError(f"{where}: a solution region in a cell not tagged "
                             f"{SOLUTION_TAG!r}; tag the cell or remove the markers")
        if is_solution(cell) and not replaced:
            cell.source = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
    course.strip(nb)
    return nb


def nbgrader_metadata(nb, name="notebook"):
    """The nbgrader metadata that each tagged cell should carry, ``{cell index: dict}``.

    - a code ``solution`` cell: an autograded answer (solution, not graded, not locked);
    - a markdown ``solution`` cell: a manually graded answer (solution and graded, as
      nbgrader requires of markdown answers), 1 point unless the cell already says otherwise;
    - a ``check`` cell: an autograder test (graded, locked), 1 point unless already set.
      The checkers raise AssertionError under nbgrader's autograder, so the cell fails there
      exactly when the learner's answer fails.

    Raises ValueError when a tagged cell comes before any ``### Exercise N.K`` heading, or a
    check cell does not call the checker of its own exercise.
    """
    current, counts, out = None, {}, {}
    for i, cell in enumerate(nb.cells):
        where = f"{name}, cell {i}"
        if cell.cell_type == "markdown":
            m = HEADING_RE.search(cell.source)
            if m:
                current = f"ex{int(m[1]):02d}_{int(m[2])}"
        t = tags(cell)
        if SOLUTION_TAG not in t and CHECK_TAG not in t:
            continue
        if SOLUTION_TAG in t and CHECK_TAG in t:
            raise ValueError(f"{where}: tagged both {SOLUTION_TAG!r} and {CHECK_TAG!r}")
        if current is None:
            raise ValueError(f"{where}: an exercise cell before any '### Exercise N.K' heading")
        kind = ("check" if CHECK_TAG in t
                else "answer" if cell.cell_type == "markdown" else "solution")
        if kind == "check":
            calls = set(CALL_RE.findall(cell.source))
            if calls != {current}:
                raise ValueError(f"{where}: a {CHECK_TAG!r} cell under the heading of {current} "
                                 f"must call check.{current}(...), found "
                                 f"{sorted(calls) or 'no checker call'}")
            if cell.cell_type != "code":
                raise ValueError(f"{where}: a {CHECK_TAG!r} cell must be a code cell")
        n = counts[current, kind] = counts.get((current, kind), 0) + 1
        grade_id = f"{current}_{kind}" + (f"_{n}" if n > 1 else "")
        points = cell.get("metadata", {}).get("nbgrader", {}).get("points", 1)
        graded = kind in ("check", "answer")
        meta = {"grade": graded, "grade_id": grade_id, "locked": kind == "check",
                "schema_version": SCHEMA_VERSION, "solution": kind != "check"}
        if graded:
            meta["points"] = points
        out[i] = meta
    return out


def apply_metadata(nb, name="notebook"):
    """Write `nbgrader_metadata` into the tagged cells; True if anything changed."""
    changed = False
    for i, meta in nbgrader_metadata(nb, name).items():
        if nb.cells[i].metadata.get("nbgrader") != meta:
            nb.cells[i].metadata["nbgrader"] = meta
            changed = True
    return changed


def _write(nb, path):
    from segkit.io import atomic_path

    with atomic_path(path) as tmp:
        nbformat.write(nb, tmp)


def write_student(paths, out):
    """Student copies of `paths` in `out`; returns the written paths."""
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        target = Path(out) / path.name
        _write(student_copy(nb, path.name), target)
        written.append(target)
    return written


def write_solutions(paths, out, *, quick=True, timeout=1800):
    """Run each notebook of `paths` that has solution cells; executed copies go to `out`.

    Returns the reports of `course.run_notebook` (status, wall time, peak memory).
    """
    reports = []
    for path in paths:
        if not has_solutions(nbformat.read(path, as_version=4)):
            continue
        reports.append(course.run_notebook(path, Path(out), quick=quick, timeout=timeout))
    return reports


# ----------------------------------------------------------------------------- command line
def cmd_student(args):
    paths = _paths(args)
    for target in write_student(paths, args.out):
        print(f"wrote {target}")


def cmd_solutions(args):
    paths = _paths(args)
    mode = "full" if args.full else "quick"
    reports = write_solutions(paths, args.out, quick=not args.full)
    if not reports:
        print("no notebook has solution cells: nothing to run")
        return
    print(f"ran {len(reports)} notebook(s) with solutions in {mode} mode into {args.out}")
    for rep in reports:
        rss = "?" if rep["peak_rss_mb"] is None else f"{rep['peak_rss_mb']:.0f} MB"
        print(f"{rep['notebook']:<40} {rep['status']:<7} {rep['wall_s']:7.1f} s   peak RSS {rss}")
        if rep["status"] != "ok":
            print(rep["error"][-3000:], file=sys.stderr)
    if any(r["status"] != "ok" for r in reports):
        sys.exit(1)


def cmd_metadata(args):
    for path in _paths(args):
        nb = nbformat.read(path, as_version=4)
        if apply_metadata(nb, path.name):
            _write(nb, path)
            print(f"updated {path}")


def _paths(args):
    paths = notebook_paths(args.src, args.only.split(",") if args.only else None)
    if not paths:
        sys.exit("no notebooks matched")
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name, out, help_ in (("student", "student", "student copies, solutions replaced"),
                             ("solutions", "solutions", "executed copies with the solutions"),
                             ("metadata", None, "nbgrader metadata from the cell tags")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("--only", default="", help="comma-separated notebook numbers, e.g. 07")
        p.add_argument("--src", default=str(course.NOTEBOOKS), help="folder of the notebooks")
        if out:
            p.add_argument("--out", default=str(ROOT / "build" / out))
        if name == "solutions":
            p.add_argument("--full", action="store_true",
                           help="full parameters instead of the quick ones")
    args = parser.parse_args(argv)
    {"student": cmd_student, "solutions": cmd_solutions, "metadata": cmd_metadata}[args.cmd](args)


if __name__ == "__main__":
    main()

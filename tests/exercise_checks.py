"""What the tests of the exercise checkers (tests/test_exercises*.py) share."""

import re
import textwrap

import nbformat

from segkit.exercises._core import WRONG


def wrong_messages(result):
    """The lines of a checker's `Result` that report a wrong check, as one string."""
    return "\n".join(m for m in result.messages if m.startswith(WRONG))


def assert_fails_with(result, pattern):
    """The check did not pass, and one of its wrong lines matches `pattern`."""
    assert not result  # bool(result) is result.passed
    assert re.search(pattern, wrong_messages(result)), wrong_messages(result)


# ----------------------------------------------------------------------------- the notebooks
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def strip_solution_markers(source):
    """A solution cell's code without nbgrader's BEGIN/END SOLUTION lines."""
    return "\n".join(ln for ln in source.splitlines() if ln.strip() not in MARKERS)


def tagged_cells(notebook, tag):
    """The cells of `notebook` (a path) that carry `tag`, in order."""
    nb = nbformat.read(notebook, as_version=4)
    return [c for c in nb.cells if tag in c.metadata.get("tags", [])]


def assert_solution_cells_are_the_checkers(notebook, exercises):
    """The notebook's solution cells, in order, show each exercise's reference solution.

    A solution that defines a function is compared by its body (the notebook keeps the
    ``def`` line the learner completes); any other by its whole code.
    """
    solutions = tagged_cells(notebook, "solution")
    assert len(solutions) == len(exercises)
    for ex, cell in zip(exercises, solutions):
        shown = ex.solution()
        text = strip_solution_markers(cell.source)
        if text.startswith("def "):  # a function: compare the body the learner writes
            body = textwrap.dedent("\n".join(text.splitlines()[1:])).strip()
            assert body in textwrap.dedent("\n".join(shown.splitlines()[1:])), ex.name
        else:
            assert text.strip() == shown.strip(), ex.name


def solution_cells_by_check(notebook):
    """Exercise name -> the solution cell before the check cell that calls its checker."""
    out, solution = {}, None  # a check cell scores the solution cell before it
    for cell in nbformat.read(notebook, as_version=4).cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and "check" in tags:
            out[re.search(r"check\.(ex\d\d_\d)\(", cell.source).group(1)] = solution
        if cell.cell_type == "code" and "solution" in tags:
            solution = strip_solution_markers(cell.source)
    return out

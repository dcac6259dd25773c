"""tools/exercises.py: student copies, executed solutions and nbgrader metadata, on the small
fixture notebooks of tests/fixtures/exercises/ (and the metadata of the course notebooks)."""

import copy
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

import course
import exercises as tool

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "exercises"
FIXTURE = FIXTURES / "01_fixture.ipynb"


def fixture():
    return nbformat.read(FIXTURE, as_version=4)


def cells_with_tag(nb, tag):
    return [c for c in nb.cells if tag in c.metadata.get("tags", [])]


# ============================================================================ student copies
def test_student_copy_replaces_every_solution_with_nbgraders_stub():
    nb = fixture()
    student = tool.student_copy(nb)
    sources = [c.source for c in student.cells]
    # a region inside a function keeps the def line and takes the BEGIN line's indent
    assert sources[4] == "def total(n):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert sources[7] == tool.CODE_STUB  # a solution cell without markers: all of it
    assert sources[9] == tool.TEXT_STUB  # a markdown answer
    assert "sum(range(n))" not in "\n".join(sources) and "2 * N" not in "\n".join(sources)
    assert "Doubling" not in "\n".join(sources)
    # everything else is untouched, metadata (tags, nbgrader) included
    for i, (old, new) in enumerate(zip(nb.cells, student.cells)):
        if i not in (4, 7, 9):
            assert new.source == old.source
        assert new.metadata == old.metadata
    assert len(student.cells) == len(nb.cells)
    assert fixture() == nb  # the source notebook is not modified


def test_student_copy_has_no_outputs():
    nb = fixture()
    assert nb.cells[11].cell_type == "code"
    nb.cells[11].outputs = [nbformat.v4.new_output("stream", text="secret output")]
    nb.cells[11].execution_count = 3
    student = tool.student_copy(nb)
    assert student.cells[11].outputs == [] and student.cells[11].execution_count is None


def test_a_nested_or_unclosed_region_is_refused():
    for source, message in [
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "nested"),
        ("### BEGIN SOLUTION\nx = 1", "without its '### END SOLUTION'"),
        ("x = 1\n### END SOLUTION", "without a '### BEGIN SOLUTION' before it"),
    ]:
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": ["solution"]}))
        with pytest.raises(ValueError, match=rf"nb.ipynb, cell 0: .*{message}"):
            tool.student_copy(nb, "nb.ipynb")


def test_a_region_outside_a_solution_cell_is_refused():
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"))
    with pytest.raises(ValueError, match="cell 0: a solution region in a cell not tagged "
                                         "'solution'; tag the cell or remove the markers"):
        tool.student_copy(nb)


def test_nbgrader_metadata_alone_marks_a_solution_cell():
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        "x = 1", metadata={"nbgrader": {"solution": True, "grade": False, "locked": False,
                                        "grade_id": "a", "schema_version": 3}}))
    assert tool.student_copy(nb).cells[0].source == tool.CODE_STUB


def test_student_command_writes_every_notebook(tmp_path, capsys):
    tool.main(["student", "--src", str(FIXTURES), "--out", str(tmp_path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["01_fixture.ipynb", "02_plain.ipynb"]
    written = nbformat.read(tmp_path / "01_fixture.ipynb", as_version=4)
    assert written == tool.student_copy(fixture())
    plain = nbformat.read(tmp_path / "02_plain.ipynb", as_version=4)
    assert plain == nbformat.read(FIXTURES / "02_plain.ipynb", as_version=4)
    assert "wrote " in capsys.readouterr().out
    tool.main(["student", "--src", str(FIXTURES), "--out", str(tmp_path / "only"), "--only", "02"])
    assert [p.name for p in (tmp_path / "only").iterdir()] == ["02_plain.ipynb"]


def test_no_matching_notebook_is_an_error(tmp_path):
    with pytest.raises(SystemExit, match="no notebooks matched"):
        tool.main(["student", "--src", str(FIXTURES), "--out", str(tmp_path), "--only", "09"])


# ============================================================================ executed solutions
def test_solutions_command_runs_the_notebooks_with_solutions_in_quick_mode(tmp_path, capsys):
    tool.main(["solutions", "--src", str(FIXTURES), "--out", str(tmp_path)])
    # 02_plain has no solution cell: nothing to execute
    assert [p.name for p in tmp_path.iterdir()] == ["01_fixture.ipynb"]
    out = capsys.readouterr().out
    assert re.search(r"ran 1 notebook\(s\) with solutions in quick mode", out)
    assert re.search(r"01_fixture\.ipynb\s+ok", out)
    nb = nbformat.read(tmp_path / "01_fixture.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    # N = 10 (the quick value): the solutions ran and the checkers saw their results
    assert "total(N) = 45\n" in printed and "x = 20\n" in printed
    assert "done with N = 10\n" in printed
    assert "sum(range(n))" in nb.cells[5].source  # the solutions are kept (after papermill's cell)


def test_solutions_command_fails_when_a_solution_fails(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    nb = fixture()
    nb.cells[7].source = "x = 2 * undefined_name"
    nbformat.write(nb, src / "01_broken.ipynb")
    with pytest.raises(SystemExit) as exc:
        tool.main(["solutions", "--src", str(src), "--out", str(tmp_path / "out")])
    assert exc.value.code == 1
    captured = capsys.readouterr()
    assert re.search(r"01_broken\.ipynb\s+failed", captured.out)
    assert "NameError" in captured.err


def test_solutions_command_says_when_there_is_nothing_to_run(tmp_path, capsys):
    tool.main(["solutions", "--src", str(FIXTURES), "--out", str(tmp_path), "--only", "02"])
    assert "no notebook has solution cells: nothing to run" in capsys.readouterr().out


# ============================================================================ nbgrader metadata
def test_fixture_metadata_is_what_the_tags_imply():
    nb = fixture()
    meta = tool.nbgrader_metadata(nb)
    assert meta == {
        4: {"grade": False, "grade_id": "ex01_1_solution", "locked": False,
            "schema_version": 3, "solution": True},
        5: {"grade": True, "grade_id": "ex01_1_check", "locked": True, "points": 1,
            "schema_version": 3, "solution": False},
        7: {"grade": False, "grade_id": "ex01_2_solution", "locked": False,
            "schema_version": 3, "solution": True},
        8: {"grade": True, "grade_id": "ex01_2_check", "locked": True, "points": 1,
            "schema_version": 3, "solution": False},
        9: {"grade": True, "grade_id": "ex01_2_answer", "locked": False, "points": 1,
            "schema_version": 3, "solution": True},
    }
    assert not tool.apply_metadata(nb)  # the stored fixture is in sync


def test_apply_metadata_fills_in_and_keeps_an_instructors_points():
    nb = fixture()
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    nb.cells[5].metadata["nbgrader"] = {"points": 3}
    assert tool.apply_metadata(nb)
    assert nb.cells[5].metadata["nbgrader"]["points"] == 3
    assert nb.cells[8].metadata["nbgrader"]["points"] == 1
    assert not tool.apply_metadata(nb)


def test_metadata_command_updates_the_notebooks(tmp_path, capsys):
    shutil.copy(FIXTURE, tmp_path / FIXTURE.name)
    nb = fixture()
    nb.cells[4].metadata.pop("nbgrader")
    nbformat.write(nb, tmp_path / FIXTURE.name)
    tool.main(["metadata", "--src", str(tmp_path)])
    assert "updated" in capsys.readouterr().out
    assert nbformat.read(tmp_path / FIXTURE.name, as_version=4) == fixture()


def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    for kind, source, tags in cells:
        new = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        nb.cells.append(new(source, metadata={"tags": tags} if tags else {}))
    return nb


@pytest.mark.parametrize("nb, message", [
    (_nb(("code", "x = 1", ["solution"])),
     "cell 0: an exercise cell before any '### Exercise N.K' heading"),
    (_nb(("md", "### Exercise 7.2 · t", []), ("code", "check.ex07_3(x)", ["check"])),
     r"cell 1: a 'check' cell under the heading of ex07_2 must call check.ex07_2\(...\), "
     r"found \['ex07_3'\]"),
    (_nb(("md", "### Exercise 7.2 · t", []), ("code", "print(x)", ["check"])),
     "found no checker call"),
    (_nb(("md", "### Exercise 7.2 · t", []), ("code", "x = 1", ["solution", "check"])),
     "tagged both 'solution' and 'check'"),
])
def test_metadata_errors_name_the_cell(nb, message):
    with pytest.raises(ValueError, match=message):
        tool.nbgrader_metadata(nb)


def test_two_solution_cells_of_one_exercise_get_distinct_ids():
    nb = _nb(("md", "## Exercises\n\n### Exercise 10.1 · t", []),
             ("code", "a = 1", ["solution"]), ("code", "b = 2", ["solution"]))
    ids = [m["grade_id"] for m in tool.nbgrader_metadata(nb).values()]
    assert ids == ["ex10_1_solution", "ex10_1_solution_2"]


def nbgrader_v3_problems(nb):
    """The rules of nbgrader's cell metadata schema v3 and its validator, written out."""
    problems, ids = [], set()
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        if set(meta) - {"schema_version", "grade", "locked", "solution", "task", "grade_id",
                        "points", "checksum", "cell_type"}:
            problems.append(f"{i}: unknown keys")
        if meta.get("schema_version") != 3:
            problems.append(f"{i}: schema_version")
        if not all(isinstance(meta.get(k), bool) for k in ("grade", "locked", "solution")):
            problems.append(f"{i}: grade/locked/solution must be booleans")
        if meta["grade"] or meta["solution"] or meta["locked"]:
            gid = meta.get("grade_id", "")
            if not re.fullmatch(r"[a-zA-Z0-9_\-]+", gid):
                problems.append(f"{i}: grade_id {gid!r}")
            if gid in ids:
                problems.append(f"{i}: duplicate grade_id {gid}")
            ids.add(gid)
        if meta["grade"] and not (isinstance(meta.get("points"), (int, float))
                                  and meta["points"] >= 0):
            problems.append(f"{i}: a graded cell needs points >= 0")
        if cell.cell_type == "markdown" and meta["grade"] != meta["solution"]:
            problems.append(f"{i}: a markdown cell must be both grade and solution, or neither")
    return problems


def test_fixture_metadata_follows_nbgraders_schema():
    assert nbgrader_v3_problems(fixture()) == []
    broken = fixture()
    broken.cells[9].metadata["nbgrader"]["grade"] = False
    assert nbgrader_v3_problems(broken) == [
        "9: a markdown cell must be both grade and solution, or neither"]


# ============================================================================ course notebooks
NOTEBOOKS = course.notebook_paths()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_course_notebooks_exercise_cells_are_consistent(path):
    nb = nbformat.read(path, as_version=4)
    tool.student_copy(nb, path.name)  # balanced markers, regions only in solution cells
    synced = copy.deepcopy(nb)
    assert not tool.apply_metadata(synced, path.name), \
        f"{path.name}: run `python tools/exercises.py metadata`"
    assert nbgrader_v3_problems(nb) == []
    headings = [m for c in nb.cells if c.cell_type == "markdown"
                for m in tool.HEADING_RE.finditer(c.source)]
    assert all(int(m[1]) == int(path.name[:2]) for m in headings), \
        f"{path.name}: an exercise heading with another notebook's number"


def test_course_paths_are_the_course_notebooks():
    assert tool.notebook_paths() == course.notebook_paths()
    assert tool.notebook_paths(course.NOTEBOOKS, ["07"]) == course.notebook_paths(["07"])


def test_make_targets_call_the_tool(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    stamp = tmp_path / "installed"  # a fresh stamp: `make -n` plans no environment build
    stamp.touch()

    def plan(*args):
        return subprocess.run(["make", "-n", *args, f"STAMP={stamp}"], cwd=course.ROOT,
                              capture_output=True, text=True, check=True).stdout

    assert re.search(r"tools/exercises\.py student --only 07\n", plan("student", "ONLY=07"))
    out = plan("solutions", "ONLY=07")
    assert re.search(r"segkit\.data --root data --quick\n", out)  # quick data only
    assert re.search(r"tools/exercises\.py solutions --only 07\n", out)
    assert re.search(r"tools/exercises\.py solutions --full\n", plan("solutions", "QUICK=0"))

"""The notebooks are stored clean and follow the course conventions."""

import json

import nbformat
import pytest

import course

NOTEBOOKS = course.notebook_paths()
IDS = [p.stem for p in NOTEBOOKS]


def test_course_starts_with_index_and_wrangling():
    assert [p.stem for p in NOTEBOOKS[:2]] == ["00_index", "01_wrangling"]
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert numbers == sorted(set(numbers)), "two notebooks share a number"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_without_outputs(path):
    raw = json.loads(path.read_text())
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, \
                f"{path.name}: run `make strip` before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_header_order_and_derived_cells(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {path.name[:2]} · ")
    tags = [c.metadata.get("tags", []) for c in nb.cells[:6]]
    order = [t for ts in tags for t in ts if t in ("badges", "setup", "parameters")]
    assert order == ["badges", "setup", "parameters"]
    # badges and setup are exactly what `make headers` derives from pyproject.toml
    assert not course.apply_headers(nb, path.stem), f"{path.name}: run `make headers`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_parameter_has_a_quick_value(path):
    nb = nbformat.read(path, as_version=4)
    _, cell = course.cell_with_tag(nb, "parameters")
    assigned = [line.split("=")[0].strip() for line in cell.source.splitlines()
                if "=" in line and not line.lstrip().startswith("#")]
    quick = course.quick_parameters(nb)
    assert assigned and set(assigned) == set(quick), f"{path.name}: every knob needs '# quick: value'"
    assert quick.get("DATA_DIR") == "../data"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebooks_use_segkit_and_no_absolute_paths(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code"
                     and "setup" not in c.metadata.get("tags", []))
    assert "segkit" in code
    assert "/work/" not in code and "/home/" not in code and "C:\\" not in code


def test_badges_follow_the_repository_setting(monkeypatch):
    monkeypatch.setattr(course, "settings", lambda: ("someone/fork", "dev"))
    md = course.badges_markdown("01_wrangling")
    assert "mybinder.org/v2/gh/someone/fork/dev?labpath=notebooks%2F01_wrangling.ipynb" in md
    assert "colab.research.google.com/github/someone/fork/blob/dev/notebooks/01_wrangling.ipynb" in md
    assert "https://github.com/someone/fork" in course.setup_source("01_wrangling")


def test_quick_parameter_parsing():
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        'EPOCHS = 30  # quick: 1\nNAME = "a"  # quick: "b"\nSHAPE = [1, 2]  # quick: [3, 4]',
        metadata={"tags": ["parameters"]}))
    assert course.quick_parameters(nb) == {"EPOCHS": 1, "NAME": "b", "SHAPE": [3, 4]}
    nb.cells[0].source = "SHAPE = (1, 2)  # quick: (3, 4)"
    with pytest.raises(ValueError, match="quick value of SHAPE is a tuple; use a list"):
        course.quick_parameters(nb)
    nb.cells[0].source = "X = 1  # quick: not python"
    with pytest.raises(ValueError, match="quick value of X is not a Python literal"):
        course.quick_parameters(nb)


def test_readme_badges_follow_the_setting():
    text = (course.ROOT / "README.md").read_text()
    assert course.readme_with_badges(text) == text, "run `make headers`"
    assert course.badges_markdown("00_index") in text


def test_timings_table_from_reports():
    rep = lambda mode, wall, rss, status="ok": {  # noqa: E731
        "mode": mode, "total_wall_s": wall * 2, "cpu_count": 2, "date": "2026-11-22",
        "notebooks": [{"notebook": "01_wrangling.ipynb", "status": status, "wall_s": wall,
                       "peak_rss_mb": rss},
                      {"notebook": "02_eda.ipynb", "status": "ok", "wall_s": wall, "peak_rss_mb": rss}]}
    table = course.timings_markdown({"full": rep("full", 120, 1536), "quick": rep("quick", 6, 512, "failed")})
    assert "| 01_wrangling | 2.0 min, 1.50 GiB | failed |" in table
    assert "| **whole course** | 4.0 min | 0.2 min |" in table
    heavy = course.timings_markdown({"full": rep("full", 1000, 2200)})
    assert "| 01_wrangling | 16.7 min, 2.15 GiB **over budget** (over the 1.5 GiB goal) |" in heavy
    assert course.over_goal(rep("full", 1000, 2200)) == ["01_wrangling.ipynb", "02_eda.ipynb"]
    assert course.over_goal(rep("full", 120, 1536)) == []  # at the goal is within it
    assert course.over_goal(rep("quick", 6, 2200)) == []  # quick mode: tests/test_notebooks.py
    assert "| **whole course** | 33.3 min |" in heavy
    assert "full: 2026-11-22 on 2 CPU cores" in table
    assert "Not measured yet" in course.timings_markdown({})


def test_index_and_readme_have_timing_slots():
    nb = nbformat.read(course.NOTEBOOKS / "00_index.ipynb", as_version=4)
    assert course.cell_with_tag(nb, "timings")[1] is not None
    text = (course.ROOT / "README.md").read_text()
    assert text.count(course.TIMINGS_START) == 1 and text.count(course.TIMINGS_END) == 1
    bench = (course.ROOT / "benchmarks" / "README.md").read_text()
    assert bench.count(course.TIMINGS_START) == 1 and bench.count(course.TIMINGS_END) == 1


def test_partial_runs_update_the_saved_report():
    row = lambda name, wall: {"notebook": name, "status": "ok", "wall_s": wall, "peak_rss_mb": 1.0}  # noqa: E731
    first = course.merge_reports(None, [row("01_a.ipynb", 10), row("02_b.ipynb", 20)],
                                 mode="full", date="d1", cpu_count=2)
    assert first["total_wall_s"] == 30
    second = course.merge_reports(first, [row("02_b.ipynb", 5)], mode="full", date="d2", cpu_count=2)
    assert [r["wall_s"] for r in second["notebooks"]] == [10, 5]
    assert second["total_wall_s"] == 15 and second["date"] == "d2"

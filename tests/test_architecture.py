"""The package keeps the shape docs/architecture.md describes: layers, import rules, a public
surface a learner can hold in mind, numpydoc docstrings, and notebooks without library code."""

import ast
import importlib
import inspect
import json

import pytest

import api_report as A

FILES = A.source_files()


def test_every_module_has_a_layer():
    modules = {A.top_module(p) for p in FILES}
    assert modules - set(A.LAYERS) == set(), "place new modules in docs/architecture.md and " \
                                             "tools/api_report.py LAYERS"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(A.PACKAGE)))
def test_imports_follow_the_layers(path):
    me = A.top_module(path)
    own, other = A.imports_of(path)
    upward = sorted(m for m in own if m in A.LAYERS and A.LAYERS[m] > A.LAYERS[me])
    assert not upward, f"{me} (layer {A.LAYERS[me]}) imports later layers: {upward}"
    if A.LAYERS[me] < 5:
        drawn = sorted(set(other) & set(A.PRESENTATION_LIBRARIES))
        assert not drawn, f"{me} is not presentation but imports {drawn}"
    if 2 <= A.LAYERS[me] <= 4:
        assert "synthetic" not in own, f"{me} computes or trains, and must not make up data"


def test_import_rule_checker_sees_lazy_and_relative_imports(tmp_path, monkeypatch):
    """The checker itself: a lazy relative import inside a function is found."""
    pkg = tmp_path / "segkit" / "metrics"
    pkg.mkdir(parents=True)
    f = pkg / "x.py"
    f.write_text("def f():\n    from ..viz import show_images\n    import matplotlib.pyplot\n")
    monkeypatch.setattr(A, "PACKAGE", tmp_path / "segkit")
    own, other = A.imports_of(f)
    assert own == {"viz"} and "matplotlib" in other


def test_public_surface_is_at_most_120_names():
    names = A.public_names()
    counted = {m: v for m, v in names.items() if m not in A.NOT_COUNTED}
    total = sum(len(v) for v in counted.values())
    assert total <= 120, f"{total} public names: {counted}"
    for mod, listed in names.items():
        module = importlib.import_module(f"segkit.{mod}")
        missing = [n for n in listed if not hasattr(module, n)]
        assert not missing, f"segkit.{mod}.__all__ names what it lacks: {missing}"
        assert not [n for n in listed if n.startswith("_")], f"private names in {mod}"


def _public_callables():
    for mod, listed in A.public_names().items():
        module = importlib.import_module(f"segkit.{mod}")
        for name in listed:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"segkit.{mod}.{name}", obj


PUBLIC = list(_public_callables())


@pytest.mark.parametrize("qualname, obj", PUBLIC, ids=[q for q, _ in PUBLIC])
def test_public_functions_have_numpydoc_parameters_and_examples(qualname, obj):
    doc = inspect.getdoc(obj) or ""
    assert "Examples\n--------" in doc, f"{qualname} has no Examples section"
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        params = [p for p in inspect.signature(target).parameters.values()
                  if p.name not in ("self", "cls")
                  and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    if params and not inspect.isclass(obj):
        assert "Parameters\n----------" in doc, f"{qualname} has no Parameters section"


def _notebook_code():
    for path in sorted(A.ROOT.glob("notebooks/*.ipynb")):
        nb = json.loads(path.read_text())
        for i, cell in enumerate(nb["cells"]):
            # an exercise's solution is the learner's own code: writing a function is the task
            if cell["cell_type"] == "code" and "solution" not in cell["metadata"].get("tags", []):
                yield path.stem, i, "".join(cell["source"])


@pytest.mark.parametrize("stem, index, source", list(_notebook_code()),
                         ids=[f"{s}-{i}" for s, i, _ in _notebook_code()])
def test_notebooks_define_no_functions(stem, index, source):
    if source.lstrip().startswith(("%%", "!")):
        return
    tree = ast.parse(source)
    defined = [n.name for n in ast.walk(tree)
               if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    assert not defined, (f"{stem} cell {index} defines {defined}: reusable code belongs in "
                         "the package (docs/architecture.md)")

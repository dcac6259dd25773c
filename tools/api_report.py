"""The shape of the segkit package: its layers, public names and module sizes (not part of it).

    python tools/api_report.py            # a table per module, then the totals
    python tools/api_report.py --names    # every public name

The layers and import rules are those of docs/architecture.md; tests/test_architecture.py
enforces them, using the functions below.
"""

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "segkit"

# module (top-level name under segkit) -> layer number, as docs/architecture.md lists them
LAYERS = {
    "_validate": 0, "_conventions": 0, "_quiet": 0, "_precision": 2,
    "io": 1, "data": 1, "synthetic": 1,
    "eda": 2, "metrics": 2, "weak": 2, "augment": 2, "models": 2, "losses": 2,
    "instances": 2, "uncertainty": 2, "measure": 2, "patches": 2, "predict": 2,
    "train": 3,
    "experiments": 4,
    "viz": 5, "widgets": 5,
    "exercises": 6,
}
LAYER_NAMES = {0: "validation", 1: "data and I/O", 2: "computation", 3: "training",
               4: "experiments", 5: "presentation", 6: "course"}
# modules whose public names are course material, not library API (docs/architecture.md)
NOT_COUNTED = {"exercises"}
PRESENTATION_LIBRARIES = ("matplotlib", "ipywidgets", "IPython", "ipycanvas")


def top_module(path):
    """The segkit module a file belongs to: ``segkit/metrics/pixel.py`` -> ``metrics``."""
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def source_files():
    """Every .py file of the package, except ``__init__.py`` of segkit itself."""
    return sorted(p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py")


def imports_of(path):
    """(segkit modules imported, other top-level packages imported) by one file, including
    imports inside functions (a lazy import is still a dependency)."""
    tree = ast.parse(path.read_text())
    own, other = set(), set()
    parts = path.relative_to(PACKAGE).parts
    depth = len(parts) - 1  # 0 for segkit/x.py, 1 for segkit/metrics/x.py
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("segkit."):
                    own.add(alias.name.split(".")[1])
                else:
                    other.add(alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                name = node.module or ""
                if name == "segkit":
                    own.update(a.name for a in node.names)
                elif name.startswith("segkit."):
                    own.add(name.split(".")[1])
                else:
                    other.add(name.split(".")[0])
            else:
                up = node.level - 1  # levels above the file's own package
                if up > depth:
                    continue
                if up == depth:  # relative to segkit itself
                    if node.module:
                        own.add(node.module.split(".")[0])
                    else:
                        own.update(a.name for a in node.names)
                else:  # inside a subpackage: its own module
                    own.add(parts[0])
    own.discard(top_module(path))
    return own, other


def public_names():
    """``{module: [names]}`` from each public module's ``__all__`` (subpackages included)."""
    import importlib

    sys.path.insert(0, str(ROOT))
    out = {}
    for mod in sorted(LAYERS):
        if mod.startswith("_"):
            continue
        module = importlib.import_module(f"segkit.{mod}")
        out[mod] = list(getattr(module, "__all__", []))
    return out


def line_counts():
    """Lines of code per top-level module (all files of a subpackage together)."""
    counts = {}
    for path in source_files():
        counts[top_module(path)] = counts.get(top_module(path), 0) + len(
            path.read_text().splitlines())
    return counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--names", action="store_true", help="list every public name")
    args = ap.parse_args(argv)
    names = public_names()
    lines = line_counts()
    print(f"{'layer':<14} {'module':<13} {'public':>6} {'lines':>6}")
    for mod in sorted(LAYERS, key=lambda m: (LAYERS[m], m)):
        n = len(names.get(mod, [])) if mod in names else 0
        print(f"{LAYER_NAMES[LAYERS[mod]]:<14} {mod:<13} {n:>6} {lines.get(mod, 0):>6}"
              + ("  (not counted)" if mod in NOT_COUNTED else ""))
        if args.names and names.get(mod):
            print("    " + ", ".join(names[mod]))
    counted = sum(len(v) for k, v in names.items() if k not in NOT_COUNTED)
    print(f"\npublic names: {counted} (the limit is 120; segkit.exercises' "
          f"{len(names.get('exercises', []))} not counted)")
    print(f"lines of code: {sum(lines.values())} in {len(source_files())} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())

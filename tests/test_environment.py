"""The install is real: pins agree with ranges, and the tricky packages import."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def _env_pins():
    """name -> version from environment.yml's pip section (read as text: no YAML dependency)."""
    text = (ROOT / "environment.yml").read_text()
    pip_part = text.split("- pip:", 1)[1]
    pins, options = {}, []
    for line in pip_part.splitlines():
        m = re.match(r"^\s+-\s+(\S+)", line)
        if not m:
            continue
        item = m.group(1)
        if item.startswith("--"):
            options.append(item)
            continue
        name, _, version = item.partition("==")
        assert version, f"environment.yml: {item!r} is not pinned with =="
        pins[canonicalize_name(name)] = Version(version)
    return pins, options


def _project_requirements():
    cfg = _pyproject()["project"]
    reqs = [Requirement(r) for r in cfg["dependencies"]]
    for extra in cfg["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra]
    return reqs


def test_environment_pins_satisfy_pyproject_ranges():
    pins, _ = _env_pins()
    for req in _project_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is a dependency in pyproject.toml but not pinned in environment.yml"
        assert pins[name] in req.specifier, (
            f"environment.yml pins {req.name}=={pins[name]}, outside pyproject.toml's {req.specifier}")


def test_environment_has_nothing_pyproject_does_not_know():
    pins, _ = _env_pins()
    known = {canonicalize_name(r.name) for r in _project_requirements()}
    assert set(pins) <= known, f"pinned but not declared in pyproject.toml: {set(pins) - known}"


def test_elasticdeform_is_built_from_source_everywhere():
    _, options = _env_pins()
    assert "--no-binary=elasticdeform" in options
    setup = (ROOT / "tools" / "course.py").read_text()
    assert '"--no-binary=elasticdeform"' in setup  # the Colab setup cell
    assert (ROOT / "binder" / "environment.yml").resolve() == (ROOT / "environment.yml").resolve()


def test_python_version_agrees():
    text = (ROOT / "environment.yml").read_text()
    py = Version(re.search(r"-\s+python=(\S+)", text).group(1))
    spec = _pyproject()["project"]["requires-python"]
    from packaging.specifiers import SpecifierSet
    assert py in SpecifierSet(spec)


def test_elasticdeform_imports_and_works_under_numpy2():
    """The 0.5.1 wheel fails under NumPy 2 with '_ARRAY_API not found'; ours must not."""
    code = ("import numpy, elasticdeform; x = numpy.zeros((16, 16)); "
            "y = elasticdeform.deform_random_grid(x, sigma=1, points=3); print(numpy.__version__, y.shape)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "_ARRAY_API" not in out.stderr
    assert out.stdout.split()[1] == "(16," or "(16, 16)" in out.stdout


def test_keras_3_on_tensorflow():
    code = "import keras; print(keras.__version__, keras.backend.backend())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    version, backend = out.stdout.split()[-2:]
    assert Version(version).major == 3 and backend == "tensorflow"


def test_import_segkit_is_light():
    """`import segkit` must not pull TensorFlow in (notebooks 01-03 never need it)."""
    code = "import sys, segkit, segkit.io, segkit.data; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", ["io", "data", "viz", "widgets"])
def test_submodules_load_lazily(name):
    import segkit
    assert getattr(segkit, name).__name__ == f"segkit.{name}"

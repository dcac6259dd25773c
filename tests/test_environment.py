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


# ----------------------------------------------------------------------------- Colab
# tools/colab/pip-freeze.txt is Colab's own list (googlecolab/backend-info, 2026-08-19); the
# Colab setup cell installs segkit's runtime dependencies, so each range must admit the version
# Colab preinstalls, or the install replaces it (as `ipywidgets>=8.1` did with Colab's 7.7.1).
def test_ranges_admit_the_versions_colab_preinstalls():
    import colab_profile

    colab = colab_profile.colab_versions()
    assert colab["tensorflow"] and colab["ipywidgets"], "tools/colab/pip-freeze.txt is not Colab's list"
    reqs = [Requirement(r) for r in _pyproject()["project"]["dependencies"]]
    outside = [f"{r.name}{r.specifier} excludes Colab's {colab[canonicalize_name(r.name)]}"
               for r in reqs if canonicalize_name(r.name) in colab
               and Version(colab[canonicalize_name(r.name)]) not in r.specifier]
    assert not outside, outside


def test_requires_python_admits_colabs_python():
    from packaging.specifiers import SpecifierSet

    import colab_profile

    colab = Version(".".join(map(str, colab_profile.COLAB_PYTHON)))
    assert colab in SpecifierSet(_pyproject()["project"]["requires-python"])


def test_colab_profile_reads_the_list_and_names_moved_packages(tmp_path):
    import colab_profile

    freeze = tmp_path / "pip-freeze.txt"
    freeze.write_text("# comment\nipywidgets==7.7.1\nNumPy==2.1.3\n"
                      "torch @ https://download.pytorch.org/whl/cpu/torch.whl\n")
    colab = colab_profile.colab_versions(freeze)
    assert colab == {"ipywidgets": "7.7.1", "numpy": "2.1.3"}
    installed = {"ipywidgets": "8.1.9", "numpy": "2.1.3", "segkit": "0.1.0"}
    assert colab_profile.changed_versions(installed, colab) == [("ipywidgets", "7.7.1", "8.1.9")]
    assert colab_profile.changed_versions({"numpy": "2.1.3"}, colab) == []


def test_colab_profile_runs_the_setup_cell_that_make_headers_writes():
    import colab_profile
    import course

    source = colab_profile.setup_cell(course.NOTEBOOKS / "00_index.ipynb")
    assert source == course.setup_source("00_index")
    assert '"pip", "install"' in source and 'os.path.isdir("segkit-course")' in source

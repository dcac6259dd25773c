"""The Colab profile (not part of the lesson): the course on Colab's own package versions.

    python tools/colab_profile.py [--only 01,05] [--python /path/to/python3.13] [--keep-venv]

What a learner gets on Colab, rebuilt in a virtual environment (``.venv-colab``):

1. **Colab's packages.** Python 3.13 (Colab's minor version) with Colab's versions of what
   segkit and the notebooks use: every dependency in ``pyproject.toml`` that Colab
   preinstalls, plus the notebook kernel stack (ipykernel, IPython, ipywidgets, nbclient, ...).
   Versions come from Colab's own list, ``tools/colab/pip-freeze.txt``, a verbatim copy of
   ``pip-freeze.txt`` in github.com/googlecolab/backend-info at commit a724079 (2026-08-19,
   "Upgrade to Python 3.13"; git blob 76bad008f8ceb23af821d5d5b5136d3a3fa2bf54). The whole list
   is used as pip constraints, so whatever those packages pull in also gets Colab's version.
2. **The setup cell, exactly.** The code of the cell tagged ``setup`` in ``00_index.ipynb``
   (written by ``make headers``) runs with ``google.colab`` in ``sys.modules``, as on Colab, in
   a folder where ``segkit-course`` is already a copy of this checkout (tracked and untracked,
   not ignored, files), so the cell skips its ``git clone`` and runs its own ``pip install``.
3. **Nothing Colab preinstalls changed.** Every installed distribution that Colab's list names
   must still have Colab's version; the script names each one that moved and exits 1.
4. **The notebooks in quick mode**, run from that copy by its ``tools/course.py`` in the same
   environment (papermill, which the runner needs and Colab lacks, is added under the same
   constraints and checked the same way), with TensorFlow's default log level, as a learner
   has it. Executed copies land in ``build/colab/notebooks``.
5. **What learners see there**: ``tools/outputs.py`` reads the executed copies. ipykernel
   forwards what C++ code writes to stderr into the notebook, so TensorFlow's start-up log
   becomes a pink box; any TensorFlow log (C++ or its Python logger) fails the profile. Stray
   return values are listed, not failed (the browser test fails them).

Stage times go to ``build/colab/colab-report.json``. Only the standard library is used here, so
any Python >= 3.11 can run this script; the environment it builds is Python 3.13.
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import outputs  # noqa: E402  (what a learner should never see; standard library only)

ROOT = Path(__file__).resolve().parent.parent
FREEZE = ROOT / "tools" / "colab" / "pip-freeze.txt"
COLAB_PYTHON = (3, 13)
# What the notebooks run in besides segkit's own dependencies (all preinstalled on Colab).
KERNEL_STACK = ["ipykernel", "ipython", "ipywidgets", "jupyter-client", "jupyter-core",
                "nbclient", "nbformat", "traitlets", "matplotlib-inline"]
# Variables that would let this machine's own set-up leak into the profile.
SCRUB = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "MPLBACKEND", "PIP_CONSTRAINT",
         "PIP_REQUIREMENT", "PIP_INDEX_URL", "PIP_USER", "PIP_PREFIX", "PIP_TARGET", "JUPYTER_PATH",
         "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def colab_versions(path=FREEZE):
    """name -> version of every ``name==version`` line of Colab's pip freeze."""
    versions = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$", line.strip())
        if m:
            versions[canonical(m[1])] = m[2]
    return versions


def project_dependencies(root=ROOT):
    """Canonical names of pyproject.toml's runtime dependencies (what the setup cell installs)."""
    with open(root / "pyproject.toml", "rb") as f:
        deps = tomllib.load(f)["project"]["dependencies"]
    return [canonical(re.match(r"^[A-Za-z0-9._-]+", d)[0]) for d in deps]


def environment_pin(name, root=ROOT):
    """The ``==`` pin of `name` in environment.yml's pip section."""
    for line in (root / "environment.yml").read_text().splitlines():
        m = re.match(r"^\s+-\s+([A-Za-z0-9._-]+)==(\S+)", line)
        if m and canonical(m[1]) == canonical(name):
            return m[2]
    raise SystemExit(f"environment.yml pins no {name}")


def setup_cell(notebook):
    """Source of the cell tagged ``setup`` (JSON read directly: no nbformat needed here)."""
    nb = json.loads(Path(notebook).read_text())
    for cell in nb["cells"]:
        if "setup" in cell.get("metadata", {}).get("tags", []):
            src = cell["source"]
            return "".join(src) if isinstance(src, list) else src
    raise SystemExit(f"{notebook}: no cell tagged 'setup'")


def changed_versions(installed, colab):
    """``(name, colab_version, installed_version)`` for every package whose version moved."""
    return sorted((name, colab[name], v) for name, v in installed.items()
                  if name in colab and colab[name] != v)


def find_python(explicit=None):
    """A Python 3.13 interpreter: `explicit`, else pyenv's newest 3.13.x, else python3.13."""
    if explicit:
        return explicit
    found = glob.glob(os.path.expanduser("~/.pyenv/versions/3.13.*/bin/python3.13"))
    found += glob.glob("/root/.pyenv/versions/3.13.*/bin/python3.13")
    if found:
        key = lambda p: [int(x) for x in re.findall(r"3\.13\.(\d+)", p)[:1]]  # noqa: E731
        return max(sorted(set(found)), key=key)
    which = shutil.which("python3.13")
    if which:
        return which
    raise SystemExit("no Python 3.13 found: install one (pyenv install 3.13) or pass --python")


def clean_env(venv):
    env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # The venv's kernelspec first, whatever this machine has in ~/.local/share/jupyter.
    env["JUPYTER_PATH"] = str(venv / "share" / "jupyter")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_PROGRESS_BAR"] = "off"
    return env


def run(cmd, *, env, cwd=None, capture=False):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    out = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, text=True,
                         capture_output=capture)
    if out.returncode != 0:
        if capture:
            print(out.stdout, out.stderr, sep="\n", file=sys.stderr)
        raise SystemExit(f"failed ({out.returncode}): {' '.join(str(c) for c in cmd)}")
    return out.stdout if capture else None


def installed(python, env):
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))")
    raw = json.loads(run([python, "-c", code], env=env, capture=True).strip().splitlines()[-1])
    return {canonical(k): v for k, v in raw.items()}


def copy_checkout(dest):
    """Copy the checkout's tracked and untracked-but-not-ignored files to `dest`."""
    if dest.exists():
        shutil.rmtree(dest)
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        listed = None
    if listed is None:  # not a git checkout: copy everything but environments and outputs
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
            ".git", ".venv*", "build", "data", "__pycache__", "*.egg-info"))
        return
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def check_unchanged(stage, python, env, colab, before):
    now = installed(python, env)
    moved = changed_versions(now, colab)
    lost = sorted(set(before) - set(now))
    added = sorted(f"{n}=={now[n]}" for n in set(now) - set(before))
    print(f"{stage}: added {', '.join(added) or 'nothing'}")
    if moved or lost:
        for name, was, new in moved:
            print(f"  {stage} changed {name}: Colab preinstalls {was}, now {new}", file=sys.stderr)
        for name in lost:
            print(f"  {stage} removed {name}", file=sys.stderr)
        raise SystemExit(f"{stage} changed packages that Colab preinstalls (see above)")
    return now


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", help="a Python 3.13 interpreter (default: pyenv's newest)")
    parser.add_argument("--venv", default=str(ROOT / ".venv-colab"))
    parser.add_argument("--out", default=str(ROOT / "build" / "colab"))
    parser.add_argument("--only", default="", help="notebook numbers to run, e.g. 01,05")
    parser.add_argument("--keep-venv", action="store_true",
                        help="reuse an existing environment (development only; CI builds anew)")
    args = parser.parse_args(argv)
    venv, out = Path(args.venv).resolve(), Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    colab = colab_versions()
    times, t0 = {}, time.perf_counter()

    def lap(name, start):
        times[name] = round(time.perf_counter() - start, 1)
        print(f"== {name}: {times[name]} s", flush=True)

    # 1. Python 3.13 with Colab's packages
    start = time.perf_counter()
    python = find_python(args.python)
    py = venv / "bin" / "python"
    env = clean_env(venv)
    if not (args.keep_venv and py.exists()):
        if venv.exists():
            shutil.rmtree(venv)
        run([python, "-m", "venv", venv], env=env)
    version = run([py, "-c", "import sys; print(*sys.version_info[:3], sep='.')"],
                  env=env, capture=True).strip()
    if tuple(int(x) for x in version.split(".")[:2]) != COLAB_PYTHON:
        raise SystemExit(f"{python} is Python {version}; Colab runs {COLAB_PYTHON}")
    constraints = venv / "colab-constraints.txt"
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(colab.items())))
    run([py, "-m", "pip", "install", "-q", f"pip=={colab['pip']}"], env=env)
    wanted = list(dict.fromkeys(
        [n for n in project_dependencies() if n in colab] + KERNEL_STACK
        + ["setuptools", "wheel"]))
    run([py, "-m", "pip", "install", "-q", "-c", constraints]
        + [f"{n}=={colab[n]}" for n in wanted], env=env)
    before = installed(py, env)
    moved = changed_versions(before, colab)
    if moved:
        raise SystemExit(f"the Colab profile itself is not Colab's: {moved}")
    not_on_colab = [n for n in project_dependencies() if n not in colab]
    print(f"Python {version} with Colab's {', '.join(f'{n}=={colab[n]}' for n in wanted)}; "
          f"not preinstalled on Colab: {', '.join(not_on_colab) or 'none'}")
    lap("colab_packages_s", start)

    # 2. the setup cell, exactly as written, in a folder that already holds the course
    start = time.perf_counter()
    course_dir = out / "segkit-course"
    copy_checkout(course_dir)
    source = setup_cell(ROOT / "notebooks" / "00_index.ipynb")
    if '"pip", "install"' not in source:
        raise SystemExit("the setup cell has no pip install: nothing to check")
    driver = out / "setup_cell_driver.py"
    driver.write_text(
        "import subprocess, sys, time, types\n"
        "sys.modules['google.colab'] = types.ModuleType('google.colab')  # as on Colab\n"
        "_run = subprocess.run\n"
        "def _logged(cmd, *a, **k):  # print each command the cell runs, and its time\n"
        "    print('setup cell runs:', ' '.join(map(str, cmd)), flush=True)\n"
        "    t = time.perf_counter(); r = _run(cmd, *a, **k)\n"
        "    print(f'  took {time.perf_counter() - t:.1f} s', flush=True); return r\n"
        "subprocess.run = _logged\n"
        f"exec(compile({source!r}, 'setup cell of 00_index', 'exec'), {{'__name__': '__main__'}})\n"
        "import segkit\n"
        "print('segkit imported from', segkit.__file__)\n"
        f"assert segkit.__file__.startswith({str(venv)!r}), 'segkit not from the environment'\n")
    run([py, driver], env=env, cwd=out)
    lap("setup_cell_s", start)

    # 3. nothing Colab preinstalls has moved
    after = check_unchanged("the setup cell's install", py, env, colab, before)

    # 4. the runner's one extra (papermill), then every notebook in quick mode
    start = time.perf_counter()
    run([py, "-m", "pip", "install", "-q", "-c", constraints,
         f"papermill=={environment_pin('papermill')}"], env=env)
    check_unchanged("the notebook runner's install", py, env, colab, after)
    run([py, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], env=env)
    specs = json.loads(run([py, "-m", "jupyter", "kernelspec", "list", "--json"], env=env,
                           capture=True))["kernelspecs"]
    kernel_python = specs["python3"]["spec"]["argv"][0]
    if not Path(os.path.abspath(kernel_python)).is_relative_to(venv):  # venv/bin/python is a link
        raise SystemExit(f"kernel python3 runs {kernel_python}, not the Colab environment")
    lap("runner_s", start)
    start = time.perf_counter()
    cmd = [py, "tools/course.py", "run", "--quick", "--out", out]
    if args.only:
        cmd += ["--only", args.only]
    failed = None
    try:
        run(cmd, env=dict(env, TF_CPP_MIN_LOG_LEVEL=""), cwd=course_dir)  # unset, as on Colab
    except SystemExit as exc:
        failed = exc
    lap("notebooks_s", start)
    seen = {}
    for path in sorted((out / "notebooks").glob("*.ipynb")):
        if path.stat().st_mtime >= time.time() - times["notebooks_s"] - 1:  # this run's copies
            found = outputs.findings(json.loads(path.read_text())["cells"])
            if found:
                seen[path.stem] = found
    for stem, found in seen.items():
        for cell, kind, text in found:
            print(f"  {stem} cell {cell}: {kind}: {text.splitlines()[0][:160]}")
    native = sorted(stem for stem, found in seen.items()
                    if any(k == "tensorflow log" for _, k, _ in found))
    times["total_s"] = round(time.perf_counter() - t0, 1)
    report = {"python": version, "colab_freeze": str(FREEZE.relative_to(ROOT)),
              "preinstalled": {n: colab[n] for n in wanted},
              "added_by_setup_cell": {n: v for n, v in after.items() if n not in before},
              "times": times, "notebooks_ok": failed is None,
              "learner_facing": {stem: [list(f) for f in found] for stem, found in seen.items()}}
    (out / "colab-report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(times))
    if failed is not None:
        raise failed
    if native:
        raise SystemExit("TensorFlow's log reaches the notebook on Colab's runtime in "
                         f"{', '.join(native)}: silence it before TensorFlow loads")


if __name__ == "__main__":
    main()

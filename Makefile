# segkit course: every set-up step is one of these targets.
#   make course          run every notebook in order, full parameters (QUICK=1 for the quick ones)
#   make test            the test suite, notebooks included (quick mode), browser tests excluded
#   make test-colab      the notebooks on Colab's own package versions (Python 3.13, .venv-colab)
#   make book            the executed course as a static website, build/book/html (QUICK=1 too)
#   make book-built      the same site from the quick-mode copies `make test` left (CI)
#   make test-browser    JupyterLab and the book in headless Chromium (Debian's chromium package)
# Both create the virtual environment (.venv) from environment.yml's pins when it is missing.
#   make student         student copies, solutions replaced by stubs, in build/student/
#   make solutions       the notebooks with exercises, solutions executed, in build/solutions/
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
QUICK  ?= 0
ONLY   ?=
PYTEST_ARGS ?=

.PHONY: env data course test test-colab test-browser book book-built bench headers strip timings clean student solutions

env: $(STAMP)

# The pins live in environment.yml's pip section (Binder reads the same file);
# pyproject.toml holds the ranges, and a test checks that they agree.
$(STAMP): environment.yml pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	sed -n '/- pip:/,$$p' environment.yml | tail -n +2 | grep -E '^[[:space:]]+- ' \
	  | sed -E 's/^[[:space:]]+- //; s/[[:space:]]+#.*//' > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

data: $(STAMP)
	$(PY) -m segkit.data --root data $(if $(filter 1,$(QUICK)),--quick,)

course: data
	$(PY) tools/course.py run $(if $(filter 1,$(QUICK)),--quick,) $(if $(ONLY),--only $(ONLY),)

test: $(STAMP)
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

# tests/browser: every notebook run in JupyterLab in headless Chromium (sliders moved,
# screenshots in build/browser/screenshots), and the book built by `make book` opened.
# Needs Debian's chromium (`apt-get install chromium`; .ci/run installs it): never a download.
test-browser: $(STAMP)
	SEGKIT_BROWSER=required $(PY) -m pytest -m browser tests/browser $(PYTEST_ARGS)

# The executed course as a static website (tools/book.py, Jupyter Book 1, built offline):
# runs the notebooks (`make course`, QUICK=1 for the quick run), then build/book/html.
book: course
	$(PY) tools/book.py

# The site from the executed copies that `make test` left in build/notebooks (its notebook
# tests keep them, quick mode): CI's book stage, without running every notebook again.
book-built: $(STAMP)
	$(PY) tools/book.py

# Colab's profile (tools/colab_profile.py): a Python 3.13 environment with Colab's versions of
# what segkit uses (tools/colab/pip-freeze.txt), the notebooks' setup cell run as written, a
# check that it changed none of Colab's packages, then every notebook in quick mode.
# Needs only a Python 3.13 (pyenv's, or COLAB_PYTHON=/path/to/python3.13), not .venv.
COLAB_PYTHON ?=
test-colab:
	$(PYTHON) tools/colab_profile.py $(if $(COLAB_PYTHON),--python $(COLAB_PYTHON),) $(if $(ONLY),--only $(ONLY),)

bench: $(STAMP)
	$(PY) benchmarks/run.py

# Re-derive every notebook's badges and Colab setup cell from [tool.segkit] in pyproject.toml.
headers: $(STAMP)
	$(PY) tools/course.py headers

# Write the measured times and memory (build/course-report-*.json) into 00_index and the README.
timings: $(STAMP)
	$(PY) tools/course.py timings

# Remove outputs and execution counts from the committed notebooks.
strip: $(STAMP)
	$(PY) tools/course.py strip

# Exercises (docs/exercises.md): student copies without the solutions; executed solutions,
# quick parameters unless QUICK=0.
student: $(STAMP)
	$(PY) tools/exercises.py student$(if $(ONLY), --only $(ONLY),)

solutions: QUICK = 1
solutions: data
	$(PY) tools/exercises.py solutions$(if $(filter 1,$(QUICK)),, --full)$(if $(ONLY), --only $(ONLY),)

clean:
	rm -rf build .pytest_cache .hypothesis

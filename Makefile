# segkit course: every set-up step is one of these targets.
#   make course          run every notebook in order, full parameters (QUICK=1 for the quick ones)
#   make test            the whole test suite, notebooks included (quick mode)
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

.PHONY: env data course test bench headers strip timings clean student solutions

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
	$(PY) -m pytest $(PYTEST_ARGS)

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

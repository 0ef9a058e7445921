# The course's commands. Each one creates or reuses .venv from requirements.txt.
#   make lab                      JupyterLab on the course
#   make test [JOBS=0]            unit tests + every notebook under nbval (fast profile), 2 at a time
#   make test-colab               the same suite on Colab's stack, in .venv-colab (requirements-colab.txt)
#   make test-solutions           every solutions notebook under nbval (fast profile)
#   make run [PROFILE=full] [NB=03] [INPLACE=1] [SOLUTIONS=1]   execute notebooks headless, with a summary
#   make format / make lint       normalize notebooks / lint the code (format check: make check)
#   make colab-stack FREEZE=... PYTHON_VERSION=... [SOURCE=...]   refresh requirements-colab.txt

# The Python range the pinned stack installs on (TensorFlow 2.21's wheels; numpy and pandas
# need 3.11+). When $(PYTHON) is outside it, tools/find-python.sh picks the newest in range on
# PATH, from pyenv or from uv, or stops before pip and says what to do.
SUPPORTED_PYTHON := 3.11 3.13
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROFILE ?= fast
NB ?=
NOTEBOOKS := notebooks
SOLUTIONS_DIR := solutions
# The suite: unit tests, the format check, then every notebook in the fast profile. nbval runs
# each notebook in a kernel of the python that runs pytest (--nbval-current-env), so the
# stack that is tested is the one the `stack:` line printed before it names.
# Two test processes at a time (pytest-xdist; --dist loadfile keeps each notebook's cells in one
# process, in order), which shares a 2-core CPU better than one: a notebook alternates Python
# work (kernel start, imports, tracing) that uses one core with numeric work. JOBS=0 runs
# serially, the default where nvidia-smi sees a GPU, since every kernel would claim all of its
# memory. PYTEST_ARGS adds pytest options, e.g. PYTEST_ARGS="-x".
JOBS ?= $(shell nvidia-smi -L >/dev/null 2>&1 && echo 0 || echo 2)
PYTEST_ARGS ?=
PARALLEL := -n $(JOBS) --dist loadfile
SUITE := tests $(NOTEBOOKS) --nbval-lax --nbval-current-env -q $(PARALLEL) $(PYTEST_ARGS)

# The Colab stack, on Colab's Python: the minor version of the `# python:` line of
# requirements-colab.txt (3.13 now), found on PATH, from pyenv or uv, or installed by uv; never
# silently another one.
COLAB_VENV := .venv-colab
COLAB_BIN := $(COLAB_VENV)/bin
COLAB_STAMP := $(COLAB_VENV)/.installed
COLAB_PYTHON_VERSION := $(shell sed -n 's/^\# python: *\([0-9]*\.[0-9]*\).*/\1/p' requirements-colab.txt)
COLAB_PYTHON ?= python$(COLAB_PYTHON_VERSION)
PY_MINOR := -c 'import sys; print("%d.%d" % sys.version_info[:2])'

.PHONY: venv venv-colab lab test test-colab test-solutions unit notebooks run format check lint clean colab-stack

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || { py=$$(sh tools/find-python.sh $(SUPPORTED_PYTHON) $(PYTHON)) \
		&& echo "Creating $(VENV) with $$py ($$($$py --version))" && $$py -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv-colab: $(COLAB_STAMP)

$(COLAB_STAMP): requirements-colab.txt colab/constraints.txt pyproject.toml
	@test "$$($(COLAB_BIN)/python $(PY_MINOR) 2>/dev/null)" = "$(COLAB_PYTHON_VERSION)" || { \
		py=$$(PYTHON_VAR=COLAB_PYTHON sh tools/find-python.sh $(COLAB_PYTHON_VERSION) $(COLAB_PYTHON_VERSION) \
			$(COLAB_PYTHON) --install) && rm -rf $(COLAB_VENV) \
		&& echo "Creating $(COLAB_VENV) with $$py ($$($$py --version))" && $$py -m venv $(COLAB_VENV); }
	$(COLAB_BIN)/python -m pip install --quiet --upgrade pip
	$(COLAB_BIN)/python -m pip install --quiet -r requirements-colab.txt
	$(COLAB_BIN)/python -m pip install --quiet --no-deps -e .
	# Colab's list as it is, then what every notebook's setup cell does first on Colab: repair
	# what that list breaks (helpers.colab.prepare_runtime), so the suite tests the repair.
	$(COLAB_BIN)/python -m helpers.colab
	touch $(COLAB_STAMP)

# Jupyter refuses to start as root unless told to (containers often run as root).
lab: venv
	$(BIN)/jupyter lab $(NOTEBOOKS) $(if $(filter 0,$(shell id -u)),--allow-root)

# Unit tests, the notebook format check, then every notebook in the fast profile, after one
# line that names the stack. pytest runs everything and reports all failures at the end.
test: venv
	@$(BIN)/python -m helpers.versions pinned
	COURSE_PROFILE=fast $(BIN)/python -m pytest $(SUITE)

# The same suite on the versions Google Colab ships (requirements-colab.txt), in .venv-colab.
test-colab: venv-colab
	@$(COLAB_BIN)/python -m helpers.versions colab
	COURSE_PROFILE=fast $(COLAB_BIN)/python -m pytest $(SUITE)

# The worked solutions to every exercise, in the fast profile, on the pinned stack. Kept out of
# `make test` so that the course's suite stays inside its 10-minute budget; CI runs both.
test-solutions: venv
	@$(BIN)/python -m helpers.versions pinned
	COURSE_PROFILE=fast $(BIN)/python -m pytest $(SOLUTIONS_DIR) --nbval-lax --nbval-current-env -q $(PARALLEL) $(PYTEST_ARGS)

unit: venv
	$(BIN)/python -m pytest tests -q

run: venv
	$(BIN)/python tools/course.py run --profile $(PROFILE) $(if $(NB),--filter $(NB)) $(if $(INPLACE),--inplace) $(if $(SOLUTIONS),--solutions)

format: venv
	$(BIN)/python tools/course.py format

check: venv
	$(BIN)/python tools/course.py check

lint: venv
	$(BIN)/ruff check helpers tests tools conftest.py $(NOTEBOOKS) $(SOLUTIONS_DIR)

# Rewrite requirements-colab.txt (and colab/constraints.txt) from a `pip freeze` of Colab.
colab-stack:
	@test -n "$(FREEZE)" -a -n "$(PYTHON_VERSION)" || { echo "usage: make colab-stack \
	FREEZE=<Colab's pip freeze> PYTHON_VERSION=<its Python, e.g. 3.13.15> [SOURCE='<repository, commit, date>']"; exit 2; }
	$(PYTHON) tools/colab_stack.py --freeze "$(FREEZE)" --python-version "$(PYTHON_VERSION)" \
		$(if $(SOURCE),--source "$(SOURCE)")

clean:
	rm -rf $(VENV) $(COLAB_VENV) runs .pytest_cache

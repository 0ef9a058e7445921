# The course's commands. Each one creates or reuses .venv from requirements.txt.
#   make lab                      JupyterLab on the course
#   make test                     unit tests + every notebook under nbval (fast profile)
#   make test-colab               the same suite on Colab's stack, in .venv-colab (requirements-colab.txt)
#   make run [PROFILE=full] [NB=03] [INPLACE=1]   execute notebooks headless, with a summary
#   make format / make lint       normalize notebooks / lint the code (format check: make check)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROFILE ?= fast
NB ?=
NOTEBOOKS := notebooks
# The suite: unit tests, the format check, then every notebook in the fast profile. nbval runs
# each notebook in a kernel of the python that runs pytest (--nbval-current-env), so the
# stack that is tested is the one the `stack:` line printed before it names.
SUITE := tests $(NOTEBOOKS) --nbval-lax --nbval-current-env -q

# The Colab stack: Colab's runtime with TensorFlow 2.19 runs Python 3.12; use a 3.12 when there
# is one (on PATH or from pyenv), else $(PYTHON) (TensorFlow 2.19 supports Python 3.9-3.12).
COLAB_VENV := .venv-colab
COLAB_BIN := $(COLAB_VENV)/bin
COLAB_STAMP := $(COLAB_VENV)/.installed
COLAB_PYTHON ?= $(firstword $(foreach p,python3.12 $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12),\
	$(if $(shell $(p) -c 'print(1)' 2>/dev/null),$(p))) $(PYTHON))

.PHONY: venv venv-colab lab test test-colab unit notebooks run format check lint clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv-colab: $(COLAB_STAMP)

$(COLAB_STAMP): requirements-colab.txt pyproject.toml
	test -x $(COLAB_BIN)/python || $(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_BIN)/python -m pip install --quiet --upgrade pip
	$(COLAB_BIN)/python -m pip install --quiet -r requirements-colab.txt
	$(COLAB_BIN)/python -m pip install --quiet --no-deps -e .
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

unit: venv
	$(BIN)/python -m pytest tests -q

run: venv
	$(BIN)/python tools/course.py run --profile $(PROFILE) $(if $(NB),--filter $(NB)) $(if $(INPLACE),--inplace)

format: venv
	$(BIN)/python tools/course.py format

check: venv
	$(BIN)/python tools/course.py check

lint: venv
	$(BIN)/ruff check helpers tests tools conftest.py $(NOTEBOOKS)

clean:
	rm -rf $(VENV) $(COLAB_VENV) runs .pytest_cache

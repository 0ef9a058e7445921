# The course's commands. Each one creates or reuses .venv from requirements.txt.
#   make lab                      JupyterLab on the course
#   make test                     unit tests + every notebook under nbval (fast profile)
#   make run [PROFILE=full] [NB=03] [INPLACE=1]   execute notebooks headless, with a summary
#   make format / make lint       normalize notebooks / lint the code (format check: make check)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROFILE ?= fast
NB ?=
NOTEBOOKS := notebooks

.PHONY: venv lab test unit notebooks run format check lint clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Jupyter refuses to start as root unless told to (containers often run as root).
lab: venv
	$(BIN)/jupyter lab $(NOTEBOOKS) $(if $(filter 0,$(shell id -u)),--allow-root)

# Unit tests, the notebook format check, then every notebook in the fast profile.
# pytest runs everything and reports all failures at the end, not the first one.
test: venv
	COURSE_PROFILE=fast $(BIN)/python -m pytest tests $(NOTEBOOKS) \
		--nbval-lax --nbval-current-env -q

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
	rm -rf $(VENV) runs .pytest_cache

# The two commands of the course:
#   make lab   - set everything up (once) and open the course in JupyterLab
#   make test  - set everything up (once) and run the whole test suite
# Both create .venv on first use and reuse it afterwards; the environment is
# reinstalled only when pyproject.toml or the constraints file changes.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONSTRAINTS := requirements/constraints.txt
LAB_PORT ?= 8888
LAB_ARGS ?=
PYTEST_ARGS ?=
# Jupyter refuses to start as root unless told (containers, CI machines).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test test-unit test-notebooks test-browser grade grade-nbgrader install clean help

help:
	@echo "make lab    set up .venv if needed, then start JupyterLab on the course"
	@echo "make test   set up .venv if needed, then run unit tests and every notebook"
	@echo "make grade ASSIGNMENT=<name> SUBMISSIONS=<dir|zip>   grade a class (assignments/GRADING.md)"

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		--constraint $(CONSTRAINTS) --editable '.[test]'
	@touch $@

install: $(STAMP)

lab: install
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --ip=127.0.0.1 \
		--port=$(LAB_PORT) $(ALLOW_ROOT) $(LAB_ARGS)

test: install test-unit test-notebooks test-browser

test-unit: install
	$(BIN)/python -m pytest tests --ignore=tests/e2e $(PYTEST_ARGS)

# Every notebook in notebooks/ and every assignment source notebook (the
# reference solution), collected automatically; conftest.py prints the wall
# time of each and reports those over budget.
test-notebooks: install
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
		-p no:cacheprovider notebooks assignments/source $(PYTEST_ARGS)

# The course in a real browser: JupyterLab + Chromium driven by Playwright
# (needs Debian's chromium: .ci/run installs it).
test-browser: install
	$(BIN)/python -m pytest tests/e2e -p no:cacheprovider $(PYTEST_ARGS)

# Instructor: grade a whole class safely (isolated, time- and memory-limited,
# parallel, resumable); see assignments/GRADING.md.
#   make grade ASSIGNMENT=backprop SUBMISSIONS=path/to/submissions[.zip]
grade: install
	@test -n "$(ASSIGNMENT)" -a -n "$(SUBMISSIONS)" || { echo "usage: make grade ASSIGNMENT=<name> SUBMISSIONS=<folder or zip>"; exit 2; }
	$(BIN)/python -m course_utils.batch_grade $(ASSIGNMENT) $(SUBMISSIONS) $(GRADE_ARGS)

# Instructor: nbgrader's own pipeline in assignments/ (collect, autograde,
# feedback, export); see assignments/README.md.
grade-nbgrader: install
	PYTHON=$(CURDIR)/$(BIN)/python assignments/grade.sh $(GRADE_ARGS) $(ASSIGNMENT)

clean:
	rm -rf $(VENV) build reports .pytest_cache

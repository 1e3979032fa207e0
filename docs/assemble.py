"""Lay out the Sphinx source of the site in ``build/site-src`` (generated, never edited).

=========================================  ==============================================
page (``build/site-src/...``)              made from
=========================================  ==============================================
``index.md``                               README.md: its introduction and table of
                                           contents, plus the site's navigation
``notebooks/<name>.ipynb``                 ``build/executed/<name>.ipynb``: the notebook
                                           executed, each worked solution folded into a
                                           "Show solution" dropdown
``assignments/<name>.ipynb``               the student version nbgrader releases from
                                           ``assignments/source/<name>/<name>.ipynb`` (run in
                                           a temporary copy of ``assignments/``), unexecuted
``instructors/assignments.md``             ``assignments/README.md``
``instructors/grading.md``                 ``assignments/GRADING.md``
=========================================  ==============================================

Links in the copied Markdown are rewritten: a link to a repository file that is a page of the
site points to that page (the README's ``notebooks/01_linear_models.ipynb`` and
``assignments/source/backprop/backprop.ipynb``: the executed notebook and the student version),
a link to any other repository file points to it on the repository's web page.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import executed
import leaks
import nbformat
import settings

REPO = settings.REPO
ASSIGNMENTS = REPO / "assignments"
GUIDES = {  # repository file -> page of the site
    "assignments/README.md": "instructors/assignments.md",
    "assignments/GRADING.md": "instructors/grading.md",
}
SOLUTION_TAG = "solution"
# A Markdown inline link or image target: [text](target) or [text](<target>), with an optional "title".
LINK = re.compile(r"(\]\()(<[^>]*>|[^)\s]+)((?:\s+\"[^\"]*\")?\))")


def assignment_names() -> list[str]:
    return sorted(p.name for p in (ASSIGNMENTS / "source").iterdir() if (p / f"{p.name}.ipynb").is_file())


def page_of() -> dict[str, str]:
    """Repository path -> site page, for every repository file that is a page of the site."""
    pages = {"README.md": "index.md", **GUIDES}
    pages.update({f"notebooks/{p.name}": f"notebooks/{p.name}" for p in executed.NOTEBOOKS.glob("*.ipynb")})
    pages.update({f"assignments/source/{n}/{n}.ipynb": f"assignments/{n}.ipynb" for n in assignment_names()})
    return pages


def rewrite_links(markdown: str, origin: str, page: str) -> str:
    """The links of ``markdown`` (the repository file ``origin``) as seen from the site page ``page``."""
    pages = page_of()

    def rewrite(match: re.Match) -> str:
        target = match.group(2).strip("<>")
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith(("#", "/")):
            return match.group(0)  # absolute URL, anchor on the same page, or site-absolute
        path, hash_, anchor = target.partition("#")
        repo_path = posixpath.normpath(posixpath.join(posixpath.dirname(origin), path))
        if repo_path in pages:
            new = posixpath.relpath(pages[repo_path], posixpath.dirname(page) or ".")
        elif (REPO / repo_path).exists():
            kind = "tree" if (REPO / repo_path).is_dir() else "blob"
            new = f"{settings.REPOSITORY_URL}/{kind}/{settings.REPOSITORY_BRANCH}/{repo_path}"
        else:
            return match.group(0)  # left as it is: the build's -W reports it
        return f"{match.group(1)}{new}{hash_}{anchor}{match.group(3)}"

    out, in_fence = [], False
    for line in markdown.splitlines(keepends=True):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        out.append(line if in_fence else LINK.sub(rewrite, line))
    return "".join(out)


def _sections(markdown: str) -> list[tuple[str, str]]:
    """(level-2 heading or "", text) pieces of a Markdown file, fenced code respected."""
    pieces, heading, lines, in_fence = [], "", [], False
    for line in markdown.splitlines(keepends=True):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            pieces.append((heading, "".join(lines)))
            heading, lines = line[3:].strip(), []
        lines.append(line)
    pieces.append((heading, "".join(lines)))
    return pieces


def _toctree(caption: str, docs: list[str]) -> str:
    entries = "\n".join(docs)
    return f"```{{toctree}}\n:caption: {caption}\n:hidden:\n\n{entries}\n```\n"


SITE_NOTE = """\
```{{note}}
This is the course as a web page: every notebook is shown **executed**, with its figures,
progress bars and widgets as a run left them (the widgets are not connected to Python here),
and each exercise's worked solution folded away behind *Show solution*. To run a notebook,
use the rocket button at the top of its page ({launchers}), or clone the repository and
type `make lab`. The assignments are shown as students receive them.
```
"""


def home_page(notebooks: list[str], assignments: list[str]) -> str:
    """index.md: README's introduction and table of contents, then the navigation."""
    sections = dict(_sections((REPO / "README.md").read_text()))
    if "Table of contents" not in sections:
        raise ValueError("README.md has no '## Table of contents' section")
    launchers = [
        name for name, url in (("Binder", settings.BINDERHUB_URL), ("JupyterHub", settings.JUPYTERHUB_URL)) if url
    ]
    text = (
        sections[""].rstrip()
        + "\n\n"
        + SITE_NOTE.format(launchers=" or ".join(launchers) or "none configured")
        + "\n"
        + sections["Table of contents"].rstrip()
        + "\n\n"
        + _toctree("Notebooks", [f"notebooks/{Path(n).stem}" for n in notebooks])
        + "\n"
        + _toctree("Assignments (student versions)", [f"assignments/{n}" for n in assignments])
        + "\n"
        + _toctree("For instructors", [Path(p).with_suffix("").as_posix() for p in GUIDES.values()])
    )
    return rewrite_links(text, "README.md", "index.md")


def fold_solutions(nb: nbformat.NotebookNode) -> int:
    """Wrap every worked-solution cell in a collapsed "Show solution" dropdown; how many."""
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "markdown" or SOLUTION_TAG not in cell.metadata.get("tags", []):
            continue
        exercise = cell.metadata.get("exercise")
        title = f"Show solution (exercise {exercise})" if exercise else "Show solution"
        colons = max((len(m) for m in re.findall(r"^\s*(:{3,})", cell.source, re.M)), default=3)
        fence = ":" * max(4, colons + 1)
        cell.source = (
            f"{fence}{{dropdown}} {title}\n:class-container: course-solution\n\n{cell.source.strip()}\n{fence}"
        )
        count += 1
    return count


def notebook_page(executed_nb: Path, target: Path) -> None:
    nb = nbformat.read(executed_nb, as_version=4)
    nb.metadata.pop(executed.STAMP_KEY, None)
    fold_solutions(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)


def release_assignments(target_dir: Path) -> list[str]:
    """The student version of every assignment, released by nbgrader in a temporary copy of
    assignments/, as ``target_dir/<name>.ipynb``; the names."""
    names = assignment_names()
    target_dir.mkdir(parents=True, exist_ok=True)
    # nbgrader runs alembic from PATH: this environment's bin first
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    with tempfile.TemporaryDirectory(prefix="site-nbgrader-") as tmp:
        course = Path(tmp)
        shutil.copy(ASSIGNMENTS / "nbgrader_config.py", course)
        shutil.copytree(
            ASSIGNMENTS / "source",
            course / "source",
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
        for name in names:
            result = subprocess.run(
                [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force"]
                + [f"--CourseDirectory.root={course}"],
                cwd=course,
                env=env,
                capture_output=True,
                text=True,
            )
            released = course / "release" / name / f"{name}.ipynb"
            if result.returncode != 0 or not released.is_file():
                raise RuntimeError(f"nbgrader generate_assignment {name} failed:\n{result.stdout}\n{result.stderr}")
            found = leaks.markers_in(released.read_text())
            if found:  # nbgrader strips them; a release that still has one must never be published
                raise RuntimeError(f"the release of {name} still contains {found}")
            shutil.copy(released, target_dir / f"{name}.ipynb")
    return names


def assemble(executed_dir: Path = executed.EXECUTED_DIR, out: Path = settings.SITE_SRC) -> Path:
    """Write the whole Sphinx source into ``out`` (emptied first); returns ``out``."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    notebooks = sorted(p.name for p in executed.NOTEBOOKS.glob("*.ipynb"))
    for name in notebooks:
        notebook_page(executed_dir / name, out / "notebooks" / name)
    assignments = release_assignments(out / "assignments")
    for origin, page in GUIDES.items():
        (out / page).parent.mkdir(parents=True, exist_ok=True)
        (out / page).write_text(rewrite_links((REPO / origin).read_text(), origin, page))
    (out / "index.md").write_text(home_page(notebooks, assignments))
    return out

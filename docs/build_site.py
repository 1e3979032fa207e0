"""Build the course's website into build/site/html: ``python docs/build_site.py``.

1. ``vendor.py``: MathJax, RequireJS and the widget manager from npm (once; pinned, checked).
2. The executed notebooks in ``build/executed/``: each one that nbval saved in this checkout
   (``nbval_export.py``) is reused; one that is missing or stale is executed here with nbclient
   (``--reuse-only``: fail instead).
3. ``assemble.py``: the Sphinx source in ``build/site-src/`` (home page from README.md, the
   notebooks, the assignments' student versions released by nbgrader, the instructor's guides).
4. Sphinx, with warnings as errors (``SPHINX_ARGS``); it executes nothing
   (``nb_execution_mode = "off"``).
5. ``leaks.py``: no file of the built site may hold an assignment's solution or hidden test.

Writes ``build/site/build-info.json`` (what was done, the Sphinx command, timings) and
``build/site/warnings.log`` (Sphinx's warnings; empty after a successful build).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import assemble
import executed
import leaks
import settings
import vendor

HERE = Path(__file__).resolve().parent
# -W: a warning fails the build; --keep-going: but only after reporting all of them; -E: read
# every page anew (the assembled source is rewritten on every build).
SPHINX_ARGS = ["-W", "--keep-going", "-E", "-b", "html"]


def sphinx_command(src: Path, out: Path, doctrees: Path, warnings_log: Path) -> list[str]:
    """Sphinx with the site's configuration (this folder): ``src`` into ``out``."""
    options = [*SPHINX_ARGS, "-q", "-w", str(warnings_log), "-c", str(HERE), "-d", str(doctrees)]
    return [sys.executable, "-m", "sphinx", *options, str(src), str(out)]


def executed_notebooks(executed_dir: Path, reuse_only: bool) -> dict[str, str]:
    """Make ``executed_dir`` hold a fresh executed copy of every course notebook; for each,
    who executed it (``nbval``, ``nbclient``) and whether it was reused."""
    done = {}
    stale = [
        nb for nb in sorted(executed.NOTEBOOKS.glob("*.ipynb")) if not executed.is_fresh(executed_dir / nb.name, nb)
    ]
    if stale and reuse_only:
        raise SystemExit(
            f"--reuse-only: no fresh executed copy in {executed_dir} of: {', '.join(nb.name for nb in stale)} "
            "(run nbval with the nbval_export plugin first, or build without --reuse-only)"
        )
    for nb in sorted(executed.NOTEBOOKS.glob("*.ipynb")):
        if nb in stale:
            start = time.perf_counter()
            print(f"executing {nb.name} with nbclient ...", flush=True)
            executed.execute(nb, executed_dir)
            done[nb.name] = f"executed now by nbclient ({time.perf_counter() - start:.1f} s)"
        else:
            by = executed.read_stamp(executed_dir / nb.name).get("executed_by", "?")
            done[nb.name] = f"reused (executed by {by})"
    return done


def leaks_in(html_dir: Path) -> list[str]:
    """What a built site shows of the assignments' solutions and hidden tests (leaks.py)."""
    allowed = set()
    for page in assemble.GUIDES.values():  # the instructor's guides document the markers
        allowed |= {Path(page).with_suffix(".html").as_posix(), f"_sources/{page}.txt", f"_sources/{page}"}
    sources = sorted((assemble.ASSIGNMENTS / "source").glob("*/*.ipynb"))
    public = sorted(executed.NOTEBOOKS.glob("*.ipynb"))
    return leaks.find_leaks(html_dir, sources, public, allowed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse-only", action="store_true", help="fail if a notebook would have to be executed")
    parser.add_argument("--executed-dir", type=Path, default=executed.EXECUTED_DIR, help="default: %(default)s")
    args = parser.parse_args(argv)

    timings = {}
    start = time.perf_counter()
    vendor.vendor()
    timings["vendor"] = time.perf_counter() - start

    start = time.perf_counter()
    notebooks = executed_notebooks(args.executed_dir.resolve(), args.reuse_only)
    timings["executed notebooks"] = time.perf_counter() - start

    start = time.perf_counter()
    src = assemble.assemble(args.executed_dir.resolve())
    timings["assemble (nbgrader release included)"] = time.perf_counter() - start

    if settings.HTML_DIR.exists():
        shutil.rmtree(settings.HTML_DIR)  # nothing from an older build may be published
    settings.SITE_OUT.mkdir(parents=True, exist_ok=True)
    for old in (settings.BUILD_INFO, settings.WARNINGS_LOG):
        old.unlink(missing_ok=True)
    command = sphinx_command(src, settings.HTML_DIR, settings.DOCTREES, settings.WARNINGS_LOG)
    print("$", " ".join(command), flush=True)
    start = time.perf_counter()
    result = subprocess.run(command)
    timings["sphinx"] = time.perf_counter() - start
    if result.returncode != 0:
        print(f"sphinx failed ({result.returncode}); warnings: {settings.WARNINGS_LOG}", file=sys.stderr)
        return result.returncode

    start = time.perf_counter()
    found = leaks_in(settings.HTML_DIR)
    timings["leak check"] = time.perf_counter() - start
    if found:
        shutil.rmtree(settings.HTML_DIR)  # never left where it could be published
        print("the site showed what students must not see (removed):\n  " + "\n  ".join(found[:50]), file=sys.stderr)
        return 3

    settings.BUILD_INFO.write_text(
        json.dumps(
            {
                "sphinx_command": command,
                "warnings_as_errors": "-W" in command,
                "notebooks": notebooks,
                "seconds": {k: round(v, 1) for k, v in timings.items()},
            },
            indent=1,
        )
        + "\n"
    )
    print(f"site: {settings.HTML_DIR / 'index.html'}  ({', '.join(f'{k} {v:.1f} s' for k, v in timings.items())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

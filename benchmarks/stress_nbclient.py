"""Execute notebooks with nbclient many times, optionally beside a class being autograded.

Not a test (it takes minutes): a reproducible stress run for the hang that notebook runners
without a browser (nbclient: nbval, nbconvert --execute, nbgrader, a MyST-NB site build)
showed after explorer cells. Every execution has a per-cell timeout, so a hang fails fast and
names its cell.

    .venv/bin/python benchmarks/stress_nbclient.py --runs 3 notebooks/02_*.ipynb notebooks/04_*.ipynb
    .venv/bin/python benchmarks/stress_nbclient.py --runs 3 --with-autograde notebooks/0[0-8]_*.ipynb

Prints one line per execution (notebook, seconds, ok / hung in cell N / error) and a summary.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

ROOT = Path(__file__).resolve().parents[1]


def autograde_loop(stop_after: float) -> subprocess.Popen:
    """A background shell that autogrades the blank backprop release again and again."""
    course = Path(tempfile.mkdtemp(prefix="stress-course-")) / "assignments"
    shutil.copytree(
        ROOT / "assignments",
        course,
        ignore=shutil.ignore_patterns("release", "submitted", "autograded", "feedback", "gradebook.db", "batch_grade"),
    )
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run(
        [*nbgrader, "generate_assignment", "backprop", "--log-level=ERROR"],
        cwd=course,
        env=env,
        check=True,
        capture_output=True,
    )
    (course / "submitted" / "blank" / "backprop").mkdir(parents=True)
    shutil.copy(course / "release" / "backprop" / "backprop.ipynb", course / "submitted" / "blank" / "backprop")
    loop = (
        f"end=$((SECONDS + {int(stop_after)})); while [ $SECONDS -lt $end ]; do "
        f"{' '.join(nbgrader)} autograde backprop --force --log-level=ERROR || exit 1; done"
    )
    return subprocess.Popen(
        ["bash", "-c", loop], cwd=course, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def execute(path: Path, cell_timeout: float) -> tuple[float, str]:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb, timeout=cell_timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    try:
        client.execute()
        verdict = "ok"
    except CellTimeoutError as e:
        verdict = f"HUNG ({str(e).splitlines()[0][:120]})"
    except Exception as e:  # noqa: BLE001 (report any failure and go on)
        verdict = f"error {type(e).__name__}: {str(e).strip().splitlines()[-1][:120] if str(e).strip() else ''}"
    return time.perf_counter() - start, verdict


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("notebooks", nargs="+", type=Path)
    p.add_argument("--runs", type=int, default=3, help="executions of each notebook")
    p.add_argument("--cell-timeout", type=float, default=180.0)
    p.add_argument("--with-autograde", action="store_true", help="autograde a class in parallel")
    a = p.parse_args(argv)
    background = autograde_loop(stop_after=24 * 3600) if a.with_autograde else None
    results = []
    try:
        for run in range(1, a.runs + 1):
            for path in a.notebooks:
                seconds, verdict = execute(path.resolve(), a.cell_timeout)
                results.append(verdict)
                print(f"run {run} {path.name:<36} {seconds:6.1f} s  {verdict}", flush=True)
    finally:
        if background is not None:
            alive = background.poll() is None
            background.kill()
            if not alive:
                print(
                    "the background autograde loop had stopped (exit "
                    f"{background.returncode}): the load was not there throughout",
                    flush=True,
                )
    hung = sum(v.startswith("HUNG") for v in results)
    failed = sum(v.startswith("error") for v in results)
    print(
        f"{len(results)} executions{' beside autograde' if a.with_autograde else ''}: "
        f"{len(results) - hung - failed} ok, {hung} hung, {failed} failed"
    )
    return 1 if hung or failed else 0


if __name__ == "__main__":
    sys.exit(main())

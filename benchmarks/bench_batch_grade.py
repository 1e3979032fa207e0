"""Benchmark: the batch grader against plain serial ``nbgrader autograde``.

For each assignment in ``assignments/source`` it builds a synthetic class
(default 60 submissions: correct, blank, buggy mutants and hostile ones),
grades it twice in this run - with ``nbgrader autograde`` (serial, one kernel
per student) and with ``python -m grader`` - on two copies of
the course, and prints the wall time per submission, the totals, the
throughput ratio, and whether the two agree on every honest submission.

    .venv/bin/python benchmarks/bench_batch_grade.py [--n 60] [--jobs 2] [--cell-timeout 20]
        [--assignments backprop convolution]

Not a test: it takes minutes (serial nbgrader starts a kernel and imports
torch once per student). Report the machine load with the figures.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

HOSTILE = {
    "patch_numpy": "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True",
    "lying_eq": None,  # every answer returns an object equal to everything
    "infinite_loop": "while True:\n    pass",
    "huge_alloc": "import numpy as np\nbig = np.ones((10**6, 10**6))",
    "os_exit": "import os\nos._exit(1)",
    "fork_bomb_bounded": (
        "import os, time\nfor _ in range(40):\n    try:\n        if os.fork() == 0:\n"
        "            time.sleep(20)\n            os._exit(0)\n    except OSError:\n        break"
    ),
    "reads_source": "print(open('{source}').read()[:100])",
    "garbage": b"{ this is not a notebook",
}


def strip_markers(source: str) -> str:
    return "\n".join(
        line for line in source.splitlines() if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
    )


def make_course(tmp: Path, assignment: str) -> Path:
    course = tmp / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "assignments" / "source" / assignment, course / "source" / assignment)
    env = dict(os.environ, PATH=os.path.dirname(PY) + os.pathsep + os.environ["PATH"])
    subprocess.run(
        [PY, "-m", "nbgrader", "generate_assignment", assignment, "--force", "--log-level=WARN"],
        cwd=course,
        check=True,
        env=env,
    )
    return course


def mutate(source: str, rng: random.Random) -> str:
    """A plausible bug: flip one operator (or an index) in the function body."""
    lines = source.splitlines()
    body = [
        i
        for i, l in enumerate(lines)
        if i > 0 and not l.strip().startswith(("#", '"""', "def ")) and re.search(r"[-+*/]|\breturn\b", l)
    ]
    rng.shuffle(body)
    for i in body:
        for a, b in (
            (" + ", " - "),
            (" - ", " + "),
            (" * ", " / "),
            ("axis=0", "axis=1"),
            ("max(", "min("),
            ("sum(", "mean("),
        ):
            if a in lines[i]:
                lines[i] = lines[i].replace(a, b, 1)
                return "\n".join(lines)
    return source.replace("return ", "return 0 * ", 1)


def make_class(course: Path, assignment: str, n: int, seed: int = 0) -> dict[str, str]:
    """Write ``n`` submissions into ``course/submitted``; returns student -> kind."""
    rng = random.Random(seed)
    nb_name = next((course / "source" / assignment).glob("*.ipynb")).name
    release = nbformat.read(course / "release" / assignment / nb_name, as_version=4)
    source = nbformat.read(course / "source" / assignment / nb_name, as_version=4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: strip_markers(c.source)
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }

    def correct():
        nb = copy.deepcopy(release)
        for c in nb.cells:
            gid = c.metadata.get("nbgrader", {}).get("grade_id")
            if gid in answers:
                c.source = answers[gid]
        return nb

    kinds = []
    n_hostile = min(len(HOSTILE), max(n // 6, 1))
    n_blank = max(n // 12, 1)
    n_buggy = n // 4
    kinds += [f"hostile:{k}" for k in list(HOSTILE)[:n_hostile]]
    kinds += ["blank"] * n_blank + ["buggy"] * n_buggy
    kinds += ["correct"] * (n - len(kinds))
    out = {}
    for i, kind in enumerate(kinds):
        student = f"st{i:03d}"
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        path = folder / nb_name
        if kind == "blank":
            nb = copy.deepcopy(release)
        elif kind == "buggy":
            nb = correct()
            sol = [
                c
                for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") in answers and c.cell_type == "code"
            ]
            cell = rng.choice(sol)
            cell.source = mutate(cell.source, rng)
        elif kind == "correct":
            nb = correct()
        else:
            name = kind.split(":")[1]
            extra = HOSTILE[name]
            if isinstance(extra, bytes):
                path.write_bytes(extra)
                out[student] = kind
                continue
            nb = correct()
            if name == "lying_eq":
                for c in nb.cells:
                    if c.metadata.get("nbgrader", {}).get("grade_id") in answers and c.cell_type == "code":
                        fn = re.search(r"def (\w+)\(", c.source)
                        if fn:
                            c.source += (
                                f"\nclass _Liar:\n    __eq__ = lambda s, o: True\n    __bool__ = lambda s: True\n"
                                f"def {fn.group(1)}(*a, **k):\n    return _Liar()\n"
                            )
            else:
                extra = extra.format(source=course / "source" / assignment / nb_name)
                setup = next(
                    i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "setup"
                )
                nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(extra))
        nbformat.write(nb, path)
        out[student] = kind
    return out


def nbgrader_scores(course: Path, assignment: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.find_assignment(assignment).submissions}


def run(assignment: str, n: int, jobs: int, cell_timeout: float) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{assignment}-"))
    # both graders import this checkout's course_utils (the kernel too)
    env = dict(
        os.environ,
        PATH=os.path.dirname(PY) + os.pathsep + os.environ["PATH"],
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    try:
        base = make_course(tmp / "base", assignment)
        kinds = make_class(base, assignment, n)
        serial, batch = tmp / "serial", tmp / "batch"
        shutil.copytree(base, serial)
        shutil.copytree(base, batch)
        t0 = time.monotonic()
        subprocess.run(
            [
                PY,
                "-m",
                "nbgrader",
                "autograde",
                assignment,
                "--force",
                "--log-level=ERROR",
                f"--Execute.timeout={int(cell_timeout)}",
            ],
            cwd=serial,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        t_serial = time.monotonic() - t0
        t0 = time.monotonic()
        subprocess.run(
            [
                PY,
                "-m",
                "grader",
                assignment,
                str(batch / "submitted"),
                "--course",
                str(batch),
                "--jobs",
                str(jobs),
                "--cell-timeout",
                str(cell_timeout),
            ],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        t_batch = time.monotonic() - t0
        ref = nbgrader_scores(serial, assignment)
        ours = nbgrader_scores(batch, assignment)
        import csv

        with open(batch / "batch_grade" / assignment / "grades.csv") as fh:
            rows = {r["student"]: r for r in csv.DictReader(fh)}
        print(
            f"\n== {assignment}: {n} submissions ("
            + ", ".join(f"{k}: {list(kinds.values()).count(k)}" for k in sorted(set(kinds.values())))
            + ")"
        )
        print(f"{'student':<8} {'kind':<26} {'nbgrader':>9} {'batch':>7}  status")
        agree = honest = 0
        for s, kind in kinds.items():
            r = rows.get(s, {})
            a, b = ref.get(s), ours.get(s)
            if kind in ("correct", "blank", "buggy"):
                honest += 1
                agree += a is not None and b is not None and abs(a - b) < 1e-6
            print(
                f"{s:<8} {kind:<26} {a if a is not None else '-':>9} {b if b is not None else '-':>7}  "
                f"{r.get('status', '?')} {r.get('reason', '')[:70]}"
            )
        res = {
            "assignment": assignment,
            "n": n,
            "serial_s": t_serial,
            "batch_s": t_batch,
            "ratio": t_serial / t_batch,
            "agree": agree,
            "honest": honest,
        }
        print(f"serial nbgrader autograde: {t_serial:7.1f} s total, {t_serial / n:5.2f} s per submission")
        print(f"batch grader (--jobs {jobs}):  {t_batch:7.1f} s total, {t_batch / n:5.2f} s per submission")
        print(f"throughput ratio: {t_serial / t_batch:.2f}x; honest submissions with equal scores: {agree}/{honest}")
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=60)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--cell-timeout", type=float, default=20)
    p.add_argument(
        "--assignments",
        nargs="*",
        default=sorted(p.name for p in (ROOT / "assignments" / "source").iterdir() if p.is_dir()),
    )
    a = p.parse_args()
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} CPUs")
    results = [run(x, a.n, a.jobs, a.cell_timeout) for x in a.assignments]
    print("\n| assignment | n | serial nbgrader (s) | per sub | batch (s) | per sub | ratio | honest agree |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['assignment']} | {r['n']} | {r['serial_s']:.1f} | {r['serial_s'] / r['n']:.2f} | "
            f"{r['batch_s']:.1f} | {r['batch_s'] / r['n']:.2f} | {r['ratio']:.2f}x | {r['agree']}/{r['honest']} |"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

"""Batch grader: autograde a whole class in parallel, safely and resumably.

Usage (see ``assignments/GRADING.md``)::

    python -m grader ASSIGNMENT SUBMISSIONS [--course assignments] [--jobs N]

``SUBMISSIONS`` is a folder of notebooks (``alice.ipynb``, one per student), a
folder of student folders (``alice/backprop.ipynb``), nbgrader's
``submitted/`` layout (``alice/backprop/backprop.ipynb``), or a ``.zip`` of any
of these. For every student it writes a result file
(``<course>/batch_grade/<assignment>/results/<student>.json``, atomically),
the autograded notebook, a feedback page, the nbgrader gradebook entry, and at
the end ``grades.csv`` and a summary table (student, score, status, reason).

Design:

* the coordinator (this module) is the gradebook's *only* writer: workers
  write result files, the coordinator imports them one at a time (:mod:`grader.gradebook`);
* a pre-forked zygote (:mod:`grader.worker`) forks one worker
  per student, ``--jobs`` at a time; each worker forks a sandboxed student
  process (:mod:`grader.sandbox`) and runs the hidden tests
  itself (:mod:`grader.checker`);
* a run skips every student whose notebook, source notebook and limits are
  unchanged since their result file was written, so a run killed half-way
  (even with ``kill -9``) loses nothing already recorded.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .bubblewrap import command_prefix, find_bwrap
from .cgroups import kill_slot, slot_cgroups
from .gradebook import Gradebook, copy_submission_records
from .late import course_config
from .limits import Limits
from .messages import Job, Status
from .privacy import CourseNotPrivate, make_private, private_file
from .privileges import UID_BASE, set_pdeathsig
from .probe import probe
from .rundir import run_folder
from .scan import notebook_imports
from .slots import claimed_slots
from .submissions import collect, safe_extract
from .worker import file_sha256, write_json_atomic, write_text_atomic

GRADER_VERSION = "1"
STATUSES = tuple(Status)  # the outcomes, in the order of GRADING.md's table


@dataclass
class Options:
    assignment: str
    submissions: Path
    course: Path = Path("assignments")
    jobs: int = max(os.cpu_count() or 1, 1)
    out: Path | None = None
    limits: Limits = field(default_factory=Limits)
    force: bool = False
    gradebook: bool = True
    forbid: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    quiet: bool = False
    bubblewrap: bool = True  # run the worker pool under bubblewrap when it is there (grader.bubblewrap)


# ---------------------------------------------------------------- the batch
def _source_notebook(course: Path, assignment: str) -> Path:
    folder = course / "source" / assignment
    nbs = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if len(nbs) != 1:
        raise ValueError(f"expected exactly one notebook in {folder}, found {len(nbs)}")
    return nbs[0]


def _forbidden(release_or_source, opts: Options) -> tuple[str, ...]:
    """Frameworks the students' cells may not import: torch/tensorflow/jax unless
    the assignment's own student-facing cells import them."""
    from .plan import cell_kind

    text = "\n".join(
        c.source for c in release_or_source.cells if c.cell_type == "code" and cell_kind(c) in ("solution", "plain")
    )
    default = {
        m for m in ("torch", "tensorflow", "jax", "autograd") if f"import {m}" not in text and f"from {m}" not in text
    }
    return tuple(sorted((default | set(opts.forbid)) - set(opts.allow)))


class Zygote:
    """The pre-forked worker process (:mod:`grader.worker`), under bubblewrap when ``bwrap`` is
    given: then only ``writable`` (and its own IPython folder) can be written to from inside."""

    def __init__(
        self, run_dir: Path, env_extra: dict | None = None, bwrap: str | None = None, writable=(), readable=()
    ):
        env = dict(
            os.environ,
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
            MPLBACKEND="Agg",
            PYTHONDONTWRITEBYTECODE="1",
            IPYTHONDIR=tempfile.mkdtemp(prefix="ipython-", dir=run_dir),
            **(env_extra or {}),
        )
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        # matplotlib's cache goes next to IPython's: the home folder is read-only under bubblewrap
        env.setdefault("MPLCONFIGDIR", str(Path(env["IPYTHONDIR"]) / "matplotlib"))
        prefix = command_prefix(bwrap, [*writable, env["IPYTHONDIR"]], readable) if bwrap else []
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "grader.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=tempfile.gettempdir(),
            preexec_fn=set_pdeathsig,  # the pool dies with the coordinator
        )
        self.ipython_dir = env["IPYTHONDIR"]
        self.ready = False
        self._buf = b""

    def _lines(self, timeout: float | None) -> list[dict]:
        """Complete JSON lines from the zygote (own buffering: select() cannot see
        lines already sitting in a Python file buffer)."""
        import select

        fd = self.proc.stdout.fileno()
        if b"\n" not in self._buf:
            ready, _, _ = select.select([fd], [], [], timeout)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise RuntimeError("the grader's worker process died")
                self._buf += chunk
        out = []
        while b"\n" in self._buf:
            line, self._buf = self._buf.split(b"\n", 1)
            if line.strip():
                out.append(json.loads(line))
        return out

    def wait_ready(self):
        while not self.ready:
            for ev in self._lines(None):
                if "ready" in ev:
                    self.ready = True

    def submit(self, job: Job) -> None:
        self.proc.stdin.write((json.dumps(job.to_wire()) + "\n").encode())
        self.proc.stdin.flush()

    def events(self, timeout: float):
        return self._lines(timeout)

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass  # the zygote already died: its stdin pipe is broken, nothing left to tell it
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.ipython_dir, ignore_errors=True)


def grade(opts: Options) -> list[dict]:
    """Grade every submission of ``opts.assignment``; returns one result per student."""
    with run_folder() as run_dir:  # removed when the run ends; if it is killed, by the next run
        return _grade(opts, run_dir)


def _grade(opts: Options, run_dir: Path) -> list[dict]:
    import nbformat

    course = Path(opts.course).resolve()
    if course.is_dir():  # private before anything is written into it (grader/privacy.py)
        for change in make_private(course):
            print(f"made private: {change}", file=sys.stderr)
    source_path = _source_notebook(course, opts.assignment)
    notebook = source_path.stem
    source_nb = nbformat.read(source_path, as_version=4)
    source_nb["__name__"] = notebook
    from .plan import cell_kind, nbgrader_meta

    tests = {
        nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c).get("points", 0) or 0)
        for c in source_nb.cells
        if cell_kind(c) == "test"
    }
    max_score = sum(tests.values())
    release_dir = course / "release" / opts.assignment
    release_files = (
        [str(p) for p in release_dir.glob("*") if p.is_file() and p.suffix != ".ipynb"] if release_dir.is_dir() else []
    )
    out = Path(opts.out).resolve() if opts.out else course / "batch_grade" / opts.assignment
    for d in (out, out / "results"):
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o700)
    feedback_root = course / "feedback"
    autograded_root = course / "autograded"
    for d in (feedback_root, autograded_root):
        d.mkdir(parents=True, exist_ok=True)  # made before the worker pool starts: bubblewrap binds them

    subs_path = Path(opts.submissions)
    if subs_path.suffix == ".zip":  # unpacked into a 0700 folder: no slot's uid can read a classmate's notebook
        subs_path = safe_extract(subs_path, Path(tempfile.mkdtemp(prefix="zip-", dir=run_dir)))
    submissions = collect(subs_path, opts.assignment, notebook)
    caps = probe()
    bwrap, why_not = find_bwrap() if opts.bubblewrap else (None, "bubblewrap (--no-bubblewrap)")
    caps["bubblewrap"] = bwrap is not None
    if why_not:
        caps["not_enforced"].append(why_not)
    grader_code = "".join(sorted(file_sha256(p) for p in Path(__file__).parent.glob("*.py")))
    config_key = hashlib.sha256(
        json.dumps(
            [
                GRADER_VERSION,
                grader_code,
                file_sha256(source_path),
                opts.limits.to_json(),
                sorted(_forbidden(source_nb, opts)),
            ]
        ).encode()
    ).hexdigest()
    todo, results = [], {}
    for sub in submissions:
        digest = file_sha256(sub.path) if sub.path else hashlib.sha256(repr(sub.problem).encode()).hexdigest()
        key = hashlib.sha256((config_key + digest).encode()).hexdigest()
        res_path = out / "results" / f"{sub.student}.json"
        if not opts.force and res_path.is_file():
            try:
                old = json.loads(res_path.read_text())
                if old.get("key") == key:
                    results[sub.student] = old
                    continue
            except (OSError, ValueError):
                pass  # an unreadable or half-written result: grade the student again
        todo.append((sub, key, res_path))

    # the zygote imports what the assignment imports, once for the whole class
    # students' scratch folders (each owned by its slot's uid) live outside the private state folder
    scratch_root = str(run_dir / "scratch")
    zyg = (
        Zygote(
            run_dir,
            {"BATCH_GRADE_PRELOAD": ",".join(notebook_imports(source_nb))},
            bwrap,
            writable=[out, feedback_root, autograded_root, scratch_root],
            readable=[course, subs_path],
        )
        if todo
        else None
    )
    gradebook = Gradebook(course, opts.assignment, source_nb) if opts.gradebook else None
    for res in results.values():  # re-sync what an interrupted run recorded
        if gradebook:
            gradebook.record(res)
    log = (lambda *a: None) if opts.quiet else (lambda *a: print(*a, flush=True))
    log(
        f"{opts.assignment}: {len(submissions)} submissions, {len(todo)} to grade, "
        f"{len(results)} unchanged; {opts.jobs} at a time; enforced: {_enforced(caps)}"
    )
    t0 = time.monotonic()
    if todo:
        _run_jobs(
            zyg,
            todo,
            _Run(
                opts, caps, course, out, source_path, notebook, tests, max_score, release_files,
                feedback_root, autograded_root, gradebook, results, log, _forbidden(source_nb, opts), scratch_root,
            ),
        )  # fmt: skip
    late_config = course_config(course) if gradebook else None
    for sub in submissions:
        if sub.student in results:
            when = copy_submission_records(sub, course, opts.assignment)
            penalty = gradebook.set_timestamp(sub.student, when, late_config) if gradebook and when else 0.0
            results[sub.student]["late_penalty"] = penalty
            show_late_penalty(feedback_root / sub.student / opts.assignment / f"{notebook}.html", results[sub.student])
    if gradebook:
        gradebook.close()
    ordered = [results[s.student] for s in submissions if s.student in results]
    write_csv(out / "grades.csv", ordered, list(tests))
    log(summary_table(ordered))
    log(
        f"graded {len(todo)} in {time.monotonic() - t0:.1f} s; grades: {out / 'grades.csv'}; "
        f"feedback: {feedback_root}/<student>/{opts.assignment}/"
    )
    return ordered


def show_late_penalty(page: Path, result: dict) -> None:
    """Put the late penalty recorded in ``result`` (or its absence) on the student's feedback page."""
    from .feedback_page import late_penalty_html

    if not page.is_file():
        return
    before = page.read_text()
    after = late_penalty_html(before, result.get("late_penalty", 0.0), result["score"], result["max_score"])
    if after != before:
        write_text_atomic(page, after, public=True)


def _enforced(caps: dict) -> str:
    """The summary's "enforced:" text: each mechanism in force (cgroups with their version), then
    "not enforced: ..." with what the machine did not allow and why (see :func:`grader.probe.probe`)."""
    parts = ["rlimits(AS,CPU,FSIZE,NOFILE)"]
    parts.append(
        "uid per slot + RLIMIT_NPROC"
        if caps["setuid"]
        else "root without capabilities"
        if caps.get("dropcaps")
        else "RLIMIT_NPROC (shared uid)"
    )
    if caps["landlock_abi"]:
        parts.append(f"landlock v{caps['landlock_abi']}")
    for ctrl in ("memory", "pids"):
        if caps.get(f"cgroup_{ctrl}"):
            parts.append(f"{ctrl} cgroup v{caps.get(f'cgroup_{ctrl}_version') or 1}")
    if caps["netns"]:
        parts.append("no network")
    if caps.get("bubblewrap"):
        parts.append("bubblewrap (read-only file system but the run's folders, no network, IPC or UTS shared)")
    text = ", ".join(parts)
    if caps.get("not_enforced"):
        text += "; not enforced: " + "; ".join(caps["not_enforced"])
    return text


@dataclass
class _Run:
    """What every job of one run shares (the coordinator's side)."""

    opts: Options
    caps: dict
    course: Path
    out: Path
    source_path: Path
    notebook: str
    tests: list
    max_score: float
    release_files: list
    feedback_root: Path
    autograded_root: Path
    gradebook: object  # Gradebook or None
    results: dict
    log: object  # print-like
    forbidden: tuple
    scratch_root: str


def _run_jobs(zyg, todo, run: _Run):
    """Grade ``todo`` ((submission, key, result path) triples), ``run.opts.jobs`` at a time."""
    zyg.wait_ready()
    with claimed_slots(run.opts.jobs, log=run.log) as free_slots:  # slots no other batch run on this machine holds
        _run_claimed(zyg, todo, run, free_slots)


def _run_claimed(zyg, todo, run: _Run, free_slots: list[int]):
    """Grade ``todo`` on the slots ``free_slots`` (each student takes one, and gives it back when done)."""
    queue = list(todo)
    running: dict[str, dict] = {}
    try:
        while queue or running:
            while queue and free_slots:
                sub, key, res_path = queue.pop(0)
                slot = free_slots.pop(0)
                job = Job(
                    id=sub.student,
                    student=sub.student,
                    assignment=run.opts.assignment,
                    notebook=run.notebook,
                    path=str(sub.path) if sub.path else None,
                    problem=list(sub.problem) if sub.problem else None,
                    key=key,
                    source=str(run.source_path),
                    slot=slot,
                    caps=run.caps,
                    limits=run.opts.limits.to_json(),
                    scratch_root=run.scratch_root,
                    release_files=run.release_files,
                    result=str(res_path),
                    test_ids=list(run.tests),
                    max_score=run.max_score,
                    forbidden=list(run.forbidden),
                    feedback=str(run.feedback_root / sub.student / run.opts.assignment / f"{run.notebook}.html"),
                    autograded=str(run.autograded_root / sub.student / run.opts.assignment / f"{run.notebook}.ipynb"),
                )
                zyg.submit(job)
                running[job.id] = {"job": job, "start": time.monotonic(), "pid": None}
            for ev in zyg.events(0.2):
                if "started" in ev and ev["started"] in running:
                    running[ev["started"]]["pid"] = ev["pid"]
                elif "done" in ev and ev["done"] in running:
                    info = running.pop(ev["done"])
                    free_slots.append(info["job"].slot)
                    _collect_result(info["job"], ev.get("code"), run.gradebook, run.results, run.log)
            # watchdog: a worker that outlives its notebook budget by a lot is killed
            overall = run.opts.limits.notebook_timeout + 4 * run.opts.limits.interrupt_grace + 60
            for info in list(running.values()):
                if info["pid"] and time.monotonic() - info["start"] > overall:
                    try:
                        os.kill(info["pid"], signal.SIGKILL)
                    except OSError:
                        pass  # it ended meanwhile
                    slot = info["job"].slot
                    slot_uid = UID_BASE + slot if run.caps["setuid"] else None
                    kill_slot(slot_uid, slot_cgroups(slot, run.caps, run.opts.limits), None)
                    info["start"] = float("inf")  # its "done" event will follow
    finally:
        zyg.close()


def _collect_result(job: Job, code, gradebook, results, log):
    """Read the result file a finished worker wrote (or record a grader error when there is
    none), import it into the gradebook and log its line."""
    path = Path(job.result)
    try:
        res = json.loads(path.read_text())
        if res.get("key") != job.key:
            raise ValueError("stale result")
    except (OSError, ValueError):
        res = job.result_record(Status.GRADER_ERROR, f"the grading process ended without a result (exit code {code})")
        write_json_atomic(path, res)
    results[job.student] = res
    if gradebook:
        gradebook.record(res)
    log(
        f"  {res['student']:<24} {res['score']:>6g} / {res['max_score']:<4g} {res['status']:<12} "
        f"{res.get('seconds', 0):5.1f} s  {res['reason'][:80]}"
    )


def write_csv(path: Path, results: list[dict], test_ids: list[str]) -> None:
    tmp = private_file(path.with_suffix(".csv.tmp"))  # every student's grade: the instructor's only
    with open(tmp, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["student", "assignment", "score", "late_penalty", "max_score", "status", "reason"] + test_ids)
        for r in results:
            late = r.get("late_penalty", 0.0)
            w.writerow(
                [r["student"], r["assignment"], f"{r['score'] - late:g}", f"{late:g}", f"{r['max_score']:g}"]
                + [r["status"], r["reason"]]
                + [f"{r['scores'].get(t, 0):g}" for t in test_ids]
            )
    os.replace(tmp, path)


def summary_table(results: list[dict]) -> str:
    lines = [f"{'student':<24} {'score':>13}  {'status':<12} reason", "-" * 90]
    for r in results:
        lines.append(
            f"{r['student']:<24} {r['score']:>6g} / {r['max_score']:<5g} {r['status']:<12} {r['reason'][:120]}"
        )
    counts = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    lines.append("-" * 90)
    lines.append("  ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m grader", description=__doc__.split("\n\n")[0])
    p.add_argument("assignment")
    p.add_argument("submissions", type=Path, help="folder or .zip of submissions")
    p.add_argument("--course", type=Path, default=Path("assignments"), help="nbgrader course root")
    p.add_argument("--jobs", "-j", type=int, default=max(os.cpu_count() or 1, 1))
    p.add_argument("--out", type=Path, default=None, help="state folder (default <course>/batch_grade/<assignment>)")
    p.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout)
    p.add_argument("--notebook-timeout", type=float, default=Limits.notebook_timeout)
    p.add_argument("--memory-mb", type=int, default=Limits.memory_mb)
    p.add_argument("--nproc", type=int, default=Limits.nproc)
    p.add_argument("--force", action="store_true", help="regrade everything, even unchanged submissions")
    p.add_argument("--no-gradebook", action="store_true")
    p.add_argument("--forbid", action="append", default=[], help="module student cells may not import")
    p.add_argument("--allow", action="append", default=[], help="module student cells may import after all")
    p.add_argument(
        "--no-bubblewrap", action="store_true", help="run the worker pool without bubblewrap even where it is installed"
    )
    a = p.parse_args(argv)
    limits = Limits(
        cell_timeout=a.cell_timeout, notebook_timeout=a.notebook_timeout, memory_mb=a.memory_mb, nproc=a.nproc
    )
    try:
        grade(
            Options(
                a.assignment,
                a.submissions,
                a.course,
                max(a.jobs, 1),
                a.out,
                limits,
                a.force,
                not a.no_gradebook,
                tuple(a.forbid),
                tuple(a.allow),
                bubblewrap=not a.no_bubblewrap,
            )
        )
    except (ValueError, CourseNotPrivate) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0

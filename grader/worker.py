"""The pre-forked "zygote" and the per-student worker of the batch grader.

Part of :mod:`grader`. The coordinator starts the zygote as
a *fresh* interpreter (``python -m grader.worker``), so it
holds no secret in memory. The zygote imports numpy, torch, IPython, nbformat
and the course's grading helpers once, then forks one worker per student: a
student costs a ``fork()``, not an interpreter start plus imports.

Zygote protocol (JSON lines): the coordinator writes ``{"job": {...}}`` to its
stdin; it answers ``{"started": id, "pid": pid}`` and ``{"done": id, "code": c}``.
Each worker writes its result file atomically as its very last step.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from .messages import Job, RunState, Status

PRELOAD = (
    "numpy",
    "torch",
    "nbformat",
    "IPython.core.interactiveshell",
    "matplotlib",
    "matplotlib.pyplot",
    "course_utils.grading",
)


def write_json_atomic(path: Path, data: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_text_atomic(path: Path, text: str, public: bool = False) -> None:
    """Write ``text`` to ``path`` atomically: instructor-only (file 0600, new folders 0700),
    or with ``public=True`` readable by the student it is for (file 0644, its two folders
    ``<student>/<assignment>/`` 0755: nbgrader's release_feedback copies the file's mode into
    the exchange, where the student must read it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755 if public else 0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    if public:
        os.chmod(tmp, 0o644)
        for folder in (path.parent, path.parent.parent):
            os.chmod(folder, 0o755)
    os.replace(tmp, path)


def _death_reason(pid: int, cgroups) -> str | None:
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    if done == 0:
        return None
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGKILL and cgroups is not None and cgroups.oom_killed():
            return "killed by the memory limit"
        names = {
            signal.SIGSEGV: "SIGSEGV: a crash, e.g. recursion deeper than the C stack",
            signal.SIGXCPU: "SIGXCPU: the CPU time limit",
            signal.SIGKILL: "SIGKILL",
            signal.SIGABRT: "SIGABRT",
        }
        return f"killed by signal {names.get(sig, sig)}"
    return f"the student process exited (exit code {os.WEXITSTATUS(status)}, e.g. os._exit)"


def grade_job(job: Job) -> dict:
    """Grade one student's notebook (runs in a forked worker, as root or the user); returns
    the result written to ``job.result``."""
    import nbformat

    from .cgroups import kill_slot
    from .channel import Channel
    from .checker import execute_plan
    from .codec import ProtocolError, StudentTimeout, recv_msg
    from .feedback_page import feedback_html
    from .limits import Limits
    from .plan import SubmissionError, build_plan, read_submission
    from .sandbox import start_student
    from .scan import forbidden_uses

    limits = Limits.from_json(job.limits)
    result = job.result_record(Status.GRADED, "")
    result["scores"] = {}
    t0 = time.monotonic()
    problem = job.problem
    nb = None
    try:
        if problem:
            raise SubmissionError(Status(problem[0]), problem[1])
        nb, notes = read_submission(job.path)
        result["notes"] += notes
    except SubmissionError as err:
        result["status"], result["reason"] = err.status, err.reason
    if nb is None:
        result["scores"] = {gid: 0.0 for gid in job.test_ids}
        html = (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><h1>{job.assignment}: "
            f"feedback</h1><p>Score: 0 / {job.max_score:g}. Your notebook could not be graded: "
            f"{_esc(result['reason'])}</p></body></html>"
        )
        write_text_atomic(Path(job.feedback), html, public=True)
        result["seconds"] = time.monotonic() - t0
        write_json_atomic(Path(job.result), result)
        return result

    scratch = Path(tempfile.mkdtemp(prefix=f"s{job.slot}-", dir=job.scratch_root))
    for extra in job.release_files:
        try:
            shutil.copy(extra, scratch / Path(extra).name)
        except OSError:
            pass  # a release file that vanished: the student's code sees it missing, as in Jupyter
    caps = job.caps
    # fork the sandbox BEFORE reading any secret: it inherits nothing worth stealing
    pid, sock, cgroups, uid = start_student(job.slot, caps, limits, scratch, forbidden=job.forbidden)
    dead_reason: list[str] = []

    def on_dead(why):
        if why:
            kill_slot(uid, cgroups, pid)
            dead_reason.append(why)
        time.sleep(0.05)
        reason = _death_reason(pid, cgroups)
        if reason:
            dead_reason.append(reason)
        return dead_reason[-1] if dead_reason else None

    def on_timeout(chan, seq):
        try:
            os.kill(pid, signal.SIGINT)
        except OSError:
            return
        end = time.monotonic() + limits.interrupt_grace
        try:
            while True:
                msg = recv_msg(chan.sock, end)
                if msg.get("id") == seq:
                    return
        except (StudentTimeout, ProtocolError):
            pass  # no answer within the grace time, or the process is gone: killed just below
        kill_slot(uid, cgroups, pid)
        chan.dead = "stopped: it did not respond to an interrupt after the time limit"
        dead_reason.append("stopped after the time limit (it ignored the interrupt)")

    try:
        source_nb = nbformat.read(job.source, as_version=4)
        plan = build_plan(source_nb, nb)
        uses = forbidden_uses(plan, source_nb, job.forbidden)
        if uses:  # e.g. the answer computed with torch autograd in a numpy-only assignment
            results, events, state = {}, [], RunState.FORBIDDEN
            plan.notes.append("forbidden module: " + "; ".join(uses))
        else:
            chan = Channel(sock, on_timeout=on_timeout)
            results, events, state = execute_plan(
                plan, chan, limits, lambda: _death_reason(pid, cgroups) is None, on_dead
            )
    finally:
        kill_slot(uid, cgroups, pid)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass  # already reaped (by _death_reason)
        sock.close()
        shutil.rmtree(scratch, ignore_errors=True)
    score = sum(r.score for r in results.values())
    result["scores"] = {gid: results[gid].score if gid in results else 0.0 for gid in job.test_ids}
    result["tests"] = {
        gid: {"score": r.score, "points": r.points, "message": r.message[:500]} for gid, r in results.items()
    }
    result["score"] = round(score, 6)
    result["notes"] += plan.notes + events
    if state == RunState.FORBIDDEN:
        result["status"] = Status.FORBIDDEN
        result["reason"] = plan.notes[-1] + " (not allowed in this assignment; no credit)"
    elif state == RunState.CRASHED or dead_reason:
        timed_out = state == RunState.TIMEOUT or any("time limit" in r for r in dead_reason)
        result["status"] = Status.TIMEOUT if timed_out else Status.CRASHED
        result["reason"] = "; ".join(
            dict.fromkeys([e for e in events if "ended" in e or "limit" in e] + dead_reason[-1:])
        )
    elif state == RunState.TIMEOUT or any("time limit" in e for e in events):
        result["status"] = Status.TIMEOUT
        result["reason"] = "; ".join(e for e in events if "time limit" in e)
    elif plan.tampered:
        result["status"] = Status.TAMPERED
        result["reason"] = "; ".join(n for n in plan.notes if "restored" in n or "duplicate" in n or "changed" in n)
    else:
        result["reason"] = "; ".join(plan.notes)
    result["reason"] = result["reason"][:500]
    out_nb = nbformat.v4.new_notebook(cells=[e.cell for e in plan.entries], metadata=source_nb.metadata)
    write_text_atomic(Path(job.autograded), nbformat.writes(out_nb))
    write_text_atomic(
        Path(job.feedback),
        feedback_html(
            job.student,
            job.assignment,
            job.notebook,
            plan,
            results,
            result["status"],
            result["reason"],
            score,
            job.max_score,
        ),
        public=True,
    )
    result["seconds"] = time.monotonic() - t0
    write_json_atomic(Path(job.result), result)
    return result


def _esc(text: str) -> str:
    import html

    return html.escape(text)


def _run_worker(job: Job) -> int:
    """Grade ``job`` in this forked worker; returns its exit code (0 graded, 2 grader error recorded,
    3 not even that could be written)."""
    try:
        grade_job(job)
        return 0
    except BaseException as exc:  # noqa: BLE001 - recorded for this student, the batch goes on
        import traceback

        err = job.result_record(
            Status.GRADER_ERROR,
            f"the grader failed on this submission: {type(exc).__name__}: {exc}"[:500],
            [traceback.format_exc()[-2000:]],
        )
        try:
            write_json_atomic(Path(job.result), err)
        except OSError:
            return 3
        return 2


def zygote() -> None:
    """Serve jobs from stdin (see the module docstring)."""
    from .privileges import set_nondumpable, set_pdeathsig

    set_pdeathsig()
    set_nondumpable()
    extra = [m for m in os.environ.get("BATCH_GRADE_PRELOAD", "").split(",") if m]
    for name in list(PRELOAD) + extra:
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - optional: a worker imports what it needs itself
            pass
    try:
        import torch

        torch.set_num_threads(1)
    except Exception:  # noqa: BLE001 - torch is optional (numpy-only assignments)
        pass
    out = sys.stdout
    stdin_fd = sys.stdin.fileno()
    running: dict[int, str] = {}
    buf = b""
    print(json.dumps({"ready": os.getpid()}), file=out, flush=True)
    eof = False
    while not eof or running:
        ready, _, _ = select.select([] if eof else [stdin_fd], [], [], 0.05)
        if ready:
            chunk = os.read(stdin_fd, 1 << 16)
            if not chunk:
                eof = True
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if not line.strip():
                    continue
                job = Job.from_wire(json.loads(line))
                pid = os.fork()
                if pid == 0:
                    set_pdeathsig()
                    devnull = os.open(os.devnull, os.O_RDWR)
                    os.dup2(devnull, 0)
                    os.dup2(devnull, 1)
                    os._exit(_run_worker(job))
                running[pid] = job.id
                print(json.dumps({"started": job.id, "pid": pid}), file=out, flush=True)
        while running:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            job_id = running.pop(pid, None)
            if job_id is not None:
                code = os.waitstatus_to_exitcode(status)
                print(json.dumps({"done": job_id, "code": code}), file=out, flush=True)


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    zygote()

"""Peak memory of what a class server runs: each notebook's kernel, JupyterLab, a grading worker.

The numbers size a JupyterHub deployment (``deploy/z2jh/SIZING.md``): a user's memory limit
must hold the Lab server plus the kernels the user runs, and the instructor's server must hold
the batch grader's workers. Measured here, on this machine:

* **kernels**: every notebook in ``notebooks/`` executed top to bottom with nbclient (kernel
  ``python3``, ``resources={"metadata": {"path": "notebooks"}}``, one notebook after the
  other, each in a fresh kernel). After every cell the kernel's ``VmHWM`` (its resident-set
  high-water mark, from ``/proc/<pid>/status``) is read; the reading after the last cell, taken
  before nbclient shuts the kernel down, is the kernel's peak. Any processes the kernel
  started are read the same way and added.
* **server**: ``jupyter lab`` started with the students' settings (``lab/student``), the page
  and its settings loaded (``/lab``, ``/lab/api/settings``, a directory listing), one kernel
  started and stopped through the REST API; its ``VmHWM`` after that. The fresh kernel's own
  resident size is recorded too (``kernel_idle_mib``: a second notebook opened but not run).
* **grader**: the batch grader (``python -m grader``) on a small synthetic class of each
  assignment (built as ``benchmarks/bench_batch_grade.py`` builds it: correct, buggy, blank
  and one hostile submission), ``--jobs`` students at a time. The grader does not record memory
  itself (its results hold the seconds per student, not the memory), so its process tree is
  polled from outside every ``--poll`` seconds through ``/proc``: the pre-forked zygote, one
  forked worker per student and the worker's sandboxed student process (the child that made
  itself a session leader). A student's figure is its worker's ``VmHWM`` plus its student
  process's ``VmHWM``; a fork starts with its parent's resident pages counted again, so this
  counts the zygote's shared pages twice and over-states what the pair adds. The grading
  run's total is the largest sum over all its processes of ``Pss`` (``/proc/<pid>/smaps_rollup``,
  shared pages divided among the processes sharing them), polled the same way.

Writes ``deploy/z2jh/measured-memory.json`` (MiB = 2**20 bytes) and prints a table. Linux only
(``/proc``). About 4 minutes on a 2-core machine: ::

    .venv/bin/python benchmarks/measure_memory.py
    .venv/bin/python benchmarks/measure_memory.py --parts grader   # re-measure one part, keep the rest

The thread variables of the deployment (``OMP_NUM_THREADS`` and friends = 1) are set for
everything it starts, as ``deploy/z2jh/values.yaml`` sets them for every user server.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent
OUT = ROOT / "deploy" / "z2jh" / "measured-memory.json"
THREAD_VARS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
MIB = 2**20
PARTS = ("kernels", "server", "grader")


# ------------------------------------------------------------------ /proc
def proc_status(pid: int) -> dict[str, int]:
    """``VmHWM`` and ``VmRSS`` of ``pid`` in bytes (empty when it is gone)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    out[key] = int(value.split()[0]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return {}
    return out


def proc_pss(pid: int) -> int:
    """Proportional set size of ``pid`` in bytes (0 when gone or unreadable)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, session id) of every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        table[int(entry)] = (int(fields[1]), int(fields[3]))
    return table


def descendants(root: int, table: dict[int, tuple[int, int]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def argv(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().decode(errors="replace").split("\0")
    except OSError:
        return []


def cmdline(pid: int) -> str:
    return " ".join(argv(pid))


def runs_grader_worker(pid: int) -> bool:
    """A Python interpreter running ``-m grader.worker`` (the zygote, or a worker forked from it;
    not bubblewrap, whose arguments name it too)."""
    args = argv(pid)
    return bool(args) and Path(args[0]).name.startswith("python") and "grader.worker" in args


def mib(n: float) -> float:
    return round(n / MIB, 1)


def child_env(**extra) -> dict[str, str]:
    env = dict(os.environ, **THREAD_VARS, **extra)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


# ---------------------------------------------------------------- kernels
def measure_kernel(path: Path, timeout: float) -> dict:
    """Run the notebook at ``path`` in a fresh kernel; its peak RSS and wall time."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    peak = {"kernel": 0, "children": 0}

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )

    def on_cell_executed(**_):
        pid = client.km.provisioner.pid
        peak["kernel"] = max(peak["kernel"], proc_status(pid).get("VmHWM", 0))
        kids = descendants(pid, proc_table())
        peak["children"] = max(peak["children"], sum(proc_status(k).get("VmHWM", 0) for k in kids))

    client.on_cell_executed = on_cell_executed
    start = time.monotonic()
    client.execute()
    return {
        "mib": mib(peak["kernel"] + peak["children"]),
        "children_mib": mib(peak["children"]),
        "seconds": round(time.monotonic() - start, 1),
    }


def measure_kernels(timeout: float) -> dict:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    out = {"kernels_mib": {}, "kernel_seconds": {}}
    for path in notebooks:
        result = measure_kernel(path, timeout)
        out["kernels_mib"][path.name] = result["mib"]
        out["kernel_seconds"][path.name] = result["seconds"]
        extra = f" (of which child processes {result['children_mib']} MiB)" if result["children_mib"] else ""
        print(f"  {path.name:<36} {result['mib']:>7.1f} MiB  {result['seconds']:>6.1f} s{extra}", flush=True)
    return out


# ----------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_server() -> dict:
    """Peak RSS of a JupyterLab server with the students' settings, the page loaded and one
    kernel started and stopped; and that fresh kernel's resident size."""
    port, token = free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="measure-lab-"))
    shutil.copytree(ROOT / "notebooks", tmp / "root" / "notebooks")
    env = child_env(
        JUPYTER_CONFIG_PATH=str(ROOT / "lab" / "student"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        IPYTHONDIR=str(tmp / "ipython"),
    )
    cmd = [
        str(BIN / "jupyter-lab"),
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={tmp / 'root'}",
    ]
    with open(tmp / "lab.log", "wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)

    def call(method: str, url: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(base + url, data=data, method=method, headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read()
            return json.loads(text) if text and resp.headers.get_content_type() == "application/json" else text

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                call("GET", "/api/status")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"jupyter lab did not start: see {tmp / 'lab.log'}") from None
                time.sleep(0.5)
        call("GET", "/lab")
        call("GET", "/lab/api/settings")
        call("GET", "/api/contents/notebooks")
        kernel = call("POST", "/api/kernels", {"name": "python3"})
        # the kernel's process is a child of the server; with no client attached it never reports
        # "idle", so wait until its resident size stops growing (it has imported what it starts with)
        kernel_pid, kernel_rss, steady = None, 0, 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and steady < 4:
            time.sleep(0.5)
            if kernel_pid is None:
                kids = [p for p in descendants(proc.pid, proc_table()) if "ipykernel" in cmdline(p)]
                kernel_pid = kids[0] if kids else None
                continue
            rss = proc_status(kernel_pid).get("VmRSS", 0)
            steady = steady + 1 if rss == kernel_rss else 0
            kernel_rss = rss
        call("DELETE", f"/api/kernels/{kernel['id']}")
        time.sleep(1)
        server = proc_status(proc.pid)
        return {"server_mib": mib(server.get("VmHWM", 0)), "kernel_idle_mib": mib(kernel_rss)}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------------------------- grader
def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_batch_grade", ROOT / "benchmarks" / "bench_batch_grade.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TreeSampler(threading.Thread):
    """Polls the process tree under ``root`` until stopped: each process's role and peak
    ``VmHWM``, and the largest total ``Pss`` of the tree."""

    def __init__(self, root: int, interval: float):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.stop = threading.Event()
        self.hwm: dict[int, int] = {}
        self.role: dict[int, str] = {}
        self.worker_of: dict[int, int] = {}  # student process -> its worker
        self.peak_pss = 0
        self.samples = 0

    def run(self):
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(self.interval)
        self.sample()

    def sample(self):
        table = proc_table()
        tree = [self.root, *descendants(self.root, table)]
        total_pss = 0
        for pid in tree:
            status = proc_status(pid)
            if not status:
                continue
            self.hwm[pid] = max(self.hwm.get(pid, 0), status.get("VmHWM", 0))
            total_pss += proc_pss(pid)
            if self.role.get(pid, "other") == "other":  # a fresh fork may not have called setsid() yet
                self.role[pid] = self._classify(pid, table)
        self.peak_pss = max(self.peak_pss, total_pss)
        self.samples += 1

    def _classify(self, pid: int, table) -> str:
        if pid == self.root:
            return "coordinator"
        ppid, sid = table.get(pid, (0, 0))
        if runs_grader_worker(pid) and not runs_grader_worker(ppid):
            return "zygote"
        if self.role.get(ppid) == "zygote":
            return "worker"
        if self.role.get(ppid) == "worker" and sid == pid:  # the sandbox calls setsid() first
            self.worker_of[pid] = ppid
            return "student"
        return "other"


def measure_grader(class_size: int, jobs: int, interval: float) -> dict:
    bench = _bench_module()
    assignments = sorted(p.name for p in (ROOT / "assignments" / "source").iterdir() if p.is_dir())
    per_student: dict[str, dict] = {}
    zygote = coordinator = peak_pss = 0
    tmp = Path(tempfile.mkdtemp(prefix="measure-grader-"))
    env = child_env(PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    try:
        for assignment in assignments:
            course = bench.make_course(tmp / assignment, assignment)
            kinds = bench.make_class(course, assignment, class_size)
            cmd = [PY, "-m", "grader", assignment, str(course / "submitted")]
            cmd += ["--course", str(course), "--jobs", str(jobs), "--cell-timeout", "20"]
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
            sampler = TreeSampler(proc.pid, interval)
            sampler.start()
            proc.wait()
            sampler.stop.set()
            sampler.join()
            if proc.returncode != 0:
                raise RuntimeError(f"the grader failed on {assignment} (exit {proc.returncode})")
            with open(course / "batch_grade" / assignment / "grades.csv") as fh:
                rows = {r["student"]: r for r in csv.DictReader(fh)}
            seconds = {}
            for result in (course / "batch_grade" / assignment / "results").glob("*.json"):
                data = json.loads(result.read_text())
                seconds[data["student"]] = data.get("seconds")
            # workers in the order they started are the students in the order they were queued
            workers = sorted(p for p, r in sampler.role.items() if r == "worker")
            students = sorted(kinds)
            if len(workers) != len(students):
                print(f"  note: {len(workers)} workers seen for {len(students)} students", flush=True)
            for student, worker in zip(students, workers):
                sandboxes = [s for s, w in sampler.worker_of.items() if w == worker]
                student_hwm = sum(sampler.hwm.get(s, 0) for s in sandboxes)
                per_student[f"{assignment}/{student}"] = {
                    "kind": kinds[student],
                    "status": rows.get(student, {}).get("status"),
                    "worker_mib": mib(sampler.hwm.get(worker, 0)),
                    "student_process_mib": mib(student_hwm),
                    "total_mib": mib(sampler.hwm.get(worker, 0) + student_hwm),
                    "seconds": round(seconds[student], 2) if seconds.get(student) is not None else None,
                }
            zygote = max([zygote] + [sampler.hwm[p] for p, r in sampler.role.items() if r == "zygote"])
            coordinator = max(coordinator, sampler.hwm.get(proc.pid, 0))
            peak_pss = max(peak_pss, sampler.peak_pss)
            print(f"  {assignment}: {len(students)} students graded, {sampler.samples} samples", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    from grader.limits import Limits

    totals = [s["total_mib"] for s in per_student.values()]
    return {
        "grader": {
            "jobs": jobs,
            "memory_mb_limit": Limits.memory_mb,
            "class_size_per_assignment": class_size,
            "poll_seconds": interval,
            "worker_mib": max(totals) if totals else None,
            "zygote_mib": mib(zygote),
            "coordinator_mib": mib(coordinator),
            "run_peak_pss_mib": mib(peak_pss),
            "per_student": per_student,
        }
    }


# ------------------------------------------------------------------- main
def versions() -> dict[str, str]:
    out = {}
    for name in ("torch", "numpy", "jupyterlab", "jupyter_server", "ipykernel", "nbclient", "nbgrader", "matplotlib"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def machine() -> dict:
    mem = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(mem / 2**30, 1),
        "kernel": platform.release(),
        "arch": platform.machine(),
        "python": platform.python_version(),
    }


def table(data: dict) -> str:
    lines = ["| what | peak RSS (MiB) | seconds |", "|---|---:|---:|"]
    for name, value in data.get("kernels_mib", {}).items():
        lines.append(f"| kernel: {name} | {value:.1f} | {data.get('kernel_seconds', {}).get(name, '')} |")
    if "server_mib" in data:
        lines.append(f"| JupyterLab server (page loaded, a kernel started and stopped) | {data['server_mib']:.1f} | |")
        lines.append(f"| a fresh kernel, nothing run | {data['kernel_idle_mib']:.1f} | |")
    grader = data.get("grader")
    if grader:
        lines.append(f"| grader: zygote (numpy, torch, IPython imported once) | {grader['zygote_mib']:.1f} | |")
        lines.append(f"| grader: coordinator | {grader['coordinator_mib']:.1f} | |")
        for key, s in grader["per_student"].items():
            lines.append(
                f"| grader: {key} ({s['kind']}, {s['status']}): worker {s['worker_mib']:.1f}"
                f" + student process {s['student_process_mib']:.1f} | {s['total_mib']:.1f} | {s['seconds']} |"
            )
        lines.append(f"| grader: one student, largest (worker + student process) | {grader['worker_mib']:.1f} | |")
        lines.append(
            f"| grader: whole run at --jobs {grader['jobs']}, largest total PSS | {grader['run_peak_pss_mib']:.1f} | |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS), help="what to measure (default: all)")
    p.add_argument("--out", type=Path, default=OUT, help=f"the JSON file (default {OUT.relative_to(ROOT)})")
    p.add_argument("--no-write", action="store_true", help="print the table only")
    p.add_argument("--class-size", type=int, default=6, help="submissions per assignment for the grader")
    p.add_argument("--jobs", type=int, default=2, help="the grader's --jobs")
    p.add_argument("--poll", type=float, default=0.05, help="seconds between samples of the grader's processes")
    p.add_argument("--cell-timeout", type=float, default=600)
    a = p.parse_args()
    if not Path("/proc/self/status").exists():
        raise SystemExit("measure_memory.py reads /proc: Linux only")
    os.environ.update(THREAD_VARS)  # the kernels nbclient starts inherit them, as on the hub

    data = json.loads(a.out.read_text()) if a.out.exists() else {}
    data["machine"] = machine()
    data["versions"] = versions()
    data["env"] = dict(THREAD_VARS)
    data["unit"] = "MiB (2**20 bytes); peak resident set size (VmHWM) unless named PSS"
    data["measured_by"] = "benchmarks/measure_memory.py"
    steps = {
        "kernels": (
            "kernels (each notebook, top to bottom, in a fresh kernel):",
            lambda: measure_kernels(a.cell_timeout),
        ),
        "server": ("JupyterLab server:", measure_server),
        "grader": (
            f"batch grader (--jobs {a.jobs}, {a.class_size} submissions per assignment):",
            lambda: measure_grader(a.class_size, a.jobs, a.poll),
        ),
    }
    started = time.monotonic()
    for part in PARTS:
        if part not in a.parts:
            continue
        title, measure = steps[part]
        print(title, flush=True)
        load, t0 = [round(x, 2) for x in os.getloadavg()], time.monotonic()
        data.update(measure())
        data.setdefault("parts", {})[part] = {
            "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "seconds": round(time.monotonic() - t0, 1),
            "load_average_before": load,
        }
    data["measured"] = max(p["measured"] for p in data["parts"].values())
    seconds = round(time.monotonic() - started, 1)
    print()
    print(table(data))
    print(f"\n{', '.join(a.parts)} measured in {seconds:.0f} s")
    if not a.no_write:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        print(f"written to {a.out}")


if __name__ == "__main__":
    main()

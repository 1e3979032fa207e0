"""Why every course notebook runs torch on one CPU thread (``set_cpu_threads(1)``).

Times notebook 06's RNN-vs-LSTM sweep (``course_utils.recurrent.memory_lag_sweep``, the cell
that used to overrun nbclient's timeout in ``make test-stress``) in four set-ups:

* alone, with torch's default thread count (one per core) and with one thread;
* two copies at once, each with the default count, and each with one thread (a second kernel,
  a JupyterHub neighbour or nbgrader grading a class shares the cores).

The course's networks are small: every operation is tiny, and with more runnable threads than
cores each one waits at a barrier for a thread that is not running. Prints the seconds and each
time as a ratio to "alone, 1 thread" (ratios measured in one run; the machine is shared), and
writes them to ``$COURSE_REPORTS/bench_cpu_threads.txt`` when that variable is set.

    .venv/bin/python benchmarks/bench_cpu_threads.py            # about 6 minutes on 2 cores
    .venv/bin/python benchmarks/bench_cpu_threads.py --quick    # a third of the work
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

WORKLOAD = """
import sys, time
import torch
torch.set_num_threads(int(sys.argv[1]))
from course_utils import recurrent
lags = [5, 20] if sys.argv[2] == "quick" else [5, 20, 50]
cells = {"vanilla RNN": dict(cell="rnn"), "LSTM": dict(cell="lstm", forget_bias=5.0, input_bias=-2.0)}
start = time.perf_counter()
recurrent.memory_lag_sweep(cells, lags, inits_at_longest=1 if sys.argv[2] == "quick" else 3, seed=0,
                           hidden_size=32, steps=300, batch_size=128, lr=1e-2, clip=1.0, progress=False)
print(time.perf_counter() - start)
"""


def run_copies(threads: int, copies: int, size: str) -> float:
    """Start ``copies`` sweeps at once with ``threads`` torch threads each; the slowest one's seconds."""
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKLOAD, str(threads), size], stdout=subprocess.PIPE, text=True)
        for _ in range(copies)
    ]
    times = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"the sweep failed (exit {proc.returncode})")
        times.append(float(out.strip().splitlines()[-1]))
    return max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="lags 5 and 20, one initialisation")
    args = parser.parse_args()
    size = "quick" if args.quick else "full"
    default = os.cpu_count() or 1
    setups = [
        (f"alone, {default} threads (torch's default)", default, 1),
        ("alone, 1 thread", 1, 1),
        (f"2 at once, {default} threads each", default, 2),
        ("2 at once, 1 thread each", 1, 2),
    ]
    started = time.strftime("%Y-%m-%d %H:%M")
    results = {name: run_copies(threads, copies, size) for name, threads, copies in setups}
    base = results["alone, 1 thread"]
    lines = [
        f"notebook 06's memory-lag sweep ({size}), {default} cores, {started}",
        f"{'set-up':<40}{'seconds':>10}{'ratio':>8}",
        *(f"{name:<40}{t:>10.1f}{t / base:>8.1f}" for name, t in results.items()),
    ]
    report = "\n".join(lines)
    print(report)
    if os.environ.get("COURSE_REPORTS"):
        out = Path(os.environ["COURSE_REPORTS"]) / "bench_cpu_threads.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report + "\n")


if __name__ == "__main__":
    main()

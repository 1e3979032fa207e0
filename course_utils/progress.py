"""The student's own record of practice, kept on their machine, and a view of their progress.

Every exercise check and self-check question appends one event to a JSON-lines file: the exercise
id ("01.2", "01.q3"), the notebook ("01"), the outcome (``not-attempted``, ``mistake:<name>`` for a
typical mistake the check recognised, ``wrong`` for any other wrong answer, ``correct``), the time
(UTC) and the course's version. No code and no output is recorded.

* Where: ``$COURSE_PROGRESS_FILE``, else ``progress.jsonl`` in the user's data folder
  (``~/.local/share/nn-course/`` on Linux, from :mod:`platformdirs`).
* Off: ``COURSE_PROGRESS=off`` in the environment (also ``0``, ``no``, ``false``) records nothing.
* Never in the way: a read-only home or a full disk loses the event, with one warning per session;
  two kernels writing at once each add whole lines (one locked ``write`` per event).

``progress()`` (the welcome notebook shows it) and ``python -m course_utils.progress`` show, per
notebook, the exercises solved out of all, the attempts before each success and the hints met most.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import importlib
import json
import os
import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["record", "record_path", "read", "summarise", "progress", "paused", "exercise_ids"]

OFF = {"off", "0", "no", "false"}
OUTCOMES = ("not-attempted", "wrong", "correct")  # and "mistake:<name>"
_warned = False
_paused = 0


def record_path() -> Path | None:
    """The record file, or ``None`` when recording is off."""
    if os.environ.get("COURSE_PROGRESS", "").strip().lower() in OFF:
        return None
    if os.environ.get("COURSE_PROGRESS_FILE"):
        return Path(os.environ["COURSE_PROGRESS_FILE"])
    import platformdirs

    return platformdirs.user_data_path("nn-course") / "progress.jsonl"


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Record nothing inside (a check run again silently, as :func:`~course_utils.exercises.accepted` does)."""
    global _paused
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1


def record(exercise: str, outcome: str) -> None:
    """Append one event for ``exercise`` ("NN.k" or "NN.qK") with ``outcome``; never raises."""
    global _warned
    path = record_path()
    if path is None or _paused:
        return
    from . import __version__

    event = {
        "exercise": exercise,
        "notebook": exercise.split(".")[0],
        "outcome": outcome,
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "version": __version__,
    }
    line = (json.dumps(event) + "\n").encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError as e:
        if not _warned:
            _warned = True
            warnings.warn(
                f"your practice record could not be written to {path} ({e.strerror or e}); the checks work as "
                "before, only this session's progress is not kept. Set COURSE_PROGRESS=off to stop trying.",
                RuntimeWarning,
                stacklevel=2,
            )


def read(path: str | Path | None = None) -> list[dict]:
    """The events of a record file (the student's own by default), skipping lines that are not events."""
    path = Path(path) if path else record_path()
    if path is None or not path.is_file():
        return []
    events = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict) and isinstance(event.get("exercise"), str) and isinstance(event.get("outcome"), str):
            events.append(event)
    return events


def exercise_ids(notebook: str) -> list[str]:
    """The exercise ids ("01.1", ...) of notebook ``notebook`` ("01"), from its exercises module."""
    try:
        module = importlib.import_module(f"course_utils.exercises.nb{notebook}")
    except ModuleNotFoundError:
        return []
    ids = {getattr(value, "eid", None) for name, value in vars(module).items() if name.startswith("check_")}
    return sorted((i for i in ids if isinstance(i, str)), key=lambda i: [int(p) for p in i.split(".")])


@dataclass
class NotebookProgress:
    """One notebook's progress: solved exercise ids, all its ids, attempts before each success, hints met."""

    notebook: str
    exercises: list[str]
    solved: set[str] = field(default_factory=set)
    attempts: dict[str, int] = field(default_factory=dict)  # exercise -> tries before its first "correct"
    hints: Counter = field(default_factory=Counter)  # mistake name -> how often


def summarise(events: Iterable[dict], notebooks: Iterable[str] | None = None) -> list[NotebookProgress]:
    """Per notebook (those with events, or ``notebooks``): what is solved, after how many tries, which hints."""
    by_notebook: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        if re.fullmatch(r"\d\d\.\d+", event["exercise"]):  # exercises; self-check questions are NN.qK
            by_notebook[event["exercise"][:2]].append(event)
    result = []
    for nb in sorted(set(notebooks or ()) | set(by_notebook)):
        p = NotebookProgress(nb, exercise_ids(nb))
        tries: Counter = Counter()
        for event in by_notebook.get(nb, []):
            eid, outcome = event["exercise"], event["outcome"]
            if outcome == "not-attempted" or eid in p.solved:
                continue
            tries[eid] += 1
            if outcome == "correct":
                p.solved.add(eid)
                p.attempts[eid] = tries[eid]
            elif outcome.startswith("mistake:"):
                p.hints[outcome.removeprefix("mistake:")] += 1
        result.append(p)
    return result


def _table(summary: list[NotebookProgress]) -> str:
    lines = ["notebook  solved  tries before success  hints met most"]
    for p in summary:
        tries = ", ".join(f"{e}: {n}" for e, n in sorted(p.attempts.items())) or "-"
        hints = ", ".join(f"{h} ({n})" for h, n in p.hints.most_common(2)) or "-"
        lines.append(f"{p.notebook:<8}  {len(p.solved):>2}/{len(p.exercises):<3}  {tries:<20}  {hints}")
    return "\n".join(lines)


def progress(path: str | Path | None = None, plot: bool = True):
    """Print the student's progress per notebook (all the course's notebooks) and, with ``plot``, return
    a bar chart of exercises solved out of all."""
    from .catalog import notebooks

    # the course's notebooks: next to the package in a checkout, else the folder the notebook runs in
    folders = [Path(__file__).resolve().parents[1] / "notebooks", Path.cwd()]
    found = next((notebooks(f) for f in folders if f.is_dir() and notebooks(f)), [])
    numbers = [nb.number for nb in found if nb.number != "00"]
    summary = summarise(read(path), numbers)
    where = record_path() if path is None else path
    print(f"Your practice record: {where or 'off (COURSE_PROGRESS=off)'}\n" + _table(summary))
    if not plot:
        return None
    from . import plots

    return plots.progress_bars(
        [p.notebook for p in summary], [len(p.solved) for p in summary], [len(p.exercises) for p in summary]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.progress", description=__doc__.split("\n")[0])
    parser.add_argument("record", nargs="?", help="a record file (default: yours)")
    args = parser.parse_args(argv)
    progress(args.record, plot=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

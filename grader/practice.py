"""``python -m grader.practice RECORDS -o report.html``: where the class stumbles, from the students'
practice records (:mod:`course_utils.progress`).

``RECORDS`` is a folder with one folder per student, the student's name first, holding their
``progress.jsonl`` somewhere below it. Two layouts are read as they are:

* the students' homes on a one-server hub (``/home``: ``/home/alice/.local/share/nn-course/progress.jsonl``),
  read by the instructor as root;
* nbgrader's ``submitted/`` folder after ``nbgrader collect practice``, where each student chose to
  submit their record as the ungraded assignment ``practice`` (``submitted/alice/practice/progress.jsonl``):
  the students decide what is shared, and it works where homes are out of the instructor's reach (z2jh).

A record is the student's own data, so it is never trusted: a symbolic link is not followed, a file
over :data:`MAX_BYTES` or not owned by its student (``--check-owner``, for homes) is skipped, a line
that is not an event, or that names another student, is skipped; each with a warning.

The report (one self-contained HTML page) gives per exercise the share of students who attempted and
who solved it, the median attempts to solve, the most frequent mistakes by hint name, and a
students x exercises grid coloured by outcome. Students are stable pseudonyms unless ``--names``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import io
import json
import os
import pwd
import re
import statistics
import sys
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from grader.privacy import private_file

MAX_BYTES = 5_000_000  # a term of practice is a few thousand events, about 100 bytes each
EID = re.compile(r"^\d\d\.\d+$")  # an exercise; self-check questions (NN.qK) are left out
OUTCOMES = {"not-attempted": 0, "wrong": 1, "mistake": 1, "correct": 2}


def _read_record(student: str, path: Path, check_owner: bool) -> list[dict]:
    """The events of one record file, refusing what cannot be trusted (with a warning)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        warnings.warn(f"{student}: {path} skipped ({e.strerror}; a symbolic link is never followed)", stacklevel=2)
        return []
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not path.is_file() or info.st_size > MAX_BYTES:
            warnings.warn(f"{student}: {path} skipped (not a regular file, or over {MAX_BYTES} bytes)", stacklevel=2)
            return []
        if check_owner and _owner(info.st_uid) != student:
            warnings.warn(f"{student}: {path} skipped (owned by {_owner(info.st_uid)}, not {student})", stacklevel=2)
            return []
        text = f.read(MAX_BYTES + 1).decode("utf-8", errors="replace")
    events, bad = [], 0
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            bad += 1
            continue
        if not isinstance(event, dict) or not isinstance(event.get("exercise"), str):
            bad += 1
            continue
        if event.get("student", student) != student:
            warnings.warn(f"{student}: a line claims to be {event['student']!r}'s: skipped", stacklevel=2)
            continue
        if EID.match(event["exercise"]) and str(event.get("outcome", "")).split(":")[0] in OUTCOMES:
            events.append(event)
    if bad:
        warnings.warn(f"{student}: {bad} line(s) of {path} are not events (truncated?): skipped", stacklevel=2)
    return events


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def collect(records: str | Path, check_owner: bool = False, students: list[str] | None = None) -> dict[str, list[dict]]:
    """Each student's events: ``records/<student>/**/progress.jsonl`` (see the module's docstring), for
    every folder there or only ``students`` (the class list: a home folder holds other users too)."""
    root = Path(records)
    if not root.is_dir():
        raise SystemExit(f"practice: {root} is not a folder of students' folders")
    found = {}
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink())
    if students is not None:
        missing = sorted(set(students) - {f.name for f in folders})
        if missing:
            warnings.warn(f"no folder in {root} for: {', '.join(missing)} (counted with no record)", stacklevel=2)
        found = {name: [] for name in missing}
        folders = [f for f in folders if f.name in students]
    for folder in folders:
        files = [p for p in _walk(folder) if p.name == "progress.jsonl"]
        found[folder.name] = [e for p in files for e in _read_record(folder.name, p, check_owner)]
    return found


def _walk(folder: Path):
    """Files below ``folder`` without following symbolic links to folders (os.walk's default)."""
    for here, _dirs, files in os.walk(folder):
        yield from (Path(here) / name for name in files)


@dataclass
class ExerciseStats:
    exercise: str
    attempted: int = 0
    solved: int = 0
    tries_to_solve: list[int] = field(default_factory=list)
    mistakes: Counter = field(default_factory=Counter)


def analyse(events_by_student: dict[str, list[dict]]) -> tuple[list[ExerciseStats], dict[str, dict[str, str]]]:
    """Per exercise, the class's statistics; per student and exercise, the outcome reached
    ("correct", "wrong" or "not-attempted")."""
    stats: dict[str, ExerciseStats] = {}
    grid: dict[str, dict[str, str]] = {}
    for student, events in events_by_student.items():
        tries: Counter = Counter()
        reached: dict[str, str] = {}
        for event in sorted(events, key=lambda e: str(e.get("time", ""))):
            eid, outcome = event["exercise"], event["outcome"]
            s = stats.setdefault(eid, ExerciseStats(eid))
            if outcome == "not-attempted" or reached.get(eid) == "correct":
                reached.setdefault(eid, "not-attempted")
                continue
            if eid not in tries:
                s.attempted += 1
            tries[eid] += 1
            if outcome == "correct":
                s.solved += 1
                s.tries_to_solve.append(tries[eid])
                reached[eid] = "correct"
            else:
                reached[eid] = "wrong"
                if outcome.startswith("mistake:"):
                    s.mistakes[outcome.removeprefix("mistake:")] += 1
        grid[student] = reached
    order = sorted(stats, key=lambda e: [int(p) for p in e.split(".")])
    return [stats[e] for e in order], grid


def pseudonym(student: str, salt: str) -> str:
    """A stable pseudonym: the same student and salt always give the same one."""
    return "student-" + hashlib.sha256(f"{salt}\0{student}".encode()).hexdigest()[:6]


def _grid_png(grid: dict[str, dict[str, str]], exercises: list[str]) -> tuple[str, str]:
    """The students x exercises grid as a PNG (base64) and its alt text."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    students = list(grid)
    values = [[OUTCOMES[grid[s].get(e, "not-attempted")] for e in exercises] for s in students]
    colours = ListedColormap(["#DDDDDD", "#E69F00", "#0072B2"])  # Okabe-Ito orange and blue, grey
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * len(exercises) + 2), max(2, 0.35 * len(students) + 1.5)))
    ax.imshow(values, cmap=colours, vmin=0, vmax=2, aspect="auto")
    ax.set_xticks(range(len(exercises)), exercises, rotation=90)
    ax.set_yticks(range(len(students)), students)
    ax.set(title="Outcome per student and exercise", xlabel="exercise", ylabel="student")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours(k)) for k in range(3)]
    ax.legend(handles, ["not attempted", "not solved yet", "solved"], loc="upper left", bbox_to_anchor=(1, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    solved, open_ = (sum(v == k for row in values for v in row) for k in (2, 1))
    alt = (
        f"A grid of {len(students)} students by {len(exercises)} exercises: {solved} cells solved (blue), "
        f"{open_} attempted but not solved (orange), the rest not attempted (grey)."
    )
    return base64.b64encode(buffer.getvalue()).decode(), alt


def report(events_by_student: dict[str, list[dict]], names: bool = False, salt: str = "nn-course") -> str:
    """The HTML report (see the module's docstring)."""
    shown = {s: (s if names else pseudonym(s, salt)) for s in events_by_student}
    stats, grid = analyse({shown[s]: e for s, e in events_by_student.items()})
    n = len(events_by_student)
    rows = []
    for s in stats:
        median = f"{statistics.median(s.tries_to_solve):g}" if s.tries_to_solve else "-"
        top = ", ".join(f"{html.escape(m)} ({k})" for m, k in s.mistakes.most_common(3)) or "-"
        rows.append(
            f"<tr><th scope='row'>{s.exercise}</th><td>{s.attempted}/{n}</td><td>{s.solved}/{n}</td>"
            f"<td>{median}</td><td>{top}</td></tr>"
        )
    per_student = "".join(
        f"<tr><th scope='row'>{html.escape(who)}</th><td>{sum(v == 'correct' for v in reached.values())}</td>"
        f"<td>{sum(v != 'not-attempted' for v in reached.values())}</td></tr>"
        for who, reached in sorted(grid.items())
    )
    png, alt = _grid_png(grid, [s.exercise for s in stats]) if stats and grid else ("", "")
    image = f"<img src='data:image/png;base64,{png}' alt='{html.escape(alt)}'>" if png else "<p>No events yet.</p>"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Practice report</title></head><body>"
        f"<h1>Practice report</h1><p>{n} students' records.</p>"
        "<h2>Per exercise</h2><table><thead><tr><th scope='col'>exercise</th><th scope='col'>attempted</th>"
        "<th scope='col'>solved</th><th scope='col'>median attempts to solve</th>"
        "<th scope='col'>most frequent mistakes (times)</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table><h2>Per student</h2><table><thead><tr><th scope='col'>student</th>"
        "<th scope='col'>exercises solved</th><th scope='col'>exercises attempted</th></tr></thead><tbody>"
        + per_student
        + f"</tbody></table><h2>Students and exercises</h2>{image}</body></html>"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m grader.practice", description=__doc__.split("\n")[0])
    p.add_argument("records", help="a folder of students' folders (homes, or nbgrader's submitted/)")
    p.add_argument("-o", "--output", default="practice-report.html", help="the HTML report to write (mode 0600)")
    p.add_argument("--names", action="store_true", help="real names instead of stable pseudonyms")
    p.add_argument("--salt", default="nn-course", help="the pseudonyms' salt (keep it secret to keep them opaque)")
    p.add_argument("--check-owner", action="store_true", help="skip a record its student does not own (homes)")
    p.add_argument("--students", help="the class list, comma-separated (default: every folder in RECORDS)")
    args = p.parse_args(argv)
    students = [s.strip() for s in args.students.split(",") if s.strip()] if args.students else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records = collect(args.records, args.check_owner, students)
    for w in caught:
        print(f"practice: warning: {w.message}", file=sys.stderr)
    out = private_file(args.output)
    out.write_text(report(records, names=args.names, salt=args.salt), encoding="utf-8")
    print(f"practice: {len(records)} students -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""course_utils.progress: the student's own practice record, written by every check, and its summary."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from course_utils import progress
from course_utils.exercises import nb01


@pytest.fixture
def record_file(tmp_path, monkeypatch):
    path = tmp_path / "data" / "progress.jsonl"
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    return path


def outcomes(path) -> list[tuple[str, str]]:
    return [(e["exercise"], e["outcome"]) for e in progress.read(path)]


def test_each_check_and_question_appends_its_outcome_and_nothing_of_the_code(record_file, capsys):
    gd = nb01.check_gd_step
    gd(None)
    gd(gd.function(gd.typical[1].body))  # a typical mistake: named
    gd(lambda w, X, y, eta: w * 0 + 7.0)  # another wrong answer
    gd(gd.solution)
    nb01.quiz("01.q1", answer=nb01.QUIZZES["01.q1"].answer)
    capsys.readouterr()
    assert outcomes(record_file) == [
        ("01.2", "not-attempted"),
        ("01.2", f"mistake:{gd.typical[1].name}"),
        ("01.2", "wrong"),
        ("01.2", "correct"),
        ("01.q1", "correct"),
    ]
    event = progress.read(record_file)[0]
    assert set(event) == {"exercise", "notebook", "outcome", "time", "version"} and event["notebook"] == "01"
    assert "return" not in record_file.read_text() and oct(record_file.stat().st_mode & 0o777) == "0o600"


def test_a_check_written_as_code_names_its_stepwise_mistake(record_file, capsys):
    from course_utils.exercises import nb05

    name, typicals = nb05.STEPWISE["05.3"]
    namespace = dict(nb05.NOTEBOOK)
    exec(typicals[0].body, namespace)  # noqa: S102 - the course's own mistake
    nb05.check_inverted_dropout(namespace[name])
    capsys.readouterr()
    assert outcomes(record_file) == [("05.3", f"mistake:{typicals[0].name}")]


def test_accepted_records_nothing_and_off_records_nothing(record_file, monkeypatch, capsys):
    from course_utils.exercises import accepted

    assert accepted(nb01.check_gd_step, nb01.check_gd_step.solution)
    monkeypatch.setenv("COURSE_PROGRESS", "off")
    nb01.check_gd_step(None)
    capsys.readouterr()
    assert not record_file.exists() and progress.record_path() is None


def test_a_record_that_cannot_be_written_loses_the_event_with_one_warning(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(blocker / "progress.jsonl"))  # its folder is a file
    monkeypatch.setattr(progress, "_warned", False)
    with pytest.warns(RuntimeWarning, match="could not be written") as warned:
        nb01.check_gd_step(None)
        nb01.check_gd_step(None)
    assert len(warned) == 1
    assert capsys.readouterr().out.count("Not attempted yet") == 2  # the checks work as before


def test_the_record_is_never_written_through_a_symlink(record_file, tmp_path, monkeypatch):
    target = tmp_path / "elsewhere.txt"
    target.write_text("precious\n")
    record_file.parent.mkdir(parents=True)
    record_file.symlink_to(target)
    monkeypatch.setattr(progress, "_warned", True)  # the refusal is an OSError like any other
    progress.record("01.2", "correct")
    assert target.read_text() == "precious\n"


def test_two_kernels_writing_at_once_each_add_whole_lines(record_file):
    writer = textwrap.dedent(
        """
        from course_utils import progress
        for k in range(300):
            progress.record(f"01.{k % 6 + 1}", "wrong")
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", writer]) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    lines = record_file.read_text().splitlines()
    assert len(lines) == 600 and all(json.loads(line)["outcome"] == "wrong" for line in lines)


def test_summary_counts_solved_tries_and_hints_and_skips_bad_lines(tmp_path):
    path = tmp_path / "progress.jsonl"
    events = [
        ("01.2", "not-attempted"),
        ("01.2", "mistake:n-times-too-big"),
        ("01.2", "mistake:n-times-too-big"),
        ("01.2", "correct"),
        ("01.2", "wrong"),  # after solving: does not count
        ("01.3", "wrong"),
        ("01.q1", "correct"),  # a self-check question, not an exercise
        ("02.1", "correct"),
    ]
    lines = [json.dumps({"exercise": e, "notebook": e[:2], "outcome": o}) for e, o in events]
    path.write_text("\n".join([lines[0], '{"truncated', "[1, 2]", *lines[1:]]) + "\n")
    one, two = progress.summarise(progress.read(path))
    assert (one.notebook, one.solved, one.attempts) == ("01", {"01.2"}, {"01.2": 3})
    assert one.hints == {"n-times-too-big": 2} and "01.6" in one.exercises and len(one.exercises) >= 6
    assert (two.solved, two.attempts) == ({"02.1"}, {"02.1": 1})


def test_progress_view_and_command(record_file, capsys):
    progress.record("01.2", "correct")
    fig = progress.progress()
    out = capsys.readouterr().out
    assert str(record_file) in out and "01" in out and "1/6" in out.replace(" ", "")
    assert fig.axes[0].get_title() == "Exercises solved, per notebook"
    done = subprocess.run(
        [sys.executable, "-m", "course_utils.progress", str(record_file)], capture_output=True, text=True, check=True
    )
    assert "tries before success" in done.stdout and "01.2: 1" in done.stdout

"""grader.practice: the class's practice report from the students' records, hostile records included."""

from __future__ import annotations

import json
import os

import pytest

from grader import practice


def write(path, events, extra: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps({"exercise": e, "notebook": e[:2], "outcome": o, "time": f"2026-12-07T10:{k:02d}:00"})
        for k, (e, o) in enumerate(events)
    ]
    path.write_text("\n".join(lines) + "\n" + extra)


@pytest.fixture
def homes(tmp_path):
    record = ".local/share/nn-course/progress.jsonl"
    write(tmp_path / "alice" / record, [("01.2", "not-attempted"), ("01.2", "correct")])
    write(
        tmp_path / "bob" / record,
        [
            ("01.2", "mistake:your-gradient-is-n-times"),
            ("01.2", "mistake:your-gradient-is-n-times"),
            ("01.2", "correct"),
            ("01.3", "wrong"),
            ("01.q1", "correct"),
        ],
    )
    write(tmp_path / "carol" / record, [("01.2", "not-attempted"), ("01.3", "not-attempted")])
    # dave's record: a truncated line, a line claiming alice's name, a huge file, a link to /etc/shadow
    write(
        tmp_path / "dave" / record,
        [("01.3", "correct")],
        extra='{"exercise": "01.2", "outc\n'
        + json.dumps({"exercise": "01.2", "outcome": "correct", "student": "alice"})
        + "\n",
    )
    (tmp_path / "dave" / "big").mkdir()
    (tmp_path / "dave" / "big" / "progress.jsonl").write_bytes(b" " * (practice.MAX_BYTES + 1))
    (tmp_path / "erin" / ".local").mkdir(parents=True)
    (tmp_path / "erin" / ".local" / "progress.jsonl").symlink_to("/etc/shadow")
    return tmp_path


def test_counts_per_exercise_and_the_grid(homes):
    with pytest.warns(UserWarning) as caught:
        records = practice.collect(homes)
    messages = " | ".join(str(w.message) for w in caught)
    assert "truncated" in messages and "claims to be 'alice'" in messages and "over 5000000 bytes" in messages
    assert "symbolic link is never followed" in messages
    stats, grid = practice.analyse(records)
    by_id = {s.exercise: s for s in stats}
    assert list(by_id) == ["01.2", "01.3"]  # self-check questions are not exercises
    two, three = by_id["01.2"], by_id["01.3"]
    assert (two.attempted, two.solved, sorted(two.tries_to_solve)) == (2, 2, [1, 3])
    assert two.mistakes == {"your-gradient-is-n-times": 2}
    assert (three.attempted, three.solved) == (2, 1)
    assert grid["carol"] == {"01.2": "not-attempted", "01.3": "not-attempted"} and grid["erin"] == {}
    assert grid["bob"] == {"01.2": "correct", "01.3": "wrong"} and grid["dave"] == {"01.3": "correct"}


def test_the_report_is_pseudonymous_private_and_accessible(homes, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert practice.main([str(homes), "-o", str(out)]) == 0
    page = out.read_text()
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    assert (
        "alice" not in page
        and f"<th scope='row'>{practice.pseudonym('bob', 'nn-course')}</th><td>1</td><td>2</td>" in page
    )
    assert "<td>2/5</td><td>2/5</td><td>2</td><td>your-gradient-is-n-times (2)</td>" in page  # 01.2: median of 1, 3
    assert "alt='A grid of 5 students by 2 exercises: 3 cells solved" in page
    assert "<th scope='col'>exercise</th>" in page and "lang='en'" in page
    assert "claims to be 'alice'" in capsys.readouterr().err
    practice.main([str(homes), "-o", str(out), "--names"])
    assert "alice" in out.read_text()


def test_pseudonyms_are_stable_and_differ_per_salt():
    assert practice.pseudonym("bob", "a") == practice.pseudonym("bob", "a") != practice.pseudonym("bob", "b")


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="is not a folder of students' folders"):
        practice.collect(tmp_path / "nowhere")


def test_the_class_list_picks_the_students_and_counts_the_missing(homes):
    with pytest.warns(UserWarning, match="no folder .* for: zoe"):
        records = practice.collect(homes, students=["alice", "bob", "zoe"])
    assert sorted(records) == ["alice", "bob", "zoe"] and records["zoe"] == []
    stats, _ = practice.analyse(records)
    assert (stats[0].exercise, stats[0].attempted, stats[0].solved) == ("01.2", 2, 2)

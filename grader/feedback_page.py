"""The student's feedback page: score, each test's verdict, the student's own cells and outputs.

Part of :mod:`grader`. Written by the worker for every graded student (:func:`feedback_html`)
and given its late penalty by the coordinator once the submission time is known
(:func:`late_penalty_html`). What a page may show of a test cell (never a hidden test, its
values or its messages) is :mod:`grader.feedback`'s rule; all text is HTML-escaped.
"""

from __future__ import annotations

import html

from .feedback import public_source
from .plan import Plan

_CSS = """body{font-family:sans-serif;max-width:960px;margin:auto;padding:1em}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;white-space:pre-wrap}
.pass{color:#1a7f37}.fail{color:#cf222e}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .6em}.out{background:#fff;border-left:3px solid #ccc}"""


LATE_START, LATE_END = "<!-- late penalty -->", "<!-- /late penalty -->"


def late_penalty_html(page: str, penalty: float, score: float, max_score: float) -> str:
    """``page`` (a :func:`feedback_html` page) saying that the submission came after the due
    date and what that cost: ``penalty`` points off ``score``. Idempotent: a page is rewritten,
    not appended to, when the penalty is recorded again. A page without the marker (a page
    written for a submission that could not be graded) is returned unchanged."""
    start, end = page.find(LATE_START), page.find(LATE_END)
    if start < 0 or end < start:
        return page
    note = (
        f"<p class='late'><b>Submitted after the due date: late penalty &minus;{penalty:g} points, "
        f"score after the penalty {max(score - penalty, 0):g} / {max_score:g}</b> "
        "(the course's late policy, assignments/README.md)</p>"
        if penalty > 0
        else ""
    )
    return page[: start + len(LATE_START)] + note + page[end:]


def feedback_html(
    student: str,
    assignment: str,
    notebook: str,
    plan: Plan,
    results: dict,
    status: str,
    reason: str,
    score: float,
    max_score: float,
) -> str:
    """A self-contained feedback page. It shows the student's own cells and
    outputs, the *public* part of each test cell, and for hidden tests only
    whether they passed - never their code or their messages."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(gid)}</td><td>{r.score:g} / {r.points:g}</td>"
        f"<td class='{'pass' if r.passed else 'fail'}'>{e(r.public_message)}</td></tr>"
        for gid, r in results.items()
    )
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(assignment)} - {e(student)}</title>"
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(assignment)} / {e(notebook)}: feedback for {e(student)}</h1>",
        f"<p><b>Score: {score:g} / {max_score:g}</b> &nbsp; status: {e(status)}"
        + (f" &mdash; {e(reason)}" if reason else "")
        + "</p>",
        LATE_START + LATE_END,  # filled in by late_penalty_html once the submission time is known
        "<table><tr><th>test</th><th>points</th><th>result</th></tr>" + rows + "</table>",
    ]
    if plan.notes:
        parts.append("<h3>Notes</h3><ul>" + "".join(f"<li>{e(n)}</li>" for n in plan.notes) + "</ul>")
    parts.append("<h2>Your notebook</h2>")
    for entry in plan.entries:
        cell = entry.cell
        if entry.role == "markdown":
            parts.append(f"<div class='md'><pre>{e(cell.source)}</pre></div>")
        elif entry.role == "test":
            r = results.get(entry.grade_id)
            verdict = (
                ""
                if r is None
                else f"<p class='{'pass' if r.passed else 'fail'}'>{e(entry.grade_id)}: {e(r.public_message)}"
                f" ({r.score:g} / {r.points:g} points)</p>"
            )
            parts.append(f"<pre>{e(public_source(cell.source))}</pre>{verdict}")
        elif entry.role == "missing":
            parts.append(f"<p class='fail'>[answer cell {e(entry.grade_id or '')} is missing]</p>")
        elif cell.cell_type == "code":
            parts.append(f"<pre>{e(cell.source)}</pre>")
            for out in cell.get("outputs", []):
                if out.output_type == "stream":
                    parts.append(f"<pre class='out'>{e(out.text[:20000])}</pre>")
                elif out.output_type == "error":
                    tb = "\n".join(out.get("traceback", []))
                    parts.append(f"<pre class='out fail'>{e(tb[-5000:] or (out.ename + ': ' + out.evalue))}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)

"""The batch grader's types in one place: a student's outcome, and the messages
between the coordinator, the zygote/worker and the sandboxed student process.

Part of :mod:`grader`. Everything here serialises to the same JSON as before
(the result files, ``grades.csv`` and the socket carry plain strings):
:class:`Status` and :class:`Op` are ``StrEnum`` members, which ``json``,
``csv`` and ``format`` write as their text.

Three channels:

* coordinator -> zygote (JSON lines on the zygote's stdin): ``{"job": Job}``;
  zygote -> coordinator: ``{"ready": pid}``, ``{"started": id, "pid": pid}``,
  ``{"done": id, "code": exit_code}``;
* worker (the checker) -> student process (length-prefixed JSON on a socket,
  :mod:`grader.codec`): one of the requests below, plus an ``id``; the student
  answers ``{"id", "value"}``, ``{"id", "module"}`` (a module: the checker
  imports it afresh), ``{"id", "error": {"ename", "evalue", "traceback"}}``;
  ``exec`` answers ``{"id", "ok", "stdout", "stderr", "error"}`` and ``call`` adds
  ``"warnings"`` and ``"args_after"``. Replies come from untrusted code: the
  checker reads each field with an exact type check, never trusting its shape;
* student -> checker, while a ``call`` is running: :class:`Callback` (student code
  calling a function the test passed in); the checker answers ``{"value"}`` or
  ``{"error"}``.

Values inside messages are already encoded by :func:`grader.codec.encode`
(plain data by copy, everything else a handle).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar


class Status(StrEnum):
    """A student's outcome (the ``status`` of a result file and of ``grades.csv``)."""

    GRADED = "graded"  # ran normally (failing tests simply score 0)
    TAMPERED = "tampered"  # test/read-only cells edited, deleted or duplicated: the genuine ones were graded
    TIMEOUT = "timeout"  # a cell or the notebook ran past its time limit
    CRASHED = "crashed"  # the student's process died (os._exit, a segfault, the OOM killer)
    FORBIDDEN = "forbidden"  # a student cell uses a module the assignment forbids
    INVALID = "invalid"  # not a notebook (not JSON, truncated, unsupported nbformat, too big)
    EMPTY = "empty"  # a notebook without code cells
    MISSING = "missing"  # no notebook submitted
    WRONG_NAME = "wrong_name"  # a notebook with another name
    GRADER_ERROR = "grader_error"  # the grader itself failed on this one


class RunState(StrEnum):
    """How running a plan ended (:func:`grader.checker.execute_plan`)."""

    OK = "ok"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    FORBIDDEN = "forbidden"  # not run at all: a student cell names a forbidden module


class Op(StrEnum):
    """The ``op`` of a request to the student process (and of its callbacks)."""

    EXEC = "exec"
    GET = "get"
    CALL = "call"
    GETATTR = "getattr"
    SETATTR = "setattr"
    GETITEM = "getitem"
    SETITEM = "setitem"
    LEN = "len"
    PING = "ping"
    CALLBACK = "callback"


# --------------------------------------------------------- checker -> student
@dataclass
class Request:
    """Base of the requests: ``to_wire()`` is the JSON object sent (``op`` plus the fields)."""

    op: ClassVar[Op]

    def to_wire(self) -> dict:
        return {"op": self.op.value, **{f.name: getattr(self, f.name) for f in fields(self)}}


@dataclass
class Exec(Request):
    """Run cell ``index`` (its ``code``) in the student's IPython shell."""

    op: ClassVar[Op] = Op.EXEC
    code: str
    index: int


@dataclass
class Get(Request):
    """Read a name of the student's namespace (``target={"name": ...}``) or a handle."""

    op: ClassVar[Op] = Op.GET
    target: dict


@dataclass
class Call(Request):
    """Call a student function with encoded arguments, under the checker's ``np.errstate``."""

    op: ClassVar[Op] = Op.CALL
    target: dict
    args: list
    kwargs: dict
    errstate: dict


@dataclass
class GetAttr(Request):
    op: ClassVar[Op] = Op.GETATTR
    target: dict
    name: str


@dataclass
class SetAttr(Request):
    op: ClassVar[Op] = Op.SETATTR
    target: dict
    name: str
    value: Any


@dataclass
class GetItem(Request):
    op: ClassVar[Op] = Op.GETITEM
    target: dict
    key: Any


@dataclass
class SetItem(Request):
    op: ClassVar[Op] = Op.SETITEM
    target: dict
    key: Any
    value: Any


@dataclass
class Len(Request):
    op: ClassVar[Op] = Op.LEN
    target: dict


@dataclass
class Ping(Request):
    op: ClassVar[Op] = Op.PING


@dataclass
class Callback(Request):
    """Student code calling checker function ``id`` (sent from the student process)."""

    op: ClassVar[Op] = Op.CALLBACK
    id: int
    args: list
    kwargs: dict


# ------------------------------------------------------ coordinator -> zygote
@dataclass
class Job:
    """One student to grade: everything a worker needs, sent to the zygote as ``{"job": ...}``."""

    id: str
    student: str
    assignment: str
    notebook: str
    path: str | None  # the student's notebook (None with a ``problem``)
    problem: list | None  # [status, reason] when there is nothing to run (missing, wrong name)
    key: str  # the result's key (see batch.grade)
    source: str  # the source notebook (read by the worker only after forking the sandbox)
    slot: int
    caps: dict  # what the machine lets us enforce (grader.probe.probe)
    limits: dict  # grader.limits.Limits.to_json()
    scratch_root: str
    release_files: list
    result: str  # where the result file goes
    test_ids: list
    max_score: float
    forbidden: list
    feedback: str
    autograded: str

    def to_wire(self) -> dict:
        return {"job": {f.name: getattr(self, f.name) for f in fields(self)}}

    @classmethod
    def from_wire(cls, msg: dict) -> Job:
        return cls(**msg["job"])

    def result_record(self, status: Status, reason: str, notes: list | None = None) -> dict:
        """A result file's content with no score (a submission that could not be run)."""
        return {
            "student": self.student,
            "assignment": self.assignment,
            "notebook": self.notebook,
            "key": self.key,
            "scores": {gid: 0.0 for gid in self.test_ids},
            "score": 0.0,
            "max_score": self.max_score,
            "status": status,
            "reason": reason,
            "notes": list(notes or []),
            "graded_at": time.time(),
        }

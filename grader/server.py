"""The server inside the sandboxed student process: it runs the student's cells and answers the checker.

Part of :mod:`grader`. Once :func:`grader.sandbox.start_student` has confined the process, it
serves the worker's requests (:mod:`grader.messages`) on its socket until the worker closes it:
run a cell in an IPython shell of its own, call a student function with copies of the
arguments, read or set an attribute or an item, take a length. Values go out through
:func:`grader.codec.encode`: plain data by copy, everything else as a handle that stays here.
Printed output is captured per request, capped (:class:`OutputCapture`); imports of the modules
the assignment forbids fail in notebook cells (library code may still import them).

This module runs in the student's process, next to the student's code: the builtins it uses are
bound at import, so that a student who rebinds ``builtins.len`` or ``builtins.isinstance``
breaks nothing here (only, perhaps, their own code).
"""

from __future__ import annotations

import builtins
import os
import signal
import socket
import sys
import traceback
import warnings

# Bound here so that student code patching the builtins cannot break this module
# (it runs inside the student process).
from builtins import (  # noqa: E402,A004,UP029 - bound on purpose (see above)
    BaseException,
    dict,
    getattr,
    isinstance,
    len,
    list,
    str,
    tuple,
    type,
)
from pathlib import Path

from .codec import (
    ProtocolError,
    decode,
    describe_type,
    encode,
    holds_arrays,
    raise_student_error,
    recv_msg,
    send_msg,
)
from .limits import Limits
from .messages import Callback, Op

# The grader's own frames are cut from the tracebacks a student sees.
_GRADER_DIR = str(Path(__file__).resolve().parent) + os.sep


class OutputCapture:
    """A bounded text stream (stdout/stderr of student code)."""

    def __init__(self, limit: int):
        self.limit, self.parts, self.size, self.truncated = limit, [], 0, False

    def write(self, s):
        s = str(s)
        if self.size < self.limit:
            self.parts.append(s[: self.limit - self.size])
            self.size += len(self.parts[-1])
        if self.size >= self.limit and len(s):
            self.truncated = True
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return False

    def text(self) -> str:
        out = "".join(self.parts)
        return out + ("\n[output truncated by the grader]\n" if self.truncated else "")


class _ForbiddenImports:
    """Refuse imports of forbidden top-level modules *from notebook cells*
    (library code such as the course's grading helpers may still import them)."""

    def __init__(self, forbidden, real_import):
        self.forbidden, self.real_import = set(forbidden), real_import

    def __call__(self, name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name.split(".")[0] in self.forbidden:
            caller = sys._getframe(1).f_code.co_filename
            if caller.startswith("<") or caller.startswith("/tmp/ipykernel"):
                raise ImportError(
                    f"{name.split('.')[0]} may not be used in this assignment (write the answer with numpy)"
                )
        return self.real_import(name, globals, locals, fromlist, level)


class StudentServer:
    """Runs in the sandbox: executes cells and answers the checker's requests."""

    def __init__(self, sock: socket.socket, limits: Limits, forbidden=()):
        self.sock, self.limits = sock, limits
        self.handles: dict[int, object] = {}
        self.ids: dict[int, int] = {}
        self.ns: dict = {"__name__": "__main__", "__builtins__": builtins}
        self.shell = None
        self.forbidden = tuple(forbidden)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    # -- plain data / handles
    def make_handle(self, obj):
        key = self.ids.get(id(obj))
        if key is None:
            key = len(self.handles) + 1
            self.handles[key] = obj
            self.ids[id(obj)] = key
        info = {"__handle__": key, "type": describe_type(obj)}
        try:
            if callable(obj):
                info["name"] = str(getattr(obj, "__name__", info["type"]))[:200]
                info["module"] = str(getattr(obj, "__module__", "__main__"))[:200]
                info["params"] = _positional_names(obj)
        except BaseException:  # noqa: BLE001 - a hostile __getattr__/__str__: the handle goes without a name
            pass
        return info

    def make_remote(self, obj):
        if "__callback__" in obj:
            return _Callback(self, obj["__callback__"])
        target = self.handles.get(obj.get("__handle__"))
        if target is None:
            raise ProtocolError("unknown handle")
        return target

    def encode(self, value):
        return encode(value, self.make_handle)

    def target(self, spec):
        if type(spec) is dict and "handle" in spec:
            if spec["handle"] not in self.handles:
                raise NameError("unknown handle")
            return self.handles[spec["handle"]]
        if type(spec) is dict and "name" in spec:
            name = spec["name"]
            if name not in self.ns or name.startswith("_") or name in ("In", "Out", "get_ipython", "exit", "quit"):
                raise NameError(f"name '{name}' is not defined")
            return self.ns[name]
        raise ProtocolError("bad target")

    # -- main loop
    def serve(self) -> None:
        while True:
            try:
                msg = recv_msg(self.sock)
            except ProtocolError:
                return
            self.handle(msg)

    def wait_reply(self) -> dict:
        """Wait for the reply to our own callback, serving nested requests."""
        while True:
            msg = recv_msg(self.sock)
            if "op" in msg:
                self.handle(msg)
            else:
                return msg

    def handle(self, msg: dict) -> None:
        reply: dict = {"id": msg.get("id")}
        op = msg.get("op")
        out = OutputCapture(self.limits.output_chars)
        err = OutputCapture(self.limits.output_chars)
        old = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        try:
            if op == Op.EXEC:
                reply.update(self.run_cell(str(msg.get("code", "")), int(msg.get("index", 0))))
            elif op == Op.GET:
                value = self.target(msg.get("target"))
                if type(value).__name__ == "module" and isinstance(getattr(value, "__name__", None), str):
                    reply["module"] = value.__name__
                else:
                    reply["value"] = self.encode(value)
            elif op == Op.CALL:
                reply.update(self.call(msg))
            elif op == Op.GETATTR:
                reply["value"] = self.encode(getattr(self.target(msg.get("target")), str(msg.get("name"))))
            elif op == Op.SETATTR:
                setattr(
                    self.target(msg.get("target")), str(msg.get("name")), decode(msg.get("value"), self.make_remote)
                )
                reply["value"] = None
            elif op == Op.GETITEM:
                reply["value"] = self.encode(self.target(msg.get("target"))[decode(msg.get("key"), self.make_remote)])
            elif op == Op.SETITEM:
                self.target(msg.get("target"))[decode(msg.get("key"), self.make_remote)] = decode(
                    msg.get("value"), self.make_remote
                )
                reply["value"] = None
            elif op == Op.LEN:
                reply["value"] = self.encode(len(self.target(msg.get("target"))))
            elif op == Op.PING:
                reply["value"] = os.getpid()
            else:
                raise ProtocolError(f"unknown op {op!r}")
        except BaseException as exc:  # noqa: BLE001 - student code may raise anything
            reply = {"id": msg.get("id"), "error": _error_info(exc)}
        finally:
            sys.stdout, sys.stderr = old
        try:
            send_msg(self.sock, reply)
        except (TypeError, ValueError) as exc:
            send_msg(self.sock, {"id": msg.get("id"), "error": _error_info(exc)})

    def call(self, msg):
        fn = self.target(msg.get("target"))
        args = decode(msg.get("args", []), self.make_remote)
        raw = msg.get("kwargs")
        kwargs = {str(k): decode(v, self.make_remote) for k, v in raw.items()} if type(raw) is dict else {}
        if type(args) is not list:
            raise ProtocolError("bad arguments")
        errstate = msg.get("errstate") if type(msg.get("errstate")) is dict else {}
        import numpy as np

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(**{k: v for k, v in errstate.items() if k in ("over", "divide", "invalid", "under")}):
                result = fn(*args, **kwargs)
        reply = {"value": self.encode(result)}
        reply["warnings"] = [[w.category.__name__, str(w.message)[:500]] for w in caught[:5]]
        # arrays and tensors go back as they are after the call: the checker sees changes made in place
        reply["args_after"] = [self._after(a) for a in args]
        return reply

    @staticmethod
    def _after(arg):
        """An argument as it is after the call, if it holds arrays or tensors (else None): the checker
        copies them back into its own, so that a test sees what the student changed in place."""
        if not holds_arrays(arg):
            return None
        try:
            return encode(arg)
        except (ProtocolError, TypeError, ValueError):
            return None  # something in it is not plain data: nothing goes back for this argument

    def get_shell(self):
        if self.shell is None:
            from IPython.core.interactiveshell import InteractiveShell
            from traitlets.config import Config

            cfg = Config()
            cfg.HistoryManager.enabled = False
            cfg.InteractiveShell.colors = "NoColor"
            cfg.InteractiveShell.xmode = "Plain"
            self.shell = InteractiveShell(config=cfg, user_ns=self.ns)
            builtins_import = builtins.__import__
            if self.forbidden:
                builtins.__import__ = _ForbiddenImports(self.forbidden, builtins_import)
        return self.shell

    def run_cell(self, code: str, index: int) -> dict:
        shell = self.get_shell()
        result = shell.run_cell(code, store_history=False, silent=False)
        error = result.error_before_exec or result.error_in_exec
        return {
            "ok": error is None,
            "stdout": sys.stdout.text(),
            "stderr": sys.stderr.text(),
            "error": _error_info(error) if error is not None else None,
        }


class _Callback:
    """A function of the checker passed into student code."""

    def __init__(self, server: StudentServer, key):
        self.server, self.key = server, key

    def __call__(self, *args, **kwargs):
        callback = Callback(
            self.key,
            [self.server.encode(a) for a in args],
            {"__dict__": [[k, self.server.encode(v)] for k, v in kwargs.items()]},
        )
        send_msg(self.server.sock, callback.to_wire())
        reply = self.server.wait_reply()
        if "error" in reply:
            raise_student_error(reply["error"] if type(reply["error"]) is dict else {})
        return decode(reply.get("value"), self.server.make_remote)


def _error_info(exc: BaseException) -> dict:
    try:
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        tb = [line for line in tb if _GRADER_DIR not in line and "site-packages/IPython" not in line]
        return {"ename": type(exc).__name__, "evalue": str(exc)[:2000], "traceback": "".join(tb)[-5000:]}
    except BaseException:  # noqa: BLE001 - a hostile __str__
        return {"ename": "Exception", "evalue": "(unprintable exception)", "traceback": ""}


def _positional_names(fn) -> list[str]:
    """The names of a student function's positional parameters (at most 32), so that the checker's
    messages can name an argument ("cache[0] changed in place") as they do in nbgrader's kernel."""
    import inspect

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [str(p.name)[:100] for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][:32]

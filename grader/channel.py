"""The checker's end of the socket to the student process, and its handles to student objects.

Part of :mod:`grader`. Runs in the trusted worker. A :class:`Channel` sends the requests of
:mod:`grader.messages` with a deadline (the cell's time left) and, while it waits, serves the
student's callbacks (student code calling a function the test passed in). A student object
that is not plain data (:mod:`grader.codec`) arrives as a :class:`Remote`: calling it, reading
or setting its attributes and items go over the channel, with copies of the arguments; arrays
and tensors the student changed in place are changed in the test's copies too. Comparisons,
truth value and conversions of a :class:`Remote` raise ``TypeError``: a lying ``__eq__`` never
runs in the checker.
"""

from __future__ import annotations

import builtins
import socket
import warnings

import numpy as np

from .codec import (
    ProtocolError,
    StudentTimeout,
    decode,
    describe_type,
    encode,
    holds_arrays,
    is_tensor,
    raise_student_error,
    recv_msg,
    send_msg,
)
from .messages import Call, GetAttr, GetItem, Len, Op, Request, SetAttr, SetItem


def _reemit_warnings(items):
    for item in items if type(items) is list else []:
        if type(item) is list and len(item) == 2:
            cls = getattr(builtins, str(item[0]), None)
            if not (isinstance(cls, type) and issubclass(cls, Warning)):
                cls = UserWarning
            warnings.warn(str(item[1])[:1000], cls, stacklevel=3)


class Channel:
    """The checker's end of the socket: requests with a deadline; while waiting
    it serves the student's callbacks (student code calling a function that
    the test passed in)."""

    def __init__(self, sock: socket.socket, on_timeout=None):
        self.sock = sock
        self.deadline: float | None = None
        self.on_timeout = on_timeout  # called with the channel when a request times out
        self.dead: str | None = None
        self._callbacks: dict[int, object] = {}
        self._seq = 0

    def make_remote(self, obj):
        if type(obj.get("__handle__")) is not int:
            raise ProtocolError("unexpected handle")
        return Remote(
            self,
            obj["__handle__"],
            str(obj.get("type", "object"))[:200],
            obj.get("name"),
            obj.get("module"),
            obj.get("params"),
        )

    def _encode_arg(self, value):
        def cb(fn):
            if isinstance(fn, Remote):  # a student object goes back as the handle it came as
                return {"__handle__": fn._handle}
            if not callable(fn):
                raise TypeError(f"cannot send a {describe_type(fn)} to student code; pass plain data")
            key = len(self._callbacks) + 1
            self._callbacks[key] = fn
            return {"__callback__": key}

        return encode(value, cb)

    def request(self, req: Request) -> dict:
        """Send ``req`` (a :mod:`grader.messages` request) and return the reply with its id,
        serving callbacks meanwhile; raises StudentTimeout past the deadline, ProtocolError
        when the student process is gone or sent garbage."""
        if self.dead:
            raise ProtocolError(self.dead)
        self._seq += 1
        msg = req.to_wire()
        msg["id"] = seq = self._seq
        try:
            send_msg(self.sock, msg)
            while True:
                reply = recv_msg(self.sock, self.deadline)
                if reply.get("op") == Op.CALLBACK:
                    self._serve_callback(reply)
                    continue
                if reply.get("id") != seq:
                    continue  # a late reply to a request that already timed out
                return reply
        except StudentTimeout:
            if self.on_timeout is not None:
                self.on_timeout(self, seq)
            raise StudentTimeout("student code did not return within the time limit for this cell") from None
        except (ProtocolError, OSError) as err:
            self.dead = f"student process unavailable: {err}"
            raise ProtocolError(self.dead) from None

    def _serve_callback(self, msg):
        fn = self._callbacks.get(msg.get("id"))
        try:
            if fn is None:
                raise ProtocolError("unknown callback")
            args = decode(msg.get("args", []), self.make_remote)
            kwargs = decode(msg.get("kwargs", {"__dict__": []}), self.make_remote)
            if type(args) is not list or type(kwargs) is not dict:
                raise ProtocolError("bad callback arguments")
            result = {"value": self._encode_arg(fn(*args, **kwargs))}
        except Exception as err:  # reported to the student, who sees its own call fail
            result = {"error": {"ename": type(err).__name__, "evalue": str(err)[:500]}}
        send_msg(self.sock, result)

    def value_of(self, reply: dict):
        if "error" in reply:
            if type(reply["error"]) is not dict:
                raise ProtocolError("bad error report")
            raise_student_error(reply["error"])
        if "value" not in reply:
            raise ProtocolError("reply has no value")
        return decode(reply["value"], self.make_remote)

    def call(self, target: dict, args, kwargs):
        enc_args = [self._encode_arg(a) for a in args]
        enc_kwargs = {str(k): self._encode_arg(v) for k, v in kwargs.items()}
        reply = self.request(Call(target, enc_args, enc_kwargs, np.geterr()))
        _reemit_warnings(reply.get("warnings"))
        # arrays and tensors passed in come back as they are after the call, so a test can
        # see a function that modified its input in place
        after = reply.get("args_after")
        if type(after) is list and len(after) == len(args):
            for arg, new in zip(args, after):
                if new is not None and holds_arrays(arg):
                    try:
                        _copy_back(arg, decode(new))
                    except (ProtocolError, ValueError, TypeError, RuntimeError):
                        pass  # a malformed copy-back: the test keeps its own array as it was
        return self.value_of(reply)


def _signature(params):
    """A signature of positional parameters from the names a student process sent, or None when they are not
    a short list of distinct identifiers (nothing from the student is trusted beyond that)."""
    import inspect
    import keyword

    if type(params) is not list or len(params) > 32:
        return None
    if not all(type(n) is str and n.isidentifier() and not keyword.iskeyword(n) for n in params):
        return None
    if len(set(params)) != len(params):
        return None
    return inspect.Signature([inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in params])


def _copy_back(arg, new) -> None:
    """Write ``new`` (the student's copy of ``arg`` after a call) into the checker's ``arg``: an array or
    tensor, or each array inside a list, tuple or dict of the same layout (the checker's own object
    gives the layout; what does not match it is left as it was)."""
    if type(arg) is np.ndarray:
        if type(new) is np.ndarray and new.shape == arg.shape and arg.flags.writeable:
            np.copyto(arg, new, casting="unsafe")
    elif is_tensor(arg):
        if is_tensor(new) and new.shape == arg.shape and new.dtype == arg.dtype:
            import torch

            with torch.no_grad():
                arg.copy_(new)
    elif type(arg) in (list, tuple) and type(new) in (list, tuple) and len(new) == len(arg):
        for a, n in zip(arg, new):
            _copy_back(a, n)
    elif type(arg) is dict and type(new) is dict:
        for key, a in arg.items():
            if key in new:
                _copy_back(a, new[key])


def _forbid(name):
    def method(self, *args):
        raise TypeError(
            f"{self._type} is a student object: the grader does not apply '{name}' to it; "
            "return plain values (numbers, numpy arrays, tuples, lists, dicts)"
        )

    return method


class Remote:
    """A handle to an object living in the student process (a function, a class,
    an instance). Attribute access and calls go over the channel; comparisons,
    truth value and conversions raise ``TypeError``."""

    def __init__(self, chan: Channel, handle: int, type_name: str, name=None, module=None, params=None):
        object.__setattr__(self, "_chan", chan)
        signature = _signature(params)
        if signature is not None:  # what inspect.signature reports: the student function's parameter names
            object.__setattr__(self, "__signature__", signature)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "__name__", str(name) if name is not None else type_name)
        object.__setattr__(self, "__qualname__", str(name) if name is not None else type_name)
        object.__setattr__(self, "__module__", str(module) if module is not None else "__main__")

    def __call__(self, *args, **kwargs):
        return self._chan.call({"handle": self._handle}, args, kwargs)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        reply = self._chan.request(GetAttr({"handle": self._handle}, name))
        return self._chan.value_of(reply)

    def __setattr__(self, name, value):
        reply = self._chan.request(SetAttr({"handle": self._handle}, name, self._chan._encode_arg(value)))
        self._chan.value_of(reply)

    def __getitem__(self, key):
        reply = self._chan.request(GetItem({"handle": self._handle}, self._chan._encode_arg(key)))
        return self._chan.value_of(reply)

    def __setitem__(self, key, value):
        reply = self._chan.request(
            SetItem({"handle": self._handle}, self._chan._encode_arg(key), self._chan._encode_arg(value))
        )
        self._chan.value_of(reply)

    def __len__(self):
        reply = self._chan.request(Len({"handle": self._handle}))
        value = self._chan.value_of(reply)
        if type(value) is not int:
            raise TypeError("len() of a student object did not return an int")
        return value

    __eq__ = _forbid("==")
    __ne__ = _forbid("!=")
    __lt__ = _forbid("<")
    __le__ = _forbid("<=")
    __gt__ = _forbid(">")
    __ge__ = _forbid(">=")
    __bool__ = _forbid("bool()")
    __float__ = _forbid("float()")
    __int__ = _forbid("int()")
    __index__ = _forbid("index")
    __array__ = _forbid("np.asarray")
    __iter__ = _forbid("iteration")
    __contains__ = _forbid("in")
    __hash__ = None

    def __repr__(self):
        return f"<student {self._type} {self.__name__}>" if self.__name__ != self._type else f"<student {self._type}>"

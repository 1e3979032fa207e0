"""Wire protocol between the trusted checker and the untrusted student process.

Part of the batch grader (:mod:`grader`). The student's
cells run in a sandboxed process; the hidden tests run in the trusted grader
process and see the student's functions only through :class:`Remote`
handles. Whatever crosses the socket is *plain data*, rebuilt on the trusted
side from bytes:

* ``None``, exact ``bool``/``int``/``float``/``str``, numpy scalars of a numeric
  dtype, ``list``/``tuple``/``dict`` of those (bounded depth and size);
* numpy arrays, sent as ``.npy`` bytes and loaded with ``allow_pickle=False``,
  so the checker always gets an exact ``np.ndarray`` of a numeric dtype;
* any other student object becomes a :class:`Remote` handle, whose
  comparisons and truth value raise ``TypeError`` (a lying ``__eq__`` never
  runs in the checker); torch tensors, ndarray subclasses and object arrays
  are refused with a clear message.

Messages are length-prefixed JSON; the checker refuses messages over
``MAX_MESSAGE`` bytes and anything it cannot parse (the call then raises).
"""

from __future__ import annotations

import base64
import builtins
import json
import math
import socket
import struct
import time
import warnings

# Bound here so that student code patching the builtins cannot break this module
# (it runs inside the student process too).
from builtins import (  # noqa: E402,A004,UP029 - bound on purpose (see above)
    Exception,
    dict,
    getattr,
    isinstance,
    len,
    list,
    repr,
    str,
    tuple,
    type,
)

import numpy as np

from .messages import Call, GetAttr, GetItem, Len, Op, SetAttr, SetItem, _Request

MAX_MESSAGE = 64 * 2**20
MAX_DEPTH = 8
MAX_ITEMS = 100_000
_NUMERIC_KINDS = "biufc"
_PLAIN_SCALARS = (type(None), bool, int, float, str)


class ProtocolError(RuntimeError):
    """The other side sent something that is not a valid message (or went away)."""


class StudentError(Exception):
    """An exception raised by student code that has no builtin equivalent."""


class StudentTimeout(TimeoutError):
    """A call into student code exceeded the time left for the cell."""


# ----------------------------------------------------------------- framing
def send_msg(sock: socket.socket, obj) -> None:
    data = json.dumps(obj, allow_nan=True).encode()
    sock.sendall(struct.pack(">I", len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise ProtocolError("the student process closed the connection (it exited or was killed)")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv_msg(sock: socket.socket, deadline: float | None = None) -> dict:
    if deadline is not None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise StudentTimeout("time limit reached")
        sock.settimeout(remaining)
    else:
        sock.settimeout(None)
    try:
        (n,) = struct.unpack(">I", _recv_exact(sock, 4))
        if n > MAX_MESSAGE:
            raise ProtocolError(f"message of {n} bytes is over the {MAX_MESSAGE}-byte limit")
        msg = json.loads(_recv_exact(sock, n))
    except TimeoutError:
        raise StudentTimeout("time limit reached") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise ProtocolError(f"unreadable message: {err}") from None
    if type(msg) is not dict:
        raise ProtocolError("message is not an object")
    return msg


# ---------------------------------------------------------- plain-data codec
def _array_to_b64(arr: np.ndarray) -> str:
    """``"<dtype>;<shape>;<base64 of the C-order bytes>"``, e.g. ``"<f8;2,3;AAAA..."``: a header
    that takes no parser to read (``np.save``'s header is a Python literal, and reading it cost
    the grader more than the arrays themselves: a gradient check makes thousands of calls)."""
    shape = ",".join(str(n) for n in arr.shape)
    return f"{arr.dtype.str};{shape};{base64.b64encode(arr.tobytes(order='C')).decode()}"


def _array_from_b64(text) -> np.ndarray:
    """The array :func:`_array_to_b64` wrote, as a fresh, writeable ``np.ndarray`` of a numeric
    or unicode dtype; anything else (another dtype, a size that does not match the shape, bad
    base64) is a :class:`ProtocolError`. Nothing in the payload is ever unpickled or evaluated."""
    if type(text) is not str:
        raise ProtocolError("array payload is not a string")
    try:
        dtype_text, shape_text, data = text.split(";", 2)
        dtype = np.dtype(dtype_text)
        if dtype.kind not in _NUMERIC_KINDS + "U" or dtype.hasobject or dtype.fields is not None:
            raise ProtocolError("array payload has a non-numeric dtype")
        shape = tuple(int(n) for n in shape_text.split(",")) if shape_text else ()
        if any(n < 0 for n in shape) or len(shape) > 32:
            raise ValueError("bad shape")
        flat = np.frombuffer(base64.b64decode(data, validate=True), dtype=dtype)
        if flat.size != math.prod(shape):
            raise ValueError("size does not match the shape")
        return flat.reshape(shape).copy()
    except ProtocolError:
        raise
    except Exception as err:  # noqa: BLE001 - bad base64, dtype or shape text: all hostile input
        raise ProtocolError(f"array payload is not valid: {type(err).__name__}") from None


def describe_type(obj) -> str:
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def encode(obj, make_handle=None, depth: int = 0, budget: list | None = None):
    """Plain data -> JSON-able structure. Objects that are not plain data become
    handles via ``make_handle(obj)`` (student side) or raise ``TypeError``."""
    budget = budget if budget is not None else [MAX_ITEMS]
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise TypeError("value is too large or too deeply nested to return to the grader")
    t = type(obj)
    if t is float:
        return obj if obj == obj and obj not in (float("inf"), float("-inf")) else {"__f__": repr(obj)}
    if t in _PLAIN_SCALARS:
        return obj
    if t is np.ndarray:
        if obj.dtype.kind not in _NUMERIC_KINDS + "U":
            return {"__refused__": f"a numpy array of dtype {obj.dtype}"}
        return {"__nd__": _array_to_b64(obj)}
    if isinstance(obj, np.generic) and t.__module__ == "numpy":
        if np.dtype(t).kind not in _NUMERIC_KINDS:
            return {"__refused__": f"a numpy scalar of type {t.__name__}"}
        return {"__np__": _array_to_b64(np.asarray(obj))}
    if t in (list, tuple):
        items = [encode(v, make_handle, depth + 1, budget) for v in obj]
        return items if t is list else {"__tuple__": items}
    if t is dict:
        return {
            "__dict__": [
                [encode(k, make_handle, depth + 1, budget), encode(v, make_handle, depth + 1, budget)]
                for k, v in obj.items()
            ]
        }
    if isinstance(obj, np.ndarray):
        return {"__refused__": f"a {describe_type(obj)} (a subclass of numpy.ndarray); return a plain numpy array"}
    if t.__module__.split(".")[0] == "torch" and t.__name__ in ("Tensor", "Parameter"):
        return {"__refused__": f"a {describe_type(obj)}; return a numpy array (np.ndarray)"}
    if isinstance(obj, Remote):
        return {"__handle__": obj._handle}
    if make_handle is None:
        raise TypeError(f"cannot send a {describe_type(obj)} to student code; pass plain data")
    return make_handle(obj)


def decode(obj, make_remote=None, depth: int = 0):
    """Inverse of :func:`encode`; strict about shapes (raises ProtocolError)."""
    if depth > MAX_DEPTH + 1:
        raise ProtocolError("value nested too deeply")
    t = type(obj)
    if t in _PLAIN_SCALARS:
        return obj
    if t is list:
        return [decode(v, make_remote, depth + 1) for v in obj]
    if t is not dict or len(obj) > 4:
        raise ProtocolError(f"unexpected value of type {t.__name__}")
    if "__f__" in obj:
        if obj["__f__"] not in ("nan", "inf", "-inf"):
            raise ProtocolError("bad float")
        return float(obj["__f__"])
    if "__nd__" in obj:
        return _array_from_b64(obj["__nd__"])
    if "__np__" in obj:
        arr = _array_from_b64(obj["__np__"])
        if arr.shape != ():
            raise ProtocolError("scalar payload is not 0-d")
        return arr[()]
    if "__tuple__" in obj:
        if type(obj["__tuple__"]) is not list:
            raise ProtocolError("bad tuple")
        return tuple(decode(v, make_remote, depth + 1) for v in obj["__tuple__"])
    if "__dict__" in obj:
        pairs = obj["__dict__"]
        if type(pairs) is not list:
            raise ProtocolError("bad dict")
        out = {}
        for pair in pairs:
            if type(pair) is not list or len(pair) != 2:
                raise ProtocolError("bad dict item")
            key = decode(pair[0], make_remote, depth + 1)
            if type(key) not in (str, int, float, bool, tuple, type(None)):
                raise ProtocolError("bad dict key")
            out[key] = decode(pair[1], make_remote, depth + 1)
        return out
    if "__refused__" in obj:
        return Refused(str(obj["__refused__"]))
    if "__handle__" in obj or "__callback__" in obj:
        if make_remote is None:
            raise ProtocolError("unexpected handle")
        return make_remote(obj)
    raise ProtocolError("unknown tagged value")


class Refused:
    """Placeholder for a student value the grader does not accept (e.g. a torch
    tensor). Any use of it raises ``TypeError`` with the reason."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason

    def _fail(self, *args, **kwargs):
        raise TypeError(f"student code returned {self.reason}")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __bool__ = __float__ = __int__ = _fail
    __len__ = __iter__ = __getitem__ = __array__ = __call__ = __index__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _fail
    __hash__ = None

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        self._fail()

    def __repr__(self):
        return f"<refused: {self.reason}>"


def raise_student_error(err: dict):
    """Re-raise an error reported by the student process as a local exception.
    Builtin exception types keep their class (so ``except FloatingPointError``
    in a test works); anything else becomes :class:`StudentError`."""
    ename = str(err.get("ename", "Exception"))[:200]
    evalue = str(err.get("evalue", ""))[:2000]
    cls = getattr(builtins, ename, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)) or issubclass(
        cls, (StopIteration, StopAsyncIteration)
    ):
        raise StudentError(f"{ename}: {evalue}")
    try:
        exc = cls(evalue)
    except Exception:
        exc = StudentError(f"{ename}: {evalue}")
    raise exc


def _reemit_warnings(items):
    for item in items if type(items) is list else []:
        if type(item) is list and len(item) == 2:
            cls = getattr(builtins, str(item[0]), None)
            if not (isinstance(cls, type) and issubclass(cls, Warning)):
                cls = UserWarning
            warnings.warn(str(item[1])[:1000], cls, stacklevel=3)


# ------------------------------------------------------ checker-side handles
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
        return Remote(self, obj["__handle__"], str(obj.get("type", "object"))[:200], obj.get("name"), obj.get("module"))

    def _encode_arg(self, value):
        def cb(fn):
            if not callable(fn):
                raise TypeError(f"cannot send a {describe_type(fn)} to student code; pass plain data")
            key = len(self._callbacks) + 1
            self._callbacks[key] = fn
            return {"__callback__": key}

        return encode(value, cb)

    def request(self, req: _Request) -> dict:
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
        # arrays passed in come back as they are after the call, so a test can
        # see a function that modified its input in place
        after = reply.get("args_after")
        if type(after) is list and len(after) == len(args):
            for arg, new in zip(args, after):
                if type(arg) is np.ndarray and new is not None:
                    try:
                        new = decode(new)
                        if type(new) is np.ndarray and new.shape == arg.shape and arg.flags.writeable:
                            np.copyto(arg, new, casting="unsafe")
                    except (ProtocolError, ValueError, TypeError):
                        pass  # a malformed copy-back: the test keeps its own array as it was
        return self.value_of(reply)


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

    def __init__(self, chan: Channel, handle: int, type_name: str, name=None, module=None):
        object.__setattr__(self, "_chan", chan)
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

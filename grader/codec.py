"""Wire protocol between the trusted checker and the untrusted student process.

Part of the batch grader (:mod:`grader`). The student's cells run in a sandboxed process; the
hidden tests run in the trusted grader process and see the student's functions only through
handles (:class:`grader.channel.Remote`, over a :class:`grader.channel.Channel`). Whatever
crosses the socket is *plain data*, rebuilt on the receiving side from bytes:

* ``None``, exact ``bool``/``int``/``float``/``str``, numpy scalars of a numeric
  dtype, ``list``/``tuple``/``dict`` of those (bounded depth and size);
* numpy arrays of a numeric (or unicode) dtype, sent as a ``'<dtype>;<shape>;<base64>'``
  payload (the dtype as ``np.dtype.str``, e.g. ``'<f8;2,3;AAAA...'``) and read back with
  ``np.frombuffer`` after the dtype and the size are checked, so the checker always gets an
  exact, writeable ``np.ndarray``; nothing is ever unpickled;
* CPU torch tensors of a numeric dtype (float16, bfloat16, float32, float64, complex64,
  complex128, int8 to int64, uint8, bool), sent the same way (``'float32;2,3;AAAA...'``, the
  bytes in the machine's order: both ends are processes of one machine) and rebuilt with
  ``torch.frombuffer`` as a plain ``torch.Tensor`` of the same dtype and shape. Only the
  values cross: a tensor that requires grad arrives detached (``requires_grad`` False, no
  ``grad_fn``), a ``Parameter`` as a plain tensor. torch is imported only when a tensor is met;
* any other student object becomes a handle (``make_handle``), whose
  comparisons and truth value raise ``TypeError`` (a lying ``__eq__`` never
  runs in the checker); ndarray and tensor subclasses, object arrays, and tensors that
  cannot cross (on a GPU, sparse, or of another dtype) are refused with a clear message
  (a :class:`Refused` value), and a payload that does not match its dtype and shape is a
  :class:`ProtocolError`.

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
import sys
import time

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

MAX_MESSAGE = 64 * 2**20
MAX_DEPTH = 8
MAX_ITEMS = 100_000
_NUMERIC_KINDS = "biufc"
# the torch dtypes a tensor may cross with (their names in torch, without "torch.")
TORCH_DTYPES = (
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool",
)
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


def is_tensor(obj) -> bool:
    """Whether ``obj`` is exactly a ``torch.Tensor`` or ``torch.nn.Parameter`` (not a subclass).
    Never imports torch: a tensor exists only where torch was imported already."""
    module = getattr(type(obj), "__module__", None)
    torch = sys.modules.get("torch") if type(module) is str and module.startswith("torch") else None
    return torch is not None and (type(obj) is torch.Tensor or type(obj) is torch.nn.Parameter)


def _tensor_to_wire(tensor) -> dict:
    """A CPU tensor of a numeric dtype as ``{"__pt__": "<dtype>;<shape>;<base64>"}`` (its values
    only, detached); any other tensor as a refusal that says what to return instead."""
    torch = sys.modules["torch"]
    name = str(tensor.dtype).removeprefix("torch.")
    if tensor.device.type != "cpu":
        return {"__refused__": f"a torch tensor on device {tensor.device}; return a CPU tensor (.cpu())"}
    if tensor.layout != torch.strided or tensor.is_nested:
        return {"__refused__": f"a torch tensor of layout {tensor.layout}; return a dense tensor (.to_dense())"}
    if name not in TORCH_DTYPES:
        return {"__refused__": f"a torch tensor of dtype {tensor.dtype}; return one of a numeric dtype"}
    flat = tensor.detach().resolve_conj().resolve_neg().contiguous().reshape(-1)
    shape = ",".join(str(n) for n in tensor.shape)
    return {"__pt__": f"{name};{shape};{base64.b64encode(flat.view(torch.uint8).numpy().tobytes()).decode()}"}


def _tensor_from_wire(text):
    """The tensor :func:`_tensor_to_wire` sent, as a fresh ``torch.Tensor`` of the same dtype and
    shape; a dtype not in :data:`TORCH_DTYPES`, a size that does not match the shape, or bad
    base64 is a :class:`ProtocolError`. Imports torch (once) to build it."""
    if type(text) is not str:
        raise ProtocolError("tensor payload is not a string")
    try:
        name, shape_text, data = text.split(";", 2)
        if name not in TORCH_DTYPES:
            raise ProtocolError("tensor payload has a dtype the grader does not carry")
        import torch

        dtype = getattr(torch, name)
        shape = tuple(int(n) for n in shape_text.split(",")) if shape_text else ()
        if any(n < 0 for n in shape) or len(shape) > 32:
            raise ValueError("bad shape")
        raw = base64.b64decode(data, validate=True)
        if len(raw) != math.prod(shape) * dtype.itemsize:
            raise ValueError("size does not match the shape")
        if not raw:
            return torch.empty(shape, dtype=dtype)
        if dtype == torch.bool:  # any byte but 0 is True: no bool tensor holds another byte
            return torch.frombuffer(bytearray(raw), dtype=torch.uint8).ne(0).reshape(shape)
        return torch.frombuffer(bytearray(raw), dtype=dtype).reshape(shape)
    except ProtocolError:
        raise
    except Exception as err:  # noqa: BLE001 - bad base64, dtype or shape text: all hostile input
        raise ProtocolError(f"tensor payload is not valid: {type(err).__name__}") from None


def describe_type(obj) -> str:
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def holds_arrays(value, depth: int = 0) -> bool:
    """Whether ``value`` is an array or tensor, or a list, tuple or dict holding one (a cache, a dict of
    parameters): what a student's function can change in place."""
    if type(value) is np.ndarray or is_tensor(value):
        return True
    if depth < 4 and type(value) in (list, tuple):
        return any(holds_arrays(v, depth + 1) for v in value)
    if depth < 4 and type(value) is dict:
        return any(holds_arrays(v, depth + 1) for v in value.values())
    return False


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
    if is_tensor(obj):
        return _tensor_to_wire(obj)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(obj, torch.Tensor):
        return {"__refused__": f"a {describe_type(obj)} (a subclass of torch.Tensor); return a plain tensor"}
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
    if t is not dict or len(obj) > 5:  # a handle has the most keys: __handle__, type, name, module, params
        raise ProtocolError(f"unexpected value of type {t.__name__}")
    if "__f__" in obj:
        if obj["__f__"] not in ("nan", "inf", "-inf"):
            raise ProtocolError("bad float")
        return float(obj["__f__"])
    if "__nd__" in obj:
        return _array_from_b64(obj["__nd__"])
    if "__pt__" in obj:
        return _tensor_from_wire(obj["__pt__"])
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
    """Placeholder for a student value the grader does not accept (e.g. an object array or a
    tensor on a GPU). Any use of it raises ``TypeError`` with the reason."""

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

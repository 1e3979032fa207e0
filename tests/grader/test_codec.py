"""grader.codec and grader.channel: what crosses between the student process and the checker is
plain data, copied; anything else is a handle or refused; hostile or oversized messages are rejected.
Also the message types of grader.messages (same wire format as the dicts they replace)."""

from __future__ import annotations

import json
import socket
import struct

import numpy as np
import pytest

from grader import codec
from grader.channel import Channel, Remote
from grader.codec import ProtocolError, Refused, decode, encode, recv_msg, send_msg
from grader.messages import Call, Callback, Exec, Get, GetAttr, Job, Len, Op, SetItem, Status


def roundtrip(value):
    """Encode, send through JSON text (as the socket does), decode."""
    return decode(json.loads(json.dumps(encode(value))))


@pytest.mark.parametrize(
    "value", [None, True, False, 0, -7, 2**70, 1.5, "text", "", [], (), {}, [1, [2, (3, "x")]], {"a": (1, 2.0)}]
)
def test_plain_values_round_trip_with_their_exact_types(value):
    out = roundtrip(value)
    assert out == value and type(out) is type(value)


def test_special_floats_and_numpy_scalars():
    out = roundtrip([float("nan"), float("inf"), float("-inf"), np.float32(1.5), np.int64(-3), np.bool_(True)])
    assert np.isnan(out[0]) and out[1:3] == [float("inf"), float("-inf")]
    assert type(out[3]) is np.float32 and out[3] == 1.5
    assert type(out[4]) is np.int64 and out[4] == -3
    assert type(out[5]) is np.bool_


@pytest.mark.parametrize("dtype", ["float64", "float32", "int8", "uint16", "complex128", "bool", "<U3"])
def test_arrays_round_trip_as_exact_ndarrays(dtype):
    arr = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    out = roundtrip({"w": arr, "pair": (arr[0], arr.T)})
    assert type(out["w"]) is np.ndarray and out["w"].dtype == arr.dtype and np.array_equal(out["w"], arr)
    assert np.array_equal(out["pair"][1], arr.T)
    assert out["w"] is not arr  # a copy, never the object


def test_dict_keys_of_every_plain_kind():
    value = {1: "a", "b": 2, (1, 2): [3], None: 0.5, 2.5: True}
    assert roundtrip(value) == value


def test_non_plain_values_are_refused_or_become_handles():
    class Sub(np.ndarray):
        pass

    obj_arr = np.array([object()], dtype=object)
    assert isinstance(roundtrip(obj_arr), Refused)
    assert isinstance(roundtrip(np.zeros(2).view(Sub)), Refused)
    with pytest.raises(TypeError, match="numpy array"):
        bool(roundtrip(obj_arr) == 1)
    with pytest.raises(TypeError, match="cannot send"):
        encode(object())  # the checker side has no handle maker: nothing but plain data leaves it
    handles = []
    assert encode(lambda: 1, lambda o: handles.append(o) or {"__handle__": 1}) == {"__handle__": 1}
    assert len(handles) == 1


def test_oversized_or_too_deep_values_are_refused():
    with pytest.raises(TypeError, match="too large"):
        encode(list(range(codec.MAX_ITEMS + 1)))
    deep = []
    for _ in range(codec.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(TypeError, match="too deeply"):
        encode(deep)
    with pytest.raises(ProtocolError):
        decode(json.loads(json.dumps(deep)))


@pytest.mark.parametrize(
    "wire",
    [
        {"__f__": "1e308"},  # only nan/inf travel as text
        {"__nd__": 5},
        {"__nd__": "not base64!"},
        {"__nd__": "|O8;1;AAAAAAAAAAA="},  # an object array: pointers, never accepted
        {"__nd__": "f8,i4;1;AAAAAAAAAAAAAAAA"},  # a structured dtype
        {"__nd__": "<f8;2;AAAAAAAAAAA="},  # 8 bytes for a shape that needs 16
        {"__nd__": "<f8;-1;"},  # a negative dimension
        {"__nd__": "<f8;2,x;AAAA"},  # a shape that is not integers
        {"__nd__": "<f8;1;not base64!"},
        {"__np__": None},
        {"__tuple__": "x"},
        {"__dict__": [[1]]},
        {"__dict__": [[[1, 2], 3]]},  # a list is not a valid key
        {"__handle__": 1},  # a handle where none may come (no make_remote)
        {"__what__": 1},
        {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5},
        3 + 0j,
    ],
)
def test_hostile_encodings_are_rejected(wire):
    with pytest.raises(ProtocolError):
        decode(wire)


def test_pickled_object_arrays_are_never_loaded():
    import base64
    import io

    buf = io.BytesIO()
    np.save(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ProtocolError):
        decode({"__nd__": base64.b64encode(buf.getvalue()).decode()})


@pytest.mark.parametrize(
    "arr",
    [
        np.arange(6.0).reshape(2, 3),
        np.arange(6.0).reshape(2, 3).T,  # not C-contiguous
        np.array(2.5, dtype=np.float32),  # zero-dimensional
        np.zeros((0, 4), dtype=np.int64),
        np.array([1 + 2j], dtype=np.complex64),
        np.array([True, False]),
        np.array(["ab", "c"]),
        np.arange(4, dtype=">i4"),  # big-endian
    ],
)
def test_arrays_round_trip_exactly_and_arrive_writeable(arr):
    back = decode(json.loads(json.dumps(encode(arr))))
    assert type(back) is np.ndarray and back.dtype == arr.dtype and back.shape == arr.shape
    assert np.array_equal(back, arr) and back.flags.writeable and back.flags.c_contiguous


def test_framing_rejects_oversized_unreadable_and_non_object_messages():
    a, b = socket.socketpair()
    with a, b:
        a.sendall(struct.pack(">I", codec.MAX_MESSAGE + 1))
        with pytest.raises(ProtocolError, match="over the"):
            recv_msg(b, deadline=None)
    for payload in (b"{not json", b"[1, 2]", b"\xff\xfe"):
        a, b = socket.socketpair()
        with a, b:
            a.sendall(struct.pack(">I", len(payload)) + payload)
            with pytest.raises(ProtocolError):
                recv_msg(b)
    a, b = socket.socketpair()
    with a, b:
        a.sendall(b"\x00\x00")
        a.close()
        with pytest.raises(ProtocolError, match="closed"):
            recv_msg(b)


def test_a_silent_peer_times_out():
    import time

    a, b = socket.socketpair()
    with a, b, pytest.raises(codec.StudentTimeout):
        recv_msg(b, deadline=time.monotonic() + 0.05)


def test_remote_handles_refuse_comparison_and_truth():
    chan = Channel(socket.socketpair()[0])
    r = chan.make_remote({"__handle__": 3, "type": "Liar", "name": "liar"})
    assert isinstance(r, Remote) and repr(r) == "<student Liar liar>"
    for op in (lambda: r == 1, lambda: bool(r), lambda: float(r), lambda: list(r), lambda: 1 in r):
        with pytest.raises(TypeError, match="student object"):
            op()
    with pytest.raises(ProtocolError):
        chan.make_remote({"__handle__": "1"})


def test_student_errors_keep_builtin_types_only():
    with pytest.raises(FloatingPointError, match="overflow"):
        codec.raise_student_error({"ename": "FloatingPointError", "evalue": "overflow"})
    with pytest.raises(codec.StudentError, match="SystemExit"):
        codec.raise_student_error({"ename": "SystemExit", "evalue": "0"})
    with pytest.raises(codec.StudentError):
        codec.raise_student_error({"ename": "StopIteration"})


def test_messages_keep_the_wire_format():
    assert Exec("x = 1", 3).to_wire() == {"op": "exec", "code": "x = 1", "index": 3}
    assert Get({"name": "f"}).to_wire() == {"op": "get", "target": {"name": "f"}}
    assert GetAttr({"handle": 1}, "w").to_wire() == {"op": "getattr", "target": {"handle": 1}, "name": "w"}
    assert SetItem({"handle": 1}, 0, None).to_wire() == {
        "op": "setitem",
        "target": {"handle": 1},
        "key": 0,
        "value": None,
    }
    assert Len({"handle": 2}).to_wire() == {"op": "len", "target": {"handle": 2}}
    call = Call({"handle": 1}, [1], {}, {"over": "raise"}).to_wire()
    assert call == {"op": "call", "target": {"handle": 1}, "args": [1], "kwargs": {}, "errstate": {"over": "raise"}}
    assert Callback(4, [], {"__dict__": []}).to_wire()["op"] == "callback"
    assert json.loads(json.dumps(Exec("", 0).to_wire()))["op"] == Op.EXEC


def test_channel_sends_a_request_with_an_id_and_reads_the_matching_reply():
    a, b = socket.socketpair()
    with a, b:
        chan = Channel(a)
        send_msg(b, {"id": 99, "value": "stale"})  # a late reply to an earlier request is skipped
        send_msg(b, {"id": 1, "value": 7})
        reply = chan.request(Get({"name": "x"}))
        assert recv_msg(b) == {"op": "get", "target": {"name": "x"}, "id": 1}
        assert chan.value_of(reply) == 7


def test_status_is_text_in_json_and_csv():
    import csv
    import io

    assert json.dumps({"status": Status.WRONG_NAME}) == '{"status": "wrong_name"}'
    buf = io.StringIO()
    csv.writer(buf).writerow([Status.GRADER_ERROR])
    assert buf.getvalue().strip() == "grader_error" and f"{Status.TIMEOUT:<8}|" == "timeout |"
    assert Status("crashed") is Status.CRASHED


def test_job_round_trips_through_its_json_line():
    job = Job(
        id="ann", student="ann", assignment="toy", notebook="toy", path="/x.ipynb", problem=None, key="k",
        source="/s.ipynb", slot=0, caps={}, limits={}, scratch_root="/tmp", release_files=[], result="/r.json",
        test_ids=["t"], max_score=3.0, forbidden=["torch"], feedback="/f.html", autograded="/a.ipynb",
    )  # fmt: skip
    assert Job.from_wire(json.loads(json.dumps(job.to_wire()))) == job
    record = job.result_record(Status.MISSING, "no notebook")
    assert record["scores"] == {"t": 0.0} and json.loads(json.dumps(record))["status"] == "missing"


# ------------------------------------------------------------------ torch tensors
torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", codec.TORCH_DTYPES)
def test_tensors_round_trip_exactly_with_their_dtype_and_shape(dtype):
    base = torch.tensor([[-2.5, 0.0, 1.0], [3.0, -0.0, 7.0]], dtype=torch.float64)
    t = base.to(getattr(torch, dtype))
    for value in (t, t.T, t[0, 1], t[:0]):  # 2-d, not contiguous, 0-d, empty
        back = roundtrip(value)
        assert type(back) is torch.Tensor and back.dtype == value.dtype and back.shape == value.shape
        assert torch.equal(back, value)
        assert back.data_ptr() != value.data_ptr() or value.numel() == 0  # a copy, never the object


def test_tensor_bits_cross_unchanged():
    t = torch.tensor([float("nan"), -0.0, float("inf"), 1e-45], dtype=torch.float32)
    back = roundtrip(t)
    assert back.view(torch.int32).tolist() == t.view(torch.int32).tolist()  # NaN and -0.0 as they were
    z = torch.tensor([1 + 2j, -3j], dtype=torch.complex64)
    assert torch.equal(roundtrip(z.conj()), z.conj().resolve_conj())  # a lazy conjugate crosses conjugated


def test_tensors_cross_as_values_only():
    """Only the values cross: a tensor that requires grad arrives detached, a Parameter as a
    plain tensor (an autograd graph cannot be copied between processes)."""
    w = torch.nn.Parameter(torch.ones(2, 3))
    y = (w * 2).sum(0)
    for value, expected in ((w, torch.ones(2, 3)), (y, torch.full((3,), 4.0))):
        back = roundtrip(value)
        assert type(back) is torch.Tensor and not back.requires_grad and back.grad_fn is None
        assert torch.equal(back, expected)


def test_a_tensor_payload_must_match_its_dtype_and_shape():
    good = encode(torch.arange(6, dtype=torch.float32).reshape(2, 3))["__pt__"]
    name, shape, data = good.split(";")
    assert (name, shape) == ("float32", "2,3")
    for wire in (
        f"float64;2,3;{data}",  # the bytes of six float32 are three float64, not six
        f"float32;3,3;{data}",  # a shape that needs more bytes
        f"float32;2,-3;{data}",
        f"float32;2,x;{data}",
        f"object;2,3;{data}",  # not a dtype the grader carries
        f"qint8;2,3;{data}",
        f"Tensor;2,3;{data}",
        "float32;2,3;not base64!",
        "float32;2,3",
        7,
    ):
        with pytest.raises(ProtocolError):
            decode({"__pt__": wire})


def test_bool_tensor_payload_bytes_other_than_0_or_1_read_as_true():
    import base64

    back = decode({"__pt__": "bool;3;" + base64.b64encode(bytes([0, 1, 2])).decode()})
    assert back.dtype == torch.bool and back.tolist() == [False, True, True]
    assert torch.equal(back, torch.tensor([False, True, True]))


def test_tensors_that_cannot_cross_are_refused_with_a_reason():
    class Sub(torch.Tensor):
        pass

    cases = {
        "device meta": torch.empty(2, device="meta"),  # what a GPU tensor gets too: not on the CPU
        "layout torch.sparse_coo": torch.eye(2).to_sparse(),
        "dtype torch.float8_e5m2": torch.zeros(2, dtype=torch.float8_e5m2),  # a dtype numpy has no bytes for
        "dtype torch.uint16": torch.zeros(2, dtype=torch.uint16),  # one torch barely computes with
        "subclass of torch.Tensor": torch.ones(2).as_subclass(Sub),
    }
    for reason, value in cases.items():
        out = roundtrip(value)
        assert isinstance(out, Refused) and reason in out.reason, out
        with pytest.raises(TypeError, match="student code returned a"):
            out + 1


def test_the_codec_imports_torch_only_when_it_meets_a_tensor():
    import subprocess
    import sys

    code = (
        "import sys, json, numpy as np\n"
        "from grader.codec import decode, encode\n"
        "decode(json.loads(json.dumps(encode([1, np.ones(2), {'a': 'b'}]))))\n"
        "print('torch' in sys.modules)\n"
        "decode({'__pt__': 'float32;1;AACAPw=='})\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_tensors_through_the_student_server_and_back(tmp_path):
    """A call through a real StudentServer: tensor arguments and results cross both ways, an
    argument changed in place is changed in the checker's tensor too (as arrays are)."""
    import threading

    from grader.limits import Limits
    from grader.server import StudentServer

    a, b = socket.socketpair()
    server = StudentServer(b, Limits())
    server.ns["scale_"] = lambda t, k: (t.mul_(k), t.requires_grad)[1]  # in place; reports what it got
    server.ns["relu"] = lambda t: t.clamp(min=0)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        chan = Channel(a)
        x = torch.tensor([-1.0, 2.0], dtype=torch.float64)
        out = chan.call({"name": "relu"}, [x], {})
        assert type(out) is torch.Tensor and out.dtype == torch.float64 and out.tolist() == [0.0, 2.0]
        w = torch.tensor([1.0, -2.0], requires_grad=True)
        assert chan.call({"name": "scale_"}, [w, 3], {}) is False  # it got the values, detached
        assert w.tolist() == [3.0, -6.0] and w.requires_grad  # the change came back, in place
    finally:
        a.close()
        thread.join(5)
        b.close()


def test_arrays_inside_a_cache_or_a_dict_changed_in_place_come_back(tmp_path):
    """A student's function that changes an array inside a tuple argument (a layer's cache) or a dict
    (the parameters) in place: the checker's arrays change too, so the assignment's in-place check
    (course_utils.grading) tells the student, as it does under nbgrader's own kernel."""
    import threading

    from grader.limits import Limits
    from grader.server import StudentServer

    a, b = socket.socketpair()
    server = StudentServer(b, Limits())

    def backward(dout, cache):
        x, _ = cache
        x -= 1.0  # in place, inside the cache
        return dout

    def step(params, lr):
        params["W"] *= 1 - lr  # in place, inside the dict
        return None

    server.ns.update(backward=backward, step=step)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        chan = Channel(a)
        x, mask = np.array([1.0, 2.0]), np.array([True, False])
        chan.call({"name": "backward"}, [np.ones(2), (x, mask)], {})
        assert x.tolist() == [0.0, 1.0] and mask.tolist() == [True, False]
        params = {"W": np.array([2.0, 4.0]), "name": "layer"}
        chan.call({"name": "step"}, [params, 0.5], {})
        assert params["W"].tolist() == [1.0, 2.0] and params["name"] == "layer"
    finally:
        a.close()
        thread.join(5)
        b.close()


def test_a_student_function_keeps_its_parameter_names_in_the_checker():
    """The checker's messages name an argument as the student wrote it (cache, not "argument 2");
    names that are not a plain list of distinct identifiers are ignored."""
    import inspect

    from grader.channel import Remote, _signature

    remote = Remote(None, 1, "function", "maxpool2d_backward", "__main__", ["dout", "cache"])
    assert list(inspect.signature(remote).parameters) == ["dout", "cache"]
    for bad in (["a", "a"], ["not valid"], ["class"], "dout", [1, 2], ["x"] * 40):
        assert _signature(bad) is None

"""chainrule.save / load: the safetensors format, exact round trips, no pickle, atomic writes, clear errors."""
import io
import json
import os
import struct

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import chainrule as cr
from chainrule.io import load, save


def test_round_trip_nested_checkpoint(tmp_path):
    obj = {
        "model": {"fc.weight": cr.randn(3, 4), "fc.bias": cr.zeros(3, dtype=cr.float64)},
        "step": 7, "lr": 0.1, "name": "run", "none": None, "flag": True,
        "history": [1.5, float("inf"), float("nan")], "pair": (cr.arange(5), np.array([1, 2], np.int32)),
        "state": {0: {"momentum_buffer": cr.ones(2)}, 1: {}},
        "mask": cr.tensor([True, False]),
    }
    path = tmp_path / "ckpt.safetensors"
    save(obj, path)
    back = load(path)
    assert back["step"] == 7 and back["lr"] == 0.1 and back["name"] == "run" and back["none"] is None
    assert back["flag"] is True and isinstance(back["pair"], tuple) and isinstance(back["pair"][1], np.ndarray)
    assert back["history"][1] == float("inf") and np.isnan(back["history"][2])
    for key in ("fc.weight", "fc.bias"):
        a, b = obj["model"][key], back["model"][key]
        assert b.dtype == a.dtype and np.array_equal(a.numpy(), b.numpy())
    assert back["pair"][0].dtype == np.int64 and back["pair"][1].dtype == np.int32
    assert set(back["state"]) == {0, 1} and back["state"][1] == {}
    assert back["mask"].dtype == np.bool_ and back["mask"].tolist() == [True, False]


def test_state_dict_is_plain_safetensors_readable_by_the_reference_library(tmp_path):
    numpy_st = pytest.importorskip("safetensors.numpy")
    sd = {"a.weight": cr.randn(2, 3), "a.bias": cr.arange(3), "flag": cr.tensor([True])}
    save(sd, tmp_path / "w.safetensors")
    theirs = numpy_st.load_file(str(tmp_path / "w.safetensors"))
    assert set(theirs) == set(sd)
    for k in sd:
        assert theirs[k].dtype == sd[k].dtype and np.array_equal(theirs[k], sd[k].numpy())


def test_files_written_by_the_reference_library_load(tmp_path):
    numpy_st = pytest.importorskip("safetensors.numpy")
    arrays = {"w": np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32),
              "n": np.array([3], np.int64), "h": np.ones(3, np.float16)}
    numpy_st.save_file(arrays, str(tmp_path / "x.safetensors"), metadata={"format": "pt"})
    back = load(tmp_path / "x.safetensors")
    for k, v in arrays.items():
        assert back[k].dtype == v.dtype and np.array_equal(back[k].numpy(), v)
    back["w"].numpy()[0, 0] = 1.0  # loaded arrays are writable copies


def test_parameters_and_requires_grad_survive(tmp_path):
    from chainrule.nn import Parameter
    save({"p": Parameter(cr.randn(2, 2)), "t": cr.ones(2, requires_grad=True)}, tmp_path / "f")
    back = load(tmp_path / "f")
    assert isinstance(back["p"], Parameter) and back["p"].requires_grad
    assert back["t"].requires_grad and back["t"].is_leaf


def test_unsupported_objects_are_refused_with_their_location(tmp_path):
    with pytest.raises(TypeError, match=r"cannot save a object \(at model\.layer\)"):
        save({"model": {"layer": object()}}, tmp_path / "f")
    assert not (tmp_path / "f").exists()


def test_failed_save_leaves_previous_file_intact(tmp_path):
    path = tmp_path / "latest"
    save({"v": cr.ones(3)}, path)
    with pytest.raises(TypeError):
        save({"v": cr.zeros(3), "bad": {1, 2}}, path)
    assert np.array_equal(load(path)["v"].numpy(), np.ones(3, np.float32))
    assert os.listdir(tmp_path) == ["latest"]  # no temporary file left behind


def test_pytorch_pickle_file_gets_a_clear_error(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(b"PK\x03\x04\x14\x00\x00\x00archive/data.pkl")
    with pytest.raises(ValueError, match="never unpickles.*safetensors"):
        load(path)


def _file(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


@pytest.mark.parametrize("data, message", [
    (b"\x01\x02", "shorter than the 8-byte header length"),
    (struct.pack("<Q", 10 ** 12) + b"{}", "more than the"),
    (struct.pack("<Q", 100) + b"{}", "truncated"),
    (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
    (_file({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4), "outside"),
    (_file({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8), "needs 12 bytes"),
    (_file({"w": {"dtype": "X9", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8), "unsupported dtype"),
    (_file({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8), "invalid shape"),
    (_file({"w": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 8]}}, b"\0" * 8), "needs"),
    (_file({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
            "b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}}, b"\0" * 6), "gaps or overlaps"),
    (_file({"w": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}, b"\0" * 5), "not described"),
])
def test_hostile_or_truncated_files_are_refused(tmp_path, data, message):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=message):
        load(path)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(0, 10 ** 6))
def test_fuzzed_files_give_only_value_errors(junk, cut):
    good = io.BytesIO()
    save({"w": cr.arange(6, dtype=cr.float32).reshape(2, 3), "step": 3}, good)
    data = good.getvalue()
    for candidate in (junk, data[:cut % (len(data) + 1)], data[:cut % len(data)] + junk):
        try:
            load(io.BytesIO(candidate))
        except ValueError:
            pass


def test_stream_round_trip():
    buf = io.BytesIO()
    save([cr.tensor([1.0, 2.0])], buf)
    buf.seek(0)
    assert load(buf)[0].tolist() == [1.0, 2.0]

"""chainrule.save / load: exact round trips, no pickle, atomic writes, clear errors."""
import os
import zipfile

import numpy as np
import pytest

import chainrule as cr
from chainrule.io import save, load


def test_round_trip_nested_structure(tmp_path):
    obj = {
        "weights": {"fc.weight": cr.randn(3, 4), "fc.bias": cr.zeros(3, dtype=cr.float64)},
        "step": 7, "lr": 0.1, "name": "run", "none": None, "flag": True,
        "history": [1.5, float("inf"), float("nan")], "pair": (cr.arange(5), np.array([1, 2], np.int32)),
        "by_index": {0: {"momentum_buffer": cr.ones(2)}, 1: {}},
    }
    path = tmp_path / "ckpt.chainrule"
    save(obj, path)
    back = load(path)
    assert back["step"] == 7 and back["lr"] == 0.1 and back["name"] == "run" and back["none"] is None
    assert back["flag"] is True and isinstance(back["pair"], tuple)
    assert back["history"][1] == float("inf") and np.isnan(back["history"][2])
    for key in ("fc.weight", "fc.bias"):
        a, b = obj["weights"][key], back["weights"][key]
        assert b.dtype == a.dtype and np.array_equal(a.numpy(), b.numpy())
    assert back["pair"][0].dtype == np.int64 and back["pair"][1].dtype == np.int32
    assert set(back["by_index"]) == {0, 1}
    assert np.array_equal(back["by_index"][0]["momentum_buffer"].numpy(), np.ones(2, np.float32))


def test_parameters_and_requires_grad_survive(tmp_path):
    from chainrule.nn import Parameter
    p = Parameter(cr.randn(2, 2))
    save({"p": p, "t": cr.ones(2, requires_grad=True)}, tmp_path / "f")
    back = load(tmp_path / "f")
    assert isinstance(back["p"], Parameter) and back["p"].requires_grad
    assert back["t"].requires_grad and back["t"].is_leaf


def test_file_is_plain_zip_without_pickle(tmp_path):
    save({"w": cr.randn(2)}, tmp_path / "f")
    with zipfile.ZipFile(tmp_path / "f") as z:
        assert sorted(z.namelist()) == ["arrays/0.npy", "structure.json"]
        assert all(not n.endswith(".pkl") for n in z.namelist())


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
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    with pytest.raises(ValueError, match="never unpickles.*safetensors"):
        load(path)


def test_not_a_zip_file(tmp_path):
    path = tmp_path / "junk"
    path.write_bytes(b"hello")
    with pytest.raises(ValueError, match="not a chainrule file"):
        load(path)


def test_stream_round_trip():
    import io
    buf = io.BytesIO()
    save([cr.tensor([1.0, 2.0])], buf)
    buf.seek(0)
    assert load(buf)[0].tolist() == [1.0, 2.0]

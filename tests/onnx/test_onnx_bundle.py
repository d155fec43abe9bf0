"""An exported .onnx file works wherever a bundle does: same predictions from raw input,
through `load_bundle`, `chainrule predict` and the server."""
import json
import threading
import urllib.request

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.cli.main import main  # noqa: E402
from chainrule.data import StandardScaler  # noqa: E402
from chainrule.io.bundle import BundleError, load_bundle, save_bundle  # noqa: E402


@pytest.fixture
def bundle_path(tmp_path):
    cr.manual_seed(0)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((50, 4)) * 3 + 10).astype(np.float32)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    path = tmp_path / "m.bundle"
    save_bundle(model, path, input_shape=(4,), preprocess=[StandardScaler().fit(x)],
                class_names=["a", "b", "c"], feature_names=["f1", "f2", "f3", "f4"])
    return path, x


def test_exported_onnx_predicts_like_the_bundle(bundle_path, tmp_path):
    path, x = bundle_path
    assert main(["export", str(path), str(tmp_path / "m.onnx")]) == 0
    native, onnx_bundle = load_bundle(path), load_bundle(tmp_path / "m.onnx")
    np.testing.assert_allclose(onnx_bundle.predict(x), native.predict(x), rtol=1e-5, atol=1e-6)
    assert onnx_bundle.class_names == ["a", "b", "c"] and onnx_bundle.feature_names == native.feature_names


def test_predict_and_serve_take_onnx_files(bundle_path, tmp_path, capsys):
    path, x = bundle_path
    load_bundle(path).export_onnx(tmp_path / "m.onnx")
    np.save(tmp_path / "rows.npy", x[:2])
    assert main(["predict", str(tmp_path / "m.onnx"), str(tmp_path / "rows.npy"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = load_bundle(path).results(x[:2])
    assert [r["label"] for r in rows] == [e["label"] for e in expected]

    from chainrule.serve.server import PredictionServer
    server = PredictionServer(load_bundle(tmp_path / "m.onnx"), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/predict"
        body = json.dumps({"inputs": x[:3].tolist()}).encode()
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        answer = json.loads(urllib.request.urlopen(request, timeout=10).read())
        assert [p["label"] for p in answer["predictions"]] == [e["label"] for e in load_bundle(path).results(x[:3])]
    finally:
        server.shutdown()
        server.server_close()


def test_plain_onnx_file_without_metadata(tmp_path):
    from chainrule.onnx import export
    model = nn.Sequential(nn.Linear(3, 2))
    export(model, cr.randn(1, 3), str(tmp_path / "plain.onnx"), input_names=["x"],
           dynamic_axes={"x": {0: "batch"}})
    b = load_bundle(tmp_path / "plain.onnx")
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    with cr.no_grad():
        np.testing.assert_allclose(b.predict(x), model(cr.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)


def test_broken_onnx_file_is_a_bundle_error(tmp_path):
    (tmp_path / "bad.onnx").write_bytes(b"not a protobuf")
    with pytest.raises(BundleError, match="cannot load the ONNX model"):
        load_bundle(tmp_path / "bad.onnx")

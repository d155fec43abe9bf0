"""Each worked example's network (examples/*.py) exports to ONNX, passes onnx.checker and gives the
chainrule model's outputs in onnxruntime, with a dynamic batch size."""
import importlib.util
import os

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import chainrule as cr  # noqa: E402
from chainrule.onnx import export  # noqa: E402

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")


def _example(name):
    import sys
    if EXAMPLES not in sys.path:
        sys.path.insert(0, EXAMPLES)
    spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(EXAMPLES, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = [
    ("mnist_mlp", lambda m: m.make_model(), (1, 28, 28)),
    ("mnist_lenet5", lambda m: m.LeNet5(), (1, 28, 28)),
    ("mnist_pytorch", lambda m: m.Net(), (1, 28, 28)),
    ("mnist_autoencoder", lambda m: m.Autoencoder(), (1, 28, 28)),
    ("mnist_rnn", lambda m: m.RowReader("lstm"), (1, 28, 28)),
    ("mnist_rnn", lambda m: m.RowReader("gru"), (1, 28, 28)),
    ("cats_vs_dogs", lambda m: m.make_model(), (3, 32, 32)),
    ("churn", lambda m: m.make_model(12), (12,)),
]


@pytest.mark.parametrize("name, build, shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_worked_example_network_in_onnxruntime(name, build, shape, tmp_path):
    cr.manual_seed(0)
    model = build(_example(name)).eval()
    path = str(tmp_path / f"{name}.onnx")
    export(model, cr.randn(2, *shape), path, input_names=["x"], output_names=["y"],
           dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    onnx.checker.check_model(onnx.load(path))
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).standard_normal((5,) + shape).astype(np.float32)
    with cr.no_grad():
        expected = model(cr.tensor(x)).numpy()
    np.testing.assert_allclose(session.run(None, {"x": x})[0], expected, rtol=1e-4, atol=1e-5)

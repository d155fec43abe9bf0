"""export's PyTorch-style options: names, dynamic axes in the file, where it writes, modes, extra inputs."""
import io

import numpy as np

import chainrule as cr
import chainrule.nn as nn
from tests.onnx.roundtrip import export_bytes, onnx, roundtrip

from chainrule.onnx import TrainingMode, export, load_onnx_predictor  # noqa: E402

X = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)


def _dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_names_and_dynamic_axes_are_in_the_file():
    proto = onnx.load_from_string(export_bytes(
        nn.Linear(4, 2), [X], input_names=["features"], output_names=["scores"],
        dynamic_axes={"features": {0: "batch"}, "scores": {0: "batch"}}))
    assert [i.name for i in proto.graph.input] == ["features"]
    assert [o.name for o in proto.graph.output] == ["scores"]
    assert _dims(proto.graph.input[0]) == ["batch", 4]
    assert _dims(proto.graph.output[0]) == ["batch", 2]


def test_default_names_and_axes_given_as_a_list():
    proto = onnx.load_from_string(export_bytes(nn.Linear(4, 2), [X], dynamic_axes={"input": [0]}))
    assert [i.name for i in proto.graph.input] == ["input"]  # the forward's parameter name
    assert _dims(proto.graph.input[0]) == ["input_dynamic_axes_1", 4]
    assert _dims(proto.graph.output[0]) == ["input_dynamic_axes_1", 2]  # follows the input's axis


def test_write_to_a_path_or_a_file_object(tmp_path):
    model = nn.Linear(4, 2)
    export(model, cr.from_numpy(X), tmp_path / "a.onnx")
    export(model, (cr.from_numpy(X),), str(tmp_path / "b.onnx"))
    with open(tmp_path / "c.onnx", "wb") as f:
        export(model, X, f)
    proto = export(model, X)  # no file: the ModelProto is returned
    for name in "abc":
        assert onnx.load(str(tmp_path / f"{name}.onnx")) == proto


def test_keep_initializers_as_inputs():
    proto = onnx.load_from_string(export_bytes(nn.Linear(4, 2), [X], keep_initializers_as_inputs=True))
    assert {"weight", "bias"} <= {i.name for i in proto.graph.input}


def test_training_mode_is_restored():
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
    model.train()
    export(model, X)
    assert all(m.training for m in model.modules())
    model.eval()
    export(model, X, training=TrainingMode.TRAINING)  # batch statistics: exportable, spelled out
    assert not any(m.training for m in model.modules())


def test_keyword_and_non_tensor_arguments():
    class Scaled(nn.Module):
        def forward(self, x, scale, bias=None):
            return x * scale + bias

    bias = np.ones(4, np.float32)
    data = io.BytesIO()
    export(Scaled(), (cr.from_numpy(X), 2.0), data, kwargs={"bias": cr.from_numpy(bias)})
    run = load_onnx_predictor(data.getvalue())
    assert run.input_names == ["x", "bias"]  # the fixed number is part of the graph
    np.testing.assert_allclose(run(X, bias * 3), X * 2 + 3, rtol=1e-6)


def test_verify_runs_onnxruntime(capsys):
    export(nn.Sequential(nn.Linear(4, 3), nn.Softmax(1)), X, verify=True, verbose=True)
    assert "Softmax" in capsys.readouterr().out


def test_model_with_several_inputs_and_outputs():
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(4, 2), nn.Linear(6, 2)

        def forward(self, x, y):
            return {"sum": self.a(x) + self.b(y), "parts": (self.a(x), [self.b(y)])}

    y = np.random.default_rng(1).standard_normal((3, 6)).astype(np.float32)
    proto = roundtrip(TwoHeads(), [X, y], {0: {0: 5}, 1: {0: 5}})
    assert len(proto.graph.output) == 3


def test_export_does_not_change_the_model_or_its_inputs():
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(inplace=True))
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    x = cr.from_numpy(X.copy())
    export(model, x)
    np.testing.assert_array_equal(x.numpy(), X)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    assert x.grad is None and all(p.grad is None for p in model.parameters())

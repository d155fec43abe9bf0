"""What cannot be exported fails with an error naming the operation, never with a silently wrong graph;
bad arguments say what was expected."""
import io

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.nn.utils.rnn import pack_padded_sequence

pytest.importorskip("onnx", reason="the onnx package is not installed: pip install 'chainrule[onnx]'")
from chainrule.onnx import ExportError, export  # noqa: E402

X = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)


def _export(model, x=X, **options):
    return export(model, (cr.from_numpy(x),), io.BytesIO(), **options)


def test_an_operation_without_conversion_is_named():
    target = cr.from_numpy(np.array([0, 1, 2]))
    with pytest.raises(ExportError, match=r"ClassIndexNLL .*no ONNX conversion"):
        _export(lambda x: F.cross_entropy(x, target))


def test_value_computed_outside_the_recorded_operations():
    with pytest.raises(ExportError, match="argmax"):
        _export(lambda x: x.argmax(1))
    with pytest.raises(ExportError, match="not computed by chainrule operations"):
        _export(lambda x: x * cr.from_numpy(x.detach().numpy() > 0))  # a mask made in NumPy


def test_random_draw_in_forward():
    with pytest.raises(ExportError, match="random draw"):
        _export(lambda x: x + cr.randn(3, 4))


def test_dropout_in_training_mode_is_refused_but_eval_is_the_default():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    _export(model)
    assert model.training, "the model's mode is restored after the export"
    from chainrule.onnx import TrainingMode
    with pytest.raises(ExportError, match="random draw"):
        _export(model, training=TrainingMode.PRESERVE)


def test_branching_on_values_is_refused():
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)  # reversed for the second trace: x[0, 0] > 0
    with pytest.raises(ExportError, match="different operations"):
        _export(lambda x: x.exp() if x._data[0, 0] > 0 else x.tanh(), x)


def test_size_dependent_argument_with_dynamic_axes():
    fn = lambda x: x.reshape(x.shape[0] * 2, 2).sum(0) + x[: x.shape[0] - 1].sum(0).sum()  # noqa: E731
    _export(fn)  # fixed sizes: fine
    with pytest.raises(ExportError, match="GetItem"):
        _export(lambda x: x[: x.shape[0] // 2], input_names=["x"], dynamic_axes={"x": [0]})


def test_recurrent_limits():
    lstm = nn.LSTM(4, 5, proj_size=2)
    with pytest.raises(ExportError, match="proj_size"):
        _export(lstm, np.zeros((2, 3, 4), np.float32))
    packed = lambda x: nn.GRU(4, 3)(pack_padded_sequence(x, [2, 1]))[1]  # noqa: E731
    with pytest.raises(ExportError, match="PackedSequence"):
        _export(packed, np.zeros((2, 2, 4), np.float32))


def test_max_pool_indices_and_boolean_masks():
    with pytest.raises(ExportError, match="return_indices"):
        _export(lambda x: F.max_pool1d(x, 2, return_indices=True)[0], np.zeros((1, 2, 4), np.float32))
    mask = cr.from_numpy(np.array([True, False, True]))
    with pytest.raises(ExportError, match="boolean mask"):
        _export(lambda x: x[mask])


def test_bad_arguments():
    with pytest.raises(ValueError, match="opset_version must be between 13"):
        _export(lambda x: x + 1, opset_version=9)
    with pytest.raises(ValueError, match="at least one example input tensor"):
        export(lambda: None, (), io.BytesIO())
    with pytest.raises(ValueError, match="2 input_names given for 1 input"):
        _export(lambda x: x + 1, input_names=["a", "b"])
    with pytest.raises(ValueError, match="no axis 5"):
        _export(lambda x: x + 1, input_names=["x"], dynamic_axes={"x": [5]})
    with pytest.raises(ValueError, match=r"dynamic_axes names \['y'\]"):
        _export(lambda x: x + 1, input_names=["x"], dynamic_axes={"y": [0]})
    with pytest.raises(ExportError, match="returned a str"):
        _export(lambda x: "text")
    with pytest.raises(ExportError, match=r"running the model on the example input .* failed"):
        _export(nn.Linear(5, 2))


def test_runtime_checks_its_inputs():
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    from chainrule.onnx import load_onnx_predictor
    data = io.BytesIO()
    export(nn.Linear(4, 2), (cr.from_numpy(X),), data, input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    run = load_onnx_predictor(data.getvalue())
    assert run.input_names == ["x"] and run.input_shapes == [(None, 4)]
    assert run(X.astype(np.float64)).dtype == np.float32  # converted to the model's precision
    with pytest.raises(ValueError, match=r"expects shape \(\?, 4\) .* got \(3, 5\)"):
        run(np.zeros((3, 5), np.float32))
    with pytest.raises(TypeError, match="expects float32 values, got int64"):
        run(np.zeros((3, 4), np.int64))
    with pytest.raises(ValueError, match=r"takes 1 input\(s\)"):
        run(X, X)


def test_pooling_whose_windows_follow_a_dynamic_spatial_size():
    x = np.zeros((1, 2, 7, 7), np.float32)
    with pytest.raises(ExportError, match="MaxPool2d .*ceil_mode=True"):
        _export(nn.MaxPool2d(2, ceil_mode=True), x, input_names=["x"], dynamic_axes={"x": [2, 3]})
    with pytest.raises(ExportError, match="AvgPool2d .*argument 2"):
        _export(nn.AvgPool2d(3, padding=1, count_include_pad=False), x, input_names=["x"], dynamic_axes={"x": [2]})

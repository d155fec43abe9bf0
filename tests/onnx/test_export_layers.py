"""Every layer of chainrule.nn, exported and run in onnxruntime: same outputs as chainrule, on the example
input and on a batch of another size (the batch dimension is dynamic)."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn import spec
from tests.onnx.roundtrip import op_types, roundtrip


def f32(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


def ints(high, *shape):
    return np.random.default_rng(0).integers(0, high, size=shape).astype(np.int64)


class Pair(nn.Module):
    """Two inputs, for Bilinear."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, a, b):
        return self.layer(a, b)


def _trained_batchnorm(layer, shape):
    """Running statistics that are not the initial 0 and 1, so eval mode really uses them."""
    layer.train()
    with cr.no_grad():
        for k in range(3):
            layer(cr.from_numpy(f32(*shape) * (k + 1) + k))
    layer.weight.data = cr.from_numpy(f32(*layer.weight.shape) + 1)
    layer.bias.data = cr.from_numpy(f32(*layer.bias.shape))
    return layer


# (id, layer class covered, factory, example inputs, dynamic axes {input: {axis: other size}})
CASES = [
    ("identity", nn.Identity, lambda: nn.Identity(), [f32(3, 4)], {0: {0: 5}}),
    ("linear", nn.Linear, lambda: nn.Linear(6, 4), [f32(3, 6)], {0: {0: 7}}),
    ("linear-3d-nobias", nn.Linear, lambda: nn.Linear(6, 4, bias=False), [f32(2, 5, 6)], {0: {0: 3, 1: 2}}),
    ("bilinear", nn.Bilinear, lambda: Pair(nn.Bilinear(3, 4, 5)), [f32(2, 3), f32(2, 4)], {0: {0: 4}, 1: {0: 4}}),
    ("relu", nn.ReLU, lambda: nn.ReLU(), [f32(3, 4)], {0: {0: 2}}),
    ("relu-inplace", nn.ReLU, lambda: nn.Sequential(nn.Linear(4, 4), nn.ReLU(inplace=True)), [f32(3, 4)],
     {0: {0: 2}}),
    ("leaky-relu", nn.LeakyReLU, lambda: nn.LeakyReLU(0.2), [f32(3, 4)], {0: {0: 2}}),
    ("elu", nn.ELU, lambda: nn.ELU(0.7), [f32(3, 4)], {0: {0: 2}}),
    ("gelu", nn.GELU, lambda: nn.GELU(), [f32(3, 4)], {0: {0: 2}}),
    ("gelu-tanh", nn.GELU, lambda: nn.GELU(approximate="tanh"), [f32(3, 4)], {0: {0: 2}}),
    ("silu", nn.SiLU, lambda: nn.SiLU(), [f32(3, 4)], {0: {0: 2}}),
    ("sigmoid", nn.Sigmoid, lambda: nn.Sigmoid(), [f32(3, 4)], {0: {0: 2}}),
    ("tanh", nn.Tanh, lambda: nn.Tanh(), [f32(3, 4)], {0: {0: 2}}),
    ("hardtanh", nn.Hardtanh, lambda: nn.Hardtanh(-0.5, 0.8), [f32(3, 4)], {0: {0: 2}}),
    ("relu6", nn.ReLU6, lambda: nn.ReLU6(), [f32(3, 4) * 5], {0: {0: 2}}),
    ("softmax", nn.Softmax, lambda: nn.Softmax(dim=1), [f32(3, 4)], {0: {0: 2}}),
    ("log-softmax", nn.LogSoftmax, lambda: nn.LogSoftmax(dim=-1), [f32(3, 4)], {0: {0: 2}}),
    ("softplus", nn.Softplus, lambda: nn.Softplus(), [f32(3, 4)], {0: {0: 2}}),
    ("softplus-beta", nn.Softplus, lambda: nn.Softplus(beta=2.0, threshold=5.0), [f32(3, 4)], {0: {0: 2}}),
    ("dropout", nn.Dropout, lambda: nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)), [f32(3, 4)], {0: {0: 2}}),
    ("dropout1d", nn.Dropout1d, lambda: nn.Dropout1d(0.3), [f32(2, 3, 4)], {0: {0: 3}}),
    ("dropout2d", nn.Dropout2d, lambda: nn.Dropout2d(0.3), [f32(2, 3, 4, 4)], {0: {0: 3}}),
    ("flatten", nn.Flatten, lambda: nn.Flatten(), [f32(2, 3, 4, 5)], {0: {0: 3}}),
    ("flatten-middle", nn.Flatten, lambda: nn.Flatten(1, 2), [f32(2, 3, 4, 5)], {0: {0: 3, 3: 2}}),
    ("unflatten", nn.Unflatten, lambda: nn.Unflatten(1, (3, 4)), [f32(2, 12)], {0: {0: 5}}),
    ("embedding", nn.Embedding, lambda: nn.Embedding(10, 4, padding_idx=0), [ints(10, 2, 5)], {0: {0: 3, 1: 2}}),
    ("conv1d", nn.Conv1d, lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), [f32(2, 3, 9)], {0: {0: 3}}),
    ("conv1d-same-dilated", nn.Conv1d, lambda: nn.Conv1d(2, 4, 3, padding="same", dilation=2), [f32(2, 2, 8)],
     {0: {0: 1, 2: 11}}),
    ("conv2d", nn.Conv2d, lambda: nn.Conv2d(3, 4, 3, padding=1), [f32(2, 3, 6, 6)], {0: {0: 3}}),
    ("conv2d-groups-dilation", nn.Conv2d, lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(2, 1),
                                                             dilation=2, groups=2), [f32(2, 4, 9, 7)], {0: {0: 1}}),
    ("conv2d-dynamic-spatial", nn.Conv2d, lambda: nn.Conv2d(2, 3, 3), [f32(1, 2, 6, 7)], {0: {0: 2, 2: 8, 3: 5}}),
    ("conv2d-reflect", nn.Conv2d, lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), [f32(2, 2, 5, 5)],
     {0: {0: 3}}),
    ("conv-transpose1d", nn.ConvTranspose1d, lambda: nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1),
     [f32(2, 3, 5)], {0: {0: 3}}),
    ("conv-transpose2d", nn.ConvTranspose2d, lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1,
                                                                         output_padding=1, groups=2, dilation=2),
     [f32(2, 4, 5, 4)], {0: {0: 3}}),
    ("max-pool1d", nn.MaxPool1d, lambda: nn.MaxPool1d(3, stride=2, padding=1), [f32(2, 3, 9)], {0: {0: 3}}),
    ("max-pool2d", nn.MaxPool2d, lambda: nn.MaxPool2d(2), [f32(2, 3, 6, 6)], {0: {0: 3}}),
    ("max-pool2d-ceil-dilated", nn.MaxPool2d, lambda: nn.MaxPool2d(3, stride=2, padding=1, dilation=2,
                                                                   ceil_mode=True), [f32(2, 2, 8, 9)], {0: {0: 1}}),
    ("pools-dynamic-spatial", nn.MaxPool2d, lambda: nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1),
                                                                  nn.AvgPool2d(2)),
     [f32(2, 3, 9, 10)], {0: {0: 3, 2: 13, 3: 7}}),
    ("avg-pool1d", nn.AvgPool1d, lambda: nn.AvgPool1d(3, stride=2), [f32(2, 3, 9)], {0: {0: 3}}),
    ("avg-pool2d", nn.AvgPool2d, lambda: nn.AvgPool2d(2), [f32(2, 3, 6, 6)], {0: {0: 3}}),
    ("avg-pool2d-padding-excluded", nn.AvgPool2d, lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True,
                                                                       count_include_pad=False),
     [f32(2, 2, 7, 8)], {0: {0: 3}}),
    ("adaptive-avg-pool1d", nn.AdaptiveAvgPool1d, lambda: nn.AdaptiveAvgPool1d(3), [f32(2, 3, 7)], {0: {0: 3}}),
    ("adaptive-avg-pool2d", nn.AdaptiveAvgPool2d, lambda: nn.AdaptiveAvgPool2d((2, 3)), [f32(2, 3, 5, 7)],
     {0: {0: 3}}),
    ("batchnorm1d", nn.BatchNorm1d, lambda: _trained_batchnorm(nn.BatchNorm1d(4), (8, 4)), [f32(3, 4)],
     {0: {0: 2}}),
    ("batchnorm1d-3d", nn.BatchNorm1d, lambda: _trained_batchnorm(nn.BatchNorm1d(3), (4, 3, 5)), [f32(2, 3, 5)],
     {0: {0: 4}}),
    ("batchnorm2d", nn.BatchNorm2d, lambda: _trained_batchnorm(nn.BatchNorm2d(3), (4, 3, 4, 4)),
     [f32(2, 3, 4, 4)], {0: {0: 1}}),
    ("batchnorm3d", nn.BatchNorm3d, lambda: _trained_batchnorm(nn.BatchNorm3d(2), (2, 2, 3, 3, 3)),
     [f32(2, 2, 3, 3, 3)], {0: {0: 3}}),
    ("batchnorm2d-no-affine", nn.BatchNorm2d, lambda: nn.BatchNorm2d(3, affine=False), [f32(2, 3, 4, 4)],
     {0: {0: 1}}),
    ("layernorm", nn.LayerNorm, lambda: nn.LayerNorm(4), [f32(2, 3, 4)], {0: {0: 3, 1: 5}}),
    ("layernorm-2d-no-bias", nn.LayerNorm, lambda: nn.LayerNorm((3, 4), bias=False), [f32(2, 3, 4)], {0: {0: 3}}),
    ("groupnorm", nn.GroupNorm, lambda: nn.GroupNorm(2, 4), [f32(2, 4, 3, 3)], {0: {0: 3}}),
    ("upsample-nearest", nn.Upsample, lambda: nn.Upsample(scale_factor=2), [f32(2, 3, 4, 5)], {0: {0: 3}}),
    ("upsample-size", nn.Upsample, lambda: nn.Upsample(size=(7, 3), mode="nearest-exact"), [f32(2, 3, 4, 5)],
     {0: {0: 3}}),
]


class SelfAttention(nn.Module):
    """MultiheadAttention on one input, its output only."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x, x, x, need_weights=False)[0]


CASES += [
    ("instancenorm1d", nn.InstanceNorm1d, lambda: nn.InstanceNorm1d(3, affine=True), [f32(2, 3, 5)], {0: {0: 3}}),
    ("instancenorm2d", nn.InstanceNorm2d, lambda: nn.InstanceNorm2d(3), [f32(2, 3, 4, 4)], {0: {0: 3}}),
    ("logsigmoid", nn.LogSigmoid, lambda: nn.LogSigmoid(), [f32(3, 4)], {0: {0: 2}}),
    ("softsign", nn.Softsign, lambda: nn.Softsign(), [f32(3, 4)], {0: {0: 2}}),
    ("softmin", nn.Softmin, lambda: nn.Softmin(dim=1), [f32(3, 4)], {0: {0: 2}}),
    ("threshold", nn.Threshold, lambda: nn.Threshold(0.1, -1.0), [f32(3, 4)], {0: {0: 2}}),
    ("glu", nn.GLU, lambda: nn.GLU(dim=1), [f32(3, 6)], {0: {0: 2}}),
    ("rmsnorm", nn.RMSNorm, lambda: nn.RMSNorm(4, eps=1e-6), [f32(2, 3, 4)], {0: {0: 3, 1: 5}}),
    ("pixel-shuffle", nn.PixelShuffle, lambda: nn.PixelShuffle(2), [f32(2, 8, 3, 3)], {0: {0: 3}}),
    ("pixel-unshuffle", nn.PixelUnshuffle, lambda: nn.PixelUnshuffle(2), [f32(2, 2, 4, 6)], {0: {0: 3}}),
    ("zero-pad-1d", nn.ZeroPad1d, lambda: nn.ZeroPad1d((1, 2)), [f32(2, 3, 4)], {0: {0: 3}}),
    ("zero-pad-2d", nn.ZeroPad2d, lambda: nn.ZeroPad2d(1), [f32(2, 3, 4, 5)], {0: {0: 3}}),
    ("constant-pad-1d", nn.ConstantPad1d, lambda: nn.ConstantPad1d(2, 0.5), [f32(2, 3, 4)], {0: {0: 3}}),
    ("constant-pad-2d", nn.ConstantPad2d, lambda: nn.ConstantPad2d((1, 0, 2, 1), -1.0), [f32(2, 3, 4, 5)],
     {0: {0: 3}}),
    ("reflection-pad-1d", nn.ReflectionPad1d, lambda: nn.ReflectionPad1d(2), [f32(2, 3, 4)], {0: {0: 3}}),
    ("reflection-pad-2d", nn.ReflectionPad2d, lambda: nn.ReflectionPad2d((1, 1, 2, 0)), [f32(2, 3, 4, 5)],
     {0: {0: 3}}),
    ("replication-pad-1d", nn.ReplicationPad1d, lambda: nn.ReplicationPad1d((0, 3)), [f32(2, 3, 4)], {0: {0: 3}}),
    ("replication-pad-2d", nn.ReplicationPad2d, lambda: nn.ReplicationPad2d(1), [f32(2, 3, 4, 5)], {0: {0: 3}}),
    ("mish", nn.Mish, lambda: nn.Mish(), [f32(3, 4)], {0: {0: 2}}),
    ("selu", nn.SELU, lambda: nn.SELU(), [f32(3, 4)], {0: {0: 2}}),
    ("hardsigmoid", nn.Hardsigmoid, lambda: nn.Hardsigmoid(), [f32(3, 4) * 4], {0: {0: 2}}),
    ("hardswish", nn.Hardswish, lambda: nn.Hardswish(), [f32(3, 4) * 4], {0: {0: 2}}),
    ("prelu", nn.PReLU, lambda: nn.PReLU(3, init=0.1), [f32(2, 3, 4)], {0: {0: 3}}),
    ("cosine-similarity", nn.CosineSimilarity, lambda: Pair(nn.CosineSimilarity()), [f32(2, 5), f32(2, 5)],
     {0: {0: 3}, 1: {0: 3}}),
    ("multihead-attention", nn.MultiheadAttention, lambda: SelfAttention(nn.MultiheadAttention(8, 2).eval()),
     [f32(5, 2, 8)], {0: {0: 3, 1: 4}}),
    ("transformer-encoder-layer", nn.TransformerEncoderLayer,
     lambda: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True).eval(), [f32(2, 5, 8)], {0: {0: 3, 1: 4}}),
    ("transformer-decoder-layer", nn.TransformerDecoderLayer,
     lambda: Pair(nn.TransformerDecoderLayer(8, 2, 16, batch_first=True).eval()), [f32(2, 5, 8), f32(2, 6, 8)],
     {0: {0: 3, 1: 4}, 1: {0: 3, 1: 7}}),
]

RECURRENT = [
    ("rnn-tanh", nn.RNN, lambda: nn.RNN(3, 5), [f32(4, 2, 3)], {0: {0: 6, 1: 3}}),
    ("rnn-relu-2-layers-batch-first", nn.RNN, lambda: nn.RNN(3, 5, num_layers=2, nonlinearity="relu",
                                                             batch_first=True), [f32(2, 4, 3)], {0: {0: 3, 1: 2}}),
    ("lstm", nn.LSTM, lambda: nn.LSTM(3, 5), [f32(4, 2, 3)], {0: {0: 6, 1: 3}}),
    ("lstm-bidirectional-2-layers", nn.LSTM, lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True,
                                                             batch_first=True), [f32(2, 5, 3)], {0: {0: 3, 1: 2}}),
    ("lstm-no-bias", nn.LSTM, lambda: nn.LSTM(3, 4, bias=False), [f32(4, 2, 3)], {0: {1: 3}}),
    ("gru", nn.GRU, lambda: nn.GRU(3, 5), [f32(4, 2, 3)], {0: {0: 6, 1: 3}}),
    ("gru-bidirectional", nn.GRU, lambda: nn.GRU(3, 4, bidirectional=True), [f32(4, 2, 3)], {0: {0: 2, 1: 3}}),
    ("rnn-cell", nn.RNNCell, lambda: nn.RNNCell(3, 4), [f32(2, 3)], {0: {0: 3}}),
    ("lstm-cell", nn.LSTMCell, lambda: nn.LSTMCell(3, 4), [f32(2, 3)], {0: {0: 3}}),
    ("gru-cell", nn.GRUCell, lambda: nn.GRUCell(3, 4), [f32(2, 3)], {0: {0: 3}}),
]


@pytest.mark.parametrize("name, cls, factory, inputs, dynamic", CASES + RECURRENT,
                         ids=[c[0] for c in CASES + RECURRENT])
def test_layer_matches_onnxruntime(name, cls, factory, inputs, dynamic):
    cr.manual_seed(0)
    model = factory()
    roundtrip(model, inputs, dynamic, high=10)


def test_every_layer_is_covered():
    covered = {c[1] for c in CASES + RECURRENT}
    missing = [cls.__name__ for cls in spec.LAYERS if cls not in covered]
    assert not missing, f"layers without an ONNX export test: {missing}"


class WithState(nn.Module):
    """A recurrent layer fed initial states as graph inputs."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x, *states):
        out, final = self.layer(x, states if len(states) > 1 else states[0])
        return out, final


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_recurrent_with_initial_state_inputs(mode):
    cr.manual_seed(0)
    layer = getattr(nn, mode)(3, 4, num_layers=2)
    states = [f32(2, 2, 4) * 0.5 for _ in range(2 if mode == "LSTM" else 1)]
    dynamic = {k: {1: 3} for k in range(1, 1 + len(states))}
    dynamic[0] = {0: 5, 1: 3}
    proto = roundtrip(WithState(layer), [f32(4, 2, 3)] + states, dynamic)
    assert op_types(proto).count(mode) == 2


@pytest.mark.parametrize("mode, onnx_op", [("LSTM", "LSTM"), ("GRU", "GRU"), ("RNN", "RNN")])
def test_recurrent_layers_become_one_onnx_node_per_layer_and_direction(mode, onnx_op):
    layer = getattr(nn, mode)(3, 4, num_layers=2, bidirectional=True)
    proto = roundtrip(layer, [f32(4, 2, 3)])
    assert op_types(proto).count(onnx_op) == 4
    directions = sorted(a.s.decode() for node in proto.graph.node if node.op_type == onnx_op
                        for a in node.attribute if a.name == "direction")
    assert directions == ["forward", "forward", "reverse", "reverse"]


@pytest.mark.parametrize("factory, onnx_op", [
    (lambda: nn.Linear(3, 2), "Gemm"), (lambda: nn.Conv2d(2, 2, 3), "Conv"),
    (lambda: nn.ConvTranspose2d(2, 2, 3), "ConvTranspose"), (lambda: nn.BatchNorm2d(2), "BatchNormalization"),
    (lambda: nn.MaxPool2d(2), "MaxPool"), (lambda: nn.AvgPool2d(2), "AveragePool"),
    (lambda: nn.Embedding(5, 2), "Gather")])
def test_fused_layers_map_to_one_onnx_operator(factory, onnx_op):
    model = factory()
    x = ints(5, 2, 3) if onnx_op == "Gather" else f32(2, 2, 6, 6) if onnx_op != "Gemm" else f32(2, 3)
    assert op_types(roundtrip(model, [x]))[:1] == [onnx_op]


def test_layer_norm_is_one_operator_from_opset_17_and_spelled_out_before():
    model = nn.LayerNorm(4)
    assert "LayerNormalization" in op_types(roundtrip(model, [f32(2, 4)], opset_version=17))
    assert "LayerNormalization" not in op_types(roundtrip(model, [f32(2, 4)], opset_version=13))


def test_parameters_keep_their_state_dict_names():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    names = {init.name for init in roundtrip(model, [f32(1, 1, 6, 6)]).graph.initializer}
    assert {"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "3.weight",
            "3.bias"} <= names


def test_float64_model_exports_float64():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    roundtrip(model, [np.random.default_rng(0).standard_normal((2, 3))], rtol=1e-10, atol=1e-12)

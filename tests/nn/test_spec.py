"""Architecture specs: every chainrule.nn layer survives model -> JSON -> model, custom modules only through
the registry, and malformed or hostile specs are refused with an error naming the place and the problem."""
import json
from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn import spec as S
from chainrule.nn.modules.loss import _Loss

# (constructor call, input shape or None for no single-input forward), non-default settings where they exist
EXAMPLES = {
    "InstanceNorm1d": (lambda: nn.InstanceNorm1d(3, affine=True), (2, 3, 5)),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(3, eps=1e-3), (2, 3, 4, 4)),
    "LogSigmoid": (lambda: nn.LogSigmoid(), (2, 5)),
    "Softsign": (lambda: nn.Softsign(), (2, 5)),
    "Softmin": (lambda: nn.Softmin(dim=1), (2, 5)),
    "GLU": (lambda: nn.GLU(dim=1), (2, 6)),
    "Threshold": (lambda: nn.Threshold(0.1, -1.0), (2, 5)),
    "RMSNorm": (lambda: nn.RMSNorm((2, 3), eps=1e-5), (4, 2, 3)),
    "PixelShuffle": (lambda: nn.PixelShuffle(2), (1, 8, 2, 3)),
    "PixelUnshuffle": (lambda: nn.PixelUnshuffle(2), (1, 2, 4, 6)),
    "ZeroPad1d": (lambda: nn.ZeroPad1d((1, 2)), (2, 3, 4)),
    "ZeroPad2d": (lambda: nn.ZeroPad2d(1), (1, 2, 3, 4)),
    "ConstantPad1d": (lambda: nn.ConstantPad1d(2, 0.5), (2, 3, 4)),
    "ConstantPad2d": (lambda: nn.ConstantPad2d((1, 0, 2, 1), -1.0), (1, 2, 3, 4)),
    "ReflectionPad1d": (lambda: nn.ReflectionPad1d(2), (2, 3, 4)),
    "ReflectionPad2d": (lambda: nn.ReflectionPad2d((1, 1, 2, 0)), (1, 2, 3, 4)),
    "ReplicationPad1d": (lambda: nn.ReplicationPad1d((0, 3)), (2, 3, 4)),
    "ReplicationPad2d": (lambda: nn.ReplicationPad2d(1), (1, 2, 3, 4)),
    "Mish": (lambda: nn.Mish(), (2, 5)),
    "SELU": (lambda: nn.SELU(inplace=True), (2, 5)),
    "Hardsigmoid": (lambda: nn.Hardsigmoid(), (2, 5)),
    "Hardswish": (lambda: nn.Hardswish(), (2, 5)),
    "PReLU": (lambda: nn.PReLU(3, init=0.1), (2, 3, 4)),
    "CosineSimilarity": (lambda: nn.CosineSimilarity(dim=0, eps=1e-6), None),
    "MultiheadAttention": (lambda: nn.MultiheadAttention(8, 2, dropout=0.1, kdim=4, batch_first=True), None),
    "TransformerEncoderLayer": (lambda: nn.TransformerEncoderLayer(8, 2, 16, norm_first=True, activation="gelu"),
                                (5, 2, 8)),
    "TransformerDecoderLayer": (lambda: nn.TransformerDecoderLayer(8, 2, 16, batch_first=True, bias=False), None),
    "Identity": (lambda: nn.Identity(3, unused=1), (2, 3)),
    "Linear": (lambda: nn.Linear(4, 3, bias=False), (2, 4)),
    "Bilinear": (lambda: nn.Bilinear(2, 3, 4), None),
    "ReLU": (lambda: nn.ReLU(), (2, 5)),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.2), (2, 5)),
    "ELU": (lambda: nn.ELU(alpha=0.5), (2, 5)),
    "GELU": (lambda: nn.GELU(approximate="tanh"), (2, 5)),
    "SiLU": (lambda: nn.SiLU(), (2, 5)),
    "Sigmoid": (lambda: nn.Sigmoid(), (2, 5)),
    "Tanh": (lambda: nn.Tanh(), (2, 5)),
    "Hardtanh": (lambda: nn.Hardtanh(-0.5, 2.0), (2, 5)),
    "ReLU6": (lambda: nn.ReLU6(), (2, 5)),
    "Softmax": (lambda: nn.Softmax(dim=0), (2, 5)),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=1), (2, 5)),
    "Softplus": (lambda: nn.Softplus(beta=2.0, threshold=10.0), (2, 5)),
    "Dropout": (lambda: nn.Dropout(0.3), (2, 5)),
    "Dropout1d": (lambda: nn.Dropout1d(0.2), (2, 3, 4)),
    "Dropout2d": (lambda: nn.Dropout2d(0.1), (2, 3, 4, 4)),
    "Flatten": (lambda: nn.Flatten(0, 1), (2, 3, 4)),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), (2, 6)),
    "Embedding": (lambda: nn.Embedding(7, 3, padding_idx=-1, max_norm=2.0), None),
    "RNN": (lambda: nn.RNN(3, 4, num_layers=2, nonlinearity="relu", batch_first=True), (2, 5, 3)),
    "LSTM": (lambda: nn.LSTM(3, 4, bidirectional=True, bias=False), (5, 2, 3)),
    "GRU": (lambda: nn.GRU(3, 4, num_layers=2, dropout=0.1), (5, 2, 3)),
    "RNNCell": (lambda: nn.RNNCell(3, 4, nonlinearity="relu"), (2, 3)),
    "LSTMCell": (lambda: nn.LSTMCell(3, 4, bias=False), (2, 3)),
    "GRUCell": (lambda: nn.GRUCell(3, 4), (2, 3)),
    "Conv1d": (lambda: nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=1, groups=2, padding_mode="reflect"),
               (2, 2, 9)),
    "Conv2d": (lambda: nn.Conv2d(2, 3, (3, 2), padding="same", bias=False), (1, 2, 6, 5)),
    "ConvTranspose1d": (lambda: nn.ConvTranspose1d(2, 3, 3, stride=2, output_padding=1), (1, 2, 5)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(2, 2, 2, stride=2, groups=2), (1, 2, 3, 3)),
    "MaxPool1d": (lambda: nn.MaxPool1d(3, stride=1, padding=1), (2, 3, 7)),
    "MaxPool2d": (lambda: nn.MaxPool2d((2, 3), ceil_mode=True), (1, 2, 5, 7)),
    "AvgPool1d": (lambda: nn.AvgPool1d(2, padding=1, count_include_pad=False), (2, 3, 7)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2, stride=1, divisor_override=3), (1, 2, 4, 4)),
    "AdaptiveAvgPool1d": (lambda: nn.AdaptiveAvgPool1d(3), (2, 3, 7)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d((2, None)), (1, 2, 5, 4)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(3, momentum=None, affine=False), (4, 3)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(3, eps=1e-3, track_running_stats=False), (2, 3, 2, 2)),
    "BatchNorm3d": (lambda: nn.BatchNorm3d(2, bias=False), (2, 2, 2, 2, 2)),
    "LayerNorm": (lambda: nn.LayerNorm((2, 3), elementwise_affine=True, bias=False), (4, 2, 3)),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4, eps=1e-4), (2, 4, 3)),
    "Upsample": (lambda: nn.Upsample(scale_factor=2, mode="nearest-exact"), (1, 2, 3, 3)),
}
# (the Transformer stacks are built from layer objects, not from JSON arguments)
NOT_DESCRIBED = {"Module", "RNNBase", "RNNCellBase", "ParameterList", "ParameterDict", "TransformerEncoder",
                 "TransformerDecoder", "Transformer"}


def _round_trip(model: nn.Module, custom=None) -> nn.Module:
    text = json.dumps(S.to_spec(model))
    return S.from_spec(json.loads(text), custom)


def _randomize(model: nn.Module, seed: int = 0) -> None:
    """Weights and running statistics other than the initial ones, so copying them is visible."""
    rng = np.random.default_rng(seed)
    for t in model.state_dict().values():
        if t.dtype.kind == "f":
            t.numpy()[...] = rng.uniform(0.5, 1.5, t.shape)


def test_every_layer_in_chainrule_nn_has_a_spec_or_is_deliberately_left_out():
    classes = {name for name, obj in vars(nn).items()
               if isinstance(obj, type) and issubclass(obj, nn.Module) and not issubclass(obj, _Loss)}
    described = {cls.__name__ for cls in S.LAYERS + S.CONTAINERS}
    assert classes - described - NOT_DESCRIBED == set()
    assert set(EXAMPLES) == {cls.__name__ for cls in S.LAYERS}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_layer_round_trip(name, rng):
    make, shape = EXAMPLES[name]
    model = make()
    _randomize(model)
    rebuilt = _round_trip(model)
    assert type(rebuilt) is type(model) and repr(rebuilt) == repr(model)
    assert S.to_spec(rebuilt) == S.to_spec(model)
    own, theirs = model.state_dict(), rebuilt.state_dict()
    assert list(theirs) == list(own)
    assert all(theirs[k].shape == own[k].shape and theirs[k].dtype == own[k].dtype for k in own)
    rebuilt.load_state_dict(own)
    if shape is not None:
        model.eval(), rebuilt.eval()
        x = cr.tensor(rng.normal(size=shape).astype(np.float32))
        with cr.no_grad():
            a, b = model(x), rebuilt(x)
        a, b = (a[0], b[0]) if isinstance(a, tuple) else (a, b)
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_containers_keep_names_order_and_nesting():
    model = nn.Sequential(OrderedDict([
        ("features", nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2))),
        ("heads", nn.ModuleDict({"cls": nn.Linear(2, 3), "box": nn.ModuleList([nn.Linear(2, 4), nn.Tanh()])})),
    ]))
    rebuilt = _round_trip(model)
    assert repr(rebuilt) == repr(model)
    assert list(rebuilt.state_dict()) == list(model.state_dict())


def test_spec_is_plain_json_naming_types_and_arguments():
    spec = S.to_spec(nn.Sequential(nn.Linear(3, 2), nn.Conv1d(1, 1, (3,))))
    assert spec["type"] == "Sequential"
    (n0, linear), (n1, conv) = spec["children"]
    assert (n0, n1) == ("0", "1")
    assert linear == {"type": "Linear", "args": {"in_features": 3, "out_features": 2, "bias": True}}
    assert conv["args"]["kernel_size"] == [3]


def test_missing_arguments_take_the_layer_defaults():
    model = S.from_spec({"type": "Sequential", "children": [["0", {"type": "Linear", "args": {
        "in_features": 3, "out_features": 2}}], ["1", {"type": "ReLU"}]]})
    assert repr(model) == repr(nn.Sequential(nn.Linear(3, 2), nn.ReLU()))


# -- custom modules --------------------------------------------------------------------------------

class Block(nn.Module):
    def __init__(self, width: int, depth: int = 1, sizes=(2, 3), options=None) -> None:
        super().__init__()
        self.layers = nn.Sequential(*[nn.Linear(width, width) for _ in range(depth)])
        self.sizes, self.options = sizes, options

    def forward(self, x):
        return self.layers(x)


@pytest.fixture
def registered_block():
    S.register(Block)
    yield Block
    S.unregister("Block")


def test_registered_custom_module_is_rebuilt_from_its_constructor_arguments(registered_block, rng):
    model = nn.Sequential(Block(4, depth=2, sizes=[5, 6], options={"mode": "fast", "k": [1, 2]}), nn.ReLU())
    spec = S.to_spec(model)
    assert spec["children"][0][1] == {"type": "Block", "args": {
        "width": 4, "depth": 2, "sizes": [5, 6], "options": {"mode": "fast", "k": [1, 2]}}}
    rebuilt = _round_trip(model)
    rebuilt.load_state_dict(model.state_dict())
    assert rebuilt[0].sizes == (5, 6) and rebuilt[0].options == {"mode": "fast", "k": (1, 2)}
    x = cr.tensor(rng.normal(size=(3, 4)).astype(np.float32))
    np.testing.assert_array_equal(model(x).detach().numpy(), rebuilt(x).detach().numpy())


def test_custom_module_not_registered_is_refused_when_saving_and_when_loading():
    class Local(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(S.SpecError, match=r"model\.1: .*Local has no spec.*register\(Local\)"):
        S.to_spec(nn.Sequential(nn.ReLU(), Local()))
    with pytest.raises(S.SpecError, match="unknown layer type 'Block'"):
        S.from_spec({"type": "Block", "args": {"width": 2}})


def test_custom_classes_for_one_call_and_an_explicit_argument_function(rng):
    class Scale(nn.Module):
        def __init__(self, factor: float) -> None:
            super().__init__()
            self.factor = factor

        def forward(self, x):
            return x * self.factor

    S.register(Scale, name="my.Scale", args=lambda m: {"factor": m.factor})
    try:
        spec = S.to_spec(Scale(2.5))
        assert spec == {"type": "my.Scale", "args": {"factor": 2.5}}
        assert S.from_spec(spec).factor == 2.5
    finally:
        S.unregister("my.Scale")
    with pytest.raises(S.SpecError, match="unknown layer type"):
        S.from_spec(spec)
    assert S.from_spec(spec, custom={"my.Scale": Scale}).factor == 2.5


def test_register_rejects_name_clashes_and_non_modules():
    with pytest.raises(ValueError, match="already stands for"):
        S.register(Block, name="Linear")
    with pytest.raises(TypeError, match="Module subclass"):
        S.register(int)
    with pytest.raises(ValueError, match="cannot be unregistered"):
        S.unregister("Linear")


def test_arguments_that_are_not_json_are_refused(registered_block):
    with pytest.raises(S.SpecError, match="argument 'options' is a ndarray"):
        S.to_spec(Block(2, options=np.zeros(3)))
    with pytest.raises(S.SpecError, match="cannot be written as JSON"):
        S.to_spec(nn.LeakyReLU(float("nan")))


# -- malformed and hostile specs ------------------------------------------------------------------------

@pytest.mark.parametrize("spec, message", [
    ([1, 2], "expected an object with a string 'type'"),
    ({"type": "os.system", "args": {"command": "true"}}, "unknown layer type 'os.system'"),
    ({"type": "__import__"}, "unknown layer type"),
    ({"type": "Linear", "args": {"in_features": 3}}, r"cannot build Linear.*out_features"),
    ({"type": "Linear", "args": {"in_features": 3, "out_features": 2, "evil": 1}}, r"unknown argument\(s\) \['evil'\]"),
    ({"type": "Linear", "args": {"in_features": 3, "out_features": 2, "dtype": "float64"}}, "unknown argument"),
    ({"type": "Linear", "args": [3, 2]}, "'args' must be an object"),
    ({"type": "Linear", "args": {}, "code": "x"}, "unexpected keys"),
    ({"type": "Conv2d", "args": {"in_channels": 3, "out_channels": 4, "kernel_size": 3, "groups": 2}},
     "in_channels must be divisible by groups"),
    ({"type": "Dropout", "args": {"p": 2}}, "dropout probability"),
    ({"type": "Sequential", "children": {"0": {"type": "ReLU"}}}, "expected {'type', 'children'"),
    ({"type": "Sequential", "children": [["a.b", {"type": "ReLU"}]]}, "bad child name"),
    ({"type": "Sequential", "children": [["0", {"type": "ReLU"}], ["0", {"type": "Tanh"}]]}, "child names repeat"),
    ({"type": "ModuleList", "children": [["x", {"type": "ReLU"}]]}, "named 0, 1, 2"),
    ({"type": "Sequential", "children": [["0", {"type": "Nope"}]]}, r"model\.0: unknown layer type 'Nope'"),
    ({"type": "Linear", "args": {"in_features": 1 << 40, "out_features": 1 << 40}}, "cannot build Linear"),
])
def test_bad_specs_are_refused_with_a_clear_error(spec, message):
    with pytest.raises(S.SpecError, match=message):
        S.from_spec(spec)


def test_absurd_nesting_is_refused():
    spec = {"type": "ReLU"}
    for _ in range(S.MAX_DEPTH + 2):
        spec = {"type": "Sequential", "children": [["0", spec]]}
    with pytest.raises(S.SpecError, match="nests deeper"):
        S.from_spec(spec)

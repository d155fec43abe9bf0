"""Tensor operations a forward pass commonly uses, exported as functions and run in onnxruntime."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from tests.onnx.roundtrip import op_types, roundtrip

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5)).astype(np.float32)
Y = RNG.standard_normal((3, 4, 5)).astype(np.float32)
POS = (np.abs(X) + 0.5).astype(np.float32)
W = cr.from_numpy(RNG.standard_normal((5, 2)).astype(np.float32))
ROW = cr.from_numpy(RNG.standard_normal(5).astype(np.float32))

# (id, function of the inputs, inputs); the first axis of every input is dynamic
UNARY = [
    ("add-scalar", lambda x: x + 1.5), ("radd", lambda x: 2 + x), ("sub", lambda x: x - ROW), ("rsub", lambda x: 1 - x),
    ("mul-param", lambda x: x * ROW), ("div", lambda x: x / 3.0), ("rdiv", lambda x: 1.0 / (x * x + 1)),
    ("neg", lambda x: -x), ("pow-2", lambda x: x ** 2), ("pow-half", lambda x: (x * x + 1) ** 0.5),
    ("floor-divide", lambda x: x // 0.3), ("matmul-param", lambda x: x @ W), ("exp", cr.exp),
    ("abs", cr.abs), ("sin", cr.sin), ("cos", cr.cos), ("tan", lambda x: cr.tan(x * 0.3)), ("tanh", cr.tanh),
    ("sigmoid", cr.sigmoid), ("relu", cr.relu), ("erf", cr.erf), ("sign", cr.sign), ("floor", cr.floor),
    ("ceil", cr.ceil), ("round", lambda x: cr.round(x * 3)), ("clamp", lambda x: cr.clamp(x, -0.5, 0.7)),
    ("clamp-min", lambda x: x.clamp(min=0.1)), ("clamp-tensor", lambda x: cr.clamp(x, min=ROW)),
    ("maximum", lambda x: cr.maximum(x, ROW)), ("minimum", lambda x: cr.minimum(x, 0.2 * x)),
    ("where-const-mask", lambda x: cr.where(cr.from_numpy(np.arange(5) % 2 == 0), x, 0.5)),
    ("masked-fill", lambda x: x.masked_fill(cr.from_numpy(np.arange(5) > 2), -1.0)),
    ("cast", lambda x: x.double()), ("clone", lambda x: x.clone() * 2),
    ("leaky-relu", lambda x: F.leaky_relu(x, 0.1)), ("elu", F.elu), ("gelu", F.gelu), ("silu", F.silu),
    ("softplus", F.softplus), ("relu6", F.relu6),
    ("sum-all", lambda x: x.sum()), ("sum-dim", lambda x: x.sum(1)),
    ("sum-keepdim", lambda x: x.sum((1, 2), keepdim=True)), ("mean", lambda x: x.mean(-1)),
    ("prod", lambda x: (x * 0.1 + 1).prod(2)), ("amax", lambda x: x.amax(1)), ("amin", lambda x: x.amin((1, 2))),
    ("max-all", lambda x: x.max()), ("max-dim-values", lambda x: x.max(2).values),
    ("min-dim-values", lambda x: x.min(1, keepdim=True)[0]), ("var", lambda x: x.var(2)),
    ("std", lambda x: x.std(1)), ("logsumexp", lambda x: x.logsumexp(2)), ("norm", lambda x: x.norm(dim=2)),
    ("norm-1", lambda x: x.norm(1, dim=1)), ("softmax", lambda x: x.softmax(2)),
    ("log-softmax", lambda x: x.log_softmax(1)), ("cumsum", lambda x: x.cumsum(2)),
    ("reshape", lambda x: x.reshape(x.shape[0], 20)), ("view-infer", lambda x: x.view(-1, 5)),
    ("flatten", lambda x: x.flatten(1)), ("transpose", lambda x: x.transpose(1, 2)),
    ("permute", lambda x: x.permute(2, 0, 1)), ("T-2d", lambda x: x[:, 0].T),
    ("squeeze-unsqueeze", lambda x: x.unsqueeze(1).squeeze(1) + x[:, None].squeeze(1)),
    ("expand", lambda x: x[:, :1].expand(x.shape[0], 4, 5)), ("repeat", lambda x: x.repeat(1, 2, 1)),
    ("repeat-new-dims", lambda x: x[0].repeat(2, 1, 1)), ("flip", lambda x: x.flip(0, 2)),
    ("roll", lambda x: x.roll(2, 2)), ("roll-flat", lambda x: x[0].roll(3)),
    ("cat", lambda x: cr.cat([x, x * 2], 2)), ("stack", lambda x: cr.stack([x, -x], 1)),
    ("split", lambda x: x.split(2, 2)), ("chunk", lambda x: x.chunk(2, 1)[1]), ("unbind", lambda x: x.unbind(2)),
    ("narrow", lambda x: x.narrow(1, 1, 2)), ("pad-constant", lambda x: F.pad(x, (1, 2, 0, 1), value=0.5)),
    ("pad-reflect", lambda x: F.pad(x, (2, 1), mode="reflect")),
    ("pad-replicate", lambda x: F.pad(x, (1, 1, 2, 0), mode="replicate")),
    ("pad-negative", lambda x: F.pad(x, (-1, 1))),
    ("slice-basic", lambda x: x[:, 1:3, ::2]), ("slice-negative", lambda x: x[:, -1]), ("slice-int", lambda x: x[1]),
    ("slice-step-negative", lambda x: x[:, ::-1, 3:0:-2]), ("slice-ellipsis-none", lambda x: x[..., None, 2]),
    ("index-array", lambda x: x[:, np.array([3, 0, 3])]),
    ("index-select", lambda x: x.index_select(2, cr.tensor([4, 0]))),
]

BINARY = [
    ("add", lambda a, b: a + b), ("mul", lambda a, b: a * b), ("div", lambda a, b: a / (b * b + 1)),
    ("matmul-batched", lambda a, b: a @ b.transpose(1, 2)), ("pow", lambda a, b: (a * a + 1) ** b),
    ("maximum", cr.maximum), ("cat-two", lambda a, b: cr.cat([a, b], 0)),
]


@pytest.mark.parametrize("name, fn", UNARY, ids=[c[0] for c in UNARY])
def test_unary_operation(name, fn):
    roundtrip(fn, [X], {0: {0: 5}}, input_names=["x"])


@pytest.mark.parametrize("name, fn", BINARY, ids=[c[0] for c in BINARY])
def test_binary_operation(name, fn):
    roundtrip(fn, [X, Y], {0: {0: 4}, 1: {0: 4}}, input_names=["a", "b"])


@pytest.mark.parametrize("name, fn", [("log", cr.log), ("sqrt", cr.sqrt), ("rsqrt", cr.rsqrt), ("log1p", cr.log1p),
                                      ("expm1", cr.expm1), ("pow-tensor", lambda x: x ** x)])
def test_operations_of_positive_values(name, fn):
    roundtrip(fn, [POS], rtol=1e-4, atol=1e-5)


def test_gather_with_a_constant_index():
    index = cr.from_numpy(np.tile(np.array([[[1], [3]]]), (3, 1, 5)))
    roundtrip(lambda x: x.gather(1, index), [X])


def test_scatter_add_with_a_constant_index():
    index = cr.from_numpy(np.array([[0, 2, 0, 1], [1, 1, 0, 2]]))
    roundtrip(lambda x: cr.zeros(2, 3).scatter_add(1, index, x[0, :2]), [X])


def test_integer_inputs_and_int_operations():
    table = cr.from_numpy(RNG.standard_normal((10, 3)).astype(np.float32))
    fn = lambda idx: F.embedding(idx.reshape(-1), table).sum(0) + idx.sum().float()  # noqa: E731
    roundtrip(fn, [np.array([[1, 2], [9, 0]], dtype=np.int64)], {0: {0: 3}}, high=10)


def test_constant_subgraphs_are_folded_into_initializers():
    w = cr.from_numpy(RNG.standard_normal((5, 5)).astype(np.float32))
    fn = lambda x: x @ (w.T * 2 + 1).tanh()  # noqa: E731  (only x @ ... depends on the input)
    assert op_types(roundtrip(fn, [X])) == ["MatMul"]


def test_unused_operations_are_left_out():
    def fn(x):
        x.exp().sum()  # computed, never used
        return x + 1
    assert op_types(roundtrip(fn, [X])) == ["Add"]


def test_constant_made_in_forward_that_follows_the_batch_size():
    fn = lambda x: x + cr.zeros(x.shape[0], 4, 5) + cr.full((x.shape[0], 1, 1), 2.0)  # noqa: E731
    assert "ConstantOfShape" in op_types(roundtrip(fn, [X], {0: {0: 6}}))


def test_output_that_is_the_input_and_repeated_outputs():
    fn = lambda x: (x, x * 2, x * 2)  # noqa: E731
    proto = roundtrip(fn, [X], output_names=["same", "double"])
    assert [o.name for o in proto.graph.output] == ["same", "double", "output_2"]


@pytest.mark.parametrize("opset", [13, 15, 17, 18, 20])
def test_opset_versions(opset):
    fn = lambda x: F.gelu(x).mean(1).softmax(1) + F.layer_norm(x, (5,)).amax(1)  # noqa: E731
    proto = roundtrip(fn, [X], {0: {0: 2}}, opset_version=opset)
    assert proto.opset_import[0].version == opset


def test_in_place_operations_on_the_input_and_intermediates():
    def fn(x):
        x /= 2  # on the input itself
        y = x * 3
        y += x
        F.relu_(y)
        return F.relu(y - 1, inplace=True)
    roundtrip(fn, [X], {0: {0: 5}})


COMPARISONS = {
    "mask_product": lambda x: x * (x > 0),
    "where_threshold": lambda x: cr.where(x >= 0.5, x, -x),
    "logical": lambda x: cr.where((x > -0.5) & (x < 0.5), x * 2, x),
    "logical_of_floats": lambda x: cr.logical_xor(x, x.round()).float(),
    "not_equal_and_not": lambda x: x * (x != x.round()) + (~(x < 0)).float(),
    "equal_to_a_number": lambda x: (x.round() == 1.0).float() + (x <= 0.25).float(),
    "finite_nan_inf": lambda x: cr.isfinite(x / x.round()).float() + cr.isinf(1 / x.round()).float()
    + cr.isnan(x.log()).float(),
}


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("name", list(COMPARISONS))
def test_comparisons_and_logical_operations(name):
    """Masks computed from the input (comparisons, logical operations, isnan / isinf / isfinite) export as
    ONNX Greater, Less, Equal, And, Or, Xor, Not, IsNaN, IsInf."""
    roundtrip(COMPARISONS[name], [X], {0: {0: 5}})

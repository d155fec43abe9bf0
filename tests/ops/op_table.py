"""The table of operations under test: each public differentiable operation, once.

`fn(m, *tensors)` is written against PyTorch's API and runs with m = chainrule
or torch; `cases` list input shapes, covering broadcasting, size-1 dimensions
and 0-d scalars. The gradcheck and PyTorch-parity tests are generated from it.
"""
from __future__ import annotations

import math

import numpy as np

from tests.ops.op_harness import OpSpec

UNARY = [((3, 4),), ((),), ((2, 1, 3),)]
BINARY = [((3, 4), (3, 4)), ((3, 1), (4,)), ((), (2, 3)), ((2, 1, 3), (4, 1)), ((2, 3), ())]
REDUCE = [((3, 4),), ((2, 3, 2),)]

IDX = np.array([2, 0, 2, 1])                 # repeated entries: their gradients must add up
MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
GATHER_IDX = np.array([[0, 2, 2], [1, 1, 0], [3, 0, 3]])
SPECIAL = np.array([0.0, np.inf, -np.inf, np.nan], dtype=np.float32)
NP_OPERAND = np.array([0.5, -1.5, 2.0, 1.25], dtype=np.float32)


def unary(name, fn, domain="real", cases=UNARY, **kw):
    return OpSpec(name, fn, cases, domain, **kw)


SPECS = [
    # -- arithmetic, with broadcasting and Python / NumPy operands on either side ----
    OpSpec("add", lambda m, a, b: a + b, BINARY),
    OpSpec("sub", lambda m, a, b: a - b, BINARY),
    OpSpec("mul", lambda m, a, b: a * b, BINARY),
    OpSpec("div", lambda m, a, b: a / b, BINARY, ("real", "nonzero")),
    OpSpec("pow", lambda m, a, b: a ** b, BINARY, ("positive", "real")),
    OpSpec("add_alpha", lambda m, a, b: m.add(a, b, alpha=2.5), BINARY[:2]),
    OpSpec("sub_alpha", lambda m, a, b: m.sub(a, b, alpha=0.5), BINARY[:2]),
    unary("neg", lambda m, x: -x),
    unary("radd", lambda m, x: 2.5 + x),
    unary("rsub", lambda m, x: 2.5 - x),
    unary("rmul", lambda m, x: 2.5 * x),
    unary("rdiv", lambda m, x: 2.5 / x, "nonzero"),
    unary("rpow", lambda m, x: 2.5 ** x),
    unary("pow_int", lambda m, x: x ** 3),
    unary("pow_half", lambda m, x: x ** 0.5, "positive"),
    unary("pow_neg", lambda m, x: x ** -2, "nonzero"),
    unary("pow_zero", lambda m, x: x ** 0),
    unary("div_int", lambda m, x: x / 3),
    unary("ndarray_add", lambda m, x: NP_OPERAND + x, cases=[((3, 4),), ((4,),)],
          torch_fn=lambda m, x: m.from_numpy(NP_OPERAND) + x),
    unary("ndarray_mul", lambda m, x: x * NP_OPERAND, cases=[((3, 4),), ((1, 1),)],
          torch_fn=lambda m, x: x * m.from_numpy(NP_OPERAND)),
    unary("ndarray_rsub", lambda m, x: NP_OPERAND - x, cases=[((2, 4),)],
          torch_fn=lambda m, x: m.from_numpy(NP_OPERAND) - x),
    unary("numpy_scalar", lambda m, x: x * np.float64(1.5) + np.float32(0.5)),
    unary("floordiv", lambda m, x: x // 0.7, grad=False),
    unary("remainder", lambda m, x: x % 0.7),
    OpSpec("matmul", lambda m, a, b: a @ b,
           [((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)), ((3, 4), (4, 2)), ((2, 3, 4), (4, 2)),
            ((2, 3, 4), (4,)), ((4,), (2, 4, 3)), ((2, 1, 3, 4), (5, 4, 2)), ((1, 3, 4), (2, 4, 2))]),
    OpSpec("mm", lambda m, a, b: m.mm(a, b), [((3, 4), (4, 2))]),
    OpSpec("bmm", lambda m, a, b: m.bmm(a, b), [((2, 3, 4), (2, 4, 2))]),
    OpSpec("mv", lambda m, a, b: m.mv(a, b), [((3, 4), (4,))]),
    OpSpec("dot", lambda m, a, b: m.dot(a, b), [((4,), (4,))]),

    # -- elementwise functions and activations -----------------------------------
    unary("exp", lambda m, x: m.exp(x)),
    unary("log", lambda m, x: m.log(x), "positive"),
    unary("log1p", lambda m, x: m.log1p(x), "positive"),
    unary("expm1", lambda m, x: m.expm1(x)),
    unary("sqrt", lambda m, x: m.sqrt(x), "positive"),
    unary("rsqrt", lambda m, x: m.rsqrt(x), "positive"),
    unary("abs", lambda m, x: m.abs(x), "nonzero"),
    unary("sign", lambda m, x: m.sign(x), "nonzero"),
    unary("floor", lambda m, x: m.floor(x)),
    unary("ceil", lambda m, x: m.ceil(x)),
    unary("round", lambda m, x: m.round(x)),
    unary("sin", lambda m, x: m.sin(x)),
    unary("cos", lambda m, x: m.cos(x)),
    unary("tan", lambda m, x: m.tan(x), "angle"),
    unary("tanh", lambda m, x: m.tanh(x)),
    unary("sigmoid", lambda m, x: m.sigmoid(x)),
    unary("erf", lambda m, x: m.erf(x)),
    unary("relu", lambda m, x: m.relu(x), "nonzero"),
    unary("leaky_relu", lambda m, x: m.leaky_relu(x, 0.1), "nonzero"),
    unary("elu", lambda m, x: m.elu(x, alpha=1.3), "nonzero"),
    unary("gelu", lambda m, x: m.gelu(x)),
    unary("gelu_tanh", lambda m, x: m.gelu(x, approximate="tanh")),
    unary("silu", lambda m, x: m.silu(x)),
    unary("softplus", lambda m, x: m.softplus(x)),
    unary("softplus_beta", lambda m, x: m.softplus(x * 8, beta=2.0, threshold=5.0)),
    unary("clamp", lambda m, x: m.clamp(x, -0.5, 0.7)),
    unary("clamp_min", lambda m, x: x.clamp(min=0.2)),
    unary("clamp_max", lambda m, x: x.clamp(max=-0.1)),
    OpSpec("clamp_tensor", lambda m, x, lo: m.clamp(x, min=lo, max=lo + 1), [((3, 4), (4,)), ((3, 4), ())]),
    OpSpec("maximum", lambda m, a, b: m.maximum(a, b), BINARY),
    OpSpec("minimum", lambda m, a, b: m.minimum(a, b), BINARY),
    OpSpec("where", lambda m, a, b: m.where(a > b, a, b * 2), BINARY),
    OpSpec("where_scalar", lambda m, a, b: m.where(b > 0, a, 1.5), [((3, 4), (3, 4)), ((3, 4), (4,))]),
    unary("masked_fill", lambda m, x: x.masked_fill(m.tensor(MASK), -2.0), cases=[((3, 4),), ((2, 3, 4),)]),
    unary("square", lambda m, x: x.square()),
    unary("reciprocal", lambda m, x: x.reciprocal(), "nonzero"),
    OpSpec("lerp", lambda m, a, b: a.lerp(b, 0.3), BINARY[:2]),
    unary("clone", lambda m, x: x.clone()),
    unary("double", lambda m, x: x.double() * 2),

    # -- reductions --------------------------------------------------------------
    unary("sum", lambda m, x: x.sum()),
    unary("sum_dim", lambda m, x: x.sum(dim=1), cases=REDUCE),
    unary("sum_dims_keep", lambda m, x: m.sum(x, dim=(0, -1), keepdim=True), cases=REDUCE),
    unary("mean", lambda m, x: x.mean()),
    unary("mean_dim", lambda m, x: x.mean(-1, keepdim=True), cases=REDUCE),
    unary("prod", lambda m, x: x.prod(), "nonzero", cases=[((3, 4),), ((),)], gradgrad=False),
    unary("prod_dim", lambda m, x: x.prod(1, keepdim=True), "nonzero", cases=REDUCE, gradgrad=False),
    unary("max", lambda m, x: x.max()),
    unary("min", lambda m, x: m.min(x)),
    unary("max_dim", lambda m, x: x.max(dim=1), cases=REDUCE),
    unary("min_dim_keep", lambda m, x: m.min(x, 0, keepdim=True), cases=REDUCE),
    unary("max_binary", lambda m, x: m.max(x, x.flip(0)), cases=[((3, 4),)]),
    unary("amax", lambda m, x: m.amax(x, dim=(0, 1)), cases=REDUCE),
    unary("amin", lambda m, x: x.amin(-1, keepdim=True), cases=REDUCE),
    unary("argmax", lambda m, x: x.argmax(), grad=False),
    unary("argmax_dim", lambda m, x: m.argmax(x, dim=1, keepdim=True), cases=REDUCE, grad=False),
    unary("argmin_dim", lambda m, x: x.argmin(0), cases=REDUCE, grad=False),
    unary("var", lambda m, x: x.var(), cases=REDUCE),
    unary("var_dim", lambda m, x: m.var(x, dim=1, keepdim=True), cases=REDUCE),
    unary("var_biased", lambda m, x: x.var(0, unbiased=False), cases=REDUCE),
    unary("var_correction", lambda m, x: x.var(dim=-1, correction=0), cases=REDUCE),
    unary("std", lambda m, x: x.std(), cases=REDUCE),
    unary("std_dim", lambda m, x: m.std(x, 1), cases=REDUCE),
    unary("logsumexp", lambda m, x: m.logsumexp(x, dim=1), cases=REDUCE),
    unary("logsumexp_keep", lambda m, x: x.logsumexp((0, 1), keepdim=True), cases=REDUCE),
    unary("norm", lambda m, x: x.norm(), "nonzero"),
    unary("norm_dim", lambda m, x: m.norm(x, dim=1), "nonzero", cases=REDUCE),
    unary("norm_p1", lambda m, x: x.norm(p=1, dim=0), "nonzero", cases=REDUCE),
    unary("norm_p3", lambda m, x: x.norm(p=3, dim=-1, keepdim=True), "nonzero", cases=REDUCE),
    unary("norm_inf", lambda m, x: x.norm(p=math.inf), "nonzero", cases=REDUCE),
    unary("norm_neg_inf", lambda m, x: x.norm(p=-math.inf, dim=1), "nonzero", cases=REDUCE),
    unary("norm_p0", lambda m, x: x.norm(p=0, dim=0), "nonzero", cases=REDUCE),
    unary("softmax", lambda m, x: m.softmax(x, dim=-1), cases=REDUCE),
    unary("softmax_dim0", lambda m, x: x.softmax(0), cases=REDUCE),
    unary("log_softmax", lambda m, x: m.log_softmax(x, dim=1), cases=REDUCE),
    unary("cumsum", lambda m, x: x.cumsum(1), cases=REDUCE),

    unary("amax_ties", lambda m, x: m.cat([x, x]).amax(0), cases=[((2, 3),)]),
    # -- sorting, triangles, diagonals, more shapes --------------------------------
    unary("sort_values", lambda m, x: m.sort(x, dim=1, descending=True).values, cases=REDUCE),
    unary("sort_dim0", lambda m, x: x.sort(0).values, cases=REDUCE),
    unary("sort_indices", lambda m, x: x.sort(-1).indices, cases=REDUCE, grad=False),
    unary("argsort", lambda m, x: m.argsort(x, dim=1, descending=True), cases=REDUCE, grad=False),
    unary("topk", lambda m, x: m.topk(x, 2, dim=-1).values, cases=REDUCE),
    unary("topk_smallest", lambda m, x: x.topk(2, dim=0, largest=False).values, cases=REDUCE),
    unary("topk_indices", lambda m, x: x.topk(1, dim=1).indices, cases=REDUCE, grad=False),
    unary("tril", lambda m, x: m.tril(x), cases=[((3, 4),), ((2, 3, 4),)]),
    unary("triu_offset", lambda m, x: x.triu(1), cases=[((3, 4),), ((2, 4, 3),)]),
    unary("tril_negative", lambda m, x: m.tril(x, -1), cases=[((4, 3),)]),
    OpSpec("outer", lambda m, a, b: m.outer(a, b), [((3,), (4,))]),
    unary("narrow_negative_start", lambda m, x: m.narrow(x, 0, -2, 2), cases=REDUCE),
    unary("movedim", lambda m, x: m.movedim(x, 0, -1), cases=REDUCE),
    unary("movedim_several", lambda m, x: x.movedim((0, 2), (1, 0)), cases=[((2, 3, 2),)]),
    unary("tile", lambda m, x: x.tile((2, 1)), cases=REDUCE),
    unary("repeat_interleave", lambda m, x: x.repeat_interleave(2, dim=1), cases=REDUCE),
    unary("repeat_interleave_flat", lambda m, x: m.repeat_interleave(x, 2), cases=[((2, 3),)]),
    unary("repeat_interleave_counts", lambda m, x: m.repeat_interleave(x, m.tensor([2, 0, 1]), dim=0),
          cases=[((3, 4),)]),
    unary("diag_of_vector", lambda m, x: m.diag(x, 1), cases=[((4,),)]),
    unary("diag_of_matrix", lambda m, x: m.diag(x, -1), cases=[((3, 4),)]),
    unary("diagonal", lambda m, x: x.diagonal(1, 0, 2), cases=[((3, 2, 4),)]),
    unary("trace", lambda m, x: m.trace(x), cases=[((3, 4),)]),
    unary("log2", lambda m, x: m.log2(x), "positive"),
    unary("log10", lambda m, x: x.log10(), "positive"),
    OpSpec("atan2", lambda m, a, b: m.atan2(a, b), BINARY, ("real", "nonzero")),
    unary("masked_select_fn", lambda m, x: m.masked_select(x, m.tensor(MASK)), cases=[((3, 4),), ((2, 3, 4),)]),
    OpSpec("meshgrid_xy", lambda m, a, b: (lambda g: g[0] * g[1] + g[1])(m.meshgrid(a, b, indexing="xy")),
           [((3,), (4,))]),
    OpSpec("meshgrid_ij", lambda m, a, b: (lambda g: g[0] * g[1] - g[0])(m.meshgrid(a, b, indexing="ij")),
           [((3,), (4,))]),
    unary("clamp_min_fn", lambda m, x: m.clamp_min(x, 0.2)),
    unary("clamp_max_method", lambda m, x: x.clamp_max(-0.1)),
    OpSpec("lerp_fn", lambda m, a, b: m.lerp(a, b, 0.3), BINARY[:2]),
    OpSpec("einsum_matmul", lambda m, a, b: m.einsum("ij,jk->ik", a, b), [((3, 4), (4, 2))]),
    OpSpec("einsum_implicit_batched", lambda m, a, b: m.einsum("bij,bkj", a, b), [((2, 3, 4), (2, 5, 4))]),
    OpSpec("einsum_ellipsis_broadcast", lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b),
           [((2, 3, 4), (4, 2)), ((1, 3, 4), (2, 4, 2))]),
    OpSpec("einsum_three", lambda m, a, b: m.einsum("i,ij,j->", a, b, a[:3]), [((4,), (4, 3))]),
    unary("einsum_diagonal", lambda m, x: m.einsum("ii->i", x), cases=[((4, 4),)]),
    unary("einsum_trace_list", lambda m, x: m.einsum("iij", [x]), cases=[((3, 3, 2),)]),
    unary("einsum_sum_out", lambda m, x: m.einsum("ijk->k", x), cases=[((2, 3, 4),)]),
    unary("max_ties", lambda m, x: m.stack([x, x * 1]).max()),
    OpSpec("maximum_ties", lambda m, a, b: m.maximum(a, a.detach()) + m.minimum(b.detach(), b), BINARY[:2],
           gradcheck=False),

    # -- stable at large magnitudes ----------------------------------------------
    unary("softmax_wide", lambda m, x: x.softmax(-1), "wide", cases=REDUCE),
    unary("log_softmax_wide", lambda m, x: x.log_softmax(0), "wide", cases=REDUCE),
    unary("logsumexp_wide", lambda m, x: x.logsumexp(-1), "wide", cases=REDUCE),
    unary("sigmoid_wide", lambda m, x: x.sigmoid(), "wide", atol=1e-6),
    unary("softplus_wide", lambda m, x: m.softplus(x), "wide"),
    unary("tanh_wide", lambda m, x: x.tanh(), "wide"),

    # -- shape operations --------------------------------------------------------
    unary("reshape", lambda m, x: x.reshape(2, -1) * 1.5, cases=[((3, 4),), ((2, 3, 2),)]),
    unary("reshape_0d", lambda m, x: m.reshape(x, (1, 1)), cases=[((),)]),
    unary("view", lambda m, x: x.view(-1) * 1.5, cases=[((3, 4),), ((),)]),
    unary("flatten", lambda m, x: x.flatten(1), cases=[((2, 3, 2),), ((2, 1, 3),)]),
    unary("unflatten", lambda m, x: x.unflatten(1, (2, 2)), cases=[((3, 4),)]),
    unary("squeeze", lambda m, x: x.squeeze(), cases=[((2, 1, 3),), ((1, 1),)]),
    unary("squeeze_dim", lambda m, x: x.squeeze(1), cases=[((2, 1, 3),), ((3, 4),)]),
    unary("unsqueeze", lambda m, x: x.unsqueeze(-1).unsqueeze(0), cases=[((3, 4),), ((),)]),
    unary("transpose", lambda m, x: m.transpose(x, 0, -1), cases=[((3, 4),), ((2, 3, 2),)]),
    unary("permute", lambda m, x: x.permute(2, 0, 1), cases=[((2, 3, 4),)]),
    unary("swapaxes", lambda m, x: x.swapaxes(0, 2), cases=[((2, 3, 4),)]),
    unary("T", lambda m, x: x.T, cases=[((3, 4),)]),
    unary("mT", lambda m, x: x.mT, cases=[((2, 3, 4),)]),
    unary("expand", lambda m, x: x.expand(2, 3, 4), cases=[((3, 1),), ((),), ((1, 4),)]),
    unary("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3, 4)), cases=[((3, 1),), ((4,),)]),
    OpSpec("expand_as", lambda m, a, b: a.expand_as(b) * b, [((3, 1), (2, 3, 4))]),
    OpSpec("broadcast_tensors", lambda m, a, b: m.broadcast_tensors(a, b), [((3, 1), (4,)), ((), (2, 2))]),
    unary("repeat", lambda m, x: x.repeat(2, 1, 3), cases=[((3, 4),), ((2,),)]),
    unary("flip", lambda m, x: x.flip(0, -1), cases=[((3, 4),), ((2, 3, 2),)]),
    unary("roll", lambda m, x: m.roll(x, 2, 1), cases=[((3, 4),)]),
    unary("roll_flat", lambda m, x: x.roll(3), cases=[((3, 4),)]),
    unary("roll_multi", lambda m, x: x.roll((1, -2), (0, 1)), cases=[((3, 4),)]),
    OpSpec("cat", lambda m, a, b: m.cat([a, b * 2, a], dim=1), [((2, 3), (2, 1)), ((2, 3, 1), (2, 2, 1))]),
    OpSpec("cat_neg_dim", lambda m, a, b: m.cat((a, b), -2), [((2, 3), (1, 3))]),
    OpSpec("cat_mixed_dtypes", lambda m, a, b: m.cat([a, b.round().long()]), [((3,), (2,))]),
    OpSpec("stack", lambda m, a, b: m.stack([a, b, a], dim=-1), [((2, 3), (2, 3)), ((), ())]),
    unary("split", lambda m, x: x.split(2, dim=1), cases=[((3, 5),)]),
    unary("split_sizes", lambda m, x: m.split(x, [1, 3], dim=1), cases=[((3, 4),)]),
    unary("split_unused", lambda m, x: x.split(2)[1] * 2, cases=[((5, 2),)]),
    unary("chunk", lambda m, x: x.chunk(3, dim=-1), cases=[((3, 5),), ((2, 6),)]),
    unary("unbind", lambda m, x: x.unbind(1), cases=[((3, 4),)]),
    unary("narrow", lambda m, x: x.narrow(1, 1, 2), cases=[((3, 4),)]),
    unary("pad", lambda m, x: m.pad(x, (1, 2)), cases=[((3, 4),), ((2, 3, 4),)]),
    unary("pad_value", lambda m, x: m.pad(x, (0, 1, 2, 0), value=1.5), cases=[((3, 4),)]),
    unary("pad_negative", lambda m, x: m.pad(x, (-1, 1)), cases=[((3, 4),)]),
    unary("pad_reflect", lambda m, x: m.pad(x, (2, 1), mode="reflect"), cases=[((2, 3, 4),)], gradgrad=False),
    unary("pad_replicate", lambda m, x: m.pad(x, (1, 2, 2, 1), mode="replicate"), cases=[((1, 2, 3, 4),)],
          gradgrad=False),
    unary("pad_circular", lambda m, x: m.pad(x, (1, 2), mode="circular"), cases=[((2, 3, 4),)], gradgrad=False),

    # -- indexing ----------------------------------------------------------------
    unary("index_int", lambda m, x: x[1], cases=[((3, 4),), ((3,),)]),
    unary("index_slice", lambda m, x: x[1:, ::2], cases=[((3, 4),)]),
    unary("index_none_ellipsis", lambda m, x: x[None, ..., -1], cases=[((3, 4),), ((2, 3, 4),)]),
    unary("index_negative", lambda m, x: x[-1, -3:-1], cases=[((3, 4),)]),
    unary("index_array", lambda m, x: x[m.tensor(IDX)], cases=[((3, 4),), ((3,),)]),
    unary("index_list", lambda m, x: x[[0, 2, 0]], cases=[((3, 4),)]),
    unary("index_arrays_2d", lambda m, x: x[m.tensor(IDX[:3]), m.tensor(np.array([1, 1, 3]))], cases=[((3, 4),)]),
    unary("index_array_slice", lambda m, x: x[1:, m.tensor(IDX)], cases=[((3, 4),)]),
    unary("index_mask", lambda m, x: x[m.tensor(MASK)], cases=[((3, 4),)]),
    unary("index_row_mask", lambda m, x: x[m.tensor(MASK[:, 0])], cases=[((3, 4),)]),
    unary("index_computed_mask", lambda m, x: x[x > 0], cases=[((3, 4),)]),
    unary("masked_select", lambda m, x: x.masked_select(m.tensor(MASK[0])), cases=[((3, 4),)]),
    unary("gather", lambda m, x: m.gather(x, 1, m.tensor(GATHER_IDX)), cases=[((3, 4),)]),
    unary("gather_dim0", lambda m, x: x.gather(0, m.tensor(GATHER_IDX[:2, :] % 3)), cases=[((3, 4),)]),
    OpSpec("scatter_add", lambda m, x, s: x.scatter_add(1, m.tensor(GATHER_IDX), s), [((3, 4), (3, 3))]),
    OpSpec("scatter_add_dim0", lambda m, x, s: m.scatter_add(x, 0, m.tensor(GATHER_IDX[:2] % 3), s),
           [((3, 4), (2, 3))]),
    unary("index_select", lambda m, x: m.index_select(x, 1, m.tensor(IDX[:3])), cases=[((3, 4),)]),
    unary("index_select_dim0", lambda m, x: x.index_select(0, m.tensor(IDX)), cases=[((3, 4),), ((3,),)]),

    # -- comparisons and logic: values only --------------------------------------
    OpSpec("eq", lambda m, a, b: a.round() == b.round(), BINARY, grad=False),
    OpSpec("ne", lambda m, a, b: a.round() != b.round(), BINARY, grad=False),
    OpSpec("lt", lambda m, a, b: a < b, BINARY, grad=False),
    OpSpec("le", lambda m, a, b: m.le(a, b), BINARY, grad=False),
    OpSpec("gt", lambda m, a, b: m.gt(a, b), BINARY, grad=False),
    OpSpec("ge", lambda m, a, b: a >= b, BINARY, grad=False),
    unary("compare_scalar", lambda m, x: (x > 0.5) | (x <= -0.5), grad=False),
    OpSpec("logical", lambda m, a, b: m.logical_xor(m.logical_and(a > 0, b > 0), m.logical_or(a > 1, ~(b < 1))),
           BINARY, grad=False),
    unary("logical_not", lambda m, x: m.logical_not(x > 0), grad=False),
    unary("isfinite", lambda m, x: m.isfinite(x + m.tensor(SPECIAL)) ^ m.isnan(x * m.tensor(SPECIAL))
          & ~m.isinf(x - m.tensor(SPECIAL)), cases=[((3, 4),), ((),)], grad=False),
    unary("all_any", lambda m, x: m.stack([(x > -3).all(), (x > 1).any(), m.any(x > 0, dim=0).all()]),
          cases=[((3, 4),)], grad=False),
]

SPECS_BY_NAME = {s.name: s for s in SPECS}
assert len(SPECS_BY_NAME) == len(SPECS), "spec names must be unique"


def cases(predicate=lambda spec: True) -> list:
    """(spec, shapes) pairs with readable ids, for pytest.mark.parametrize."""
    import pytest
    return [pytest.param(spec, shapes, id=case_id)
            for spec in SPECS if predicate(spec)
            for shapes, case_id in zip(spec.cases, spec.ids())]

"""Bad input to operations: each error says what was expected and what was given."""
import pytest

import chainrule as cr

A = cr.ones(2, 3)

ERRORS = [
    ("broadcast", lambda: A + cr.ones(4), RuntimeError,
     r"size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    ("broadcast_mul", lambda: A * cr.ones(2, 4), RuntimeError, r"\(3\) must match .* \(4\)"),
    ("broadcast_where", lambda: cr.where(A > 0, A, cr.ones(2, 1, 2)), RuntimeError, r"tensor c \(2\)"),
    ("broadcast_maximum", lambda: cr.maximum(A, cr.ones(4)), RuntimeError, "must match"),
    ("broadcast_compare", lambda: A == cr.ones(4), RuntimeError, "must match"),
    ("matmul_inner", lambda: A @ cr.ones(4, 2), RuntimeError,
     r"shapes \(2, 3\) and \(4, 2\) cannot be multiplied \(3 columns on the left, 4 rows on the right\)"),
    ("matmul_0d", lambda: A @ cr.tensor(2.0), RuntimeError, "at least 1D.*2D and 0D"),
    ("reshape", lambda: A.reshape(4, 2), RuntimeError, r"shape '\[4, 2\]' is invalid for input of size 6"),
    ("reshape_two_inferred", lambda: A.reshape(-1, -1), RuntimeError, "only one dimension can be inferred"),
    ("view_layout", lambda: A.T.view(-1), RuntimeError, "view size is not compatible.*reshape"),
    ("dim_range", lambda: A.sum(dim=2), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    ("softmax_dim", lambda: A.softmax(dim=-3), IndexError, "Dimension out of range"),
    ("cat", lambda: cr.cat([A, cr.ones(2, 2)]), RuntimeError,
     r"Sizes of tensors must match except in dimension 0.*\(2, 2\) for tensor number 1"),
    ("stack", lambda: cr.stack([A, cr.ones(2, 2)]), RuntimeError,
     r"equal size.*\(2, 3\) at entry 0 and \(2, 2\) at entry 1"),
    ("cat_empty", lambda: cr.cat([]), RuntimeError, "non-empty list"),
    ("expand", lambda: A.expand(3, 3), RuntimeError,
     r"expanded size of the tensor \(3\) must match the existing size \(2\)"),
    ("expand_leading_minus_one", lambda: A.expand(-1, 2, 3), RuntimeError, "-1 is not allowed in a leading"),
    ("permute", lambda: A.permute(0, 0), RuntimeError, "repeated dim"),
    ("permute_length", lambda: A.permute(0, 1, 2), IndexError, "Dimension out of range"),
    ("flatten", lambda: A.flatten(1, 0), RuntimeError, "start_dim 1 cannot come after end_dim 0"),
    ("split", lambda: A.split([1, 1], dim=1), RuntimeError, r"sum exactly to 3.*\[1, 1\]"),
    ("chunk", lambda: A.chunk(0), RuntimeError, "greater than 0, got: 0"),
    ("repeat", lambda: A.repeat(2), RuntimeError, "repeat dims can not be smaller"),
    ("pad_length", lambda: cr.pad(A, (1,)), RuntimeError, "divisible by 2.*got 1"),
    ("pad_mode", lambda: cr.pad(A, (1, 1), mode="mirror"), NotImplementedError, "'mirror'"),
    ("gather_dtype", lambda: A.gather(1, cr.tensor([[0.0]])), RuntimeError,
     "Expected dtype int64 for index, got float32"),
    ("gather_dim", lambda: A.gather(5, cr.tensor([[0]])), IndexError, "Dimension out of range"),
    ("gather_ndim", lambda: A.gather(1, cr.tensor([0])), RuntimeError, r"same number of dimensions.*1D.*2D"),
    ("index_select_2d", lambda: A.index_select(1, cr.tensor([[0]])), IndexError, "vector"),
    ("scatter_add_shape", lambda: A.scatter_add(1, cr.tensor([[0, 1]]), cr.ones(1, 1)), RuntimeError,
     r"index \(1, 2\).*src \(1, 1\)"),
    ("index_out_of_range", lambda: A[5], IndexError, r"out of bounds.*shape \(2, 3\)"),
    ("setitem_shape", lambda: A.clone().__setitem__(0, cr.ones(4)), RuntimeError,
     r"value tensor of shape \[4\] cannot be broadcast to indexing result of shape \[3\]"),
    ("masked_fill_mask", lambda: A.masked_fill(cr.ones(2, 3), 0.0), RuntimeError, "boolean masks.*float32"),
    ("clamp_none", lambda: A.clamp(), RuntimeError, "at least one of 'min' or 'max'"),
    ("mean_int", lambda: cr.tensor([1, 2]).mean(), RuntimeError, "floating point.*int64"),
    ("item", lambda: A.item(), RuntimeError, "6 elements cannot be converted to Scalar"),
    ("bool_ambiguous", lambda: bool(A), RuntimeError, "6 values is ambiguous"),
    ("operand_type", lambda: A + "x", TypeError, "str"),
    ("norm_p", lambda: A.norm(p="nuc"), ValueError, "unsupported p='nuc'"),
    ("gelu_mode", lambda: cr.gelu(A, approximate="fast"), ValueError, "'none' or 'tanh'"),
    ("div_mode", lambda: cr.div(A, 2, rounding_mode="round"), ValueError, "rounding_mode"),
    ("device", lambda: A.to("cuda"), RuntimeError, "CPU only.*'cuda'"),
    ("numpy_requires_grad", lambda: cr.ones(2, requires_grad=True).numpy(), RuntimeError, "detach"),
    ("len_0d", lambda: len(cr.tensor(1.0)), TypeError, "0-d"),
]


@pytest.mark.parametrize("make, error, message", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_bad_input_raises_a_clear_error(make, error, message):
    with pytest.raises(error, match=message):
        make()

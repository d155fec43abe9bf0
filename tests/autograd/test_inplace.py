"""In-place operations: values and gradients as in PyTorch, the version counter, and the errors
that protect backward from values overwritten after they were saved."""
import numpy as np
import pytest

import chainrule as cr
from tests.conftest import requires_torch

torch = pytest.importorskip("torch")

X = np.array([[0.5, -1.5, 2.0], [1.0, 0.25, -0.75]], dtype=np.float32)
W = np.array([1.5, -0.5, 2.0], dtype=np.float32)

# each program mutates a non-leaf tensor `a` made from x, with w as a second differentiable input
PROGRAMS = {
    "add_": lambda m, a, w: a.add_(w),
    "add_alpha": lambda m, a, w: a.add_(w, alpha=-2.0),
    "sub_": lambda m, a, w: a.sub_(w * 3),
    "mul_tensor": lambda m, a, w: a.mul_(w),
    "mul_scalar": lambda m, a, w: a.mul_(2.5).add_(w),
    "div_": lambda m, a, w: a.div_(w),
    "pow_": lambda m, a, w: a.pow_(2).mul_(w),
    "clamp_": lambda m, a, w: a.mul_(w).clamp_(-1.0, 1.5),
    "zero_": lambda m, a, w: a.zero_().add_(w),
    "fill_": lambda m, a, w: a.fill_(0.5).mul_(w),
    "copy_": lambda m, a, w: a.copy_(w * 2),
    "setitem_int": lambda m, a, w: a.__setitem__(0, w * w) or a,
    "setitem_slice": lambda m, a, w: a.__setitem__((slice(None), slice(1, None)), w[:2]) or a,
    "setitem_mask": lambda m, a, w: a.__setitem__(a > 0.6, 0.0) or a.mul_(w),
    "setitem_array": lambda m, a, w: a.__setitem__((m.tensor([1, 0]), m.tensor([2, 0])), w[1]) or a,
    "masked_fill_": lambda m, a, w: a.masked_fill_(a < 0, 1.0).mul_(w),
    "iadd": lambda m, a, w: a.__iadd__(w),
    "imul": lambda m, a, w: a.__imul__(w),
}


def run_program(lib, name):
    x = lib.tensor(X, requires_grad=True)
    w = lib.tensor(W, requires_grad=True)
    a = x * 1.0
    out = PROGRAMS[name](lib, a, w)
    assert out is a  # in-place ops return self
    (a * lib.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))).sum().backward()
    return a.detach().numpy(), x.grad, w.grad


@requires_torch
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_inplace_values_and_gradients_match_torch(name):
    ours, theirs = run_program(cr, name), run_program(torch, name)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    for g, tg in zip(ours[1:], theirs[1:]):
        tg = np.zeros_like(ours[0] if g is None or g.ndim == 2 else W) if tg is None else tg.numpy()
        got = np.zeros_like(tg) if g is None else g.numpy()
        np.testing.assert_allclose(got, tg, rtol=1e-6, atol=1e-7)
        assert g is None or g.dtype == cr.float32


def test_overwriting_a_saved_input_is_caught_at_backward():
    x = cr.tensor(X, requires_grad=True)
    a = x * 1
    y = a.sin()  # saves a
    a.add_(1.0)
    with pytest.raises(RuntimeError, match=r"needed by SinBackward0 .* modified by an in-place operation.*"
                                           r"float32 tensor of shape \(2, 3\) is at version 1; expected version 0"):
        y.sum().backward()


def test_overwriting_a_saved_output_is_caught_at_backward():
    x = cr.tensor(X, requires_grad=True)
    y = x.exp()  # saves its output
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="ExpBackward0.*in-place"):
        y.sum().backward()


def test_overwriting_through_a_view_or_detached_alias_is_caught():
    x = cr.tensor(X, requires_grad=True)
    a = x * 1
    y = a.tanh() * a  # Mul saves a
    with cr.no_grad():
        a[0].zero_()  # a view of a: same version counter
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()
    b = x * 1
    z = b.sin()
    b.detach().add_(1.0)  # detach shares memory and the version counter
    with pytest.raises(RuntimeError, match="in-place"):
        z.sum().backward()


def test_inplace_change_not_needed_by_backward_is_fine():
    x = cr.tensor(X, requires_grad=True)
    a = x * 2.0
    y = a + 1.0  # Add saves nothing
    a.mul_(10.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(X.shape, 2.0))


def test_inplace_on_a_leaf_requiring_grad_is_refused_but_allowed_under_no_grad():
    w = cr.tensor(W, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad.*in-place.*no_grad"):
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0] = 2.0
    with cr.no_grad():
        w.sub_(cr.ones(3), alpha=0.5)  # an optimizer step
        w[1] = 7.0
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 7.0, 1.5])
    assert w.requires_grad and w.is_leaf and w.grad_fn is None


# each program changes part of a non-leaf `a` (2, 3) through a view, or uses a view made before a change
VIEW_PROGRAMS = {
    "slice_iadd": lambda m, a, w: _then(a[:, :2].__iadd__(w[:2]), a),
    "python_slice_augmented": lambda m, a, w: a.__setitem__(slice(None), _augmented(a, w)) or a,
    "row_mul_": lambda m, a, w: _then(a[0].mul_(w), a),
    "view_then_slice_zero_": lambda m, a, w: _then(a.view(6)[1:4].zero_(), a * w),
    "transpose_row_add_": lambda m, a, w: _then(a.t()[1].add_(w[:2] * 3), a),
    "chained_views": lambda m, a, w: _then(a.view(3, 2).t()[1][1:].mul_(w[0]), a),
    "view_copy_": lambda m, a, w: _then(a[1].copy_(w.exp()), a),
    "setitem_on_view": lambda m, a, w: a[1].__setitem__(slice(0, 2), w[1:] * w[1:]) or a,
    "old_view_after_base_change": lambda m, a, w: _stale_view(a, w),
    "two_views": lambda m, a, w: _two_views(a, w),
    "view_of_plain_buffer": lambda m, a, w: _buffer_view(m, a, w),
}


def _then(done, value):
    return value


def _augmented(a, w):
    v = a[:]
    v += w  # Python's `a[:] += w`: a view changed in place, then assigned back
    return v


def _stale_view(a, w):
    row = a[1]
    a.mul_(w)  # the base changes after the view was made: the view follows it
    return a + row.reshape(1, 3) * w


def _two_views(a, w):
    col, row = a[:, 1], a[0]
    col.add_(w[:2])
    row.mul_(w)
    return a * 2 + col.sum() + row.sum()


def _buffer_view(m, a, w):
    buf = m.zeros(2, 3)
    buf[1:].copy_(a[:1] * w)  # a tensor outside the graph joins it through its view
    return buf + a


def run_view_program(lib, name):
    x = lib.tensor(X, requires_grad=True)
    w = lib.tensor(W, requires_grad=True)
    out = VIEW_PROGRAMS[name](lib, x * 1.0, w)
    (out * lib.tensor(np.arange(6, dtype=np.float32).reshape(2, 3) - 2)).sum().backward()
    return out.detach().numpy(), x.grad.numpy(), w.grad.numpy()


@requires_torch
@pytest.mark.parametrize("name", sorted(VIEW_PROGRAMS))
def test_inplace_through_views_matches_torch(name):
    for ours, theirs in zip(run_view_program(cr, name), run_view_program(torch, name)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


def test_inplace_through_views_passes_gradcheck():
    def f(x, w):
        a = x * 1.0
        a[:, 1:].mul_(w[:2])
        a.t()[0].add_(w.sin()[:2])
        return a * a
    x = cr.tensor(X.astype(np.float64), requires_grad=True)
    w = cr.tensor(W.astype(np.float64), requires_grad=True)
    assert cr.autograd.gradcheck(f, [x, w])


def test_inplace_on_a_view_of_a_leaf_or_of_overlapping_memory_is_refused_clearly():
    x = cr.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[0].mul_(2.0)
    a = cr.tensor(W, requires_grad=True) * 1
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        a.expand(2, 3).add_(1.0)


def test_version_counter_counts_changes_and_is_shared_with_views_and_detach():
    a = cr.zeros(2, 3)
    assert a._version == 0
    a.add_(1.0)
    a[0, 0] = 5.0
    assert a._version == 2
    view = a[1]
    view.fill_(3.0)
    assert a._version == view._version == 3
    np.testing.assert_array_equal(a.numpy(), [[5, 1, 1], [3, 3, 3]])
    a.detach().zero_()
    assert a._version == 4 and not a.numpy().any()


def test_inplace_without_graph_writes_into_the_same_memory():
    a = cr.ones(3)
    memory = a.numpy()
    a.mul_(2.0).add_(cr.tensor([1.0, 2.0, 3.0])).clamp_(max=4.0)
    assert a.numpy() is memory
    np.testing.assert_array_equal(memory, [3.0, 4.0, 4.0])


def test_inplace_shape_and_dtype_errors():
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        (cr.tensor(W, requires_grad=True) * 1).add_(cr.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"shape \[3\].*\[2, 3\]"):
        cr.zeros(3).add_(cr.ones(2, 3))
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type int64"):
        cr.zeros(3, dtype=cr.int64).add_(1.5)


def test_setitem_broadcasts_and_accepts_numpy_values():
    a = cr.zeros(2, 3)
    a[:, 1] = np.array([1.0, 2.0])
    a[1] = 9.0
    a[a == 0] = cr.tensor(-1.0)
    np.testing.assert_array_equal(a.numpy(), [[-1, 1, -1], [9, 9, 9]])



IN_PLACE_MATH = ["abs", "sqrt", "rsqrt", "exp", "expm1", "log", "log1p", "log2", "log10", "neg", "reciprocal",
                 "square", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "floor", "ceil", "round", "sign", "erf",
                 "sinh", "cosh", "atan", "trunc", "frac"]


@requires_torch
@pytest.mark.parametrize("name", IN_PLACE_MATH)
def test_in_place_math_matches_torch(name):
    """x.<name>_() on a tensor in the graph: values and gradients as PyTorch's (a composite such as
    log2 keeps what it saved), and outside the graph it writes into the same memory."""
    outs = []
    for lib in (cr, torch):
        x = lib.tensor(np.abs(X) + 0.1, requires_grad=True)
        a = x * 1.5
        assert getattr(a, name + "_")() is a
        (a * lib.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))).sum().backward()
        outs.append((a.detach().numpy(), x.grad.numpy()))
    for ours, theirs in zip(*outs):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    plain = cr.tensor(np.abs(X) + 0.1)
    memory = plain.numpy()
    getattr(plain, name + "_")()
    assert plain.numpy() is memory or np.shares_memory(plain.numpy(), memory)

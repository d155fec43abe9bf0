"""Second derivatives of every operation whose backward is differentiable: against finite
differences of first derivatives (gradgradcheck) and against PyTorch's double backward; and the
clear error of the once-differentiable ones."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradgradcheck
from tests.conftest import requires_torch
from tests.ops.op_harness import as_outputs, assert_same_grads, call, case_arrays, torch, torch_lib
from tests.ops.op_table import cases


@pytest.mark.parametrize("spec, shapes", cases(lambda s: s.grad and s.gradcheck and s.gradgrad))
def test_gradgradcheck(spec, shapes):
    inputs = [cr.tensor(a, dtype=cr.float64, requires_grad=True) for a in case_arrays(spec, shapes)]
    assert gradgradcheck(lambda *xs: call(spec, cr, list(xs)), inputs)


def second_derivatives(lib, autograd, spec, arrays, dtype):
    """d/dx of <w, d<v, f(x)>/dx>: a Hessian(-like) product for random v and w."""
    xs = [lib.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    outs = [o for o in as_outputs(call(spec, lib, xs)) if o.requires_grad]
    rng = np.random.default_rng(2)
    vs = [lib.tensor(rng.standard_normal(tuple(o.shape)), dtype=dtype) for o in outs]
    firsts = autograd.grad(outs, xs, vs, create_graph=True, allow_unused=True)
    terms = [(g * lib.tensor(rng.standard_normal(tuple(g.shape)), dtype=dtype)).sum()
             for g in firsts if g is not None and g.requires_grad]
    if not terms:  # first derivatives constant in x: nothing to compare but that both agree
        return None
    return autograd.grad(sum(terms), xs, allow_unused=True)


@requires_torch
@pytest.mark.parametrize("spec, shapes", cases(lambda s: s.grad and s.gradgrad))
def test_second_derivatives_match_torch(spec, shapes):
    arrays = case_arrays(spec, shapes)
    ours = second_derivatives(cr, cr.autograd, spec, arrays, cr.float64)
    theirs = second_derivatives(torch_lib(), torch.autograd, spec, arrays, torch.float64)
    if ours is None or theirs is None:
        assert all(g is None or not g.numpy().any() for g in ours or ())
        assert all(g is None or not g.any() for g in theirs or ())
        return
    assert_same_grads(ours, theirs, atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("spec, shapes", cases(lambda s: s.grad and not s.gradgrad))
def test_once_differentiable_refuses_double_backward(spec, shapes):
    xs = [cr.tensor(a, dtype=cr.float64, requires_grad=True) for a in case_arrays(spec, shapes)]
    out = as_outputs(call(spec, cr, xs))[0]
    v = cr.ones_like(out, requires_grad=True)
    g, = cr.autograd.grad(out, xs, v, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable.*no second derivative"):
        (g * g).sum().backward()


def test_once_differentiable_refuses_a_penalty_through_its_saved_input():
    """prod's gradient depends on its input: a gradient penalty must not silently drop that part."""
    x = cr.tensor([1.5, -2.0, 0.5], dtype=cr.float64, requires_grad=True)
    g, = cr.autograd.grad(x.prod() + (x * x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="ProdBackward0.*once_differentiable|once_differentiable.*ProdBackward0"):
        (g * g).sum().backward()

"""Activation checkpointing: same values and gradients as without it, less memory saved for backward."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.diagnostics.memory import peak_memory, saved_bytes
from chainrule.utils.checkpoint import checkpoint, checkpoint_sequential
from tests.conftest import requires_torch


def blocks(n, width, act=nn.ReLU):
    layers = []
    for _ in range(n):
        layers += [nn.Linear(width, width), act()]
    return nn.Sequential(*layers)


def grads_of(model, x, run):
    model.zero_grad()
    x = x.detach().requires_grad_()
    out = run(x)
    (out * out).sum().backward()
    return out.detach(), [x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("segments", [1, 2, 4, 8])
def test_checkpoint_sequential_gives_the_same_values_and_gradients(segments):
    cr.manual_seed(0)
    model = blocks(8, 6, nn.Tanh)
    x = cr.randn(5, 6)
    out0, g0 = grads_of(model, x, model)
    out1, g1 = grads_of(model, x, lambda t: checkpoint_sequential(model, segments, t, use_reentrant=False))
    np.testing.assert_array_equal(out0.numpy(), out1.numpy())
    for a, b in zip(g0, g1):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def test_saved_activation_bytes_fall_by_the_expected_factor():
    # n blocks of Linear + ReLU: each ReLU keeps its output, which the next Linear keeps as its input,
    # so the graph keeps n + 1 activations of batch × width floats (the input included).
    # With s checkpointed segments: s - 1 segment inputs + the last segment's n/s + 1 activations.
    n, s, batch, width = 16, 4, 8, 32
    cr.manual_seed(0)
    model = blocks(n, width)
    x = cr.randn(batch, width)
    one = batch * width * 4
    plain = saved_bytes(model(x).sum())
    checkpointed = saved_bytes(checkpoint_sequential(model, s, x, use_reentrant=True).sum())
    assert plain == (n + 1) * one
    assert checkpointed == (s - 1 + n // s + 1) * one
    assert plain / checkpointed == pytest.approx(17 / 8)


def test_checkpointing_lowers_the_peak_memory_of_a_training_step():
    # activations dominate: 36 blocks of 256 × 32 floats (32 KiB each) against 4 KiB weights;
    # kept: 37 activations without checkpoints, 5 + 7 with 6 segments, plus 6 while one is recomputed
    cr.manual_seed(0)
    model = blocks(36, 32)
    x = cr.randn(256, 32)

    def step(run):
        model.zero_grad(set_to_none=False)  # gradients accumulate in place: no new allocation
        run(x).sum().backward()

    step(model)  # the first step allocates the gradients
    _, plain = peak_memory(step, model)
    _, less = peak_memory(step, lambda t: checkpoint_sequential(model, 6, t, use_reentrant=False))
    assert plain > 37 * 256 * 32 * 4
    assert less < 0.7 * plain


def test_gradients_reach_parameters_and_tensors_the_function_only_reads():
    cr.manual_seed(0)
    lin = nn.Linear(3, 3)
    h_src = cr.randn(2, 3, requires_grad=True)
    scale = cr.tensor(1.5, requires_grad=True)
    x = cr.randn(2, 3, requires_grad=True)

    def run(check):
        for t in (x, h_src, scale, *lin.parameters()):
            t.grad = None
        h = h_src * 2  # a non-leaf tensor the function closes over

        def fn(a, *, power):
            return (lin(a) * scale + h) ** power

        out = checkpoint(fn, x, power=2, use_reentrant=False) if check else fn(x, power=2)
        out.sum().backward()
        return [t.grad.numpy().copy() for t in (x, h_src, scale, *lin.parameters())]

    for a, b in zip(run(False), run(True)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_autograd_grad_works_through_a_checkpoint():
    cr.manual_seed(0)
    model = blocks(3, 4, nn.Sigmoid)
    x = cr.randn(2, 4, requires_grad=True)
    params = [x] + list(model.parameters())
    want = cr.autograd.grad(model(x).sum(), params)
    got = cr.autograd.grad(checkpoint(model, x, use_reentrant=False).sum(), params)
    for a, b in zip(want, got):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert all(p.grad is None for p in params)


def test_dropout_draws_the_same_mask_when_recomputed():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5), nn.Linear(8, 8))
    x = cr.randn(4, 8)
    cr.manual_seed(1)
    out0, g0 = grads_of(model, x, model)
    cr.manual_seed(1)
    out1, g1 = grads_of(model, x, lambda t: checkpoint(model, t, use_reentrant=False))
    np.testing.assert_array_equal(out0.numpy(), out1.numpy())
    for a, b in zip(g0, g1):
        np.testing.assert_array_equal(a, b)


def test_tuple_outputs_and_non_tensor_arguments():
    a = cr.randn(3, requires_grad=True)
    b = cr.randn(3, requires_grad=True)

    def fn(x, y, k):
        return x * y * k, "tag", (x + y).sum()

    prod, tag, total = checkpoint(fn, a, b, 3.0, use_reentrant=False)
    assert tag == "tag"
    (prod.sum() + total).backward()
    np.testing.assert_allclose(a.grad.numpy(), 3 * b.detach().numpy() + 1, rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), 3 * a.detach().numpy() + 1, rtol=1e-6)


def test_no_graph_without_grad_and_a_clear_error_for_second_derivatives():
    lin = nn.Linear(2, 2)
    with cr.no_grad():
        assert checkpoint(lin, cr.randn(1, 2), use_reentrant=False).grad_fn is None
    x = cr.randn(1, 2, requires_grad=True)
    g, = cr.autograd.grad(checkpoint(lambda t: (t ** 3).sum(), x, use_reentrant=False), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_recomputation_that_changes_shape_is_reported():
    calls = []

    def unstable(t):
        calls.append(1)
        return t[: len(calls)] * 2

    out = checkpoint(unstable, cr.randn(4, requires_grad=True), use_reentrant=False)
    with pytest.raises(RuntimeError, match="same thing each time"):
        out.sum().backward()


def test_bad_arguments():
    model = blocks(2, 2)
    with pytest.raises(ValueError, match="segments must be between 1 and the number of functions"):
        checkpoint_sequential(model, 5, cr.randn(1, 2))
    with pytest.raises(ValueError, match="Unexpected keyword arguments: bogus"):
        checkpoint_sequential(model, 2, cr.randn(1, 2), bogus=1)
    with pytest.raises(ValueError, match="determinism_check"):
        checkpoint(model, cr.randn(1, 2), determinism_check="strict")


@requires_torch
def test_matches_pytorch_checkpoint_sequential():
    import torch
    cr.manual_seed(0)
    model = blocks(6, 5, nn.Tanh)
    tmodel = torch.nn.Sequential(*[torch.nn.Linear(5, 5) if i % 2 == 0 else torch.nn.Tanh() for i in range(12)])
    with torch.no_grad():
        for p, q in zip(model.parameters(), tmodel.parameters()):
            q.copy_(torch.from_numpy(p.detach().numpy()))
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    torch.utils.checkpoint.checkpoint_sequential(tmodel, 3, tx, use_reentrant=False).pow(2).sum().backward()
    out, grads = grads_of(model, cr.tensor(x), lambda t: checkpoint_sequential(model, 3, t, use_reentrant=False))
    for a, b in zip(grads, [tx.grad] + [q.grad for q in tmodel.parameters()]):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-5, atol=1e-6)

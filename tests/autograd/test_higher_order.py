"""Higher-order gradients (create_graph=True) against PyTorch and closed forms: grad of grad,
a Hessian-vector product of a small MLP loss, and a gradient penalty."""
import numpy as np
import pytest

import chainrule as cr
from tests.conftest import requires_torch

torch = pytest.importorskip("torch")
pytestmark = requires_torch


def both(arrays):
    """The same float32 leaves in chainrule and in torch."""
    return ([cr.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def test_tanh_derivatives_up_to_third_order():
    x_np = np.array([-1.5, -0.3, 0.0, 0.7, 2.0], dtype=np.float32)
    (x,), (tx,) = both([x_np])
    ours, theirs = [x.tanh()], [tx.tanh()]
    for order in range(3):
        g, = cr.autograd.grad(ours[-1].sum(), x, create_graph=True)
        tg, = torch.autograd.grad(theirs[-1].sum(), tx, create_graph=True)
        ours.append(g)
        theirs.append(tg)
        np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-5, atol=1e-6)
        assert g.dtype == cr.float32 and g.requires_grad
    t = np.tanh(x_np.astype(np.float64))  # closed forms: 1 - t², -2t(1 - t²), (6t² - 2)(1 - t²)
    for got, want in zip(ours[1:], [1 - t ** 2, -2 * t * (1 - t ** 2), (6 * t ** 2 - 2) * (1 - t ** 2)]):
        np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-5, atol=1e-6)


def mlp_loss(lib, params, x, y):
    """Two-layer tanh MLP with a log-softmax cross-entropy, written once for both libraries."""
    w1, b1, w2, b2 = params
    logits = (x @ w1 + b1).tanh() @ w2 + b2
    return -(lib.log_softmax(logits, dim=1) * y).sum() / x.shape[0]


def mlp_setup(seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(4, 5), (5,), (5, 3), (3,)]
    params = [rng.standard_normal(s).astype(np.float32) * 0.7 for s in shapes]
    x = rng.standard_normal((6, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 6)]
    return params, x, y


def test_hessian_vector_product_of_mlp_loss():
    params, x, y = mlp_setup()
    rng = np.random.default_rng(1)
    vs = [rng.standard_normal(p.shape).astype(np.float32) for p in params]
    ours, theirs = both(params)

    g = cr.autograd.grad(mlp_loss(cr, ours, cr.tensor(x), cr.tensor(y)), ours, create_graph=True)
    hvp = cr.autograd.grad(sum((gi * cr.tensor(v)).sum() for gi, v in zip(g, vs)), ours)
    tg = torch.autograd.grad(mlp_loss(torch, theirs, torch.tensor(x), torch.tensor(y)), theirs, create_graph=True)
    thvp = torch.autograd.grad(sum((gi * torch.tensor(v)).sum() for gi, v in zip(tg, vs)), theirs)
    for h, th in zip(hvp, thvp):
        assert h.dtype == cr.float32
        np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-4, atol=1e-5)


def test_gradient_penalty_matches_torch():
    """WGAN-GP style: loss = D(x).mean() + 10 · mean((‖∇ₓ D(x)‖ - 1)²), differentiated w.r.t. D's weights."""
    params, x, _ = mlp_setup(2)
    ours, theirs = both(params)

    def penalty_loss(lib, ps, inputs):
        w1, b1, w2, b2 = ps
        critic = lambda z: ((z @ w1 + b1).tanh() @ w2 + b2).sum(dim=1)
        scores = critic(inputs)
        g, = (cr.autograd if lib is cr else torch.autograd).grad(scores.sum(), inputs, create_graph=True)
        return scores.mean() + 10 * ((g.norm(dim=1) - 1) ** 2).mean()

    loss = penalty_loss(cr, ours, cr.tensor(x, requires_grad=True))
    tloss = penalty_loss(torch, theirs, torch.tensor(x, requires_grad=True))
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
    for p, tp in zip(ours, theirs):
        assert p.grad.dtype == cr.float32
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_second_derivative_through_broadcasting_and_reductions():
    """d²/dxdw of a broadcast product summed over rows: the engine's sum-to-shape is differentiable too."""
    rng = np.random.default_rng(3)
    (x, w), (tx, tw) = both([rng.standard_normal((3, 4)).astype(np.float32),
                             rng.standard_normal((4,)).astype(np.float32)])
    gw, = cr.autograd.grad(((x * w).sin()).sum(), w, create_graph=True)
    tgw, = torch.autograd.grad(((tx * tw).sin()).sum(), tw, create_graph=True)
    gx, = cr.autograd.grad((gw * gw).sum(), x)
    tgx, = torch.autograd.grad((tgw * tgw).sum(), tx)
    np.testing.assert_allclose(gx.numpy(), tgx.numpy(), rtol=1e-4, atol=1e-5)


def test_create_graph_backward_accumulates_differentiable_grad():
    x = cr.tensor([0.5, -1.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad  # 3x², itself differentiable
    g2, = cr.autograd.grad(x.grad.sum(), x)
    np.testing.assert_allclose(g2.numpy(), 6 * np.array([0.5, -1.0]))

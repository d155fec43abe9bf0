"""explain: the local derivatives along each path multiply, and the paths add up, to the gradient."""
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
import chainrule.nn.functional as F
from chainrule.diagnostics import ModuleTrace, explain
from tests.conftest import requires_torch


def test_a_scalar_chain_against_the_closed_form():
    # loss = (σ(w1·x)·w2 - t)²: one path, whose factors are 2(y - t), w2, σ(h)(1 - σ(h)) and x
    x, t = 0.7, 0.2
    w1 = cr.tensor([[-1.3]], requires_grad=True)
    w2 = cr.tensor([[0.8]], requires_grad=True)
    h = cr.tensor([[x]]) @ w1
    y = cr.sigmoid(h) @ w2
    loss = ((y - t) ** 2).sum()
    e = explain(loss, w1, (0, 0))
    s = 1 / (1 + math.exp(1.3 * x))
    yv = s * 0.8
    factors = [v.value for v in e.paths[0][1]]
    assert e.n_paths == 1
    np.testing.assert_allclose(factors, [1.0, 2 * (yv - t), 1.0, 0.8, s * (1 - s), x], rtol=1e-5)
    assert [v.node for v in e.paths[0][1]] == ["SumBackward0", "PowBackward0", "SubBackward0",
                                              "MatMulBackward0, input 0", "SigmoidBackward0",
                                              "MatMulBackward0"]
    closed = 2 * (yv - t) * 0.8 * s * (1 - s) * x
    assert e.total == pytest.approx(closed, rel=1e-5)
    assert e.paths[0][0] == pytest.approx(closed, rel=1e-5)
    assert e.grad == pytest.approx(closed, rel=1e-5)


def tiny_net(batch=3):
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = cr.randn(batch, 3)
    return model, x


def test_sum_over_paths_equals_grad_for_every_parameter_element():
    model, x = tiny_net()
    target = cr.tensor([0, 1, 1])
    loss = F.cross_entropy(model(x), target)
    explanations = {(name, idx): explain(loss, p, idx, model=model)
                    for name, p in model.named_parameters() for idx in np.ndindex(p.shape)}
    loss.backward()
    grads = dict(model.named_parameters())
    for (name, idx), e in explanations.items():
        g = float(grads[name].grad.numpy()[idx])
        assert e.total == pytest.approx(g, rel=1e-4, abs=1e-7)
        assert e.grad == pytest.approx(g, rel=1e-6, abs=1e-9)


def test_number_of_paths():
    # loss = Σ outputs; W1[i, j] reaches output k of sample b only through hidden unit i: batch × outputs paths
    model, x = tiny_net(batch=5)
    loss = model(x).sum()
    e = explain(loss, model[0].weight, (2, 1))
    assert e.n_paths == 5 * 2
    assert len(e.paths) == 6  # the largest ones, in order
    sizes = [abs(p) for p, _ in e.paths]
    assert sizes == sorted(sizes, reverse=True)
    every = explain(loss, model[0].weight, (2, 1), max_paths=20)
    assert len(every.paths) == 10
    assert sum(p for p, _ in every.paths) == pytest.approx(every.total, rel=1e-9)
    assert every.total == pytest.approx(every.grad, rel=1e-5)
    bias = explain(loss, model[2].bias, (1,))
    assert bias.n_paths == 5 and bias.total == pytest.approx(5.0)


@requires_torch
def test_matches_pytorch_gradients():
    import torch
    model, x = tiny_net()
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        for p, q in zip(model.parameters(), tmodel.parameters()):
            q.copy_(torch.from_numpy(p.detach().numpy()))
    tx = torch.from_numpy(x.numpy())
    torch.nn.functional.mse_loss(tmodel(tx), torch.ones(3, 2)).backward()
    loss = F.mse_loss(model(x), cr.ones(3, 2))
    for (name, p), q in zip(model.named_parameters(), tmodel.parameters()):
        e = explain(loss, p, model=model)
        assert e.total == pytest.approx(float(q.grad.numpy()[e.index]), rel=1e-4, abs=1e-7)
        assert abs(e.grad) == pytest.approx(float(np.abs(q.grad.numpy()).max()), rel=1e-5)  # default: the largest


def test_readable_text_names_modules_and_parameters():
    model, x = tiny_net(batch=1)
    with ModuleTrace(model) as trace:
        loss = model(x).sum()
    text = str(explain(loss, model[0].weight, (1, 2), model=model, trace=trace))
    assert "∂loss/∂0.weight[1, 2]: 2 paths" in text
    assert "∂1:Tanh[0, 1]/∂0:Linear[0, 1]" in text and "∂0:Linear[0, 1]/∂0.weight[1, 2]" in text
    assert "Tanh: ∂tanh x/∂x = 1 − tanh²x" in text
    assert "(equal up to float32 rounding)" in text


def test_large_graphs_are_summarized():
    model, x = tiny_net(batch=4)
    loss = model(x).pow(2).mean()
    e = explain(loss, model[0].weight, (0, 0), max_elements=10)
    assert e.total is None and e.paths == []
    assert [op for op, _, _ in e.flow] == ["Mean", "Pow", "Linear", "Tanh", "Linear"]
    text = str(e)
    assert "too large to list the paths" in text and "‖∂loss/∂output‖" in text
    loss.backward()
    assert e.grad == pytest.approx(float(model[0].weight.grad.numpy()[0, 0]))


def test_leaves_the_graph_usable_and_unhooked():
    model, x = tiny_net()
    loss = model(x).sum()
    explain(loss, model[2].weight, (0, 0))
    assert loss.grad_fn._hooks is None
    loss.backward()
    assert model[0].weight.grad is not None


def test_errors():
    model, x = tiny_net()
    out = model(x)
    with pytest.raises(ValueError, match="scalar loss"):
        explain(out, model[0].weight)
    other = cr.randn(2, requires_grad=True)
    with pytest.raises(ValueError, match="was not used to compute this loss"):
        explain(out.sum(), other)
    with pytest.raises(ValueError, match="leaf tensor"):
        explain(out.sum(), out)

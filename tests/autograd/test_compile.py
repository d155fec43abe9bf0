"""`chainrule.compile`: a captured step replays bit for bit as eager mode does, without building a graph,
and says clearly what changed when a call does not match the captured one."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.autograd import engine
from chainrule.autograd import function as _function
from chainrule.autograd.capture import CaptureError
from tests.autograd.test_engine_order import random_dag

STEPS = 4


def _state(model, loss):
    """Everything a step changes: the loss, each parameter, its gradient, each buffer (copies)."""
    snap = {"loss": loss.detach().numpy().copy()}
    for name, p in model.named_parameters():
        snap[name] = p.detach().numpy().copy()
        snap[name + ".grad"] = None if p.grad is None else p.grad.numpy().copy()
    for name, b in model.named_buffers():
        snap[name] = b.numpy().copy()
    return snap


def _run(make, compiled):
    """STEPS steps of a freshly made (model, step, data) from the same seed, the state after each."""
    cr.manual_seed(0)
    model, step, batches = make(np.random.default_rng(0))
    if compiled:
        step = cr.compile(step)
    states = []
    for k, batch in enumerate(batches):
        nodes, loss = _counting_nodes(step, *batch)
        assert not (compiled and k and nodes), f"replay {k} made {nodes} graph nodes"
        states.append(_state(model, loss))
    return states


def _assert_same_as_eager(make):
    eager, compiled = _run(make, False), _run(make, True)
    for k, (e, c) in enumerate(zip(eager, compiled)):
        assert e.keys() == c.keys()
        for name in e:
            if e[name] is None:
                assert c[name] is None, (k, name)
                continue
            assert c[name].dtype == e[name].dtype, (k, name)
            assert c[name].dtype == np.float32 or name.endswith("num_batches_tracked"), (k, name)
            assert np.array_equal(e[name], c[name]), f"step {k}: {name} differs from eager"


def _training(model, optimizer, loss_fn, batches):
    def step(x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return model, step, batches


def _classification(rng, shape, classes):
    return [(cr.tensor(rng.standard_normal(shape).astype(np.float32)), cr.tensor(rng.integers(0, classes, shape[0])))
            for _ in range(STEPS)]


def mlp_sgd(rng):
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3))
    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return _training(model, opt, nn.functional.cross_entropy, _classification(rng, (5, 6), 3))


def mlp_adam(rng):
    model = nn.Sequential(nn.Linear(6, 16), nn.Sigmoid(), nn.Linear(16, 3))
    opt = cr.optim.Adam(model.parameters(), lr=0.01)
    return _training(model, opt, nn.functional.cross_entropy, _classification(rng, (5, 6), 3))


def cnn_dropout_batchnorm(rng):
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Dropout(0.3), nn.Flatten(), nn.Linear(4 * 3 * 3, 3))
    opt = cr.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return _training(model, opt, nn.functional.cross_entropy, _classification(rng, (4, 2, 6, 6), 3))


class _Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 5)
        self.head = nn.Linear(5, 2)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[-1])


def lstm_adam(rng):
    model = _Recurrent()
    opt = cr.optim.Adam(model.parameters(), lr=0.01)
    batches = [(cr.tensor(rng.standard_normal((4, 2, 3)).astype(np.float32)),
                cr.tensor(rng.standard_normal((2, 2)).astype(np.float32))) for _ in range(STEPS)]
    return _training(model, opt, nn.functional.mse_loss, batches)


class _Leaf(nn.Module):
    """One leaf parameter, for steps written on plain tensor operations."""

    def __init__(self, rng):
        super().__init__()
        self.x = nn.Parameter(cr.tensor(rng.uniform(-1, 1, (3, 4)).astype(np.float32)))


def elementwise_chain(rng):
    """The W3 benchmark's kind of step: a chain of elementwise operations, sum, backward."""
    model = _Leaf(rng)
    ops = [lambda y: y + 0.5, lambda y: y * 1.5, cr.tanh, lambda y: y - 0.25, cr.sigmoid, lambda y: y * 3.0,
           cr.exp, cr.sin, lambda y: y * y, cr.tanh] * 3

    def step():
        model.x.grad = None
        y = model.x
        for op in ops:
            y = op(y)
        loss = y.sum()
        loss.backward()
        return loss
    return model, step, [()] * STEPS


def reused_values(rng):
    """A graph in which values feed several later operations: gradients summed in the engine's order."""
    model = _Leaf(rng)

    def step():
        model.x.grad = None
        loss = random_dag(cr, model.x, 3, 40)
        loss.backward()
        with cr.no_grad():
            model.x -= 0.01 * model.x.grad
        return loss
    return model, step, [()] * STEPS


@pytest.mark.parametrize("make", [mlp_sgd, mlp_adam, cnn_dropout_batchnorm, lstm_adam, elementwise_chain,
                                  reused_values])
def test_replay_matches_eager_bit_for_bit(make):
    _assert_same_as_eager(make)


def test_dropout_draws_new_masks_on_every_replay():
    cr.manual_seed(0)
    x = cr.ones(64, requires_grad=True)

    def step():
        y = nn.functional.dropout(x, 0.5)
        y.sum().backward()  # (a backward inside: the call is captured, and later calls replay)
        return y.numpy(force=True).copy()
    compiled = cr.compile(step)
    masks = [compiled() for _ in range(3)]
    assert compiled._tape is not None and not compiled._eager
    assert not np.array_equal(masks[1], masks[2])


def test_a_compiled_module_with_backward_outside_the_call_runs_as_eager():
    """`model = torch.compile(model)`, then loss and backward in the caller: the graph must outlive each call."""
    def run(compiled):
        cr.manual_seed(0)
        model, _, batches = mlp_sgd(np.random.default_rng(0))
        net = cr.compile(model) if compiled else model
        optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for x, y in batches:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(net(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, [p.detach().numpy().copy() for p in model.parameters()]
    (eager_losses, eager_params), (losses, params) = run(False), run(True)
    assert losses == eager_losses
    assert all(np.array_equal(a, b) for a, b in zip(eager_params, params))


def _counting_nodes(step, *args):
    """How many graph nodes a call makes, and what it returned."""
    before = next(_function._sequence)
    out = step(*args)
    return next(_function._sequence) - before - 1, out


def test_replay_builds_no_graph_and_skips_the_engine(monkeypatch):
    model, step, batches = mlp_sgd(np.random.default_rng(0))
    assert _counting_nodes(step, *batches[0])[0] > 0  # (eager: one node per operation)
    compiled = cr.compile(step)
    compiled(*batches[0])

    def no_engine(*args):
        raise AssertionError("the replay ran the engine's scheduling")
    monkeypatch.setattr(engine, "_receive", no_engine)
    assert _counting_nodes(compiled, *batches[1])[0] == 0


def test_a_new_leaf_input_each_call_gets_its_gradient():
    weights = {mode: cr.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True) for mode in ("eager", "compiled")}

    def step(x, w):
        (x @ w).tanh().sum().backward()

    compiled = cr.compile(step)
    for k in range(3):
        data = np.full((3, 2), 0.1 * k, dtype=np.float32)
        x, xc = cr.tensor(data, requires_grad=True), cr.tensor(data, requires_grad=True)
        step(x, weights["eager"])
        compiled(xc, weights["compiled"])
        assert np.array_equal(x.grad.numpy(), xc.grad.numpy())
    assert np.array_equal(weights["eager"].grad.numpy(), weights["compiled"].grad.numpy())


def test_grad_and_hooks_inside_a_compiled_step_match_eager():
    def make(rng):
        model = _Leaf(rng)

        def step():
            model.x.grad = None
            h = model.x.sin() * 2
            h.register_hook(lambda g: g * 3)
            penalty, = cr.autograd.grad(h.square().sum(), model.x, retain_graph=True)
            loss = h.cos().sum() + 0 * penalty.sum()
            loss.backward()
            return loss + penalty.sum().detach()
        return model, step, [()] * STEPS
    _assert_same_as_eager(make)


def test_a_call_may_stop_early():
    x = cr.tensor([1.0, 2.0], requires_grad=True)

    def step(skip):
        loss = (x * x).sum()
        if skip:
            return loss
        loss.backward()
        return loss

    compiled = cr.compile(step)
    compiled(False)
    compiled(True)
    compiled(False)
    assert np.array_equal(x.grad.numpy(), np.array([4.0, 8.0], np.float32))


# -- what is refused, and how it is said ---------------------------------------------------

def _captured_mlp():
    model, step, batches = mlp_sgd(np.random.default_rng(0))
    compiled = cr.compile(step)
    compiled(*batches[0])
    return model, compiled, batches


def test_an_input_of_another_shape_is_named():
    _, compiled, batches = _captured_mlp()
    x, y = batches[1]
    with pytest.raises(CaptureError, match=r"tensor argument 0 has shape \(3, 6\).*captured with shape \(5, 6\)"):
        compiled(x[:3], y[:3])


def test_a_shape_change_inside_the_step_is_named():
    table = {"w": cr.ones((2, 3), requires_grad=True)}

    def step():
        table["w"].sum().backward()
    compiled = cr.compile(step)
    compiled()
    table["w"] = cr.ones((4, 3), requires_grad=True)
    with pytest.raises(CaptureError, match=r"input 0 is the leaf tensor of shape \(4, 3\)"):
        compiled()


def test_another_operation_is_named():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    flag = {"tanh": True}

    def step():
        y = x.tanh() if flag["tanh"] else x.sigmoid()
        y.sum().backward()
    compiled = cr.compile(step)
    compiled()
    flag["tanh"] = False
    with pytest.raises(CaptureError, match=r"operation 0 \(Sigmoid\): the captured call ran Tanh"):
        compiled()


def test_other_wiring_is_named():
    a, b = cr.tensor([1.0], requires_grad=True), cr.tensor([2.0], requires_grad=True)
    flag = {"a": True}

    def step():
        y = (a if flag["a"] else b).tanh()
        (y * a.exp()).sum().backward()
    compiled = cr.compile(step)
    compiled()
    flag["a"] = False
    with pytest.raises(CaptureError, match="its input 0 is the leaf tensor"):
        compiled()


def test_extra_operations_are_named():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    n = {"ops": 1}

    def step():
        y = x
        for _ in range(n["ops"]):
            y = y.tanh()
        y.sum().backward()
    compiled = cr.compile(step)
    compiled()
    n["ops"] = 2
    with pytest.raises(CaptureError, match="control flow"):
        compiled()


def test_a_replaced_parameter_is_named():
    model, compiled, batches = _captured_mlp()
    model[0].weight = nn.Parameter(model[0].weight.detach().clone())
    with pytest.raises(CaptureError, match="update parameters in place"):
        compiled(*batches[1])


def test_a_requires_grad_change_is_named():
    w = cr.tensor([1.0, 2.0], requires_grad=True)

    def step(x):
        (x * w).sum().backward()
    compiled = cr.compile(step)
    compiled(cr.tensor([1.0, 1.0]))
    with pytest.raises(CaptureError, match="requires_grad=True.*requires_grad=False"):
        compiled(cr.tensor([1.0, 1.0], requires_grad=True))


def test_create_graph_is_refused():
    x = cr.tensor([1.0, 2.0], requires_grad=True)

    def step():
        (x ** 3).sum().backward(create_graph=True)
    with pytest.raises(CaptureError, match="create_graph=True"):
        cr.compile(step)()


def test_a_call_ends_its_graph():
    """A captured step's graph is reused by the next call, so a backward after the call raises."""
    model = nn.Linear(2, 1)

    def step(x):
        out = model(x)
        out.sum().backward(retain_graph=True)
        return out
    compiled = cr.compile(step)
    x = cr.ones((1, 2))
    for _ in range(2):  # the capture, then a replay
        out = compiled(x)
        assert out.requires_grad
        with pytest.raises(CaptureError, match="graph of a call ends when the call returns"):
            out.sum().backward()


def test_torch_compile_options():
    fn = lambda x: x  # noqa: E731
    assert cr.compile(fn, disable=True) is fn
    assert cr.compile(mode="reduce-overhead", fullgraph=True)(fn)(3) == 3
    with pytest.raises(ValueError, match="dynamic=True"):
        cr.compile(fn, dynamic=True)
    with pytest.raises(RuntimeError, match="Unrecognized mode"):
        cr.compile(fn, mode="fastest")
    with pytest.raises(RuntimeError, match="Either mode or options"):
        cr.compile(fn, mode="default", options={})

"""Check the hand-written floors against PyTorch: the same loss, every gradient, and the parameters
after a few optimizer steps. Run `python -m bench.floor.check` (needs torch)."""
from __future__ import annotations

import sys

import numpy as np
import torch

from ..workloads import autoencoder, chain, cnn, lstm, mlp
from ..workloads.training import init_params, load_params

RTOL = 2e-3  # float32 against float32: relative to each value, and to the largest value of the array


def _torch_run(module, params: dict, data: dict, cfg: dict, loss_fn, make_opt, steps: int) -> tuple:
    """Loss and gradients of the first step, parameters after `steps` steps, with torch."""
    model = module.model(torch.nn)
    model.eval()  # dropout off: the floor is checked with dropout off too
    load_params(torch, model, params)
    x = torch.from_numpy(data["x"])
    target = torch.from_numpy(data["y"] if "y" in data else data["x"])
    opt = make_opt(model.parameters())
    first = None
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        if first is None:
            first = (loss.item(), {n: p.grad.numpy().copy() for n, p in model.named_parameters()})
        opt.step()
    return first[0], first[1], {n: p.detach().numpy() for n, p in model.named_parameters()}


def _compare(what: str, ours: dict, ref: dict) -> list:
    failures = []
    for name, r in ref.items():
        o = ours[name]
        atol = RTOL * 0.1 * float(np.abs(r).max())
        if o.dtype != np.float32 or o.shape != r.shape or not np.allclose(o, r, rtol=RTOL, atol=atol):
            err = np.abs(o.astype(np.float64) - r).max() if o.shape == r.shape else "shape"
            failures.append(f"{what} {name}: max |error| {err}, dtype {o.dtype}")
    return failures


def check_model(label: str, module, cfg: dict, make_floor, loss_fn, make_opt, steps: int = 3) -> list:
    params = init_params(module.shapes(**cfg))
    data = module.data(np.random.default_rng(0), **cfg)
    ref_loss, ref_grads, ref_after = _torch_run(module, params, data, cfg, loss_fn, make_opt, steps)
    floor = make_floor(params, data)
    loss = floor.loss_and_grads()
    failures = _compare("gradient", floor.torch_grads(), ref_grads)
    if not np.isclose(loss, ref_loss, rtol=1e-4):
        failures.append(f"loss {loss} against {ref_loss}")
    floor.opt.step()
    for _ in range(steps - 1):
        floor.step()
    failures += _compare("after steps", floor.torch_params(), ref_after)
    print(f"{label}: {'ok' if not failures else 'FAILED'}")
    return [f"{label}: {f}" for f in failures]


def _layout(floor, data: dict, feature_major: bool):
    """The MLP floor with its activations in the given layout, whichever it chose itself."""
    floor._allocate(data["x"], data.get("y", data["x"]), feature_major)
    return floor


def check_chain() -> list:
    cfg = {"length": 200}
    data = chain.data(np.random.default_rng(0), **cfg)
    floor = chain.floor({}, data, **cfg)
    value = floor.step()
    x = torch.from_numpy(data["x"]).requires_grad_()
    y = x
    for op in [chain.operation(torch, n, c) for n, c in chain.ops(**cfg)]:
        y = op(y)
    total = y.sum()
    total.backward()
    ok = np.isclose(value, total.item(), rtol=1e-4) and np.allclose(floor.grad, x.grad.numpy(), rtol=1e-3, atol=1e-12)
    print(f"W3 chain: {'ok' if ok else 'FAILED'}")
    return [] if ok else [f"W3 chain: value {value} against {total.item()}, gradient {floor.grad} against {x.grad}"]


def main() -> int:
    torch.manual_seed(0)
    sgd = lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)  # noqa: E731
    F = torch.nn.functional
    failures = []
    for fm in (True, False):
        failures += check_model(f"W1 MLP ({'feature' if fm else 'batch'}-major)", mlp, {"batch": 32},
                                lambda p, d: _layout(mlp.floor(p, d, 32), d, fm), F.cross_entropy, sgd)
    failures += check_model("W5 autoencoder", autoencoder, {"batch": 16}, lambda p, d: autoencoder.floor(p, d, 16),
                            F.mse_loss, torch.optim.Adam)
    failures += check_model("W2 CNN (dropout off)", cnn, {"batch": 8},
                            lambda p, d: cnn.CNN(p, d["x"], d["y"], lr=cnn.LR, dropout=(0.0, 0.0)),
                            F.nll_loss, sgd)
    failures += check_model("W4 LSTM", lstm, {}, lstm.floor, F.cross_entropy, torch.optim.Adam)
    failures += check_chain()
    for f in failures:
        print(f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

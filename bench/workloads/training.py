"""What the step workloads share: the same initial parameters for every framework, and a training step
written once against PyTorch's API (so it runs unchanged on `torch` and on `chainrule`)."""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np


def init_params(shapes: dict, seed: int = 0) -> dict:
    """Uniform(±1/√fan_in) float32 arrays, fan_in from the latest weight (PyTorch's default bound)."""
    rng = np.random.default_rng(seed)
    params = {}
    fan_in = 1
    for name, shape in shapes.items():
        if len(shape) > 1:
            fan_in = math.prod(shape[1:])
        bound = 1 / math.sqrt(fan_in)
        params[name] = rng.uniform(-bound, bound, size=shape).astype(np.float32)
    return params


def dense_shapes(sizes: list) -> dict:
    """Parameter shapes of a Sequential of Linear layers with an activation between each."""
    shapes = {}
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        shapes[f"{2 * k}.weight"], shapes[f"{2 * k}.bias"] = (n_out, n_in), (n_out,)
    return shapes


def load_params(fw: Any, model: Any, params: dict) -> None:
    """Copy `params` into `model`, after checking that its parameters have exactly those names and shapes."""
    got = {name: tuple(p.shape) for name, p in model.named_parameters()}
    want = {name: a.shape for name, a in params.items()}
    if got != want:
        raise ValueError(f"the {fw.__name__} model's parameters {got} differ from the workload's {want}")
    with fw.no_grad():
        for name, p in model.named_parameters():
            p.copy_(fw.from_numpy(params[name]))


def training_step(fw: Any, model: Any, params: dict, loss_fn: Callable, optimizer: Any, x: Any,
                  target: Any) -> Callable:
    """zero_grad, forward, loss, backward, update: the step every training workload times."""
    load_params(fw, model, params)
    x, target = fw.from_numpy(x), fw.from_numpy(target)
    opt = optimizer(model.parameters())

    def step() -> Any:
        opt.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        opt.step()
        return loss
    return step

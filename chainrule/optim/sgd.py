"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay."""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from ..tensor import Tensor
from .kernels import add_scaled_, axpby_, update_direction
from .optimizer import Optimizer, check_differentiable, check_nonnegative


class SGD(Optimizer):
    """p -= lr * d, with d = g + weight_decay * p, or with momentum
    b = momentum * b + (1 - dampening) * d and d = b (Nesterov: d + momentum * b)."""

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: Optional[bool] = None, differentiable: bool = False, fused: Optional[bool] = None) -> None:
        check_differentiable(differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _validate(self, options: dict) -> None:
        check_nonnegative(options, ("lr", "learning rate"), ("momentum", "momentum value"),
                          ("weight_decay", "weight_decay value"))
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss, if any."""
        loss = self._evaluate(closure)
        scratch = self._scratch
        for group in self.param_groups:
            lr, momentum, dampening = float(group["lr"]), group["momentum"], group["dampening"]
            weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            for p, param, grad in self._with_grads(group):
                work = scratch.get(param, 0)
                d = update_direction(param, grad, weight_decay, maximize, work)
                if momentum != 0:
                    d = self._momentum(p, param, d, momentum, dampening, nesterov)
                add_scaled_(param, d, -lr, work)
                p._bump()
        return loss

    def _momentum(self, p: Tensor, param: np.ndarray, d: np.ndarray, momentum: float, dampening: float,
                  nesterov: bool) -> np.ndarray:
        """Update the momentum buffer with d; return the direction of the step."""
        state = self.state[p]
        buf = state.get("momentum_buffer")
        if buf is None:  # the first step takes the gradient as it is
            buf = state["momentum_buffer"] = Tensor._make(d.copy())
            buf = buf._data
        else:
            buf = buf._data
            axpby_(buf, momentum, 1 - dampening, d, self._scratch.get(param, 1))
        if not nesterov:
            return buf
        ahead = self._scratch.get(param, 1)
        np.multiply(buf, momentum, out=ahead)
        np.add(d, ahead, out=ahead)
        return ahead

"""RMSprop: steps divided by the root of a running mean of squared gradients."""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from ..tensor import Tensor
from .kernels import add_scaled_, lerp_, mix_square_, update_direction
from .optimizer import Optimizer, check_differentiable, check_nonnegative


class RMSprop(Optimizer):
    """s = alpha s + (1 - alpha) g^2;  avg = sqrt(s) + eps (centered: sqrt(s - gbar^2) + eps, with
    gbar the running mean of g);  p -= lr g / avg, or with momentum b = momentum b + g / avg, p -= lr b."""

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: Optional[bool] = None, maximize: bool = False, differentiable: bool = False) -> None:
        check_differentiable(differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, maximize=maximize))

    def _validate(self, options: dict) -> None:
        check_nonnegative(options, ("lr", "learning rate"), ("eps", "epsilon value"),
                          ("momentum", "momentum value"), ("weight_decay", "weight_decay value"),
                          ("alpha", "alpha value"))

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss, if any."""
        loss = self._evaluate(closure)
        scratch = self._scratch
        for group in self.param_groups:
            lr, alpha, eps, momentum = float(group["lr"]), group["alpha"], group["eps"], group["momentum"]
            for p, param, grad in self._with_grads(group):
                state = self._state(p, param, momentum > 0, group["centered"])
                state["step"] += 1
                work, avg = scratch.get(param, 0), scratch.get(param, 1)
                d = update_direction(param, grad, group["weight_decay"], group["maximize"], work)
                square_avg = state["square_avg"]._data
                mix_square_(square_avg, d, alpha, 1 - alpha, avg)
                if group["centered"]:
                    grad_avg = state["grad_avg"]._data
                    lerp_(grad_avg, d, 1 - alpha, avg)
                    np.multiply(grad_avg, grad_avg, out=avg)
                    np.subtract(square_avg, avg, out=avg)
                    np.sqrt(avg, out=avg)
                else:
                    np.sqrt(square_avg, out=avg)
                np.add(avg, eps, out=avg)
                step = np.divide(d, avg, out=avg)
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    np.multiply(buf, momentum, out=buf)
                    np.add(buf, step, out=buf)
                    step = buf
                add_scaled_(param, step, -lr, avg)
                p._bump()
        return loss

    def _state(self, p: Tensor, param: np.ndarray, momentum: bool, centered: bool) -> dict:
        """The buffers of p, made (zero) when first needed."""
        state = self.state[p]
        if not state:
            state["step"] = 0.0
            state["square_avg"] = Tensor._make(np.zeros_like(param))
        if momentum and "momentum_buffer" not in state:
            state["momentum_buffer"] = Tensor._make(np.zeros_like(param))
        if centered and "grad_avg" not in state:
            state["grad_avg"] = Tensor._make(np.zeros_like(param))
        return state

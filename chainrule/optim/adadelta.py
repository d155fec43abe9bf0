"""Adadelta: steps whose size comes from running means of squared gradients and squared steps."""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from ..tensor import Tensor
from .kernels import add_scaled_, mix_square_, update_direction
from .optimizer import Optimizer, check_differentiable, check_nonnegative


class Adadelta(Optimizer):
    """s = rho s + (1 - rho) g^2;  delta = sqrt(a + eps) / sqrt(s + eps) * g;
    a = rho a + (1 - rho) delta^2;  p -= lr delta."""

    def __init__(self, params: Any, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: Optional[bool] = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        check_differentiable(differentiable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _validate(self, options: dict) -> None:
        check_nonnegative(options, ("lr", "learning rate"))
        if not 0.0 <= options["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {options['rho']}")
        check_nonnegative(options, ("eps", "epsilon value"), ("weight_decay", "weight_decay value"))

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss, if any."""
        loss = self._evaluate(closure)
        scratch = self._scratch
        for group in self.param_groups:
            lr, rho, eps = float(group["lr"]), group["rho"], group["eps"]
            for p, param, grad in self._with_grads(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0.0
                    state["square_avg"] = Tensor._make(np.zeros_like(param))
                    state["acc_delta"] = Tensor._make(np.zeros_like(param))
                state["step"] += 1
                work, std, delta = scratch.get(param, 0), scratch.get(param, 1), scratch.get(param, 2)
                d = update_direction(param, grad, group["weight_decay"], group["maximize"], work)
                square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
                mix_square_(square_avg, d, rho, 1 - rho, std)
                np.add(square_avg, eps, out=std)
                np.sqrt(std, out=std)
                np.add(acc_delta, eps, out=delta)
                np.sqrt(delta, out=delta)
                np.divide(delta, std, out=delta)
                np.multiply(delta, d, out=delta)
                mix_square_(acc_delta, delta, rho, 1 - rho, std)
                add_scaled_(param, delta, -lr, std)
                p._bump()
        return loss

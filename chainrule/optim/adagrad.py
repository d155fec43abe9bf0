"""Adagrad: steps divided by the root of the sum of all squared gradients so far."""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from ..tensor import Tensor
from .kernels import mix_square_, update_direction
from .optimizer import Optimizer, check_differentiable, check_nonnegative


class Adagrad(Optimizer):
    """s += g^2;  p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)."""

    def __init__(self, params: Any, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: Optional[bool] = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: Optional[bool] = None) -> None:
        check_differentiable(differentiable)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize))
        for group in self.param_groups:  # PyTorch makes the sums at once, all from the constructor's value
            for p in group["params"]:
                self._state(p)

    def _validate(self, options: dict) -> None:
        check_nonnegative(options, ("lr", "learning rate"), ("lr_decay", "lr_decay value"),
                          ("weight_decay", "weight_decay value"),
                          ("initial_accumulator_value", "initial_accumulator_value value"),
                          ("eps", "epsilon value"))

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss, if any."""
        loss = self._evaluate(closure)
        scratch = self._scratch
        for group in self.param_groups:
            lr, lr_decay, eps = float(group["lr"]), group["lr_decay"], group["eps"]
            for p, param, grad in self._with_grads(group):
                state = self._state(p)
                state["step"] += 1
                work, tmp = scratch.get(param, 0), scratch.get(param, 1)
                d = update_direction(param, grad, group["weight_decay"], group["maximize"], work)
                total = state["sum"]._data
                mix_square_(total, d, 1, 1, tmp)
                std = np.sqrt(total, out=tmp)
                np.add(std, eps, out=std)
                np.divide(d, std, out=std)
                np.multiply(std, -lr / (1 + (state["step"] - 1) * lr_decay), out=std)
                np.add(param, std, out=param)
                p._bump()
        return loss

    def _state(self, p: Tensor) -> dict:
        state = self.state[p]
        if not state:
            state["step"] = 0.0
            state["sum"] = Tensor._make(np.full_like(p._data, self.defaults["initial_accumulator_value"]))
        return state

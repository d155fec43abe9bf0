"""Adam and AdamW: steps scaled by running averages of the gradient and of its square."""
from __future__ import annotations

import math
from typing import Any, Callable, Optional

import numpy as np

from ..tensor import Tensor
from .kernels import add_scaled_, lerp_, mix_square_, update_direction
from .optimizer import Optimizer, check_differentiable, check_nonnegative


class Adam(Optimizer):
    """m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    p -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps).

    weight_decay adds weight_decay * p to g (L2), or with decoupled_weight_decay
    shrinks p by (1 - lr * weight_decay) first (AdamW). amsgrad divides by the
    running maximum of v instead of v.
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: Optional[bool] = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: Optional[bool] = None, decoupled_weight_decay: bool = False) -> None:
        check_differentiable(differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(float(b) for b in betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _validate(self, options: dict) -> None:
        check_nonnegative(options, ("lr", "learning rate"), ("eps", "epsilon value"))
        for i, beta in enumerate(options["betas"]):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        check_nonnegative(options, ("weight_decay", "weight_decay value"))

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss, if any."""
        loss = self._evaluate(closure)
        scratch = self._scratch
        for group in self.param_groups:
            lr, (beta1, beta2), eps = float(group["lr"]), group["betas"], group["eps"]
            weight_decay, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p, param, grad in self._with_grads(group):
                state = self._state(p, param, amsgrad)
                state["step"] += 1
                t = state["step"]
                work, tmp = scratch.get(param, 0), scratch.get(param, 1)
                if decoupled:
                    if weight_decay != 0:
                        np.multiply(param, 1 - lr * weight_decay, out=param)
                    d = update_direction(param, grad, 0, maximize, work)
                else:
                    d = update_direction(param, grad, weight_decay, maximize, work)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                lerp_(m, d, 1 - beta1, tmp)
                mix_square_(v, d, beta2, 1 - beta2, tmp)
                if amsgrad:
                    v = np.maximum(state["max_exp_avg_sq"]._data, v, out=state["max_exp_avg_sq"]._data)
                # sqrt(v / c2) + eps = (sqrt(v) + eps sqrt(c2)) / sqrt(c2): one pass fewer over the arrays
                root_c2 = math.sqrt(1 - beta2 ** t)
                denom = np.sqrt(v, out=tmp)
                np.add(denom, eps * root_c2, out=denom)
                np.divide(m, denom, out=denom)
                add_scaled_(param, denom, -lr * root_c2 / (1 - beta1 ** t), denom)
                p._bump()
        return loss

    def _state(self, p: Tensor, param: np.ndarray, amsgrad: bool) -> dict:
        """The buffers of p, made (zero) on its first step."""
        state = self.state[p]
        if not state:
            state["step"] = 0.0
            state["exp_avg"] = Tensor._make(np.zeros_like(param))
            state["exp_avg_sq"] = Tensor._make(np.zeros_like(param))
        if amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = Tensor._make(np.zeros_like(param))
        return state


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.01): p *= 1 - lr * weight_decay before the Adam step."""

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: Optional[bool] = None, capturable: bool = False, differentiable: bool = False,
                 fused: Optional[bool] = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         differentiable=differentiable, decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict) -> None:
        """As Optimizer.load_state_dict; the weight decay stays decoupled whatever the saved groups say."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True

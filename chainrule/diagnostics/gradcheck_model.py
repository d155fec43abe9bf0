"""Gradient checking for whole models: parameter gradients against finite differences.

For a few random elements of every parameter, the gradient from backward is
compared with the central difference (L(θ + ε) − L(θ − ε)) / 2ε, in float64;
one more check moves all parameters at once along a random direction v and
compares Σ ∂L/∂θ · v with (L(θ + εv) − L(θ − εv)) / 2ε, which covers every
element. Randomness (dropout) is replayed identically for every evaluation.
The model is left exactly as it was: dtype, values, gradients and buffers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Tuple

import numpy as np

from ..autograd.grad_mode import enable_grad, no_grad
from ..ops.random import get_rng_state, set_rng_state
from ..tensor import Tensor


class ModelGradcheckError(RuntimeError):
    """A model's backward disagrees with finite differences."""


@dataclass
class ParameterCheck:
    """The elements of one parameter that were checked: (index, from backward, by finite differences)."""
    name: str
    shape: tuple
    elements: List[Tuple[tuple, float, float]] = field(default_factory=list)
    passed: bool = True

    @property
    def max_error(self) -> float:
        return max((abs(a - n) for _, a, n in self.elements), default=0.0)


@dataclass
class ModelGradcheck:
    """The outcome of `check_model_gradients`; prints as a readable table; truthy when everything matched."""
    parameters: List[ParameterCheck]
    direction: Tuple[float, float]   # (from backward, by finite differences) along a random direction
    direction_passed: bool
    eps: float
    atol: float
    rtol: float

    @property
    def passed(self) -> bool:
        return self.direction_passed and all(p.passed for p in self.parameters)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        width = max([len(p.name) for p in self.parameters] + [9])
        lines = [f"{'parameter':<{width}}  {'shape':<14} {'checked':>7}  {'max |backward − numerical|':>26}  result"]
        for p in self.parameters:
            lines.append(f"{p.name:<{width}}  {str(p.shape):<14} {len(p.elements):>7}  {p.max_error:>26.3g}  "
                         f"{'ok' if p.passed else 'MISMATCH'}")
            if not p.passed:
                for index, a, n in p.elements:
                    if abs(a - n) > self.atol + self.rtol * abs(n):
                        lines.append(f"    {p.name}{list(index)}: backward {a:.10g}, numerical {n:.10g}")
        a, n = self.direction
        lines.append(f"random direction through all parameters: backward {a:.10g}, numerical {n:.10g}  "
                     f"{'ok' if self.direction_passed else 'MISMATCH'}")
        lines.append(("all parameter gradients match" if self.passed else "some parameter gradients are WRONG:")
                     + f" finite differences in float64, eps={self.eps:g}, tolerance {self.atol:g} + "
                       f"{self.rtol:g}·|numerical|")
        return "\n".join(lines)


def check_model_gradients(model: Any, *inputs: Any, target: Any = None, loss_fn: Optional[Callable] = None,
                          elements: int = 3, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                          seed: int = 0, raise_exception: bool = False) -> ModelGradcheck:
    """Check model's parameter gradients against finite differences (the model runs in float64 meanwhile).

    The scalar checked is loss_fn(model(*inputs), target) (or loss_fn(output)
    without a target); with no loss_fn, a fixed random projection Σ output·R.
    `elements` random elements per parameter are checked, plus one random direction.
    """
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not named:
        raise ValueError(f"check_model_gradients: {type(model).__name__} has no parameter that requires grad")
    tensors = named + [(n, b) for n, b in model.named_buffers()]
    saved = [(t, t._data, t.grad) for _, t in tensors]
    rng_state = get_rng_state()
    rng = np.random.default_rng(seed)
    inputs = tuple(_double(a) for a in inputs)
    target = _double(target)
    projection: list = []

    def loss() -> Tensor:
        set_rng_state(rng_state)
        out = model(*inputs)
        if loss_fn is not None:
            return loss_fn(out, target) if target is not None else loss_fn(out)
        if not projection:
            projection.append(Tensor._make(rng.standard_normal(out.shape)))
        return (out * projection[0]).sum()

    try:
        for _, t in tensors:
            t._data = t._data.astype(np.float64) if t._data.dtype.kind == "f" else t._data.copy()
            t.grad = None
        with enable_grad():
            value = loss()
            if value.numel() != 1:
                raise ValueError(f"check_model_gradients needs a scalar loss; loss_fn gave shape {tuple(value.shape)}")
            value.backward()
        grads = [p.grad._data.copy() if p.grad is not None else np.zeros_like(p._data) for _, p in named]
        checks = []
        with no_grad():
            for (name, p), g in zip(named, grads):
                check = ParameterCheck(name, tuple(p.shape))
                for flat in rng.choice(p._data.size, size=min(elements, p._data.size), replace=False):
                    index = tuple(int(i) for i in np.unravel_index(int(flat), p._data.shape))
                    numeric = _difference(loss, [(p._data, index, 1.0)], eps)
                    check.elements.append((index, float(g[index]), numeric))
                    check.passed &= abs(g[index] - numeric) <= atol + rtol * abs(numeric)
                checks.append(check)
            directions = [rng.standard_normal(p._data.shape) for _, p in named]
            along = float(sum(np.vdot(g, v) for g, v in zip(grads, directions)))
            numeric = _difference(loss, [(p._data, None, v) for (_, p), v in zip(named, directions)], eps)
    finally:
        for t, data, grad in saved:
            t._data, t.grad = data, grad
        set_rng_state(rng_state)
    report = ModelGradcheck(checks, (along, numeric), abs(along - numeric) <= atol + rtol * abs(numeric),
                            eps, atol, rtol)
    if raise_exception and not report.passed:
        raise ModelGradcheckError(str(report))
    return report


def _double(value: Any) -> Any:
    if isinstance(value, Tensor) and value.dtype.kind == "f":
        return Tensor._make(value._data.astype(np.float64))
    return value


def _difference(loss: Callable, moves: List[Tuple[np.ndarray, Any, Any]], eps: float) -> float:
    """(L(θ + ε·d) − L(θ − ε·d)) / 2ε for moves (array, index or None for all of it, d), restoring θ exactly."""
    originals = [arr[index] if index is not None else arr.copy() for arr, index, _ in moves]
    values = []
    for sign in (1.0, -1.0):
        for (arr, index, d), orig in zip(moves, originals):
            if index is not None:
                arr[index] = orig + sign * eps * d
            else:
                np.add(orig, sign * eps * d, out=arr)
        values.append(float(loss().item()))
    for (arr, index, _), orig in zip(moves, originals):
        if index is not None:
            arr[index] = orig
        else:
            arr[...] = orig
    return (values[0] - values[1]) / (2 * eps)

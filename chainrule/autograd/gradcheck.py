"""Check backpropagation against finite differences.

For every input element x and every output element y, the analytic
derivative dy/dx (from backward) must match the central difference
(y(x + eps) - y(x - eps)) / 2 eps, computed in float64. A failure names the
worst element, both values and the tolerance it broke.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .engine import grad
from .grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    """Raised when analytic and numerical gradients disagree."""


def _outputs(fn: Callable, inputs: Sequence[Any]) -> tuple:
    out = fn(*inputs)
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _values(fn: Callable, inputs: Sequence[Any]) -> list:
    """fn's outputs as float64 copies (an output may be a view of the input being perturbed)."""
    return [np.array(o._data, dtype=np.float64) if o is not None else None for o in _outputs(fn, inputs)]


def _jacobians(fn: Callable, inputs: Sequence[Any], diff: list, eps: float) -> tuple:
    """Analytic and numerical Jacobians, one (out.numel, in.numel) matrix per (output, input)."""
    from ..tensor import Tensor
    outputs = _outputs(fn, inputs)
    analytic, numerical = {}, {}
    for oi, out in enumerate(outputs):
        if not isinstance(out, Tensor) or not out.requires_grad:
            continue
        for ii in diff:
            analytic[oi, ii] = np.zeros((out.numel(), inputs[ii].numel()))
        for k in range(out.numel()):
            seed = np.zeros(out.shape, dtype=out.dtype)
            seed.reshape(-1)[k] = 1
            grads = grad(out, [inputs[i] for i in diff], Tensor._make(seed), retain_graph=True, allow_unused=True)
            for ii, g in zip(diff, grads):
                if g is not None:
                    analytic[oi, ii][k] = g._data.reshape(-1)
    for ii in diff:
        x = inputs[ii]._data
        cols: dict = {oi: [] for oi, i in analytic if i == ii}
        for j in np.ndindex(x.shape):  # works for any memory layout, 0-d included
            orig = x[j]
            with no_grad():
                x[j] = orig + eps
                plus = _values(fn, inputs)
                x[j] = orig - eps
                minus = _values(fn, inputs)
                x[j] = orig
            for oi in cols:
                cols[oi].append((plus[oi] - minus[oi]).reshape(-1) / (2 * eps))
        for oi, c in cols.items():
            numerical[oi, ii] = np.stack(c, axis=1) if c else np.zeros_like(analytic[oi, ii])
    return analytic, numerical


def gradcheck(fn: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """True if fn's backward matches central finite differences for every float64 input that requires grad."""
    from ..tensor import Tensor
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor with requires_grad=True")
    for i in diff:
        if inputs[i].dtype != np.float64:
            raise ValueError(f"gradcheck needs float64 inputs for accurate finite differences; input {i} is "
                             f"{inputs[i].dtype}: pass x.double() (created with requires_grad=True)")
    analytic, numerical = _jacobians(fn, inputs, diff, eps)
    worst = None
    for key, a in analytic.items():
        n = numerical[key]
        excess = np.abs(a - n) - (atol + rtol * np.abs(n))
        if excess.size and excess.max() > 0:
            k = np.unravel_index(np.argmax(excess), excess.shape)
            if worst is None or excess[k] > worst[0]:
                worst = (excess[k], key, k, a[k], n[k])
    if worst is None:
        return True
    _, (oi, ii), (row, col), a, n = worst
    where = np.unravel_index(col, inputs[ii].shape)
    message = (f"Jacobian mismatch for output {oi} with respect to input {ii}: worst at output element {row}, "
               f"input element {tuple(int(w) for w in where)}: analytic {a:.8g} vs numerical {n:.8g} "
               f"(|difference| {abs(a - n):.3g} > atol {atol} + rtol {rtol} * |numerical|)")
    if raise_exception:
        raise GradcheckError(message)
    return False


def gradgradcheck(fn: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True) -> bool:
    """gradcheck of the backward pass itself: second derivatives by finite differences of first ones."""
    from ..tensor import Tensor
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    rng = np.random.default_rng(0)
    outputs = _outputs(fn, inputs)
    kept = [i for i, o in enumerate(outputs) if isinstance(o, Tensor) and o.requires_grad]
    vs = tuple(Tensor._make(rng.standard_normal(outputs[i].shape)).requires_grad_() for i in kept)

    def first_derivatives(*args: Any) -> tuple:
        xs, v = args[:len(inputs)], args[len(inputs):]
        with enable_grad():  # also when gradcheck evaluates it for finite differences
            outs = _outputs(fn, xs)
            return grad([outs[i] for i in kept], [x for x in xs if isinstance(x, Tensor) and x.requires_grad], v,
                        create_graph=True, allow_unused=True)

    return gradcheck(first_derivatives, inputs + vs, eps, atol, rtol, raise_exception)

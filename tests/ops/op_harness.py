"""The shared machinery of the operation tests: an op spec, its inputs, and both libraries.

An `OpSpec` describes one public operation once: `fn(lib, *tensors)` is written
against the PyTorch API and called with `lib` = chainrule or torch, so the same
line runs on both. Each case of a spec lists the shapes of its differentiable
inputs; values are drawn from the spec's domain, the same for both libraries.
"""
from __future__ import annotations

import functools
import types
import zlib
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import numpy as np

import chainrule as cr

try:
    import torch
    import torch.nn.functional as torch_functional
except ImportError:
    torch = None


@dataclass(frozen=True)
class OpSpec:
    """One operation: how to call it, on which input shapes, with values from which domain."""
    name: str
    fn: Callable
    cases: Sequence[tuple]           # one tuple of input shapes per case
    domain: Any = "real"             # a domain name, or one per input
    torch_fn: Optional[Callable] = None  # when PyTorch spells the call differently
    grad: bool = True                # False: forward-only (argmax, comparisons, ...)
    gradgrad: bool = True            # False: backward is once_differentiable
    gradcheck: bool = True           # False: finite differences cannot see it (ties with a detached copy)
    atol: float = 1e-5
    rtol: float = 1e-4

    def ids(self) -> list:
        return [f"{self.name}-{'x'.join(_shape_id(s) for s in shapes)}" for shapes in self.cases]


def _shape_id(shape: tuple) -> str:
    return "(" + ",".join(map(str, shape)) + ")"


def draw(domain: str, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """Float64 values suited to an operation's domain (away from kinks, poles and ties)."""
    if domain == "real":
        return rng.standard_normal(shape)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "unit":  # inside (-1, 1), away from the ends
        return rng.uniform(-0.8, 0.8, shape)
    if domain == "nonzero":
        return rng.uniform(0.3, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    if domain == "angle":  # tan: away from its poles
        return rng.uniform(-1.2, 1.2, shape)
    if domain == "wide":  # large magnitudes: numerical stability
        return rng.standard_normal(shape) * 40
    raise ValueError(f"unknown domain {domain!r}")


def case_arrays(spec: OpSpec, shapes: tuple) -> list:
    """The float64 input values of one case: reproducible per spec and case."""
    rng = np.random.default_rng(zlib.crc32(f"{spec.name}{shapes}".encode()))
    domains = spec.domain if isinstance(spec.domain, tuple) else (spec.domain,) * len(shapes)
    return [draw(d, s, rng) for d, s in zip(domains, shapes)]


@functools.lru_cache(maxsize=None)
def torch_lib() -> Any:
    """torch with torch.nn.functional's names (gelu, pad, ...) on top, as chainrule exposes them."""
    lib = types.SimpleNamespace(**{k: getattr(torch, k) for k in dir(torch) if not k.startswith("__")})
    for name in ("gelu", "elu", "leaky_relu", "silu", "softplus", "pad", "relu"):
        setattr(lib, name, getattr(torch_functional, name))
    return lib


def call(spec: OpSpec, lib: Any, tensors: list) -> Any:
    fn = spec.torch_fn if (lib is not cr and spec.torch_fn is not None) else spec.fn
    return fn(lib, *tensors)


def as_outputs(result: Any) -> list:
    """An op's result as a list of tensors (ops like split or max(dim) return several)."""
    return list(result) if isinstance(result, (tuple, list)) else [result]


def dtype_name(dtype: Any) -> str:
    return str(dtype).replace("torch.", "")


def assert_same(ours: Any, theirs: Any, what: str, atol: float, rtol: float) -> None:
    """A chainrule tensor and a torch tensor: same shape, same dtype, close values."""
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape {tuple(ours.shape)} vs torch {tuple(theirs.shape)}"
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype), f"{what}: dtype {ours.dtype} vs torch {theirs.dtype}"
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(force=True), rtol=rtol, atol=atol,
                               err_msg=what)


def assert_same_grads(grads: Sequence, tgrads: Sequence, atol: float, rtol: float) -> None:
    """Gradients of each input; None (unused input) matches None or zeros."""
    for i, (g, tg) in enumerate(zip(grads, tgrads)):
        if g is None or tg is None:
            assert (g is None or not g.numpy().any()) and (tg is None or not tg.any()), f"input {i}: {g} vs {tg}"
        else:
            assert_same(g, tg, f"gradient of input {i}", atol, rtol)

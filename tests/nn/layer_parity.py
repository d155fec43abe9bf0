"""Checking a chainrule layer against the same PyTorch layer, and against finite differences.

`compare_with_torch` copies the torch layer's state_dict into ours (as NumPy
arrays), runs both on the same float32 inputs, compares the outputs, then
backpropagates the same random weighted sum of the outputs through both and
compares the gradient of every floating input and every parameter.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import chainrule as cr
from chainrule.autograd import gradcheck

try:
    import torch
except ImportError:
    torch = None


def copy_torch_state(ours: Any, theirs: Any) -> None:
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def _pair(a: np.ndarray) -> tuple:
    grad = a.dtype.kind == "f"
    return cr.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)


def assert_close(ours: Any, theirs: Any, what: str, rtol: float, atol: float) -> None:
    """Same shape, same dtype, close values."""
    theirs = theirs.detach().numpy()
    ours = ours.detach().numpy() if isinstance(ours, cr.Tensor) else np.asarray(ours)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} vs torch {theirs.dtype}"
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=what)


def compare_with_torch(ours: Any, theirs: Any, arrays: Sequence[np.ndarray], rtol: float = 1e-4,
                       atol: float = 1e-5, seed: int = 0, copy: bool = True) -> Any:
    """Outputs and all gradients (inputs and parameters) of ours(*arrays) and theirs(*arrays) agree."""
    if copy:
        copy_torch_state(ours, theirs)
    pairs = [_pair(a) for a in arrays]
    out = ours(*[p[0] for p in pairs])
    tout = theirs(*[p[1] for p in pairs])
    assert_close(out, tout, "output", rtol, atol)
    weights = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
    (out * cr.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    for i, (x, tx) in enumerate(pairs):
        if tx.requires_grad and tx.grad is None:  # the outputs do not depend on this input
            assert x.grad is None, f"input {i} has a gradient where torch has none"
        elif tx.requires_grad:
            assert_close(x.grad, tx.grad, f"gradient of input {i}", rtol, atol)
    tparams = dict(theirs.named_parameters())
    names = [n for n, _ in ours.named_parameters()]
    assert names == list(tparams), f"parameter names {names} vs torch {list(tparams)}"
    for name, p in ours.named_parameters():
        if tparams[name].grad is None:
            assert p.grad is None, f"{name} has a gradient where torch has none"
        else:
            assert_close(p.grad, tparams[name].grad, f"gradient of {name}", rtol, atol)
    return out


def gradcheck_layer(layer: Any, *inputs: Any, **kwargs: Any) -> bool:
    """Finite-difference check (float64) of a layer w.r.t. its floating inputs and every parameter."""
    layer.double()
    params = list(layer.parameters())
    n = len(inputs)
    return gradcheck(lambda *args: layer(*args[:n]), list(inputs) + params, **kwargs)


def float64_input(shape: tuple, seed: int = 0) -> Any:
    return cr.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)

"""Checking a chainrule functional (F.conv2d, F.batch_norm, ...) against PyTorch's, weights passed as inputs.

`compare_functional` runs ours(*tensors) and theirs(*tensors) on the same float32
arrays, compares the outputs, backpropagates the same random weighted sum of
the outputs through both and compares the gradient of every floating input.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

import chainrule as cr
from tests.nn.layer_parity import assert_close, torch


def compare_functional(ours: Callable, theirs: Callable, arrays: Sequence[Any], rtol: float = 1e-4,
                       atol: float = 1e-5, seed: int = 0) -> Any:
    """Outputs and input gradients agree; None entries of `arrays` are passed as None to both."""
    mine = [None if a is None else cr.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    torch_side = [None if a is None else torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out, tout = ours(*mine), theirs(*torch_side)
    assert_close(out, tout, "output", rtol, atol)
    weights = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
    (out * cr.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    for i, (x, tx) in enumerate(zip(mine, torch_side)):
        if tx is not None and tx.requires_grad:
            assert_close(x.grad, tx.grad, f"gradient of argument {i}", rtol, atol)
    return out

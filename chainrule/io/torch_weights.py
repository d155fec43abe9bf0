"""Weights to and from PyTorch, through safetensors files (never pickles).

From PyTorch::

    safetensors.torch.save_file(torch_model.state_dict(), "model.safetensors")   # in PyTorch
    load_torch_weights(model, "model.safetensors")                              # here

To PyTorch::

    save_torch_weights(model, "model.safetensors")                               # here
    torch_model.load_state_dict(safetensors.torch.load_file("model.safetensors"))  # in PyTorch

chainrule's layers name and shape their parameters as PyTorch's do (LSTM
gates, BatchNorm's running statistics and num_batches_tracked included), so
the state dicts match key for key. The prefixes PyTorch's wrappers add
(`module.` for DataParallel / DistributedDataParallel, `_orig_mod.` for
torch.compile) are removed when the model has no such prefix.
"""
from __future__ import annotations

import os
from typing import Any, Dict, Union

from ..nn.modules.module import Module
from .serialization import load, save

WRAPPER_PREFIXES = ("module.", "_orig_mod.")


def strip_wrapper_prefixes(state: Dict[str, Any], model: Module) -> Dict[str, Any]:
    """`state` without the prefixes of PyTorch's model wrappers, if every key has one and the model's keys don't."""
    own = set(model.state_dict())
    while state and not own & set(state):
        prefix = next((p for p in WRAPPER_PREFIXES if all(k.startswith(p) for k in state)), None)
        if prefix is None:
            break
        state = {k[len(prefix):]: v for k, v in state.items()}
    return state


def load_torch_weights(model: Module, path: Union[str, os.PathLike], strict: bool = True) -> Any:
    """Load a PyTorch state dict saved as safetensors into the matching chainrule `model`.

    Values are cast to the model's dtypes; strict=True refuses missing or unexpected keys and shape
    mismatches, listing them all. Returns (missing_keys, unexpected_keys) as load_state_dict does.
    """
    state = load(path)
    if not isinstance(state, dict) or not all(hasattr(v, "shape") for v in state.values()):
        raise ValueError(f"{os.fspath(path)} does not hold a flat state dict of tensors (name -> tensor): save "
                         f"the weights with safetensors.torch.save_file(model.state_dict(), path)")
    return model.load_state_dict(strip_wrapper_prefixes(state, model), strict=strict)


def save_torch_weights(model: Module, path: Union[str, os.PathLike]) -> None:
    """Save `model`'s state dict as a plain safetensors file, which PyTorch reads with
    safetensors.torch.load_file and loads into the matching torch model with load_state_dict."""
    save(model.state_dict(), path)

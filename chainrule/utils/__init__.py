"""Utilities under PyTorch's names: `chainrule.utils.data` is `torch.utils.data`."""
from . import checkpoint, data

__all__ = ["checkpoint", "data"]

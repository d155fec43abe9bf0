"""Settings of the libraries underneath chainrule (as `torch.backends`): the C allocator's thresholds."""
from . import malloc

__all__ = ["malloc"]

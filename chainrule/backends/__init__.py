"""Settings of the libraries underneath chainrule (as `torch.backends`): the C allocator's thresholds and
the BLAS thread count."""
from . import malloc, threads

__all__ = ["malloc", "threads"]

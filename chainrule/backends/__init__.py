"""Settings of the libraries underneath chainrule (as `torch.backends`): the C allocator's thresholds and
NumPy's BLAS (its thread count, its vector updates)."""
from . import blas, malloc, threads

__all__ = ["blas", "malloc", "threads"]

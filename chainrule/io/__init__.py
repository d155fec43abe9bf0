"""Files: `save` / `load` of tensors and state dicts (no pickle), and atomic writes."""
from .serialization import load, save, write_atomic

__all__ = ["load", "save", "write_atomic"]

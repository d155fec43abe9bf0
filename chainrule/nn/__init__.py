"""Neural networks: `Module`, layers, losses, initialization (PyTorch's `torch.nn`)."""
from . import functional, init, utils
from .modules import *  # noqa: F401,F403  (every layer class, as torch.nn exposes them)
from .parameter import Buffer, Parameter

"""Layers and models as `Module`s (one file per family, as in PyTorch)."""
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .module import Module

"""`Optimizer`: parameter groups, per-parameter state and its saving, as in PyTorch.

A subclass passes its hyperparameters as `defaults`, checks them in
`_validate(options)` (run on the defaults and again on every parameter
group), and writes `step`, which updates each `p._data` in place. Updates work
on the arrays directly, so they are never recorded in the graph; each one
bumps the parameter's version counter so autograd notices the change.

The PyTorch options `foreach`, `fused` and `capturable` are accepted and
change nothing here (there is one NumPy code path, on the CPU).
"""
from __future__ import annotations

import functools
import warnings
from collections import defaultdict
from itertools import chain
from typing import Any, Callable, Iterator, Optional

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from .kernels import Scratch


class _RequiredParameter:
    """Marks a hyperparameter every parameter group must give (PyTorch's `optim.optimizer.required`)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of optimizers: `param_groups` (a list of dicts of options with their 'params')
    and `state` (a dict from parameter to its buffers)."""

    def __init__(self, params: Any, defaults: dict) -> None:
        self._validate(defaults)
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list = []
        self._scratch = Scratch()
        self._opt_called = False
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors "
                            "or dicts, but got a single chainrule.Tensor (wrap it in a list)")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Wrap each subclass's `step` so schedulers can tell whether it ran before them."""
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None:
            @functools.wraps(step)
            def marked_step(self: "Optimizer", *args: Any, **kw: Any) -> Any:
                self._opt_called = True
                return step(self, *args, **kw)
            cls.step = marked_step

    def _validate(self, options: dict) -> None:
        """Raise ValueError for invalid hyperparameters (subclasses check theirs)."""

    # -- parameter groups ------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (missing ones come from the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the "
                            "ordering of tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(params):
            raise ValueError("all optimizer params should be with/without names. Some param names are missing")
        param_group["params"] = params
        if names:
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__module__}.{type(p).__name__}")
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization "
                                 f"parameter {name}")
            param_group.setdefault(name, default)
        self._validate(param_group)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "each will be updated more than once per step", stacklevel=3)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for group in self.param_groups:
            if ("param_names" in group) != bool(names):
                raise ValueError(f"all optimizer param groups should be with/without names. cannot add "
                                 f"param group {'with' if names else 'without'} names to the optimizer")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set `.grad` to None (default) or fill it with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_()
                    p.grad._data.fill(0)
                    p.grad._bump()

    # -- the update ----------------------------------------------------------
    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """Update the parameters once; `closure` re-evaluates the model and returns the loss."""
        raise NotImplementedError(f"{type(self).__name__} must define step(closure=None)")

    @staticmethod
    def _evaluate(closure: Optional[Callable[[], Any]]) -> Any:
        """Run the closure with gradients recorded (a step may be called inside no_grad)."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _with_grads(self, group: dict) -> Iterator[tuple]:
        """(parameter, its array, its gradient's array) for the parameters of a group that have a gradient."""
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if g.shape != p.shape:
                raise RuntimeError(f"{type(self).__name__}: the gradient of a parameter of shape "
                                   f"{tuple(p.shape)} has shape {tuple(g.shape)}")
            yield p, p._data, g._data

    # -- saving and loading ------------------------------------------------------
    def state_dict(self) -> dict:
        """{'state': {index: buffers}, 'param_groups': [options with 'params': [indices]]}.

        Parameters are numbered in group order, as PyTorch does. The buffers are a
        snapshot: later steps do not change a state dict already taken.
        """
        index: dict = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(group["params"])
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): _copy(v) for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Take over the options and buffers of `state_dict` (from `state_dict()` of a matching optimizer)."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups: "
                             f"{len(saved_groups)}, this optimizer has {len(self.param_groups)}")
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(f"loaded state dict contains a parameter group that doesn't match the size "
                                 f"of optimizer's group: group {i} has {len(saved['params'])} parameters "
                                 f"in the state dict, {len(group['params'])} here")
        params = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in self.param_groups)))
        state: defaultdict = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in params:
                state[params[key]] = {name: _load_value(params[key], key, name, v) for name, v in value.items()}
            else:
                state[key] = _copy(value)
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new = {k: _copy(v) for k, v in saved.items()}
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                new["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                new.setdefault(name, default)
            new_groups.append(new)
        self.state = state
        self.param_groups = new_groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        return "\n".join(lines) + "\n)"


def _copy(value: Any) -> Any:
    """A copy of a state value that later in-place updates cannot reach."""
    if isinstance(value, Tensor):
        return Tensor._make(value._data.copy())
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _load_value(param: Tensor, index: Any, name: Any, value: Any) -> Any:
    """A loaded buffer as this optimizer keeps it: a new array of the parameter's dtype, or a number."""
    if not isinstance(value, Tensor):
        return _copy(value)
    if name == "step":
        return float(value.item())
    if value._data.ndim and value.shape != param.shape:
        raise ValueError(f"loaded state of parameter {index} ({name!r}) has shape {tuple(value.shape)}, "
                         f"but the parameter has shape {tuple(param.shape)}")
    dtype = param.dtype if param._data.dtype.kind == "f" else value.dtype
    return Tensor._make(np.array(value._data, dtype=dtype))


def check_nonnegative(options: dict, *keys: tuple) -> None:
    """Raise PyTorch's ValueError "Invalid <what>: <value>" for each (key, what) whose value is below zero."""
    for key, what in keys:
        if options[key] is not required and not 0.0 <= options[key]:
            raise ValueError(f"Invalid {what}: {options[key]}")


def check_differentiable(differentiable: bool) -> None:
    """Optimizer steps here are plain array updates; differentiating through them is not supported."""
    if differentiable:
        raise NotImplementedError("differentiable=True is not supported: chainrule optimizer steps are "
                                  "in-place array updates outside the graph")


"""Architecture specs: a model built from `chainrule.nn` layers as plain JSON, and back.

    spec = to_spec(model)        # {"type": "Sequential", "children": [["0", {"type": "Linear", "args": {...}}], ...]}
    model = from_spec(spec)      # the same architecture, freshly initialized; then load_state_dict

A layer is described by its class name and constructor arguments, read from
the attributes of the same names (as PyTorch layers keep them: `in_features`,
`kernel_size`, ...); containers list their children. Rebuilding looks names up
in a registry only, so a spec from an untrusted file can name nothing but
registered classes and never runs code of its own. Custom modules join the
registry explicitly:

    @register                    # remembers the constructor arguments of every instance
    class Net(nn.Module):
        def __init__(self, hidden: int = 64): ...

`register(cls, name=..., args=...)` also takes a function module -> arguments.
Arguments must be JSON values (numbers, strings, booleans, None, lists, dicts).
"""
from __future__ import annotations

import functools
import inspect
import math
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Mapping, Optional, Type

from ..tensor import Tensor
from . import modules as M

Spec = Dict[str, Any]
ArgsOf = Callable[[M.Module], Dict[str, Any]]
MAX_DEPTH = 64  # nesting deeper than any real model: a spec beyond it is refused

# Every chainrule.nn layer that a spec can describe (losses are not part of a model; RNNBase and
# RNNCellBase are bases; ParameterList/ParameterDict hold bare parameters, built by their owner).
LAYERS = (M.Identity, M.Linear, M.Bilinear, M.ReLU, M.LeakyReLU, M.ELU, M.GELU, M.SiLU, M.Sigmoid, M.Tanh,
          M.Hardtanh, M.ReLU6, M.Softmax, M.LogSoftmax, M.Softplus, M.Dropout, M.Dropout1d, M.Dropout2d,
          M.Flatten, M.Unflatten, M.Embedding, M.RNN, M.LSTM, M.GRU, M.RNNCell, M.LSTMCell, M.GRUCell,
          M.Conv1d, M.Conv2d, M.ConvTranspose1d, M.ConvTranspose2d, M.MaxPool1d, M.MaxPool2d, M.AvgPool1d,
          M.AvgPool2d, M.AdaptiveAvgPool1d, M.AdaptiveAvgPool2d, M.BatchNorm1d, M.BatchNorm2d, M.BatchNorm3d,
          M.LayerNorm, M.GroupNorm, M.Upsample, M.MultiheadAttention, M.TransformerEncoderLayer,
          M.TransformerDecoderLayer, M.Mish, M.SELU, M.Hardsigmoid, M.Hardswish, M.PReLU,
          M.CosineSimilarity, M.LogSigmoid, M.Softsign, M.Softmin, M.GLU, M.Threshold, M.RMSNorm, M.PixelShuffle,
          M.PixelUnshuffle, M.ZeroPad1d, M.ZeroPad2d, M.ConstantPad1d, M.ConstantPad2d, M.ReflectionPad1d,
          M.ReflectionPad2d, M.ReplicationPad1d, M.ReplicationPad2d, M.InstanceNorm1d, M.InstanceNorm2d)
CONTAINERS = (M.Sequential, M.ModuleList, M.ModuleDict)
_SKIPPED_ARGS = ("device", "dtype")  # rebuilt on the CPU; the dtype follows the saved weights


class SpecError(ValueError):
    """A spec that cannot be written or rebuilt: says where in the model and what was wrong."""


class _Entry:
    __slots__ = ("cls", "args")

    def __init__(self, cls: type, args: Optional[ArgsOf]) -> None:
        self.cls, self.args = cls, args


def _transformer_layer_args(layer: M.Module) -> Dict[str, Any]:
    """A Transformer encoder or decoder layer's arguments, read from the layers it is made of."""
    if layer.activation_name is None:
        raise SpecError(f"{type(layer).__name__} with a custom activation function has no spec: use 'relu' or "
                        f"'gelu', or register a subclass with register(..., args=...)")
    attn = layer.self_attn
    return dict(d_model=attn.embed_dim, nhead=attn.num_heads, dim_feedforward=layer.linear1.out_features,
                dropout=layer.dropout.p, activation=layer.activation_name, layer_norm_eps=layer.norm1.eps,
                batch_first=attn.batch_first, norm_first=layer.norm_first, bias=layer.linear1.bias is not None)


# layers whose arguments are not all kept as attributes of the same names: read by a function instead
_ARGS: Dict[type, ArgsOf] = {M.TransformerEncoderLayer: _transformer_layer_args,
                             M.TransformerDecoderLayer: _transformer_layer_args}
_registry: Dict[str, _Entry] = {cls.__name__: _Entry(cls, _ARGS.get(cls)) for cls in LAYERS + CONTAINERS}


def register(cls: Optional[Type[M.Module]] = None, *, name: Optional[str] = None,
             args: Optional[ArgsOf] = None) -> Any:
    """Allow `cls` (a Module subclass) in specs under `name` (default: the class name); usable as a decorator.

    Without `args`, the arguments each instance was constructed with are recorded (positional ones by
    their parameter names) and become its spec; `args(module)` computes them instead.
    """
    if cls is None:
        return functools.partial(register, name=name, args=args)
    if not (isinstance(cls, type) and issubclass(cls, M.Module)):
        raise TypeError(f"register expects a chainrule.nn.Module subclass, got {cls!r}")
    key = name or cls.__name__
    known = _registry.get(key)
    if known is not None and known.cls is not cls:
        raise ValueError(f"the spec name {key!r} already stands for {known.cls.__module__}.{known.cls.__qualname__}; "
                         f"pass register(..., name='...') to choose another")
    if args is None and not hasattr(cls.__dict__.get("__init__"), "_records_spec_args"):
        cls.__init__ = _recording(cls, cls.__init__)
    _registry[key] = _Entry(cls, args)
    return cls


def unregister(name: str) -> None:
    """Remove a custom module from the registry (the chainrule.nn layers stay)."""
    entry = _registry.get(name)
    if entry is not None and entry.cls in LAYERS + CONTAINERS:
        raise ValueError(f"{name} is a chainrule.nn layer and cannot be unregistered")
    _registry.pop(name, None)


def registered() -> Dict[str, type]:
    """Every spec name and the class it stands for."""
    return {name: entry.cls for name, entry in _registry.items()}


def _recording(cls: type, init: Callable) -> Callable:
    """Wrap cls.__init__ to keep the arguments of each direct instance of cls as `_spec_args`."""
    signature = inspect.signature(init)
    if any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values()):
        raise TypeError(f"{cls.__name__}.__init__ takes *args, which a spec cannot name: give "
                        f"register({cls.__name__}, args=lambda m: {{...}}) the keyword arguments to rebuild it")

    @functools.wraps(init)
    def __init__(self: M.Module, *a: Any, **kw: Any) -> None:
        init(self, *a, **kw)
        if type(self) is cls:
            bound = signature.bind(self, *a, **kw)
            named = dict(list(bound.arguments.items())[1:])
            for p in signature.parameters.values():
                if p.kind is p.VAR_KEYWORD:
                    named.update(named.pop(p.name, {}))
            object.__setattr__(self, "_spec_args", named)

    __init__._records_spec_args = True
    return __init__


# -- model -> spec ---------------------------------------------------------------------------------

def to_spec(module: M.Module) -> Spec:
    """The JSON-ready spec of `module` (raises SpecError naming the part that has none)."""
    return _describe(module, "model")


def _name_of(module: M.Module, where: str) -> str:
    for name, entry in _registry.items():
        if entry.cls is type(module):
            return name
    raise SpecError(f"{where}: {type(module).__module__}.{type(module).__qualname__} has no spec: it is not a "
                    f"chainrule.nn layer. Register it with chainrule.nn.spec.register({type(module).__name__}) "
                    f"(before creating the model) so it can be saved and rebuilt from its constructor arguments")


def _describe(module: M.Module, where: str) -> Spec:
    name = _name_of(module, where)
    if isinstance(module, CONTAINERS):
        return {"type": name, "children": [[key, _describe(child, f"{where}.{key}")]
                                           for key, child in module._modules.items()]}
    entry = _registry[name]
    if entry.args is not None:
        args = entry.args(module)
    elif "_spec_args" in module.__dict__:
        args = module.__dict__["_spec_args"]
    else:
        args = _attribute_args(module, where)
    return {"type": name, "args": {key: _json_value(value, f"{where} ({name}) argument {key!r}")
                                   for key, value in args.items()}}


def _parameters(cls: type) -> List[inspect.Parameter]:
    """The named constructor parameters a spec records (not device/dtype, private or *args)."""
    return [p for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and not p.name.startswith("_")
            and p.name not in _SKIPPED_ARGS]


def _attribute_args(module: M.Module, where: str) -> Dict[str, Any]:
    """Constructor arguments read back from the attributes of the same names."""
    args = {}
    for p in _parameters(type(module)):
        if p.name in module._parameters:  # a flag stored as the parameter it creates (bias=True -> self.bias)
            args[p.name] = module._parameters[p.name] is not None
        elif p.name in module.__dict__:
            args[p.name] = module.__dict__[p.name]
        else:
            raise SpecError(f"{where}: cannot tell the {p.name!r} argument of {type(module).__name__}: it is not "
                            f"kept as an attribute; register the class with "
                            f"register({type(module).__name__}, args=lambda m: {{...}})")
    return args


def _json_value(value: Any, where: str) -> Any:
    """Value as JSON (tuples become lists); anything else is an error naming it."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SpecError(f"{where}: {value} cannot be written as JSON")
        return value
    if isinstance(value, (list, tuple)):
        return [_json_value(v, where) for v in value]
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {k: _json_value(v, where) for k, v in value.items()}
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0 and not isinstance(value, Tensor):
        return _json_value(value.item(), where)
    raise SpecError(f"{where} is a {type(value).__name__}: a spec holds numbers, strings, booleans, None, "
                    f"lists and dicts only")


# -- spec -> model ------------------------------------------------------------------------------------

def from_spec(spec: Any, custom: Optional[Mapping[str, type]] = None) -> M.Module:
    """A freshly initialized module built from `spec`; `custom` maps extra names to Module classes for this
    call only. Raises SpecError for unknown types, bad arguments or a malformed spec."""
    extra = {name: _Entry(cls, None) for name, cls in (custom or {}).items()}
    for name, entry in extra.items():
        if not (isinstance(entry.cls, type) and issubclass(entry.cls, M.Module)):
            raise TypeError(f"custom[{name!r}] must be a chainrule.nn.Module subclass, got {entry.cls!r}")
    return _build(spec, {**_registry, **extra}, "model", 0)


def _build(spec: Any, registry: Dict[str, _Entry], where: str, depth: int) -> M.Module:
    if depth > MAX_DEPTH:
        raise SpecError(f"{where}: the spec nests deeper than {MAX_DEPTH} levels")
    if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
        raise SpecError(f"{where}: expected an object with a string 'type', got {_short(spec)}")
    name = spec["type"]
    entry = registry.get(name)
    if entry is None:
        custom = sorted(k for k, e in registry.items() if e.cls not in LAYERS + CONTAINERS) or ["none"]
        raise SpecError(f"{where}: unknown layer type {name!r}: not a chainrule.nn layer nor a registered custom "
                        f"module (registered: {', '.join(custom)}). Register custom modules with "
                        f"chainrule.nn.spec.register before loading, or pass them as custom={{name: class}}")
    if issubclass(entry.cls, CONTAINERS):
        return _build_container(spec, entry.cls, registry, where, depth)
    extra = set(spec) - {"type", "args"}
    if extra:
        raise SpecError(f"{where} ({name}): unexpected keys {sorted(extra)}; a layer has 'type' and 'args'")
    args = spec.get("args", {})
    if not isinstance(args, dict):
        raise SpecError(f"{where} ({name}): 'args' must be an object of named arguments, got {_short(args)}")
    if entry.cls in LAYERS:
        allowed = [p.name for p in _parameters(entry.cls)]
        unknown = sorted(set(args) - set(allowed))
        if unknown:
            raise SpecError(f"{where} ({name}): unknown argument(s) {unknown}; {name} takes {', '.join(allowed)}")
    try:
        return entry.cls(**{k: _from_json(v) for k, v in args.items()})
    except MemoryError:
        raise SpecError(f"{where} ({name}): the arguments {args} describe a layer too large for memory") from None
    except Exception as e:  # the layer's own check of its arguments
        raise SpecError(f"{where}: cannot build {name}(**{args}): {type(e).__name__}: {e}") from None


def _build_container(spec: Spec, cls: type, registry: Dict[str, _Entry], where: str, depth: int) -> M.Module:
    children = spec.get("children", [])
    if set(spec) - {"type", "children"} or not isinstance(children, list) or not all(
            isinstance(c, list) and len(c) == 2 and isinstance(c[0], str) for c in children):
        raise SpecError(f"{where} ({cls.__name__}): expected {{'type', 'children': [[name, spec], ...]}}, "
                        f"got {_short(spec)}")
    names = [c[0] for c in children]
    if len(set(names)) != len(names):
        raise SpecError(f"{where} ({cls.__name__}): child names repeat: {names}")
    built = OrderedDict((key, _build(child, registry, f"{where}.{key}", depth + 1)) for key, child in children)
    if cls is M.ModuleDict:
        return cls(built)
    if cls is M.ModuleList:
        if names != [str(i) for i in range(len(names))]:
            raise SpecError(f"{where} (ModuleList): children must be named 0, 1, 2, ...; got {names}")
        return cls(built.values())
    container = cls()
    for key, child in built.items():
        try:
            container.add_module(key, child)
        except (KeyError, TypeError) as e:
            raise SpecError(f"{where}: bad child name {key!r}: {e}") from None
    return container


def _from_json(value: Any) -> Any:
    """JSON lists back to tuples (the form layers keep sizes in); dicts stay dicts."""
    if isinstance(value, list):
        return tuple(_from_json(v) for v in value)
    if isinstance(value, dict):
        return {k: _from_json(v) for k, v in value.items()}
    return value


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


__all__ = ["LAYERS", "SpecError", "from_spec", "register", "registered", "to_spec", "unregister"]

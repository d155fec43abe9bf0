"""`chainrule.compile`: capture a fixed-shape training step once, replay its graph on every later call.

The first call runs eagerly and records its graph (`autograd/capture.py`);
later calls run the same Python again (so the optimizer, `zero_grad`, dropout
draws, batch-norm statistics, logging all happen as in eager mode), but every
operation reuses its captured graph node and `backward()` follows a
precomputed plan: no graph building, no engine scheduling, the same numbers.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Optional

from .autograd import capture as _capture
from .autograd import engine as _engine
from .autograd import function as _function
from .autograd.capture import CaptureError
from .tensor import Tensor

_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def compile(model: Optional[Callable] = None, *, fullgraph: bool = False, dynamic: Optional[bool] = None,
            backend: Any = "inductor", mode: Optional[str] = None, options: Optional[dict] = None,
            disable: bool = False) -> Any:
    """Capture a step (forward, loss, backward, optimizer update) on its first call; replay it after.

    Contract: every call must run the same operations on tensors of the same
    shapes and dtypes, fed from the same places (the same parameters, updated
    in place, never replaced; the same `requires_grad`). Any change raises a
    `CaptureError` saying which operation or input and what differed.
    Operations are checked as they run, so a call may stop early (e.g. skip
    the update after a non-finite loss). Python that does not make graph
    nodes (the optimizer step, `zero_grad`, random draws, running statistics,
    work under `no_grad`) runs as usual, so the results are exactly eager's.

    The next call reuses a call's graph, so the graph ends when the call
    returns: call `backward()` inside the step. A callable whose first call
    runs no backward (a compiled Module, whose caller computes the loss and
    calls `backward()`, as after `model = torch.compile(model)`) simply runs
    eagerly on every call, with the same results. The tensors it returns keep
    their values, and a backward through them raises (not a wrong gradient).
    Between calls the nodes keep what their last forward saved when no
    backward freed it (memory an eager step would have freed). Not supported:
    `create_graph=True`. With anomaly detection on, or during an ONNX export,
    calls run eagerly.

    As `torch.compile`, usable as `compile(fn)`, `compile(module)` or
    `@compile(...)`; `fullgraph`, `backend`, `mode` and `options` are accepted
    (there is one way to compile here), `dynamic=True` is refused (shapes are
    fixed), and `disable=True` returns `model` unchanged.

        step = chainrule.compile(step)   # def step(x, y): zero_grad, loss, backward, opt.step(); return loss
        for x, y in batches:
            loss = step(x, y)
    """
    if dynamic:
        raise ValueError("chainrule.compile captures fixed-shape steps: dynamic=True is not supported "
                         "(use dynamic=None or False, and one compiled step per shape)")
    if mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode!r}, should be one of: {', '.join(map(str, _MODES[1:]))}")
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"compile: options must be a dict, got {type(options).__name__}")
    if not isinstance(fullgraph, bool):
        raise TypeError(f"compile: fullgraph must be a bool, got {type(fullgraph).__name__}")
    if model is None:
        return lambda fn: compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                  options=options, disable=disable)
    if not callable(model):
        raise TypeError(f"compile expects a function or a Module, got {type(model).__name__}")
    return model if disable else CompiledStep(model)


class CompiledStep:
    """A function (or Module) whose graph is captured on the first call and replayed on the next ones."""

    def __init__(self, fn: Callable) -> None:
        self._orig_mod = fn  # (PyTorch's name for what was compiled)
        self._tape: Optional[_capture.Tape] = None
        self._eager = False  # the first call ran no backward: nothing to replay, every call runs as written
        self._inputs: list = []   # (shape, dtype, requires_grad) of each tensor argument at capture
        self._leaves: list = []   # (argument number, AccumulateGrad node) of leaf arguments that need a gradient
        functools.update_wrapper(self, fn, updated=())

    def __getattr__(self, name: str) -> Any:
        """Everything else is the compiled object's (a Module's parameters, state_dict, ...)."""
        if name == "_orig_mod":
            raise AttributeError(name)
        return getattr(self._orig_mod, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if (_function.tracer is not None or _function.on_record is not None or _function.tape is not None
                or _engine.tape is not None or _engine.on_backward is not None):
            return self._orig_mod(*args, **kwargs)  # an export, anomaly mode or another compiled step: eager
        if self._eager:
            return self._orig_mod(*args, **kwargs)
        tensors = _tensors(args, kwargs)
        if self._tape is None:
            return self._capture(tensors, args, kwargs)
        self._check(tensors)
        tape = self._tape
        tape.start()
        _function.tape = _engine.tape = tape
        try:
            return self._orig_mod(*args, **kwargs)
        finally:
            _function.tape = _engine.tape = None
            tape.finish()

    def _capture(self, tensors: list, args: tuple, kwargs: dict) -> Any:
        tape = _capture.Tape(getattr(self._orig_mod, "__qualname__", type(self._orig_mod).__name__))
        _function.tracer, _engine.tape = tape.record, tape
        try:
            out = self._orig_mod(*args, **kwargs)
        finally:
            _function.tracer = _engine.tape = None
        if not tape.plans:  # a forward only (a compiled Module, or a function whose caller runs backward):
            self._eager = True  # its graph must outlive the call, so it is left alone and never replayed
            return out
        tape.finish()
        tape.capturing = False
        self._tape = tape
        self._inputs = [(t.shape, t.dtype, t.requires_grad) for t in tensors]
        self._leaves = [(k, t._accum) for k, t in enumerate(tensors)
                        if t.requires_grad and t.grad_fn is None and t._accum is not None]
        return out

    def _check(self, tensors: list) -> None:
        """The arguments against the captured ones; a new leaf argument takes over the captured one's node."""
        if len(tensors) != len(self._inputs):
            raise CaptureError(f"compiled step {self._tape.name} was captured with {len(self._inputs)} tensor "
                               f"arguments, got {len(tensors)}")
        for k, (t, (shape, dtype, requires_grad)) in enumerate(zip(tensors, self._inputs)):
            if t.shape != shape or t.dtype != dtype or t.requires_grad != requires_grad:
                raise CaptureError(
                    f"compiled step {self._tape.name}: tensor argument {k} has shape {tuple(t.shape)}, dtype "
                    f"{t.dtype}, requires_grad={t.requires_grad}; it was captured with shape {tuple(shape)}, "
                    f"dtype {dtype}, requires_grad={requires_grad}. A compiled step is for fixed shapes: call "
                    f"it without compile (or compile one step per shape).")
        for k, node in self._leaves:
            t = tensors[k]
            if node.variable is not t and t.grad_fn is None:
                node.variable._accum = None
                node.variable, t._accum = t, node


def _tensors(args: tuple, kwargs: dict) -> list:
    """The tensors among the arguments, in order, looking into lists, tuples and dicts."""
    found = []
    stack = list(args) + list(kwargs.values())
    stack.reverse()
    while stack:
        a = stack.pop()
        if isinstance(a, Tensor):
            found.append(a)
        elif isinstance(a, (list, tuple)):
            stack.extend(reversed(a))
        elif isinstance(a, dict):
            stack.extend(reversed(list(a.values())))
    return found

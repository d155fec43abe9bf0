"""Which module made which graph node, and which parameter is which.

Graph nodes are numbered in creation order (`node._seq`). While a
`ModuleTrace` is active, every module call notes the numbers at its start and
end, so a node belongs to the innermost module call whose interval holds its
number: no change to the modules or the graph is needed.
"""
from __future__ import annotations

import bisect
from typing import Any, Dict, List, Optional, Tuple

from ..autograd import function as _function


def _tick() -> int:
    """A number between the nodes created so far and the next one."""
    return next(_function._sequence)


class ModuleTrace:
    """Context manager recording, during a forward pass, the module that created each node.

        with ModuleTrace(model) as trace:
            loss = loss_fn(model(x), y)
        trace.module_of(loss.grad_fn)    # e.g. '' (the model itself) or 'encoder.0'
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.types: Dict[str, str] = {}        # module name -> class name
        self._calls: List[Tuple[int, int, str]] = []  # (start, end, name), in order of start
        self._names: Dict[int, str] = {}        # id(module) -> name
        self._open: Dict[int, List[int]] = {}   # id(module) -> starts of its calls in progress
        self._handles: list = []

    def __enter__(self) -> "ModuleTrace":
        for name, module in self.model.named_modules():
            self.types[name] = type(module).__name__
            self._names[id(module)] = name
            self._handles.append(module.register_forward_pre_hook(self._pre))
            self._handles.append(module.register_forward_hook(self._post))
        return self

    def __exit__(self, *exc: Any) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        for key, starts in self._open.items():  # calls cut short by an exception end here
            while starts:
                bisect.insort(self._calls, (starts.pop(), _tick(), self._names[key]))

    def _pre(self, module: Any, args: Any) -> None:
        self._open.setdefault(id(module), []).append(_tick())

    def _post(self, module: Any, args: Any, out: Any) -> None:
        start = self._open[id(module)].pop()
        bisect.insort(self._calls, (start, _tick(), self._names[id(module)]))

    def module_of(self, node: Any) -> Optional[str]:
        """Dotted name of the innermost module whose forward created `node` ('' for the model), or None."""
        seq = node._seq
        i = bisect.bisect_left(self._calls, (seq,))
        while i > 0:  # calls nest, so the latest-starting call that is still open at `seq` is the innermost
            i -= 1
            start, end, name = self._calls[i]
            if end > seq:
                return name
        return None


def parameter_names(model: Any = None, params: Any = None) -> Dict[int, str]:
    """id(tensor) -> name, from a model's named_parameters and/or a {name: tensor} mapping."""
    names: Dict[int, str] = {}
    if model is not None:
        names.update((id(p), n) for n, p in model.named_parameters())
    if params is not None:
        names.update((id(p), n) for n, p in dict(params).items())
    return names

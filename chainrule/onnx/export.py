"""`export`: a chainrule model to an ONNX file, by tracing its forward pass (torch.onnx.export's signature)."""
from __future__ import annotations

import enum
import inspect
import io
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ..tensor import Tensor
from . import layers, ops, recurrent  # noqa: F401  (they register their converters)
from .graph import CONVERTERS, Dim, Graph, Node, varies
from .trace import ExportError, Trace, check_same_program, record

DEFAULT_OPSET = 17
MIN_OPSET = 13


class TrainingMode(enum.Enum):
    """The mode the model is exported in (torch.onnx.TrainingMode): EVAL (the default) sets model.eval()
    for the export, PRESERVE keeps the model's mode, TRAINING sets model.train(); the mode is restored after."""
    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


def export(model: Callable, args: Any = (), f: Union[str, os.PathLike, io.IOBase, None] = None, *,
           kwargs: Optional[Dict[str, Any]] = None, verbose: Optional[bool] = None,
           input_names: Optional[Sequence[str]] = None, output_names: Optional[Sequence[str]] = None,
           opset_version: Optional[int] = None,
           dynamic_axes: Optional[Mapping[str, Union[Mapping[int, str], Sequence[int]]]] = None,
           export_params: bool = True, keep_initializers_as_inputs: bool = False,
           training: TrainingMode = TrainingMode.EVAL, do_constant_folding: bool = True,
           dynamo: bool = True, external_data: bool = True, verify: bool = False) -> Any:
    """Export `model` (a Module or any function of tensors) to ONNX by tracing model(*args, **kwargs).

    Every tensor in args (a tensor, an array, or a tuple of them and other values) becomes a graph input,
    in order; other values are fixed into the graph. Parameters and buffers become initializers named as
    in the state_dict. dynamic_axes {name: {axis: "dim_name"}} (or {name: [axes]}) lets the named inputs
    and outputs vary in size along those axes, e.g. {"input": {0: "batch"}}. Operations with no ONNX
    form fail with an error naming them. Writes to `f` (a path or binary file) when given; returns the
    onnx.ModelProto. verify=True also runs the file in onnxruntime and compares with the model's output.

    Constant folding is always done; dynamo and external_data are accepted for compatibility (chainrule
    has one exporter, and stores the weights in the file).
    """
    try:
        import onnx
    except ImportError:
        raise ImportError("chainrule.onnx.export needs the onnx package: pip install 'chainrule[onnx]'") from None
    if not export_params:
        raise NotImplementedError("export_params=False is not supported: the weights are always exported")
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    newest = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(f"opset_version must be between {MIN_OPSET} and {newest} (the newest this onnx "
                         f"package knows), got {opset}")
    call, examples, labels = _inputs(model, args, kwargs or {})
    in_names = _input_names(input_names, labels)
    dims = _dims(dynamic_axes, in_names, examples)
    with _mode(model, training):
        traces = [_record(call, examples, "the example input")]
        for run in (1, 2):
            what = "another input (other values" + (", other sizes along the dynamic axes)" if dims else ")")
            traces.append(_record(call, _another_input(examples, dims, run), what))
            check_same_program(traces[0], traces[-1], what)
    first = traces[0]
    graph = Graph(traces, opset, in_names, dims, _parameter_names(model))
    _convert(graph)
    out_names = _output_names(output_names, len(first.outputs))
    _check_axes_names(dynamic_axes, in_names, out_names)
    proto = _model(graph, out_names, dynamic_axes or {}, keep_initializers_as_inputs)
    _check(proto, graph)
    if verbose:
        printer = getattr(onnx, "printer", None)
        print(printer.to_text(proto.graph) if printer else onnx.helper.printable_graph(proto.graph))
    if f is not None:
        if isinstance(f, (str, os.PathLike)):
            onnx.save(proto, os.fspath(f))
        else:
            f.write(proto.SerializeToString())
    if verify:
        _verify(proto, first)
    return proto


# -- inputs -----------------------------------------------------------------------------------------

def _inputs(model: Callable, args: Any, kwargs: Dict[str, Any]) -> Tuple[Callable, List[np.ndarray], List[str]]:
    """(call, arrays, labels): the example tensors, call(*tensors) running the model with them in place, and
    a default name for each (the forward's parameter name, or input_<k>)."""
    if not callable(model):
        raise TypeError(f"export expects a Module or a function, got {type(model).__name__}")
    args = args if isinstance(args, tuple) else (args,)
    slots = [(None, i) for i, a in enumerate(args) if isinstance(a, (Tensor, np.ndarray))]
    slots += [(k, None) for k, v in kwargs.items() if isinstance(v, (Tensor, np.ndarray))]
    if not slots:
        raise ValueError("export needs at least one example input tensor in args")
    examples = []
    for key, i in slots:
        v = args[i] if key is None else kwargs[key]
        examples.append(np.asarray(v._data if isinstance(v, Tensor) else v))
    params = _parameter_names_of(model)
    labels = [key if key is not None else params[i] if i < len(params) else f"input_{k}"
              for k, (key, i) in enumerate(slots)]

    def call(*tensors: Tensor) -> Any:
        pos, kw = list(args), dict(kwargs)
        for (key, i), t in zip(slots, tensors):
            if key is None:
                pos[i] = t
            else:
                kw[key] = t
        return model(*pos, **kw)
    return call, examples, labels


def _parameter_names_of(model: Callable) -> List[str]:
    """The positional parameter names of the model's forward (or of the function)."""
    try:
        fn = model.forward if hasattr(model, "forward") else model
        return [p.name for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def _input_names(names: Optional[Sequence[str]], labels: List[str]) -> List[str]:
    """The given names, then the default labels."""
    given = list(names or [])
    if len(given) > len(labels):
        raise ValueError(f"{len(given)} input_names given for {len(labels)} input tensors")
    out = given + labels[len(given):]
    if len(set(out)) != len(out):
        raise ValueError(f"input names must be unique, got {out}")
    return out


def _output_names(names: Optional[Sequence[str]], count: int) -> List[str]:
    given = list(names or [])
    if len(given) > count:
        raise ValueError(f"{len(given)} output_names given for a model with {count} output tensors")
    default = ["output"] if count == 1 else [f"output_{k}" for k in range(count)]
    return given + default[len(given):]


def _axes_of(spec: Union[Mapping[int, str], Sequence[int]], name: str) -> Dict[int, str]:
    if isinstance(spec, Mapping):
        return {int(a): str(d) for a, d in spec.items()}
    return {int(a): f"{name}_dynamic_axes_{k + 1}" for k, a in enumerate(spec)}


def _dims(dynamic_axes: Optional[Mapping], in_names: List[str], examples: List[np.ndarray]) -> List[Dim]:
    """The dynamic axes of the inputs. In the other traces, the k-th named dimension grows by k and by 3k
    (so no two dimensions change alike); axes given the same name are one dimension and change together."""
    dims: List[Dim] = []
    changes: Dict[str, Tuple[int, ...]] = {}
    for k, name in enumerate(in_names):
        if not dynamic_axes or name not in dynamic_axes:
            continue
        for axis, dim_name in _axes_of(dynamic_axes[name], name).items():
            ndim = examples[k].ndim
            if not -ndim <= axis < ndim:
                raise ValueError(f"dynamic_axes: input {name!r} has {ndim} dimensions, no axis {axis}")
            size = examples[k].shape[axis]
            step = len(changes) + 1
            sizes = changes.setdefault(dim_name, (size, size + step, size + 3 * step))
            if sizes[0] != size:
                raise ValueError(f"dynamic_axes: dimension {dim_name!r} has size {sizes[0]} in one input and "
                                 f"{size} in input {name!r} (axis {axis})")
            dims.append(Dim(k, axis % ndim, sizes, dim_name))
    return dims


def _check_axes_names(dynamic_axes: Optional[Mapping], in_names: List[str], out_names: List[str]) -> None:
    unknown = sorted(set(dynamic_axes or {}) - set(in_names) - set(out_names))
    if unknown:
        raise ValueError(f"dynamic_axes names {unknown}, which are neither inputs {in_names} nor outputs "
                         f"{out_names}")


def _another_input(examples: List[np.ndarray], dims: List[Dim], run: int) -> List[np.ndarray]:
    """Inputs for trace number `run`: other values (the example's, reordered, so in the same range) and,
    along the dynamic axes, other sizes."""
    out = []
    for k, a in enumerate(examples):
        shape = list(a.shape)
        for d in dims:
            if d.input == k:
                shape[d.axis] = d.sizes[run]
        flat = a.reshape(-1)[::-1] if run == 1 else np.roll(a.reshape(-1), a.size // 2 + 1)
        out.append(np.resize(flat, shape).astype(a.dtype) if flat.size else np.zeros(shape, a.dtype))
    return out


def _record(call: Callable, inputs: List[np.ndarray], what: str) -> Trace:
    try:
        return record(call, inputs)
    except ExportError:
        raise
    except Exception as e:
        shapes = ", ".join(str(a.shape) for a in inputs)
        raise ExportError(f"running the model on {what} (shapes {shapes}) failed: {type(e).__name__}: {e}") from e


class _mode:
    """Put a Module in the training mode asked for during the export, and back afterwards."""

    def __init__(self, model: Any, training: Any) -> None:
        self.modules = list(model.modules()) if hasattr(model, "modules") else []
        self.saved = [m.training for m in self.modules]
        name = getattr(training, "name", str(training)).upper()
        if name not in ("EVAL", "PRESERVE", "TRAINING"):
            raise ValueError(f"training must be TrainingMode.EVAL, PRESERVE or TRAINING, got {training!r}")
        self.model, self.name = model, name

    def __enter__(self) -> None:
        if self.name != "PRESERVE" and self.modules:
            self.model.train(self.name == "TRAINING")

    def __exit__(self, *exc: Any) -> None:
        for m, flag in zip(self.modules, self.saved):
            m.training = flag


def _parameter_names(model: Any) -> Dict[int, str]:
    names: Dict[int, str] = {}
    for getter in ("named_buffers", "named_parameters"):
        if hasattr(model, getter):
            for name, t in getattr(model, getter)():
                if t is not None:
                    names[id(t._data)] = name
    return names


# -- conversion ---------------------------------------------------------------------------------------

def _needed(trace: Trace) -> set:
    """The calls whose results reach an output."""
    needed: set = set()
    stack = [s[1] for s in trace.outputs if s is not None and s[0] == "call"]
    while stack:
        j = stack.pop()
        if j in needed:
            continue
        needed.add(j)
        stack.extend(s[1] for s in trace.calls[j].sources if s is not None and s[0] == "call")
    return needed


def _convert(g: Graph) -> None:
    needed = _needed(g.a)
    for j, call in enumerate(g.a.calls):
        if j not in needed:
            continue
        tensor_sources = [s for s in call.sources if s is not None]
        if all(s[0] == "const" or (s[0] == "call" and s[1] in g.folded) for s in tensor_sources):
            g.folded.add(j)  # computed from constants only: its results are constants
            continue
        converter = CONVERTERS.get(type(call.node))
        if converter is None:
            raise ExportError(f"cannot export {call.op}: this operation has no ONNX conversion "
                              f"(operation #{j} of the forward pass)")
        names = converter(Node(g, j))
        if len(names) != len(call.outputs):
            raise ExportError(f"internal error: the conversion of {call.op} gave {len(names)} outputs, "
                              f"expected {len(call.outputs)}")
        for i, name in enumerate(names):
            if name is not None:
                g.values[("call", j, i)] = name


def _model(g: Graph, out_names: List[str], dynamic_axes: Mapping, keep_inputs: bool) -> Any:
    helper = g.helper
    produced = {o for node in g.nodes for o in node.output}
    renames: Dict[str, str] = {}
    outputs = []
    for k, name in enumerate(out_names):
        sources = [t.outputs[k] for t in g.traces]
        value = g.value(sources, f"output {k} ({name!r})")
        if value in produced and value not in renames and value not in g.input_names:
            renames[value] = name
        else:
            g.nodes.append(helper.make_node("Identity", [value], [name], name=g.fresh(f"/Identity_{name}")))
        arrays = [t.array(src) for t, src in zip(g.traces, sources)]
        named = _axes_of(dynamic_axes.get(name, {}), name)
        shape = [_dim_label(g, axis, runs, named, name) for axis, runs in enumerate(zip(*(a.shape for a in arrays)))]
        outputs.append(helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(arrays[0].dtype), shape))
    for node in g.nodes:
        for field in (node.input, node.output):
            for i, v in enumerate(field):
                if v in renames:
                    field[i] = renames[v]
    inputs = []
    for k, (name, arr) in enumerate(zip(g.input_names, g.a.inputs)):
        shape: List[Any] = list(arr.shape)
        for d in g.dims:
            if d.input == k:
                shape[d.axis] = d.name
        inputs.append(helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(arr.dtype), shape))
    if keep_inputs:
        inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in g.initializers]
    graph = helper.make_graph(g.nodes, "chainrule", inputs, outputs, g.initializers)
    opsets = [helper.make_opsetid("", g.opset)]
    from .. import __version__
    return helper.make_model(graph, opset_imports=opsets, producer_name="chainrule", producer_version=__version__,
                             ir_version=helper.find_min_ir_version_for(opsets))


def _dim_label(g: Graph, axis: int, runs: tuple, named: Dict[int, str], output: str) -> Any:
    """An output dimension: its size, or the name of the dynamic axis it follows."""
    if axis in named:
        return named[axis]
    if not varies(runs):
        return int(runs[0])
    dim = next((d for d in g.dims if d.sizes == tuple(runs)), None)
    return dim.name if dim is not None else f"{output}_dim_{axis}"


def _check(proto: Any, g: Graph) -> None:
    """onnx.checker, then ONNX's own shape and type inference compared with every traced result: a
    conversion giving another dtype or shape than chainrule computed is caught here, not at deployment."""
    import onnx
    onnx.checker.check_model(proto)
    inferred = onnx.shape_inference.infer_shapes(proto, strict_mode=True)
    found = {v.name: v.type.tensor_type for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for key, name in g.values.items():
        if key[0] != "call" or name not in found:
            continue
        call = g.a.calls[key[1]]
        arr = call.outputs[key[2]]._data
        runs = list(zip(*(t.calls[key[1]].outputs[key[2]]._data.shape for t in g.traces)))
        t = found[name]
        want = g.helper.np_dtype_to_tensor_dtype(arr.dtype)
        if t.elem_type and t.elem_type != want:
            raise ExportError(f"internal error: the ONNX conversion of {call.op} gives element type "
                              f"{t.elem_type}, chainrule computes {arr.dtype}")
        if t.HasField("shape"):
            dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
            expected = [None if varies(r) else r[0] for r in runs]
            if len(dims) != len(expected) or any(d is not None and e is not None and d != e
                                                 for d, e in zip(dims, expected)):
                raise ExportError(f"internal error: the ONNX conversion of {call.op} gives shape {dims}, "
                                  f"chainrule computes {arr.shape}")


def _verify(proto: Any, trace: Trace) -> None:
    from .runtime import load_onnx_predictor
    run = load_onnx_predictor(proto.SerializeToString(), all_outputs=True)
    got = run(*trace.inputs)
    for k, (src, value) in enumerate(zip(trace.outputs, got)):
        want = trace.array(src)
        if want.shape != value.shape:
            raise ExportError(f"verify: onnxruntime's output {k} has shape {value.shape}, chainrule's {want.shape}")
        if not np.allclose(value, want, rtol=1e-4, atol=1e-5):
            raise ExportError(f"verify: onnxruntime's output {k} differs from chainrule's by up to "
                              f"{np.max(np.abs(value - want))}")

"""Export a chainrule model, check the file with onnx.checker, run it in onnxruntime, compare with chainrule.

`roundtrip(model, inputs)` exports on `inputs`, then runs both on `inputs`
and, for every dynamic axis, on inputs of another size along it (drawn
fresh, so the exported graph is tested on values it never saw).
"""
from __future__ import annotations

import io
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import pytest

import chainrule as cr

onnx = pytest.importorskip("onnx", reason="the onnx package is not installed: pip install 'chainrule[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed: pip install onnxruntime")

from chainrule.onnx import export, load_onnx_predictor  # noqa: E402
from chainrule.onnx.trace import flatten_outputs  # noqa: E402


def run_chainrule(model: Callable, arrays: Sequence[np.ndarray]) -> List[np.ndarray]:
    with cr.no_grad():
        out = model(*[cr.from_numpy(a.copy()) for a in arrays])  # copies: a forward may work in place
    return [t.numpy() for t in flatten_outputs(out)]


def export_bytes(model: Callable, arrays: Sequence[np.ndarray], **options: Any) -> bytes:
    buffer = io.BytesIO()
    export(model, tuple(cr.from_numpy(a) for a in arrays), buffer, **options)
    return buffer.getvalue()


def resized(arrays: Sequence[np.ndarray], sizes: Dict[int, Dict[int, int]], rng: np.random.Generator,
            high: Optional[int]) -> List[np.ndarray]:
    """Fresh inputs with the given sizes ({input: {axis: size}}), floats normal, integers below `high`."""
    out = []
    for k, a in enumerate(arrays):
        shape = list(a.shape)
        for axis, n in sizes.get(k, {}).items():
            shape[axis] = n
        if a.dtype.kind == "f":
            out.append(rng.standard_normal(shape).astype(a.dtype))
        else:
            out.append(rng.integers(0, high, size=shape).astype(a.dtype))
    return out


def roundtrip(model: Callable, arrays: Sequence[np.ndarray], dynamic: Optional[Dict[int, Dict[int, int]]] = None,
              rtol: float = 1e-4, atol: float = 1e-5, high: Optional[int] = None, **options: Any) -> Any:
    """Export, check, run in onnxruntime on the example and (dynamic: {input: {axis: other size}}) resized
    inputs; every output must match chainrule's in shape, dtype and value. Returns the ModelProto.
    Axes given the same other size are exported as one named dimension."""
    if hasattr(model, "eval"):
        model.eval()
    if dynamic:
        names = options.setdefault("input_names", [f"in{k}" for k in range(len(arrays))])
        # axes given the same other size are one dimension (e.g. the batch of two inputs)
        options.setdefault("dynamic_axes", {names[k]: {ax: f"dim_{n}" for ax, n in axes.items()}
                                            for k, axes in dynamic.items()})
    data = export_bytes(model, arrays, **options)
    proto = onnx.load_from_string(data)
    onnx.checker.check_model(proto, full_check=True)
    run = load_onnx_predictor(data, all_outputs=True)
    rng = np.random.default_rng(1)
    cases = [list(arrays)] + ([resized(arrays, dynamic, rng, high)] if dynamic else [])
    for feed in cases:
        want = run_chainrule(model, feed)
        got = run(*feed)
        assert len(got) == len(want)
        for k, (g, w) in enumerate(zip(got, want)):
            assert g.shape == w.shape, f"output {k}: onnxruntime shape {g.shape}, chainrule {w.shape}"
            assert g.dtype == w.dtype, f"output {k}: onnxruntime dtype {g.dtype}, chainrule {w.dtype}"
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"output {k}")
    return proto


def op_types(proto: Any) -> List[str]:
    return [node.op_type for node in proto.graph.node]

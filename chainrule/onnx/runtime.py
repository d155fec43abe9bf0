"""Running an exported `.onnx` file with onnxruntime: `load_onnx_predictor(path)(array) -> array`.

The predictor checks each input against the model's declared inputs (count,
rank, fixed sizes, kind of dtype) and says what was expected; float inputs
of another precision are converted to the model's (NumPy gives float64 by
default), integer inputs likewise.
"""
from __future__ import annotations

import os
import json
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from ..nn.modules.module import Module
from ..tensor import Tensor

_ORT_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
              "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int16)": np.int16,
              "tensor(int8)": np.int8, "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_}


class OnnxPredictor:
    """A loaded ONNX model: call it with one array (or tensor) per model input.

    Returns the first output as a NumPy array, or the list of all outputs when made with all_outputs=True.
    input_names, input_shapes (None for a dynamic size), input_dtypes and output_names describe the model.
    """

    def __init__(self, source: Union[str, os.PathLike, bytes], all_outputs: bool = False,
                 threads: Optional[int] = None) -> None:
        try:
            import onnxruntime
        except ImportError:
            raise ImportError("running an .onnx file needs onnxruntime: pip install onnxruntime") from None
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        model = source if isinstance(source, bytes) else os.fspath(source)
        self.session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        self.all_outputs = all_outputs
        ins = self.session.get_inputs()
        self.input_names: List[str] = [i.name for i in ins]
        self.input_shapes: List[tuple] = [tuple(d if isinstance(d, int) else None for d in i.shape) for i in ins]
        self.input_dtypes: List[np.dtype] = [np.dtype(_ORT_TYPES.get(i.type, np.float32)) for i in ins]
        self.output_names: List[str] = [o.name for o in self.session.get_outputs()]

    def __call__(self, *inputs: Any) -> Any:
        if len(inputs) != len(self.input_names):
            raise ValueError(f"the ONNX model takes {len(self.input_names)} input(s) {self.input_names}, "
                             f"got {len(inputs)}")
        feed = {name: self._checked(name, x, shape, dtype)
                for name, x, shape, dtype in zip(self.input_names, inputs, self.input_shapes, self.input_dtypes)}
        outputs = self.session.run(None, feed)
        return outputs if self.all_outputs else outputs[0]

    @staticmethod
    def _checked(name: str, x: Any, shape: Sequence[Optional[int]], dtype: np.dtype) -> np.ndarray:
        arr = np.asarray(x._data if isinstance(x, Tensor) else x)
        wanted = "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"
        if arr.ndim != len(shape) or any(d is not None and d != n for d, n in zip(shape, arr.shape)):
            raise ValueError(f"ONNX model input {name!r} expects shape {wanted} (? = any size), "
                             f"got {tuple(arr.shape)}")
        if arr.dtype != dtype:
            kind = lambda d: "float" if d.kind in "fc" else "bool" if d == np.bool_ else "int"  # noqa: E731
            if kind(arr.dtype) != kind(dtype):
                raise TypeError(f"ONNX model input {name!r} expects {dtype} values, got {arr.dtype}")
            arr = arr.astype(dtype)
        return np.ascontiguousarray(arr)


def load_onnx_predictor(path: Union[str, os.PathLike, bytes], all_outputs: bool = False,
                        threads: Optional[int] = None) -> OnnxPredictor:
    """Load an .onnx file (or its bytes) into onnxruntime: predictor(x) -> first output as an array."""
    return OnnxPredictor(path, all_outputs, threads)


BUNDLE_ARRAYS_KEY = "chainrule.bundle.arrays"


def encode_arrays(arrays: Dict[str, np.ndarray]) -> str:
    """Small arrays (fitted scalers) as JSON, for an ONNX file's metadata."""
    return json.dumps({k: {"dtype": str(v.dtype), "shape": list(v.shape), "data": v.ravel().tolist()}
                       for k, v in arrays.items()})


def decode_arrays(text: str) -> Dict[str, np.ndarray]:
    """The inverse of encode_arrays, validating each entry."""
    out = {}
    for key, entry in json.loads(text).items():
        dtype = np.dtype(entry["dtype"])
        if dtype.kind not in "biuf":
            raise ValueError(f"array {key!r} has a non-numeric dtype {dtype}")
        out[key] = np.asarray(entry["data"], dtype=dtype).reshape(entry["shape"])
    return out


class OnnxModule(Module):
    """An exported network run by onnxruntime, usable where a chainrule Module is (inference only)."""

    def __init__(self, source: Union[str, os.PathLike, bytes]) -> None:
        super().__init__()
        self.predictor = OnnxPredictor(source)
        self.metadata: Dict[str, str] = dict(self.predictor.session.get_modelmeta().custom_metadata_map)

    def forward(self, x: Any) -> Tensor:
        return Tensor._make(self.predictor(x))

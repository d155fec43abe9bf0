"""`save` / `load`: PyTorch's names, without pickle.

A file is a ZIP archive (NumPy's `.npz` layout): one `.npy` entry per array,
plus `structure.json` describing the nested dicts, lists, tuples, numbers,
strings and None around them. Loading executes nothing from the file, so a
file from anywhere is safe to open. Writing goes to a temporary file that is
renamed into place only when complete, so an interrupted save never leaves a
half-written file under the final name.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from typing import Any, BinaryIO, Dict, List, Union

import numpy as np

from ..tensor import Tensor

FORMAT = "chainrule.save/1"
PathLike = Union[str, os.PathLike, BinaryIO]


def _encode(obj: Any, arrays: List[np.ndarray], path: str) -> Any:
    """The JSON description of `obj`; arrays are set aside and referred to by number."""
    if isinstance(obj, Tensor):
        arrays.append(obj._data)
        return {"__tensor__": len(arrays) - 1, "requires_grad": bool(obj.requires_grad),
                "parameter": type(obj).__name__ == "Parameter"}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biufc":
            raise TypeError(f"cannot save the array at {path or 'top level'}: dtype {obj.dtype} is not numeric")
        arrays.append(obj)
        return {"__ndarray__": len(arrays) - 1}
    if isinstance(obj, np.generic):
        return _encode(obj.item(), arrays, path)
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else {"__float__": repr(obj)}
    if isinstance(obj, dict):
        keys = list(obj)
        if all(isinstance(k, str) for k in keys):
            return {"__dict__": {k: _encode(v, arrays, f"{path}.{k}" if path else k) for k, v in obj.items()}}
        if all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in keys):
            return {"__items__": [[k, _encode(v, arrays, f"{path}[{k!r}]")] for k, v in obj.items()]}
        raise TypeError(f"cannot save the dict at {path or 'top level'}: keys must be str or int")
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, arrays, f"{path}[{i}]") for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    raise TypeError(f"cannot save a {type(obj).__name__} (at {path or 'top level'}): chainrule.save stores "
                    f"tensors, arrays, numbers, strings, None and dicts/lists/tuples of them (no pickle)")


def _decode(node: Any, arrays: Dict[int, np.ndarray]) -> Any:
    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    if not isinstance(node, dict):
        return node
    if "__tensor__" in node:
        arr = arrays[node["__tensor__"]]
        if node.get("parameter"):
            from ..nn.parameter import Parameter
            return Parameter(arr, requires_grad=node.get("requires_grad", True))
        t = Tensor._make(arr)
        if node.get("requires_grad"):
            t.requires_grad_(True)
        return t
    if "__ndarray__" in node:
        return arrays[node["__ndarray__"]]
    if "__float__" in node:
        return float(node["__float__"])
    if "__tuple__" in node:
        return tuple(_decode(v, arrays) for v in node["__tuple__"])
    if "__dict__" in node:
        return {k: _decode(v, arrays) for k, v in node["__dict__"].items()}
    if "__items__" in node:
        return {k: _decode(v, arrays) for k, v in node["__items__"]}
    raise ValueError(f"unknown entry in structure.json: {sorted(node)}")


def write_atomic(path: Union[str, os.PathLike], write: Any) -> None:
    """Call write(file) on a temporary file beside `path`, then rename it over `path`."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.basename(path), dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save(obj: Any, f: PathLike) -> None:
    """Save tensors (or nested dicts/lists of them, e.g. a state_dict or a checkpoint) to a file."""
    arrays: List[np.ndarray] = []
    structure = {"format": FORMAT, "object": _encode(obj, arrays, "")}

    def write(stream: BinaryIO) -> None:
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_STORED) as z:
            z.writestr("structure.json", json.dumps(structure))
            for i, arr in enumerate(arrays):
                buf = io.BytesIO()
                np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
                z.writestr(f"arrays/{i}.npy", buf.getvalue())

    if hasattr(f, "write"):
        write(f)
    else:
        write_atomic(f, write)


def load(f: PathLike, map_location: Any = None, weights_only: bool = True) -> Any:
    """Load what `save` wrote. Never unpickles: a PyTorch `.pt` file gives a clear error instead."""
    if map_location not in (None, "cpu") and str(map_location) != "cpu":
        raise RuntimeError(f"chainrule runs on the CPU only; got map_location={map_location!r}")
    name = f if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<stream>")
    try:
        z = zipfile.ZipFile(f)
    except zipfile.BadZipFile:
        raise ValueError(f"{name}: not a chainrule file (expected a ZIP archive written by chainrule.save)") from None
    with z:
        names = set(z.namelist())
        if "structure.json" not in names:
            if any(n.endswith("data.pkl") for n in names):
                raise ValueError(f"{name} is a PyTorch pickle file; chainrule never unpickles (it can run code). "
                                 f"In PyTorch, save the weights with safetensors (safetensors.torch.save_file("
                                 f"model.state_dict(), 'model.safetensors')) and load that here.")
            raise ValueError(f"{name}: not a chainrule file (structure.json is missing)")
        structure = json.loads(z.read("structure.json"))
        if structure.get("format") != FORMAT:
            raise ValueError(f"{name}: unsupported format {structure.get('format')!r} (expected {FORMAT})")
        arrays = {}
        for entry in names:
            if entry.startswith("arrays/") and entry.endswith(".npy"):
                index = int(entry[len("arrays/"):-len(".npy")])
                arrays[index] = np.load(io.BytesIO(z.read(entry)), allow_pickle=False)
    return _decode(structure["object"], arrays)

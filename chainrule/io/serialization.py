"""`save` / `load`: PyTorch's names, the safetensors file format, no pickle.

A safetensors file is: 8 bytes (little-endian length N), N bytes of JSON
header naming each tensor's dtype, shape and byte range, then the raw bytes.
A flat `{name: tensor}` dict (a `state_dict`) is saved as exactly that, so
any safetensors reader (PyTorch's included) opens it. Anything nested (a
checkpoint with optimizer state, epoch, history) is saved with its tensors
flattened under dotted names and the nesting described in the header's
metadata as JSON. Loading executes nothing, checks every header field
against the file before reading, and refuses truncated or hostile files
with a clear error. Writing goes to a temporary file renamed into place.
"""
from __future__ import annotations

import json
import os
import struct
import tempfile
from typing import Any, BinaryIO, Callable, Dict, List, Tuple, Union

import numpy as np

from ..tensor import Tensor

PathLike = Union[str, os.PathLike, BinaryIO]
STRUCTURE_KEY = "chainrule.structure"
MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit on the JSON header

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
          "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}
CODES = {(np.dtype(v).kind, np.dtype(v).itemsize): k for k, v in DTYPES.items()}


def _code(dtype: np.dtype) -> str:
    """The safetensors name of a NumPy dtype (byte order is fixed to little-endian when writing)."""
    code = CODES.get((dtype.kind, dtype.itemsize))
    if code is None:
        raise TypeError(f"cannot save dtype {dtype}: safetensors stores {', '.join(sorted(DTYPES))}")
    return code


# -- nesting ------------------------------------------------------------------------------

def _encode(obj: Any, tensors: Dict[str, np.ndarray], path: str) -> Any:
    """The JSON description of `obj`; arrays go into `tensors` under their dotted path."""
    if isinstance(obj, (Tensor, np.ndarray)):
        arr = obj._data if isinstance(obj, Tensor) else obj
        _code(arr.dtype)
        key = path or "tensor"
        while key in tensors:
            key += "_"
        tensors[key] = arr
        node: Dict[str, Any] = {"__tensor__": key}
        if isinstance(obj, np.ndarray):
            node["ndarray"] = True
        elif obj.requires_grad:
            node["requires_grad"] = True
            node["parameter"] = type(obj).__name__ == "Parameter"
        return node
    if isinstance(obj, np.generic):
        return _encode(obj.item(), tensors, path)
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else {"__float__": repr(obj)}
    where = path or "top level"
    if isinstance(obj, dict):
        if not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in obj):
            raise TypeError(f"cannot save the dict at {where}: keys must be str or int")
        return {"__items__": [[k, _encode(v, tensors, f"{path}.{k}" if path else str(k))] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, tensors, f"{path}.{i}" if path else str(i)) for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    raise TypeError(f"cannot save a {type(obj).__name__} (at {where}): chainrule.save stores tensors, arrays, "
                    f"numbers, strings, None and dicts/lists/tuples of them (no pickle)")


def _decode(node: Any, tensors: Dict[str, np.ndarray]) -> Any:
    if isinstance(node, list):
        return [_decode(v, tensors) for v in node]
    if not isinstance(node, dict):
        return node
    if "__tensor__" in node:
        if node["__tensor__"] not in tensors:
            raise ValueError(f"the structure names tensor {node['__tensor__']!r}, which the file does not hold")
        arr = tensors[node["__tensor__"]]
        if node.get("ndarray"):
            return arr
        if node.get("parameter"):
            from ..nn.parameter import Parameter
            return Parameter(arr)
        t = Tensor._make(arr)
        return t.requires_grad_(True) if node.get("requires_grad") else t
    if "__float__" in node:
        return float(node["__float__"])
    if "__tuple__" in node:
        return tuple(_decode(v, tensors) for v in node["__tuple__"])
    if "__items__" in node:
        return {k: _decode(v, tensors) for k, v in node["__items__"]}
    raise ValueError(f"unknown entry in the saved structure: {sorted(node)}")


def _is_flat_state_dict(obj: Any) -> bool:
    return isinstance(obj, dict) and bool(obj) and all(
        isinstance(k, str) and isinstance(v, Tensor) and not v.requires_grad for k, v in obj.items())


# -- the file format ---------------------------------------------------------------------------

def write_safetensors(tensors: Dict[str, np.ndarray], stream: BinaryIO, metadata: Dict[str, str]) -> None:
    """Write arrays in the safetensors layout (tensors in name order, 8-byte aligned header)."""
    header: Dict[str, Any] = {"__metadata__": metadata} if metadata else {}
    offset = 0
    ordered = sorted(tensors.items())
    for name, arr in ordered:
        size = arr.size * arr.itemsize
        header[name] = {"dtype": _code(arr.dtype), "shape": list(arr.shape), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    stream.write(struct.pack("<Q", len(raw)))
    stream.write(raw)
    for _, arr in ordered:
        stream.write(np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes())


def read_safetensors(data: bytes, name: str = "<stream>") -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    """Parse and validate a safetensors file held in memory; arrays are returned as writable copies."""
    def bad(why: str) -> ValueError:
        return ValueError(f"{name}: not a valid safetensors file: {why}")

    if len(data) < 8:
        raise bad(f"it is {len(data)} bytes long, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER:
        raise bad(f"the header claims {n} bytes (more than the {MAX_HEADER}-byte limit)")
    if 8 + n > len(data):
        raise bad(f"the header claims {n} bytes but only {len(data) - 8} follow (truncated file?)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise bad(f"the header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise bad("the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise bad("__metadata__ must map strings to strings")
    body = memoryview(data)[8 + n:]
    tensors: Dict[str, np.ndarray] = {}
    spans = []
    for key, info in header.items():
        if not isinstance(info, dict) or set(info) - {"dtype", "shape", "data_offsets"}:
            raise bad(f"entry {key!r} must hold exactly dtype, shape and data_offsets")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in DTYPES:
            raise bad(f"tensor {key!r} has unsupported dtype {dtype!r}")
        if not (isinstance(shape, list) and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                                for s in shape)):
            raise bad(f"tensor {key!r} has an invalid shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and
                all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)):
            raise bad(f"tensor {key!r} has invalid data_offsets {offsets!r}")
        begin, end = offsets
        if not 0 <= begin <= end <= len(body):
            raise bad(f"tensor {key!r} spans bytes {begin}..{end}, outside the {len(body)}-byte data section")
        count = 1
        for s in shape:
            count *= s
        itemsize = np.dtype(DTYPES[dtype]).itemsize
        if count * itemsize != end - begin:
            raise bad(f"tensor {key!r}: {dtype} of shape {tuple(shape)} needs {count * itemsize} bytes, "
                      f"the header gives {end - begin}")
        spans.append((begin, end, key))
        tensors[key] = np.frombuffer(body[begin:end], dtype=DTYPES[dtype]).reshape(shape).astype(
            np.dtype(DTYPES[dtype]).newbyteorder("="), copy=True)
    position = 0
    for begin, end, key in sorted(spans):
        if begin != position:
            raise bad(f"tensor {key!r} starts at byte {begin}; expected {position} (gaps or overlaps)")
        position = end
    if position != len(body):
        raise bad(f"{len(body) - position} bytes after the last tensor are not described by the header")
    return tensors, metadata


def write_atomic(path: Union[str, os.PathLike], write: Callable[[BinaryIO], None]) -> None:
    """Call write(file) on a temporary file beside `path`, then rename it over `path`."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(path), dir=folder)
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


# -- the user-facing functions -------------------------------------------------------------------

def save(obj: Any, f: PathLike, metadata: Dict[str, str] = None) -> None:
    """Save a state_dict (as plain safetensors) or any nesting of tensors, numbers and strings."""
    tensors: Dict[str, np.ndarray] = {}
    meta = dict(metadata or {})
    if _is_flat_state_dict(obj):
        tensors = {k: v._data for k, v in obj.items()}
        for arr in tensors.values():
            _code(arr.dtype)
        meta.setdefault("format", "pt")
    else:
        meta[STRUCTURE_KEY] = json.dumps(_encode(obj, tensors, ""))

    def write(stream: BinaryIO) -> None:
        write_safetensors(tensors, stream, meta)

    if hasattr(f, "write"):
        write(f)
    else:
        write_atomic(f, write)


def load(f: PathLike, map_location: Any = None, weights_only: bool = True) -> Any:
    """Load what `save` wrote, or any safetensors file (a dict of tensors). Never unpickles."""
    if map_location is not None and str(map_location) != "cpu":
        raise RuntimeError(f"chainrule runs on the CPU only; got map_location={map_location!r}")
    if hasattr(f, "read"):
        name, data = getattr(f, "name", "<stream>"), f.read()
    else:
        name = os.fspath(f)
        with open(name, "rb") as stream:
            data = stream.read()
    if data[8:9] != b"{" and (data[:4] == b"PK\x03\x04" or data[:1] == b"\x80"):
        raise ValueError(f"{name} looks like a PyTorch pickle file (torch.save). chainrule never unpickles, "
                         f"because unpickling can run arbitrary code. In PyTorch, save the weights with "
                         f"safetensors instead: safetensors.torch.save_file(model.state_dict(), "
                         f"'model.safetensors'), then load that file here.")
    tensors, metadata = read_safetensors(data, name)
    if STRUCTURE_KEY in metadata:
        try:
            structure = json.loads(metadata[STRUCTURE_KEY])
        except ValueError as e:
            raise ValueError(f"{name}: the saved structure is not valid JSON ({e})") from None
        return _decode(structure, tensors)
    return {k: Tensor._make(v) for k, v in tensors.items()}

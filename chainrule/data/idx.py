"""The IDX file format of MNIST and Fashion-MNIST, gzip-compressed or not.

Header: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16,
0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions, then
each dimension as a big-endian uint32; the values follow, big-endian.
"""
from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Optional, Union

import numpy as np

_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
          0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {dt.newbyteorder("="): code for code, dt in _TYPES.items()}

PathLike = Union[str, "os.PathLike[str]"]


class IDXError(ValueError):
    """A file that is not a well-formed IDX file (wrong header, wrong size, bad compression)."""


def _raw_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return zlib.decompress(raw, 16 + zlib.MAX_WBITS)  # gzip framing, one call (fastest)
    except zlib.error as e:
        raise IDXError(f"{path}: corrupted gzip data ({e}); delete the file and download it again") from None


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """The array held by IDX bytes, in native byte order; IDXError naming `name` if malformed."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise IDXError(f"{name}: not an IDX file (the header must start with two zero bytes, got "
                       f"{raw[:4].hex(' ') or 'an empty file'})")
    code, ndim = raw[2], raw[3]
    if code not in _TYPES:
        raise IDXError(f"{name}: unknown IDX type code 0x{code:02X} (expected one of "
                       f"{', '.join(f'0x{c:02X}' for c in _TYPES)})")
    if ndim == 0 or len(raw) < 4 + 4 * ndim:
        raise IDXError(f"{name}: IDX header announces {ndim} dimensions but is cut short "
                       f"({len(raw)} bytes in all)")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = _TYPES[code]
    expected = int(np.prod(shape)) * dtype.itemsize
    got = len(raw) - 4 - 4 * ndim
    if got != expected:
        raise IDXError(f"{name}: IDX header announces shape {shape} of {dtype.newbyteorder('=')}, "
                       f"that is {expected} bytes of data, but the file holds {got}: the file is "
                       f"truncated or corrupted")
    values = np.frombuffer(raw, dtype, offset=4 + 4 * ndim).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # a writable native-order copy


def read_idx(path: PathLike) -> np.ndarray:
    """Load an IDX file (`.gz` or not) into a NumPy array."""
    path = Path(path)
    return parse_idx(_raw_bytes(path), str(path))


def write_idx(path: PathLike, array: np.ndarray, compress: Optional[bool] = None) -> None:
    """Save `array` as an IDX file, gzip-compressed when the name ends in `.gz` (or `compress=True`)."""
    path = Path(path)
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        raise TypeError(f"IDX cannot hold {array.dtype}; use one of uint8, int8, int16, int32, float32, float64")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"IDX holds arrays of 1 to 255 dimensions, got {array.ndim}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    body = header + np.ascontiguousarray(array, _TYPES[code]).tobytes()
    if compress is None:
        compress = path.suffix == ".gz"
    path.write_bytes(gzip.compress(body, mtime=0) if compress else body)


__all__ = ["IDXError", "parse_idx", "read_idx", "write_idx"]

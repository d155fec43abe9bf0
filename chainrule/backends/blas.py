"""NumPy's own BLAS library, called directly: its thread count, and its fused vector updates.

NumPy hands matrix products to a BLAS (OpenBLAS in NumPy's wheels, sometimes
MKL) but runs `y += a * x` as two single-threaded passes with a temporary. The
same library's level-1 routines do it in one pass, on its own threads:
`axpy` (y = a x + y) and `axpby` (y = a x + b y). The optimizers' updates are
made of these (`optim/kernels.py`), which makes an SGD-momentum step over
W1's 535k parameters 2.3x faster on 2 cores (86 against 197 µs). Being the
library NumPy already loaded, it adds no dependency; it is found among the
libraries loaded into this process (Linux). Where none is found, or for
dtypes and layouts BLAS does not take, the same updates run in NumPy.

A fused update rounds once where NumPy rounds twice (a x + y with one
rounding, as an FMA does), so results may differ from NumPy's in the last bit.
"""
from __future__ import annotations

import ctypes
import os
from typing import Any, Callable, List, NamedTuple, Optional

import numpy as np

# Arrays smaller than this are updated by NumPy: a foreign call costs about 3 µs, as much as NumPy's two
# passes over 16-32k float32 values (measured on 2 cores; at 64k values BLAS takes half NumPy's time).
MIN_SIZE = 32768


class Library(NamedTuple):
    """One BLAS library loaded into this process: thread count setter and getter, and the vector updates
    by dtype ({np.float32: axpy, np.float64: axpy}, idem axpby)."""
    set_num_threads: Callable
    get_num_threads: Callable
    axpy: dict
    axpby: dict


# (library file name contains, thread setter, thread getter, CBLAS prefix, suffix, integer type): OpenBLAS
# under the names NumPy's and SciPy's wheels give it (64-bit integers with the 64_ suffix), and MKL
_APIS = [("openblas", "scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_",
          "scipy_cblas_", "64_", ctypes.c_int64),
         ("openblas", "scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads",
          "scipy_cblas_", "", ctypes.c_int),
         ("openblas", "openblas_set_num_threads64_", "openblas_get_num_threads64_", "cblas_", "64_", ctypes.c_int64),
         ("openblas", "openblas_set_num_threads", "openblas_get_num_threads", "cblas_", "", ctypes.c_int),
         ("mkl_rt", "MKL_Set_Num_Threads", "MKL_Get_Max_Threads", "cblas_", "", ctypes.c_int)]

_found: Optional[List[Library]] = None


def libraries() -> List[Library]:
    """Every BLAS library loaded into this process (NumPy's first, in practice the only one), found once."""
    global _found
    if _found is not None:
        return _found
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if ".so" in line})
    except OSError:
        paths = []
    found = []
    for path in paths:
        name = os.path.basename(path)
        for marker, setter, getter, prefix, suffix, integer in _APIS:
            if marker not in name:
                continue
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                break
            if hasattr(lib, setter) and hasattr(lib, getter):
                found.append(Library(getattr(lib, setter), getattr(lib, getter),
                                     *_updates(lib, prefix, suffix, integer)))
                break
    _found = found
    return found


def _updates(lib: Any, prefix: str, suffix: str, integer: Any) -> tuple:
    """The library's axpy and axpby for float32 and float64, typed (those it lacks are left out)."""
    axpy, axpby = {}, {}
    for letter, dtype, real in (("s", np.float32, ctypes.c_float), ("d", np.float64, ctypes.c_double)):
        pointer = ctypes.c_void_p
        for table, routine, argtypes in (
                (axpy, "axpy", [integer, real, pointer, integer, pointer, integer]),
                (axpby, "axpby", [integer, real, pointer, integer, real, pointer, integer])):
            fn = getattr(lib, f"{prefix}{letter}{routine}{suffix}", None)
            if fn is not None:
                fn.argtypes, fn.restype = argtypes, None
                table[np.dtype(dtype)] = fn
    return axpy, axpby


def _routine(kind: str, y: np.ndarray, x: np.ndarray) -> Optional[Callable]:
    """BLAS's `kind` routine for y and x, or None when NumPy should do it: small arrays, another dtype,
    layouts that are not one contiguous block each, or no BLAS found."""
    if y.size < MIN_SIZE or x.dtype != y.dtype or x.shape != y.shape:
        return None
    if not (y.flags.c_contiguous and x.flags.c_contiguous and y.flags.writeable):
        return None
    found = _found if _found is not None else libraries()
    return getattr(found[0], kind).get(y.dtype) if found else None


def axpy_(y: np.ndarray, alpha: float, x: np.ndarray, tmp: np.ndarray) -> None:
    """y += alpha * x, in one pass on BLAS's threads when it can (else in NumPy, with tmp as work array;
    tmp may be x itself when x is a work array)."""
    fn = _routine("axpy", y, x)
    if fn is not None:
        fn(y.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
        return
    np.multiply(x, alpha, out=tmp)
    np.add(y, tmp, out=y)


def axpby_(y: np.ndarray, beta: float, alpha: float, x: np.ndarray, tmp: np.ndarray) -> None:
    """y = beta * y + alpha * x, in one pass on BLAS's threads when it can (else in NumPy, tmp as work
    array, which may be x itself when x is a work array)."""
    fn = _routine("axpby", y, x)
    if fn is not None:
        fn(y.size, alpha, x.ctypes.data, 1, beta, y.ctypes.data, 1)
        return
    if beta != 1:
        np.multiply(y, beta, out=y)
    if alpha == 1:
        np.add(y, x, out=y)
    else:
        np.multiply(x, alpha, out=tmp)
        np.add(y, tmp, out=y)

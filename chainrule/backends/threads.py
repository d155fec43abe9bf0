"""`set_num_threads` / `get_num_threads` (PyTorch's names): how many threads NumPy's BLAS uses.

chainrule's parallel work is the matrix products, which NumPy hands to its BLAS (OpenBLAS in NumPy's
wheels, sometimes MKL); copies and elementwise passes run on one thread. Splitting those over threads
in Python was measured and did not pay: after each product OpenBLAS's workers keep spinning on the
other cores for a while, so a second Python thread only competes with them (a convolution step on
2 cores: no faster, sometimes 5% slower). So the thread count is the BLAS library's, set through its
own function, found among the libraries loaded into this process (Linux; elsewhere, or for another
BLAS, `set_num_threads` raises a clear error and `threadpoolctl` is the tool to use).
"""
from __future__ import annotations

import ctypes
import os
from typing import Callable, List, Optional, Tuple

# (library name contains, setter, getter): OpenBLAS under the names NumPy's and SciPy's wheels give it, and MKL
_APIS = [("openblas", "scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
         ("openblas", "scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
         ("openblas", "openblas_set_num_threads64_", "openblas_get_num_threads64_"),
         ("openblas", "openblas_set_num_threads", "openblas_get_num_threads"),
         ("mkl_rt", "MKL_Set_Num_Threads", "MKL_Get_Max_Threads")]

_found: Optional[List[Tuple[Callable, Callable]]] = None


def _blas() -> List[Tuple[Callable, Callable]]:
    """(set, get) of every BLAS library loaded into this process, found once through /proc/self/maps."""
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
        for marker, setter, getter in _APIS:
            if marker not in name:
                continue
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                break
            if hasattr(lib, setter) and hasattr(lib, getter):
                found.append((getattr(lib, setter), getattr(lib, getter)))
                break
    _found = found
    return found


def get_num_threads() -> int:
    """The number of threads of NumPy's BLAS (the first one loaded), as torch.get_num_threads."""
    blas = _blas()
    if not blas:
        raise RuntimeError("get_num_threads: no OpenBLAS or MKL library found in this process "
                           "(use threadpoolctl for other BLAS libraries)")
    return int(blas[0][1]())


def set_num_threads(n: int) -> None:
    """Use n threads in NumPy's BLAS (every OpenBLAS or MKL loaded), as torch.set_num_threads."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n!r}")
    blas = _blas()
    if not blas:
        raise RuntimeError("set_num_threads: no OpenBLAS or MKL library found in this process "
                           "(use threadpoolctl for other BLAS libraries)")
    for setter, _ in blas:
        setter(ctypes.c_int(n))

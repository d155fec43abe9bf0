"""`set_num_threads` / `get_num_threads` (PyTorch's names): how many threads NumPy's BLAS uses.

chainrule's parallel work is the matrix products, which NumPy hands to its BLAS (OpenBLAS in NumPy's
wheels, sometimes MKL), and the optimizers' updates, which use the same library's vector routines
(`blas.py`); other copies and elementwise passes run on one thread. Splitting those over threads
in Python was measured and did not pay: after each product OpenBLAS's workers keep spinning on the
other cores for a while, so a second Python thread only competes with them (a convolution step on
2 cores: no faster, sometimes 5% slower). So the thread count is the BLAS library's, set through its
own function, found among the libraries loaded into this process (Linux; elsewhere, or for another
BLAS, `set_num_threads` raises a clear error and `threadpoolctl` is the tool to use).
"""
from __future__ import annotations

import ctypes

from .blas import libraries


def get_num_threads() -> int:
    """The number of threads of NumPy's BLAS (the first one loaded), as torch.get_num_threads."""
    blas = libraries()
    if not blas:
        raise RuntimeError("get_num_threads: no OpenBLAS or MKL library found in this process "
                           "(use threadpoolctl for other BLAS libraries)")
    return int(blas[0].get_num_threads())


def set_num_threads(n: int) -> None:
    """Use n threads in NumPy's BLAS (every OpenBLAS or MKL loaded), as torch.set_num_threads."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n!r}")
    blas = libraries()
    if not blas:
        raise RuntimeError("set_num_threads: no OpenBLAS or MKL library found in this process "
                           "(use threadpoolctl for other BLAS libraries)")
    for lib in blas:
        lib.set_num_threads(ctypes.c_int(n))

"""axpy_ / axpby_: BLAS's fused vector updates, and the NumPy path they fall back to."""
import numpy as np
import pytest

from chainrule.backends import blas

found = pytest.mark.skipif(not blas.libraries(), reason="NumPy's BLAS is neither OpenBLAS nor MKL here")


def arrays(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)


def close(got, want, dtype):
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [10, blas.MIN_SIZE, 100_003])  # NumPy's path, then BLAS's
def test_axpy_and_axpby_against_float64_arithmetic(n, dtype):
    y, x = arrays(n, dtype)
    want = y.astype(np.float64) - 0.3 * x.astype(np.float64)
    got = y.copy()
    blas.axpy_(got, -0.3, x, np.empty_like(x))
    close(got, want, dtype)
    assert got.dtype == dtype
    want = 0.9 * y.astype(np.float64) + 0.1 * x.astype(np.float64)
    got = y.copy()
    blas.axpby_(got, 0.9, 0.1, x, np.empty_like(x))
    close(got, want, dtype)


@found
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_contiguous_float_arrays_go_to_blas(dtype):
    y, x = arrays(blas.MIN_SIZE, dtype)
    assert blas._routine("axpy", y, x) is not None
    assert blas._routine("axpby", y.reshape(64, -1), x.reshape(64, -1)) is not None


def test_what_blas_cannot_take_is_done_by_numpy():
    y, x = arrays(2 * blas.MIN_SIZE, np.float32)
    strided = np.empty(4 * blas.MIN_SIZE, np.float32)[::2]
    strided[...] = x
    cases = [(y[:10], x[:10]), (y, strided), (y.astype(np.float16), x.astype(np.float16)),
             (y.reshape(2, -1).T, x.reshape(2, -1).T)]  # small, strided, half precision, Fortran order
    for a, b in cases:
        assert blas._routine("axpy", a, b) is None
        got = a.copy()
        blas.axpy_(got, 2.0, b, np.empty_like(b))
        np.testing.assert_allclose(got, a + np.asarray(2.0, a.dtype) * b, rtol=1e-3)


def test_work_array_may_be_x_itself():
    y, x = arrays(10, np.float32)  # the NumPy path, which writes into the work array
    want = 0.5 * y + 2.0 * x
    got = y.copy()
    blas.axpby_(got, 0.5, 2.0, x, x)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_without_a_known_blas_numpy_does_it(monkeypatch):
    monkeypatch.setattr(blas, "_found", [])
    y, x = arrays(2 * blas.MIN_SIZE, np.float32)
    assert blas._routine("axpy", y, x) is None
    got = y.copy()
    blas.axpby_(got, 0.9, 0.1, x, np.empty_like(x))
    np.testing.assert_allclose(got, 0.9 * y + 0.1 * x, rtol=1e-6, atol=1e-7)

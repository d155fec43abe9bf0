"""set_num_threads / get_num_threads drive NumPy's BLAS."""
import time

import numpy as np
import pytest

import chainrule as cr
from chainrule.backends import blas as blas_library

blas = pytest.mark.skipif(not blas_library.libraries(), reason="NumPy's BLAS is neither OpenBLAS nor MKL here")


@pytest.fixture
def restore_threads():
    before = cr.get_num_threads()
    yield
    cr.set_num_threads(before)


@blas
def test_set_num_threads_is_what_get_num_threads_and_threadpoolctl_report(restore_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    for n in (1, 2, 3):
        cr.set_num_threads(n)
        assert cr.get_num_threads() == n
        assert {i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"} == {n}


@blas
def test_one_thread_keeps_a_large_product_on_one_core(restore_threads):
    cr.set_num_threads(1)
    a = np.random.default_rng(0).standard_normal((1024, 1024), dtype=np.float32)
    a @ a
    time.sleep(0.5)  # workers of earlier multi-threaded products spin a while before they sleep
    ratios = []
    for _ in range(3):  # other threads of the process can only add CPU time: the least of three counts
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(10):
            a @ a
        ratios.append((time.process_time() - cpu) / (time.perf_counter() - wall))
    assert min(ratios) < 1.2  # with more threads the process would use more CPU time than elapsed time


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_thread_counts_are_refused(bad):
    with pytest.raises(ValueError, match=f"set_num_threads expects a positive integer, got {bad!r}"):
        cr.set_num_threads(bad)


def test_without_a_known_blas_both_say_so(monkeypatch):
    monkeypatch.setattr(blas_library, "_found", [])  # as on a NumPy built with another BLAS
    with pytest.raises(RuntimeError, match="set_num_threads: no OpenBLAS or MKL library found"):
        cr.set_num_threads(2)
    with pytest.raises(RuntimeError, match="get_num_threads: no OpenBLAS or MKL library found"):
        cr.get_num_threads()

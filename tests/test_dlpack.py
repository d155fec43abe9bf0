"""Zero-copy exchange of arrays: NumPy (from_numpy, numpy()) and the DLPack protocol (PyTorch and NumPy)."""
import numpy as np
import pytest

import chainrule as cr
from tests.conftest import requires_torch, torch

DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_]


@pytest.mark.parametrize("dtype", DTYPES)
def test_from_numpy_and_numpy_share_memory(dtype):
    a = np.zeros((2, 3), dtype=dtype)
    t = cr.from_numpy(a)
    assert t.dtype == a.dtype and np.shares_memory(t.numpy(), a)
    a[1, 2] = 1
    assert t[1, 2].item() == 1
    t.numpy()[0, 0] = 1
    assert a[0, 0] == 1


def test_tensor_copies_as_in_pytorch():
    a = np.zeros(3, np.float32)
    assert not np.shares_memory(cr.tensor(a).numpy(), a)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dlpack_with_numpy_both_ways(dtype):
    t = cr.from_numpy(np.arange(6).reshape(2, 3).astype(dtype))
    a = np.from_dlpack(t)
    assert a.dtype == t.dtype and np.shares_memory(a, t.numpy())
    back = cr.from_dlpack(a)
    assert np.shares_memory(back.numpy(), t.numpy())
    assert t.__dlpack_device__() == (1, 0)  # kDLCPU, device 0


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_dlpack_with_pytorch_both_ways(dtype):
    t = cr.from_numpy(np.arange(12).reshape(3, 4).astype(dtype))
    theirs = torch.from_dlpack(t)
    assert theirs.shape == (3, 4) and str(theirs.dtype).endswith(np.dtype(dtype).name.replace("bool_", "bool"))
    theirs[0, 0] = 1  # written by PyTorch, seen by chainrule: the same memory
    assert t[0, 0].item() == 1
    source = torch.arange(8, dtype=torch.float32).reshape(2, 4)
    ours = cr.from_dlpack(source)
    source[1, 3] = -5.0
    assert ours[1, 3].item() == -5.0 and ours.dtype == np.float32


@requires_torch
def test_dlpack_of_a_non_contiguous_view():
    base = cr.from_numpy(np.arange(12, dtype=np.float32).reshape(3, 4))
    view = base.T[1:]
    theirs = torch.from_dlpack(view)
    np.testing.assert_array_equal(theirs.numpy(), view.numpy())
    theirs[0, 0] = 100.0
    assert base[0, 1].item() == 100.0


def test_tensor_that_requires_grad_is_not_exported():
    t = cr.ones(3, requires_grad=True)
    with pytest.raises(BufferError, match="require gradient, use tensor.detach"):
        np.from_dlpack(t)
    assert np.shares_memory(np.from_dlpack(t.detach()), t.detach().numpy())


def test_from_dlpack_refuses_other_objects():
    with pytest.raises(TypeError, match="expects an object with __dlpack__.*got list"):
        cr.from_dlpack([1, 2, 3])

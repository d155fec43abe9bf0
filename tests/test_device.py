"""chainrule.device and chainrule.cuda: PyTorch scripts that choose a device run unchanged on the CPU."""
import numpy as np
import pytest

import chainrule as cr
from tests.conftest import requires_torch

try:
    import torch
except ImportError:
    torch = None

SPELLINGS = [("cpu",), ("cuda",), ("cuda:1",), ("cpu", 0), ("cuda", 2), ("mps",)]


@requires_torch
@pytest.mark.parametrize("args", SPELLINGS, ids=str)
def test_devices_read_and_print_as_in_torch(args):
    ours, theirs = cr.device(*args), torch.device(*args)
    assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
    assert ours == cr.device(*args) and hash(ours) == hash(cr.device(*args))
    assert ours != cr.device("cpu", 7) and ours != str(ours)


@requires_torch
@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "cuda:-1"])
def test_bad_device_strings_are_refused(bad):
    with pytest.raises(RuntimeError):
        torch.device(bad)
    with pytest.raises(RuntimeError):
        cr.device(bad)


def test_the_usual_device_choice_ports_unchanged():
    device = cr.device("cuda" if cr.cuda.is_available() else "cpu")
    assert device == cr.device("cpu") and cr.cuda.device_count() == 0
    cr.cuda.manual_seed_all(0)
    cr.cuda.empty_cache()
    model = cr.nn.Linear(3, 2).to(device)
    x = cr.randn(4, 3, device=device).to(device)
    assert model(x).device == device
    assert cr.zeros(2, device="cpu:0").to("cpu").cpu().device == device


@pytest.mark.parametrize("move", [lambda: cr.zeros(2).cuda(), lambda: cr.nn.Linear(2, 2).cuda(),
                                  lambda: cr.zeros(2).to("cuda:0"), lambda: cr.nn.Linear(2, 2).to(cr.device("cuda")),
                                  lambda: cr.ones(2, device="cuda"), lambda: cr.zeros(2).to(device="mps")])
def test_moving_to_a_gpu_is_refused_clearly(move):
    with pytest.raises(RuntimeError, match="chainrule runs on the CPU only"):
        move()


def test_gpu_only_queries_say_there_is_no_gpu():
    for query in (cr.cuda.synchronize, cr.cuda.current_device, cr.cuda.get_device_name):
        with pytest.raises(RuntimeError, match="no CUDA device"):
            query()


def test_to_still_changes_dtype_next_to_a_device():
    x = cr.tensor(np.arange(3), dtype=cr.int64)
    y = x.to(cr.device("cpu"), cr.float32)
    assert y.dtype == cr.float32 and y.device == cr.device("cpu")

"""The Optimizer contract: groups, errors (PyTorch's messages), zero_grad, in-place updates outside the graph."""
import tracemalloc

import numpy as np
import pytest

from tests.conftest import requires_torch
from tests.optim.optim_harness import CASES, case_id, cr, cr_optim, optimizer, params, torch

BAD_OPTIONS = [
    ("SGD", dict(lr=-0.1)), ("SGD", dict(lr=0.1, momentum=-0.5)), ("SGD", dict(lr=0.1, weight_decay=-1)),
    ("SGD", dict(lr=0.1, nesterov=True)), ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-1.0)), ("Adam", dict(eps=-1e-8)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-0.1)), ("AdamW", dict(betas=(0.9, 1.5))),
    ("RMSprop", dict(alpha=-0.9)), ("RMSprop", dict(momentum=-1.0)), ("RMSprop", dict(eps=-1.0)),
    ("Adagrad", dict(lr_decay=-0.1)), ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adagrad", dict(eps=-1.0)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(lr=-1.0)),
]


def leaf(shape=(2, 3), lib=cr):
    return lib.zeros(shape, requires_grad=True)


def torch_error(fn):
    with pytest.raises(Exception) as info:
        fn(torch)
    return info.value


@requires_torch
@pytest.mark.parametrize("name, options", BAD_OPTIONS, ids=lambda x: str(x))
def test_invalid_hyperparameters_raise_torchs_error(name, options):
    expected = torch_error(lambda lib: getattr(lib.optim, name)([leaf(lib=lib)], **options))
    with pytest.raises(type(expected)) as info:
        getattr(cr_optim, name)([leaf()], **options)
    assert str(info.value) == str(expected)


@requires_torch
@pytest.mark.parametrize("make", [
    lambda lib, optim: optim.SGD([], lr=0.1),
    lambda lib, optim: optim.SGD(leaf(lib=lib), lr=0.1),
    lambda lib, optim: optim.SGD([leaf(lib=lib) * 2], lr=0.1),
    lambda lib, optim: optim.SGD([{"params": {leaf(lib=lib)}}], lr=0.1),
], ids=["empty", "single tensor", "non-leaf", "set"])
def test_bad_parameter_lists_raise_like_torch(make):
    expected = torch_error(lambda lib: make(lib, lib.optim))
    with pytest.raises(type(expected)):
        make(cr, cr_optim)


@requires_torch
def test_parameter_in_two_groups_raises_torchs_error():
    def make(lib):
        p = leaf(lib=lib)
        return lib.optim.Adam([{"params": [p]}, {"params": [leaf(lib=lib), p], "lr": 0.1}])
    expected = torch_error(make)
    with pytest.raises(ValueError) as info:
        make(cr)
    assert str(info.value) == str(expected)


def test_group_options_are_checked_too():
    opt = cr_optim.SGD([leaf()], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        opt.add_param_group({"params": [leaf()], "lr": -1})
    assert len(opt.param_groups) == 1


def test_non_tensor_parameter_is_rejected():
    with pytest.raises(TypeError, match="can only optimize Tensors.*ndarray"):
        cr_optim.SGD([np.zeros(3)], lr=0.1)


@requires_torch
@pytest.mark.parametrize("groups, other_groups", [([[0, 1]], [[0], [1]]), ([[0], [1, 2]], [[0], [1]])],
                         ids=["group count", "group size"])
def test_load_state_dict_with_other_groups_raises(groups, other_groups):
    def make(lib, layout):
        ps = [leaf(lib=lib) for _ in range(3)]
        return lib.optim.SGD([{"params": [ps[i] for i in g]} for g in layout], lr=0.1)
    expected = torch_error(lambda lib: make(lib, groups).load_state_dict(make(lib, other_groups).state_dict()))
    with pytest.raises(ValueError) as info:
        make(cr, groups).load_state_dict(make(cr, other_groups).state_dict())
    assert str(info.value).startswith(str(expected))


def test_load_state_dict_with_other_shapes_raises():
    a, b = leaf((2, 3)), leaf((4,))
    opt = cr_optim.Adam([a])
    a.grad = cr.ones(2, 3)
    opt.step()
    with pytest.raises(ValueError, match=r"parameter 0 \('exp_avg'\) has shape \(2, 3\).*shape \(4,\)"):
        cr_optim.Adam([b]).load_state_dict(opt.state_dict())


def test_group_options_and_defaults():
    a, b = leaf(), leaf()
    opt = cr_optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9]
    assert opt.param_groups[1]["params"] == [b]
    c = leaf()
    opt.add_param_group({"params": [c], "momentum": 0.0})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.0


def test_named_parameters_are_accepted():
    a, b = leaf(), leaf()
    opt = cr_optim.Adam([("w", a), ("b", b)])
    assert opt.param_groups[0]["params"][0] is a
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    p = leaf()
    p.grad = cr.ones(2, 3)
    grad = p.grad
    cr_optim.SGD([p], lr=0.1).zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert p.grad is None
    else:
        assert p.grad is grad and not grad.numpy().any()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_step_is_in_place_outside_the_graph_and_bumps_versions(case):
    ps = params(cr, [np.ones(s, np.float32) for s in [(3, 4), (5,)] * len(case[2])])
    opt = optimizer(cr_optim, case, ps)
    arrays, versions = [p._data for p in ps], [p._version for p in ps]
    for p in ps:
        p.grad = cr.ones(*p.shape)
    opt.step()
    for p, arr, v in zip(ps, arrays, versions):
        assert p._data is arr and p.is_leaf and p.requires_grad and p.dtype == np.float32
        assert p._version == v + 1
    for buffers in opt.state.values():
        for name, value in buffers.items():
            assert name == "step" or value.dtype == np.float32, name


def test_updated_parameter_cannot_be_used_by_a_stale_backward():
    p = cr.ones(3, requires_grad=True)
    loss = (p * p).sum()
    p.grad = cr.ones(3)
    cr_optim.SGD([p], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_steps_allocate_no_parameter_sized_memory(case):
    """Once the first steps have made the buffers (momentum's second step needs one more), steps reuse them."""
    big = cr.zeros(50_000, requires_grad=True)
    opt = getattr(cr_optim, case[0])([big], **case[1], **case[2][-1])
    big.grad = cr.ones(50_000)
    opt.step()
    opt.step()
    tracemalloc.start()
    try:
        opt.step()
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < big.nbytes // 10, f"a step allocated {peak} bytes"

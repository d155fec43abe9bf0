"""Run the same optimizer, parameter groups and gradients in chainrule and PyTorch."""
import numpy as np

import chainrule as cr
import chainrule.optim as cr_optim

try:
    import torch
except ImportError:
    torch = None

SHAPES = [(3, 4), (5,), (256, 160)]  # per group; the largest is updated by BLAS's vector routines

# (optimizer, constructor options, one dict of options per parameter group)
CASES = [
    ("SGD", dict(lr=0.1), [{}, dict(momentum=0.9, weight_decay=0.01), dict(momentum=0.9, nesterov=True, lr=0.05),
                           dict(momentum=0.5, dampening=0.3, maximize=True, weight_decay=0.1)]),
    ("Adam", dict(lr=0.01), [{}, dict(weight_decay=0.1, betas=(0.8, 0.99)), dict(amsgrad=True, lr=0.02),
                             dict(maximize=True, eps=1e-4, weight_decay=0.01, amsgrad=True)]),
    ("AdamW", dict(lr=0.01), [{}, dict(weight_decay=0.1, betas=(0.5, 0.9)), dict(amsgrad=True, maximize=True)]),
    ("RMSprop", dict(lr=0.01), [{}, dict(momentum=0.9, weight_decay=0.1), dict(centered=True, alpha=0.9),
                                dict(centered=True, momentum=0.5, maximize=True, eps=1e-3)]),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.1),
     [{}, dict(lr_decay=0.05, weight_decay=0.1), dict(eps=1e-3, maximize=True)]),
    ("Adadelta", dict(), [{}, dict(rho=0.5, weight_decay=0.1), dict(lr=0.5, eps=1e-3, maximize=True)]),
]


def case_id(case) -> str:
    return case[0]


def initial_arrays(n_groups: int, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for _ in range(n_groups) for s in SHAPES]


def gradient_stream(n_params: int, steps: int, seed: int = 1) -> list:
    """Per step, one gradient per parameter; None for the second parameter on odd steps (it is skipped)."""
    rng = np.random.default_rng(seed)
    stream = []
    for step in range(steps):
        grads = [rng.standard_normal(SHAPES[i % len(SHAPES)]).astype(np.float32) for i in range(n_params)]
        if step % 2:
            grads[1] = None
        stream.append(grads)
    return stream


def params(lib, arrays: list) -> list:
    return [lib.tensor(a.copy(), requires_grad=True) for a in arrays]


def optimizer(optim_module, case, ps: list):
    name, options, group_options = case
    groups = [dict(params=ps[len(SHAPES) * i: len(SHAPES) * (i + 1)], **g) for i, g in enumerate(group_options)]
    return getattr(optim_module, name)(groups, **options)


def run(lib, opt, ps: list, stream: list) -> None:
    """Feed each step's gradients and step."""
    for grads in stream:
        for p, g in zip(ps, grads):
            p.grad = None if g is None else lib.tensor(g)
        opt.step()


def values(ps: list) -> list:
    return [p.detach().numpy().copy() for p in ps]


def assert_params_close(ours: list, theirs: list, what: str) -> None:
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.dtype == np.float32, f"{what}: parameter {i} became {a.dtype}"
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6, err_msg=f"{what}: parameter {i}")


def torch_state_to_chainrule(state_dict: dict) -> dict:
    """A PyTorch optimizer state dict with its tensors turned into chainrule tensors."""
    def convert(v):
        return cr.tensor(v.detach().numpy()) if isinstance(v, torch.Tensor) else v
    return {"state": {k: {n: convert(v) for n, v in s.items()} for k, s in state_dict["state"].items()},
            "param_groups": [dict(g) for g in state_dict["param_groups"]]}


__all__ = ["CASES", "case_id", "cr", "cr_optim", "torch"]

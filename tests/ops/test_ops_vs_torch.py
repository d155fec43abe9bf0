"""Every operation in the table against PyTorch on float32 inputs: values, dtypes, every input's gradient."""
import numpy as np
import pytest

import chainrule as cr
from tests.conftest import requires_torch
from tests.ops.op_harness import as_outputs, assert_same, assert_same_grads, call, case_arrays, torch, torch_lib
from tests.ops.op_table import cases

pytestmark = requires_torch


@pytest.mark.parametrize("spec, shapes", cases())
def test_matches_torch(spec, shapes):
    arrays = [a.astype(np.float32) for a in case_arrays(spec, shapes)]
    ours = [cr.tensor(a, requires_grad=spec.grad) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=spec.grad) for a in arrays]
    outs, touts = as_outputs(call(spec, cr, ours)), as_outputs(call(spec, torch_lib(), theirs))
    assert len(outs) == len(touts)
    for i, (o, t) in enumerate(zip(outs, touts)):
        assert_same(o, t, f"output {i}", spec.atol, spec.rtol)
    if not spec.grad:
        return
    rng = np.random.default_rng(1)
    pairs = [(o, t) for o, t in zip(outs, touts) if t.requires_grad]
    seeds = [rng.standard_normal(t.shape).astype(np.float32) for _, t in pairs]
    grads = cr.autograd.grad([o for o, _ in pairs], ours, [cr.tensor(s) for s in seeds], allow_unused=True)
    tgrads = torch.autograd.grad([t for _, t in pairs], theirs, [torch.tensor(s) for s in seeds],
                                 allow_unused=True)
    assert_same_grads(grads, tgrads, spec.atol, spec.rtol)

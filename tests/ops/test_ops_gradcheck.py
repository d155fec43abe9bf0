"""Every differentiable operation in the table: backward against central finite differences (float64)."""
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck
from tests.ops.op_harness import call, case_arrays
from tests.ops.op_table import cases


@pytest.mark.parametrize("spec, shapes", cases(lambda s: s.grad and s.gradcheck))
def test_gradcheck(spec, shapes):
    inputs = [cr.tensor(a, dtype=cr.float64, requires_grad=True) for a in case_arrays(spec, shapes)]
    assert gradcheck(lambda *xs: call(spec, cr, list(xs)), inputs)

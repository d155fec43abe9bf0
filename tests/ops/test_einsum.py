"""einsum beyond the op table: how equations are read, and clear errors for the ones that cannot be."""
import numpy as np
import pytest

import chainrule as cr
from tests.conftest import requires_torch

try:
    import torch
except ImportError:
    torch = None

RNG = np.random.default_rng(0)


@requires_torch
@pytest.mark.parametrize("equation, shapes", [
    (" ij , jk -> ik ", [(2, 3), (3, 4)]),        # spaces
    ("...", [(2, 3)]),                             # the identity, by ellipsis alone
    ("i...j->j...i", [(2, 3, 4, 5)]),              # ellipsis in the middle, moved
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),  # a bilinear form, three operands
    ("ji", [(3, 2)]),                              # implicit output: indices in alphabetical order
])
def test_equations_read_as_torch_reads_them(equation, shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    ours = cr.einsum(equation, [cr.tensor(a) for a in arrays])
    theirs = torch.einsum(equation, [torch.tensor(a) for a in arrays])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("equation, shapes, message", [
    ("ij,jk->ik", [(2, 3)], "has 2 operand"),
    ("ij,jk->ik", [(2, 3), (4, 5)], "index 'j' has size 3 in one operand and 4"),
    ("ijk", [(2, 3)], "do not fit operand 0"),
    ("ij->ii", [(2, 2)], "invalid output subscripts"),
    ("ij->k", [(2, 2)], "invalid output subscripts"),
])
def test_bad_equations_are_refused_clearly(equation, shapes, message):
    with pytest.raises(RuntimeError, match=message):
        cr.einsum(equation, *[cr.zeros(*s) for s in shapes])


def test_numpy_einsum_on_tensors_stays_in_the_graph():
    """np.einsum applied to tensors (as a backward written in NumPy does) records chainrule's einsum."""
    a = cr.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    out = np.einsum("ij,ij->", a, a)
    assert isinstance(out, cr.Tensor) and out.requires_grad
    out.backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * a.detach().numpy())

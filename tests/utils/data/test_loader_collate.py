"""default_collate / default_convert: the same structure, values and dtypes as PyTorch's."""
import collections

import numpy as np
import pytest

import chainrule as cr
from chainrule.utils.data import default_collate, default_convert
from tests.conftest import requires_torch

Point = collections.namedtuple("Point", "x y")


def _same(ours, theirs):
    """Recursively compare a chainrule batch with a PyTorch batch: types, values, dtypes."""
    import torch
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, cr.Tensor), type(ours)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype, theirs.dtype)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and ours.keys() == theirs.keys()
        for k in theirs:
            _same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    else:
        assert ours == theirs


BATCHES = [
    [1.0, 2.5],
    [1, 2, 3],
    [True, False],
    [np.float64(1.5), np.float64(2.0)],
    [np.float32(1.5), np.float32(2.0)],
    [np.int32(3), np.int32(4)],
    [np.zeros(3), np.ones(3)],
    [np.zeros((2, 2), np.float32), np.ones((2, 2), np.float32)],
    [np.arange(3, dtype=np.uint8), np.arange(3, dtype=np.uint8)],
    [(np.ones(2, np.float32), 1), (np.zeros(2, np.float32), 0)],
    [[1, 2.0], [3, 4.0]],
    [{"image": np.ones(2, np.float32), "label": 3, "name": "a"},
     {"image": np.zeros(2, np.float32), "label": 4, "name": "b"}],
    [Point(1, 2.0), Point(3, 4.0)],
    [collections.OrderedDict(a=1), collections.OrderedDict(a=2)],
    ["a", "b"],
    [{"nested": (np.ones(1), [1, 2])}, {"nested": (np.zeros(1), [3, 4])}],
]


@requires_torch
@pytest.mark.parametrize("batch", BATCHES, ids=range(len(BATCHES)))
def test_default_collate_matches_torch(batch):
    import torch.utils.data as tud
    _same(default_collate(batch), tud.default_collate(batch))


def test_default_collate_stacks_chainrule_tensors():
    out = default_collate([cr.tensor([1.0, 2.0]), cr.tensor([3.0, 4.0])])
    assert out.dtype == np.float32 and out.shape == (2, 2)
    np.testing.assert_array_equal(out.numpy(), [[1, 2], [3, 4]])


@requires_torch
@pytest.mark.parametrize("batch", [[[1, 2], [3]], [np.zeros(2), np.zeros(3)], [np.array(["a"]), np.array(["b"])],
                                   [object(), object()]])
def test_default_collate_errors_like_torch(batch):
    import torch.utils.data as tud
    with pytest.raises(Exception) as theirs:
        tud.default_collate(batch)
    with pytest.raises(type(theirs.value)) as ours:
        default_collate(batch)
    assert str(ours.value)[:20] == str(theirs.value)[:20]


@requires_torch
@pytest.mark.parametrize("data", [np.zeros(2), 1.0, (np.zeros(1, np.float32), 2), np.float64(2.0),
                                  {"a": np.ones(2, np.int64)}, "text"])
def test_default_convert_matches_torch(data):
    import torch.utils.data as tud
    _same(default_convert(data), tud.default_convert(data))

"""Without MPI: a plain `python` run is a world of one, where the distributed API works unchanged; the
sampler matches PyTorch's; buckets are cut as documented; bad input gets clear errors."""
import datetime
import re

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.distributed.reducer import make_buckets
from chainrule.nn.parallel import DistributedDataParallel
from chainrule.train import fit
from chainrule.utils.data import DataLoader, TensorDataset
from tests.conftest import requires_torch
from tests.distributed import cases

NOT_INITIALIZED = "Default process group has not been initialized"


def test_a_plain_process_is_a_world_of_one(alone):
    dist = alone
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match=NOT_INITIALIZED):
        dist.get_rank()
    dist.init_process_group(backend="gloo", timeout=datetime.timedelta(seconds=5))
    assert (dist.is_initialized(), dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (True, 0, 1, "gloo")
    assert dist.is_rank_zero() and dist.from_rank_zero({"a": 1}) == {"a": 1}
    with pytest.raises(RuntimeError, match="twice"):
        dist.init_process_group()


def test_collectives_alone_leave_values_as_they_are(alone):
    dist = alone
    dist.init_process_group()
    t = cr.tensor([1.5, -2.0])
    for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX):
        dist.all_reduce(t, op=op)
    assert t.tolist() == [1.5, -2.0] and t.dtype == np.float32
    work = dist.broadcast(t, src=0, async_op=True)
    assert work.wait() and work.is_completed()
    out = [cr.zeros(2)]
    dist.all_gather(out, t)
    assert out[0].tolist() == [1.5, -2.0]
    objects = [None]
    dist.all_gather_object(objects, "x")
    assert objects == ["x"]
    dist.barrier()


@pytest.mark.parametrize("call, message", [
    (lambda d: d.init_process_group(backend="nccl"), "backend 'nccl' is not available"),
    (lambda d: d.init_process_group(world_size=2), "world_size=2 was given, but this job has 1 process: start it "
                                                   "with `mpirun -n 2"),
    (lambda d: d.init_process_group(rank=1), "rank=1 was given"),
    (lambda d: d.init_process_group(timeout=0), "timeout must be positive"),
])
def test_init_errors_say_what_was_expected(alone, call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call(alone)
    assert not alone.is_initialized()


def test_collective_errors(alone):
    dist = alone
    dist.init_process_group()
    with pytest.raises(ValueError, match="src must be a rank from 0 to 0, got 1"):
        dist.broadcast(cr.zeros(2), src=1)
    with pytest.raises(ValueError, match="one tensor per rank"):
        dist.all_gather([cr.zeros(2), cr.zeros(2)], cr.zeros(2))
    with pytest.raises(TypeError, match="AVG needs a floating point tensor"):
        dist.all_reduce(cr.tensor([1, 2]), op=dist.ReduceOp.AVG)
    with pytest.raises(ValueError, match="op must be a chainrule.distributed.ReduceOp"):
        dist.all_reduce(cr.zeros(2), op="sum")


def test_ddp_alone_trains_like_the_bare_model_and_prefixes_state_dict(alone):
    alone.init_process_group()
    bare, wrapped = cases.make_model("mlp", seed=4), cases.make_model("mlp", seed=4)
    ddp = DistributedDataParallel(wrapped)
    assert list(ddp.state_dict()) == ["module." + k for k in bare.state_dict()]
    opts = [cases.adam(m.parameters()) for m in (bare, ddp)]
    for step in range(3):
        x, y = (cr.tensor(a) for a in cases.batch(step))
        for model, opt in zip((bare, ddp), opts):
            opt.zero_grad()
            F.mse_loss(model(x), y).backward()
            opt.step()
    for (key, want), got in zip(bare.state_dict().items(), wrapped.state_dict().values()):
        np.testing.assert_array_equal(got.numpy(), want.numpy(), err_msg=key)
    restored = cases.make_model("mlp", seed=9)
    DistributedDataParallel(restored).load_state_dict(ddp.state_dict())
    np.testing.assert_array_equal(restored[0].weight.detach().numpy(), wrapped[0].weight.detach().numpy())


def test_ddp_errors(alone):
    model = cases.make_model("mlp", seed=0)
    with pytest.raises(ValueError, match=NOT_INITIALIZED):
        DistributedDataParallel(model)
    alone.init_process_group()
    with pytest.raises(ValueError, match="device_ids and output_device must be None"):
        DistributedDataParallel(model, device_ids=[0])
    with pytest.raises(RuntimeError, match="doesn't have any parameter that requires a gradient"):
        DistributedDataParallel(nn.ReLU())
    with pytest.raises(ValueError, match="bucket_cap_mb must be >= 0"):
        DistributedDataParallel(model, bucket_cap_mb=-1)


def test_fit_sets_the_sampler_epoch(alone):
    alone.init_process_group()
    data = TensorDataset(cr.tensor(cases.batch(0)[0]), cr.tensor(cases.batch(0)[1]))

    class Recording(alone.DistributedSampler):
        def set_epoch(self, epoch):
            seen.append(epoch)
            super().set_epoch(epoch)
    seen = []
    loader = DataLoader(data, batch_size=4, sampler=Recording(data))
    model = DistributedDataParallel(cases.make_model("mlp", seed=0))
    fit(model, nn.MSELoss(), cases.sgd(model.parameters()), loader, epochs=3, progress=False)
    assert seen == [0, 1, 2]


@requires_torch
@pytest.mark.parametrize("size", [1, 7, 10, 12])
@pytest.mark.parametrize("replicas", [1, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_shards_match_pytorch_without_shuffle(size, replicas, drop_last):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for rank in range(replicas):
        ours = cr.utils.data.DistributedSampler(range(size), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(size), replicas, rank, shuffle=False, drop_last=drop_last)
        assert (list(ours), len(ours)) == (list(theirs), len(theirs))


def test_sampler_shuffles_the_same_way_on_every_rank():
    from chainrule.utils.data.distributed import DistributedSampler
    shards = [DistributedSampler(range(9), 3, r, seed=1) for r in range(3)]
    for epoch in (0, 1):
        for s in shards:
            s.set_epoch(epoch)
        got = [list(s) for s in shards]
        assert sorted(sum(got, [])) == list(range(9))
        assert got == [list(DistributedSampler(range(9), 3, r, seed=1 + epoch)) for r in range(3)]
    assert got != [list(DistributedSampler(range(9), 3, r, seed=1)) for r in range(3)]
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
        DistributedSampler(range(9), 3, 3)


def test_buckets_take_parameters_last_first_up_to_the_cap():
    def param(n, dtype=np.float32):
        return nn.Parameter(cr.zeros(n, dtype=dtype))
    named = [("a", param(10)), ("b", param(30)), ("c", param(5, np.float64)), ("d", param(20)), ("e", param(20))]
    groups = [b.names for b in make_buckets(named, cap=200, first_cap=100)]
    # float32, from the end: e (80 B) fills the first bucket (100 B cap: d would make 160); d + b = 200 <= 200;
    # a goes alone; float64 c has a bucket of its own
    assert groups == [["e"], ["d", "b"], ["a"], ["c"]]
    assert [b.names for b in make_buckets(named, cap=0, first_cap=0)] == [["e"], ["d"], ["b"], ["a"], ["c"]]
    bucket = make_buckets(named, cap=10 ** 6, first_cap=10 ** 6)[0]
    assert bucket.buffer.dtype == np.float32 and bucket.buffer.shape == (80,)
    assert all(np.shares_memory(v, bucket.buffer) for v in bucket.views)

"""Real `mpirun -n 2` and `-n 3` jobs: data-parallel training equals one process on the global batch,
batch norm follows PyTorch's DistributedDataParallel, the collectives and the sampler are right, and
fit() logs and saves on rank 0 only."""
import re

import numpy as np
import pytest

from chainrule.distributed import DistributedSampler
from tests.conftest import requires_torch
from tests.distributed import cases
from tests.distributed.run_mpi import requires_mpi

pytestmark = requires_mpi
WORLDS = [2, 3]


@pytest.mark.parametrize("world", WORLDS)
@pytest.mark.parametrize("name", list(cases.CASES))
def test_ranks_train_like_one_process_on_the_global_batch(trained, world, name):
    run = trained(world)
    reference = cases.train_reference(name, world)
    for rank in range(world):
        got = run.case(rank, name)
        for key, want in cases.first_micro_batch_gradient(name, rank, world).items() if "no_sync" in name else ():
            np.testing.assert_allclose(got.pop(key), want, rtol=1e-5, atol=1e-7, err_msg=f"rank {rank}: {key}")
        assert sorted(got) == sorted(reference), f"rank {rank}: parameters or gradients missing"
        for key, want in reference.items():
            assert got[key].dtype == np.float32, f"rank {rank} {key}: {got[key].dtype}"
            np.testing.assert_allclose(got[key], want, rtol=1e-5, atol=1e-6, err_msg=f"{name}, rank {rank}: {key}")


@requires_torch
@pytest.mark.parametrize("world", WORLDS)
def test_batch_norm_as_pytorch_ddp(trained, world):
    """Each rank normalizes with its own batch; rank 0's running statistics are sent to all before
    every forward (so each rank ends with rank 0's statistics updated by its own last batch)."""
    import torch
    run = trained(world)
    start = cases.make_model("bn", seed=1)
    replicas = []
    for _ in range(world):
        m = torch.nn.Sequential(torch.nn.Linear(cases.IN, cases.HIDDEN), torch.nn.BatchNorm1d(cases.HIDDEN),
                                torch.nn.ReLU(), torch.nn.Linear(cases.HIDDEN, cases.OUT))
        m.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in start.state_dict().items()})
        replicas.append((m, torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)))
    for step in range(cases.STEPS):
        x, y = cases.batch(step)
        sent = {name: b.clone() for name, b in replicas[0][0].named_buffers()}  # rank 0's, before forward
        for rank, (m, opt) in enumerate(replicas):
            for name, b in m.named_buffers():
                b.copy_(sent[name])
            opt.zero_grad()
            torch.nn.functional.mse_loss(m(torch.from_numpy(cases.shard(x, rank, world))),
                                         torch.from_numpy(cases.shard(y, rank, world))).backward()
        for params in zip(*(m.parameters() for m, _ in replicas)):
            mean = sum(p.grad for p in params) / world
            for p in params:
                p.grad = mean.clone()
        for _, opt in replicas:
            opt.step()
    for rank, (m, _) in enumerate(replicas):
        got = run.case(rank, "batchnorm")
        for key, want in m.state_dict().items():
            np.testing.assert_allclose(got[key], want.numpy(), rtol=1e-5, atol=1e-6, err_msg=f"rank {rank}: {key}")


@pytest.mark.parametrize("world", WORLDS)
def test_collectives(trained, world):
    ranks = range(world)
    total = sum(r + 1 for r in ranks)
    for rank in ranks:
        got = trained(world).reports[rank]["collectives"]
        assert got["sum"] == [total, 2 * total]
        assert got["max"] == [world - 1, 0]
        assert got["avg"] == [[np.float32(sum(ranks) / world).item()], "float32", True]
        assert got["product"] == [int(np.prod([r + 2 for r in ranks])), 3 ** world]
        column = [(4 * i + 1) * total for i in range(3)]
        assert got["strided"][0] == column
        assert [row[1] for row in got["strided"][1]] == column  # written back into the parent's memory
        assert got["strided"][1][0][0] == 0 and got["strided"][1][2][3] == 11 * (rank + 1)
        assert got["broadcast"] == [[world - 1.0] * 2] * 2
        assert got["all_gather"] == [[r * 10.0] * 3 for r in ranks]
        assert got["objects"] == [{"rank": 0}, "text"]
        assert got["all_gather_object"] == [["rank", r, [r] * r] for r in ranks]


@pytest.mark.parametrize("world", WORLDS)
def test_sampler_gives_disjoint_shards_reshuffled_per_epoch(trained, world):
    shards = [trained(world).reports[r]["sampler"] for r in range(world)]
    for epoch in range(2):
        together = [shards[r][epoch] for r in range(world)]
        assert all(len(s) == -(-10 // world) for s in together)
        interleaved = [i for group in zip(*together) for i in group]  # rank r holds positions r, r + world, ...
        assert sorted(set(interleaved)) == list(range(10))  # everything, and only padding repeats
        assert interleaved[10:] == interleaved[:len(interleaved) - 10]
        for r in range(world):
            local = DistributedSampler(range(10), num_replicas=world, rank=r, seed=5)
            local.set_epoch(epoch)
            assert list(local) == together[r]  # the rank and world size came from the process group
    assert shards[0][0] != shards[0][1]


@pytest.mark.parametrize("world", WORLDS)
def test_fit_trains_in_step_and_only_rank_zero_logs_and_saves(trained, world):
    run = trained(world)
    assert run.reports[0]["fit_saves"].count("last.safetensors") == cases.FIT_EPOCHS
    assert all(run.reports[r]["fit_saves"] == [] for r in range(1, world))
    histories = [run.reports[r]["fit_history"] for r in range(world)]
    assert all(h == histories[0] for h in histories) and len(histories[0]) == cases.FIT_EPOCHS
    assert len(re.findall(r"^epoch \d+  loss", run.stderr, re.M)) == cases.FIT_EPOCHS
    final = [run.case(r, "fit") for r in range(world)]
    for key, value in final[0].items():
        for other in final[1:]:
            np.testing.assert_array_equal(other[key], value)
    assert not np.allclose(final[0]["module.0.weight"], cases.make_model("mlp", seed=1)[0].weight.detach().numpy())


@pytest.mark.parametrize("world", WORLDS)
def test_every_rank_raises_the_same_clear_error(trained, world):
    for rank in range(world):
        errors = trained(world).reports[rank]["errors"]
        assert errors["different_models"] == (
            "DistributedDataParallel expects the same model on every rank, but the parameters (name, shape, dtype) "
            "differ: ('weight', (2, 3), 'float32') on rank 0 against ('weight', (3, 3), 'float32') on rank 1")
        assert errors["unused_parameters"].startswith("Expected to have finished reduction in the prior iteration")
        assert "not used in producing loss: b.weight, b.bias, c.weight, c.bias. You can enable" in \
            errors["unused_parameters"]

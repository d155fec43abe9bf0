"""Run under `mpirun -n N`: every training case, the collectives, the sampler and fit(); each rank writes
what it got to OUTDIR/rank<r>.npz and OUTDIR/rank<r>.json for the tests to check."""
import json
import os
import sys

import numpy as np

import chainrule as cr
import chainrule.distributed as dist
import chainrule.train.loop as loop
from tests.distributed import cases


def collectives(rank, world):
    """Results of each collective with inputs whose results have a closed form."""
    out = {}
    t = cr.tensor([rank + 1.0, 2.0 * (rank + 1)])
    dist.all_reduce(t)
    out["sum"] = t.tolist()
    t = cr.tensor([float(rank), -float(rank)])
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    out["max"] = t.tolist()
    t = cr.tensor([float(rank)], dtype=cr.float32)
    work = dist.all_reduce(t, op=dist.ReduceOp.AVG, async_op=True)
    work.wait()
    out["avg"] = [t.tolist(), str(t.dtype), work.is_completed()]
    t = cr.tensor([rank + 2, 3], dtype=cr.int64)
    dist.all_reduce(t, op=dist.ReduceOp.PRODUCT)
    out["product"] = t.tolist()
    strided = cr.arange(12, dtype=cr.float32).reshape(3, 4) * (rank + 1)
    column = strided[:, 1]  # not contiguous
    dist.all_reduce(column)
    out["strided"] = [column.tolist(), strided.tolist()]
    t = cr.full((2, 2), float(rank))
    dist.broadcast(t, src=world - 1)
    out["broadcast"] = t.tolist()
    gathered = [cr.zeros(3) for _ in range(world)]
    dist.all_gather(gathered, cr.full((3,), rank * 10.0))
    out["all_gather"] = [g.tolist() for g in gathered]
    objects = [{"rank": rank}, "text"] if rank == 0 else [None, None]
    dist.broadcast_object_list(objects)
    out["objects"] = objects
    everyone = [None] * world
    dist.all_gather_object(everyone, ("rank", rank, [rank] * rank))
    out["all_gather_object"] = everyone
    dist.barrier()
    return out


def sampler_indices():
    sampler = dist.DistributedSampler(range(10), seed=5)
    epochs = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        epochs.append(list(sampler))
    return epochs


def errors(rank):
    """The messages of the errors every rank must raise together (so the job can go on)."""
    from chainrule import nn
    from chainrule.nn.parallel import DistributedDataParallel
    out = {}
    try:
        DistributedDataParallel(nn.Linear(3, 2 + rank))
    except RuntimeError as e:
        out["different_models"] = str(e)
    ddp = DistributedDataParallel(cases.make_model("heads", seed=0))
    x = cr.tensor(cases.batch(0)[0])
    ddp(x, False, False).sum().backward()  # heads b and c get no gradient
    try:
        ddp(x, False, False)
    except RuntimeError as e:
        out["unused_parameters"] = str(e)
    return out


def main(outdir):
    dist.init_process_group(timeout=60)
    rank, world = dist.get_rank(), dist.get_world_size()
    arrays = {}
    for name in cases.RUNS:
        for key, value in cases.train_ddp(name, rank, world).items():
            arrays[f"{name}/{key}"] = value
    saves = []
    real_save = loop.save
    loop.save = lambda obj, path: (saves.append(os.path.basename(path)), real_save(obj, path))
    model, history = cases.fit_on_ranks(os.path.join(outdir, "fit"))
    for key, value in model.state_dict().items():
        arrays["fit/" + key] = value.numpy()
    report = {"rank": rank, "world": world, "rank_from_group": dist.get_rank(), "collectives": collectives(rank, world),
              "sampler": sampler_indices(), "errors": errors(rank), "fit_saves": saves, "fit_history": list(history)}
    np.savez(os.path.join(outdir, f"rank{rank}.npz"), **arrays)
    with open(os.path.join(outdir, f"rank{rank}.json"), "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main(sys.argv[1])

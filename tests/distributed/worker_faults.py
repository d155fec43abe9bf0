"""Run under `mpirun -n 2`: one rank fails in a given way while the other keeps training.

    raise   rank 1 raises in the middle of training
    kill    rank 1 is killed (SIGKILL) in the middle of fit's second epoch, after a checkpoint
    hang    rank 1 stops answering (sleeps) while rank 0 waits in a collective with a 2 s timeout
    resume  fit resumes from the checkpoint of `kill`; the final parameters go to OUTDIR/resumed<r>.npz
"""
import os
import signal
import sys
import time

import numpy as np

import chainrule as cr
import chainrule.distributed as dist
import chainrule.nn.functional as F
from chainrule.nn.parallel import DistributedDataParallel
from chainrule.train import Callback
from tests.distributed import cases


class KillRankOne(Callback):
    def on_batch_end(self, state):
        if dist.get_rank() == 1 and state["epoch"] == 1 and state["step"] % 6 == 2:
            os.kill(os.getpid(), signal.SIGKILL)


def train_until_rank_one_raises():
    model = DistributedDataParallel(cases.make_model("mlp", seed=1))
    opt = cases.sgd(model.parameters())
    for step in range(1000):
        if dist.get_rank() == 1 and step == 3:
            raise ValueError("a deliberate failure on rank 1")
        x, y = cases.batch(step)
        opt.zero_grad()
        F.mse_loss(model(cr.tensor(x)), cr.tensor(y)).backward()
        opt.step()


def main(mode, outdir):
    dist.init_process_group(timeout=2 if mode == "hang" else 60)
    rank = dist.get_rank()
    if mode == "raise":
        train_until_rank_one_raises()
    elif mode == "kill":
        cases.fit_on_ranks(os.path.join(outdir, "fit"), callbacks=[KillRankOne()])
    elif mode == "hang":
        if rank == 1:
            time.sleep(120)
        dist.barrier()
    elif mode == "resume":
        model, _ = cases.fit_on_ranks(os.path.join(outdir, "fit"), resume=True)
        np.savez(os.path.join(outdir, f"resumed{rank}.npz"), **{k: v.numpy() for k, v in model.state_dict().items()})
    print(f"rank {rank} finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

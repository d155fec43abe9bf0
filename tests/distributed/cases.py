"""What the MPI workers train, shared with the tests that compute the single-process reference.

Every rank starts from a different random initialization (seeded by its rank), so the results only
agree if DistributedDataParallel really broadcasts rank 0's parameters; the reference starts from
rank 0's. Batches are drawn per step from a fixed seed; rank r trains on the r-th equal slice of
the global batch.
"""
import contextlib

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn, optim

GLOBAL_BATCH = 12  # divisible by 2 and 3 ranks
STEPS = 4
IN, HIDDEN, OUT = 5, 7, 3


def batch(step):
    rng = np.random.default_rng(1000 + step)
    return (rng.standard_normal((GLOBAL_BATCH, IN)).astype(np.float32),
            rng.standard_normal((GLOBAL_BATCH, OUT)).astype(np.float32))


def shard(array, rank, world):
    size = len(array) // world
    return array[rank * size:(rank + 1) * size]


class Heads(nn.Module):
    """A trunk and three heads: `b` is used on odd steps only (by every rank), `c` by rank 0 only."""

    def __init__(self):
        super().__init__()
        self.trunk = nn.Linear(IN, HIDDEN)
        self.a, self.b, self.c = nn.Linear(HIDDEN, OUT), nn.Linear(HIDDEN, OUT), nn.Linear(HIDDEN, OUT)

    def forward(self, x, use_b, use_c):
        h = self.trunk(x).tanh()
        out = self.a(h)
        if use_b:
            out = out + self.b(h)
        if use_c:
            out = out + self.c(h)
        return out


def make_model(kind, seed):
    cr.manual_seed(seed)
    if kind == "mlp":
        return nn.Sequential(nn.Linear(IN, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                             nn.Linear(HIDDEN, OUT))
    if kind == "bn":
        return nn.Sequential(nn.Linear(IN, HIDDEN), nn.BatchNorm1d(HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, OUT))
    return Heads()


def sgd(params):
    return optim.SGD(params, lr=0.1, momentum=0.9)


def adam(params):
    return optim.Adam(params, lr=0.01)


# name: (model kind, optimizer, DistributedDataParallel options, micro-batches per step)
CASES = {
    "sgd": ("mlp", sgd, {}, 1),
    "sgd_bucket_per_parameter": ("mlp", sgd, {"bucket_cap_mb": 0}, 1),
    "sgd_small_buckets_as_views": ("mlp", sgd, {"bucket_cap_mb": 1e-4, "gradient_as_bucket_view": True}, 1),
    "sgd_no_overlap": ("mlp", sgd, {"overlap": False, "bucket_cap_mb": 1e-4}, 1),
    "adam": ("mlp", adam, {}, 1),
    "adam_bucket_per_parameter": ("mlp", adam, {"bucket_cap_mb": 0}, 1),
    "sgd_no_sync_accumulation": ("mlp", sgd, {}, 2),
    "sgd_find_unused_parameters": ("heads", sgd, {"find_unused_parameters": True}, 1),
}
# batch norm differs from one process by design (each rank normalizes with its own batch's statistics):
# it is compared with PyTorch's DistributedDataParallel semantics instead
RUNS = dict(CASES, batchnorm=("bn", sgd, {}, 1))


def forward(model, kind, x, step, rank):
    if kind == "heads":
        return model(x, step % 2 == 1, rank == 0)
    return model(x)


def train_ddp(name, rank, world):
    """Run a case on this rank; the final state and last gradients as arrays."""
    from chainrule.nn.parallel import DistributedDataParallel
    kind, make_optimizer, options, micro = RUNS[name]
    model = make_model(kind, seed=rank + 1)
    ddp = DistributedDataParallel(model, **options)
    opt = make_optimizer(ddp.parameters())
    local = {}
    for step in range(STEPS):
        x, y = (shard(a, rank, world) for a in batch(step))
        opt.zero_grad()
        for k, (xs, ys) in enumerate(zip(np.array_split(x, micro), np.array_split(y, micro))):
            with ddp.no_sync() if k < micro - 1 else contextlib.nullcontext():  # average once, at the last
                (F.mse_loss(forward(ddp, kind, cr.tensor(xs), step, rank), cr.tensor(ys)) / micro).backward()
            if step == 0 and k == 0 and micro > 1:  # after a backward under no_sync: this rank's own gradient
                local = {"no_sync_grad." + n: p.grad.numpy().copy() for n, p in model.named_parameters()}
        opt.step()
    return dict(snapshot(model), **local)


def first_micro_batch_gradient(name, rank, world):
    """The gradient of rank `rank`'s first micro-batch alone at step 0 (what no_sync must leave in .grad)."""
    kind, _, _, micro = CASES[name]
    model = make_model(kind, seed=1)
    x, y = (np.array_split(shard(a, rank, world), micro)[0] for a in batch(0))
    (F.mse_loss(model(cr.tensor(x)), cr.tensor(y)) / micro).backward()
    return {"no_sync_grad." + n: p.grad.numpy() for n, p in model.named_parameters()}


def train_reference(name, world):
    """The same training in one process over the global batch (rank 0's initialization)."""
    kind, make_optimizer, _, _ = CASES[name]
    model = make_model(kind, seed=1)
    opt = make_optimizer(model.parameters())
    for step in range(STEPS):
        x, y = batch(step)
        opt.zero_grad()
        if kind == "heads":  # each rank's shard goes through its own heads: the mean of the ranks' losses
            loss = sum(F.mse_loss(forward(model, kind, cr.tensor(shard(x, r, world)), step, r),
                                  cr.tensor(shard(y, r, world))) for r in range(world)) / world
        else:
            loss = F.mse_loss(model(cr.tensor(x)), cr.tensor(y))
        loss.backward()
        opt.step()
    return snapshot(model)


def snapshot(model):
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    state.update({"grad." + n: p.grad.numpy().copy() for n, p in model.named_parameters() if p.grad is not None})
    return state


# -- fit() on several ranks: shared by the uninterrupted run and the killed-then-resumed one ---------------

FIT_EPOCHS = 3
FIT_SAMPLES = 48


def fit_on_ranks(checkpoint_dir, resume=False, callbacks=()):
    from chainrule.distributed import DistributedSampler
    from chainrule.nn.parallel import DistributedDataParallel
    from chainrule.train import fit
    from chainrule.utils.data import DataLoader, TensorDataset
    rng = np.random.default_rng(7)
    x = rng.standard_normal((FIT_SAMPLES, IN)).astype(np.float32)
    y = rng.standard_normal((FIT_SAMPLES, OUT)).astype(np.float32)
    data = TensorDataset(cr.tensor(x), cr.tensor(y))
    loader = DataLoader(data, batch_size=4, sampler=DistributedSampler(data, seed=3))
    model = DistributedDataParallel(make_model("mlp", seed=cr.distributed.get_rank() + 1))
    history = fit(model, nn.MSELoss(), adam(model.parameters()), loader, epochs=FIT_EPOCHS,
                  checkpoint_dir=checkpoint_dir, resume=resume, callbacks=callbacks, progress=True)
    return model, history

"""`fit` and `evaluate`: the classic training cycle, with checkpoints that resume exactly.

One epoch = for every batch: forward, loss, `backward()`, (clip), optimizer
step; then evaluation on held-out data, scheduler step, history, callbacks,
checkpoint. Randomness is reseeded from (seed, epoch) at the start of each
epoch, so a run resumed from an epoch-end checkpoint replays the remaining
epochs bit for bit: a run killed mid-epoch and resumed ends with the same
weights as one that never stopped.

Data-parallel (under `DistributedDataParallel`): every rank runs this same
loop; a `DistributedSampler` is set to each epoch, rank 0's epoch row is used
on all ranks (history, early stopping), and only rank 0 prints and saves.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

import numpy as np

from ..autograd.grad_mode import no_grad
from ..distributed import from_rank_zero, is_rank_zero
from ..io.serialization import load, save, write_atomic
from ..ops.random import manual_seed
from ..tensor import Tensor

Metric = Callable[[Any, Any], float]


class Callback:
    """Override any of these to act during `fit` (the `state` dict is described in `fit`)."""

    def on_epoch_start(self, state: Dict[str, Any]) -> None: ...

    def on_batch_end(self, state: Dict[str, Any]) -> None: ...

    def on_epoch_end(self, state: Dict[str, Any]) -> None: ...


class History(list):
    """One dict per epoch ({'epoch', 'loss', 'val_loss', metrics..., 'lr', 'time'}), plus file output."""

    def column(self, key: str) -> List[Any]:
        return [row.get(key) for row in self]

    def to_csv(self, path: str) -> None:
        keys = list(dict.fromkeys(k for row in self for k in row))
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=keys)
        writer.writeheader()
        writer.writerows(self)
        write_atomic(path, lambda f: f.write(buf.getvalue().encode()))

    def to_json(self, path: str) -> None:
        write_atomic(path, lambda f: f.write(json.dumps(list(self), indent=1).encode()))


def _batch(batch: Any) -> tuple:
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    if isinstance(batch, dict) and {"input", "target"} <= set(batch):
        return batch["input"], batch["target"]
    raise TypeError(f"a batch must be (inputs, targets) or a dict with 'input' and 'target'; got {type(batch).__name__}")


def evaluate(model: Any, loader: Iterable, loss_fn: Optional[Callable] = None,
             metrics: Optional[Dict[str, Metric]] = None) -> Dict[str, float]:
    """Run `model` over `loader` in eval mode without recording a graph: mean loss and metrics.

    Metrics are computed on all predictions at once (not averaged per batch), so e.g. F1 is exact.
    """
    was_training = getattr(model, "training", False)
    model.eval()
    total, count, outputs, targets = 0.0, 0, [], []
    try:
        with no_grad():
            for batch in loader:
                x, y = _batch(batch)
                out = model(x)
                n = len(y)
                if loss_fn is not None:
                    total += float(loss_fn(out, y).item()) * n
                count += n
                if metrics:
                    outputs.append(out._data if isinstance(out, Tensor) else np.asarray(out))
                    targets.append(y._data if isinstance(y, Tensor) else np.asarray(y))
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the loader gave no batches")
    result: Dict[str, float] = {}
    if loss_fn is not None:
        result["loss"] = total / count
    if metrics:
        out_all, tgt_all = np.concatenate(outputs), np.concatenate(targets)
        for name, fn in metrics.items():
            result[name] = float(fn(out_all, tgt_all))
    return result


def _rng_states() -> Dict[str, Any]:
    from ..ops.random import get_rng_state
    return {"chainrule": get_rng_state()}


def _set_rng_states(states: Dict[str, Any]) -> None:
    from ..ops.random import set_rng_state
    set_rng_state(states["chainrule"])


def _progress(iterable: Iterable, total: Optional[int], desc: str, enabled: bool) -> Any:
    if not enabled:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _PlainProgress(iterable, total, desc)
    return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True)


class _PlainProgress:
    """A minimal progress line when tqdm is not installed."""

    def __init__(self, iterable: Iterable, total: Optional[int], desc: str) -> None:
        self.iterable, self.total, self.desc, self.n = iterable, total, desc, 0
        self.postfix = ""

    def __iter__(self) -> Any:
        for item in self.iterable:
            yield item
            self.n += 1
            if self.n % 20 == 0 or self.n == self.total:
                of = f"/{self.total}" if self.total else ""
                print(f"\r{self.desc} {self.n}{of} {self.postfix}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)

    def set_postfix(self, values: Dict[str, Any]) -> None:
        self.postfix = " ".join(f"{k}={v}" for k, v in values.items())


def fit(model: Any, loss_fn: Callable, optimizer: Any, train_loader: Iterable, val_loader: Optional[Iterable] = None,
        epochs: int = 1, *, scheduler: Any = None, metrics: Optional[Dict[str, Metric]] = None,
        clip_grad_norm: Optional[float] = None, monitor: str = "val_loss", mode: str = "min",
        early_stopping: Optional[int] = None, checkpoint_dir: Optional[str] = None, resume: bool = False,
        callbacks: Sequence[Callback] = (), seed: Optional[int] = 0, progress: bool = True) -> History:
    """Train `model` for `epochs` epochs; return the per-epoch `History`.

    scheduler: stepped once per epoch (ReduceLROnPlateau gets the monitored value).
    monitor / mode: the history key that early stopping and the best checkpoint watch
    ('val_loss' / 'min' by default; e.g. 'val_accuracy' / 'max'). Without validation data
    the training 'loss' is watched.
    early_stopping: stop after this many epochs without improvement of `monitor`.
    checkpoint_dir: writes `last.safetensors` (everything needed to resume) and
    `best.safetensors` (the best model weights), `history.csv` and `history.json` each epoch.
    resume: continue from `checkpoint_dir/last.safetensors` if it exists.
    seed: randomness (shuffling, dropout, ...) is reseeded from (seed, epoch) each epoch; None leaves it alone.
    callbacks: objects with on_epoch_start / on_batch_end / on_epoch_end(state), where state
    holds 'epoch', 'step', 'loss' (last batch), 'history', 'model', 'optimizer' and 'stop' (set True to stop).
    """
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    if clip_grad_norm is not None:
        from ..nn.utils import clip_grad_norm_
    history = History()
    lead = is_rank_zero()
    progress = progress and lead
    best = math.inf if mode == "min" else -math.inf
    start_epoch, stale = 0, 0
    last_path = os.path.join(checkpoint_dir, "last.safetensors") if checkpoint_dir else None
    if checkpoint_dir:
        os.makedirs(checkpoint_dir, exist_ok=True)
        if resume and os.path.exists(last_path):
            ckpt = load(last_path)
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt["optimizer"])
            if scheduler is not None and ckpt.get("scheduler") is not None:
                scheduler.load_state_dict(ckpt["scheduler"])
            _set_rng_states(ckpt["rng"])
            history.extend(ckpt["history"])
            start_epoch, best, stale = ckpt["epoch"] + 1, ckpt["best"], ckpt["stale"]
    if from_rank_zero(start_epoch) != start_epoch:
        raise RuntimeError(f"fit: this rank would resume at epoch {start_epoch + 1}, rank 0 at another one: "
                           f"checkpoint_dir must be on storage that every rank can read")
    state: Dict[str, Any] = {"model": model, "optimizer": optimizer, "history": history, "stop": False, "step": 0}
    for epoch in range(start_epoch, epochs):
        if seed is not None:
            manual_seed(seed * 1_000_003 + epoch)
        state["epoch"] = epoch
        if hasattr(getattr(train_loader, "sampler", None), "set_epoch"):
            train_loader.sampler.set_epoch(epoch)
        for cb in callbacks:
            cb.on_epoch_start(state)
        model.train()
        started = time.perf_counter()
        total, count = 0.0, 0
        total_batches = len(train_loader) if hasattr(train_loader, "__len__") else None
        bar = _progress(train_loader, total_batches, f"epoch {epoch + 1}/{epochs}", progress)
        for index, batch in enumerate(bar):
            x, y = _batch(batch)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            if clip_grad_norm is not None:
                clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            value = float(loss.item())
            if not math.isfinite(value):
                raise FloatingPointError(f"epoch {epoch + 1}, batch {index}: the loss is {value}; "
                                         f"lower the learning rate or clip gradients (clip_grad_norm=1.0)")
            n = len(y)
            total, count = total + value * n, count + n
            state["step"] += 1
            state["loss"] = value
            if hasattr(bar, "set_postfix"):
                bar.set_postfix({"loss": f"{total / count:.4f}"})
            for cb in callbacks:
                cb.on_batch_end(state)
        row: Dict[str, Any] = {"epoch": epoch + 1, "loss": total / max(count, 1)}
        if val_loader is not None:
            for k, v in evaluate(model, val_loader, loss_fn, metrics).items():
                row["val_" + k] = v
        row["lr"] = optimizer.param_groups[0]["lr"]
        row["time"] = time.perf_counter() - started
        row = from_rank_zero(row)
        history.append(row)
        key = monitor if monitor in row else "loss"
        improved = row[key] < best if mode == "min" else row[key] > best
        if improved:
            best, stale = row[key], 0
            if checkpoint_dir and lead:
                save(model.state_dict(), os.path.join(checkpoint_dir, "best.safetensors"))
        else:
            stale += 1
        if scheduler is not None:
            if type(scheduler).__name__ == "ReduceLROnPlateau":
                scheduler.step(row[key])
            else:
                scheduler.step()
        for cb in callbacks:
            cb.on_epoch_end(state)
        if checkpoint_dir and lead:
            save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "scheduler": scheduler.state_dict() if scheduler is not None else None,
                  "epoch": epoch, "best": best, "stale": stale, "history": list(history),
                  "rng": _rng_states()}, last_path)
            history.to_csv(os.path.join(checkpoint_dir, "history.csv"))
            history.to_json(os.path.join(checkpoint_dir, "history.json"))
        if progress:
            shown = "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items())
            print(shown, file=sys.stderr)
        if state["stop"] or (early_stopping is not None and stale >= early_stopping):
            break
    return history

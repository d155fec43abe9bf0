"""Train a classifier with `chainrule.train.fit`, watching test accuracy each epoch, and report the end."""
from __future__ import annotations

import argparse
import time
from typing import Any, Dict, Iterable, Optional

from chainrule import nn
from chainrule.train import accuracy, fit


def train_classifier(name: str, model: nn.Module, optimizer: Any, train_loader: Iterable, test_loader: Iterable,
                     args: argparse.Namespace, scheduler: Any = None, loss_fn: Optional[Any] = None) -> Dict[str, Any]:
    """Fit for args.epochs epochs (evaluating on `test_loader` after each; the model is never chosen by it)
    and return the final test accuracy and error, the epochs run and the wall time."""
    started = time.perf_counter()
    history = fit(model, loss_fn or nn.CrossEntropyLoss(), optimizer, train_loader, test_loader, args.epochs,
                  scheduler=scheduler, metrics={"accuracy": accuracy}, seed=args.seed, progress=not args.quiet)
    seconds = time.perf_counter() - started
    final = history[-1]["val_accuracy"]
    return {"test_accuracy": final, "test_error": 1 - final, "epochs": len(history),
            "seconds": round(seconds, 1), "seconds_per_epoch": round(seconds / len(history), 1),
            "history": history, "model": model, "name": name}


def summary(result: Dict[str, Any]) -> Dict[str, Any]:
    """The printable part of a result (no model, no history)."""
    return {k: v for k, v in result.items() if k not in ("history", "model", "name")}

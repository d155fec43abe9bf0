"""Train a classifier with `chainrule.train.fit`, watching test accuracy each epoch, and report the end."""
from __future__ import annotations

import argparse
import time
from typing import Any, Dict, Iterable

from chainrule import nn
from chainrule.train import accuracy, fit


def train_classifier(model: nn.Module, optimizer: Any, train_loader: Iterable, test_loader: Iterable,
                     args: argparse.Namespace, scheduler: Any = None) -> Dict[str, Any]:
    """Fit with cross-entropy for args.epochs epochs, evaluating on `test_loader` after each (only to
    watch: nothing is chosen by it); return the final test accuracy and error, the epochs and the time."""
    started = time.perf_counter()
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, test_loader, args.epochs,
                  scheduler=scheduler, metrics={"accuracy": accuracy}, seed=args.seed, progress=not args.quiet)
    seconds = time.perf_counter() - started
    final = history[-1]["val_accuracy"]
    return {"test_accuracy": final, "test_error": 1 - final, "epochs": len(history), "seconds": round(seconds, 1),
            "seconds_per_epoch": round(seconds / len(history), 1), "history": history, "model": model}

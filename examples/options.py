"""Command-line options shared by the examples, so a run can be shortened (`--epochs 1 --limit 500`)
or redirected (`--data`, `--out`) without editing the script."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Dict, Optional

# The data sets live beside the repository (../shared/datasets), unless CHAINRULE_DATASETS says otherwise.
DATASETS = Path(os.environ.get("CHAINRULE_DATASETS",
                               Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"))


def parser(description: str, *, epochs: int, lr: float, batch_size: Optional[int] = None,
           dataset: Optional[str] = None, out: Optional[str] = None, limits: bool = True) -> argparse.ArgumentParser:
    """The shared flags with this example's defaults: `batch_size` adds --batch-size, `dataset` --data,
    `out` --out, `limits` --limit and --test-limit."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--epochs", type=int, default=epochs, help="passes over the training data (default: %(default)s)")
    p.add_argument("--lr", type=float, default=lr, help="learning rate (default: %(default)s)")
    if batch_size is not None:
        p.add_argument("--batch-size", type=int, default=batch_size, help="training batch size (default: %(default)s)")
    if limits:
        p.add_argument("--limit", type=int, default=None,
                       help="train on N training samples only (a subset, for a short run)")
        p.add_argument("--test-limit", type=int, default=None, help="evaluate on N test samples only")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress output during training")
    if dataset is not None:
        p.add_argument("--data", default=str(DATASETS / dataset), help="the data folder (default: %(default)s)")
    if out is not None:
        p.add_argument("--out", default=out, help="folder for pictures and saved models (default: %(default)s)")
    return p


def check_positive(args: argparse.Namespace) -> None:
    """Refuse counts that cannot make a run, naming the flag."""
    for flag in ("epochs", "batch_size", "limit", "test_limit"):
        value = getattr(args, flag, None)
        if value is not None and value < 1:
            sys.exit(f"--{flag.replace('_', '-')} must be a positive number, got {value}")


def report(name: str, result: Dict[str, Any]) -> Dict[str, Any]:
    """Print the numbers and strings of the result on one line (accuracies and errors as percentages)."""
    shown = []
    for key, value in result.items():
        if not isinstance(value, (int, float, str)):
            continue
        if isinstance(value, float) and ("accuracy" in key or "error" in key):
            shown.append(f"{key.replace('_', ' ')} {value:.2%}")
        elif isinstance(value, float):
            shown.append(f"{key.replace('_', ' ')} {value:.4g}")
        else:
            shown.append(f"{key.replace('_', ' ')} {value}")
    print(f"{name}: " + ", ".join(shown), flush=True)
    return result

"""The built-in examples of `chainrule train NAME`: each is a training config, written as a
config file would be (see `chainrule.cli.training` for the fields), so an example is also a template.
`chainrule train NAME --print-config > my.json` writes one out to edit."""
from __future__ import annotations

import copy
from typing import Any, Dict


def _layer(kind: str, **args: Any) -> Dict[str, Any]:
    return {"type": kind, "args": args}


def _mlp(inputs: int, hidden: int, outputs: int, flatten: bool = False) -> Dict[str, Any]:
    layers = ([_layer("Flatten")] if flatten else []) + [
        _layer("Linear", in_features=inputs, out_features=hidden), _layer("ReLU"),
        _layer("Linear", in_features=hidden, out_features=outputs)]
    return {"type": "Sequential", "children": [[str(i), layer] for i, layer in enumerate(layers)]}


EXAMPLES: Dict[str, Dict[str, Any]] = {
    "blobs-mlp": {
        "description": "3 Gaussian blobs in 4 dimensions (synthetic, no files needed): an MLP, in a second",
        "data": {"kind": "blobs", "samples": 600, "features": 4, "classes": 3, "test_fraction": 0.25},
        "model": _mlp(4, 16, 3),
        "optimizer": {"type": "Adam", "lr": 0.01},
        "epochs": 10, "batch_size": 32, "val_fraction": 0.1, "seed": 0,
    },
    "mnist-mlp": {
        "description": "MNIST digits (IDX files in --data, default data/mnist): a 784-128-10 MLP on 12,000 "
                       "images, over 90% test accuracy in seconds",
        "data": {"kind": "mnist", "root": "data/mnist", "limit": 12000, "test_limit": 2000},
        "model": _mlp(784, 128, 10, flatten=True),
        "optimizer": {"type": "Adam", "lr": 0.001},
        "epochs": 3, "batch_size": 64, "val_fraction": 0.1, "seed": 0,
    },
    "fashion-mnist-mlp": {
        "description": "Fashion-MNIST clothing images (IDX files in --data, default data/fashion-mnist): "
                       "a 784-128-10 MLP",
        "data": {"kind": "fashion-mnist", "root": "data/fashion-mnist", "limit": 12000, "test_limit": 2000},
        "model": _mlp(784, 128, 10, flatten=True),
        "optimizer": {"type": "Adam", "lr": 0.001},
        "epochs": 3, "batch_size": 64, "val_fraction": 0.1, "seed": 0,
    },
}


def example(name: str) -> Dict[str, Any]:
    """A copy of the named example's config."""
    if name not in EXAMPLES:
        raise KeyError(f"no example named {name!r}; the examples are: {', '.join(EXAMPLES)} "
                       f"(or give a config file with --config)")
    return copy.deepcopy(EXAMPLES[name])

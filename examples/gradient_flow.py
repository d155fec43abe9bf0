"""Vanishing gradients found and cured: a 20-layer sigmoid MLP on MNIST, then the same depth with ReLU and
batch normalization, each watched by a GradientMonitor.

The sigmoid's derivative is at most 1/4, so every layer the gradient passes on its way back to the input
shrinks it: the first layers of the sigmoid network receive gradients about 10^-15 times the last layer's,
never learn, and the monitor says so (a warning naming the layers, with their numbers). ReLU passes
gradients unchanged where a unit is active, and batch normalization keeps every layer's inputs on the same
scale: all 20 layers get gradients of the same order and the network learns.

    python examples/gradient_flow.py                     # one epoch of each network, pictures in docs/images
    python examples/gradient_flow.py --limit 5000 --out /tmp
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Dict, Optional, Sequence

import chainrule as cr
from chainrule import nn, optim
from chainrule.diagnostics import GradientMonitor

from classify import train_classifier
from mnist_data import mnist_loaders
from options import check_positive, parser, report

DEPTH, WIDTH = 20, 64
DOCS_IMAGES = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "images"))


def deep_mlp(activation: type, batch_norm: bool) -> nn.Sequential:
    """DEPTH Linear layers of WIDTH units: [Linear, (BatchNorm1d), activation] × (DEPTH - 1), then Linear to 10."""
    layers: list = [nn.Flatten()]
    size = 28 * 28
    for _ in range(DEPTH - 1):
        layers.append(nn.Linear(size, WIDTH))
        if batch_norm:
            layers.append(nn.BatchNorm1d(WIDTH))
        layers.append(activation())
        size = WIDTH
    layers.append(nn.Linear(size, 10))
    return nn.Sequential(*layers)


def run(name: str, model: nn.Sequential, args: Any, loaders: tuple) -> Dict[str, Any]:
    """Train with a monitor attached; print its table and save its picture."""
    cr.manual_seed(args.seed)
    monitor = GradientMonitor(model)  # the one line: training below is unchanged
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = train_classifier(model, optim.SGD(model.parameters(), lr=args.lr, momentum=0.9), *loaders, args)
    monitor.remove()
    for w in caught:
        print(f"warning: {w.message}")
    print(f"\n{name}: the gradient flow at the last step")
    print(monitor.table())
    result["flagged"] = len(monitor.flagged("vanishing"))
    norms = [monitor.steps[-1]["grad_norm"][layer] for layer in monitor.layers if "weight" in dict(
        model.get_submodule(layer).named_parameters()) and type(model.get_submodule(layer)) is nn.Linear]
    result["first/last layer gradient"] = norms[0] / norms[-1]
    try:
        path = os.path.join(args.out, f"gradient_flow_{name}.png")
        monitor.plot(path, title=f"{DEPTH}-layer MLP on MNIST, {name.replace('_', ' + ')}", ylim=(1e-20, 1e2))
        print(f"picture: {path}")
    except ImportError as e:
        print(e)
    return result


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    args = parser(__doc__.splitlines()[0], epochs=1, lr=0.05, batch_size=64, dataset="mnist",
                  out=DOCS_IMAGES).parse_args(argv)
    check_positive(args)
    os.makedirs(args.out, exist_ok=True)
    cr.manual_seed(args.seed)
    loaders = mnist_loaders(args.data, args.batch_size, args.limit, args.test_limit)
    results = {}
    for name, activation, batch_norm in (("sigmoid", nn.Sigmoid, False), ("relu_batchnorm", nn.ReLU, True)):
        cr.manual_seed(args.seed)
        results[name] = report(name, run(name, deep_mlp(activation, batch_norm), args, loaders))
    return results


if __name__ == "__main__":
    main()

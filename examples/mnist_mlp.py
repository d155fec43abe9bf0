"""A multilayer perceptron with hidden layers of 300 and 100 units on MNIST (LeCun, Bottou, Bengio &
Haffner, 1998, report 3.05% test error for this size without distortions).

784 pixels -> 300 -> 100 -> 10, with ReLU units (the paper's were sigmoidal), trained with SGD and
momentum, the learning rate decaying along a cosine over the epochs.

    python examples/mnist_mlp.py                        # the full run
    python examples/mnist_mlp.py --epochs 1 --limit 2000
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import chainrule as cr
from chainrule import nn, optim

from classify import train_classifier
from mnist_data import mnist_loaders
from options import check_positive, parser, report

PAPER_ERROR = 0.0305


def make_model() -> nn.Sequential:
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(),
                         nn.Linear(100, 10))


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    args = parser(__doc__.splitlines()[0], epochs=20, lr=0.05, batch_size=64, dataset="mnist").parse_args(argv)
    check_positive(args)
    cr.manual_seed(args.seed)
    train_loader, test_loader = mnist_loaders(args.data, args.batch_size, args.limit, args.test_limit)
    model = make_model()
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    result = train_classifier(model, optimizer, train_loader, test_loader, args, scheduler)
    report(f"MLP 300-100 (paper: {PAPER_ERROR:.2%} test error)", result)
    return result


if __name__ == "__main__":
    main()

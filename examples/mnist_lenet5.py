"""LeNet-5 on MNIST (LeCun, Bottou, Bengio & Haffner, 1998, "Gradient-based learning applied to
document recognition": 0.95% test error without distortions).

The architecture is the paper's: 5x5 convolutions with 6 then 16 maps, each followed by 2x2
subsampling, then layers of 120, 84 and 10 units, with the 28 x 28 digits padded to 32 x 32 as in
the paper. Modern substitutions, as most re-implementations make: ReLU instead of the scaled tanh,
max-pooling instead of trainable average subsampling, every C3 map connected to every S2 map, a
softmax output with cross-entropy instead of the Euclidean RBF units, and Adam with a cosine-decaying
learning rate instead of stochastic diagonal Levenberg-Marquardt. Trained for 20 epochs, as the paper.

    python examples/mnist_lenet5.py                     # the full run
    python examples/mnist_lenet5.py --epochs 1 --limit 2000
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import chainrule as cr
from chainrule import nn, optim

from classify import train_classifier
from mnist_data import mnist_loaders
from options import check_positive, parser, report

PAPER_ERROR = 0.0095


class LeNet5(nn.Module):
    """C1 conv 6@5x5 -> S2 pool -> C3 conv 16@5x5 -> S4 pool -> C5 120 -> F6 84 -> 10 outputs (logits)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # 28x28 (32x32 padded) -> 14x14
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2))             # -> 10x10 -> 5x5
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        return self.classifier(self.features(x))


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    args = parser(__doc__.splitlines()[0], epochs=20, lr=1e-3, batch_size=64, dataset="mnist").parse_args(argv)
    check_positive(args)
    cr.manual_seed(args.seed)
    train_loader, test_loader = mnist_loaders(args.data, args.batch_size, args.limit, args.test_limit)
    model = LeNet5()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    result = train_classifier(model, optimizer, train_loader, test_loader, args, scheduler)
    report(f"LeNet-5 (paper: {PAPER_ERROR:.2%} test error)", result)
    return result


if __name__ == "__main__":
    main()

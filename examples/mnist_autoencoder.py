"""An autoencoder on MNIST: an encoder squeezes each 784-pixel digit into a code of 32 numbers, a
decoder rebuilds the digit from the code alone; trained to make the rebuilt pixels match the input
(mean squared error), with no labels at all. Saves a picture of test digits above their reconstructions.

    python examples/mnist_autoencoder.py                # the full run
    python examples/mnist_autoencoder.py --epochs 1 --limit 2000 --out /tmp/ae
"""
from __future__ import annotations

import os
import time
from typing import Any, Dict, Optional, Sequence

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import DataLoader, TensorDataset
from chainrule.train import evaluate, fit, mean_squared_error

from figures import image_grid
from mnist_data import mnist_tensors
from options import check_positive, parser, report

CODE = 32


class Autoencoder(nn.Module):
    """784 -> 256 -> 32 (the code) -> 256 -> 784 pixels in [0, 1]."""

    def __init__(self, code: int = CODE) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 256), nn.ReLU(), nn.Linear(256, code))
        self.decoder = nn.Sequential(nn.Linear(code, 256), nn.ReLU(), nn.Linear(256, 28 * 28), nn.Sigmoid(),
                                     nn.Unflatten(1, (1, 28, 28)))

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        return self.decoder(self.encoder(x))


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    args = parser(__doc__.splitlines()[0], epochs=20, lr=1e-3, batch_size=128, dataset="mnist",
                  out=os.path.join("runs", "autoencoder")).parse_args(argv)
    check_positive(args)
    cr.manual_seed(args.seed)
    x_train, _ = mnist_tensors(args.data, True, args.limit, standardize=False)    # pixels in [0, 1]
    x_test, _ = mnist_tensors(args.data, False, args.test_limit, standardize=False)
    train_loader = DataLoader(TensorDataset(x_train, x_train), batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(TensorDataset(x_test, x_test), batch_size=1000)   # the target is the input

    model = Autoencoder()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    started = time.perf_counter()
    history = fit(model, nn.MSELoss(), optimizer, train_loader, epochs=args.epochs, seed=args.seed,
                  progress=not args.quiet)
    seconds = time.perf_counter() - started
    test_mse = evaluate(model, test_loader, metrics={"mse": mean_squared_error})["mse"]

    model.eval()
    with cr.no_grad():
        shown = x_test[:10]
        rebuilt = model(shown)
    picture = image_grid([list(shown.numpy()[:, 0]), list(rebuilt.numpy()[:, 0])],
                         os.path.join(args.out, "reconstructions.png"), row_labels=["input", f"from {CODE} numbers"])
    return report("MNIST autoencoder", {
        "test_mse": test_mse, "train_mse": history[-1]["loss"], "epochs": len(history),
        "seconds": round(seconds, 1), "seconds_per_epoch": round(seconds / len(history), 1), "picture": picture})


if __name__ == "__main__":
    main()

"""A recurrent network reading MNIST digits row by row: 28 steps of 28 pixels each, an LSTM (or GRU)
of 128 units carrying what it has seen so far, and a linear layer classifying its last state.

    python examples/mnist_rnn.py                        # the full run (LSTM)
    python examples/mnist_rnn.py --cell gru
    python examples/mnist_rnn.py --epochs 1 --limit 2000
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import chainrule as cr
from chainrule import nn, optim

from classify import train_classifier
from mnist_data import mnist_loaders
from options import check_positive, parser, report

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class RowReader(nn.Module):
    """(N, 1, 28, 28) images -> 28 rows as a sequence -> recurrent layer -> logits from the last step."""

    def __init__(self, cell: str = "lstm", hidden: int = 128) -> None:
        super().__init__()
        self.rnn = CELLS[cell](input_size=28, hidden_size=hidden, batch_first=True)
        self.head = nn.Linear(hidden, 10)

    def forward(self, images: cr.Tensor) -> cr.Tensor:
        rows = images.reshape(images.shape[0], 28, 28)   # (batch, time = row, features = pixels of the row)
        outputs, _ = self.rnn(rows)
        return self.head(outputs[:, -1])


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    p = parser(__doc__.splitlines()[0], epochs=5, lr=2e-3, batch_size=128, dataset="mnist")
    p.add_argument("--cell", choices=sorted(CELLS), default="lstm", help="the recurrent layer (default: %(default)s)")
    args = p.parse_args(argv)
    check_positive(args)
    cr.manual_seed(args.seed)
    train_loader, test_loader = mnist_loaders(args.data, args.batch_size, args.limit, args.test_limit)
    model = RowReader(args.cell)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    result = train_classifier(model, optimizer, train_loader, test_loader, args, scheduler)
    return report(f"MNIST row by row, {args.cell.upper()}", result)


if __name__ == "__main__":
    main()

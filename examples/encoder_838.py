"""The 8-3-8 encoder of Rumelhart, Hinton & Williams (1986, "Learning representations by
back-propagating errors"): eight one-hot patterns must pass through three hidden units and come
out again, so backpropagation has to invent a code for them; with sigmoid units it finds a
binary one (each of the eight patterns gets its own corner of the cube {0, 1}^3).

    python examples/encoder_838.py
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np

import chainrule as cr
from chainrule import nn, optim

from options import check_positive, parser, report


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    args = parser(__doc__.splitlines()[0], epochs=3000, lr=0.5, limits=False).parse_args(argv)
    check_positive(args)
    cr.manual_seed(args.seed)
    patterns = cr.eye(8)                                  # input = target: pattern i is unit i on
    encoder = nn.Sequential(nn.Linear(8, 3), nn.Sigmoid())
    decoder = nn.Sequential(nn.Linear(3, 8), nn.Sigmoid())
    model = nn.Sequential(encoder, decoder)
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.BCELoss()
    for epoch in range(args.epochs):                      # one step on all eight patterns per epoch
        optimizer.zero_grad()
        loss = loss_fn(model(patterns), patterns)
        loss.backward()
        optimizer.step()
        if not args.quiet and (epoch % (args.epochs // 10 or 1) == 0 or epoch == args.epochs - 1):
            print(f"epoch {epoch:5d}  loss {loss.item():.5f}")

    with cr.no_grad():
        hidden = encoder(patterns).numpy()
        output = decoder(encoder(patterns)).numpy()
    codes = [''.join(str(int(v > 0.5)) for v in row) for row in hidden]
    print("\npattern  hidden activations     code  output unit that wins")
    for i, (row, code) in enumerate(zip(hidden, codes)):
        print(f"   {i}     {'  '.join(f'{v:.2f}' for v in row)}      {code}   {int(output[i].argmax())}")
    return report("8-3-8 encoder", {
        "distinct_codes": len(set(codes)), "recalled": int((output.argmax(axis=1) == np.arange(8)).sum()),
        "largest_distance_from_binary": float(np.abs(hidden - np.round(hidden)).max()),
        "final_loss": float(loss.item())})


if __name__ == "__main__":
    main()

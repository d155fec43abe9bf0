"""ONNX conversions of the recurrent layers: one direction of one layer is one ONNX RNN, LSTM or GRU node.

chainrule runs a layer over packed rows (time-major, L·N rows of features),
so the input is reshaped to ONNX's (L, 1 direction, N, features) layout and
back. Weights are reordered to ONNX's gate order: PyTorch's LSTM gates are
(i, f, g, o), ONNX's (i, o, f, c); PyTorch's GRU gates (r, z, n), ONNX's
(z, r, h), whose linear_before_reset=1 is PyTorch's n = tanh(W_in x + b_in +
r (W_hn h + b_hn)). Biases become ONNX's [Wb, Rb].
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from ..nn.functional import recurrent as R
from ..nn.utils import rnn as packing
from .graph import Node, converts

_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2), "RNN": (0,)}


def _reorder(w: Optional[np.ndarray], order: Sequence[int]) -> Optional[np.ndarray]:
    """Gate blocks of the rows of w in ONNX's order."""
    if w is None:
        return None
    blocks = np.split(w, len(order), axis=0)
    return np.concatenate([blocks[k] for k in order], axis=0)


def _steps(n: Node, i: int) -> tuple:
    """The sequence length and batch size in each trace, and the direction, from the step schedule argument."""
    lengths, batches = [], []
    for steps in n.arg_runs(i):
        sizes = {b for _, b in steps}
        if len(sizes) != 1:
            raise n.fail("sequences of different lengths (a PackedSequence) cannot be exported; "
                         "export the model on a padded batch")
        lengths.append(len(steps))
        batches.append(sizes.pop())
    return lengths, batches, n.call.args[i][0][0].start != 0


def _recurrent(n: Node, kind: str, x: int, states: Sequence[int], weights: Sequence[int], **attrs) -> List[str]:
    """The ONNX node for one direction of one layer: x, initial states and (w_ih, w_hh, b_ih, b_hh)
    given as argument positions; returns (y, h_n) or (y, h_n, c_n) in chainrule's layouts."""
    g = n.g
    length, batch, reverse = _steps(n, len(n.call.args) - (2 if kind == "RNN" else 1))
    features = n.shape(x)[1]
    order = _ORDER[kind]
    w_ih, w_hh, b_ih, b_hh = (n.const(i, "a parameter") for i in weights)
    hidden = w_hh.shape[1]
    inputs = [g.op("Reshape", [n.input(x), g.sizes([length, batch, (features,) * len(length)], n.op)]),
              g.const(_reorder(w_ih, order)[None], "W"), g.const(_reorder(w_hh, order)[None], "R")]
    if b_ih is not None:
        bias = np.concatenate([_reorder(b_ih, order), _reorder(b_hh, order)])[None]
        inputs.append(g.const(bias, "B"))
    else:
        inputs.append("")
    inputs.append("")  # sequence_lens: every sequence has the full length
    for i in states:
        inputs.append("" if n.is_zeros(i) else g.unsqueeze(n.input(i), [0]))
    while inputs[-1] == "":
        inputs.pop()
    outs = g.op(kind, inputs, outputs=1 + len(states), hidden_size=int(hidden),
                direction="reverse" if reverse else "forward", **attrs)
    rows = [steps * b for steps, b in zip(length, batch)]
    y = g.op("Reshape", [outs[0], g.sizes([rows, (hidden,) * len(rows)], n.op)])
    return [y] + [g.squeeze(s, [0]) for s in outs[1:]]


@converts(R.LSTMLayer)
def lstm(n: Node) -> List[str]:
    if n.call.args[7] is not None:
        raise n.fail("LSTM with proj_size > 0: ONNX's LSTM operator has no projection")
    return _recurrent(n, "LSTM", 0, (1, 2), (3, 4, 5, 6))


@converts(R.GRULayer)
def gru(n: Node) -> List[str]:
    return _recurrent(n, "GRU", 0, (1,), (2, 3, 4, 5), linear_before_reset=1)


@converts(R.RNNLayer)
def rnn(n: Node) -> List[str]:
    activation = "Relu" if n.arg(len(n.call.args) - 1) else "Tanh"
    return _recurrent(n, "RNN", 0, (1,), (2, 3, 4, 5), activations=[activation])


@converts(packing._TakeRows, packing._PutRows)
def packed_rows(n: Node) -> List[str]:
    raise n.fail("packing or unpacking sequences (PackedSequence) cannot be exported; export the model on a "
                 "padded batch of equal-length sequences")

"""Recurrent layers as fused operations: one graph node runs one direction of a layer over a whole sequence.

Sequences are packed (the layout of `PackedSequence`): the rows of time step t
are `data[offset_t : offset_t + batch_sizes[t]]`, with the batch sorted by
decreasing length, so a sequence that has ended simply drops out of the rows
a step processes and its state stays frozen. A padded batch of equal lengths
is the case batch_sizes = (B, B, ..., B).

Forward: the input projection of all steps is one matmul (x @ W_ihᵀ); each
step adds one h @ W_hhᵀ to its slice and applies the gate nonlinearities in
place. Backward through time loops over the steps in reverse, keeping the
gradients of the gate pre-activations of every step; dW_ih, dW_hh, the biases
and the input gradient then come from one matmul (or sum) over all steps.

Gate order and parameter layout are PyTorch's: LSTM rows (i, f, g, o), GRU
rows (r, z, n) with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import numpy as np

from ...autograd.function import Function, once_differentiable
from ...ops import cat, reshape, stack, transpose, unbind
from ...tensor import Tensor
from .dropout import dropout as _dropout


def steps_of(batch_sizes: Sequence[int], reverse: bool = False) -> tuple:
    """(rows, batch) of each time step of packed data, in the order the recurrence visits them."""
    steps, start = [], 0
    for b in batch_sizes:
        steps.append((slice(start, start + b), b))
        start += b
    return tuple(reversed(steps)) if reverse else tuple(steps)


def _sigmoid_(a: np.ndarray) -> np.ndarray:
    """σ(a) in place, as (1 + tanh(a/2)) / 2: stable for any a."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def _dsigmoid(s: np.ndarray) -> np.ndarray:
    """σ' from σ's output: s (1 - s)."""
    return s - s * s


def _project(x: np.ndarray, w_ih: np.ndarray, bias: Optional[np.ndarray]) -> np.ndarray:
    """The input part of every step's pre-activations at once: x @ W_ihᵀ + bias, shape (N, gates)."""
    out = x @ w_ih.T
    if bias is not None:
        out += bias
    return out


def _parameter_grads(needs: Sequence[bool], x: np.ndarray, w_ih: np.ndarray, h_prev: np.ndarray,
                     d_in: np.ndarray, d_hh: np.ndarray) -> tuple:
    """dx, dW_ih, dW_hh, db_ih, db_hh from the pre-activation gradients of all steps (one BLAS call each).

    d_in: gradient of x @ W_ihᵀ + b_ih; d_hh: of h_prev @ W_hhᵀ + b_hh (the same array except for GRU).
    needs: which of (x, W_ih, W_hh, b_ih, b_hh) want a gradient.
    """
    return (d_in @ w_ih if needs[0] else None,
            d_in.T @ x if needs[1] else None,
            d_hh.T @ h_prev if needs[2] else None,
            d_in.sum(0) if needs[3] else None,
            d_hh.sum(0) if needs[4] else None)


class RNNLayer(Function):
    """Elman recurrence h' = act(W_ih x + b_ih + W_hh h + b_hh), act tanh or relu. Outputs (y, h_n)."""
    __slots__ = ("steps", "relu", "h_prev")

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, steps, relu):
        ctx.steps, ctx.relu = steps, relu
        y = _project(x, w_ih, None if b_ih is None else b_ih + b_hh)  # becomes the output, step by step
        h_prev = np.empty((x.shape[0], h0.shape[1]), dtype=y.dtype)
        h = h0.copy()
        w_hh_t = np.ascontiguousarray(w_hh.T)  # contiguous: BLAS is faster on it
        for rows, b in steps:
            hp = h_prev[rows]
            hp[...] = h[:b]
            a = y[rows]
            a += hp @ w_hh_t
            if relu:
                np.maximum(a, 0, out=a)
            else:
                np.tanh(a, out=a)
            h[:b] = a
        ctx.h_prev = h_prev
        ctx.save_for_backward(x, w_ih, w_hh, y)
        return y, h

    @staticmethod
    @once_differentiable
    def backward(ctx, dy, dh_n):
        x, w_ih, w_hh, y = ctx.saved_tensors
        local = y > 0 if ctx.relu else 1 - y * y  # act' of every step: relu' = [y > 0], tanh' = 1 - y²
        d_pre = np.empty_like(y)
        dh = dh_n.copy()
        for rows, b in reversed(ctx.steps):
            dhb = dh[:b]
            dhb += dy[rows]
            np.multiply(dhb, local[rows], out=d_pre[rows])
            np.matmul(d_pre[rows], w_hh, out=dhb)
        needs = ctx.needs_input_grad
        dx, dw_ih, dw_hh, db_ih, db_hh = _parameter_grads(needs[:1] + needs[2:6], x, w_ih, ctx.h_prev,
                                                          d_pre, d_pre)
        return dx, dh, dw_ih, dw_hh, db_ih, db_hh, None, None


class LSTMLayer(Function):
    """LSTM: gates i, f, o = σ(.), g = tanh(.) of W_ih x + b_ih + W_hh h + b_hh;
    c' = f c + i g, h' = o tanh(c') (projected, h' = (o tanh(c')) W_hrᵀ, when w_hr is given).
    Outputs (y, h_n, c_n)."""
    __slots__ = ("steps", "gates", "h_prev", "c_prev", "tanh_c", "m")

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, steps):
        ctx.steps = steps
        hidden = c0.shape[1]
        # σ(a) = (1 + tanh(a/2)) / 2: with the i, f, o columns of the weights halved, one tanh over the four
        # gates, then one scale and shift, gives σ for i, f, o and tanh for g
        scale = np.full(4 * hidden, 0.5, dtype=x.dtype)
        scale[2 * hidden:3 * hidden] = 1
        shift = 1 - scale  # 0.5 for i, f, o; 0 for g
        gates = x @ (w_ih.T * scale)  # the input part of every step at once; activated in place, kept
        if b_ih is not None:
            gates += (b_ih + b_hh) * scale
        w_hh_t = np.ascontiguousarray(w_hh.T) * scale  # contiguous: BLAS is faster on it
        n = x.shape[0]
        h_prev, y = np.empty((n, h0.shape[1]), dtype=gates.dtype), np.empty((n, h0.shape[1]), dtype=gates.dtype)
        c_prev, tanh_c = np.empty((n, hidden), dtype=gates.dtype), np.empty((n, hidden), dtype=gates.dtype)
        m = y if w_hr is None else np.empty_like(c_prev)  # o tanh(c), before the projection
        w_hr_t = None if w_hr is None else np.ascontiguousarray(w_hr.T)
        h, c = h0.copy(), c0.copy()
        hh = np.empty((h.shape[0], 4 * hidden), dtype=gates.dtype)
        for rows, b in steps:
            hp = h_prev[rows]
            hp[...] = h[:b]
            c_prev[rows] = c[:b]
            g = gates[rows]
            g += np.matmul(hp, w_hh_t, out=hh[:b])
            np.tanh(g, out=g)
            g *= scale
            g += shift
            cb = c[:b]
            cb *= g[:, hidden:2 * hidden]
            cb += g[:, :hidden] * g[:, 2 * hidden:3 * hidden]
            tc = tanh_c[rows]
            np.tanh(cb, out=tc)
            np.multiply(g[:, 3 * hidden:], tc, out=m[rows])
            if w_hr is not None:
                np.matmul(m[rows], w_hr_t, out=y[rows])
            h[:b] = y[rows]
        ctx.gates, ctx.h_prev, ctx.c_prev, ctx.tanh_c = gates, h_prev, c_prev, tanh_c
        ctx.m = None if w_hr is None else m
        ctx.save_for_backward(x, w_ih, w_hh, w_hr)
        return y, h, c

    @staticmethod
    @once_differentiable
    def backward(ctx, dy, dh_n, dc_n):
        x, w_ih, w_hh, w_hr = ctx.saved_tensors
        gates, c_prev, tanh_c = ctx.gates, ctx.c_prev, ctx.tanh_c
        hidden = dc_n.shape[1]
        i_, f_, g_, o_ = (slice(k * hidden, (k + 1) * hidden) for k in range(4))
        i, f, g, o = gates[:, i_], gates[:, f_], gates[:, g_], gates[:, o_]
        # local derivatives of every step at once: of c = f c_prev + i g w.r.t. the pre-activations of
        # i, f, g, of h = o tanh(c) w.r.t. o's, and of h w.r.t. c
        local = np.empty_like(gates)
        np.multiply(g, _dsigmoid(i), out=local[:, i_])
        np.multiply(c_prev, _dsigmoid(f), out=local[:, f_])
        np.multiply(i, 1 - g * g, out=local[:, g_])
        np.multiply(tanh_c, _dsigmoid(o), out=local[:, o_])
        dh_dc = o * (1 - tanh_c * tanh_c)
        d_gates = np.empty_like(gates)
        d_y = None if w_hr is None else np.empty_like(dy)  # gradient of each step's h, for dW_hr
        dh, dc = dh_n.copy(), dc_n.copy()
        for rows, b in reversed(ctx.steps):
            dhb, dcb = dh[:b], dc[:b]
            dhb += dy[rows]
            if w_hr is None:
                dm = dhb
            else:
                d_y[rows] = dhb
                dm = dhb @ w_hr
            dcb += dm * dh_dc[rows]
            dg = d_gates[rows]
            np.multiply(local[rows].reshape(b, 4, hidden)[:, :3], dcb[:, None], out=dg.reshape(b, 4, hidden)[:, :3])
            np.multiply(local[rows, o_], dm, out=dg[:, o_])
            dcb *= f[rows]
            np.matmul(dg, w_hh, out=dhb)
        needs = ctx.needs_input_grad
        dx, dw_ih, dw_hh, db_ih, db_hh = _parameter_grads(needs[:1] + needs[3:7], x, w_ih, ctx.h_prev,
                                                          d_gates, d_gates)
        dw_hr = d_y.T @ ctx.m if w_hr is not None and needs[7] else None
        return dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh, dw_hr, None


class GRULayer(Function):
    """GRU: r, z = σ(W_i x + b_i + W_h h + b_h), n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
    h' = (1 - z) n + z h. Outputs (y, h_n)."""
    __slots__ = ("steps", "gates", "h_prev", "hn")

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, steps):
        ctx.steps = steps
        hidden = h0.shape[1]
        two = 2 * hidden
        gates = _project(x, w_ih, b_ih)  # r, z, n: activated in place, kept
        if b_hh is not None:
            gates[:, :two] += b_hh[:two]  # b_hn stays inside r * (W_hn h + b_hn)
        n_rows = x.shape[0]
        h_prev = np.empty((n_rows, hidden), dtype=gates.dtype)
        hn, y = np.empty_like(h_prev), np.empty_like(h_prev)
        h = h0.copy()
        w_hh_t = np.ascontiguousarray(w_hh.T)  # contiguous: BLAS is faster on it
        for rows, b in steps:
            hp = h_prev[rows]
            hp[...] = h[:b]
            g = gates[rows]
            gh = hp @ w_hh_t
            g[:, :two] += gh[:, :two]
            rz = _sigmoid_(g[:, :two])
            hnb = hn[rows]
            hnb[...] = gh[:, two:]
            if b_hh is not None:
                hnb += b_hh[two:]
            n = g[:, two:]
            n += rz[:, :hidden] * hnb
            np.tanh(n, out=n)
            yb = y[rows]
            np.subtract(hp, n, out=yb)                       # h' = n + z (h - n)
            yb *= rz[:, hidden:]
            yb += n
            h[:b] = yb
        ctx.gates, ctx.h_prev, ctx.hn = gates, h_prev, hn
        ctx.save_for_backward(x, w_ih, w_hh)
        return y, h

    @staticmethod
    @once_differentiable
    def backward(ctx, dy, dh_n):
        x, w_ih, w_hh = ctx.saved_tensors
        gates, h_prev, hn = ctx.gates, ctx.h_prev, ctx.hn
        hidden = dh_n.shape[1]
        r_, z_, n_ = (slice(k * hidden, (k + 1) * hidden) for k in range(3))
        r, z, n = gates[:, r_], gates[:, z_], gates[:, n_]
        # local derivatives of every step at once, of h' = n + z (h - n) w.r.t. the pre-activations
        # of n and z, and of n's pre-activation w.r.t. r's
        dh_dn = (1 - z) * (1 - n * n)
        dh_dz = (h_prev - n) * _dsigmoid(z)
        dn_dr = hn * _dsigmoid(r)
        d_in, d_hh = np.empty_like(gates), np.empty_like(gates)
        dh = dh_n.copy()
        for rows, b in reversed(ctx.steps):
            dhb = dh[:b]
            dhb += dy[rows]
            dn, dhh = d_in[rows, n_], d_hh[rows]
            np.multiply(dhb, dh_dn[rows], out=dn)
            np.multiply(dhb, dh_dz[rows], out=dhh[:, z_])
            np.multiply(dn, r[rows], out=dhh[:, n_])         # W_hn h + b_hn is scaled by r
            np.multiply(dn, dn_dr[rows], out=dhh[:, r_])
            dhb *= z[rows]                                   # the direct path z h
            dhb += dhh @ w_hh
        d_in[:, :2 * hidden] = d_hh[:, :2 * hidden]  # r and z see x and h through the same sum
        needs = ctx.needs_input_grad
        dx, dw_ih, dw_hh, db_ih, db_hh = _parameter_grads(needs[:1] + needs[2:6], x, w_ih, h_prev, d_in, d_hh)
        return dx, dh, dw_ih, dw_hh, db_ih, db_hh, None


def _run_layer(mode: str, x: Tensor, state: Sequence[Tensor], weights: Sequence[Optional[Tensor]],
               steps: tuple) -> tuple:
    """One direction of one layer: (y, h_n) or, for LSTM, (y, h_n, c_n)."""
    if mode == "LSTM":
        return LSTMLayer.apply(x, state[0], state[1], *weights, steps)
    if mode == "GRU":
        return GRULayer.apply(x, state[0], *weights[:4], steps)
    return RNNLayer.apply(x, state[0], *weights[:4], steps, mode == "RNN_RELU")


def _run_stack(mode: str, data: Tensor, batch_sizes: Sequence[int], hx: Sequence[Tensor], params: Sequence[Tensor],
               has_biases: bool, num_layers: int, dropout: float, train: bool, bidirectional: bool) -> tuple:
    """All layers and directions over packed data (N, features); hx: the initial states, each
    (num_layers * directions, B, H). Returns (y, h_n) or (y, h_n, c_n).

    params per layer and direction: w_ih, w_hh, then b_ih, b_hh if has_biases, then (LSTM) w_hr if projected.
    """
    directions = 2 if bidirectional else 1
    per = 4 if has_biases else 2
    projected = mode == "LSTM" and len(params) == (per + 1) * num_layers * directions
    if len(params) != (per + projected) * num_layers * directions:
        raise ValueError(f"{mode.lower()} expects {per} parameters per layer and direction "
                         f"({per * num_layers * directions} in all), got {len(params)}")
    schedules = (steps_of(batch_sizes), steps_of(batch_sizes, reverse=True))
    initial = [unbind(s, 0) for s in hx]
    finals: list = [[] for _ in hx]
    out = data
    for layer in range(num_layers):
        if layer and dropout and train:  # between layers, never after the last
            out = _dropout(out, dropout, True)
        ys = []
        for d in range(directions):
            k = layer * directions + d
            group = list(params[k * (per + projected):(k + 1) * (per + projected)])
            weights = group[:per] + [None] * (4 - per) + (group[per:] if projected else [None])
            result = _run_layer(mode, out, [s[k] for s in initial], weights, schedules[d])
            ys.append(result[0])
            for final, value in zip(finals, result[1:]):
                final.append(value)
        out = ys[0] if directions == 1 else cat(ys, 1)
    return (out,) + tuple(stack(f, 0) for f in finals)


def _recurrent(mode: str, input: Tensor, args: tuple) -> tuple:
    """PyTorch's two call forms of torch.lstm / gru / rnn_tanh / rnn_relu:
    padded (input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first), or
    packed (data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional)."""
    if len(args) != 8:
        raise TypeError(f"{mode.lower()}() takes 9 arguments (input, hx, params, has_biases, num_layers, dropout, "
                        f"train, bidirectional, batch_first), got {len(args) + 1}")
    hx_of = (lambda h: tuple(h)) if mode == "LSTM" else (lambda h: (h,))
    if not isinstance(args[2], bool):  # packed: the third argument is params, not has_biases
        batch_sizes, hx, params, *options = args
        sizes = np.asarray(batch_sizes._data if isinstance(batch_sizes, Tensor) else batch_sizes).tolist()
        return _run_stack(mode, input, sizes, hx_of(hx), params, *options)
    hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first = args
    if input.ndim != 3:
        raise ValueError(f"{mode.lower()} expects input of shape (L, N, features) (or (N, L, features) with "
                         f"batch_first), got shape {tuple(input.shape)}")
    x = transpose(input, 0, 1) if batch_first else input
    steps, batch = x.shape[:2]
    out = _run_stack(mode, reshape(x, (steps * batch, x.shape[2])), [batch] * steps, hx_of(hx), params,
                     has_biases, num_layers, dropout, train, bidirectional)
    y = reshape(out[0], (steps, batch, out[0].shape[1]))
    return (transpose(y, 0, 1) if batch_first else y,) + out[1:]


def rnn_tanh(input: Tensor, *args: Any) -> tuple:
    """A stack of Elman layers with tanh (torch.rnn_tanh): returns (output, h_n)."""
    return _recurrent("RNN_TANH", input, args)


def rnn_relu(input: Tensor, *args: Any) -> tuple:
    """A stack of Elman layers with relu (torch.rnn_relu): returns (output, h_n)."""
    return _recurrent("RNN_RELU", input, args)


def lstm(input: Tensor, *args: Any) -> tuple:
    """A stack of LSTM layers (torch.lstm), hx = (h0, c0): returns (output, h_n, c_n)."""
    return _recurrent("LSTM", input, args)


def gru(input: Tensor, *args: Any) -> tuple:
    """A stack of GRU layers (torch.gru): returns (output, h_n)."""
    return _recurrent("GRU", input, args)


def _one_step(input: Tensor) -> tuple:
    return steps_of([input.shape[0]])


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor] = None,
                  b_hh: Optional[Tensor] = None) -> Tensor:
    """One step h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) for a batch (N, input) -> (N, hidden)."""
    return RNNLayer.apply(input, hx, w_ih, w_hh, b_ih, b_hh, _one_step(input), False)[1]


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor] = None,
                  b_hh: Optional[Tensor] = None) -> Tensor:
    """One step h' = relu(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) for a batch (N, input) -> (N, hidden)."""
    return RNNLayer.apply(input, hx, w_ih, w_hh, b_ih, b_hh, _one_step(input), True)[1]


def lstm_cell(input: Tensor, hx: Sequence[Tensor], w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor] = None,
              b_hh: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """One LSTM step for a batch: hx = (h, c), returns (h', c')."""
    return LSTMLayer.apply(input, hx[0], hx[1], w_ih, w_hh, b_ih, b_hh, None, _one_step(input))[1:]


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor] = None,
             b_hh: Optional[Tensor] = None) -> Tensor:
    """One GRU step for a batch (N, input) -> (N, hidden)."""
    return GRULayer.apply(input, hx, w_ih, w_hh, b_ih, b_hh, _one_step(input))[1]

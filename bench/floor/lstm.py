"""Floor of W4: one-layer LSTM, linear head on the last step, cross-entropy, Adam, backpropagation through time.

Gates are kept in the order (o, i, f, g) instead of PyTorch's (i, f, g, o): the three sigmoid gates are
then one block, and the three gates whose gradient is a multiple of dc are another. A sigmoid is
½·tanh(x/2) + ½, so with the sigmoid rows of the weights halved (a copy refreshed each step, stored
transposed: a product with a transposed view is up to a third slower at these sizes) one tanh over the
whole gate buffer activates all four gates. Per time step, forward:
    a = act(x W_ihᵀ + h W_hhᵀ + b);  c = f·c_prev + i·g;  h = o·tanh(c)
and backward, with dc carried from the next step:
    dc += dh·o·(1 - tanh²c);  d(i, f, g) = dc·(g, c_prev, i);  do = dh·tanh c
    dgates = d(o, i, f, g) · act';  dh = dgates W_hh;  dc = dc·f
The input projection of all steps and the weight gradients are one product each, outside the loop.
"""
from __future__ import annotations

import numpy as np

from .base import Floor
from .flat import Adam
from .losses import cross_entropy

TORCH_TO_OURS = [3, 0, 1, 2]  # block k of ours is block TORCH_TO_OURS[k] of (i, f, g, o)
OURS_TO_TORCH = [1, 2, 3, 0]


def _reorder(a: np.ndarray, order: list) -> np.ndarray:
    blocks = np.split(a, 4, axis=0)
    return np.concatenate([blocks[k] for k in order], axis=0)


class LSTM(Floor):
    """Parameters named as in `Net(lstm=nn.LSTM(...), head=nn.Linear(...))`."""

    def __init__(self, params: dict, x: np.ndarray, y: np.ndarray, lr: float = 1e-3) -> None:
        self.flat = self._flatten(params)
        p, g = self.flat.params, self.flat.grads
        self.w_ih, self.w_hh = p["lstm.weight_ih_l0"], p["lstm.weight_hh_l0"]
        self.b_ih, self.b_hh = p["lstm.bias_ih_l0"], p["lstm.bias_hh_l0"]
        self.w_out, self.b_out = p["head.weight"], p["head.bias"]
        self.g_ih, self.g_hh = g["lstm.weight_ih_l0"], g["lstm.weight_hh_l0"]
        self.gb_ih, self.gb_hh = g["lstm.bias_ih_l0"], g["lstm.bias_hh_l0"]
        self.g_out, self.gb_out = g["head.weight"], g["head.bias"]
        steps, batch, _ = x.shape
        hid = self.w_hh.shape[1]
        self.x, self.y, self.hid = x, y, hid
        e = np.empty
        self.scale = np.ones(4 * hid, np.float32)
        self.scale[:3 * hid] = 0.5
        self.w_ih_st, self.w_hh_st = e(self.w_ih.shape[::-1], np.float32), e(self.w_hh.shape[::-1], np.float32)
        self.b_s = e(4 * hid, np.float32)
        self.xw = e((steps, batch, 4 * hid), np.float32)
        self.act = e((steps, batch, 4 * hid), np.float32)
        self.hs = np.zeros((steps + 1, batch, hid), np.float32)  # hs[t] is the h entering step t
        self.cs = np.zeros((steps + 1, batch, hid), np.float32)
        self.tc = e((steps, batch, hid), np.float32)
        self.tmp = e((batch, hid), np.float32)
        self.deriv = e((steps, batch, 4 * hid), np.float32)
        self.dcell = e((steps, batch, hid), np.float32)     # o·(1 - tanh²c)
        self.partner = e((steps, batch, 3, hid), np.float32)  # (g, c_prev, i): dc times these gives d(i, f, g)
        self.dgates = e((steps, batch, 4 * hid), np.float32)
        self.dact = e((batch, 4 * hid), np.float32)
        self.dh, self.dc = e((batch, hid), np.float32), e((batch, hid), np.float32)
        self.z, self.dz = e((batch, 10), np.float32), e((batch, 10), np.float32)
        a, h = self.act, hid
        self.o, self.i, self.f, self.g = (a[:, :, k * h:(k + 1) * h] for k in range(4))
        self.opt = Adam(self.flat, lr)

    def to_internal(self, name: str, a: np.ndarray) -> np.ndarray:
        return _reorder(a, TORCH_TO_OURS) if name.startswith("lstm.") else a

    def to_torch(self, name: str, a: np.ndarray) -> np.ndarray:
        return _reorder(a, OURS_TO_TORCH) if name.startswith("lstm.") else a

    def loss_and_grads(self) -> float:
        steps, batch, _ = self.x.shape
        hid = self.hid
        np.multiply(self.w_ih.T, self.scale, out=self.w_ih_st)
        np.multiply(self.w_hh.T, self.scale, out=self.w_hh_st)
        np.add(self.b_ih, self.b_hh, out=self.b_s)
        self.b_s *= self.scale
        np.matmul(self.x.reshape(steps * batch, -1), self.w_ih_st, out=self.xw.reshape(steps * batch, -1))
        self.xw += self.b_s
        hs, cs, tc, tmp, w_hh_t = self.hs, self.cs, self.tc, self.tmp, self.w_hh_st
        o, i, f, g = self.o, self.i, self.f, self.g
        for t in range(steps):
            a = self.act[t]
            np.matmul(hs[t], w_hh_t, out=a)
            a += self.xw[t]
            np.tanh(a, out=a)
            sig = a[:, :3 * hid]
            sig *= 0.5
            sig += 0.5
            np.multiply(f[t], cs[t], out=cs[t + 1])
            np.multiply(i[t], g[t], out=tmp)
            cs[t + 1] += tmp
            np.tanh(cs[t + 1], out=tc[t])
            np.multiply(o[t], tc[t], out=hs[t + 1])
        np.matmul(hs[steps], self.w_out.T, out=self.z)
        self.z += self.b_out
        loss = cross_entropy(self.z, self.y, self.dz)
        np.matmul(self.dz.T, hs[steps], out=self.g_out)
        np.sum(self.dz, axis=0, out=self.gb_out)
        self._prepare_backward()
        dh, dc, dact, dgates, w_hh = self.dh, self.dc, self.dact, self.dgates, self.w_hh
        dact_o, dact_ifg = dact[:, :hid], dact[:, hid:].reshape(batch, 3, hid)
        np.matmul(self.dz, self.w_out, out=dh)
        dc.fill(0)
        for t in range(steps - 1, -1, -1):
            np.multiply(dh, self.dcell[t], out=tmp)
            dc += tmp
            np.multiply(dc[:, None, :], self.partner[t], out=dact_ifg)
            np.multiply(dh, tc[t], out=dact_o)
            np.multiply(dact, self.deriv[t], out=dgates[t])
            dc *= f[t]
            np.matmul(dgates[t], w_hh, out=dh)
        dg2d = dgates.reshape(steps * batch, -1)
        np.matmul(dg2d.T, self.x.reshape(steps * batch, -1), out=self.g_ih)
        np.matmul(dgates[1:].reshape((steps - 1) * batch, -1).T, hs[1:steps].reshape((steps - 1) * batch, -1),
                  out=self.g_hh)
        np.sum(dg2d, axis=0, out=self.gb_ih)
        self.gb_hh[...] = self.gb_ih
        return loss

    def _prepare_backward(self) -> None:
        """What backward needs from all steps at once: act', o·(1 - tanh²c) and (g, c_prev, i)."""
        hid, a, d = self.hid, self.act, self.deriv
        np.multiply(a, a, out=d)
        np.subtract(a[..., :3 * hid], d[..., :3 * hid], out=d[..., :3 * hid])  # σ' = σ(1 - σ)
        np.subtract(1, d[..., 3 * hid:], out=d[..., 3 * hid:])                 # tanh' = 1 - tanh²
        np.multiply(self.tc, self.tc, out=self.dcell)
        np.subtract(1, self.dcell, out=self.dcell)
        self.dcell *= self.o
        self.partner[:, :, 0] = self.g
        self.partner[:, :, 1] = self.cs[:-1]
        self.partner[:, :, 2] = self.i

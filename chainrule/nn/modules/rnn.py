"""Recurrent layers: `RNN`, `LSTM`, `GRU` (stacked, optionally bidirectional) and one-step cells.

Parameters, their names (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0,
..._reverse), shapes, gate order and default initialization U(-1/√hidden,
1/√hidden) are PyTorch's, so a PyTorch state_dict loads one to one. Each
layer and direction runs as one fused operation over the whole sequence
(`chainrule.nn.functional.recurrent`); a `PackedSequence` input runs
sequences of different lengths, each stopping at its own end.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, List, Optional, Tuple, Union

import numpy as np

from ...ops import index_select, squeeze, unsqueeze
from ...tensor import Tensor
from .. import init
from ..functional import recurrent as R
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .linear import _param
from .module import Module

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_FUNCTIONS = {"RNN_TANH": R.rnn_tanh, "RNN_RELU": R.rnn_relu, "LSTM": R.lstm, "GRU": R.gru}


def _check_type(name: str, value: Any, kind: type) -> None:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")


def _reset_uniform(module: Module, hidden_size: int) -> None:
    """PyTorch's default: every weight and bias from U(-1/√hidden, 1/√hidden)."""
    bound = 1.0 / math.sqrt(hidden_size)
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


def _check_options(mode: str, input_size: int, hidden_size: int, num_layers: int, bias: bool, batch_first: bool,
                   dropout: float, proj_size: int) -> None:
    """PyTorch's checks of a recurrent layer's settings (and its warning for dropout with one layer)."""
    if mode not in _GATES:
        raise ValueError("Unrecognized RNN mode: " + str(mode))
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                         f"element being zeroed, got {dropout!r}")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                      f"expects num_layers greater than 1, but got dropout={dropout} and "
                      f"num_layers={num_layers}", stacklevel=4)
    _check_type("bias", bias, bool)
    _check_type("batch_first", batch_first, bool)
    _check_type("input_size", input_size, int)
    _check_type("hidden_size", hidden_size, int)
    _check_type("num_layers", num_layers, int)
    if input_size <= 0:
        raise ValueError(f"input_size must be greater than zero, got {input_size}")
    if hidden_size <= 0:
        raise ValueError(f"hidden_size must be greater than zero, got {hidden_size}")
    if num_layers <= 0:
        raise ValueError(f"num_layers must be greater than zero, got {num_layers}")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError(f"proj_size has to be smaller than hidden_size, got proj_size={proj_size} and "
                         f"hidden_size={hidden_size}")
    if proj_size and mode != "LSTM":
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: mode is 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _check_options(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        out_size = proj_size or hidden_size  # the size of h
        self._flat_weights_names: List[str] = []
        self._all_weights: List[List[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else out_size * directions
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (gate_size, layer_input), "weight_hh": (gate_size, out_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size:
                    shapes.update(weight_hr=(proj_size, hidden_size))
                names = []
                for kind, shape in shapes.items():
                    setattr(self, kind + suffix, _param(shape, dtype, device))
                    names.append(kind + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_uniform(self, self.hidden_size)

    @property
    def _flat_weights(self) -> List[Parameter]:
        """Every weight in PyTorch's order: per layer and direction w_ih, w_hh, b_ih, b_hh (, w_hr)."""
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> List[List[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """Nothing to do: the weights are used where they are (PyTorch compacts them for cuDNN)."""

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- forward ---------------------------------------------------------------------
    def _check_input(self, data: Tensor, packed: bool) -> None:
        weight_dtype = self.weight_ih_l0.dtype
        if data.dtype != weight_dtype:
            raise ValueError(f"{self!r}: RNN input dtype ({data.dtype}) does not match weight dtype "
                             f"({weight_dtype}). Convert input: input.to({weight_dtype}), or convert model: "
                             f"model.to({data.dtype})")
        if packed and data.ndim != 2:
            raise RuntimeError(f"{self!r}: packed input data must have 2 dimensions (total length, "
                               f"{self.input_size}), got shape {tuple(data.shape)}")
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"{self!r}: input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {data.shape[-1]} (input of shape {tuple(data.shape)})")

    def _initial_states(self, hx: Any, data: Tensor, batch: int, batched: bool) -> tuple:
        """(h0,) or (h0, c0), each (layers * directions, batch, size), h's size proj_size if projected;
        zeros when hx is None."""
        count = 2 if self.mode == "LSTM" else 1
        layers = self.num_layers * (2 if self.bidirectional else 1)
        shapes = [(layers, batch, self.proj_size or self.hidden_size), (layers, batch, self.hidden_size)][:count]
        if hx is None:
            return tuple(Tensor._make(np.zeros(shape, dtype=data.dtype)) for shape in shapes)
        states = tuple(hx) if count == 2 and isinstance(hx, (tuple, list)) else (hx,)
        if len(states) != count or not all(isinstance(s, Tensor) for s in states):
            what = "a tuple (h_0, c_0) of two tensors" if count == 2 else "a tensor"
            raise TypeError(f"{self!r}: expected hx to be {what}, got {type(hx).__name__}")
        names = ("hx[0]", "hx[1]") if count == 2 else ("hx",)
        rank = 3 if batched else 2
        checked = []
        for name, s, shape in zip(names, states, shapes):
            expected = shape if batched else shape[:1] + shape[2:]
            if s.ndim != rank:
                raise RuntimeError(f"{self!r}: for {'batched 3-D' if batched else 'unbatched 2-D'} input, {name} "
                                   f"should also be {rank}-D (shape {expected}), got shape {tuple(s.shape)}")
            if tuple(s.shape) != expected:
                raise RuntimeError(f"{self!r}: Expected {name} size {expected}, got {list(s.shape)}")
            if s.dtype != data.dtype:
                raise ValueError(f"{self!r}: {name} dtype ({s.dtype}) does not match input dtype ({data.dtype})")
            checked.append(s if batched else unsqueeze(s, 1))
        return tuple(checked)

    def forward(self, input: Union[Tensor, PackedSequence], hx: Any = None) -> Tuple[Any, Any]:
        """input (L, N, input_size), (N, L, input_size) with batch_first, (L, input_size) or a PackedSequence;
        returns (output, h_n) or, for LSTM, (output, (h_n, c_n))."""
        run = _FUNCTIONS[self.mode]
        options = (self._flat_weights, self.bias, self.num_layers, self.dropout, self.training, self.bidirectional)
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            self._check_input(data, packed=True)
            states = self._initial_states(hx, data, int(np.asarray(batch_sizes)[0]), True)
            if sorted_indices is not None and hx is not None:
                states = tuple(index_select(s, 1, sorted_indices) for s in states)
            output, *finals = run(data, batch_sizes, self._hx(states), *options)
            if unsorted_indices is not None:
                finals = [index_select(f, 1, unsorted_indices) for f in finals]
            return PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices), self._hx(finals)
        if input.ndim not in (2, 3):
            layout = "(N, L, {0})" if self.batch_first else "(L, N, {0})"
            raise ValueError(f"{self!r}: Expected input to be 2D or 3D (shape {layout.format(self.input_size)} or "
                             f"unbatched (L, {self.input_size})), got {input.ndim}D input of shape "
                             f"{tuple(input.shape)}")
        batched = input.ndim == 3
        batch_dim = 0 if self.batch_first else 1
        data = input if batched else unsqueeze(input, batch_dim)
        self._check_input(data, packed=False)
        states = self._initial_states(hx, data, data.shape[batch_dim], batched)
        output, *finals = run(data, self._hx(states), *options, self.batch_first)
        if not batched:
            output = squeeze(output, batch_dim)
            finals = [squeeze(f, 1) for f in finals]
        return output, self._hx(finals)

    def _hx(self, states: Any) -> Any:
        """States as the caller sees them: (h, c) for LSTM, h alone otherwise."""
        return tuple(states) if self.mode == "LSTM" else states[0]


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh), act = tanh or relu."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)


class LSTM(RNNBase):
    """Long short-term memory: gates (i, f, g, o), c_t = f c_{t-1} + i g, h_t = o tanh(c_t)
    (h_t = W_hr (o tanh(c_t)) of size proj_size when proj_size > 0)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit: gates (r, z, n), n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1-z) n + z h."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


class RNNCellBase(Module):
    """One time step of a recurrent layer: parameters weight_ih, weight_hh, bias_ih, bias_hh."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        _check_type("input_size", input_size, int)
        _check_type("hidden_size", hidden_size, int)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = _param((num_chunks * hidden_size, input_size), dtype, device)
        self.weight_hh = _param((num_chunks * hidden_size, hidden_size), dtype, device)
        if bias:
            self.bias_ih = _param((num_chunks * hidden_size,), dtype, device)
            self.bias_hh = _param((num_chunks * hidden_size,), dtype, device)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_uniform(self, self.hidden_size)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, input: Tensor, hx: Any, count: int) -> Tuple[Tensor, tuple, bool]:
        """Checked (N, input_size) input and its states (zeros if hx is None); unbatched input gets N = 1."""
        if not isinstance(input, Tensor) or input.ndim not in (1, 2):
            shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
            raise ValueError(f"{self!r}: Expected input to be 1D or 2D (shape (N, {self.input_size}) or "
                             f"({self.input_size},)), got input of shape {shape}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{self!r}: input has inconsistent input_size: got {input.shape[-1]} expected "
                               f"{self.input_size} (input of shape {tuple(input.shape)})")
        if input.dtype != self.weight_ih.dtype:
            raise ValueError(f"{self!r}: input dtype ({input.dtype}) does not match weight dtype "
                             f"({self.weight_ih.dtype})")
        batched = input.ndim == 2
        x = input if batched else unsqueeze(input, 0)
        shape = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        if hx is None:
            return x, (Tensor._make(np.zeros((x.shape[0], self.hidden_size), dtype=input.dtype)),) * count, batched
        states = tuple(hx) if count == 2 else (hx,)
        names = ("hx[0]", "hx[1]") if count == 2 else ("hx",)
        for name, s in zip(names, states):
            if not isinstance(s, Tensor) or tuple(s.shape) != shape:
                got = tuple(s.shape) if isinstance(s, Tensor) else type(s).__name__
                raise RuntimeError(f"{self!r}: expected {name} of shape {shape} for input of shape "
                                   f"{tuple(input.shape)}, got {got}")
            if s.dtype != input.dtype:
                raise ValueError(f"{self!r}: {name} dtype ({s.dtype}) does not match input dtype ({input.dtype})")
        return x, tuple(s if batched else unsqueeze(s, 0) for s in states), batched

    def _weights(self) -> tuple:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh


class RNNCell(RNNCellBase):
    """h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), act = tanh or relu."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        x, (h,), batched = self._step(input, hx, 1)
        cell = R.rnn_tanh_cell if self.nonlinearity == "tanh" else R.rnn_relu_cell
        out = cell(x, h, *self._weights())
        return out if batched else squeeze(out, 0)


class LSTMCell(RNNCellBase):
    """One LSTM step: (h, c) -> (h', c') with gates (i, f, g, o)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: Optional[Tuple[Tensor, Tensor]] = None) -> Tuple[Tensor, Tensor]:
        x, states, batched = self._step(input, hx, 2)
        h, c = R.lstm_cell(x, states, *self._weights())
        return (h, c) if batched else (squeeze(h, 0), squeeze(c, 0))


class GRUCell(RNNCellBase):
    """One GRU step with gates (r, z, n)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        x, (h,), batched = self._step(input, hx, 1)
        out = R.gru_cell(x, h, *self._weights())
        return out if batched else squeeze(out, 0)

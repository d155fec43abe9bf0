"""RNN, LSTM, GRU and their cells: PyTorch parity (outputs, final states, every gradient), variable lengths,
finite differences, dropout between layers, initialization, printing and clear errors."""
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import optim
from chainrule.autograd import gradcheck
from chainrule.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence
from tests.conftest import requires_torch
from tests.nn.layer_parity import assert_close, copy_torch_state, torch

RTOL, ATOL = 1e-4, 1e-5
MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]


def make_layers(mode, *args, **kwargs):
    """The same recurrent layer in chainrule and in PyTorch (ours takes torch's parameters)."""
    pair = []
    for lib in (nn, torch.nn if torch is not None else None):
        if lib is None:
            continue
        if mode.startswith("RNN"):
            layer = lib.RNN(*args, nonlinearity=mode[4:].lower(), **kwargs)
        else:
            layer = getattr(lib, mode)(*args, **kwargs)
        pair.append(layer)
    if len(pair) == 2:
        copy_torch_state(*pair)
    return pair


def state_arrays(mode, rng, shape):
    return [rng.standard_normal(shape).astype(np.float32) for _ in range(2 if mode == "LSTM" else 1)]


def as_hx(mode, lib, arrays):
    """Initial states as each library takes them: h, or (h, c) for LSTM; they require grad."""
    ts = [lib.tensor(a, requires_grad=True) for a in arrays]
    return ts, (tuple(ts) if mode == "LSTM" else ts[0])


def flat(result):
    """(output, h) or (output, (h, c)), output a tensor or a PackedSequence -> [output, h(, c)]."""
    output, hidden = result
    data = output.data if hasattr(output, "batch_sizes") else output
    return [data] + (list(hidden) if isinstance(hidden, tuple) else [hidden])


def backward_same(ours, theirs, seed=1):
    """Backpropagate the same random weighted sum of all outputs through both libraries."""
    rng = np.random.default_rng(seed)
    loss, tloss = 0, 0
    for o, t in zip(ours, theirs):
        w = rng.standard_normal(tuple(t.shape)).astype(np.float32)
        loss = loss + (o * cr.tensor(w)).sum()
        tloss = tloss + (t * torch.tensor(w)).sum()
    loss.backward()
    tloss.backward()


def assert_grads_match(pairs, ours_layer, torch_layer):
    for what, ours, theirs in pairs:
        assert_close(ours.grad, theirs.grad, f"gradient of {what}", RTOL, ATOL)
    tparams = dict(torch_layer.named_parameters())
    names = [n for n, _ in ours_layer.named_parameters()]
    assert names == list(tparams)
    for name, p in ours_layer.named_parameters():
        assert p.grad.dtype == np.float32
        assert_close(p.grad, tparams[name].grad, f"gradient of {name}", RTOL, ATOL)


LAYER_CASES = [  # num_layers, bidirectional, batch_first, bias, initial states given, unbatched input
    (1, False, False, True, False, False),
    (1, False, True, False, True, False),
    (2, True, False, True, True, False),
    (3, False, True, True, False, False),
    (2, True, True, False, False, False),
    (2, True, False, True, True, True),
]


@requires_torch
@pytest.mark.parametrize("case", LAYER_CASES, ids=lambda c: "L{}-bi{:d}-bf{:d}-bias{:d}-hx{:d}-1d{:d}".format(*c))
@pytest.mark.parametrize("mode", MODES)
def test_layer_matches_torch(rng, mode, case):
    num_layers, bidirectional, batch_first, bias, with_hx, unbatched = case
    steps, batch, features, hidden = 5, 3, 4, 6
    ours, theirs = make_layers(mode, features, hidden, num_layers, bias=bias, batch_first=batch_first,
                               bidirectional=bidirectional)
    shape = (steps, features) if unbatched else (batch, steps, features) if batch_first else (steps, batch, features)
    x = rng.standard_normal(shape).astype(np.float32)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    pairs = [("input", cx, tx)]
    if with_hx:
        hshape = (num_layers * (1 + bidirectional),) + (() if unbatched else (batch,)) + (hidden,)
        arrays = state_arrays(mode, rng, hshape)
        (cs, chx), (ts, thx) = as_hx(mode, cr, arrays), as_hx(mode, torch, arrays)
        pairs += [(f"hx[{i}]", c, t) for i, (c, t) in enumerate(zip(cs, ts))]
        out, tout = flat(ours(cx, chx)), flat(theirs(tx, thx))
    else:
        out, tout = flat(ours(cx)), flat(theirs(tx))
    for i, (o, t) in enumerate(zip(out, tout)):
        assert_close(o, t, f"output {i}", RTOL, ATOL)
    backward_same(out, tout)
    assert_grads_match(pairs, ours, theirs)


@requires_torch
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_projected_lstm_matches_torch(rng, bias, packed):
    """proj_size: h = W_hr (o tanh(c)) has proj_size features; c keeps hidden_size."""
    ours, theirs = make_layers("LSTM", 3, 5, 2, bias=bias, bidirectional=True, proj_size=2)
    x = rng.standard_normal((4, 3, 3)).astype(np.float32)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    arrays = [rng.standard_normal((4, 3, 2)).astype(np.float32), rng.standard_normal((4, 3, 5)).astype(np.float32)]
    (cs, chx), (ts, thx) = as_hx("LSTM", cr, arrays), as_hx("LSTM", torch, arrays)
    if packed:
        lengths = [2, 4, 1]
        out = ours(pack_padded_sequence(cx, lengths, enforce_sorted=False), chx)
        tout = theirs(torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, enforce_sorted=False), thx)
        out = (pad_packed_sequence(out[0])[0], out[1])
        tout = (torch.nn.utils.rnn.pad_packed_sequence(tout[0])[0], tout[1])
    else:
        out, tout = ours(cx, chx), theirs(tx, thx)
    out, tout = flat(out), flat(tout)
    for i, (o, t) in enumerate(zip(out, tout)):
        assert_close(o, t, f"output {i}", RTOL, ATOL)
    backward_same(out, tout)
    assert_grads_match([("input", cx, tx)] + [(f"hx[{i}]", c, t) for i, (c, t) in enumerate(zip(cs, ts))],
                       ours, theirs)


@requires_torch
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("mode", MODES)
def test_packed_sequences_match_torch(rng, mode, enforce_sorted):
    """Variable lengths: each sequence's state stops at its end, outputs are zero after it, as in PyTorch."""
    lengths = [6, 4, 4, 1] if enforce_sorted else [3, 6, 1, 5]
    steps, batch, features, hidden = 6, 4, 3, 5
    ours, theirs = make_layers(mode, features, hidden, 2, bidirectional=True, batch_first=True)
    x = rng.standard_normal((batch, steps, features)).astype(np.float32)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (cs, chx), (ts, thx) = [as_hx(mode, lib, state_arrays(mode, np.random.default_rng(3), (4, batch, hidden)))
                            for lib in (cr, torch)]
    packed = pack_padded_sequence(cx, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    tpacked = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    out, hidden_out = ours(packed, chx)
    tout, thidden_out = theirs(tpacked, thx)
    assert isinstance(out, PackedSequence)
    padded, out_lengths = pad_packed_sequence(out, batch_first=True)
    tpadded, _ = torch.nn.utils.rnn.pad_packed_sequence(tout, batch_first=True)
    np.testing.assert_array_equal(out_lengths.numpy(), lengths)
    ours_all, theirs_all = flat((padded, hidden_out)), flat((tpadded, thidden_out))
    for i, (o, t) in enumerate(zip(ours_all, theirs_all)):
        assert_close(o, t, f"output {i}", RTOL, ATOL)
    for b, n in enumerate(lengths):
        assert not padded.detach().numpy()[b, n:].any(), "outputs after a sequence's end must be zero"
    backward_same(ours_all, theirs_all)
    pairs = [("input", cx, tx)] + [(f"hx[{i}]", c, t) for i, (c, t) in enumerate(zip(cs, ts))]
    assert_grads_match(pairs, ours, theirs)


@requires_torch
@pytest.mark.parametrize("mode", MODES)
def test_functional_forms_match_torch(rng, mode):
    """F.lstm / F.gru / F.rnn_* take torch.lstm's arguments, padded and packed."""
    name = mode.lower()
    ours, theirs = make_layers(mode, 3, 4, 2, bidirectional=True)
    params, tparams = [p for p in ours._flat_weights], [p for p in theirs._flat_weights]
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    arrays = state_arrays(mode, rng, (4, 2, 4))
    (_, chx), (_, thx) = as_hx(mode, cr, arrays), as_hx(mode, torch, arrays)
    out = getattr(F, name)(cr.tensor(x), chx, params, True, 2, 0.0, False, True, False)
    tout = getattr(torch, name)(torch.tensor(x), thx, tparams, True, 2, 0.0, False, True, False)
    for o, t in zip(out, tout):
        assert_close(o, t, f"{name} padded", RTOL, ATOL)
    batch_sizes = [2, 2, 1]
    data = rng.standard_normal((5, 3)).astype(np.float32)
    out = getattr(F, name)(cr.tensor(data), cr.tensor(batch_sizes), chx, params, True, 2, 0.0, False, True)
    tout = getattr(torch, name)(torch.tensor(data), torch.tensor(batch_sizes), thx, tparams, True, 2, 0.0, False,
                                True)
    for o, t in zip(out, tout):
        assert_close(o, t, f"{name} packed", RTOL, ATOL)


CELLS = ["RNNCell-tanh", "RNNCell-relu", "LSTMCell", "GRUCell"]


def make_cells(kind, *args, **kwargs):
    name, _, nonlinearity = kind.partition("-")
    if nonlinearity:
        kwargs["nonlinearity"] = nonlinearity
    pair = [getattr(lib, name)(*args, **kwargs) for lib in (nn, torch.nn)]
    copy_torch_state(*pair)
    return pair


@requires_torch
@pytest.mark.parametrize("unbatched", [False, True])
@pytest.mark.parametrize("with_hx", [True, False])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", CELLS)
def test_cell_matches_torch(rng, kind, bias, with_hx, unbatched):
    ours, theirs = make_cells(kind, 3, 5, bias=bias)
    lead = () if unbatched else (4,)
    x = rng.standard_normal(lead + (3,)).astype(np.float32)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    pairs = [("input", cx, tx)]
    mode = "LSTM" if kind == "LSTMCell" else "RNN"
    if with_hx:
        arrays = state_arrays(mode, rng, lead + (5,))
        (cs, chx), (ts, thx) = as_hx(mode, cr, arrays), as_hx(mode, torch, arrays)
        pairs += [(f"hx[{i}]", c, t) for i, (c, t) in enumerate(zip(cs, ts))]
        out, tout = ours(cx, chx), theirs(tx, thx)
    else:
        out, tout = ours(cx), theirs(tx)
    out, tout = (list(out), list(tout)) if mode == "LSTM" else ([out], [tout])
    for i, (o, t) in enumerate(zip(out, tout)):
        assert_close(o, t, f"output {i}", RTOL, ATOL)
    backward_same(out, tout)
    assert_grads_match(pairs, ours, theirs)


@requires_torch
def test_cell_functions_match_torch(rng):
    x, h, c = (rng.standard_normal((2, 3)).astype(np.float32) for _ in range(3))
    for name, gates in [("rnn_tanh_cell", 1), ("rnn_relu_cell", 1), ("gru_cell", 3), ("lstm_cell", 4)]:
        w_ih, w_hh = rng.standard_normal((gates * 3, 3)), rng.standard_normal((gates * 3, 3))
        b_ih, b_hh = rng.standard_normal(gates * 3), rng.standard_normal(gates * 3)
        args = [a.astype(np.float32) for a in (w_ih, w_hh, b_ih, b_hh)]
        state = (h, c) if name == "lstm_cell" else h
        ours = getattr(F, name)(cr.tensor(x), _map(cr.tensor, state), *map(cr.tensor, args))
        theirs = getattr(torch, name)(torch.tensor(x), _map(torch.tensor, state), *map(torch.tensor, args))
        for o, t in zip(_listed(ours), _listed(theirs)):
            assert_close(o, t, name, RTOL, ATOL)


def _map(fn, state):
    return tuple(map(fn, state)) if isinstance(state, tuple) else fn(state)


def _listed(out):
    return list(out) if isinstance(out, tuple) else [out]


# -- finite differences (float64) ---------------------------------------------------------------


def _float64(rng, *shape):
    return cr.tensor(rng.standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("mode", MODES)
def test_layer_gradcheck(rng, mode):
    """Input, initial states and every parameter of a 2-layer bidirectional layer, through time."""
    layer = _our_layer(mode, 2, 3, 2, True).double()
    x = _float64(rng, 3, 2, 2)
    states = [_float64(rng, 4, 2, 3) for _ in range(2 if mode == "LSTM" else 1)]
    params = list(layer.parameters())
    n = len(states)

    def fn(x, *rest):
        hx = tuple(rest[:n]) if mode == "LSTM" else rest[0]
        return flat(layer(x, hx))

    assert gradcheck(fn, [x] + states + params)


@pytest.mark.parametrize("mode", MODES)
def test_packed_gradcheck(rng, mode):
    """Variable lengths through time, both directions: frozen states pass their gradient straight back."""
    layer = _our_layer(mode, 2, 3, 1, True).double()
    x = _float64(rng, 4, 3, 2)
    states = [_float64(rng, 2, 3, 3) for _ in range(2 if mode == "LSTM" else 1)]
    params = list(layer.parameters())
    n = len(states)

    def fn(x, *rest):
        hx = tuple(rest[:n]) if mode == "LSTM" else rest[0]
        out, hidden = layer(pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False), hx)
        return flat((pad_packed_sequence(out)[0], hidden))

    assert gradcheck(fn, [x] + states + params)


def test_projected_lstm_gradcheck(rng):
    layer = nn.LSTM(2, 3, proj_size=2).double()
    x, h0, c0 = _float64(rng, 3, 2, 2), _float64(rng, 1, 2, 2), _float64(rng, 1, 2, 3)
    assert gradcheck(lambda x, h0, c0, *params: flat(layer(x, (h0, c0))), [x, h0, c0] + list(layer.parameters()))


@pytest.mark.parametrize("kind", CELLS)
def test_cell_gradcheck(rng, kind):
    name, _, nonlinearity = kind.partition("-")
    cell = getattr(nn, name)(2, 3, **({"nonlinearity": nonlinearity} if nonlinearity else {})).double()
    x = _float64(rng, 2, 2)
    states = [_float64(rng, 2, 3) for _ in range(2 if name == "LSTMCell" else 1)]

    def fn(x, *rest):
        out = cell(x, tuple(rest[:2]) if name == "LSTMCell" else rest[0])
        return list(out) if isinstance(out, tuple) else out

    assert gradcheck(fn, [x] + states + list(cell.parameters()))


def _our_layer(mode, *args):
    if mode.startswith("RNN"):
        return nn.RNN(*args[:3], nonlinearity=mode[4:].lower(), bidirectional=args[3])
    return getattr(nn, mode)(*args[:3], bidirectional=args[3])


# -- dropout between layers ---------------------------------------------------------------------


@requires_torch
@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_dropout_one_drops_everything_between_layers_as_torch(rng, mode):
    """p = 1 is deterministic: layer 2 sees zeros in training, the full input in eval; the last layer is kept."""
    ours, theirs = make_layers(mode, 3, 4, 3, dropout=1.0)
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    for train in (True, False):
        ours.train(train)
        theirs.train(train)
        cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, tout = flat(ours(cx)), flat(theirs(tx))
        for i, (o, t) in enumerate(zip(out, tout)):
            assert_close(o, t, f"output {i} (train={train})", RTOL, ATOL)
        backward_same(out, tout)
        assert_close(cx.grad, tx.grad, "gradient of input", RTOL, ATOL)


def test_dropout_is_random_in_training_only(rng):
    layer = nn.GRU(3, 8, 2, dropout=0.5)
    x = cr.tensor(rng.standard_normal((4, 2, 3)).astype(np.float32))
    with cr.no_grad():
        first, second = layer(x)[0].numpy(), layer(x)[0].numpy()
        assert not np.allclose(first, second)
        layer.eval()
        np.testing.assert_array_equal(layer(x)[0].numpy(), layer(x)[0].numpy())


def test_dropout_gradcheck(rng):
    """With the mask fixed by reseeding, gradients flow through the dropped-out layer input exactly."""
    layer = nn.LSTM(2, 3, 2, dropout=0.4).double()
    x = _float64(rng, 3, 2, 2)

    def fn(x, *params):
        cr.manual_seed(7)
        return flat(layer(x))

    assert gradcheck(fn, [x] + list(layer.parameters()))


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)


# -- parameters, init, printing ---------------------------------------------------------------


@requires_torch
@pytest.mark.parametrize("name, kwargs", [
    (name, kwargs) for name in ("RNN", "LSTM", "GRU")
    for kwargs in (dict(num_layers=2, bidirectional=True, dropout=0.5, batch_first=True), dict(bias=False), dict())
] + [("LSTM", dict(proj_size=2, num_layers=2, bidirectional=True))])
def test_parameters_and_repr_match_torch(name, kwargs):
    ours, theirs = getattr(nn, name)(3, 4, **kwargs), getattr(torch.nn, name)(3, 4, **kwargs)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
           [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert [[tuple(p.shape) for p in ws] for ws in ours.all_weights] == \
           [[tuple(p.shape) for p in ws] for ws in theirs.all_weights]


@requires_torch
def test_cell_repr_matches_torch():
    for name, kwargs in [("RNNCell", dict(nonlinearity="relu")), ("RNNCell", {}), ("LSTMCell", dict(bias=False)),
                         ("GRUCell", {})]:
        assert repr(getattr(nn, name)(3, 4, **kwargs)) == repr(getattr(torch.nn, name)(3, 4, **kwargs))
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == repr(torch.nn.RNN(3, 4, nonlinearity="relu"))


@pytest.mark.parametrize("layer", [nn.LSTM(8, 64), nn.GRU(8, 64, bidirectional=True), nn.RNNCell(8, 64)],
                         ids=["LSTM", "GRU", "RNNCell"])
def test_default_init_is_uniform_in_one_over_sqrt_hidden(layer):
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.detach().numpy().ravel() for p in layer.parameters()])
    assert all(p.dtype == np.float32 for p in layer.parameters())
    assert np.abs(values).max() <= bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.03 * bound  # U(-a, a) has std a/√3
    assert abs(values.mean()) < 0.03 * bound


def test_double_and_default_dtype_follow_the_parameters(rng):
    layer = nn.GRU(3, 4, dtype=cr.float64)
    out, h = layer(cr.tensor(rng.standard_normal((2, 1, 3))))
    assert out.dtype == h.dtype == np.float64


# -- clear errors --------------------------------------------------------------------------------


def test_layer_errors_name_the_layer_and_shapes():
    lstm = nn.LSTM(10, 20, 2)
    with pytest.raises(ValueError, match=r"LSTM\(10, 20, num_layers=2\).*2D or 3D.*got 4D input of shape "
                                         r"\(1, 2, 3, 10\)"):
        lstm(cr.zeros(1, 2, 3, 10))
    with pytest.raises(RuntimeError, match=r"LSTM\(10, 20, num_layers=2\).*Expected 10, got 7 "
                                           r"\(input of shape \(5, 3, 7\)\)"):
        lstm(cr.zeros(5, 3, 7))
    with pytest.raises(RuntimeError, match=r"Expected hx\[0\] size \(2, 3, 20\), got \[1, 3, 20\]"):
        lstm(cr.zeros(5, 3, 10), (cr.zeros(1, 3, 20), cr.zeros(2, 3, 20)))
    with pytest.raises(RuntimeError, match=r"hx\[1\] should also be 3-D \(shape \(2, 3, 20\)\), got shape "
                                           r"\(3, 20\)"):
        lstm(cr.zeros(5, 3, 10), (cr.zeros(2, 3, 20), cr.zeros(3, 20)))
    with pytest.raises(TypeError, match=r"tuple \(h_0, c_0\)"):
        lstm(cr.zeros(5, 3, 10), cr.zeros(2, 3, 20))
    with pytest.raises(ValueError, match=r"input dtype \(float64\) does not match weight dtype \(float32\)"):
        lstm(cr.zeros(5, 3, 10, dtype=cr.float64))
    gru = nn.GRU(4, 3, batch_first=True)
    with pytest.raises(RuntimeError, match=r"GRU\(4, 3, batch_first=True\): Expected hx size \(1, 2, 3\), "
                                           r"got \[1, 5, 3\]"):
        gru(cr.zeros(2, 6, 4), cr.zeros(1, 5, 3))
    with pytest.raises(RuntimeError, match=r"unbatched 2-D input, hx should also be 2-D"):
        gru(cr.zeros(6, 4), cr.zeros(1, 1, 3))


def test_cell_errors_name_the_cell_and_shapes():
    cell = nn.LSTMCell(3, 4)
    with pytest.raises(ValueError, match=r"LSTMCell\(3, 4\).*1D or 2D.*got input of shape \(2, 2, 3\)"):
        cell(cr.zeros(2, 2, 3))
    with pytest.raises(RuntimeError, match=r"LSTMCell\(3, 4\).*got 7 expected 3"):
        cell(cr.zeros(5, 7))
    with pytest.raises(RuntimeError, match=r"expected hx\[0\] of shape \(5, 4\) for input of shape \(5, 3\), "
                                           r"got \(2, 4\)"):
        cell(cr.zeros(5, 3), (cr.zeros(2, 4), cr.zeros(5, 4)))
    with pytest.raises(RuntimeError, match=r"GRUCell\(3, 4\).*expected hx of shape \(4,\)"):
        nn.GRUCell(3, 4)(cr.zeros(3), cr.zeros(1, 4))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(dropout=1.5), ValueError, "dropout should be a number in range"),
    (dict(hidden_size=0), ValueError, "hidden_size must be greater than zero"),
    (dict(num_layers=0), ValueError, "num_layers must be greater than zero"),
    (dict(bias=1), TypeError, "bias should be of type bool"),
    (dict(proj_size=8), ValueError, "proj_size has to be smaller than hidden_size"),
])
def test_constructor_errors(kwargs, error, match):
    args = dict(input_size=3, hidden_size=4)
    args.update(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=match):
            nn.LSTM(**args)


def test_unknown_nonlinearity():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNNCell(3, 4, nonlinearity="gelu")


def test_lstm_learns_to_remember_the_first_input(rng):
    """Backpropagation through time trains: recall the first element of a sequence at its end."""
    cr.manual_seed(0)
    lstm, head = nn.LSTM(1, 8, batch_first=True), nn.Linear(8, 1)
    optimizer = optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.03)
    x = cr.tensor(rng.uniform(-1, 1, (32, 6, 1)).astype(np.float32))
    target = x[:, 0]
    losses = []
    for _ in range(80):
        optimizer.zero_grad()
        out, _ = lstm(x)
        loss = ((head(out[:, -1]) - target) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0], losses[::10]

"""MultiheadAttention, scaled_dot_product_attention and the Transformer encoder against PyTorch: outputs,
attention weights, and the gradients of inputs and every parameter, with each kind of mask."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from tests.conftest import requires_torch
from tests.nn.layer_parity import compare_with_torch, copy_torch_state, gradcheck_layer, torch

RNG = np.random.default_rng(0)
L, S, N, E = 5, 7, 2, 8
Q = RNG.standard_normal((L, N, E)).astype(np.float32)
KV = RNG.standard_normal((S, N, E)).astype(np.float32)
CAUSAL = np.triu(np.ones((L, L), dtype=bool), 1)          # True: masked out (nn.MultiheadAttention's sense)
PADDING = np.zeros((N, S), dtype=bool)
PADDING[1, -3:] = True                                    # the second sequence has 3 padded keys
FLOAT_MASK = RNG.standard_normal((L, S)).astype(np.float32)


def wrapped(lib, layer, pick=None, **kwargs):
    """A module returning layer(*inputs, **kwargs) (its output `pick` when given), with the layer's
    parameters under `layer.`."""
    class Wrap(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = layer

        def forward(self, *inputs):
            out = self.layer(*inputs, **{k: (lib.tensor(v) if isinstance(v, np.ndarray) else v)
                                         for k, v in kwargs.items()})
            return out if pick is None else out[pick]
    return Wrap()


MHA_CASES = {
    "self": (dict(), [Q, Q, Q], dict()),
    "cross": (dict(), [Q, KV, KV], dict()),
    "causal_bool_mask": (dict(), [Q, Q, Q], dict(attn_mask=CAUSAL)),
    "is_causal": (dict(), [Q, Q, Q], dict(attn_mask=CAUSAL, is_causal=True)),
    "float_mask": (dict(), [Q, KV, KV], dict(attn_mask=FLOAT_MASK)),
    "key_padding": (dict(), [Q, KV, KV], dict(key_padding_mask=PADDING)),
    "batch_first": (dict(batch_first=True), [Q.transpose(1, 0, 2).copy(), KV.transpose(1, 0, 2).copy(),
                                             KV.transpose(1, 0, 2).copy()], dict(key_padding_mask=PADDING)),
    "unbatched": (dict(), [Q[:, 0], KV[:, 0], KV[:, 0]], dict()),
    "kdim_vdim": (dict(kdim=3, vdim=5), [Q, KV[..., :3].copy(), RNG.standard_normal((S, N, 5)).astype(np.float32)],
                  dict()),
    "no_bias": (dict(bias=False), [Q, KV, KV], dict()),
}


@requires_torch
@pytest.mark.parametrize("name", list(MHA_CASES))
@pytest.mark.parametrize("pick", [0, 1], ids=["output", "weights"])
def test_multihead_attention_matches_torch(name, pick):
    options, inputs, call = MHA_CASES[name]
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(E, 4, **options)
    ours = nn.MultiheadAttention(E, 4, **options)
    compare_with_torch(wrapped(cr, ours, pick, **call), wrapped(torch, theirs, pick, **call), inputs)


@requires_torch
def test_per_head_weights_and_no_weights_match_torch():
    torch.manual_seed(0)
    theirs, ours = torch.nn.MultiheadAttention(E, 2), nn.MultiheadAttention(E, 2)
    copy_torch_state(ours, theirs)
    _, w = ours(cr.tensor(Q), cr.tensor(KV), cr.tensor(KV), average_attn_weights=False)
    _, tw = theirs(torch.tensor(Q), torch.tensor(KV), torch.tensor(KV), average_attn_weights=False)
    assert w.shape == (N, 2, L, S)
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert ours(cr.tensor(Q), cr.tensor(Q), cr.tensor(Q), need_weights=False)[1] is None


def test_multihead_attention_passes_gradcheck():
    layer = nn.MultiheadAttention(4, 2, kdim=3)
    q = cr.tensor(RNG.standard_normal((3, 2, 4)), requires_grad=True)
    k = cr.tensor(RNG.standard_normal((5, 2, 3)), requires_grad=True)
    v = cr.tensor(RNG.standard_normal((5, 2, 4)), requires_grad=True)
    assert gradcheck_layer(wrapped(cr, layer, 0, key_padding_mask=PADDING[:, :5]), q, k, v)


@requires_torch
@pytest.mark.parametrize("mask", ["none", "bool", "float", "causal"])
def test_scaled_dot_product_attention_matches_torch(mask):
    q = RNG.standard_normal((N, 3, L, 4)).astype(np.float32)
    k = RNG.standard_normal((N, 3, S if mask != "causal" else L, 4)).astype(np.float32)
    v = RNG.standard_normal(k.shape[:-1] + (6,)).astype(np.float32)
    kw = {"bool": dict(attn_mask=RNG.random((L, S)) > 0.3),
          "float": dict(attn_mask=FLOAT_MASK, scale=0.3), "causal": dict(is_causal=True), "none": {}}[mask]
    outs, grads = [], []
    for lib in (cr, torch):
        xs = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
        call = {key: lib.tensor(val) if isinstance(val, np.ndarray) else val for key, val in kw.items()}
        fn = F.scaled_dot_product_attention if lib is cr else torch.nn.functional.scaled_dot_product_attention
        out = fn(*xs, **call)
        (out * lib.tensor(np.linspace(-1, 1, out.numel(), dtype=np.float32).reshape(tuple(out.shape)))).sum().backward()
        outs.append(out.detach().numpy())
        grads.append([x.grad.numpy() for x in xs])
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-6)
    for g, tg in zip(*grads):
        np.testing.assert_allclose(g, tg, rtol=1e-4, atol=1e-6)


ENCODER_CASES = {
    "post_norm": dict(),
    "norm_first_gelu": dict(norm_first=True, activation="gelu"),
    "batch_first": dict(batch_first=True),
}


@requires_torch
@pytest.mark.parametrize("name", list(ENCODER_CASES))
def test_transformer_encoder_layer_matches_torch(name):
    options = ENCODER_CASES[name]
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(E, 2, dim_feedforward=16, dropout=0.0, **options)
    ours = nn.TransformerEncoderLayer(E, 2, dim_feedforward=16, dropout=0.0, **options)
    x = Q.transpose(1, 0, 2).copy() if options.get("batch_first") else Q
    compare_with_torch(wrapped(cr, ours, None, src_key_padding_mask=PADDING[:, :L]),
                       wrapped(torch, theirs, None, src_key_padding_mask=PADDING[:, :L]), [x])


@requires_torch
def test_transformer_encoder_stack_matches_torch():
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, 2, 16, 0.0), 2,
                                         norm=torch.nn.LayerNorm(E), enable_nested_tensor=False)
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, 2, 16, 0.0), 2, norm=nn.LayerNorm(E))
    assert ours.layers[0].linear1.weight is not ours.layers[1].linear1.weight
    compare_with_torch(wrapped(cr, ours, None, mask=CAUSAL), wrapped(torch, theirs, None, mask=CAUSAL), [Q])


def test_bad_attention_arguments_are_refused_clearly():
    with pytest.raises(ValueError, match="must be a positive multiple of num_heads"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(NotImplementedError, match="add_bias_kv"):
        nn.MultiheadAttention(8, 2, add_bias_kv=True)
    with pytest.raises(RuntimeError, match="expected query of shape"):
        nn.MultiheadAttention(8, 2)(cr.zeros(3, 2, 6), cr.zeros(3, 2, 8), cr.zeros(3, 2, 8))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


MEMORY = RNG.standard_normal((S, N, E)).astype(np.float32)


@requires_torch
@pytest.mark.parametrize("options", [dict(), dict(norm_first=True, activation="gelu")], ids=["post", "norm_first"])
def test_transformer_decoder_layer_matches_torch(options):
    torch.manual_seed(0)
    theirs = torch.nn.TransformerDecoderLayer(E, 2, 16, 0.0, **options)
    ours = nn.TransformerDecoderLayer(E, 2, 16, 0.0, **options)
    masks = dict(tgt_mask=CAUSAL, memory_key_padding_mask=PADDING)
    compare_with_torch(wrapped(cr, ours, **masks), wrapped(torch, theirs, **masks), [Q, MEMORY])


@requires_torch
def test_transformer_matches_torch():
    torch.manual_seed(0)
    theirs = torch.nn.Transformer(E, 2, 2, 2, 16, 0.0, batch_first=True)
    ours = nn.Transformer(E, 2, 2, 2, 16, 0.0, batch_first=True)
    mask = nn.Transformer.generate_square_subsequent_mask(L)
    np.testing.assert_array_equal(mask.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(L).numpy())

    src, tgt = MEMORY.transpose(1, 0, 2).copy(), Q.transpose(1, 0, 2).copy()
    masks = dict(tgt_mask=mask.numpy(), src_key_padding_mask=PADDING)
    compare_with_torch(wrapped(cr, ours, **masks), wrapped(torch, theirs, **masks), [src, tgt], rtol=2e-4, atol=2e-5)


def test_transformer_initializes_every_weight_matrix_xavier_uniform():
    model = nn.Transformer(16, 2, 1, 1, 32)
    for name, p in model.named_parameters():
        if p.ndim > 1:
            bound = np.sqrt(6 / (p.shape[0] + p.shape[1]))
            assert np.abs(p.detach().numpy()).max() <= bound, name

"""PyTorch weights in and out through safetensors: the same architecture built in both libraries gives the
same outputs after the weights cross over, in both directions."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.io.torch_weights import load_torch_weights, save_torch_weights
from tests.conftest import requires_torch, torch

safetensors_torch = pytest.importorskip("safetensors.torch", reason="safetensors is not installed")


def tagger(lib):
    """Embedding + bidirectional LSTM + GRU + LayerNorm + Linear, built from either library's nn."""
    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.Embedding(12, 6)
            self.lstm = lib.LSTM(6, 5, num_layers=2, bidirectional=True, batch_first=True)
            self.gru = lib.GRU(10, 4, batch_first=True)
            self.norm = lib.LayerNorm(4)
            self.head = lib.Linear(4, 3)

        def forward(self, tokens):
            out, _ = self.lstm(self.embed(tokens))
            out, _ = self.gru(out)
            return self.head(self.norm(out))
    return Net()


def convnet(lib):
    return lib.Sequential(lib.Conv2d(2, 4, 3, padding=1), lib.BatchNorm2d(4), lib.ReLU(), lib.MaxPool2d(2),
                          lib.ConvTranspose2d(4, 3, 2, stride=2), lib.GroupNorm(1, 3), lib.Conv2d(3, 2, 1),
                          lib.Flatten(), lib.Linear(2 * 6 * 6, 5))


def mlp(lib):
    return lib.Sequential(lib.Linear(7, 16), lib.GELU(), lib.Dropout(0.2), lib.Linear(16, 3))


MODELS = [("mlp", mlp, lambda rng: rng.standard_normal((4, 7)).astype(np.float32)),
          ("convnet", convnet, lambda rng: rng.standard_normal((2, 2, 6, 6)).astype(np.float32)),
          ("tagger", tagger, lambda rng: rng.integers(0, 12, size=(2, 5)))]


def _outputs(ours, theirs, x):
    ours.eval()
    theirs.eval()
    with cr.no_grad():
        a = ours(cr.from_numpy(x)).numpy()
    with torch.no_grad():
        b = theirs(torch.from_numpy(x)).numpy()
    return a, b


def _train_batchnorm(theirs, x):
    """Non-trivial running statistics and num_batches_tracked on the PyTorch side."""
    theirs.train()
    with torch.no_grad():
        for k in range(2):
            theirs(torch.from_numpy(x * (k + 2)))


@requires_torch
@pytest.mark.parametrize("name, build, data", MODELS, ids=[m[0] for m in MODELS])
def test_pytorch_weights_into_chainrule(tmp_path, name, build, data):
    torch.manual_seed(0)
    x = data(np.random.default_rng(0))
    theirs = build(torch.nn)
    if x.dtype.kind == "f":
        _train_batchnorm(theirs, x)
    safetensors_torch.save_file(theirs.state_dict(), str(tmp_path / "w.safetensors"))
    ours = build(nn)
    result = load_torch_weights(ours, tmp_path / "w.safetensors")
    assert not result.missing_keys and not result.unexpected_keys
    a, b = _outputs(ours, theirs, x)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@requires_torch
@pytest.mark.parametrize("name, build, data", MODELS, ids=[m[0] for m in MODELS])
def test_chainrule_weights_into_pytorch(tmp_path, name, build, data):
    cr.manual_seed(1)
    x = data(np.random.default_rng(1))
    ours = build(nn)
    if x.dtype.kind == "f":
        ours.train()
        with cr.no_grad():
            ours(cr.from_numpy(x * 3))
    save_torch_weights(ours, tmp_path / "w.safetensors")
    theirs = build(torch.nn)
    theirs.load_state_dict(safetensors_torch.load_file(str(tmp_path / "w.safetensors")), strict=True)
    a, b = _outputs(ours, theirs, x)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@requires_torch
def test_wrapper_prefixes_are_removed(tmp_path):
    theirs = torch.nn.DataParallel(mlp(torch.nn))
    safetensors_torch.save_file(theirs.state_dict(), str(tmp_path / "w.safetensors"))
    ours = mlp(nn)
    load_torch_weights(ours, tmp_path / "w.safetensors")
    a, b = _outputs(ours, theirs.module, np.ones((2, 7), np.float32))
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@requires_torch
def test_mismatches_and_pickles_are_explained(tmp_path):
    safetensors_torch.save_file(mlp(torch.nn).state_dict(), str(tmp_path / "w.safetensors"))
    wrong = nn.Sequential(nn.Linear(7, 8), nn.GELU(), nn.Dropout(0.2), nn.Linear(8, 3))
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight: .* \(16, 7\) .* \(8, 7\)"):
        load_torch_weights(wrong, tmp_path / "w.safetensors")
    torch.save(mlp(torch.nn).state_dict(), str(tmp_path / "w.pt"))
    with pytest.raises(ValueError, match="PyTorch pickle .* safetensors.torch.save_file"):
        load_torch_weights(mlp(nn), tmp_path / "w.pt")


def test_a_nested_checkpoint_is_not_a_state_dict(tmp_path):
    cr.save({"model": mlp(nn).state_dict(), "epoch": 3}, tmp_path / "ckpt.safetensors")
    with pytest.raises(ValueError, match="does not hold a flat state dict"):
        load_torch_weights(mlp(nn), tmp_path / "ckpt.safetensors")

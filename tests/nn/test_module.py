"""The Module contract, against PyTorch: the same model definition, written once, run by both libraries.

Registration, traversal order, state_dict keys and loading, buffers, hooks,
modes, apply, dtype conversion, zero_grad, repr, and the containers.
"""
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from tests.conftest import requires_torch
from tests.nn.layer_parity import assert_close, copy_torch_state, torch


def build(lib):
    """One architecture in either library: lib is chainrule or torch."""
    L = lib.nn

    class Block(L.Module):
        def __init__(self):
            super().__init__()
            self.fc = L.Linear(6, 6)
            self.act = L.Tanh()
            self.register_buffer("count", lib.zeros((), dtype=lib.int64))
            self.register_buffer("cache", lib.zeros(6), persistent=False)

        def forward(self, x):
            return self.act(self.fc(x)) + x

    class Net(L.Module):
        def __init__(self):
            super().__init__()
            self.embed = L.Embedding(10, 4, padding_idx=0)
            self.features = L.Sequential(L.Linear(4, 6), L.ReLU(), L.Dropout(0.2))
            self.blocks = L.ModuleList([Block(), Block()])
            self.heads = L.ModuleDict({"cls": L.Linear(6, 3), "aux": L.Linear(6, 1, bias=False)})
            self.scale = L.Parameter(lib.ones(1))
            self.register_buffer("running", lib.zeros(6))
            self.flatten = L.Flatten()

        def forward(self, idx):
            h = self.features(self.embed(idx)).mean(1)
            for block in self.blocks:
                h = block(h)
            return self.heads["cls"](h) * self.scale, self.heads["aux"](h)

    return Net()


IDX = np.array([[1, 2, 0], [4, 4, 9]], np.int64)

pytestmark = requires_torch


@pytest.fixture
def pair():
    return build(cr), build(torch)


def test_named_parameters_match_torch(pair):
    ours, theirs = pair
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert all(p.dtype == np.float32 and p.requires_grad for p in ours.parameters())
    assert [n for n, _ in ours.named_parameters(prefix="model", recurse=False)] == \
        [n for n, _ in theirs.named_parameters(prefix="model", recurse=False)]


def test_modules_children_and_buffers_match_torch(pair):
    ours, theirs = pair
    assert [(n, type(m).__name__) for n, m in ours.named_modules()] == \
        [(n, type(m).__name__) for n, m in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert len(list(ours.children())) == len(list(theirs.children()))


def test_state_dict_keys_and_shapes_match_torch(pair):
    ours, theirs = pair
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    assert "blocks.0.cache" not in sd, "non-persistent buffers stay out of state_dict"
    for k in sd:
        assert tuple(sd[k].shape) == tuple(tsd[k].shape), k
        assert str(sd[k].dtype) == str(tsd[k].dtype).replace("torch.", ""), k
        assert not sd[k].requires_grad


def test_torch_state_dict_loads_and_gives_the_same_outputs_and_gradients(pair):
    ours, theirs = pair
    copy_torch_state(ours, theirs)
    ours.eval()
    theirs.eval()
    outs, touts = ours(cr.tensor(IDX)), theirs(torch.tensor(IDX))
    for o, t in zip(outs, touts):
        assert_close(o, t, "output", 1e-4, 1e-5)
    (outs[0].sum() + 2 * outs[1].sum()).backward()
    (touts[0].sum() + 2 * touts[1].sum()).backward()
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, tparams[name].grad, f"gradient of {name}", 1e-4, 1e-5)


def test_state_dict_round_trip_and_memory_sharing():
    a, b = build(cr), build(cr)
    sd = a.state_dict()
    b.load_state_dict(sd)
    a.eval()
    b.eval()
    for x, y in zip(a(cr.tensor(IDX)), b(cr.tensor(IDX))):
        np.testing.assert_array_equal(x.detach().numpy(), y.detach().numpy())
    assert np.shares_memory(sd["scale"].numpy(), a.scale.numpy(force=True))
    assert not np.shares_memory(sd["scale"].numpy(), b.scale.numpy(force=True))
    assert a.state_dict(keep_vars=True)["scale"] is a.scale


def torch_error(theirs, state, **kwargs):
    with pytest.raises(RuntimeError) as info:
        theirs.load_state_dict(state, **kwargs)
    return str(info.value)


def test_strict_loading_errors_match_torch(pair):
    ours, theirs = pair
    sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    broken = dict(sd)
    del broken["heads.cls.bias"]
    broken["extra.weight"] = np.zeros(2, np.float32)
    broken["features.0.weight"] = np.zeros((6, 5), np.float32)
    tbroken = {k: torch.tensor(v) for k, v in broken.items()}
    before = ours.features[0].weight.numpy(force=True).copy()
    with pytest.raises(RuntimeError) as info:
        ours.load_state_dict(broken)
    message = str(info.value)
    expected = torch_error(theirs, tbroken)
    expected = re.sub(r"torch\.Size\(\[(.*?)\]\)", r"(\1)", expected)  # shapes print as tuples here
    for line in expected.split("\n\t"):  # every problem torch lists, in the same words
        assert line.strip() in message
    np.testing.assert_array_equal(ours.features[0].weight.numpy(force=True), before)
    broken["features.0.weight"], tbroken["features.0.weight"] = sd["features.0.weight"], theirs.features[0].weight
    result, tresult = ours.load_state_dict(broken, strict=False), theirs.load_state_dict(tbroken, strict=False)
    assert result.missing_keys == tresult.missing_keys == ["heads.cls.bias"]
    assert result.unexpected_keys == tresult.unexpected_keys == ["extra.weight"]
    np.testing.assert_array_equal(ours.embed.weight.numpy(force=True), sd["embed.weight"])


def test_assign_and_setattr_errors():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(cr.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign"):
        layer.weight = cr.ones(2, 2)
    with pytest.raises(KeyError, match="contain"):
        layer.register_buffer("a.b", cr.ones(1))
    with pytest.raises(TypeError):
        layer.register_parameter("p", cr.ones(1))
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_buffers_follow_the_model():
    model = build(cr)
    assert [n for n, _ in model.named_buffers()] == ["running", "blocks.0.count", "blocks.0.cache",
                                                     "blocks.1.count", "blocks.1.cache"]
    cache = cr.ones(6)
    model.blocks[0].cache = cache
    assert any(b is cache for b in model.buffers())
    assert [n for n, _ in model.named_buffers()][2] == "blocks.0.cache", "re-assigning keeps the place"
    model.register_buffer("gone", None)
    assert "gone" not in model.state_dict()


def test_forward_hooks_change_inputs_and_outputs_and_can_be_removed():
    layer = nn.Linear(3, 2)
    x = cr.randn(4, 3)
    seen = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = layer.register_forward_hook(lambda m, args, out: seen.append((m, out.shape)) or out + 1)
    out = layer(x)
    np.testing.assert_allclose(out.detach().numpy(), np.broadcast_to(layer.bias.numpy(force=True) + 1, (4, 2)),
                               rtol=1e-6)
    assert seen == [(layer, (4, 2))]
    pre.remove()
    post.remove()
    np.testing.assert_allclose(layer(x).detach().numpy(),
                               x.numpy() @ layer.weight.numpy(force=True).T + layer.bias.numpy(force=True),
                               rtol=1e-5, atol=1e-6)
    assert len(seen) == 1


def test_train_eval_reach_every_submodule(pair):
    ours, theirs = pair
    assert ours.eval() is ours
    assert all(not m.training for m in ours.modules())
    ours.train()
    assert all(m.training for m in ours.modules())
    ours.blocks.eval()
    theirs.blocks.eval()
    assert [m.training for m in ours.modules()] == [m.training for m in theirs.modules()]
    with pytest.raises(ValueError, match="boolean"):
        ours.train("no")


def test_apply_visits_in_torchs_order(pair):
    ours, theirs = pair
    visited, tvisited = [], []
    assert ours.apply(lambda m: visited.append(type(m).__name__)) is ours
    theirs.apply(lambda m: tvisited.append(type(m).__name__))
    assert visited == tvisited


def test_apply_for_initialization():
    model = build(cr)

    def init_linear(m):
        if isinstance(m, nn.Linear):
            nn.init.ones_(m.weight)
    model.apply(init_linear)
    assert all((m.weight.numpy(force=True) == 1).all() for m in model.modules() if isinstance(m, nn.Linear))


def test_double_converts_floating_state_only(pair):
    ours, theirs = pair
    weight = ours.heads["cls"].weight
    assert ours.double() is ours
    theirs.double()
    assert ours.heads["cls"].weight is weight, "conversion keeps the same Parameter objects"
    assert {k: str(v.dtype) for k, v in ours.state_dict().items()} == \
        {k: str(v.dtype).replace("torch.", "") for k, v in theirs.state_dict().items()}
    ours.eval()
    assert ours(cr.tensor(IDX))[0].dtype == np.float64
    assert ours.to(cr.float32).scale.dtype == np.float32
    with pytest.raises(TypeError, match="floating point"):
        ours.to(cr.int64)


def test_zero_grad_and_requires_grad_():
    model = build(cr)
    model.eval()
    sum(o.sum() for o in model(cr.tensor(IDX))).backward()
    model.zero_grad(set_to_none=False)
    assert all(p.grad is None or not p.grad.numpy().any() for p in model.parameters())
    assert any(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_get_submodule_and_parameter():
    model = build(cr)
    assert model.get_submodule("blocks.1.fc") is model.blocks[1].fc
    assert model.get_parameter("heads.cls.bias") is model.heads["cls"].bias
    with pytest.raises(AttributeError, match="nothere"):
        model.get_submodule("blocks.nothere")


def test_shared_parameters_are_listed_once_as_in_torch():
    def tied(lib):
        m = lib.nn.Sequential(lib.nn.Linear(3, 3), lib.nn.Linear(3, 3))
        m[1].weight = m[0].weight
        return m
    ours, theirs = tied(cr), tied(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_repr_matches_torch(pair):
    ours, theirs = pair
    assert repr(ours) == repr(theirs)


def test_repr_of_repeated_modules_in_a_module_list_matches_torch():
    def stack(lib):
        L = lib.nn
        return L.ModuleList([L.Linear(2, 2), L.Linear(2, 2), L.Linear(2, 2), L.ReLU(), L.Linear(2, 2)])
    assert repr(stack(cr)) == repr(stack(torch))
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_parameter_containers_match_torch():
    def holder(lib):
        L = lib.nn

        class Holder(L.Module):
            def __init__(self):
                super().__init__()
                self.plist = L.ParameterList([L.Parameter(lib.ones(2)), L.Parameter(lib.zeros(3, 2))])
                self.pdict = L.ParameterDict({"b": L.Parameter(lib.ones(1)), "a": L.Parameter(lib.ones(4))})
        return Holder()
    ours, theirs = holder(cr), holder(torch)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(ours.pdict.keys()) == list(theirs.pdict.keys()), "a plain dict's keys are sorted, as in torch"
    assert repr(ours) == re.sub(r"torch\.(float32|FloatTensor)", "chainrule.float32", repr(theirs))
    assert len(ours.plist) == 2 and "a" in ours.pdict
    ours.plist.append(cr.ones(5))
    assert isinstance(ours.plist[2], nn.Parameter) and ours.plist[-1].shape == (5,)


def test_sequential_operations_match_torch():
    def seq(lib):
        L = lib.nn
        return L.Sequential(L.Linear(2, 3), L.ReLU(), L.Linear(3, 4), L.Tanh())
    ours, theirs = seq(cr), seq(torch)
    for op in (lambda s, L: s.append(L.Sigmoid()), lambda s, L: s.insert(1, L.Identity()),
               lambda s, L: s.__delitem__(0), lambda s, L: s.extend([L.ReLU(), L.Tanh()]),
               lambda s, L: s.__setitem__(-1, L.Flatten())):
        op(ours, nn)
        op(theirs, torch.nn)
        assert repr(ours) == repr(theirs)
    assert len(ours) == len(theirs)
    assert repr(ours[1:3]) == repr(theirs[1:3])
    assert type(ours[-1]).__name__ == type(theirs[-1]).__name__
    named = nn.Sequential(OrderedDict([("enc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    tnamed = torch.nn.Sequential(OrderedDict([("enc", torch.nn.Linear(2, 2)), ("act", torch.nn.ReLU())]))
    assert repr(named) == repr(tnamed)
    assert [n for n, _ in named.named_parameters()] == [n for n, _ in tnamed.named_parameters()]


def test_sequential_forward_chains_the_layers():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = cr.randn(5, 3)
    np.testing.assert_array_equal(model(x).detach().numpy(), model[2](model[1](model[0](x))).detach().numpy())


def test_module_list_and_dict_operations_match_torch():
    def lists(lib):
        L = lib.nn
        return L.ModuleList([L.Linear(1, 1), L.ReLU()]), L.ModuleDict({"z": L.Tanh(), "a": L.ReLU()})
    (ml, md), (tml, tmd) = lists(cr), lists(torch)
    for op in (lambda m, L: m.append(L.Linear(1, 2)), lambda m, L: m.extend([L.Tanh(), L.Tanh()]),
               lambda m, L: m.insert(0, L.Sigmoid()), lambda m, L: m.__delitem__(2),
               lambda m, L: m.__iadd__([L.ReLU()])):
        op(ml, nn)
        op(tml, torch.nn)
        assert repr(ml) == repr(tml)
    assert [n for n, _ in ml.named_parameters()] == [n for n, _ in tml.named_parameters()]
    for op in (lambda d, L: d.update({"m": L.Linear(1, 1)}), lambda d, L: d.__setitem__("b", L.ReLU()),
               lambda d, L: d.pop("z"), lambda d, L: d.__delitem__("a")):
        op(md, nn)
        op(tmd, torch.nn)
        assert repr(md) == repr(tmd)
        assert list(md.keys()) == list(tmd.keys())
    assert "m" in md and "z" not in md and len(md) == len(tmd)
    with pytest.raises(IndexError):
        ml[len(ml)]


def test_print_of_a_custom_module_with_extra_repr():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Linear(2, 2)

        def extra_repr(self):
            return "factor=2"

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert repr(Scaled()) == "Scaled(\n  factor=2\n  (inner): Linear(in_features=2, out_features=2, bias=True)\n)"

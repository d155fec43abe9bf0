"""The worked examples' networks exported and run in onnxruntime, and the deployment steps of docs/onnx.md."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.cli.examples import EXAMPLES
from chainrule.nn.spec import from_spec
from tests.onnx.roundtrip import op_types, roundtrip


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_built_in_example_network(name):
    cr.manual_seed(0)
    model = from_spec(EXAMPLES[name]["model"])
    first = model[0] if isinstance(model[0], nn.Linear) else model[1]
    shape = (3, 28, 28) if not isinstance(model[0], nn.Linear) else (3, first.in_features)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    roundtrip(model, [x], {0: {0: 5}})


def test_xor_network_written_as_a_function():
    """examples/xor.py: the network is a function of leaf tensors, not a Module."""
    cr.manual_seed(0)
    w1, b1 = cr.randn(2, 8).requires_grad_(), cr.zeros(8, requires_grad=True)
    w2, b2 = (cr.randn(8, 1) * 0.5).requires_grad_(), cr.zeros(1, requires_grad=True)
    net = lambda x: cr.sigmoid(cr.tanh(x @ w1 + b1) @ w2 + b2)  # noqa: E731
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    assert op_types(roundtrip(net, [x], {0: {0: 2}})) == ["MatMul", "Add", "Tanh", "MatMul", "Add", "Sigmoid"]


class ConvNet(nn.Module):
    """A small MNIST convolutional network, written with a custom forward."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(32, 10)
        self.drop = nn.Dropout(0.25)

    def forward(self, x):
        x = x.unsqueeze(1)  # (N, 28, 28) images
        x = nn.functional.relu(self.bn(self.conv1(x)))
        x = nn.functional.max_pool2d(x, 2)
        x = self.pool(nn.functional.gelu(self.conv2(x)))
        return self.fc(self.drop(x.flatten(1))).log_softmax(-1)


def test_convolutional_network_with_custom_forward():
    cr.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((2, 28, 28)).astype(np.float32)
    roundtrip(ConvNet(), [x], {0: {0: 5}})


class CharModel(nn.Module):
    """Embedding, LSTM and a per-step classifier, as a text model."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 6)
        self.lstm = nn.LSTM(6, 8, num_layers=2, batch_first=True)
        self.head = nn.Linear(8, 20)

    def forward(self, tokens):
        out, (h, c) = self.lstm(self.embed(tokens))
        return self.head(out), h


def test_sequence_model_with_dynamic_batch_and_length():
    cr.manual_seed(0)
    tokens = np.random.default_rng(0).integers(0, 20, size=(2, 7))
    roundtrip(CharModel(), [tokens], {0: {0: 3, 1: 4}}, high=20)


def test_deploy_steps_of_the_documentation(tmp_path):
    """docs/onnx.md: export the MNIST example network from its bundle, then run it in onnxruntime alone with
    the preprocessing done by hand, and through load_onnx_predictor with the bundle's preprocessing."""
    import onnxruntime
    from chainrule.data.transforms import Normalize, ToTensor
    from chainrule.io.bundle import load_bundle, save_bundle
    from chainrule.onnx import export, load_onnx_predictor
    cr.manual_seed(0)
    save_bundle(from_spec(EXAMPLES["mnist-mlp"]["model"]), tmp_path / "mnist.bundle", input_shape=(28, 28),
                image_mode="L", preprocess=[ToTensor(), Normalize([0.13], [0.31])],
                class_names=[str(d) for d in range(10)])

    bundle = load_bundle(tmp_path / "mnist.bundle")
    example = bundle.transform(bundle.as_batch(np.zeros((1, 28, 28), np.uint8)))
    export(bundle.model, example, tmp_path / "mnist.onnx", input_names=["input"], output_names=["logits"],
           dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    normalize = bundle.preprocess[-1]
    p = {"mean": normalize.mean[0], "std": normalize.std[0]}

    images = np.random.default_rng(0).integers(0, 256, size=(8, 28, 28)).astype(np.uint8)
    session = onnxruntime.InferenceSession(str(tmp_path / "mnist.onnx"))
    x = ((images / 255 - p["mean"]) / p["std"]).astype(np.float32)[:, None]
    logits = session.run(None, {"input": x})[0]
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    np.testing.assert_allclose(probabilities, bundle.predict(images), rtol=1e-4, atol=1e-6)

    predict = load_onnx_predictor(tmp_path / "mnist.onnx")
    np.testing.assert_allclose(predict(bundle.transform(bundle.as_batch(images))), logits, rtol=1e-5, atol=1e-6)

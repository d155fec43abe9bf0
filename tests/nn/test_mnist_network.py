"""PyTorch's MNIST example network (examples/mnist_pytorch.py, line for line as in PyTorch): its parameters match
PyTorch's one to one, its output matches PyTorch's with the same weights, and it trains."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
import chainrule.nn.functional as F


def _example_net():
    """The network of examples/mnist_pytorch.py, PyTorch's MNIST example ported by changing its imports."""
    import importlib.util
    import os
    import sys
    folder = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location("example_mnist_pytorch", os.path.join(folder, "mnist_pytorch.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Net


Net = _example_net()


def test_loss_falls_on_random_data():
    cr.manual_seed(1)
    model = Net()
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    data, target = cr.randn(16, 1, 28, 28), cr.randint(0, 10, (16,))
    losses = []
    model.train()
    for _ in range(8):
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
    assert all(p.grad is not None and p.grad.dtype == np.float32 for p in model.parameters())


def test_same_outputs_and_gradients_as_pytorch():
    torch = pytest.importorskip("torch")
    tnn, tF = torch.nn, torch.nn.functional

    class TorchNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = tnn.Conv2d(1, 32, 3, 1), tnn.Conv2d(32, 64, 3, 1)
            self.dropout1, self.dropout2 = tnn.Dropout(0.25), tnn.Dropout(0.5)
            self.fc1, self.fc2 = tnn.Linear(9216, 128), tnn.Linear(128, 10)

        def forward(self, x):
            x = tF.max_pool2d(tF.relu(self.conv2(tF.relu(self.conv1(x)))), 2)
            x = tF.relu(self.fc1(torch.flatten(self.dropout1(x), 1)))
            return tF.log_softmax(self.fc2(self.dropout2(x)), dim=1)

    theirs, ours = TorchNet().eval(), Net().eval()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
    target = np.array([3, 1, 4, 1])
    t_loss = tF.nll_loss(theirs(torch.tensor(x)), torch.tensor(target))
    t_loss.backward()
    c_loss = F.nll_loss(ours(cr.tensor(x)), cr.tensor(target))
    c_loss.backward()
    assert c_loss.item() == pytest.approx(t_loss.item(), rel=1e-5)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)

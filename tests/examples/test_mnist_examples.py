"""The MNIST examples, shortened to a few batches of a subset: each must run end to end, keep float32,
and learn (accuracy far above the 10% of guessing; reconstructions better than the mean image)."""
import os

import pytest

SHORT = ["--epochs", "1", "--test-limit", "300", "--quiet"]


def _float32(model):
    dtypes = {str(p.dtype) for p in model.parameters()}
    assert dtypes == {"float32"}, f"parameters promoted to {dtypes}"


@pytest.mark.parametrize("name, limit, better_than", [("mnist_mlp", 2000, 0.6), ("mnist_lenet5", 1000, 0.25)])
def test_classifier_learns_from_a_subset(dataset, name, limit, better_than):
    module = __import__(name)
    result = module.main(["--data", dataset("mnist"), "--limit", str(limit), *SHORT])
    assert result["epochs"] == 1 and len(result["history"]) == 1
    assert better_than < result["test_accuracy"] <= 1
    assert result["test_error"] == pytest.approx(1 - result["test_accuracy"])
    _float32(result["model"])


def test_lenet5_is_the_paper_architecture():
    from mnist_lenet5 import LeNet5
    import chainrule as cr
    model = LeNet5()
    assert sum(p.numel() for p in model.parameters()) == 61706   # LeNet-5 with full C3 connections
    assert model(cr.zeros(2, 1, 28, 28)).shape == (2, 10)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_recurrent_reader_learns_from_a_subset(dataset, cell):
    import mnist_rnn
    result = mnist_rnn.main(["--data", dataset("mnist"), "--limit", "1000", "--cell", cell, "--lr", "5e-3", *SHORT])
    assert 0.2 < result["test_accuracy"] <= 1
    _float32(result["model"])


def test_pytorch_example_runs_as_written(dataset, capsys):
    import mnist_pytorch
    result = mnist_pytorch.main(["--data", dataset("mnist"), "--limit", "320", "--epochs", "1",
                                 "--test-limit", "200"])
    out = capsys.readouterr().out
    assert "Train Epoch: 1 [0/320 (0%)]" in out and "Test set: Average loss:" in out
    assert 0.25 < result["test_accuracy"] <= 1


def test_autoencoder_beats_the_mean_image_and_draws_its_picture(dataset, tmp_path):
    import mnist_autoencoder
    from mnist_data import mnist_tensors
    root = dataset("mnist")
    result = mnist_autoencoder.main(["--data", root, "--limit", "5000", "--epochs", "2", "--test-limit", "500",
                                     "--out", str(tmp_path), "--quiet"])
    train, _ = mnist_tensors(root, True, 5000, standardize=False)
    test, _ = mnist_tensors(root, False, 500, standardize=False)
    mean_image_mse = float(((test.numpy() - train.numpy().mean(axis=0)) ** 2).mean())
    assert result["test_mse"] < mean_image_mse
    pytest.importorskip("matplotlib", reason="the picture needs matplotlib")
    assert result["picture"] == str(tmp_path / "reconstructions.png") and os.path.getsize(result["picture"]) > 1000

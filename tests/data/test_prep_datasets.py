"""MNIST, Fashion-MNIST (real files from the shared folder) and CIFAR-10 (generated binary batches)."""
import gzip
import shutil
import time

import numpy as np
import pytest

from chainrule.data import DataLoader, IDXError, write_idx
from chainrule.data.datasets import CIFAR10, MNIST, FashionMNIST
from chainrule.data.transforms import ToTensor
from tests.data.conftest import dataset_dir


@pytest.fixture(scope="module")
def mnist_dir(datasets_root):
    return dataset_dir(datasets_root, "mnist")


def test_mnist_matches_published_facts(mnist_dir):
    """Counts, label histograms, mean pixel and first test labels as published with the files."""
    train, test = MNIST(mnist_dir), MNIST(mnist_dir, train=False)
    assert train.data.shape == (60000, 28, 28) and train.data.dtype == np.uint8
    assert test.data.shape == (10000, 28, 28) and train.targets.dtype == np.int64
    assert np.bincount(train.targets.numpy()).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265,
                                                           5851, 5949]
    assert np.bincount(test.targets.numpy()).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert train.data.numpy().mean() == pytest.approx(33.3184, abs=1e-4)
    assert test.targets.numpy()[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    image, label = test[0]
    assert image.shape == (28, 28) and label == 7 and isinstance(label, int)


def test_loading_full_mnist_takes_under_a_second(mnist_dir):
    def load():
        start = time.perf_counter()
        MNIST(mnist_dir), MNIST(mnist_dir, train=False)
        return time.perf_counter() - start
    assert min(load() for _ in range(3)) < 1.0


def test_fashion_mnist_is_balanced(datasets_root):
    root = dataset_dir(datasets_root, "fashion-mnist")
    test = FashionMNIST(root, train=False)
    assert np.bincount(test.targets.numpy()).tolist() == [1000] * 10
    assert test.data.numpy().mean() == pytest.approx(73.1466, abs=1e-4)
    assert test.classes[9] == "Ankle boot" and test.class_to_idx["Trouser"] == 1


def test_mnist_through_a_loader_with_to_tensor(mnist_dir):
    test = MNIST(mnist_dir, train=False, transform=ToTensor())
    x, y = next(iter(DataLoader(test, batch_size=8)))
    assert x.shape == (8, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(x.numpy()[:, 0], test.data.numpy()[:8] / 255.0, rtol=1e-6)
    assert 0.0 <= x.numpy().min() and x.numpy().max() <= 1.0


def _tiny_mnist(folder, images=None, labels=None, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8) if images is None else images
    labels = np.array([3, 1, 4, 1, 5], np.uint8) if labels is None else labels
    ext = ".gz" if compress else ""
    for prefix in ("train", "t10k"):
        write_idx(folder / f"{prefix}-images-idx3-ubyte{ext}", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{ext}", labels)
    return images, labels


@pytest.mark.parametrize("layout", ["root", "torchvision"])
@pytest.mark.parametrize("compress", [True, False])
def test_files_found_in_root_or_torchvision_layout(tmp_path, layout, compress):
    folder = tmp_path if layout == "root" else tmp_path / "MNIST" / "raw"
    images, labels = _tiny_mnist(folder, compress=compress)
    ds = MNIST(tmp_path)
    np.testing.assert_array_equal(ds.data.numpy(), images)
    assert ds.targets.tolist() == labels.tolist() and len(ds) == 5


def test_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte.gz.*download=True.*put them in") as e:
        FashionMNIST(tmp_path)
    assert str(tmp_path / "FashionMNIST" / "raw") in str(e.value)


def test_label_out_of_range_names_file_and_row(tmp_path):
    _tiny_mnist(tmp_path, labels=np.array([3, 1, 10, 1, 5], np.uint8))
    with pytest.raises(ValueError, match=r"labels in .*train-labels-idx1-ubyte.gz out of range: row 2 holds 10"):
        MNIST(tmp_path)


def test_image_and_label_counts_must_agree(tmp_path):
    _tiny_mnist(tmp_path, labels=np.array([3, 1, 4], np.uint8))
    with pytest.raises(IDXError, match="holds 5 images but .*holds 3 labels"):
        MNIST(tmp_path)


def test_corrupted_header_names_the_file(tmp_path):
    _tiny_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[7] = 99  # first dimension now 99 (+ 256 * 0 ...): more images announced than held
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(IDXError, match="train-images-idx3-ubyte.gz: IDX header announces shape"):
        MNIST(tmp_path)


def test_labels_file_in_place_of_images_is_rejected(tmp_path):
    _tiny_mnist(tmp_path)
    shutil.copy(tmp_path / "train-labels-idx1-ubyte.gz", tmp_path / "train-images-idx3-ubyte.gz")
    with pytest.raises(IDXError, match=r"expected uint8 images of shape \(N, H, W\)"):
        MNIST(tmp_path)


def cifar_record(image_hwc, label):
    """One record of the binary version: label byte, then the red, green and blue planes."""
    return bytes([label]) + image_hwc.transpose(2, 0, 1).tobytes()


def write_cifar(folder, per_batch=3, seed=0, labels=None):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    images, targets = {}, {}
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    for name in names:
        imgs = rng.integers(0, 256, (per_batch, 32, 32, 3), dtype=np.uint8)
        labs = rng.integers(0, 10, per_batch).tolist() if labels is None else labels
        (folder / name).write_bytes(b"".join(cifar_record(im, lab) for im, lab in zip(imgs, labs)))
        images[name], targets[name] = imgs, labs
    (folder / "batches.meta.txt").write_text("\n".join(CIFAR10.classes) + "\n\n")
    return images, targets


def test_cifar10_binary_batches(tmp_path):
    images, targets = write_cifar(tmp_path / "cifar-10-batches-bin")
    train, test = CIFAR10(tmp_path), CIFAR10(tmp_path, train=False)
    assert train.data.shape == (15, 32, 32, 3) and train.data.dtype == np.uint8 and len(test) == 3
    np.testing.assert_array_equal(train.data[:3], images["data_batch_1.bin"])
    np.testing.assert_array_equal(train.data[12:], images["data_batch_5.bin"])
    assert train.targets == sum((targets[f"data_batch_{i}.bin"] for i in range(1, 6)), [])
    np.testing.assert_array_equal(test[1][0], images["test_batch.bin"][1])
    assert train.classes[3] == "cat" and train.class_to_idx["truck"] == 9


def test_cifar10_truncated_batch_names_the_file(tmp_path):
    write_cifar(tmp_path)
    path = tmp_path / "data_batch_2.bin"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ValueError, match="data_batch_2.bin: 9218 bytes is not a whole number of CIFAR-10 records"):
        CIFAR10(tmp_path)


def test_cifar10_label_out_of_range(tmp_path):
    write_cifar(tmp_path, labels=[1, 12, 3])
    with pytest.raises(ValueError, match="data_batch_1.bin out of range: row 1 holds 12"):
        CIFAR10(tmp_path)


def test_cifar10_missing_says_where(tmp_path):
    with pytest.raises(RuntimeError, match="cifar-10-batches-bin.*download=True.*cifar-10-binary.tar.gz"):
        CIFAR10(tmp_path)

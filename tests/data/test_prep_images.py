"""ImageFolder: class folders, file selection, decoding (PNG exactly, JPEG via Pillow), errors;
and the real cats-vs-dogs folders through a loader with workers."""
from pathlib import Path

import numpy as np
import pytest

from chainrule.data import DataLoader, ImageFolder
from chainrule.data.transforms import ToTensor
from tests.data.conftest import dataset_dir

Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed: pip install 'chainrule[images]'")


def _save(path, array, fmt="PNG"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, format=fmt)


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {}
    for cls, names in (("dog", ["b.png", "a.png", "deep/c.png"]), ("cat", ["z.png", "y.PNG"])):
        for name in names:
            arrays[f"{cls}/{name}"] = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
            _save(tmp_path / cls / name, arrays[f"{cls}/{name}"])
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    return tmp_path, arrays


def test_classes_samples_and_targets(folder):
    root, arrays = folder
    ds = ImageFolder(root)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    rel = [str(Path(p).relative_to(root)) for p, _ in ds.samples]
    assert rel == ["cat/y.PNG", "cat/z.png", "dog/a.png", "dog/b.png", "dog/deep/c.png"]
    assert ds.targets == [0, 0, 1, 1, 1] and len(ds) == 5
    image, target = ds[4]
    np.testing.assert_array_equal(image, arrays["dog/deep/c.png"])  # PNG is lossless
    assert image.dtype == np.uint8 and target == 1


def test_transforms_and_target_transform(folder):
    root, arrays = folder
    ds = ImageFolder(root, transform=ToTensor(), target_transform=lambda t: t * 10)
    x, t = ds[0]
    assert x.shape == (3, 4, 5) and x.dtype == np.float32 and t == 0
    np.testing.assert_allclose(x.numpy(), arrays["cat/y.PNG"].transpose(2, 0, 1) / 255.0, rtol=1e-6)


def test_grayscale_and_jpeg_become_rgb(tmp_path):
    _save(tmp_path / "a" / "g.png", np.full((3, 3), 200, np.uint8))
    _save(tmp_path / "b" / "j.jpg", np.full((8, 8, 3), (250, 10, 10), np.uint8), fmt="JPEG")
    ds = ImageFolder(tmp_path)
    gray, _ = ds[0]
    assert gray.shape == (3, 3, 3) and (gray == 200).all()
    jpeg, _ = ds[1]
    assert jpeg.shape == (8, 8, 3) and np.abs(jpeg.astype(int) - [250, 10, 10]).max() <= 8  # lossy


def test_is_valid_file_and_custom_loader(folder):
    root, _ = folder
    ds = ImageFolder(root, is_valid_file=lambda p: p.endswith(".txt"), loader=lambda p: open(p).read(),
                     allow_empty=True)
    assert len(ds) == 1 and ds[0] == ("not an image", 0)


def test_empty_class_and_missing_folders(tmp_path):
    (tmp_path / "cat").mkdir()
    _save(tmp_path / "dog" / "a.png", np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes cat.*Supported extensions"):
        ImageFolder(tmp_path)
    assert len(ImageFolder(tmp_path, allow_empty=True)) == 1
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ImageFolder(tmp_path / "cat")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolder(tmp_path / "nowhere")


@pytest.mark.parametrize("content", [b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20])
def test_corrupted_image_names_the_file(tmp_path, content):
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "broken.png").write_bytes(content)
    with pytest.raises(OSError, match="broken.png: cannot read the image"):
        ImageFolder(tmp_path)[0]


def test_truncated_jpeg_names_the_file(tmp_path):
    _save(tmp_path / "cat" / "t.jpg", np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8), "JPEG")
    path = tmp_path / "cat" / "t.jpg"
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(OSError, match="t.jpg: cannot read the image"):
        ImageFolder(tmp_path)[0]


def test_cats_vs_dogs_through_a_loader_with_workers(datasets_root):
    root = dataset_dir(datasets_root, "cats-vs-dogs")
    train = ImageFolder(root / "train")
    assert len(train) == 10000 and train.classes == ["cat", "dog"] and train.targets.count(1) == 5000
    test = ImageFolder(root / "test", transform=ToTensor())
    total, counts, channel_sum = 0, np.zeros(2, int), np.zeros(3)
    for x, y in DataLoader(test, batch_size=250, num_workers=2):
        assert x.shape[1:] == (3, 32, 32) and x.dtype == np.float32
        total += len(y)
        counts += np.bincount(y.numpy(), minlength=2)
        channel_sum += x.numpy().mean(axis=(2, 3)).sum(axis=0)
    assert total == 2000 and counts.tolist() == [1000, 1000]
    # published mean pixel per channel over all 12,000 images: 127.0, 117.6, 106.3 (0-255)
    np.testing.assert_allclose(channel_sum / total * 255, [127.0, 117.6, 106.3], atol=3.0)

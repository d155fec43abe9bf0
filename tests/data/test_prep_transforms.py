"""Image transforms: closed forms, layouts (arrays H x W x C, tensors C x H x W), seeding."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.data import DataLoader
from chainrule.data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToTensor


@pytest.fixture
def image(rng):
    return rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)


def test_to_tensor_closed_form(image):
    x = ToTensor()(image)
    assert isinstance(x, cr.Tensor) and x.shape == (3, 6, 7) and x.dtype == np.float32
    np.testing.assert_allclose(x.numpy(), image.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    gray = ToTensor()(image[:, :, 0])
    assert gray.shape == (1, 6, 7)
    floats = ToTensor()(np.ones((2, 2, 1), np.float64) * 3)
    assert floats.dtype == np.float64 and float(floats.numpy().max()) == 3.0  # no scaling, dtype kept


def test_normalize_closed_form_and_gradient(image):
    x = ToTensor()(image)
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.5]
    out = Normalize(mean, std)(x)
    assert out.dtype == np.float32
    expected = (x.numpy() - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    x.requires_grad_(True)
    Normalize(mean, std)(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(1 / np.array(std)[:, None, None], x.shape), rtol=1e-6)


def test_normalize_batches_inplace_and_errors(image):
    batch = cr.from_numpy(np.stack([ToTensor()(image).numpy()] * 2))
    expected = (batch.numpy() - 0.5) / 0.5
    out = Normalize([0.5], [0.5], inplace=True)(batch)
    assert out is batch
    np.testing.assert_allclose(batch.numpy(), expected, rtol=1e-6)
    with pytest.raises(TypeError, match="float tensor"):
        Normalize([0.5], [0.5])(cr.from_numpy(image.transpose(2, 0, 1).copy()))
    with pytest.raises(TypeError, match="apply ToTensor first"):
        Normalize([0.5], [0.5])(image)
    with pytest.raises(ValueError, match="2 means and stds for an image of 3 channels"):
        Normalize([0.5, 0.5], [1, 1])(ToTensor()(image))
    with pytest.raises(ValueError, match="division by zero"):
        Normalize([0.5], [0.0])


def _find_window(big, small):
    """All (i, j) where `small` sits in `big` (H x W x C arrays)."""
    h, w = small.shape[:2]
    return [(i, j) for i in range(big.shape[0] - h + 1) for j in range(big.shape[1] - w + 1)
            if np.array_equal(big[i:i + h, j:j + w], small)]


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_random_crop_is_a_window_of_the_padded_image(image, mode):
    crop = RandomCrop((4, 5), padding=2, padding_mode=mode, fill=7, generator=cr.Generator().manual_seed(0))
    extra = {"constant_values": 7} if mode == "constant" else {}
    padded = np.pad(image, ((2, 2), (2, 2), (0, 0)), mode=mode, **extra)
    for _ in range(10):
        out = crop(image)
        assert out.shape == (4, 5, 3) and out.dtype == np.uint8
        assert _find_window(padded, out)


def test_random_crop_reaches_every_offset_and_is_seeded(image):
    crop = RandomCrop(4, generator=cr.Generator().manual_seed(1))
    offsets = {_find_window(image, crop(image))[0] for _ in range(200)}
    assert offsets == {(i, j) for i in range(3) for j in range(4)}
    a = [RandomCrop(4, generator=cr.Generator().manual_seed(2))(image) for _ in range(1)]
    b = [RandomCrop(4, generator=cr.Generator().manual_seed(2))(image) for _ in range(1)]
    np.testing.assert_array_equal(a[0], b[0])


def test_random_crop_on_tensors_crops_the_last_two_axes(image):
    x = ToTensor()(image)
    out = RandomCrop(3, padding=(1, 2), generator=cr.Generator().manual_seed(0))(x)
    assert isinstance(out, cr.Tensor) and out.shape == (3, 3, 3)
    padded = np.pad(x.numpy(), ((0, 0), (2, 2), (1, 1)))
    assert _find_window(padded.transpose(1, 2, 0), out.numpy().transpose(1, 2, 0))


def test_random_crop_sizes(image):
    with pytest.raises(ValueError, match=r"Required crop size \(10, 10\) is larger than input image size \(6, 7\)"):
        RandomCrop(10)(image)
    assert RandomCrop(10, pad_if_needed=True)(image).shape == (10, 10, 3)
    with pytest.raises(ValueError, match="padding should be an int or a sequence of 2 or 4"):
        RandomCrop(3, padding=(1, 2, 3))(image)


def test_horizontal_flip(image):
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(image), image[:, ::-1])
    assert RandomHorizontalFlip(p=0.0)(image) is image
    x = ToTensor()(image)
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(x).numpy(), x.numpy()[:, :, ::-1])
    flips = [RandomHorizontalFlip(generator=cr.Generator().manual_seed(s))(image)[0, 0, 0] != image[0, 0, 0]
             for s in range(40)]
    assert 5 < sum(flips) < 35  # about half


def test_compose_applies_in_order(image):
    pipeline = Compose([RandomHorizontalFlip(p=1.0), ToTensor(), Normalize([0.5] * 3, [0.5] * 3)])
    expected = (image[:, ::-1].transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    np.testing.assert_allclose(pipeline(image).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert "RandomHorizontalFlip" in repr(pipeline)


class Augmented:
    def __init__(self, image):
        self.image = image
        self.t = Compose([RandomCrop(4, padding=1), RandomHorizontalFlip()])

    def __len__(self):
        return 16

    def __getitem__(self, i):
        return self.t(self.image)


def test_augmentation_in_workers_is_reproducible(image):
    def epoch():
        return [b.numpy() for b in DataLoader(Augmented(image), batch_size=4, num_workers=2,
                                              generator=cr.Generator().manual_seed(3))]
    first, second = epoch(), epoch()
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not all(np.array_equal(first[0][0], s) for s in first[0][1:])  # samples do differ

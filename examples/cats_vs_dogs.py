"""Cats versus dogs: a small convolutional network trained on folders of JPEG images.

The data are the cat and dog photos of CIFAR-10 (32 x 32, RGB) in one folder per class
(`train/cat`, `train/dog`: 5,000 each; `test/`: 1,000 each), read by `ImageFolder`. Training
images are augmented (a random 32 x 32 crop of the image padded by 4 pixels, a random horizontal
flip), inputs are standardized per channel with the training images' statistics, and the network
is three blocks of 3x3 convolutions with batch normalization, ReLU and max-pooling, then dropout and
a linear layer. Adam with a learning rate decaying along a cosine over the epochs.

The end: the test accuracy, a picture of misclassified test images (needs matplotlib) and a model
bundle that `chainrule predict <bundle> photo.jpg` runs on new photos.

    python examples/cats_vs_dogs.py                     # the full run
    python examples/cats_vs_dogs.py --epochs 1 --limit 256 --test-limit 200 --out /tmp/cd
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import DataLoader, ImageFolder, Subset, load_image
from chainrule.data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToTensor
from chainrule.io.bundle import save_bundle

from classify import train_classifier
from figures import image_grid
from options import check_positive, parser, report


def conv_block(c_in: int, c_out: int, convs: int) -> List[nn.Module]:
    """`convs` times (3x3 convolution, batch norm, ReLU), then 2x2 max-pooling (halves height and width)."""
    layers: List[nn.Module] = []
    for i in range(convs):
        layers += [nn.Conv2d(c_in if i == 0 else c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                   nn.ReLU()]
    return layers + [nn.MaxPool2d(2)]


def make_model() -> nn.Sequential:
    """32x32x3 -> 16x16x32 -> 8x8x64 -> 4x4x128 -> 2 logits (cat, dog)."""
    return nn.Sequential(*conv_block(3, 32, 2), *conv_block(32, 64, 2), *conv_block(64, 128, 2),
                         nn.Flatten(), nn.Dropout(0.5), nn.Linear(128 * 4 * 4, 2))


def sample_indices(n: int, limit: Optional[int], seed: int) -> List[int]:
    """All n indices, or `limit` of them drawn at random (so both classes appear, not the first folder only)."""
    if limit is None or limit >= n:
        return list(range(n))
    return np.sort(np.random.default_rng(seed).permutation(n)[:limit]).tolist()


def channel_stats(samples: Sequence[tuple]) -> tuple:
    """Per-channel mean and standard deviation of the images (scaled to [0, 1])."""
    pixels = np.stack([load_image(path) for path, _ in samples]).reshape(-1, 3).astype(np.float64) / 255
    return pixels.mean(axis=0).tolist(), pixels.std(axis=0).tolist()


def predict(model: nn.Module, loader: DataLoader) -> tuple:
    """Class probabilities for every sample of `loader` (in order) and the true classes."""
    model.eval()
    probs, targets = [], []
    with cr.no_grad():
        for x, y in loader:
            probs.append(cr.softmax(model(x), dim=1).numpy())
            targets.append(y.numpy())
    return np.concatenate(probs), np.concatenate(targets)


def picture_mistakes(samples: Sequence[tuple], probs: np.ndarray, targets: np.ndarray, classes: List[str],
                     path: str, count: int = 16) -> Optional[str]:
    """The `count` most confidently misclassified images (`samples`: their (path, class) in order),
    each titled with what the model said and what it is."""
    wrong = np.flatnonzero(probs.argmax(axis=1) != targets)
    wrong = wrong[np.argsort(-probs[wrong].max(axis=1), kind="stable")][:count]
    if wrong.size == 0:
        return None
    images = [load_image(samples[i][0]) for i in wrong]
    titles = [f"{classes[int(probs[i].argmax())]} {probs[i].max():.0%}\n(is {classes[int(targets[i])]})"
              for i in wrong]
    cols = 8
    return image_grid([images[k:k + cols] for k in range(0, len(images), cols)], path,
                      [titles[k:k + cols] for k in range(0, len(titles), cols)])


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    p = parser(__doc__.splitlines()[0], epochs=40, lr=1e-3, batch_size=64, dataset="cats-vs-dogs",
               out=os.path.join("runs", "cats_vs_dogs"))
    p.add_argument("--workers", type=int, default=2, help="threads preparing batches (default: %(default)s)")
    args = p.parse_args(argv)
    check_positive(args)
    cr.manual_seed(args.seed)
    train_folder = ImageFolder(os.path.join(args.data, "train"))    # cat = 0, dog = 1 (sorted folder names)
    test_folder = ImageFolder(os.path.join(args.data, "test"))
    train_idx = sample_indices(len(train_folder), args.limit, args.seed)
    test_idx = sample_indices(len(test_folder), args.test_limit, args.seed)
    mean, std = channel_stats([train_folder.samples[i] for i in train_idx])
    normalize = [ToTensor(), Normalize(mean, std)]
    train_folder.transform = Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(), *normalize])
    test_folder.transform = Compose(normalize)
    train_loader = DataLoader(Subset(train_folder, train_idx), batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers)
    test_loader = DataLoader(Subset(test_folder, test_idx), batch_size=500, num_workers=args.workers)

    model = make_model()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    result = train_classifier(model, optimizer, train_loader, test_loader, args, scheduler)

    os.makedirs(args.out, exist_ok=True)
    probs, targets = predict(model, test_loader)
    samples = [test_folder.samples[i] for i in test_idx]
    result.update(test_samples=samples, test_probabilities=probs)
    result["mistakes_picture"] = picture_mistakes(samples, probs, targets, test_folder.classes,
                                                  os.path.join(args.out, "misclassified.png"))
    result["bundle"] = os.path.join(args.out, "cats_vs_dogs.bundle")
    save_bundle(model, result["bundle"], input_shape=(32, 32, 3), image_mode="RGB", preprocess=normalize,
                class_names=test_folder.classes, metadata={"metrics": {"accuracy": result["test_accuracy"]}})
    report("cats vs dogs", result)
    return result


if __name__ == "__main__":
    main()

"""Standard image datasets from their original files: MNIST and Fashion-MNIST (IDX `.gz` files)
and CIFAR-10 (the official binary version: fixed-size records, no pickle).

Each takes a `root` folder. Files are looked for in `root` itself and in
`root/<Dataset>/raw` (torchvision's layout, for MNIST and Fashion-MNIST,
whose file names are the same); `download=True` fetches what is missing
from the canonical addresses (`mirrors`, a class attribute that can be
overridden), verifying each file's MD5 before it is renamed into place.
A file found on disk is not re-hashed, but its structure is checked: a
corrupted header, a wrong size or a label out of range is an error naming
the file.
"""
from __future__ import annotations

import os
import tarfile
import tempfile
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..tensor import Tensor
from ..utils.data import Dataset
from .checks import check_labels
from .download import download, md5sum
from .idx import IDXError, read_idx

PathLike = Union[str, "os.PathLike[str]"]


def _not_found(name: str, places: Sequence[Path], files: Sequence[str], source: str) -> RuntimeError:
    return RuntimeError(
        f"Dataset not found: {name} needs {', '.join(files)} in {' or '.join(str(p) for p in places)}. "
        f"Use download=True to fetch the files from {source}; offline, download them elsewhere and put "
        f"them in {places[0]}.")


class _ImageDataset(Dataset):
    """Images in `_images` (N, H, W[, C]) uint8 and int labels in `_labels`; transforms on access."""

    classes: List[str]
    _images: np.ndarray
    _labels: np.ndarray

    def __init__(self, root: PathLike, train: bool, transform: Optional[Callable],
                 target_transform: Optional[Callable]) -> None:
        self.root = Path(root).expanduser()
        self.train = train
        self.transform = transform
        self.target_transform = target_transform

    @property
    def class_to_idx(self) -> dict:
        return {name: i for i, name in enumerate(self.classes)}

    def __getitem__(self, index: int) -> Tuple[Any, Any]:
        image, target = self._images[index], int(self._labels[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self) -> int:
        return len(self._labels)

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}({split}: {len(self)} images of shape {self._images.shape[1:]}, root {self.root})"


class MNIST(_ImageDataset):
    """Handwritten digits 0-9: 60,000 training and 10,000 test images, 28 x 28 grayscale.

    `data` is a uint8 tensor (N, 28, 28), `targets` an int64 tensor; sample i is
    `(transform(image), target)` with the image a (28, 28) uint8 array.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root: PathLike, train: bool = True, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        super().__init__(root, train, transform, target_transform)
        if download:
            self.download()
        image_name, label_name = (self.resources[0][0], self.resources[1][0]) if train else \
            (self.resources[2][0], self.resources[3][0])
        paths = [self._find(image_name), self._find(label_name)]
        if None in paths:
            raise _not_found(type(self).__name__, self._places(), [image_name, label_name], self.mirrors[0])
        self._images, self._labels = self._load(*paths)
        self.data = Tensor._make(self._images)
        self.targets = Tensor._make(self._labels)

    @property
    def raw_folder(self) -> Path:
        return self.root / type(self).__name__ / "raw"

    def _places(self) -> List[Path]:
        return [self.root, self.raw_folder]

    def _find(self, name: str) -> Optional[Path]:
        """The file, compressed or already uncompressed, in root or root/<Dataset>/raw."""
        for folder in self._places():
            for candidate in (folder / name, folder / name[:-len(".gz")]):
                if candidate.is_file():
                    return candidate
        return None

    def _load(self, image_path: Path, label_path: Path) -> Tuple[np.ndarray, np.ndarray]:
        images, labels = read_idx(image_path), read_idx(label_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise IDXError(f"{image_path}: expected uint8 images of shape (N, H, W), got {images.dtype} "
                           f"of shape {images.shape}")
        if labels.ndim != 1:
            raise IDXError(f"{label_path}: expected one label per image (1-D), got shape {labels.shape}")
        if len(images) != len(labels):
            raise IDXError(f"{image_path} holds {len(images)} images but {label_path} holds {len(labels)} labels")
        return images, check_labels(labels, len(self.classes), name=f"labels in {label_path}")

    def download(self) -> None:
        """Fetch the missing files into root/<Dataset>/raw, each verified against its MD5."""
        for name, md5 in self.resources:
            if self._find(name) is None:
                download([mirror + name for mirror in self.mirrors], self.raw_folder / name, md5)


class FashionMNIST(MNIST):
    """Zalando's article images: 10 classes of clothing, the same format and sizes as MNIST."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


_RECORD = 1 + 3 * 32 * 32  # CIFAR-10 binary: a label byte, then 1024 red, 1024 green, 1024 blue bytes


class CIFAR10(_ImageDataset):
    """Color photos of 10 classes, 32 x 32: 50,000 training and 10,000 test images.

    `data` is a uint8 array (N, 32, 32, 3) and `targets` a list of ints, as torchvision's;
    sample i is `(transform(image), target)` with the image a (32, 32, 3) uint8 array.
    """

    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    archive = ("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530")
    base_folder = "cifar-10-batches-bin"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    meta_file = "batches.meta.txt"
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def __init__(self, root: PathLike, train: bool = True, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        super().__init__(root, train, transform, target_transform)
        if download:
            self.download()
        names = self.train_list if train else self.test_list
        folder = self._folder()
        if folder is None:
            raise _not_found("CIFAR10", [self.root / self.base_folder, self.root], names + [self.meta_file],
                             self.mirrors[0] + self.archive[0])
        parts = [self._read_batch(folder / name) for name in names]
        self._images = np.concatenate([p[0] for p in parts])
        self._labels = np.concatenate([p[1] for p in parts])
        self.data = self._images
        self.targets = self._labels.tolist()
        meta = folder / self.meta_file
        if meta.is_file():
            self.classes = [line.strip() for line in meta.read_text().splitlines() if line.strip()]

    def _folder(self) -> Optional[Path]:
        names = self.train_list + self.test_list
        for folder in (self.root / self.base_folder, self.root):
            if all((folder / n).is_file() for n in names):
                return folder
        return None

    def _read_batch(self, path: Path) -> Tuple[np.ndarray, np.ndarray]:
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size == 0 or raw.size % _RECORD:
            raise ValueError(f"{path}: {raw.size} bytes is not a whole number of CIFAR-10 records of {_RECORD} "
                             f"bytes: the file is truncated or not a CIFAR-10 binary batch")
        records = raw.reshape(-1, _RECORD)
        labels = check_labels(records[:, 0], len(self.classes), name=f"labels in {path}")
        images = np.ascontiguousarray(records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        return images, labels

    def download(self) -> None:
        """Fetch the archive (MD5-verified) unless present, then extract the batch files from it."""
        if self._folder() is not None:
            return
        name, md5 = self.archive
        path = self.root / name
        if not path.is_file():
            download([mirror + name for mirror in self.mirrors], path, md5)
        elif md5sum(path) != md5:
            raise RuntimeError(f"{path} does not have the expected MD5 {md5}: delete it and download again")
        self._extract(path)

    def _extract(self, archive: Path) -> None:
        """Only the expected regular files, each written to a temporary name and renamed (never a path
        chosen by the archive)."""
        target = self.root / self.base_folder
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive, "r:gz") as tar:
            for name in self.train_list + self.test_list + [self.meta_file]:
                try:
                    member = tar.getmember(f"{self.base_folder}/{name}")
                except KeyError:
                    raise RuntimeError(f"{archive} lacks {self.base_folder}/{name}") from None
                if not member.isfile():
                    raise RuntimeError(f"{archive}: {member.name} is not a regular file")
                fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=target)
                try:
                    with os.fdopen(fd, "wb") as out:
                        out.write(tar.extractfile(member).read())
                    os.replace(tmp, target / name)
                except BaseException:
                    os.unlink(tmp)
                    raise


__all__ = ["MNIST", "FashionMNIST", "CIFAR10"]

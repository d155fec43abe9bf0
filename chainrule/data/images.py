"""A folder-per-class image dataset (torchvision's `ImageFolder` layout):

    root/cat/0001.jpg, root/cat/0002.png, ..., root/dog/0001.jpg, ...

Classes are the sub-folder names in sorted order (cat = 0, dog = 1). Images
are decoded by Pillow (`pip install "chainrule[images]"`) into NumPy arrays
of shape (H, W, 3), uint8; `transform` turns them into what the model
needs (e.g. `Compose([RandomCrop(32, 4), RandomHorizontalFlip(), ToTensor()])`).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np

from ..utils.data import Dataset

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError('reading PNG and JPEG images needs Pillow: pip install "chainrule[images]" '
                          '(or pip install Pillow)') from None
    return Image


def load_image(path: Union[str, "os.PathLike[str]"], mode: str = "RGB") -> np.ndarray:
    """Decode an image file into a uint8 array: (H, W, 3) for mode "RGB", (H, W) for "L"."""
    Image = _pillow()
    try:
        with Image.open(path) as img:
            return np.asarray(img if img.mode == mode else img.convert(mode))
    except (OSError, ValueError, SyntaxError) as e:  # Pillow's errors for unreadable or damaged files
        raise OSError(f"{path}: cannot read the image ({e})") from None


def find_classes(directory: Union[str, "os.PathLike[str]"]) -> Tuple[List[str], Dict[str, int]]:
    """The class folders of `directory`, sorted, and their indices."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"image folder {directory} does not exist")
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}: expected one sub-folder "
                                f"per class (e.g. {directory}/cat/, {directory}/dog/)")
    return classes, {name: i for i, name in enumerate(classes)}


class ImageFolder(Dataset):
    """Images in `root/<class>/...` (any depth below the class folder) with their class indices.

    Attributes as torchvision's: `classes`, `class_to_idx`, `samples` (path, class index), `targets`.
    Sample i is `(transform(image), target_transform(class index))`.
    """

    def __init__(self, root: Union[str, "os.PathLike[str]"], transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, loader: Optional[Callable] = None,
                 is_valid_file: Optional[Callable[[str], bool]] = None, allow_empty: bool = False) -> None:
        self.root = str(root)
        self.transform = transform
        self.target_transform = target_transform
        self.loader = loader or load_image
        self.classes, self.class_to_idx = find_classes(root)
        self.samples = self._scan(is_valid_file, allow_empty)
        self.imgs = self.samples
        self.targets = [target for _, target in self.samples]

    def _scan(self, is_valid_file: Optional[Callable[[str], bool]], allow_empty: bool) -> List[Tuple[str, int]]:
        valid = is_valid_file or (lambda p: p.lower().endswith(IMG_EXTENSIONS))
        samples, empty = [], []
        for name in self.classes:
            found = []
            for folder, dirs, files in os.walk(os.path.join(self.root, name), followlinks=True):
                dirs.sort()
                found.extend((os.path.join(folder, f), self.class_to_idx[name]) for f in sorted(files)
                             if valid(os.path.join(folder, f)))
            if not found:
                empty.append(name)
            samples.extend(found)
        if empty and not allow_empty:
            raise FileNotFoundError(f"Found no valid file for the classes {', '.join(empty)} in {self.root}. "
                                    f"Supported extensions are: {', '.join(IMG_EXTENSIONS)}")
        return samples

    def __getitem__(self, index: int) -> Tuple[Any, Any]:
        path, target = self.samples[index]
        image = self.loader(path)
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self) -> int:
        return len(self.samples)

    def __repr__(self) -> str:
        return f"ImageFolder({self.root!r}: {len(self)} images, classes {self.classes})"


__all__ = ["IMG_EXTENSIONS", "ImageFolder", "find_classes", "load_image"]

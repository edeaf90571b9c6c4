"""Reader for class-per-folder image sets (``root/<class>/<image>``), such as notMNIST."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from bayescnn.data.dataset import ImageData
from bayescnn.data.errors import CorruptDataError
from bayescnn.data.split import train_valid_split
from bayescnn.data.transforms import as_size, resize_images
from bayescnn.errors import InvalidArgumentError, MissingFileError
from bayescnn.seeding import derive_seed

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")
"""File name endings (case-insensitive) read as images; other files are ignored."""

_GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "F"})

_TEST_SPLIT_STREAM = 21
"""The random stream of the test split of a folder without ``train``/``test`` subfolders."""


def find_class_folders(root: str | Path) -> tuple[str, ...]:
    """Returns the sorted names of the non-hidden subfolders of ``root`` (one per class).

    Raises:
        FileNotFoundError: If ``root`` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise MissingFileError(f"image folder not found: {root}")
    return tuple(
        sorted(entry.name for entry in root.iterdir() if entry.is_dir() and entry.name[0] != ".")
    )


def find_image_files(folder: Path) -> list[Path]:
    """Returns the sorted image files (by :data:`IMAGE_EXTENSIONS`) directly in ``folder``."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS
    )


def load_image_folder(
    root: str | Path,
    *,
    channels: int | None = None,
    image_size: int | tuple[int, int] | None = None,
    classes: Sequence[str] | None = None,
    skip_corrupt: bool = False,
) -> ImageData:
    """Loads every image under ``root/<class>/`` with the class folder as its label.

    Args:
        root: Folder with one subfolder per class (sorted names give the label order).
        channels: 1 (gray) or 3 (RGB); ``None`` takes the first image's (gray -> 1, else 3).
        image_size: Size ``H`` or ``(H, W)`` all images are resized to (antialiased
            bilinear); ``None`` requires all images to share one size.
        classes: Class folder names in label order (a missing folder counts as a class
            without images); ``None`` uses all subfolders, sorted.
        skip_corrupt: Skip unreadable image files with one warning giving their count,
            instead of raising.

    Raises:
        FileNotFoundError: If ``root`` does not exist.
        ValueError: If there are no class folders or no images, ``channels`` is not 1 or 3,
            or images differ in size while ``image_size`` is ``None``.
        CorruptDataError: If an image cannot be decoded (naming the file), unless
            ``skip_corrupt``.
    """
    root = Path(root)
    if not root.is_dir():
        raise MissingFileError(f"image folder not found: {root}")
    class_names = tuple(classes) if classes is not None else find_class_folders(root)
    if not class_names:
        raise InvalidArgumentError(
            f"no class folders in {root}: expected {root}/<class>/<image>.png"
        )
    if channels not in (None, 1, 3):
        raise InvalidArgumentError(f"channels must be 1 or 3, got {channels}")
    target_size = as_size(image_size) if image_size is not None else None

    arrays: list[np.ndarray] = []
    labels: list[int] = []
    corrupt: list[Path] = []
    for label, name in enumerate(class_names):
        class_folder = root / name
        if not class_folder.is_dir():
            if classes is None:
                raise MissingFileError(f"class folder not found: {class_folder}")
            continue  # a named class may be absent from e.g. a small test split
        for path in find_image_files(class_folder):
            try:
                with Image.open(path) as image:
                    image.load()
                    if channels is None:
                        channels = 1 if image.mode in _GRAY_MODES else 3
                    pixels = np.array(image.convert("L" if channels == 1 else "RGB"))
            except MemoryError:
                raise  # running out of memory is not a damaged file
            except Exception as error:  # PIL raises many types for damaged files
                if not skip_corrupt:
                    raise CorruptDataError(f"cannot read image {path}: {error}") from error
                corrupt.append(path)
                continue
            arrays.append(pixels.reshape(*pixels.shape[:2], -1).transpose(2, 0, 1))
            labels.append(label)
    if corrupt:
        warnings.warn(
            f"skipped {len(corrupt)} unreadable image file(s) under {root}, e.g. {corrupt[0]}",
            stacklevel=2,
        )
    if not arrays:
        raise InvalidArgumentError(
            f"no readable images under {root} (extensions {IMAGE_EXTENSIONS})"
        )
    return ImageData(
        images=_stack_to_size(arrays, target_size, root),
        labels=torch.tensor(labels, dtype=torch.int64),
        classes=class_names,
    )


def _stack_to_size(
    arrays: list[np.ndarray], target_size: tuple[int, int] | None, root: Path
) -> torch.Tensor:
    sizes = {array.shape[1:] for array in arrays}
    if len(sizes) == 1:
        return resize_images(torch.from_numpy(np.stack(arrays)), target_size or sizes.pop())
    if target_size is None:
        raise InvalidArgumentError(
            f"images under {root} differ in size {sorted(sizes)}; pass image_size"
        )
    return torch.cat(
        [resize_images(torch.from_numpy(array).unsqueeze(0), target_size) for array in arrays]
    )


def has_train_test_layout(root: str | Path) -> bool:
    """Whether ``root`` splits its classes into ``root/train/<class>`` and ``root/test/<class>``."""
    return (Path(root) / "train").is_dir() and (Path(root) / "test").is_dir()


def load_image_folder_splits(
    root: str | Path,
    *,
    channels: int | None = None,
    image_size: int | tuple[int, int] | None = None,
    skip_corrupt: bool = False,
    test_size: float = 0.2,
    seed: int = 0,
) -> tuple[ImageData, ImageData]:
    """Loads ``(train, test)`` from an image folder in either of two layouts.

    * ``root/train/<class>`` and ``root/test/<class>``: each is read as a class-per-folder
      set with the train classes and their order (test may lack some);
    * ``root/<class>``: the images are split at random (not stratified) into a test part
      of ``round(test_size * N)`` images and a train part; the same ``seed`` always gives
      the same split.

    Other arguments are as for :func:`load_image_folder`.

    Raises:
        InvalidArgumentError: If ``test_size`` is outside ``(0, 1)`` or a plain folder has
            too few images for both parts.
    """
    options: dict[str, Any] = {"image_size": image_size, "skip_corrupt": skip_corrupt}
    if not has_train_test_layout(root):
        if not 0 < test_size < 1:
            raise InvalidArgumentError(f"test_size must lie in (0, 1), got {test_size}")
        data = load_image_folder(root, channels=channels, **options)
        train, test = train_valid_split(
            data, test_size, seed=derive_seed(seed, 0, _TEST_SPLIT_STREAM)
        )
        if len(train) == 0 or len(test) == 0:
            raise InvalidArgumentError(
                f"{root} holds {len(data)} image(s): too few for a train and a "
                f"{test_size:.0%} test split; add images, or give it {root}/train/<class> "
                f"and {root}/test/<class> subfolders"
            )
        return train, test
    train = load_image_folder(Path(root) / "train", channels=channels, **options)
    unknown = set(find_class_folders(Path(root) / "test")) - set(train.classes)
    if unknown:
        raise InvalidArgumentError(
            f"{root}/test has class folders missing from train: {sorted(unknown)}"
        )
    test = load_image_folder(
        Path(root) / "test", channels=train.image_shape[0], classes=train.classes, **options
    )
    return train, test


def describe_image_folder(root: str | Path) -> tuple[tuple[str, ...], int, tuple[int, int]]:
    """Returns the class names, channel count and ``(H, W)`` of the first image of a folder.

    Looks into ``root/train`` when the folder has a train/test layout.

    Raises:
        FileNotFoundError: If ``root`` is not a folder.
        ValueError: If it has no class folders or no image files.
    """
    root = Path(root) / "train" if has_train_test_layout(root) else Path(root)
    classes = find_class_folders(root)
    unreadable: list[Path] = []
    for name in classes:
        for path in find_image_files(root / name):
            try:
                with Image.open(path) as image:
                    return (
                        classes,
                        1 if image.mode in _GRAY_MODES else 3,
                        (image.height, image.width),
                    )
            except MemoryError:
                raise
            except Exception:  # damaged files are named by load_image_folder; look further
                unreadable.append(path)
    if unreadable:
        raise CorruptDataError(f"no readable image under {root}; cannot read {unreadable[0]}")
    raise InvalidArgumentError(f"no images under {root}: expected {root}/<class>/<image>.png")

"""Readers for the python-pickle batches of CIFAR-10 and CIFAR-100."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from bayescnn.data.dataset import ImageData
from bayescnn.data.errors import CorruptDataError
from bayescnn.data.safe_pickle import UnsafePickleError, safe_load_file
from bayescnn.errors import InvalidArgumentError, MissingFileError

CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR100_FOLDER = "cifar-100-python"
CIFAR10_FILES = {
    "train": tuple(f"data_batch_{index}" for index in range(1, 6)),
    "test": ("test_batch",),
}
CIFAR100_FILES = {"train": ("train",), "test": ("test",)}

_IMAGE_SHAPE = (3, 32, 32)
_PIXELS_PER_IMAGE = 3 * 32 * 32


def load_cifar10(folder: str | Path, split: Literal["train", "test"]) -> ImageData:
    """Loads one split of CIFAR-10 from its ``cifar-10-batches-py`` folder.

    Raises:
        FileNotFoundError: If a batch or ``batches.meta`` is missing.
        CorruptDataError: If a file is truncated or not a CIFAR batch.
        UnsafePickleError: If a file tries to load anything but numpy arrays.
    """
    folder = Path(folder)
    classes = _read_class_names(folder / "batches.meta", "label_names")
    return _load_batches(folder, CIFAR10_FILES[split], "labels", classes)


def load_cifar100(folder: str | Path, split: Literal["train", "test"]) -> ImageData:
    """Loads one split of CIFAR-100 (the 100 fine labels) from its ``cifar-100-python`` folder.

    Raises:
        FileNotFoundError: If ``train``, ``test`` or ``meta`` is missing.
        CorruptDataError: If a file is truncated or not a CIFAR batch.
        UnsafePickleError: If a file tries to load anything but numpy arrays.
    """
    folder = Path(folder)
    classes = _read_class_names(folder / "meta", "fine_label_names")
    return _load_batches(folder, CIFAR100_FILES[split], "fine_labels", classes)


def _load_batches(
    folder: Path, file_names: tuple[str, ...], label_key: str, classes: tuple[str, ...]
) -> ImageData:
    image_parts, label_parts = [], []
    for name in file_names:
        batch = _read_dict(folder / name)
        data = np.asarray(_get(batch, "data", folder / name))
        labels = np.asarray(_get(batch, label_key, folder / name))
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _PIXELS_PER_IMAGE:
            raise CorruptDataError(
                f"{folder / name}: 'data' must be N x {_PIXELS_PER_IMAGE} uint8, "
                f"got {data.shape} {data.dtype}"
            )
        if labels.shape != (len(data),):
            raise CorruptDataError(
                f"{folder / name}: {len(data)} images but labels of shape {labels.shape}"
            )
        image_parts.append(data.reshape(len(data), *_IMAGE_SHAPE))
        label_parts.append(labels.astype(np.int64))
    images = torch.from_numpy(np.concatenate(image_parts))
    targets = torch.from_numpy(np.concatenate(label_parts))
    try:
        return ImageData(images=images, labels=targets, classes=classes)
    except InvalidArgumentError as error:  # ImageData's checks
        raise CorruptDataError(f"{folder}: {error}") from error


def _read_class_names(path: Path, key: str) -> tuple[str, ...]:
    names = _get(_read_dict(path), key, path)
    return tuple(name.decode() if isinstance(name, bytes) else str(name) for name in names)


def _read_dict(path: Path) -> dict[Any, Any]:
    if not path.is_file():
        raise MissingFileError(f"CIFAR file not found: {path}")
    try:
        content = safe_load_file(path)
    except UnsafePickleError as error:
        raise UnsafePickleError(f"{path}: {error}") from None
    except MemoryError:
        raise  # running out of memory is not a damaged file
    except Exception as error:  # a damaged pickle can fail in many ways
        raise CorruptDataError(f"{path}: corrupt or truncated pickle ({error})") from error
    if not isinstance(content, dict):
        raise CorruptDataError(f"{path}: expected a pickled dict, got {type(content).__name__}")
    return content


def _get(batch: dict[Any, Any], key: str, path: Path) -> Any:
    for candidate in (key.encode(), key):
        if candidate in batch:
            return batch[candidate]
    raise CorruptDataError(f"{path}: missing key {key!r}")

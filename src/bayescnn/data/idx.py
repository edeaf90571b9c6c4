"""Reader for the IDX files of MNIST and Fashion-MNIST (raw or gzip-compressed)."""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from bayescnn.data.dataset import ImageData
from bayescnn.data.errors import CorruptDataError
from bayescnn.errors import MissingFileError

IMAGES_MAGIC = 2051
"""Magic number of an IDX file of unsigned-byte images (type 0x08, 3 dimensions)."""
LABELS_MAGIC = 2049
"""Magic number of an IDX file of unsigned-byte labels (type 0x08, 1 dimension)."""

_FILE_PREFIX = {"train": "train", "test": "t10k"}


def idx_file_names(split: Literal["train", "test"]) -> tuple[str, str]:
    """Returns the base names (without ``.gz``) of the image and label files of ``split``."""
    prefix = _FILE_PREFIX[split]
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def load_idx(
    folder: str | Path, split: Literal["train", "test"], classes: Sequence[str]
) -> ImageData:
    """Loads one split of an MNIST-like dataset from a folder of IDX files.

    Args:
        folder: Folder holding ``train-images-idx3-ubyte[.gz]``, ``t10k-...`` and so on.
        split: ``"train"`` or ``"test"`` (the ``t10k`` files).
        classes: Class names, one per label value.

    Returns:
        The images as ``N x 1 x H x W`` uint8 and their labels.

    Raises:
        FileNotFoundError: If a file of the split is missing.
        CorruptDataError: If a file is truncated, compressed badly or has a wrong magic number.
    """
    images_name, labels_name = idx_file_names(split)
    images = read_idx_images(_find_raw_or_gz(Path(folder), images_name))
    labels = read_idx_labels(_find_raw_or_gz(Path(folder), labels_name))
    if len(images) != len(labels):
        raise CorruptDataError(
            f"{folder}: {split} split has {len(images)} images but {len(labels)} labels"
        )
    return ImageData(images=images, labels=labels, classes=tuple(classes))


def read_idx_images(path: str | Path) -> torch.Tensor:
    """Reads an IDX image file into an ``N x 1 x H x W`` uint8 tensor."""
    array = _read_idx(Path(path), IMAGES_MAGIC)
    return torch.from_numpy(array).unsqueeze(1)


def read_idx_labels(path: str | Path) -> torch.Tensor:
    """Reads an IDX label file into an ``N`` int64 tensor."""
    return torch.from_numpy(_read_idx(Path(path), LABELS_MAGIC).astype(np.int64))


def _find_raw_or_gz(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise MissingFileError(f"neither {name} nor {name}.gz found in {folder}")


def _read_idx(path: Path, expected_magic: int) -> np.ndarray:
    payload = _read_bytes(path)
    if len(payload) < 4:
        raise CorruptDataError(f"{path}: file too short for an IDX header ({len(payload)} bytes)")
    (magic,) = struct.unpack(">I", payload[:4])
    if magic != expected_magic:
        raise CorruptDataError(
            f"{path}: bad magic number {magic}, expected {expected_magic} "
            f"({'images' if expected_magic == IMAGES_MAGIC else 'labels'} file)"
        )
    ndim = magic & 0xFF
    header_size = 4 + 4 * ndim
    if len(payload) < header_size:
        raise CorruptDataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", payload[4:header_size])
    expected_size = header_size + int(np.prod(shape))
    if len(payload) != expected_size:
        raise CorruptDataError(
            f"{path}: expected {expected_size} bytes for shape {shape}, found {len(payload)} "
            "(file truncated or corrupt)"
        )
    return np.frombuffer(payload, dtype=np.uint8, offset=header_size).reshape(shape).copy()


def _read_bytes(path: Path) -> bytes:
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as stream:
            return stream.read()
    except (OSError, EOFError, zlib.error) as error:
        raise CorruptDataError(f"{path}: corrupt or truncated gzip file ({error})") from error

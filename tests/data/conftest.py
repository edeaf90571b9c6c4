"""Writers of tiny dataset files in the exact on-disk formats the readers accept."""

from __future__ import annotations

import gzip
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


def write_idx_file(path: Path, array: np.ndarray, magic: int) -> None:
    """Writes ``array`` (uint8) as an IDX file, gzip-compressed if ``path`` ends in ``.gz``."""
    payload = struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)


def write_mnist_like_files(
    folder: Path, *, num_train: int = 5, num_test: int = 3, gz: bool = True, seed: int = 0
) -> dict[str, np.ndarray]:
    """Writes the four IDX files of a tiny MNIST-like set; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, (num_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, num_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (num_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, num_test, dtype=np.uint8),
    }
    suffix = ".gz" if gz else ""
    for split, prefix in (("train", "train"), ("test", "t10k")):
        write_idx_file(
            folder / f"{prefix}-images-idx3-ubyte{suffix}", arrays[f"{split}_images"], IMAGES_MAGIC
        )
        write_idx_file(
            folder / f"{prefix}-labels-idx1-ubyte{suffix}", arrays[f"{split}_labels"], LABELS_MAGIC
        )
    return arrays


@pytest.fixture
def write_mnist_like() -> Callable[..., dict[str, np.ndarray]]:
    """The :func:`write_mnist_like_files` writer."""
    return write_mnist_like_files


@pytest.fixture
def write_idx() -> Callable[[Path, np.ndarray, int], None]:
    """The :func:`write_idx_file` writer."""
    return write_idx_file

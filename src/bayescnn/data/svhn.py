"""Reader for the cropped-digit ``.mat`` files of SVHN (``train_32x32.mat``, ``test_32x32.mat``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch

from bayescnn.data.dataset import ImageData
from bayescnn.data.errors import CorruptDataError
from bayescnn.errors import InvalidArgumentError, MissingFileError

SVHN_FILES = {"train": "train_32x32.mat", "test": "test_32x32.mat"}
SVHN_CLASSES = tuple(str(digit) for digit in range(10))


def load_svhn(folder: str | Path, split: Literal["train", "test"]) -> ImageData:
    """Loads one split of SVHN from a folder holding ``train_32x32.mat``/``test_32x32.mat``.

    The files store images as ``32 x 32 x 3 x N`` and the digit 0 as label 10; labels are
    mapped so that label ``k`` is digit ``k``.

    Raises:
        FileNotFoundError: If the split's file is missing.
        CorruptDataError: If the file is unreadable or lacks well-shaped ``X`` and ``y``.
    """
    path = Path(folder) / SVHN_FILES[split]
    if not path.is_file():
        raise MissingFileError(f"SVHN file not found: {path}")
    import scipy.io  # only for SVHN

    try:
        content = scipy.io.loadmat(path, variable_names=("X", "y"))
    except MemoryError:
        raise  # running out of memory is not a damaged file
    except Exception as error:  # scipy raises many types for damaged files
        raise CorruptDataError(f"{path}: corrupt or truncated .mat file ({error})") from error
    if "X" not in content or "y" not in content:
        raise CorruptDataError(f"{path}: expected variables 'X' and 'y'")
    pixels, digits = np.asarray(content["X"]), np.asarray(content["y"]).reshape(-1)
    if (
        pixels.dtype != np.uint8
        or pixels.ndim != 4
        or pixels.shape[2] != 3
        or pixels.shape[3] != len(digits)
    ):
        raise CorruptDataError(
            f"{path}: 'X' must be uint8 H x W x 3 x N with N = {len(digits)} labels, "
            f"got {pixels.dtype} {pixels.shape}"
        )
    images = torch.from_numpy(np.ascontiguousarray(pixels.transpose(3, 2, 0, 1)))
    labels = torch.from_numpy(digits.astype(np.int64))
    labels[labels == 10] = 0
    try:
        return ImageData(images=images, labels=labels, classes=SVHN_CLASSES)
    except InvalidArgumentError as error:  # ImageData's checks
        raise CorruptDataError(f"{path}: {error}") from error

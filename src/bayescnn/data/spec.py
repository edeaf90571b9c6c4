"""What the experiments need to know about one dataset."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bayescnn.data.dataset import ImageData
from bayescnn.data.transforms import LUMINANCE_WEIGHTS
from bayescnn.errors import InvalidArgumentError

Split = Literal["train", "test"]


@dataclass(frozen=True)
class DatasetSpec:
    """What the experiments need to know about one dataset.

    Attributes:
        name: Name accepted by :func:`load_dataset`.
        num_classes: Number of classes.
        in_channels: Channels of the stored images (1 gray, 3 RGB).
        image_size: Native ``(height, width)`` of the stored images.
        mean: Per-channel mean of the training pixels scaled to [0, 1].
        std: Per-channel standard deviation of the training pixels scaled to [0, 1].
        train_crop: Whether training augments by random crops (4-pixel zero padding).
        train_flip: Whether training augments by random horizontal flips.
        reader: Reads one split from the folder found on disk; ``None`` for image folders.
        load: Loads one split by itself, given the ``data_dir`` (registered datasets).
        folder: The root of an image-folder dataset; ``None`` for the named datasets.
        search_subdirs: Subfolders of each search root that may hold the files.
        required_files: For each file the reader needs, its accepted names.
        download: Downloads the files into a root folder via torchvision, if possible.
        source_hint: How to obtain the files, for the error raised when none are found.
    """

    name: str
    num_classes: int
    in_channels: int
    image_size: tuple[int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    train_crop: bool = False
    train_flip: bool = False
    reader: Callable[[Path, Split], ImageData] | None = None
    load: Callable[[Path | None, Split], ImageData] | None = None
    folder: Path | None = None
    search_subdirs: tuple[str, ...] = ()
    required_files: tuple[tuple[str, ...], ...] = ()
    download: Callable[[Path], None] | None = None
    source_hint: str = ""

    @property
    def augment(self) -> bool:
        """Whether any training augmentation applies."""
        return self.train_crop or self.train_flip

    def normalization(
        self, channels: int | None = None
    ) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Returns ``(mean, std)`` for images converted to ``channels``.

        Gray statistics are repeated for RGB; RGB statistics are combined with the
        luminance weights for gray (exact for the mean, an upper bound for the std).
        """
        if channels is None or channels == self.in_channels:
            return self.mean, self.std
        if (self.in_channels, channels) == (1, 3):
            return self.mean * 3, self.std * 3
        if (self.in_channels, channels) == (3, 1):
            return (
                (sum(w * m for w, m in zip(LUMINANCE_WEIGHTS, self.mean, strict=True)),),
                (sum(w * s for w, s in zip(LUMINANCE_WEIGHTS, self.std, strict=True)),),
            )
        raise InvalidArgumentError(f"cannot convert {self.in_channels} channels to {channels}")

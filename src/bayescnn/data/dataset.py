"""The in-memory image classification dataset every reader returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from bayescnn.errors import InvalidArgumentError


@dataclass(frozen=True, eq=False)
class ImageData:
    """A labelled set of images held as whole tensors (compared by identity).

    Attributes:
        images: ``uint8`` tensor of shape ``N x C x H x W``.
        labels: ``int64`` tensor of shape ``N`` with values in ``[0, len(classes))``.
        classes: Class names; ``classes[k]`` names label ``k``.
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.images, torch.Tensor) or self.images.dtype != torch.uint8:
            raise InvalidArgumentError(
                f"images must be a uint8 tensor, got {_describe(self.images)}"
            )
        if self.images.ndim != 4:
            raise InvalidArgumentError(
                f"images must have shape N x C x H x W, got {tuple(self.images.shape)}"
            )
        if not isinstance(self.labels, torch.Tensor) or self.labels.dtype != torch.int64:
            raise InvalidArgumentError(
                f"labels must be an int64 tensor, got {_describe(self.labels)}"
            )
        if self.labels.ndim != 1:
            raise InvalidArgumentError(f"labels must have shape N, got {tuple(self.labels.shape)}")
        if len(self.images) != len(self.labels):
            raise InvalidArgumentError(
                f"images and labels differ in length: {len(self.images)} != {len(self.labels)}"
            )
        if not self.classes:
            raise InvalidArgumentError("classes must name at least one class")
        if len(self.labels) and (
            int(self.labels.min()) < 0 or int(self.labels.max()) >= len(self.classes)
        ):
            raise InvalidArgumentError(
                f"labels must lie in [0, {len(self.classes)}), got range "
                f"[{int(self.labels.min())}, {int(self.labels.max())}]"
            )

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """Shape ``(C, H, W)`` of one image."""
        channels, height, width = self.images.shape[1:]
        return channels, height, width

    def subset(self, indices: torch.Tensor | Sequence[int]) -> ImageData:
        """Returns the examples at ``indices`` (in that order) as a new ImageData."""
        index = torch.as_tensor(indices, dtype=torch.int64, device=self.images.device)
        return ImageData(
            images=self.images.index_select(0, index),
            labels=self.labels.index_select(0, index.to(self.labels.device)),
            classes=self.classes,
        )


def _describe(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor of dtype {value.dtype}"
    return type(value).__name__

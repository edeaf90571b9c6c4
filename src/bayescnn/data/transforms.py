"""Whole-tensor conversions of uint8 images (size, channel count) done once at load time."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from bayescnn.data.dataset import ImageData
from bayescnn.errors import InvalidArgumentError

LUMINANCE_WEIGHTS = (0.299, 0.587, 0.114)
"""ITU-R BT.601 weights turning RGB into gray, as PIL's ``convert("L")`` uses."""


def as_size(image_size: int | tuple[int, int]) -> tuple[int, int]:
    """Returns ``image_size`` as ``(height, width)``."""
    if isinstance(image_size, int):
        return image_size, image_size
    height, width = image_size
    return int(height), int(width)


def resize_images(
    images: torch.Tensor, image_size: int | tuple[int, int], *, chunk_size: int = 4096
) -> torch.Tensor:
    """Resizes ``N x C x H x W`` uint8 images by antialiased bilinear interpolation.

    Works on chunks of ``chunk_size`` images to bound the float32 working memory, and
    rounds the result back to uint8. Images already at the size are returned unchanged.
    """
    size = as_size(image_size)
    if tuple(images.shape[-2:]) == size:
        return images
    resized = torch.empty((*images.shape[:2], *size), dtype=torch.uint8, device=images.device)
    for start in range(0, len(images), chunk_size):
        chunk = images[start : start + chunk_size].float()
        chunk = F.interpolate(
            chunk, size=size, mode="bilinear", antialias=True, align_corners=False
        )
        resized[start : start + chunk_size] = chunk.round_().clamp_(0, 255).to(torch.uint8)
    return resized


def convert_channels(
    images: torch.Tensor, channels: int, *, chunk_size: int = 4096
) -> torch.Tensor:
    """Converts ``N x C x H x W`` uint8 images between gray (1 channel) and RGB (3 channels).

    Gray becomes RGB by repeating the channel; RGB becomes gray by the rounded
    :data:`LUMINANCE_WEIGHTS` sum.

    Raises:
        ValueError: If ``channels`` is not 1 or 3, or the images have neither 1 nor 3 channels.
    """
    current = images.shape[1]
    if channels not in (1, 3) or current not in (1, 3):
        raise InvalidArgumentError(
            f"can only convert between 1 and 3 channels, not {current} -> {channels}"
        )
    if current == channels:
        return images
    if channels == 3:
        return images.expand(-1, 3, -1, -1).contiguous()
    weights = torch.tensor(LUMINANCE_WEIGHTS, device=images.device).view(1, 3, 1, 1)
    gray = torch.empty((len(images), 1, *images.shape[2:]), dtype=torch.uint8, device=images.device)
    for start in range(0, len(images), chunk_size):
        chunk = (images[start : start + chunk_size].float() * weights).sum(dim=1, keepdim=True)
        gray[start : start + chunk_size] = chunk.round_().clamp_(0, 255).to(torch.uint8)
    return gray


def convert_image_data(
    data: ImageData,
    *,
    image_size: int | tuple[int, int] | None = None,
    channels: int | None = None,
) -> ImageData:
    """Returns ``data`` with its images converted to ``channels`` and resized to ``image_size``.

    ``None`` leaves the respective property as it is.
    """
    images = data.images
    # Convert before resizing when that shrinks the tensor (RGB -> gray), after otherwise.
    reduce_channels_first = channels is not None and channels < images.shape[1]
    if reduce_channels_first and channels is not None:
        images = convert_channels(images, channels)
    if image_size is not None:
        images = resize_images(images, image_size)
    if channels is not None and not reduce_channels_first:
        images = convert_channels(images, channels)
    if images is data.images:
        return data
    return ImageData(images=images, labels=data.labels, classes=data.classes)

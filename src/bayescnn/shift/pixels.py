"""What the built-in corruptions share: pixels to ``[0, 1]`` and back, a severity's level,
the image's scale against CIFAR's 32 pixels, and random draws from a given generator."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import torch
from torch import Tensor

from bayescnn.shift.registry import check_severity

REFERENCE_SIDE = 32
"""Spatial parameters are CIFAR-10-C's, for 32-pixel images."""


def vision() -> tuple[ModuleType, Any]:
    """torchvision's v2 functional transforms and its bilinear mode, imported at the first
    corruption that needs them (not when the registry is read, e.g. by ``bayescnn --help``).

    torchvision ships no types: what its functions return is ``Any`` to mypy, so the
    corruptions name their results' type."""
    from torchvision.transforms.v2 import InterpolationMode, functional

    return functional, InterpolationMode.BILINEAR


def level(table: Sequence[float], severity: int) -> float:
    """The corruption's parameter ``c`` at ``severity``: ``table[severity - 1]``."""
    return table[check_severity(severity) - 1]


def unit(images: Tensor) -> Tensor:
    """uint8 -> float32 in [0, 1]."""
    return images.float() / 255.0


def uint8(pixels: Tensor) -> Tensor:
    """float in [0, 1] (clipped) -> uint8."""
    return (pixels.clamp(0.0, 1.0) * 255.0).round_().to(torch.uint8)


def scale(images: Tensor) -> float:
    """The image side over CIFAR's 32 pixels."""
    return min(images.shape[-2:]) / REFERENCE_SIDE


def randn(shape: torch.Size, generator: torch.Generator, device: torch.device) -> Tensor:
    return torch.randn(shape, generator=generator, device=generator.device).to(device)


def rand(shape: Sequence[int], generator: torch.Generator, device: torch.device) -> Tensor:
    return torch.rand(tuple(shape), generator=generator, device=generator.device).to(device)


def randint(high: int, count: int, generator: torch.Generator, device: torch.device) -> Tensor:
    return torch.randint(high, (count,), generator=generator, device=generator.device).to(device)


def kernel_size(sigma: float, side: int) -> int:
    """An odd kernel covering ±3 sigma, short enough for reflect padding of ``side``."""
    size = 2 * math.ceil(3 * sigma) + 1
    return max(1, min(size, 2 * (side - 1) + 1))


def per_group(
    images: Tensor, group: Tensor, transforms: Sequence[Callable[[Tensor], Tensor]]
) -> Tensor:
    """Apply ``transforms[g]`` to the images whose ``group`` is ``g``, one call per group."""
    result = torch.empty_like(images)
    for index, transform in enumerate(transforms):
        chosen = group == index
        if bool(chosen.any()):
            result[chosen] = transform(images[chosen])
    return result

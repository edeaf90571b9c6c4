"""Corruptions of uint8 image batches ``(N, C, H, W)``, computed on the fly, five severities.

Named as in CIFAR-10-C (Hendrycks & Dietterich, 2019, "Benchmarking Neural Network
Robustness to Common Corruptions and Perturbations") and MNIST-C (Mu & Gilmer, 2019),
so that any dataset, gray or RGB, can be evaluated under shift as Ovadia et al. (2019,
"Can You Trust Your Model's Uncertainty?") do. Pixels ``x`` are scaled to ``[0, 1]``,
corrupted, clipped to ``[0, 1]`` and rounded back to uint8. Spatial parameters are given
for a 32-pixel image and scale with the image's side ``s`` by ``s/32``, so CIFAR-10 gets
CIFAR-10-C's values and a 28-pixel MNIST image 7/8 of them. Severities 1-5:

=================  =======================================  ==============================
name               corruption                               c at severity 1, 2, 3, 4, 5
=================  =======================================  ==============================
``gaussian_noise`` ``x + N(0, c²)`` per pixel (CIFAR-10-C)  0.04, 0.06, 0.08, 0.09, 0.10
``shot_noise``     ``Poisson(c·x) / c`` (CIFAR-10-C)        500, 250, 100, 75, 50
``impulse_noise``  salt and pepper: a fraction ``c`` of     0.01, 0.02, 0.03, 0.05, 0.07
                   the values set to 0 or 1, half each
``speckle_noise``  ``x + x · N(0, c²)`` (CIFAR-10-C)        0.06, 0.10, 0.12, 0.16, 0.20
``gaussian_blur``  Gaussian blur, std ``c`` pixels          0.4, 0.6, 0.7, 0.8, 1.0
``contrast``       ``m + c (x - m)``, ``m`` the mean gray   0.75, 0.5, 0.4, 0.3, 0.15
``brightness``     HSV value ``V + c`` (gray: ``x + c``)    0.05, 0.10, 0.15, 0.20, 0.30
``jpeg``           JPEG (Pillow) at quality ``c``           80, 65, 58, 50, 40
``pixelate``       area-downsample to ``⌊c·s⌋`` pixels,     0.95, 0.90, 0.85, 0.75, 0.65
                   nearest-upsample back
``elastic``        smooth random displacement field, RMS    0.5, 1.0, 1.5, 2.0, 2.5
                   ``c`` pixels, correlation 3 pixels
``rotate``         rotation by ``±c`` degrees (sign drawn)  15, 30, 45, 60, 75
``shear``          horizontal shear ``±c`` degrees          10, 20, 30, 40, 50
``translate``      shift by ``c·s`` pixels in one of eight  0.05, 0.10, 0.15, 0.20, 0.25
                   directions (drawn)
``zoom``           zoom out: scale by ``c`` about centre    0.9, 0.8, 0.7, 0.6, 0.5
=================  =======================================  ==============================

The first nine follow CIFAR-10-C's tables (``elastic`` and the geometric ones are ours:
CIFAR-10-C's elastic also applies an affine warp; MNIST-C's rotate, shear, translate and
scale have one severity). ``brightness`` shifts the HSV value as CIFAR-10-C does:
torchvision's ``adjust_brightness`` multiplies, which would leave MNIST's black background
black. Geometric corruptions fill uncovered pixels with 0 and interpolate bilinearly.

Every corruption is a function ``(images, severity, generator) -> images`` drawing its
randomness only from ``generator``: the same generator state gives the same images. Add
your own with :func:`register_corruption`::

    @bayescnn.shift.register_corruption("invert")
    def invert(images, severity, generator):
        bayescnn.shift.check_severity(severity)
        return 255 - images
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import torch
from torch import Tensor

from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.registry import Registry
from bayescnn.seeding import seeded_generator

__all__ = [
    "CORRUPTIONS",
    "SEVERITIES",
    "Corruption",
    "check_severity",
    "corrupt",
    "list_corruptions",
    "register_corruption",
]

Corruption = Callable[[Tensor, int, torch.Generator], Tensor]
"""``(images uint8 (N, C, H, W), severity 1-5, generator) -> images uint8, same shape``."""

CORRUPTIONS: Registry[Corruption] = Registry("corruption")
"""The corruptions by name; extend it with :func:`register_corruption`."""

SEVERITIES = (1, 2, 3, 4, 5)
"""The severities every corruption accepts."""

_REFERENCE_SIDE = 32  # spatial parameters are CIFAR-10-C's, for 32-pixel images


def _vision() -> tuple[ModuleType, Any]:
    """torchvision's v2 functional transforms and its bilinear mode, imported at the first
    corruption that needs them (not when the registry is read, e.g. by ``bayescnn --help``)."""
    from torchvision.transforms.v2 import InterpolationMode, functional

    return functional, InterpolationMode.BILINEAR


def register_corruption(name: str, *, replace: bool = False) -> Callable[[Corruption], Corruption]:
    """Decorator registering ``(images, severity, generator) -> images`` under ``name``."""
    return CORRUPTIONS.register(name, replace=replace)


def list_corruptions() -> list[str]:
    """The registered corruption names, built-ins first."""
    return CORRUPTIONS.names()


def check_severity(severity: int) -> int:
    """``severity`` if it is an integer in 1-5, else :class:`InvalidArgumentError`."""
    if isinstance(severity, bool) or not isinstance(severity, int) or severity not in SEVERITIES:
        raise InvalidArgumentError(f"severity must be an integer from 1 to 5, got {severity!r}")
    return severity


def _check_images(images: Tensor) -> None:
    if not isinstance(images, Tensor):
        raise InvalidTypeError(f"images must be a torch.Tensor, got {type(images).__name__}")
    if images.dtype != torch.uint8:
        raise InvalidTypeError(f"images must be uint8, got {images.dtype}")
    if images.ndim != 4:
        raise InvalidArgumentError(
            f"images must have shape (N, C, H, W), got {tuple(images.shape)}"
        )


def corrupt(
    images: Tensor,
    corruption: str,
    severity: int,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    """The batch ``images`` under the named corruption at ``severity``.

    Args:
        images: uint8 images, shape ``(N, C, H, W)``, any device.
        corruption: A registered name (see :func:`list_corruptions`).
        severity: 1 (mild) to 5 (strong).
        generator: The source of randomness (default: a generator seeded with 0, so the
            result is the same on every call); build one with
            :func:`bayescnn.seeding.seeded_generator`.

    Returns:
        uint8 images of the same shape, on the same device.

    Raises:
        UnknownNameError: If no corruption has that name (the message lists them).
        InvalidArgumentError: If the severity is not 1-5 or the images not ``(N, C, H, W)``.
        InvalidTypeError: If the images are not a uint8 tensor.
    """
    _check_images(images)
    function = CORRUPTIONS.get(corruption)
    check_severity(severity)
    if generator is None:
        generator = seeded_generator(0)
    if images.shape[0] == 0:
        return images.clone()
    result = function(images, severity, generator)
    if not isinstance(result, Tensor) or result.dtype != torch.uint8:
        raise InvalidTypeError(f"corruption {corruption!r} must return uint8 images")
    if result.shape != images.shape:
        raise InvalidArgumentError(
            f"corruption {corruption!r} changed the shape {tuple(images.shape)} to "
            f"{tuple(result.shape)}"
        )
    return result


# helpers ---------------------------------------------------------------------------


def _level(table: Sequence[float], severity: int) -> float:
    return table[check_severity(severity) - 1]


def _unit(images: Tensor) -> Tensor:
    """uint8 -> float32 in [0, 1]."""
    return images.float() / 255.0


def _uint8(pixels: Tensor) -> Tensor:
    """float in [0, 1] (clipped) -> uint8."""
    return (pixels.clamp(0.0, 1.0) * 255.0).round_().to(torch.uint8)


def _scale(images: Tensor) -> float:
    """The image side over CIFAR's 32 pixels."""
    return min(images.shape[-2:]) / _REFERENCE_SIDE


def _randn(shape: torch.Size, generator: torch.Generator, device: torch.device) -> Tensor:
    return torch.randn(shape, generator=generator, device=generator.device).to(device)


def _rand(shape: Sequence[int], generator: torch.Generator, device: torch.device) -> Tensor:
    return torch.rand(tuple(shape), generator=generator, device=generator.device).to(device)


def _randint(high: int, count: int, generator: torch.Generator, device: torch.device) -> Tensor:
    return torch.randint(high, (count,), generator=generator, device=generator.device).to(device)


def _kernel_size(sigma: float, side: int) -> int:
    """An odd kernel covering ±3 sigma, short enough for reflect padding of ``side``."""
    size = 2 * math.ceil(3 * sigma) + 1
    return max(1, min(size, 2 * (side - 1) + 1))


def _per_group(images: Tensor, group: Tensor, transforms: Sequence[Callable[[Tensor], Tensor]]):
    """Apply ``transforms[g]`` to the images whose ``group`` is ``g``, one call per group."""
    result = torch.empty_like(images)
    for index, transform in enumerate(transforms):
        chosen = group == index
        if bool(chosen.any()):
            result[chosen] = transform(images[chosen])
    return result


# noise -----------------------------------------------------------------------------


@register_corruption("gaussian_noise")
def gaussian_noise(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """``x + N(0, c²)`` per pixel and channel, ``c`` in 0.04-0.10."""
    c = _level((0.04, 0.06, 0.08, 0.09, 0.10), severity)
    return _uint8(_unit(images) + c * _randn(images.shape, generator, images.device))


@register_corruption("shot_noise")
def shot_noise(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """Photon noise ``Poisson(c·x) / c``, ``c`` in 500-50 photons at full intensity."""
    c = _level((500, 250, 100, 75, 50), severity)
    rates = (_unit(images) * c).to(generator.device)
    return _uint8(torch.poisson(rates, generator=generator).to(images.device) / c)


@register_corruption("impulse_noise")
def impulse_noise(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """Salt and pepper: each value is 0 with probability ``c/2`` and 255 with ``c/2``."""
    c = _level((0.01, 0.02, 0.03, 0.05, 0.07), severity)
    draw = _rand(images.shape, generator, images.device)
    result = images.masked_fill(draw < c / 2, 0)
    return result.masked_fill((draw >= c / 2) & (draw < c), 255)


@register_corruption("speckle_noise")
def speckle_noise(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """Multiplicative noise ``x + x · N(0, c²)``, ``c`` in 0.06-0.20."""
    c = _level((0.06, 0.10, 0.12, 0.16, 0.20), severity)
    pixels = _unit(images)
    return _uint8(pixels + pixels * c * _randn(images.shape, generator, images.device))


from bayescnn.shift import geometric as _geometric  # noqa: E402, F401  (registers them)
from bayescnn.shift import photometric as _photometric  # noqa: E402, F401

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

import torch
from torch import Tensor

from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.seeding import seeded_generator
from bayescnn.shift.registry import (
    CORRUPTIONS,
    SEVERITIES,
    Corruption,
    check_severity,
    list_corruptions,
    register_corruption,
)

# The built-ins register themselves on import, in this order (list_corruptions shows it).
# isort: off
from bayescnn.shift import noise as _noise  # noqa: F401
from bayescnn.shift import geometric as _geometric  # noqa: F401
from bayescnn.shift import photometric as _photometric  # noqa: F401
# isort: on

__all__ = [
    "CORRUPTIONS",
    "SEVERITIES",
    "Corruption",
    "check_severity",
    "corrupt",
    "list_corruptions",
    "register_corruption",
]


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

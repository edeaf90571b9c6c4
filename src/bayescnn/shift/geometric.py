"""The geometric corruptions of :mod:`bayescnn.shift.corruptions`: elastic, rotate, shear,
translate and zoom (severities in that module's table)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from bayescnn.shift import pixels as px
from bayescnn.shift.registry import register_corruption

# geometric -------------------------------------------------------------------------


@register_corruption("elastic")
def elastic(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """A smooth random displacement field per image, RMS ``c · s/32`` pixels.

    Uniform noise on ``[-1, 1]`` per pixel and axis is blurred (std ``3 · s/32`` pixels),
    rescaled to the RMS displacement ``c`` in 0.5-2.5 and applied with torchvision's
    ``elastic_transform`` (bilinear, zero fill).
    """
    F, bilinear = px.vision()
    scale = px.scale(images)
    rms = px.level((0.5, 1.0, 1.5, 2.0, 2.5), severity) * scale
    count, _, height, width = images.shape
    sigma = 3.0 * scale
    size = px.kernel_size(sigma, min(height, width))
    noise = px.rand((count, 2, height, width), generator, images.device) * 2 - 1
    field = F.gaussian_blur(noise, [size, size], [sigma, sigma])
    field = field / field.square().mean(dim=(1, 2, 3), keepdim=True).sqrt().clamp_min(1e-12)
    pixels_to_grid = torch.tensor([2.0 / width, 2.0 / height], device=images.device)
    displacement = (rms * field).permute(0, 2, 3, 1) * pixels_to_grid  # (N, H, W, 2)
    parts: list[Tensor] = [
        F.elastic_transform(images[i : i + 1], displacement[i : i + 1], bilinear)
        for i in range(count)
    ]
    return torch.cat(parts)


@register_corruption("rotate")
def rotate(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """Rotation about the centre by ``±c`` degrees (sign drawn per image), ``c`` in 15-75."""
    F, bilinear = px.vision()
    angle = px.level((15, 30, 45, 60, 75), severity)
    sign = px.randint(2, images.shape[0], generator, images.device)

    def rotated(degrees: float) -> Callable[[Tensor], Tensor]:
        return lambda x: F.rotate(x, degrees, interpolation=bilinear)

    return px.per_group(images, sign, [rotated(angle), rotated(-angle)])


@register_corruption("shear")
def shear(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """Horizontal shear by ``±c`` degrees (sign drawn per image), ``c`` in 10-50."""
    F, bilinear = px.vision()
    angle = px.level((10, 20, 30, 40, 50), severity)
    sign = px.randint(2, images.shape[0], generator, images.device)

    def sheared(degrees: float) -> Callable[[Tensor], Tensor]:
        return lambda x: F.affine(x, 0.0, [0, 0], 1.0, [degrees, 0.0], interpolation=bilinear)

    return px.per_group(images, sign, [sheared(angle), sheared(-angle)])


@register_corruption("translate")
def translate(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """A shift of ``c · side`` pixels in one of 8 directions (drawn per image), ``c`` in 0.05-0.25."""
    F, bilinear = px.vision()
    distance = px.level((0.05, 0.10, 0.15, 0.20, 0.25), severity) * min(images.shape[-2:])
    direction = px.randint(8, images.shape[0], generator, images.device)

    def shifted(k: int) -> Callable[[Tensor], Tensor]:
        dx = distance * math.cos(k * math.pi / 4)
        dy = distance * math.sin(k * math.pi / 4)
        return lambda x: F.affine(x, 0.0, [dx, dy], 1.0, [0.0, 0.0], interpolation=bilinear)

    return px.per_group(images, direction, [shifted(k) for k in range(8)])


@register_corruption("zoom")
def zoom(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """Zoom out: scale by ``c`` in 0.9-0.5 about the centre, the border filled with 0."""
    F, bilinear = px.vision()
    factor = px.level((0.9, 0.8, 0.7, 0.6, 0.5), severity)
    zoomed: Tensor = F.affine(images, 0.0, [0, 0], factor, [0.0, 0.0], interpolation=bilinear)
    return zoomed

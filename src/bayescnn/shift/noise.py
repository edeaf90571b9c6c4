"""The noise corruptions of :mod:`bayescnn.shift.corruptions`: gaussian_noise, shot_noise,
impulse_noise and speckle_noise (severities in that module's table)."""

from __future__ import annotations

import torch
from torch import Tensor

from bayescnn.shift import pixels as px
from bayescnn.shift.registry import register_corruption

# noise -----------------------------------------------------------------------------


@register_corruption("gaussian_noise")
def gaussian_noise(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """``x + N(0, c²)`` per pixel and channel, ``c`` in 0.04-0.10."""
    c = px.level((0.04, 0.06, 0.08, 0.09, 0.10), severity)
    return px.uint8(px.unit(images) + c * px.randn(images.shape, generator, images.device))


@register_corruption("shot_noise")
def shot_noise(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """Photon noise ``Poisson(c·x) / c``, ``c`` in 500-50 photons at full intensity."""
    c = px.level((500, 250, 100, 75, 50), severity)
    rates = (px.unit(images) * c).to(generator.device)
    return px.uint8(torch.poisson(rates, generator=generator).to(images.device) / c)


@register_corruption("impulse_noise")
def impulse_noise(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """Salt and pepper: each value is 0 with probability ``c/2`` and 255 with ``c/2``."""
    c = px.level((0.01, 0.02, 0.03, 0.05, 0.07), severity)
    draw = px.rand(images.shape, generator, images.device)
    result = images.masked_fill(draw < c / 2, 0)
    return result.masked_fill((draw >= c / 2) & (draw < c), 255)


@register_corruption("speckle_noise")
def speckle_noise(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """Multiplicative noise ``x + x · N(0, c²)``, ``c`` in 0.06-0.20."""
    c = px.level((0.06, 0.10, 0.12, 0.16, 0.20), severity)
    pixels = px.unit(images)
    return px.uint8(pixels + pixels * c * px.randn(images.shape, generator, images.device))

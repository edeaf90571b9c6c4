"""The photometric corruptions of :mod:`bayescnn.shift.corruptions`: gaussian_blur,
contrast, brightness, jpeg and pixelate (severities in that module's table)."""

from __future__ import annotations

import io

import numpy as np
import torch
import torch.nn.functional as torch_f
from PIL import Image
from torch import Tensor

from bayescnn.shift import pixels as px
from bayescnn.shift.registry import register_corruption

# photometric -----------------------------------------------------------------------


@register_corruption("gaussian_blur")
def gaussian_blur(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """Gaussian blur of std ``c · s/32`` pixels, ``c`` in 0.4-1.0."""
    F, _ = px.vision()
    sigma = px.level((0.4, 0.6, 0.7, 0.8, 1.0), severity) * px.scale(images)
    size = px.kernel_size(sigma, min(images.shape[-2:]))
    blurred: Tensor = F.gaussian_blur(images, [size, size], [sigma, sigma])
    return blurred


@register_corruption("contrast")
def contrast(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """``m + c (x - m)`` with ``m`` the image's mean gray level, ``c`` in 0.75-0.15."""
    F, _ = px.vision()
    contrasted: Tensor = F.adjust_contrast(images, px.level((0.75, 0.5, 0.4, 0.3, 0.15), severity))
    return contrasted


@register_corruption("brightness")
def brightness(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """HSV value ``V + c`` at constant hue and saturation, ``c`` in 0.05-0.30.

    With ``V = max_channel x``, every channel is multiplied by ``min(V + c, 1) / V``; a
    black pixel becomes the gray ``c`` (a gray image gets ``x + c``).
    """
    c = px.level((0.05, 0.10, 0.15, 0.20, 0.30), severity)
    pixels = px.unit(images)
    value = pixels.amax(dim=1, keepdim=True)
    brighter = (value + c).clamp(max=1.0)
    return px.uint8(torch.where(value > 0, pixels * brighter / value.clamp_min(1e-12), brighter))


def _jpeg_image(image: np.ndarray, quality: int) -> np.ndarray:
    """One ``(C, H, W)`` uint8 image through Pillow's JPEG codec (RGB as RGB, else per channel)."""
    planes = [image.transpose(1, 2, 0)] if image.shape[0] == 3 else list(image)
    decoded = []
    for plane in planes:
        buffer = io.BytesIO()
        Image.fromarray(plane).save(buffer, format="JPEG", quality=quality)
        decoded.append(np.asarray(Image.open(buffer)))
    return decoded[0].transpose(2, 0, 1) if image.shape[0] == 3 else np.stack(decoded)


@register_corruption("jpeg")
def jpeg(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """JPEG compression by Pillow at quality ``c`` in 80-40, as CIFAR-10-C.

    (torchvision's ``jpeg`` is deprecated with its image codecs since torchvision 0.29.)
    """
    quality = int(px.level((80, 65, 58, 50, 40), severity))
    array = images.cpu().numpy()
    result = np.stack([_jpeg_image(image, quality) for image in array])
    return torch.from_numpy(result).to(images.device)


@register_corruption("pixelate")
def pixelate(images: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """Area-downsample to ``⌊c·H⌋ x ⌊c·W⌋`` and nearest-upsample back, ``c`` in 0.95-0.65."""
    c = px.level((0.95, 0.90, 0.85, 0.75, 0.65), severity)
    height, width = images.shape[-2:]
    small = (max(1, int(height * c)), max(1, int(width * c)))
    pixels = torch_f.interpolate(images.float(), size=small, mode="area")
    pixels = torch_f.interpolate(pixels, size=(height, width), mode="nearest")
    return pixels.round_().clamp_(0, 255).to(torch.uint8)

"""Specification of the load-time image conversions (size, channels)."""

import torch

from bayescnn.data.transforms import convert_channels, resize_images


def test_resize_returns_uint8_images_of_the_requested_size():
    images = torch.randint(0, 256, (5, 1, 28, 28), dtype=torch.uint8)
    resized = resize_images(images, 32)
    assert resized.dtype == torch.uint8
    assert resized.shape == (5, 1, 32, 32)


def test_resize_keeps_constant_images_constant():
    images = torch.full((2, 3, 28, 28), 173, dtype=torch.uint8)
    assert torch.all(resize_images(images, (14, 40)) == 173)


def test_resize_rounds_like_antialiased_bilinear_interpolation():
    images = torch.randint(0, 256, (3, 1, 28, 28), dtype=torch.uint8)
    expected = torch.nn.functional.interpolate(
        images.float(), size=(32, 32), mode="bilinear", antialias=True, align_corners=False
    )
    assert torch.equal(resize_images(images, 32), expected.round().clamp(0, 255).byte())


def test_resize_in_chunks_equals_resize_at_once():
    images = torch.randint(0, 256, (7, 3, 10, 10), dtype=torch.uint8)
    assert torch.equal(resize_images(images, 6, chunk_size=2), resize_images(images, 6))


def test_gray_to_rgb_repeats_the_channel():
    gray = torch.randint(0, 256, (2, 1, 4, 4), dtype=torch.uint8)
    rgb = convert_channels(gray, 3)
    assert rgb.shape == (2, 3, 4, 4)
    assert all(torch.equal(rgb[:, [channel]], gray) for channel in range(3))


def test_rgb_to_gray_takes_the_rounded_luminance():
    rgb = torch.tensor([255, 0, 0, 0, 255, 0, 0, 0, 255], dtype=torch.uint8).view(3, 3, 1, 1)
    assert convert_channels(rgb, 1).flatten().tolist() == [76, 150, 29]

"""Corruptions of uint8 image batches: shape, severity, determinism and their statistics."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from bayescnn.errors import InvalidArgumentError, InvalidTypeError, UnknownNameError
from bayescnn.seeding import seeded_generator
from bayescnn.shift import CORRUPTIONS, corrupt, list_corruptions, register_corruption

BUILT_INS = list_corruptions()
GROWING = [name for name in BUILT_INS if name not in ("rotate", "pixelate")]  # see their tests
RANDOM = ["gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "elastic",
          "rotate", "shear", "translate"]  # fmt: skip


def smooth_images(count: int, channels: int, side: int, seed: int = 0) -> torch.Tensor:
    """Natural-looking test images: smooth random shading plus a bright bar."""
    generator = seeded_generator(seed)
    coarse = torch.rand(count, channels, 4, 4, generator=generator)
    shading = F.interpolate(coarse, size=(side, side), mode="bilinear", align_corners=False)
    images = 40 + 140 * shading
    images[:, :, side // 3 : side // 3 + 4, side // 6 : -side // 6] = 250
    return images.round().to(torch.uint8)


@pytest.fixture(params=[(1, 28), (3, 32)], ids=["gray28", "rgb32"])
def images(request) -> torch.Tensor:
    channels, side = request.param
    return smooth_images(16, channels, side)


@pytest.mark.parametrize("name", BUILT_INS)
def test_every_corruption_keeps_the_shape_and_the_uint8_dtype(name, images) -> None:
    for severity in (1, 5):
        result = corrupt(images, name, severity, generator=seeded_generator(0))
        assert result.dtype == torch.uint8 and result.shape == images.shape


@pytest.mark.parametrize("name", GROWING)
def test_the_mean_change_from_the_clean_images_grows_with_severity(name, images) -> None:
    change = [
        (corrupt(images, name, severity, generator=seeded_generator(0)).float() - images.float())
        .abs()
        .mean()
        .item()
        for severity in range(1, 6)
    ]
    assert change[0] > 0
    assert all(b > a for a, b in itertools.pairwise(change)), change


@pytest.mark.parametrize("name", RANDOM)
def test_the_same_seed_gives_the_same_images(name, images) -> None:
    first = corrupt(images, name, 3, generator=seeded_generator(7))
    again = corrupt(images, name, 3, generator=seeded_generator(7))
    assert torch.equal(first, again)


@pytest.mark.parametrize("name", RANDOM)
def test_another_seed_gives_other_images(name, images) -> None:
    first = corrupt(images, name, 5, generator=seeded_generator(1))
    other = corrupt(images, name, 5, generator=seeded_generator(2))
    assert not torch.equal(first, other)


def test_without_a_generator_the_result_is_the_same_on_every_call(images) -> None:
    assert torch.equal(corrupt(images, "gaussian_noise", 2), corrupt(images, "gaussian_noise", 2))


@pytest.mark.parametrize("name", BUILT_INS)
def test_the_clean_images_are_left_untouched(name, images) -> None:
    before = images.clone()
    corrupt(images, name, 5)
    assert torch.equal(images, before)


def test_gaussian_noise_has_std_c_of_the_pixel_range() -> None:
    gray = torch.full((64, 1, 32, 32), 128, dtype=torch.uint8)  # far from clipping
    change = corrupt(gray, "gaussian_noise", 5, generator=seeded_generator(0)).float() - 128
    assert change.mean().item() == pytest.approx(0.0, abs=0.3)
    assert change.std().item() == pytest.approx(0.10 * 255, rel=0.02)


def test_impulse_noise_sets_a_fraction_c_of_the_values_to_black_or_white() -> None:
    gray = torch.full((64, 1, 32, 32), 128, dtype=torch.uint8)
    result = corrupt(gray, "impulse_noise", 5, generator=seeded_generator(0))
    assert (result == 0).float().mean().item() == pytest.approx(0.035, abs=0.003)
    assert (result == 255).float().mean().item() == pytest.approx(0.035, abs=0.003)
    assert ((result == 0) | (result == 255) | (result == 128)).all()


def test_shot_noise_keeps_the_mean_intensity() -> None:
    gray = torch.full((64, 1, 32, 32), 100, dtype=torch.uint8)
    result = corrupt(gray, "shot_noise", 5, generator=seeded_generator(0)).float()
    assert result.mean().item() == pytest.approx(100, abs=1.0)
    # Poisson(c x)/c has variance x/c: std sqrt(100/255/50) of the range
    assert result.std().item() == pytest.approx(255 * (100 / 255 / 50) ** 0.5, rel=0.05)


def test_contrast_scales_the_deviation_from_the_mean_gray_by_c() -> None:
    gray = torch.tensor([[[[100, 200]]]], dtype=torch.uint8)  # mean 150
    assert corrupt(gray, "contrast", 2).flatten().tolist() == [125, 175]  # c = 0.5


def test_brightness_adds_c_to_a_gray_image() -> None:
    gray = torch.tensor([[[[0, 100, 250]]]], dtype=torch.uint8)
    assert corrupt(gray, "brightness", 4).flatten().tolist() == [51, 151, 255]  # c = 0.2


def test_brightness_keeps_the_hue_of_a_colour() -> None:
    orange = torch.tensor([200, 80, 0], dtype=torch.uint8).view(1, 3, 1, 1)
    result = corrupt(orange, "brightness", 4).flatten().tolist()  # V + 51: x 251/200
    assert result == [251, 100, 0]


def test_rotate_turns_each_image_by_plus_or_minus_c_degrees(images) -> None:
    from torchvision.transforms.v2 import InterpolationMode
    from torchvision.transforms.v2 import functional as TF

    result = corrupt(images, "rotate", 3, generator=seeded_generator(0))
    turned = {a: TF.rotate(images, a, interpolation=InterpolationMode.BILINEAR) for a in (45, -45)}
    signs = [torch.equal(result[i], turned[45][i]) for i in range(len(images))]
    assert all(signs[i] or torch.equal(result[i], turned[-45][i]) for i in range(len(images)))
    assert 0 < sum(signs) < len(images), "both signs are drawn"


@pytest.mark.parametrize("severity", range(1, 6))
def test_pixelate_keeps_c_times_the_side_distinct_rows_and_columns(severity) -> None:
    side = 28
    noise = torch.randint(0, 256, (1, 1, side, side), generator=seeded_generator(0))
    result = corrupt(noise.to(torch.uint8), "pixelate", severity)[0, 0]
    kept = int(side * (0.95, 0.90, 0.85, 0.75, 0.65)[severity - 1])
    distinct_rows = 1 + int((result[1:] != result[:-1]).any(dim=1).sum())
    distinct_columns = 1 + int((result[:, 1:] != result[:, :-1]).any(dim=0).sum())
    assert distinct_rows == kept and distinct_columns == kept


def test_zoom_out_leaves_a_black_border() -> None:
    white = torch.full((1, 1, 28, 28), 255, dtype=torch.uint8)
    result = corrupt(white, "zoom", 5)  # half size
    assert result[..., 0, :].max() == 0 and result[..., 14, 14] == 255


def test_an_unknown_name_is_an_error_that_suggests_the_near_miss(images) -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'gaussian_noise'"):
        corrupt(images, "gaussian_nois", 1)


@pytest.mark.parametrize("severity", [0, 6, -1, 2.5, True])
def test_a_severity_outside_one_to_five_is_an_error(severity, images) -> None:
    with pytest.raises(InvalidArgumentError, match="severity"):
        corrupt(images, "gaussian_noise", severity)


def test_the_built_in_functions_check_the_severity_themselves(images) -> None:
    with pytest.raises(InvalidArgumentError, match="severity"):
        CORRUPTIONS.get("rotate")(images, 6, seeded_generator(0))


def test_float_images_are_refused() -> None:
    with pytest.raises(InvalidTypeError, match="uint8"):
        corrupt(torch.zeros(2, 1, 8, 8), "gaussian_noise", 1)


def test_images_without_a_batch_dimension_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match=r"\(N, C, H, W\)"):
        corrupt(torch.zeros(1, 8, 8, dtype=torch.uint8), "gaussian_noise", 1)


def test_an_empty_batch_stays_empty() -> None:
    empty = torch.zeros(0, 1, 28, 28, dtype=torch.uint8)
    assert corrupt(empty, "elastic", 3).shape == empty.shape


@pytest.fixture
def invert():
    @register_corruption("test_invert")
    def invert(images, severity, generator):
        return 255 - images

    yield invert
    del CORRUPTIONS["test_invert"]


def test_a_registered_corruption_is_used_by_name(invert, images) -> None:
    assert "test_invert" in list_corruptions()
    assert torch.equal(corrupt(images, "test_invert", 1), 255 - images)


def test_a_corruption_that_changes_the_dtype_is_reported(images) -> None:
    @register_corruption("test_to_float")
    def to_float(images, severity, generator):
        return images.float()

    try:
        with pytest.raises(InvalidTypeError, match="test_to_float"):
            corrupt(images, "test_to_float", 1)
    finally:
        del CORRUPTIONS["test_to_float"]

"""Tests for bayescnn.data.ood_sets."""

import pytest
import torch
from PIL import Image

from bayescnn.data import (
    DATASETS,
    DEFAULT_OOD_SETS,
    OOD_SET_NAMES,
    ImageData,
    default_ood_set,
    load_ood_set,
)
from bayescnn.errors import InvalidArgumentError, MissingFileError, UnknownNameError


def image_data(count: int = 4, channels: int = 1, size: int = 28) -> ImageData:
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (count, channels, size, size), generator=generator)
    return ImageData(
        images=images.to(torch.uint8),
        labels=torch.arange(count) % 2,
        classes=("a", "b"),
    )


def test_digits_have_the_requested_shape_dtype_and_count():
    digits = load_ood_set("digits", like=image_data(channels=1, size=28))
    assert digits.images.shape == (1797, 1, 28, 28)
    assert digits.images.dtype == torch.uint8
    assert digits.classes == tuple("0123456789")


def test_digits_match_rgb_images_of_another_size():
    digits = load_ood_set("digits", like=image_data(channels=3, size=32), limit=20)
    assert digits.images.shape == (20, 3, 32, 32)


def test_digits_are_real_bright_strokes_on_a_dark_background():
    digits = load_ood_set("digits", like=image_data(), limit=200)
    images = digits.images.float()
    assert images.max() > 200 and images.std() > 40  # not constant
    assert images[:, :, :3, :3].mean() < images[:, :, 10:18, 10:18].mean()
    assert len(digits.labels.unique()) == 10
    assert not torch.equal(digits.images[0], digits.images[1])


def test_limit_takes_a_seeded_subset():
    like = image_data()
    first = load_ood_set("digits", like=like, limit=30, seed=1)
    again = load_ood_set("digits", like=like, limit=30, seed=1)
    other = load_ood_set("digits", like=like, limit=30, seed=2)
    assert len(first) == 30 and torch.equal(first.images, again.images)
    assert not torch.equal(first.images, other.images)


def test_noise_is_seeded():
    like = image_data(channels=3, size=16)
    first = load_ood_set("noise", like=like, seed=3, limit=5)
    assert first.images.shape == (5, 3, 16, 16) and first.images.dtype == torch.uint8
    assert torch.equal(first.images, load_ood_set("noise", like=like, seed=3, limit=5).images)
    assert not torch.equal(first.images, load_ood_set("noise", like=like, seed=4, limit=5).images)


def test_noise_defaults_to_the_size_of_the_in_distribution_set():
    assert len(load_ood_set("noise", like=image_data(count=7))) == 7


def test_inverted_and_vflip_transform_the_in_distribution_images():
    like = image_data()
    assert torch.equal(load_ood_set("inverted", like=like).images, 255 - like.images)
    assert torch.equal(load_ood_set("vflip", like=like).images, like.images.flip(-2))


def test_image_folder_is_read_at_the_in_distribution_shape(tmp_path):
    for name in ("x", "y"):
        (tmp_path / name).mkdir()
        Image.new("L", (10, 12), color=100).save(tmp_path / name / "0.png")
    data = load_ood_set(f"folder:{tmp_path}", like=image_data(channels=3, size=20))
    assert data.images.shape == (2, 3, 20, 20) and data.classes == ("x", "y")
    assert len(load_ood_set(str(tmp_path), like=image_data())) == 2


def test_unknown_name_lists_the_choices():
    with pytest.raises(UnknownNameError, match=r"unknown OOD set 'svhnn'.*'digits'.*'noise'"):
        load_ood_set("svhnn", like=image_data())


def test_missing_folder_is_a_file_not_found_error(tmp_path):
    with pytest.raises(MissingFileError, match="choose one of"):
        load_ood_set(f"folder:{tmp_path / 'absent'}", like=image_data())


def test_a_flat_folder_of_images_without_labels_is_an_ood_set(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(3):
        Image.new("RGB", (10, 12), color=(index, 50, 100)).save(folder / f"{index}.png")
    (folder / "notes.txt").write_text("not an image")
    data = load_ood_set(str(folder), like=image_data(channels=1, size=20))
    assert data.images.shape == (3, 1, 20, 20) and data.classes == ("photos",)


def test_empty_folder_is_a_value_error(tmp_path):
    with pytest.raises(InvalidArgumentError, match=r"no images in .*flat folder.*class folders"):
        load_ood_set(f"folder:{tmp_path}", like=image_data())


def test_non_positive_limit_is_rejected():
    with pytest.raises(InvalidArgumentError, match="limit"):
        load_ood_set("digits", like=image_data(), limit=0)


def test_gaussian_noise_has_the_pixel_mean_and_spread_of_the_in_distribution_images():
    like = image_data(count=50, size=16)
    noise = load_ood_set("gaussian-noise", like=like, seed=1, limit=200)
    assert noise.images.shape == (200, 1, 16, 16) and noise.images.dtype == torch.uint8
    pixels, reference = noise.images.double(), like.images.double()
    assert abs(pixels.mean() - reference.mean()) < 2.0
    assert abs(pixels.std() - reference.std()) < 0.1 * reference.std()


def test_gaussian_noise_of_no_in_distribution_images_is_a_clear_error():
    with pytest.raises(InvalidArgumentError, match="gaussian-noise"):
        load_ood_set("gaussian-noise", like=image_data(count=0))


def test_each_datasets_default_ood_set_is_another_kind_of_image():
    assert default_ood_set("mnist") == "fashion-mnist"  # not handwritten digits again
    assert default_ood_set("fashion-mnist") == "digits"
    assert default_ood_set("cifar10") == "svhn" and default_ood_set("svhn") == "cifar10"


def test_a_dataset_without_a_default_ood_set_gets_noise():
    assert default_ood_set("path/to/my-folder") == "noise"


def test_every_default_ood_set_is_a_loadable_name():
    for dataset, ood in DEFAULT_OOD_SETS.items():
        assert dataset in DATASETS and ood != dataset
        assert ood in DATASETS or ood in OOD_SET_NAMES

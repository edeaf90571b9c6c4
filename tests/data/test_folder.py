"""Specification of the class-per-folder image reader (e.g. notMNIST)."""

import numpy as np
import pytest
import torch
from PIL import Image

from bayescnn.data import CorruptDataError, load_dataset, load_image_folder


def write_png(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def write_letters(root, size=(28, 28)):
    """Writes two gray PNGs per letter A, B, C; returns {(letter, index): pixels}."""
    rng = np.random.default_rng(0)
    written = {}
    for letter in "ABC":
        for index in range(2):
            pixels = rng.integers(0, 256, size, dtype=np.uint8)
            write_png(root / letter / f"{index}.png", pixels)
            written[letter, index] = pixels
    return written


def test_png_folder_round_trips_pixels_with_folder_names_as_classes(tmp_path):
    written = write_letters(tmp_path)
    data = load_image_folder(tmp_path)
    assert data.classes == ("A", "B", "C")
    assert data.images.dtype == torch.uint8
    assert data.images.shape == (6, 1, 28, 28)
    assert data.labels.tolist() == [0, 0, 1, 1, 2, 2]
    assert np.array_equal(data.images[3, 0].numpy(), written["B", 1])


def test_jpeg_rgb_images_load_with_three_channels(tmp_path):
    for letter, color in (("x", (250, 10, 10)), ("y", (10, 10, 250))):
        (tmp_path / letter).mkdir()
        Image.new("RGB", (8, 8), color).save(tmp_path / letter / "img.jpg", quality=95)
    data = load_image_folder(tmp_path)
    assert data.images.shape == (2, 3, 8, 8)
    means = data.images.float().mean(dim=(2, 3))
    assert torch.allclose(means, torch.tensor([[250.0, 10, 10], [10, 10, 250]]), atol=3)


def test_images_are_converted_to_the_requested_channels_and_size(tmp_path):
    write_letters(tmp_path)
    data = load_image_folder(tmp_path, channels=3, image_size=32)
    assert data.images.shape == (6, 3, 32, 32)
    assert torch.equal(data.images[:, 0], data.images[:, 2])


def test_images_of_different_sizes_are_resized_to_image_size(tmp_path):
    write_png(tmp_path / "a" / "small.png", np.zeros((10, 12), np.uint8))
    write_png(tmp_path / "a" / "large.png", np.full((40, 30), 255, np.uint8))
    data = load_image_folder(tmp_path, image_size=(16, 20))
    assert data.images.shape == (2, 1, 16, 20)
    assert data.images[0].max() == 255 and data.images[1].max() == 0


def test_images_of_different_sizes_without_image_size_are_refused(tmp_path):
    write_png(tmp_path / "a" / "small.png", np.zeros((10, 12), np.uint8))
    write_png(tmp_path / "a" / "large.png", np.zeros((40, 30), np.uint8))
    with pytest.raises(ValueError, match="pass image_size"):
        load_image_folder(tmp_path)


def test_other_files_are_ignored(tmp_path):
    write_letters(tmp_path)
    (tmp_path / "A" / "notes.txt").write_text("not an image")
    assert len(load_image_folder(tmp_path)) == 6


def test_corrupt_image_is_named_in_the_error(tmp_path):
    write_letters(tmp_path)
    broken = tmp_path / "B" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(CorruptDataError, match=r"broken\.png"):
        load_image_folder(tmp_path)


def test_truncated_image_is_named_in_the_error(tmp_path):
    write_letters(tmp_path)
    path = tmp_path / "C" / "1.png"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CorruptDataError, match=r"1\.png"):
        load_image_folder(tmp_path)


def test_skip_corrupt_skips_unreadable_images_with_one_warning_counting_them(tmp_path):
    write_letters(tmp_path)
    (tmp_path / "A" / "empty.png").write_bytes(b"")
    (tmp_path / "C" / "bad.jpg").write_bytes(b"nope")
    with pytest.warns(UserWarning, match="skipped 2 unreadable"):
        data = load_image_folder(tmp_path, skip_corrupt=True)
    assert len(data) == 6


def test_folder_without_class_folders_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no class folders"):
        load_image_folder(tmp_path)


def test_class_folders_without_images_are_refused(tmp_path):
    (tmp_path / "A").mkdir()
    with pytest.raises(ValueError, match="no readable images"):
        load_image_folder(tmp_path)


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        load_image_folder(tmp_path / "missing")


@pytest.mark.parametrize("prefix", ["folder:", ""], ids=["folder-prefix", "plain-path"])
def test_load_dataset_holds_out_a_fifth_of_a_plain_folder_as_test_set(tmp_path, prefix):
    write_letters(tmp_path / "notMNIST")
    train, test = load_dataset(f"{prefix}{tmp_path / 'notMNIST'}", channels=3, image_size=32)
    assert test.images.shape == (1, 3, 32, 32)  # round(0.2 * 6)
    assert train.images.shape == (5, 3, 32, 32)
    assert train.classes == test.classes == ("A", "B", "C")


def test_load_dataset_reads_train_and_test_subfolders_with_one_class_order(tmp_path):
    write_letters(tmp_path / "train")
    write_png(tmp_path / "test" / "C" / "0.png", np.zeros((28, 28), np.uint8))
    train, test = load_dataset(f"folder:{tmp_path}")
    assert len(train) == 6
    assert test.classes == ("A", "B", "C")
    assert test.labels.tolist() == [2]

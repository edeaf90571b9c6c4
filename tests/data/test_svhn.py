"""Specification of the SVHN .mat reader."""

import numpy as np
import pytest
import scipy.io
import torch

from bayescnn.data import CorruptDataError, load_dataset
from bayescnn.data.svhn import load_svhn


def write_svhn(folder, name, count, seed):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (32, 32, 3, count), dtype=np.uint8)
    digits = rng.integers(1, 11, (count, 1), dtype=np.uint8)
    digits[0] = 10
    folder.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(folder / name, {"X": pixels, "y": digits})
    return pixels, digits


def test_reader_transposes_images_to_n_c_h_w(tmp_path):
    pixels, _ = write_svhn(tmp_path, "test_32x32.mat", 4, seed=0)
    data = load_svhn(tmp_path, "test")
    assert data.images.dtype == torch.uint8
    assert data.images.shape == (4, 3, 32, 32)
    for index in range(4):
        assert np.array_equal(data.images[index].numpy(), pixels[..., index].transpose(2, 0, 1))


def test_reader_maps_label_ten_to_digit_zero(tmp_path):
    _, digits = write_svhn(tmp_path, "train_32x32.mat", 6, seed=1)
    data = load_svhn(tmp_path, "train")
    assert data.labels.dtype == torch.int64
    assert data.labels.tolist() == [0 if d == 10 else int(d) for d in digits[:, 0]]
    assert data.classes == tuple("0123456789")


def test_load_dataset_finds_svhn_folder_in_data_dir(tmp_path):
    train_pixels, _ = write_svhn(tmp_path / "svhn", "train_32x32.mat", 5, seed=2)
    write_svhn(tmp_path / "svhn", "test_32x32.mat", 3, seed=3)
    train, test = load_dataset("svhn", data_dir=tmp_path)
    assert (len(train), len(test)) == (5, 3)
    assert np.array_equal(train.images[1].numpy(), train_pixels[..., 1].transpose(2, 0, 1))


def test_truncated_mat_file_is_refused_naming_it(tmp_path):
    write_svhn(tmp_path, "test_32x32.mat", 4, seed=0)
    path = tmp_path / "test_32x32.mat"
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(CorruptDataError, match=r"test_32x32\.mat"):
        load_svhn(tmp_path, "test")


def test_mat_file_with_mismatched_label_count_is_refused(tmp_path):
    scipy.io.savemat(
        tmp_path / "test_32x32.mat",
        {"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.ones((3, 1), np.uint8)},
    )
    with pytest.raises(CorruptDataError, match="3 labels"):
        load_svhn(tmp_path, "test")

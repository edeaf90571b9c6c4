"""Specification of the IDX reader (MNIST, Fashion-MNIST)."""

import numpy as np
import pytest
import torch

from bayescnn.data import CorruptDataError, load_dataset
from bayescnn.data.idx import load_idx, read_idx_images, read_idx_labels

CLASSES = tuple("0123456789")


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_reader_round_trips_images_and_labels(tmp_path, write_mnist_like, gz):
    arrays = write_mnist_like(tmp_path, gz=gz)
    for split in ("train", "test"):
        data = load_idx(tmp_path, split, CLASSES)
        assert data.images.dtype == torch.uint8
        assert data.images.shape == (len(arrays[f"{split}_images"]), 1, 28, 28)
        assert np.array_equal(data.images[:, 0].numpy(), arrays[f"{split}_images"])
        assert data.labels.dtype == torch.int64
        assert data.labels.tolist() == arrays[f"{split}_labels"].tolist()


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_load_dataset_reads_idx_files_from_data_dir(tmp_path, write_mnist_like, name):
    arrays = write_mnist_like(tmp_path)
    train, test = load_dataset(name, data_dir=tmp_path)
    assert np.array_equal(train.images[:, 0].numpy(), arrays["train_images"])
    assert np.array_equal(test.images[:, 0].numpy(), arrays["test_images"])
    assert test.labels.tolist() == arrays["test_labels"].tolist()
    assert len(train.classes) == 10


@pytest.mark.parametrize(
    ("name", "subdir"), [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")]
)
def test_load_dataset_finds_torchvisions_raw_layout(tmp_path, write_mnist_like, name, subdir):
    arrays = write_mnist_like(tmp_path / subdir / "raw", gz=False)
    train, _ = load_dataset(name, data_dir=tmp_path)
    assert np.array_equal(train.images[:, 0].numpy(), arrays["train_images"])


def test_images_file_with_label_magic_is_refused(tmp_path, write_idx):
    path = tmp_path / "train-images-idx3-ubyte"
    write_idx(path, np.zeros((2, 28, 28), np.uint8), 2049)
    with pytest.raises(CorruptDataError, match="bad magic number 2049, expected 2051"):
        read_idx_images(path)


def test_labels_file_with_image_magic_is_refused(tmp_path, write_idx):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    write_idx(path, np.zeros(2, np.uint8), 2051)
    with pytest.raises(CorruptDataError, match="bad magic number 2051, expected 2049"):
        read_idx_labels(path)


def test_truncated_images_file_is_refused(tmp_path, write_idx):
    path = tmp_path / "train-images-idx3-ubyte"
    write_idx(path, np.zeros((2, 28, 28), np.uint8), 2051)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CorruptDataError, match="truncated"):
        read_idx_images(path)


def test_file_shorter_than_its_header_is_refused(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(b"\x00\x00")
    with pytest.raises(CorruptDataError, match="too short"):
        read_idx_labels(path)


def test_truncated_gzip_file_is_refused(tmp_path, write_idx):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(path, np.zeros((2, 28, 28), np.uint8), 2051)
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(CorruptDataError, match="gzip"):
        read_idx_images(path)


def test_file_that_is_not_gzip_despite_its_name_is_refused(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(b"this is not gzip data")
    with pytest.raises(CorruptDataError, match=str(path.name)):
        read_idx_labels(path)


def test_images_and_labels_of_different_counts_are_refused(tmp_path, write_mnist_like, write_idx):
    write_mnist_like(tmp_path, gz=False)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(4, np.uint8), 2049)
    with pytest.raises(CorruptDataError, match="5 images but 4 labels"):
        load_idx(tmp_path, "train", CLASSES)


def test_raw_file_is_preferred_to_gzip_when_both_exist(tmp_path, write_mnist_like):
    raw = write_mnist_like(tmp_path, gz=False, seed=1)
    write_mnist_like(tmp_path, gz=True, seed=2)
    data = load_idx(tmp_path, "test", CLASSES)
    assert np.array_equal(data.images[:, 0].numpy(), raw["test_images"])

"""Specification of the CIFAR-10 and CIFAR-100 pickle-batch readers."""

import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from bayescnn.data import CorruptDataError, UnsafePickleError, load_dataset
from bayescnn.data.cifar import load_cifar10, load_cifar100

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer")
CIFAR100_CLASSES = tuple(f"class{index}" for index in range(100))


def write_pickle(path: Path, content: object, protocol: int = 4) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as stream:
        pickle.dump(content, stream, protocol=protocol)


def plane_pattern_rows(count: int) -> np.ndarray:
    """Rows whose red plane is 1, green 2, blue 3, except red pixel (row 1, col 2) = 200 + n."""
    rows = np.repeat(np.array([1, 2, 3], np.uint8), 1024)[None].repeat(count, axis=0)
    rows[:, 1 * 32 + 2] = 200 + np.arange(count)
    return rows


def write_cifar10(folder: Path, protocol: int = 4) -> None:
    labels = [[0, 1], [2, 3], [4, 0], [1, 2], [3, 4]]
    for index, batch_labels in enumerate(labels, start=1):
        batch = {b"data": plane_pattern_rows(2), b"labels": batch_labels}
        write_pickle(folder / f"data_batch_{index}", batch, protocol)
    write_pickle(folder / "test_batch", {b"data": plane_pattern_rows(3), b"labels": [4, 3, 2]})
    names = [name.encode() for name in CIFAR10_CLASSES]
    write_pickle(folder / "batches.meta", {b"label_names": names})


def write_cifar100(folder: Path) -> None:
    write_pickle(folder / "train", {b"data": plane_pattern_rows(3), b"fine_labels": [99, 0, 5]})
    write_pickle(folder / "test", {b"data": plane_pattern_rows(2), b"fine_labels": [7, 8]})
    names = [name.encode() for name in CIFAR100_CLASSES]
    write_pickle(folder / "meta", {b"fine_label_names": names})


def assert_plane_pattern(images: torch.Tensor) -> None:
    assert images.dtype == torch.uint8
    assert images.shape[1:] == (3, 32, 32)
    for index, image in enumerate(images):
        assert image[0, 1, 2] == 200 + index
        assert image[0, 2, 1] == 1
        assert torch.all(image[1] == 2)
        assert torch.all(image[2] == 3)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar10_reader_maps_rows_to_rgb_planes_in_row_major_order(tmp_path, protocol):
    write_cifar10(tmp_path, protocol)
    test = load_cifar10(tmp_path, "test")
    assert_plane_pattern(test.images)
    assert test.labels.tolist() == [4, 3, 2]


def test_cifar10_train_split_concatenates_the_five_batches_in_order(tmp_path):
    write_cifar10(tmp_path)
    train = load_cifar10(tmp_path, "train")
    assert train.images.shape == (10, 3, 32, 32)
    assert train.labels.dtype == torch.int64
    assert train.labels.tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
    assert train.classes == CIFAR10_CLASSES


def test_load_dataset_finds_cifar10_batches_folder_in_data_dir(tmp_path):
    write_cifar10(tmp_path / "cifar-10-batches-py")
    train, test = load_dataset("cifar10", data_dir=tmp_path)
    assert (len(train), len(test)) == (10, 3)
    assert_plane_pattern(test.images)


def test_cifar100_reader_uses_fine_labels_and_names(tmp_path):
    write_cifar100(tmp_path)
    train = load_cifar100(tmp_path, "train")
    assert_plane_pattern(train.images)
    assert train.labels.tolist() == [99, 0, 5]
    assert train.classes == CIFAR100_CLASSES


def test_load_dataset_finds_cifar100_folder_in_data_dir(tmp_path):
    write_cifar100(tmp_path / "cifar-100-python")
    train, test = load_dataset("cifar100", data_dir=tmp_path)
    assert (len(train), len(test)) == (3, 2)
    assert test.labels.tolist() == [7, 8]


def test_truncated_batch_is_refused_naming_the_file(tmp_path):
    write_cifar10(tmp_path)
    path = tmp_path / "test_batch"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CorruptDataError, match="test_batch"):
        load_cifar10(tmp_path, "test")


def test_batch_with_wrongly_shaped_data_is_refused(tmp_path):
    write_cifar10(tmp_path)
    batch = {b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}
    write_pickle(tmp_path / "test_batch", batch)
    with pytest.raises(CorruptDataError, match="N x 3072 uint8"):
        load_cifar10(tmp_path, "test")


def test_batch_without_labels_is_refused(tmp_path):
    write_cifar10(tmp_path)
    write_pickle(tmp_path / "test_batch", {b"data": plane_pattern_rows(1)})
    with pytest.raises(CorruptDataError, match="missing key 'labels'"):
        load_cifar10(tmp_path, "test")


def python2_pickle(data: np.ndarray, labels: list[int]) -> bytes:
    """A batch pickled as Python 2's cPickle wrote the distributed CIFAR files (str = bytes)."""

    def string(value: bytes) -> bytes:
        return b"T" + struct.pack("<I", len(value)) + value

    def integer(value: int) -> bytes:
        return b"J" + struct.pack("<i", value)

    dtype = (
        b"cnumpy\ndtype\n" + string(b"u1") + integer(0) + integer(1) + b"\x87R("
        + integer(3) + string(b"|") + b"NNN" + integer(-1) + integer(-1) + integer(0) + b"tb"
    )  # fmt: skip
    array = (
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n" + integer(0) + b"\x85"
        + string(b"b") + b"\x87R(" + integer(1) + integer(data.shape[0]) + integer(data.shape[1])
        + b"\x86" + dtype + b"\x89" + string(data.tobytes()) + b"tb"
    )  # fmt: skip
    label_list = b"](" + b"".join(integer(label) for label in labels) + b"e"
    return b"\x80\x02}(" + string(b"data") + array + string(b"labels") + label_list + b"u."


def test_batch_pickled_by_python2_like_the_distributed_files_loads(tmp_path):
    write_cifar10(tmp_path)
    (tmp_path / "test_batch").write_bytes(python2_pickle(plane_pattern_rows(3), [1, 2, 3]))
    test = load_cifar10(tmp_path, "test")
    assert_plane_pattern(test.images)
    assert test.labels.tolist() == [1, 2, 3]


class RunsShellCommand:
    """Pickles as a call of os.system, as a malicious dataset file could."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_pickle_calling_os_system_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "exploited"
    write_cifar10(tmp_path)
    batch = {b"data": RunsShellCommand(f"touch {marker}"), b"labels": [0]}
    write_pickle(tmp_path / "test_batch", batch)
    with pytest.raises(UnsafePickleError, match="system"):
        load_cifar10(tmp_path, "test")
    assert not marker.exists()

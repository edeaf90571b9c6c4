"""Specification of the dataset registry and of where load_dataset looks for files."""

import dataclasses
from pathlib import Path

import pytest
import torch

from bayescnn.data import DATASETS, DataNotFoundError, get_spec, load_dataset, search

FASHION_MNIST_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture
def places(tmp_path, monkeypatch):
    """An empty working directory and an empty system folder replacing the real ones."""
    workdir, system = tmp_path / "workdir", tmp_path / "system"
    workdir.mkdir()
    system.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.setattr(search, "SYSTEM_DATA_DIRS", (system,))
    return {"data_dir": tmp_path / "given", "local": workdir / "data", "system": system}


def test_data_dir_is_searched_before_local_data(places, write_mnist_like):
    write_mnist_like(places["data_dir"], num_train=2)
    write_mnist_like(places["local"] / "mnist", num_train=3)
    train, _ = load_dataset("mnist", data_dir=places["data_dir"])
    assert len(train) == 2


def test_local_data_is_searched_before_system_dirs(places, write_mnist_like):
    write_mnist_like(places["local"] / "mnist", num_train=3)
    write_mnist_like(places["system"] / "mnist", num_train=4)
    train, _ = load_dataset("mnist", data_dir=places["data_dir"])
    assert len(train) == 3


def test_system_dirs_are_searched_last(places, write_mnist_like):
    write_mnist_like(places["system"] / "fashion-mnist", num_train=4)
    train, _ = load_dataset("fashion-mnist")
    assert len(train) == 4


def test_incomplete_folder_is_passed_over(places, write_mnist_like):
    write_mnist_like(places["data_dir"], num_train=2)
    (places["data_dir"] / "t10k-labels-idx1-ubyte.gz").unlink()
    write_mnist_like(places["system"] / "mnist", num_train=4)
    train, _ = load_dataset("mnist", data_dir=places["data_dir"])
    assert len(train) == 4


def test_missing_data_raises_a_one_line_error_saying_where_searched_and_what_to_do(places):
    with pytest.raises(DataNotFoundError) as raised:
        load_dataset("fashion-mnist", data_dir=places["data_dir"])
    message = str(raised.value)
    assert isinstance(raised.value, FileNotFoundError)
    assert "\n" not in message
    for folder in places.values():
        assert str(folder) in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "--download" in message
    assert "train-images-idx3-ubyte.gz" in message


def test_download_fetches_into_data_dir_only_when_nothing_is_found(
    places, monkeypatch, write_mnist_like
):
    calls = []

    def fake_download(root):
        calls.append(root)
        write_mnist_like(root / "MNIST" / "raw", num_train=6)

    spec = dataclasses.replace(DATASETS["mnist"], download=fake_download)
    monkeypatch.setitem(DATASETS, "mnist", spec)
    train, _ = load_dataset("mnist", data_dir=places["data_dir"], download=True)
    assert calls == [places["data_dir"]]
    assert len(train) == 6


def test_download_is_skipped_when_files_are_present(places, monkeypatch, write_mnist_like):
    write_mnist_like(places["local"] / "mnist")
    spec = dataclasses.replace(DATASETS["mnist"], download=pytest.fail)
    monkeypatch.setitem(DATASETS, "mnist", spec)
    load_dataset("mnist", download=True)


def test_resizing_and_channel_conversion_apply_to_both_splits(places, write_mnist_like):
    write_mnist_like(places["data_dir"])
    for split in load_dataset("mnist", data_dir=places["data_dir"], image_size=32, channels=3):
        assert split.images.dtype == torch.uint8
        assert split.images.shape[1:] == (3, 32, 32)


def test_unknown_name_raises_value_error_listing_known_names():
    with pytest.raises(ValueError, match="mnist, fashion-mnist, cifar10, cifar100, svhn"):
        get_spec("imagenet")


@pytest.mark.parametrize(
    ("name", "crop", "flip"),
    [
        ("cifar10", True, True),
        ("cifar100", True, True),
        ("svhn", True, False),
        ("mnist", False, False),
    ],
)
def test_training_augmentation_per_dataset(name, crop, flip):
    spec = get_spec(name)
    assert (spec.train_crop, spec.train_flip) == (crop, flip)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_specs_have_one_mean_and_std_per_channel(name):
    spec = DATASETS[name]
    assert len(spec.mean) == len(spec.std) == spec.in_channels


def test_gray_normalization_is_repeated_for_rgb():
    assert get_spec("mnist").normalization(3) == ((0.1307,) * 3, (0.3081,) * 3)


@pytest.mark.skipif(
    not FASHION_MNIST_SYSTEM_DIR.is_dir(),
    reason=f"{FASHION_MNIST_SYSTEM_DIR} missing: apt-get install dataset-fashion-mnist",
)
def test_real_fashion_mnist_is_found_in_the_system_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train, test = load_dataset("fashion-mnist")
    assert (len(train), len(test)) == (60000, 10000)
    assert train.images.shape[1:] == test.images.shape[1:] == (1, 28, 28)
    assert len(train.classes) == 10
    assert torch.bincount(train.labels).tolist() == [6000] * 10


def test_a_dataset_registered_from_user_code_loads_by_name_and_trains(tmp_path):
    import bayescnn
    from bayescnn.data import ImageData, register_dataset
    from bayescnn.runs import TrainConfig, train_run

    @register_dataset(
        "user-stripes", num_classes=2, in_channels=1, image_size=(28, 28), mean=(0.5,),
        std=(0.5,), replace=True,
    )  # fmt: skip
    def stripes(data_dir, split):
        generator = torch.Generator().manual_seed(0 if split == "train" else 1)
        labels = torch.randint(0, 2, (200,), generator=generator)
        images = torch.zeros(200, 1, 28, 28, dtype=torch.uint8)
        images[labels == 0, :, :, ::4] = 255
        images[labels == 1, :, ::4, :] = 255
        return ImageData(images, labels, ("vertical", "horizontal"))

    try:
        train, test = load_dataset("user-stripes", image_size=32)
        assert train.images.shape == (200, 1, 32, 32) and len(test) == 200
        config = TrainConfig(
            dataset="user-stripes", image_size=28, epochs=1, batch_size=20, lr=0.01,
            valid_samples=1, test_samples=1, device="cpu",
        )  # fmt: skip
        _, report = train_run(config, tmp_path / "run")
        assert report["predictive"]["accuracy"] > 0.9
        assert bayescnn.runs.open_run(tmp_path / "run").spec.num_classes == 2
        assert bayescnn.load_run(tmp_path / "run")(torch.zeros(1, 1, 28, 28)).shape == (1, 2)
    finally:
        del DATASETS["user-stripes"]

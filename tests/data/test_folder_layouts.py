"""Specification of image folders as training datasets: both layouts, and clear errors."""

import numpy as np
import pytest
import torch
from PIL import Image

from bayescnn.data import get_spec, load_dataset
from bayescnn.errors import InvalidArgumentError, MissingFileError, UnknownNameError


def write_classes(root, classes=("cat", "dog"), per_class=10, suffix=".png"):
    """Writes ``per_class`` 8x8 gray images (pixel value = index) per class folder."""
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            pixels = np.full((8, 8), index, dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{index}{suffix}")
    return root


def test_a_plain_folder_is_split_into_a_seeded_train_and_a_20_percent_test_part(tmp_path):
    root = write_classes(tmp_path / "pets")
    train, test = load_dataset(root, seed=3)
    assert (len(train), len(test)) == (16, 4)
    assert train.classes == test.classes == ("cat", "dog")
    every = torch.cat([train.images, test.images]).flatten(1)
    assert len(torch.unique(every, dim=0)) == 10, "the parts hold all 20 images between them"
    assert torch.equal(load_dataset(root, seed=3)[1].images, test.images), "same seed, same split"


def test_another_seed_gives_another_test_split(tmp_path):
    root = write_classes(tmp_path / "pets", per_class=20)
    splits = {
        tuple(load_dataset(root, seed=seed)[1].images[:, 0, 0, 0].tolist()) for seed in range(3)
    }
    assert len(splits) > 1


def test_the_test_fraction_is_an_option(tmp_path):
    train, test = load_dataset(write_classes(tmp_path / "pets"), test_size=0.5)
    assert (len(train), len(test)) == (10, 10)


def test_a_folder_with_train_and_test_subfolders_keeps_its_own_split(tmp_path):
    write_classes(tmp_path / "pets" / "train", per_class=4)
    write_classes(tmp_path / "pets" / "test", per_class=1)
    train, test = load_dataset(f"folder:{tmp_path / 'pets'}", seed=5)
    assert (len(train), len(test)) == (8, 2)


def test_too_few_images_for_both_parts_is_refused(tmp_path):
    root = write_classes(tmp_path / "pets", per_class=1)
    with pytest.raises(InvalidArgumentError, match="too few"):
        load_dataset(root)


def test_tif_images_are_read(tmp_path):
    train, test = load_dataset(write_classes(tmp_path / "pets", suffix=".tif"))
    assert len(train) + len(test) == 20


@pytest.mark.parametrize("name", ["/no/such/dir", "folder:/no/such", "./missing", "data\\pets"])
def test_a_mistyped_path_says_folder_not_found(name):
    with pytest.raises(MissingFileError, match="folder not found: "):
        get_spec(name)


def test_a_folder_with_one_class_is_refused_naming_the_layout_to_use(tmp_path):
    root = write_classes(tmp_path / "pets", classes=("cat",))
    with pytest.raises(InvalidArgumentError, match=r"one class folder \(cat\).*own subfolder"):
        get_spec(root)


def test_a_folder_with_only_a_train_subfolder_is_told_to_add_test(tmp_path):
    write_classes(tmp_path / "pets" / "train")
    with pytest.raises(InvalidArgumentError, match=r"both .*train/<class>/ and .*test/<class>/"):
        get_spec(tmp_path / "pets")


def test_a_near_miss_of_a_dataset_name_is_suggested():
    with pytest.raises(UnknownNameError, match="did you mean 'mnist'"):
        get_spec("mnsit")


def test_a_folder_spec_describes_its_classes_and_images(tmp_path):
    spec = get_spec(write_classes(tmp_path / "pets", classes=("a", "b", "c")))
    assert (spec.num_classes, spec.in_channels, spec.image_size) == (3, 1, (8, 8))

"""Specification of ImageData: validation and subsets."""

import pytest
import torch

from bayescnn.data import ImageData


def make_data(size: int = 4) -> ImageData:
    return ImageData(
        images=torch.arange(size * 2 * 2, dtype=torch.uint8).view(size, 1, 2, 2),
        labels=torch.arange(size, dtype=torch.int64) % 2,
        classes=("even", "odd"),
    )


def test_length_is_the_number_of_examples():
    assert len(make_data(4)) == 4


def test_subset_keeps_the_given_examples_in_the_given_order():
    data = make_data(4)
    part = data.subset([3, 1])
    assert torch.equal(part.images, data.images[[3, 1]])
    assert part.labels.tolist() == [1, 1]
    assert part.classes == data.classes


def test_empty_subset_keeps_the_image_shape():
    assert make_data().subset([]).images.shape == (0, 1, 2, 2)


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (torch.zeros(2, 1, 2, 2), torch.zeros(2, dtype=torch.int64), "uint8"),
        (
            torch.zeros(2, 2, 2, dtype=torch.uint8),
            torch.zeros(2, dtype=torch.int64),
            "N x C x H x W",
        ),
        (torch.zeros(2, 1, 2, 2, dtype=torch.uint8), torch.zeros(2, dtype=torch.int32), "int64"),
        (torch.zeros(2, 1, 2, 2, dtype=torch.uint8), torch.zeros(3, dtype=torch.int64), "length"),
        (torch.zeros(2, 1, 2, 2, dtype=torch.uint8), torch.tensor([0, 2]), r"\[0, 2\)"),
        (torch.zeros(2, 1, 2, 2, dtype=torch.uint8), torch.tensor([-1, 0]), r"\[0, 2\)"),
    ],
    ids=[
        "float-images",
        "3d-images",
        "int32-labels",
        "length-mismatch",
        "label-too-big",
        "negative",
    ],
)
def test_invalid_contents_raise_value_error_saying_what_is_wrong(images, labels, message):
    with pytest.raises(ValueError, match=message):
        ImageData(images=images, labels=labels, classes=("a", "b"))

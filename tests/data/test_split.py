"""Specification of the seeded train/validation split."""

import pytest
import torch

from bayescnn.data import ImageData, train_valid_split


def numbered_data(size: int = 50) -> ImageData:
    """Examples whose label is their index, so that they can be told apart."""
    return ImageData(
        images=torch.arange(size, dtype=torch.uint8).view(size, 1, 1, 1),
        labels=torch.arange(size),
        classes=tuple(str(index) for index in range(size)),
    )


def test_split_is_disjoint_and_covers_the_data():
    train, valid = train_valid_split(numbered_data(), 0.2)
    assert (len(train), len(valid)) == (40, 10)
    assert sorted(train.labels.tolist() + valid.labels.tolist()) == list(range(50))


def test_same_seed_gives_the_same_split():
    first = train_valid_split(numbered_data(), 0.3, seed=7)[1]
    second = train_valid_split(numbered_data(), 0.3, seed=7)[1]
    assert torch.equal(first.labels, second.labels)


def test_different_seeds_give_different_splits():
    first = train_valid_split(numbered_data(), 0.3, seed=1)[1]
    second = train_valid_split(numbered_data(), 0.3, seed=2)[1]
    assert not torch.equal(first.labels, second.labels)


def test_zero_fraction_gives_an_empty_validation_set():
    train, valid = train_valid_split(numbered_data(), 0.0)
    assert len(train) == 50
    assert len(valid) == 0


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5])
def test_fraction_outside_zero_to_one_is_refused(fraction):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        train_valid_split(numbered_data(), fraction)

"""Seeded split of a training set into training and validation parts."""

from __future__ import annotations

import torch

from bayescnn.data.dataset import ImageData
from bayescnn.errors import InvalidArgumentError
from bayescnn.seeding import seeded_generator


def train_valid_split(
    data: ImageData, valid_fraction: float = 0.2, seed: int = 0
) -> tuple[ImageData, ImageData]:
    """Splits ``data`` at random into disjoint ``(train, valid)`` parts (not stratified).

    The validation part holds ``round(valid_fraction * len(data))`` examples; the same
    ``seed`` always gives the same split. Both parts keep the original example order.

    Raises:
        ValueError: If ``valid_fraction`` is outside ``[0, 1)``.
    """
    if not 0 <= valid_fraction < 1:
        raise InvalidArgumentError(f"valid_fraction must lie in [0, 1), got {valid_fraction}")
    permutation = torch.randperm(len(data), generator=seeded_generator(seed))
    valid_size = round(valid_fraction * len(data))
    valid_indices, _ = permutation[:valid_size].sort()
    train_indices, _ = permutation[valid_size:].sort()
    return data.subset(train_indices), data.subset(valid_indices)

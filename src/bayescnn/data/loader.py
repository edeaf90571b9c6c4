"""Batches of a whole dataset held on one device, shuffled and augmented by tensor ops."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import torch
import torch.nn.functional as F

from bayescnn import defaults
from bayescnn.data.dataset import ImageData
from bayescnn.errors import InvalidArgumentError
from bayescnn.seeding import derive_seed, seeded_generator

_SHUFFLE_STREAM = 0
_AUGMENT_STREAM = 1
EVALUATION_BATCH_SIZE = defaults.EVALUATION_BATCH_SIZE
"""The batch size of :func:`evaluation_loader` unless told otherwise."""


class PixelNormalization:
    """Per-channel ``(x / 255 - mean) / std`` of uint8 images, as ``x * scale - shift``.

    The one place where pixels become model inputs: the loaders and the prediction of
    image files use it.

    Args:
        mean: Per-channel mean of pixels scaled to [0, 1].
        std: Per-channel standard deviation of pixels scaled to [0, 1], positive.
        device: Where the scale and shift live (the device of the images).
    """

    def __init__(
        self, mean: Sequence[float], std: Sequence[float], device: str | torch.device = "cpu"
    ) -> None:
        if len(mean) != len(std):
            raise InvalidArgumentError(
                f"mean and std need one value per channel each, got {len(mean)} and {len(std)}"
            )
        if any(value <= 0 for value in std):
            raise InvalidArgumentError(f"std must be positive, got {tuple(std)}")
        std_tensor = torch.tensor(std, dtype=torch.float32, device=device).view(1, -1, 1, 1)
        mean_tensor = torch.tensor(mean, dtype=torch.float32, device=device).view(1, -1, 1, 1)
        self.scale = 1.0 / (255.0 * std_tensor)
        self.shift = mean_tensor / std_tensor

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Float32 inputs of a ``N x C x H x W`` uint8 batch on the normalisation's device."""
        return images.float().mul_(self.scale).sub_(self.shift)


class InMemoryLoader:
    """Yields normalised ``(inputs, labels)`` batches of an ImageData stored on ``device``.

    The uint8 images live on ``device``; each batch is gathered with ``index_select``,
    augmented (if enabled) and converted to float32 ``(x / 255 - mean) / std`` there.

    The order of an epoch is a pure function of ``(seed, epoch)``: call
    :meth:`set_epoch` before each epoch, as with ``DistributedSampler`` (without it every
    epoch repeats the order of epoch 0). With ``world_size > 1`` every rank takes the
    slice ``rank::world_size`` of the epoch's permutation, which is first padded by
    wrapping around to a multiple of ``world_size``, so shards are disjoint, equally
    sized, and together cover every example (a few twice when the size does not divide).

    Augmentation draws from a generator seeded by ``(seed, epoch, rank)``: a random crop
    of the image zero-padded by ``crop_padding`` pixels on each side and, if ``flip``, a
    horizontal flip with probability 1/2, both for whole batches at once.

    Args:
        data: The examples.
        batch_size: Examples per batch.
        shuffle: Permute the examples anew each epoch; otherwise keep their order.
        seed: Non-negative base seed of shuffling and augmentation.
        device: Where the images are stored and batches are produced.
        mean: Per-channel mean of pixels scaled to [0, 1].
        std: Per-channel standard deviation of pixels scaled to [0, 1].
        augment: Apply random crops (and flips) to the batches.
        flip: Whether augmentation includes horizontal flips.
        crop_padding: Zero padding of the random crops, in pixels.
        drop_last: Drop the last batch if it is smaller than ``batch_size``.
        rank: This process's index among ``world_size`` processes.
        world_size: Number of processes sharing each epoch.
    """

    def __init__(
        self,
        data: ImageData,
        batch_size: int,
        *,
        shuffle: bool,
        mean: Sequence[float],
        std: Sequence[float],
        seed: int = 0,
        device: str | torch.device = "cpu",
        augment: bool = False,
        flip: bool = True,
        crop_padding: int = 4,
        drop_last: bool = False,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        channels = data.images.shape[1]
        if batch_size < 1:
            raise InvalidArgumentError(f"batch_size must be positive, got {batch_size}")
        if len(mean) != channels or len(std) != channels:
            raise InvalidArgumentError(
                f"mean and std need {channels} values (one per channel), "
                f"got {len(mean)} and {len(std)}"
            )
        if world_size < 1 or not 0 <= rank < world_size:
            raise InvalidArgumentError(
                f"need 0 <= rank < world_size, got rank {rank}, size {world_size}"
            )
        if seed < 0 or crop_padding < 0:
            raise InvalidArgumentError("seed and crop_padding must be non-negative")
        self.device = torch.device(device)
        self.images = data.images.to(self.device)
        self.labels = data.labels.to(self.device)
        self.classes = data.classes
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.augment = augment
        self.flip = flip
        self.crop_padding = crop_padding
        self.drop_last = drop_last
        self.rank = rank
        self.world_size = world_size
        self.epoch = 0
        self.normalize = PixelNormalization(mean, std, self.device)

    def set_epoch(self, epoch: int) -> None:
        """Selects the epoch whose order and augmentation the next iteration uses."""
        if epoch < 0:
            raise InvalidArgumentError(f"epoch must be non-negative, got {epoch}")
        self.epoch = epoch

    @property
    def num_examples(self) -> int:
        """Examples this rank sees per epoch (before ``drop_last``)."""
        return math.ceil(len(self.labels) / self.world_size)

    def __len__(self) -> int:
        if self.drop_last:
            return self.num_examples // self.batch_size
        return math.ceil(self.num_examples / self.batch_size)

    def epoch_indices(self) -> torch.Tensor:
        """Indices (on ``device``) of the examples this rank sees in the current epoch, in order."""
        total = len(self.labels)
        if self.shuffle:
            generator = seeded_generator(derive_seed(self.seed, self.epoch, _SHUFFLE_STREAM))
            order = torch.randperm(total, generator=generator)
        else:
            order = torch.arange(total)
        padded_size = self.num_examples * self.world_size
        if padded_size > total:
            order = order.repeat(math.ceil(padded_size / total))[:padded_size]
        return order[self.rank :: self.world_size].to(self.device)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        indices = self.epoch_indices()
        generator = None
        if self.augment:
            generator = seeded_generator(
                derive_seed(self.seed, self.epoch, _AUGMENT_STREAM, self.rank), self.device
            )
        for batch in range(len(self)):
            batch_indices = indices[batch * self.batch_size : (batch + 1) * self.batch_size]
            images = self.images.index_select(0, batch_indices)
            if generator is not None:
                images = self._crop_and_flip(images, generator)
            inputs = self.normalize(images)
            yield inputs, self.labels.index_select(0, batch_indices)

    def _crop_and_flip(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Random-crops (and flips) each image of a batch by one gather on the padded batch."""
        size, _, height, width = images.shape
        pad = self.crop_padding
        padded = F.pad(images, (pad, pad, pad, pad)).permute(0, 2, 3, 1)
        offsets = torch.randint(
            0, 2 * pad + 1, (2, size, 1), generator=generator, device=self.device
        )
        rows = offsets[0] + torch.arange(height, device=self.device)
        columns = torch.arange(width, device=self.device).expand(size, width)
        if self.flip:
            flipped = torch.rand(size, 1, generator=generator, device=self.device) < 0.5
            columns = torch.where(flipped, columns.flip(1), columns)
        columns = columns + offsets[1]
        batch = torch.arange(size, device=self.device).view(size, 1, 1)
        cropped = padded[batch, rows.unsqueeze(2), columns.unsqueeze(1)]
        return cropped.permute(0, 3, 1, 2).contiguous()


def evaluation_loader(
    data: ImageData,
    *,
    mean: Sequence[float],
    std: Sequence[float],
    batch_size: int = EVALUATION_BATCH_SIZE,
    device: str | torch.device = "cpu",
) -> InMemoryLoader:
    """The examples in their order, normalised and unaugmented: what every evaluation,
    uncertainty report, shift benchmark and prediction reads.

    Args:
        data: The examples.
        mean: Per-channel mean of pixels scaled to [0, 1].
        std: Per-channel standard deviation of pixels scaled to [0, 1].
        batch_size: Examples per batch.
        device: Where the images are stored and batches are produced.
    """
    return InMemoryLoader(data, batch_size, shuffle=False, mean=mean, std=std, device=device)

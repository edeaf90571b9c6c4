"""Seeded randomness that leaves the caller's random state as it was.

Weight noise, dropout and a ``DataLoader``'s shuffling draw from PyTorch's global
generators. :func:`seeded` runs a block on generators seeded from ``(seed, epoch,
stream, rank)`` inside :func:`torch.random.fork_rng`, which restores the caller's
states afterwards: training is reproducible, a resumed run draws exactly the noise of
an uninterrupted one (each epoch has its own seed, so no generator state is saved),
ranks draw different noise, and a notebook's own random state is untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from enum import IntEnum

import numpy as np
import torch

__all__ = ["Stream", "derive_seed", "forked_rng", "seeded", "seeded_generator"]


class Stream(IntEnum):
    """Independent random streams of one run."""

    SHUFFLE = 0
    AUGMENT = 1
    NOISE = 11
    TEST = 12
    INIT = 13
    VALID = 14


def derive_seed(seed: int, epoch: int, stream: int, rank: int = 0) -> int:
    """Mixes the given non-negative integers into one 63-bit seed (numpy SeedSequence)."""
    state = np.random.SeedSequence((seed, epoch, int(stream), rank)).generate_state(1, np.uint64)
    return int(state[0]) >> 1


def seeded_generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A new generator on ``device`` seeded with ``seed`` (the global ones are untouched)."""
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return generator


@contextmanager
def forked_rng(device: str | torch.device) -> Iterator[None]:
    """A block whose draws leave no trace: the CPU generator's and ``device``'s states
    are restored on exit (:func:`torch.random.fork_rng` for that device only)."""
    device = torch.device(device)
    on_accelerator = device.type not in ("cpu", "meta")
    accelerator_devices = [device.index or 0] if on_accelerator else []
    with torch.random.fork_rng(
        devices=accelerator_devices, device_type=device.type if on_accelerator else "cuda"
    ):
        yield


@contextmanager
def _forked(seed: int, device: torch.device) -> Iterator[None]:
    on_accelerator = device.type not in ("cpu", "meta")
    with forked_rng(device):
        torch.set_rng_state(seeded_generator(seed).get_state())
        if on_accelerator:  # this device only
            module = torch.get_device_module(device.type)
            module.set_rng_state(seeded_generator(seed, device).get_state(), device)
        yield


def seeded(
    seed: int | None, device: str | torch.device, *, epoch: int = 0, stream: int = 0, rank: int = 0
) -> AbstractContextManager[None]:
    """A context running on global generators seeded from ``(seed, epoch, stream, rank)``.

    The CPU generator and ``device``'s are forked: the caller's states come back on
    exit. With ``seed=None`` it does nothing: the block draws from the caller's state.
    """
    if seed is None:
        return nullcontext()
    return _forked(derive_seed(seed, epoch, stream, rank), torch.device(device))

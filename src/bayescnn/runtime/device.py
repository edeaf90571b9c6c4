"""Which device a process computes on: the one resolver the command line, the runs and the
benchmarks share."""

from __future__ import annotations

import torch

from bayescnn.errors import InvalidArgumentError

__all__ = ["resolve_device"]


def resolve_device(name: str | torch.device) -> torch.device:
    """'auto' is CUDA when available, else the CPU; asking for CUDA without it is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InvalidArgumentError(
            f"device {str(name)!r} asked for, but CUDA is not available; use --device cpu"
        )
    return device

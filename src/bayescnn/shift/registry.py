"""The corruption registry: the names, the severities, and :func:`register_corruption`.

The built-in corruptions (:mod:`bayescnn.shift.noise`, :mod:`bayescnn.shift.photometric`,
:mod:`bayescnn.shift.geometric`) register themselves here; :mod:`bayescnn.shift.corruptions`
imports them all and applies one by name (:func:`bayescnn.shift.corrupt`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from bayescnn.errors import InvalidArgumentError
from bayescnn.registry import Registry

__all__ = [
    "CORRUPTIONS",
    "SEVERITIES",
    "Corruption",
    "check_severity",
    "list_corruptions",
    "register_corruption",
]

Corruption = Callable[[Tensor, int, torch.Generator], Tensor]
"""``(images uint8 (N, C, H, W), severity 1-5, generator) -> images uint8, same shape``."""

CORRUPTIONS: Registry[Corruption] = Registry("corruption")
"""The corruptions by name; extend it with :func:`register_corruption`."""

SEVERITIES = (1, 2, 3, 4, 5)
"""The severities every corruption accepts."""


def register_corruption(name: str, *, replace: bool = False) -> Callable[[Corruption], Corruption]:
    """Decorator registering ``(images, severity, generator) -> images`` under ``name``."""
    return CORRUPTIONS.register(name, replace=replace)


def list_corruptions() -> list[str]:
    """The registered corruption names, built-ins first."""
    return CORRUPTIONS.names()


def check_severity(severity: int) -> int:
    """``severity`` if it is an integer in 1-5, else :class:`InvalidArgumentError`."""
    if isinstance(severity, bool) or not isinstance(severity, int) or severity not in SEVERITIES:
        raise InvalidArgumentError(f"severity must be an integer from 1 to 5, got {severity!r}")
    return severity

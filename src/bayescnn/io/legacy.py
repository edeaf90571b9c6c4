"""Read ``.pt``/``.pth`` state dicts saved by the original research code.

Those files are pickles written by ``torch.save(model.state_dict())``. They
are read with ``torch.load(..., weights_only=True)`` only, whose restricted
unpickler accepts tensors and plain containers and refuses everything that
could run code. Nothing else in this module unpickles anything.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping
from pathlib import Path

import torch

from bayescnn.errors import MissingFileError
from bayescnn.io.errors import CheckpointError

__all__ = ["load_legacy_state_dict"]

_ZIP_MAGIC = b"PK\x03\x04"
_PROTOCOLS = (b"\x02", b"\x03", b"\x04", b"\x05")


def _reason(exc: BaseException) -> str:
    """First line of the restricted unpickler's own explanation, if any."""
    inner = exc.__cause__ or exc.__context__ or exc
    text = str(inner).strip().splitlines()
    first = text[0] if text else type(inner).__name__
    return first.split(". ")[0][:160]


def load_legacy_state_dict(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """Load a plain legacy state dict onto the CPU without running code.

    Args:
        path: A ``torch.save(model.state_dict())`` file.

    Returns:
        The state dict as a plain ``dict`` of tensors.

    Raises:
        CheckpointError: If the file holds objects that are not plain tensors
            (refused for safety), is not a PyTorch file, or is damaged.
        MissingFileError: If ``path`` does not exist (a FileNotFoundError).
    """
    src = Path(path)
    try:
        with open(src, "rb") as fh:  # a PermissionError propagates as itself
            magic = fh.read(4)
    except FileNotFoundError:
        raise MissingFileError(f"state dict file '{src}' not found; check the path") from None
    if not (magic.startswith(_ZIP_MAGIC) or (magic[:1] == b"\x80" and magic[1:2] in _PROTOCOLS)):
        raise CheckpointError(
            f"'{src}' is not a PyTorch .pt/.pth file (neither zip nor pickle); "
            "for a bayescnn .safetensors checkpoint use load_checkpoint"
        )
    try:
        loaded = torch.load(src, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"'{src}' contains objects that are not plain tensors and was refused for safety "
            f"({_reason(exc)}); only if you fully trust its source, load it with "
            "torch.load(weights_only=False) yourself and re-save it with save_checkpoint"
        ) from exc
    except torch.OutOfMemoryError:
        raise  # running out of memory is not a damaged file
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"'{src}' is not a readable PyTorch state dict (damaged or truncated: "
            f"{_reason(exc)}); restore it from a backup"
        ) from exc
    if not isinstance(loaded, Mapping) or not all(
        isinstance(key, str) and isinstance(value, torch.Tensor) for key, value in loaded.items()
    ):
        raise CheckpointError(
            f"'{src}' holds a {type(loaded).__qualname__}, not a plain state dict of tensors; "
            "extract the model's state dict from it first"
        )
    return dict(loaded)

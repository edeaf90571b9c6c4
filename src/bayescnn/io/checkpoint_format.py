"""The checkpoint file format: its header, and why a file is not a valid checkpoint.

A checkpoint is a safetensors file: an 8-byte little-endian header length ``n``, ``n``
bytes of JSON header (tensor names, dtypes, shapes and ``data_offsets``, plus a
``"__metadata__"`` map of strings), then the raw tensor bytes. Our own JSON sits in that
metadata under :data:`METADATA_KEY`::

    {"format": "bayescnn.checkpoint", "format_version": 1,
     "metadata": {...}, "model_keys": [...], "extra": <skeleton>,
     "versions": {"bayescnn": ..., "torch": ..., "safetensors": ..., "python": ...}}

This module builds that header, opens a file through ``safetensors.safe_open`` (which
reads the header only), and turns every refusal into a :class:`CheckpointError` that says
what the file really is, from its first bytes: a pickle or ``torch.save`` zip (never
unpickled), an empty or truncated file, random bytes, another safetensors file, or a
checkpoint of a newer format version.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import safetensors
import torch

from bayescnn.errors import MissingFileError
from bayescnn.io.errors import CheckpointError

__all__ = [
    "EXTRA_PREFIX",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "METADATA_KEY",
    "MODEL_PREFIX",
    "checkpoint_header",
    "inconsistent_metadata_error",
    "open_checkpoint",
    "parse_checkpoint_header",
]

METADATA_KEY = "bayescnn"
"""Key of the safetensors header metadata entry holding our JSON."""
FORMAT_NAME = "bayescnn.checkpoint"
"""Value of the ``"format"`` field that marks a safetensors file as ours."""
FORMAT_VERSION = 1
"""Format version written; files of a higher version are refused."""
MODEL_PREFIX = "model/"
"""Prefix of the tensor names that hold the model's ``state_dict``."""
EXTRA_PREFIX = "extra"
"""Prefix of the tensor names that hold the flattened extra training state."""

_MAX_HEADER_BYTES = 100 * 1024**2
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTOCOLS = (b"\x02", b"\x03", b"\x04", b"\x05")


def _bayescnn_version() -> str:
    """Installed bayescnn version (read lazily, avoiding a circular package import)."""
    try:
        return importlib.metadata.version("bayescnn")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _library_versions() -> dict[str, str]:
    return {
        "bayescnn": _bayescnn_version(),
        "torch": torch.__version__,
        "safetensors": safetensors.__version__,
        "python": platform.python_version(),
    }


def checkpoint_header(
    metadata: dict[str, Any], model_keys: list[str], extra_skeleton: Any
) -> dict[str, str]:
    """The safetensors header metadata of a checkpoint: our JSON under :data:`METADATA_KEY`.

    Args:
        metadata: JSON-ready user metadata.
        model_keys: The model's ``state_dict`` keys, in order.
        extra_skeleton: The skeleton of the flattened extra state.
    """
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "metadata": metadata,
        "model_keys": model_keys,
        "extra": extra_skeleton,
        "versions": _library_versions(),
    }
    return {METADATA_KEY: json.dumps(header)}


def _not_checkpoint(path: Path, data: bytes) -> CheckpointError:
    """Describe a file whose bytes are not a safetensors file at all."""
    if data.startswith(_ZIP_MAGIC) or (data[:1] == b"\x80" and data[1:2] in _PICKLE_PROTOCOLS):
        return CheckpointError(
            f"'{path}' is a pickle/torch.save file, not a bayescnn safetensors checkpoint, and "
            "was not unpickled; for a plain legacy state dict use "
            "bayescnn.io.load_legacy_state_dict, otherwise re-save it with save_checkpoint"
        )
    if not data:
        what = "is empty"
    elif len(data) < 8:
        what = f"is only {len(data)} bytes long (truncated?)"
    else:
        what = "is not in the safetensors format"
    return CheckpointError(
        f"'{path}' {what}, so it is not a bayescnn checkpoint; "
        "check the path or restore the file from a backup"
    )


def _truncated(path: Path) -> CheckpointError:
    return CheckpointError(
        f"'{path}' is a truncated safetensors checkpoint (the file ends early); "
        "restore it from a backup or use an earlier checkpoint"
    )


def _read_head(path: Path) -> tuple[bytes, int]:
    """The first bytes of ``path``, through its safetensors header if it has one, and its size."""
    with open(path, "rb") as fh:
        head = fh.read(8)
        size = int.from_bytes(head, "little")
        if len(head) == 8 and size <= _MAX_HEADER_BYTES:
            head += fh.read(size)
        return head, os.fstat(fh.fileno()).st_size


def _check_head(path: Path, head: bytes, file_size: int) -> None:
    """Raise the CheckpointError that explains what is wrong with the file's first bytes.

    ``head`` holds the file's first bytes through its safetensors header (or the whole
    file if shorter); nothing is raised if they describe an intact safetensors file.
    """
    if file_size < 8:
        raise _not_checkpoint(path, head)
    size = int.from_bytes(head[:8], "little")
    if size < 2 or size > _MAX_HEADER_BYTES or head[8:9] != b"{":
        raise _not_checkpoint(path, head)
    if 8 + size > file_size:
        raise _truncated(path)
    try:
        header = json.loads(head[8 : 8 + size])
    except (UnicodeDecodeError, ValueError):
        raise _not_checkpoint(path, head) from None
    if not isinstance(header, dict):
        raise _not_checkpoint(path, head)
    end = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            end = max(end, int(info["data_offsets"][1]))
        except (KeyError, IndexError, TypeError, ValueError):
            raise _not_checkpoint(path, head) from None
    if 8 + size + end > file_size:
        raise _truncated(path)


def _refusal(path: Path, error: safetensors.SafetensorError) -> CheckpointError:
    """Explain, from the file's own first bytes, why safetensors refused to open it."""
    head, file_size = _read_head(path)
    try:
        _check_head(path, head, file_size)
    except CheckpointError as explained:
        return explained
    return CheckpointError(
        f"'{path}' is a damaged safetensors file ({error}); restore it from a backup"
    )


def open_checkpoint(path: Path) -> Any:
    """``safetensors.safe_open`` (reads the header only), its refusals made CheckpointErrors.

    Raises:
        CheckpointError: If the file is not an intact safetensors file, or is a folder.
        MissingFileError: If ``path`` does not exist (a FileNotFoundError).
    """
    try:
        return safetensors.safe_open(path, framework="pt")
    except FileNotFoundError:
        raise MissingFileError(f"checkpoint '{path}' not found; check the path") from None
    except safetensors.SafetensorError as exc:
        raise _refusal(path, exc) from None
    except OSError:
        if path.is_dir():
            raise CheckpointError(
                f"'{path}' is a folder, not a checkpoint; name a .safetensors file in it"
            ) from None
        raise


def inconsistent_metadata_error(path: Path, reason: object) -> CheckpointError:
    """The error for a checkpoint whose bayescnn JSON does not match its tensors."""
    return CheckpointError(
        f"'{path}' has inconsistent bayescnn metadata ({reason}); restore it from a backup"
    )


def parse_checkpoint_header(
    path: Path, header_metadata: Mapping[str, str] | None
) -> dict[str, Any]:
    """Extract and validate the bayescnn JSON stored in the safetensors header metadata.

    Args:
        path: The file, for error messages.
        header_metadata: The safetensors ``__metadata__`` map (``None`` if it has none).

    Returns:
        Our JSON header, with ``format_version <= FORMAT_VERSION`` and a ``metadata`` dict.

    Raises:
        CheckpointError: If the metadata is missing, damaged, or of a newer format.
    """
    raw = (header_metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise CheckpointError(
            f"'{path}' is a safetensors file but not a bayescnn checkpoint (no "
            f"'{METADATA_KEY}' metadata); read its tensors with safetensors.torch.load_file"
        )
    try:
        ours = json.loads(raw)
    except ValueError:
        ours = None
    if not isinstance(ours, dict) or ours.get("format") != FORMAT_NAME:
        raise CheckpointError(f"'{path}' has damaged bayescnn metadata; restore it from a backup")
    version = ours.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(
            f"'{path}' uses checkpoint format version {version!r}, newer than this bayescnn "
            f"({_bayescnn_version()}, format {FORMAT_VERSION}); upgrade bayescnn to read it"
        )
    if not isinstance(ours.get("metadata"), dict):
        raise inconsistent_metadata_error(path, "no 'metadata' object")
    return ours

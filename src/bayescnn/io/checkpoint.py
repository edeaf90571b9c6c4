"""Single-file, code-free checkpoints in the safetensors format.

A checkpoint is one ``.safetensors`` file. Model tensors are stored under
``model/<state_dict key>``, nested training state (optimizer, scheduler, RNG)
is flattened by :mod:`bayescnn.io.state` under ``extra/...``, and everything
that is not a tensor goes into the header as one JSON string, described in
:mod:`bayescnn.io.checkpoint_format`.

Loading parses only JSON and raw tensor bytes (through ``safetensors.safe_open``),
so a checkpoint can never run code; pickle files are recognised and refused without
being unpickled. :func:`read_checkpoint_metadata` reads the header alone.
Files are written with :func:`bayescnn.io.atomic.atomic_path`, so a crash
while saving leaves any previous checkpoint at the same path intact.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import safetensors
import safetensors.torch
import torch

from bayescnn.errors import InvalidTypeError
from bayescnn.io.atomic import atomic_path
from bayescnn.io.checkpoint_format import (
    EXTRA_PREFIX,
    FORMAT_NAME,
    FORMAT_VERSION,
    METADATA_KEY,
    MODEL_PREFIX,
    checkpoint_header,
    inconsistent_metadata_error,
    open_checkpoint,
    parse_checkpoint_header,
)
from bayescnn.io.errors import CheckpointError
from bayescnn.io.state import flatten_state, unflatten_state

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "METADATA_KEY",
    "Checkpoint",
    "load_checkpoint",
    "read_checkpoint_metadata",
    "save_checkpoint",
]


@dataclass(frozen=True)
class Checkpoint:
    """Contents of a checkpoint file.

    Attributes:
        model_state: Model ``state_dict`` tensors, in the order they were saved.
        metadata: The JSON metadata given to :func:`save_checkpoint`.
        extra: Nested training state given as ``extra`` (``None`` if none).
        versions: Library versions that wrote the file.
        format_version: Checkpoint format version of the file.
    """

    model_state: dict[str, torch.Tensor]
    metadata: dict[str, Any]
    extra: Any = None
    versions: dict[str, str] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION


def _prepare_tensors(tensors: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """Detach, move to CPU, and make every tensor contiguous with its own storage."""
    out: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    for key, value in tensors.items():
        if not isinstance(value, torch.Tensor):
            raise InvalidTypeError(f"'{key}' is a {type(value).__qualname__}, expected a tensor")
        if value.layout != torch.strided:
            raise InvalidTypeError(
                f"'{key}' is a {value.layout} tensor; only dense tensors are stored"
            )
        tensor = value.detach()
        if tensor.device.type != "cpu":
            tensor = tensor.cpu()
        storage = tensor.untyped_storage()
        if (
            not tensor.is_contiguous()
            or tensor.is_conj()
            or tensor.is_neg()
            or storage.nbytes() != tensor.nbytes
            or (storage.data_ptr() != 0 and storage.data_ptr() in seen)
        ):
            tensor = (
                tensor.resolve_conj().resolve_neg().clone(memory_format=torch.contiguous_format)
            )
        seen.add(tensor.untyped_storage().data_ptr())
        out[key] = tensor
    return out


def save_checkpoint(
    path: str | os.PathLike[str],
    *,
    model_state: Mapping[str, torch.Tensor],
    metadata: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write a checkpoint atomically to ``path`` (its folder must exist).

    Args:
        path: Destination ``.safetensors`` file; an existing file is replaced
            completely, or left intact if saving fails.
        model_state: A model's ``state_dict()``.
        metadata: JSON-serialisable information (config, epoch, architecture).
            It round-trips through JSON: tuples come back as lists and dict
            keys as strings.
        extra: Nested training state (optimizer, scheduler, RNG states), see
            :func:`bayescnn.io.state.flatten_state` for what it may contain.

    Returns:
        The path written.

    Raises:
        TypeError: If ``metadata`` is not JSON-serialisable or ``model_state``
            / ``extra`` hold unsupported objects.
    """
    try:
        metadata_json = json.loads(json.dumps(dict(metadata)))
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(
            f"checkpoint metadata is not JSON-serialisable ({exc}); "
            "put tensors and nested training state into `extra`"
        ) from exc
    extra_tensors, extra_skeleton = flatten_state(extra, prefix=EXTRA_PREFIX)
    model_keys = list(model_state)
    tensors = _prepare_tensors(
        {**{MODEL_PREFIX + key: model_state[key] for key in model_keys}, **extra_tensors}
    )
    header = checkpoint_header(metadata_json, model_keys, extra_skeleton)
    dest = Path(path)
    with atomic_path(dest) as tmp:
        safetensors.torch.save_file(tensors, tmp, metadata=header)
    return dest


def read_checkpoint_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``metadata`` a checkpoint was saved with, read from its header alone.

    No tensor is read, so this is cheap however large the checkpoint is.

    Args:
        path: A checkpoint written by :func:`save_checkpoint`.

    Returns:
        The metadata given to :func:`save_checkpoint` (after its JSON round trip).

    Raises:
        CheckpointError: If the file is not an intact bayescnn checkpoint, as for
            :func:`load_checkpoint` (the header is checked against the file's size).
        MissingFileError: If ``path`` does not exist (a FileNotFoundError).
    """
    src = Path(path)
    with open_checkpoint(src) as handle:
        metadata: dict[str, Any] = parse_checkpoint_header(src, handle.metadata())["metadata"]
    return metadata


def load_checkpoint(
    path: str | os.PathLike[str], map_location: str | torch.device = "cpu"
) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`; never runs code.

    Args:
        path: The ``.safetensors`` checkpoint.
        map_location: Device every tensor is moved to.

    Returns:
        The checkpoint's model state, metadata and extra training state.

    Raises:
        CheckpointError: If the file is not an intact bayescnn checkpoint
            (pickle files, truncated files, random bytes, other safetensors).
        MissingFileError: If ``path`` does not exist (a FileNotFoundError).
    """
    src = Path(path)
    device = torch.device(map_location)
    with open_checkpoint(src) as handle:
        ours = parse_checkpoint_header(src, handle.metadata())
        names = handle.keys()  # a safe_open handle is not iterable
        try:
            # Copied, so that no tensor keeps the file mapped once this returns.
            tensors = {key: handle.get_tensor(key).to(device, copy=True) for key in names}
        except safetensors.SafetensorError as exc:
            raise CheckpointError(
                f"'{src}' has damaged tensor data ({exc}); restore it from a backup"
            ) from exc
    try:
        model_state = {key: tensors[MODEL_PREFIX + key] for key in ours["model_keys"]}
        extra = unflatten_state(tensors, ours["extra"])
    except (KeyError, TypeError, ValueError) as exc:
        raise inconsistent_metadata_error(src, exc) from exc
    return Checkpoint(
        model_state=model_state,
        metadata=ours["metadata"],
        extra=extra,
        versions=dict(ours.get("versions") or {}),
        format_version=ours["format_version"],
    )

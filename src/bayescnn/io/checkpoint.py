"""Single-file, code-free checkpoints in the safetensors format.

A checkpoint is one ``.safetensors`` file. Model tensors are stored under
``model/<state_dict key>``, nested training state (optimizer, scheduler, RNG)
is flattened by :mod:`bayescnn.io.state` under ``extra/...``, and everything
that is not a tensor goes into the safetensors header metadata as one JSON
string under the key ``"bayescnn"``::

    {"format": "bayescnn.checkpoint", "format_version": 1,
     "metadata": {...}, "model_keys": [...], "extra": <skeleton>,
     "versions": {"bayescnn": ..., "torch": ..., "safetensors": ..., "python": ...}}

Loading parses only JSON and raw tensor bytes (through ``safetensors.safe_open``),
so a checkpoint can never run code; pickle files are recognised and refused without
being unpickled. :func:`read_checkpoint_metadata` reads the header alone.
Files are written with :func:`bayescnn.io.atomic.atomic_path`, so a crash
while saving leaves any previous checkpoint at the same path intact.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import safetensors
import safetensors.torch
import torch

from bayescnn.errors import InvalidTypeError, MissingFileError
from bayescnn.io.atomic import atomic_path
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

METADATA_KEY = "bayescnn"
"""Key of the safetensors header metadata entry holding our JSON."""
FORMAT_NAME = "bayescnn.checkpoint"
FORMAT_VERSION = 1

_MODEL_PREFIX = "model/"
_EXTRA_PREFIX = "extra"
_MAX_HEADER_BYTES = 100 * 1024**2
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTOCOLS = (b"\x02", b"\x03", b"\x04", b"\x05")


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


def _bayescnn_version() -> str:
    """Installed bayescnn version (read lazily, avoiding a circular package import)."""
    try:
        return importlib.metadata.version("bayescnn")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _versions() -> dict[str, str]:
    return {
        "bayescnn": _bayescnn_version(),
        "torch": torch.__version__,
        "safetensors": safetensors.__version__,
        "python": platform.python_version(),
    }


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
    extra_tensors, extra_skeleton = flatten_state(extra, prefix=_EXTRA_PREFIX)
    model_keys = list(model_state)
    tensors = _prepare_tensors(
        {**{_MODEL_PREFIX + key: model_state[key] for key in model_keys}, **extra_tensors}
    )
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "metadata": metadata_json,
        "model_keys": model_keys,
        "extra": extra_skeleton,
        "versions": _versions(),
    }
    dest = Path(path)
    with atomic_path(dest) as tmp:
        safetensors.torch.save_file(tensors, tmp, metadata={METADATA_KEY: json.dumps(header)})
    return dest


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


def _safe_open(path: Path) -> Any:
    """``safetensors.safe_open`` (reads the header only), its refusals made CheckpointErrors."""
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


def _inconsistent(path: Path, reason: object) -> CheckpointError:
    return CheckpointError(
        f"'{path}' has inconsistent bayescnn metadata ({reason}); restore it from a backup"
    )


def _parse_ours(path: Path, header_metadata: Mapping[str, str] | None) -> dict[str, Any]:
    """Extract and validate the bayescnn JSON stored in the safetensors header metadata."""
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
        raise _inconsistent(path, "no 'metadata' object")
    return ours


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
    with _safe_open(src) as handle:
        return _parse_ours(src, handle.metadata())["metadata"]


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
    with _safe_open(src) as handle:
        ours = _parse_ours(src, handle.metadata())
        names = handle.keys()  # a safe_open handle is not iterable
        try:
            # Copied, so that no tensor keeps the file mapped once this returns.
            tensors = {key: handle.get_tensor(key).to(device, copy=True) for key in names}
        except safetensors.SafetensorError as exc:
            raise CheckpointError(
                f"'{src}' has damaged tensor data ({exc}); restore it from a backup"
            ) from exc
    try:
        model_state = {key: tensors[_MODEL_PREFIX + key] for key in ours["model_keys"]}
        extra = unflatten_state(tensors, ours["extra"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _inconsistent(src, exc) from exc
    return Checkpoint(
        model_state=model_state,
        metadata=ours["metadata"],
        extra=extra,
        versions=dict(ours.get("versions") or {}),
        format_version=ours["format_version"],
    )

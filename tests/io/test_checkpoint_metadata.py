"""Tests for reading a checkpoint's metadata from its header alone."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import safetensors
import safetensors.torch
import torch

from bayescnn.io import load_checkpoint, read_checkpoint_metadata, save_checkpoint

METADATA = {"epoch": 7, "config": {"lr": 0.001, "layers": [6, 16]}, "arch": "LeNet"}


def _save(path: Path) -> Path:
    return save_checkpoint(
        path,
        model_state={"w": torch.ones(10)},
        metadata=METADATA,
        extra={"optimizer": {"step": torch.tensor(3.0)}},
    )


def _with_data_region(path: Path, nbytes: int) -> None:
    """Make the one tensor of the checkpoint at ``path`` span ``nbytes`` (a hole in the file)."""
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    header["model/w"] = {"dtype": "U8", "shape": [nbytes], "data_offsets": [0, nbytes]}
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as fh:
        fh.write(len(encoded).to_bytes(8, "little") + encoded)
        fh.truncate(8 + len(encoded) + nbytes)


def test_returns_the_metadata_the_checkpoint_was_saved_with(tmp_path: Path) -> None:
    path = _save(tmp_path / "c.safetensors")
    assert read_checkpoint_metadata(path) == METADATA
    assert read_checkpoint_metadata(str(path)) == load_checkpoint(path).metadata


def test_reads_no_tensor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _save(tmp_path / "c.safetensors")
    opened = []
    real_safe_open = safetensors.safe_open

    class HeaderOnly:
        """A safe_open handle that fails the test if a tensor is read."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._handle = real_safe_open(*args, **kwargs)
            opened.append(self)

        def __enter__(self) -> HeaderOnly:
            return self

        def __exit__(self, *exc: object) -> None:
            self._handle.__exit__(*exc)

        def metadata(self) -> dict[str, str]:
            return self._handle.metadata()

        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"read_checkpoint_metadata called safe_open(...).{name}")

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("read_checkpoint_metadata loaded the tensors")

    monkeypatch.setattr(safetensors, "safe_open", HeaderOnly)
    monkeypatch.setattr(safetensors.torch, "load", forbidden)
    monkeypatch.setattr(safetensors.torch, "load_file", forbidden)
    assert read_checkpoint_metadata(path) == METADATA
    assert len(opened) == 1


def test_a_large_tensor_data_region_is_not_read(tmp_path: Path) -> None:
    path = save_checkpoint(
        tmp_path / "c.safetensors", model_state={"w": torch.ones(1)}, metadata=METADATA
    )
    _with_data_region(path, 256 * 1024**2)
    with safetensors.safe_open(path, framework="pt") as handle:  # a valid file
        assert handle.get_slice("model/w").get_shape() == [256 * 1024**2]
    tracemalloc.start()
    try:
        metadata = read_checkpoint_metadata(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert metadata == METADATA
    assert peak < 16 * 1024**2

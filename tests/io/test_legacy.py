"""Tests for reading legacy torch.save state dicts."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from bayescnn.io import CheckpointError, load_legacy_state_dict


@pytest.mark.parametrize("zipfile", [True, False], ids=["zip-format", "old-pickle-format"])
def test_plain_state_dict_loads(tmp_path: Path, lenet: type[nn.Module], zipfile: bool) -> None:
    state = lenet().state_dict()
    path = tmp_path / "model.pth"
    torch.save(state, path, _use_new_zipfile_serialization=zipfile)
    loaded = load_legacy_state_dict(path)
    assert type(loaded) is dict
    assert list(loaded) == list(state)
    assert all(torch.equal(loaded[key], state[key]) for key in state)


def test_non_pytorch_file_raises_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "model.pth"
    path.write_bytes(b"\x00" * 64)
    with pytest.raises(CheckpointError, match=r"not a PyTorch \.pt/\.pth file"):
        load_legacy_state_dict(path)


def test_truncated_file_raises_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "model.pth"
    torch.save({"w": torch.ones(100)}, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="damaged or truncated"):
        load_legacy_state_dict(path)


def test_file_without_a_state_dict_raises_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "model.pth"
    torch.save([torch.ones(1)], path)
    with pytest.raises(CheckpointError, match="not a plain state dict"):
        load_legacy_state_dict(path)


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_legacy_state_dict(tmp_path / "absent.pth")

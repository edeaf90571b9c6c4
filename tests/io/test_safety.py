"""Tests that crafted pickle payloads are refused without running their code."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from bayescnn.io import (
    CheckpointError,
    load_checkpoint,
    load_legacy_state_dict,
    read_checkpoint_metadata,
)

Payloads = tuple[Path, dict[str, Path]]
KINDS = ["raw_pickle", "torch_save"]
READERS = pytest.mark.parametrize(
    "read", [load_checkpoint, read_checkpoint_metadata], ids=["load", "read_metadata"]
)


def test_payload_is_armed_when_unpickled_unsafely(malicious_files: Payloads) -> None:
    marker, files = malicious_files
    with open(files["raw_pickle"], "rb") as fh:
        pickle.load(fh)  # control: proves the refusal tests below are meaningful
    assert marker.exists()


@READERS
@pytest.mark.parametrize("kind", KINDS)
def test_load_checkpoint_refuses_pickle_payload(
    malicious_files: Payloads, kind: str, read: Callable[[Path], Any]
) -> None:
    marker, files = malicious_files
    with pytest.raises(CheckpointError, match=r"pickle/torch\.save file.*was not unpickled"):
        read(files[kind])
    assert not marker.exists()


@READERS
@pytest.mark.parametrize("kind", KINDS)
def test_load_checkpoint_never_calls_an_unpickler(
    malicious_files: Payloads,
    kind: str,
    read: Callable[[Path], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("load_checkpoint tried to unpickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    with pytest.raises(CheckpointError):
        read(malicious_files[1][kind])


@pytest.mark.parametrize("kind", KINDS)
def test_load_legacy_state_dict_refuses_pickle_payload(
    malicious_files: Payloads, kind: str
) -> None:
    marker, files = malicious_files
    with pytest.raises(CheckpointError, match="not plain tensors and was refused for safety"):
        load_legacy_state_dict(files[kind])
    assert not marker.exists()

"""Shared fixtures for the bayescnn.io tests."""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn


class LeNet(nn.Module):
    """Small LeNet-style CNN for 1x28x28 inputs with configurable widths."""

    def __init__(self, conv1: int = 6, conv2: int = 16, fc1: int = 120, fc2: int = 84) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, conv1, 5)
        self.conv2 = nn.Conv2d(conv1, conv2, 5)
        self.fc1 = nn.Linear(conv2 * 4 * 4, fc1)
        self.fc2 = nn.Linear(fc1, fc2)
        self.fc3 = nn.Linear(fc2, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc3(torch.relu(self.fc2(x)))


class _WritesMarker:
    """Pickles to a call of ``open(marker, "w")``: unpickling creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


@pytest.fixture
def lenet() -> type[LeNet]:
    """The LeNet-style model class."""
    return LeNet


@pytest.fixture
def malicious_files(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """A marker path and files whose unpickling would create it.

    Returns ``(marker, {"raw_pickle": ..., "torch_save": ...})``.
    """
    marker = tmp_path / "PWNED"
    raw = tmp_path / "raw_pickle.pt"
    raw.write_bytes(pickle.dumps({"weight": _WritesMarker(marker)}, protocol=2))
    zipped = tmp_path / "torch_save.pt"
    torch.save({"weight": _WritesMarker(marker)}, zipped)
    return marker, {"raw_pickle": raw, "torch_save": zipped}


def _assert_same(a: Any, b: Any, path: str = "<root>") -> None:
    assert type(a) is type(b), f"{path}: {type(a)} != {type(b)}"
    if isinstance(a, torch.Tensor):
        torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True, msg=path)
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{path}: keys {list(a)} != {list(b)}"
        for key in a:
            _assert_same(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{path}/{i}")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), path
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.fixture
def assert_same() -> Callable[[Any, Any], None]:
    """Deep equality that also requires identical types (tuple vs list, int vs float)."""
    return _assert_same

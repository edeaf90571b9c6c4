"""Tests for saving and loading safetensors checkpoints."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.torch
import torch
from torch import nn

from bayescnn.io import (
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    read_checkpoint_metadata,
    save_checkpoint,
)

AssertSame = Callable[[Any, Any], None]

READERS = pytest.mark.parametrize(
    "read", [load_checkpoint, read_checkpoint_metadata], ids=["load", "read_metadata"]
)


def _train_steps(model: nn.Module, optimizer: torch.optim.Optimizer, steps: int) -> None:
    gen = torch.Generator().manual_seed(0)
    for _ in range(steps):
        x = torch.randn(4, 1, 28, 28, generator=gen)
        y = torch.randint(0, 10, (4,), generator=gen)
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()


def _numpy_rng_state() -> dict[str, Any]:
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "legacy": (name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached),
        "generator": np.random.default_rng(123).bit_generator.state,
    }


def _save_small(path: Path, value: float = 1.0, **metadata: Any) -> None:
    save_checkpoint(path, model_state={"w": torch.full((3,), value)}, metadata=metadata)


def test_full_training_state_round_trips_and_resumes_identically(
    tmp_path: Path, lenet: type[nn.Module], assert_same: AssertSame
) -> None:
    torch.manual_seed(0)
    model = lenet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
    _train_steps(model, optimizer, 3)
    scheduler.step(1.0)
    scheduler.step(2.0)  # no improvement: lr reduced, best stays 1.0
    assert optimizer.param_groups[0]["lr"] < 1e-3
    unstepped = torch.optim.lr_scheduler.ReduceLROnPlateau(
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    )
    random.seed(7)
    extra = {
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "unstepped_scheduler": unstepped.state_dict(),  # best == inf
        "rng": {
            "torch": torch.get_rng_state(),
            "numpy": _numpy_rng_state(),
            "python": random.getstate(),
        },
    }
    metadata = {"epoch": 3, "config": {"lr": 1e-3, "layers": [6, 16]}, "arch": "LeNet"}
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, model_state=model.state_dict(), metadata=metadata, extra=extra)

    loaded = load_checkpoint(path)

    assert isinstance(loaded, Checkpoint)
    assert loaded.metadata == metadata
    assert_same(loaded.model_state, dict(model.state_dict()))
    assert_same(loaded.extra, extra)
    assert loaded.extra["unstepped_scheduler"]["best"] == float("inf")
    fresh = lenet()
    fresh.load_state_dict(loaded.model_state)
    fresh_optimizer = torch.optim.Adam(fresh.parameters(), lr=0.5)
    fresh_optimizer.load_state_dict(loaded.extra["optimizer"])
    fresh_scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(fresh_optimizer)
    fresh_scheduler.load_state_dict(loaded.extra["scheduler"])
    _train_steps(model, optimizer, 1)
    _train_steps(fresh, fresh_optimizer, 1)
    assert_same(dict(fresh.state_dict()), dict(model.state_dict()))
    assert fresh_scheduler.state_dict() == scheduler.state_dict()


def test_restored_rng_states_reproduce_the_same_draws(tmp_path: Path) -> None:
    random.seed(1)
    np.random.seed(2)
    extra = {"python": random.getstate(), "torch": torch.get_rng_state()}
    name, keys, pos, has_gauss, cached = np.random.get_state()
    extra["numpy"] = (name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached)
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    path = tmp_path / "rng.safetensors"
    save_checkpoint(path, model_state={}, metadata={}, extra=extra)

    rng = load_checkpoint(path).extra
    random.setstate(rng["python"])
    name, keys, pos, has_gauss, cached = rng["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(rng["torch"])
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


def test_checkpoint_is_one_safetensors_file_with_json_metadata(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(
        path,
        model_state={"w": torch.ones(2)},
        metadata={"epoch": 1},
        extra={"opt": {"m": torch.zeros(2)}},
    )
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]
    with safetensors.safe_open(path, framework="pt") as fh:
        assert set(fh.keys()) == {"model/w", "extra/opt/m"}
        ours = json.loads(fh.metadata()["bayescnn"])
    assert ours["metadata"] == {"epoch": 1}
    assert set(ours["versions"]) == {"bayescnn", "torch", "safetensors", "python"}


def test_model_state_keeps_its_key_order(tmp_path: Path) -> None:
    state = {name: torch.zeros(1) for name in ["z", "a", "m.weight", "b.bias"]}
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model_state=state, metadata={})
    assert list(load_checkpoint(path).model_state) == list(state)


def test_missing_extra_loads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "c.safetensors"
    _save_small(path)
    assert load_checkpoint(path).extra is None


def test_shared_and_non_contiguous_tensors_are_saved(tmp_path: Path) -> None:
    base = torch.arange(12.0).reshape(3, 4)
    state = {"tied_a": base, "tied_b": base, "view": base[1], "transposed": base.t()}
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model_state=state, metadata={})
    loaded = load_checkpoint(path).model_state
    for key, value in state.items():
        assert torch.equal(loaded[key], value)
    assert loaded["tied_a"].data_ptr() != loaded["tied_b"].data_ptr()


def test_map_location_moves_tensors(tmp_path: Path) -> None:
    path = tmp_path / "c.safetensors"
    _save_small(path)
    state = load_checkpoint(path, map_location=torch.device("cpu")).model_state
    assert state["w"].device == torch.device("cpu")


def test_non_json_metadata_raises_type_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        save_checkpoint(tmp_path / "c.safetensors", model_state={}, metadata={"t": torch.ones(1)})
    assert os.listdir(tmp_path) == []


def test_save_over_existing_checkpoint_replaces_it_completely(tmp_path: Path) -> None:
    path = tmp_path / "c.safetensors"
    save_checkpoint(
        path,
        model_state={"big": torch.zeros(1000)},
        metadata={"epoch": 1},
        extra={"opt": torch.ones(5)},
    )
    _save_small(path, 2.0, epoch=2)
    loaded = load_checkpoint(path)
    assert list(loaded.model_state) == ["w"]
    assert torch.equal(loaded.model_state["w"], torch.full((3,), 2.0))
    assert loaded.metadata == {"epoch": 2} and loaded.extra is None
    assert os.listdir(tmp_path) == ["c.safetensors"]


def test_crash_while_serialising_leaves_previous_checkpoint_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.safetensors"
    _save_small(path, 1.0, epoch=1)
    before = path.read_bytes()
    real_save_file = safetensors.torch.save_file

    def crash_half_way(tensors: dict[str, torch.Tensor], filename: Any, metadata: Any) -> None:
        real_save_file(tensors, filename, metadata=metadata)
        data = Path(filename).read_bytes()
        Path(filename).write_bytes(data[: len(data) // 2])
        raise KeyboardInterrupt  # e.g. Ctrl-C in the middle of writing

    monkeypatch.setattr(safetensors.torch, "save_file", crash_half_way)
    with pytest.raises(KeyboardInterrupt):
        _save_small(path, 2.0, epoch=2)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["c.safetensors"]
    assert load_checkpoint(path).metadata == {"epoch": 1}


def test_failed_rename_leaves_previous_checkpoint_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.safetensors"
    _save_small(path, 1.0, epoch=1)
    before = path.read_bytes()

    def failing_replace(src: Any, dst: Any) -> None:
        raise OSError("I/O error")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="I/O error"):
        _save_small(path, 2.0, epoch=2)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["c.safetensors"]


@pytest.mark.parametrize(
    ("keep", "message"),
    [
        (lambda n: 0, "is empty"),
        (lambda n: 5, "only 5 bytes long"),
        (lambda n: 20, "truncated"),
        (lambda n: n // 2, "truncated"),
        (lambda n: n - 1, "truncated"),
    ],
    ids=["empty", "5-bytes", "inside-header", "half", "last-byte-missing"],
)
@READERS
def test_truncated_file_raises_checkpoint_error(
    tmp_path: Path, keep: Callable[[int], int], message: str, read: Callable[[Path], Any]
) -> None:
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model_state={"w": torch.ones(100)}, metadata={"epoch": 1})
    data = path.read_bytes()
    path.write_bytes(data[: keep(len(data))])
    with pytest.raises(CheckpointError, match=message) as info:
        read(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


@READERS
def test_random_bytes_raise_checkpoint_error(tmp_path: Path, read: Callable[[Path], Any]) -> None:
    path = tmp_path / "c.safetensors"
    path.write_bytes(random.Random(0).randbytes(4096))
    with pytest.raises(CheckpointError, match="not in the safetensors format"):
        read(path)


@READERS
def test_trailing_bytes_raise_checkpoint_error(tmp_path: Path, read: Callable[[Path], Any]) -> None:
    path = tmp_path / "c.safetensors"
    _save_small(path)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(CheckpointError, match="damaged safetensors file") as info:
        read(path)
    assert "\n" not in str(info.value)


@READERS
def test_foreign_safetensors_file_raises_checkpoint_error(
    tmp_path: Path, read: Callable[[Path], Any]
) -> None:
    path = tmp_path / "weights.safetensors"
    safetensors.torch.save_file({"w": torch.ones(2)}, path)
    with pytest.raises(CheckpointError, match="not a bayescnn checkpoint"):
        read(path)


@READERS
def test_newer_format_version_raises_checkpoint_error(
    tmp_path: Path, read: Callable[[Path], Any]
) -> None:
    path = tmp_path / "c.safetensors"
    header = {"format": "bayescnn.checkpoint", "format_version": 99, "metadata": {}}
    safetensors.torch.save_file({}, path, metadata={"bayescnn": json.dumps(header)})
    with pytest.raises(CheckpointError, match="upgrade bayescnn"):
        read(path)


@READERS
def test_missing_file_raises_file_not_found(tmp_path: Path, read: Callable[[Path], Any]) -> None:
    path = tmp_path / "nowhere.safetensors"
    with pytest.raises(FileNotFoundError, match=r"nowhere\.safetensors"):
        read(path)


@READERS
def test_folder_raises_checkpoint_error(tmp_path: Path, read: Callable[[Path], Any]) -> None:
    with pytest.raises(CheckpointError, match="is a folder"):
        read(tmp_path)


def test_low_precision_dtypes_round_trip(tmp_path: Path) -> None:
    # safetensors.torch.load(bytes) cannot build these dtypes; safe_open can.
    state = {
        "e8m0": torch.arange(4, dtype=torch.uint8).view(torch.float8_e8m0fnu),
        "fp4": torch.arange(4, dtype=torch.uint8).view(torch.float4_e2m1fn_x2),
    }
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model_state=state, metadata={})
    loaded = load_checkpoint(path).model_state
    for key, value in state.items():
        assert loaded[key].dtype == value.dtype
        assert torch.equal(loaded[key].view(torch.uint8), value.view(torch.uint8))


def test_loaded_tensors_do_not_share_memory_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.safetensors"
    _save_small(path, 1.0)
    state = load_checkpoint(path).model_state
    data = path.read_bytes()
    with open(path, "r+b") as fh:  # overwritten in place, not replaced
        fh.write(data[:-12] + bytes(12))
    assert torch.equal(state["w"], torch.ones(3))


def test_checkpoint_error_is_a_value_error() -> None:
    assert issubclass(CheckpointError, ValueError)

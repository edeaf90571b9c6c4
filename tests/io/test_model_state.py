"""Tests for checked loading of state dicts into models."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from bayescnn.io import CheckpointError, CheckpointMismatchError, load_model_state


def test_matching_state_is_loaded(lenet: type[nn.Module]) -> None:
    source, target = lenet(), lenet()
    load_model_state(target, source.state_dict())
    for key, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[key], value)


def test_other_layer_sizes_list_every_shape_mismatch(lenet: type[nn.Module]) -> None:
    target = lenet(conv1=8, fc1=100)
    before = {key: value.clone() for key, value in target.state_dict().items()}
    with pytest.raises(CheckpointMismatchError, match="different architecture") as info:
        load_model_state(target, lenet().state_dict())
    error = info.value
    assert {key for key, _, _ in error.shape_mismatches} == {
        "conv1.weight",
        "conv1.bias",
        "conv2.weight",
        "fc1.weight",
        "fc1.bias",
        "fc2.weight",
    }
    assert "conv1.weight [6, 1, 5, 5] vs model [8, 1, 5, 5]" in str(error)
    assert error.missing == [] and error.unexpected == []
    assert all(torch.equal(target.state_dict()[k], v) for k, v in before.items())


def test_missing_and_unexpected_keys_are_listed(lenet: type[nn.Module]) -> None:
    state = lenet().state_dict()
    state["extra.weight"] = state.pop("fc3.weight")
    with pytest.raises(CheckpointMismatchError) as info:
        load_model_state(lenet(), state)
    assert info.value.missing == ["fc3.weight"]
    assert info.value.unexpected == ["extra.weight"]
    assert "missing from checkpoint: fc3.weight" in str(info.value)
    assert "unexpected in checkpoint: extra.weight" in str(info.value)


def test_long_key_lists_are_truncated() -> None:
    model = nn.Sequential(*[nn.Linear(2, 2) for _ in range(10)])
    with pytest.raises(CheckpointMismatchError, match=r"\.\.\. and 12 more") as info:
        load_model_state(model, {})
    assert len(info.value.missing) == 20


def test_non_strict_ignores_missing_keys_but_not_shapes(lenet: type[nn.Module]) -> None:
    state = lenet().state_dict()
    del state["fc3.bias"]
    result = load_model_state(lenet(), state, strict=False)
    assert result.missing_keys == ["fc3.bias"]
    with pytest.raises(CheckpointMismatchError, match="shape"):
        load_model_state(lenet(fc2=50), state, strict=False)


def test_mismatch_error_is_a_checkpoint_error() -> None:
    assert issubclass(CheckpointMismatchError, CheckpointError)

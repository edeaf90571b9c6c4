"""Tests for flattening nested training state into tensors and a skeleton."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bayescnn.io import flatten_state, unflatten_state

AssertSame = Callable[[Any, Any], None]


def _json_round_trip(skeleton: Any) -> Any:
    return json.loads(json.dumps(skeleton, allow_nan=False))


def test_optimizer_like_state_round_trips_exactly(assert_same: AssertSame) -> None:
    state = {
        "state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.randn(2, 3)}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0], "foreach": None}],
    }
    tensors, skeleton = flatten_state(state)
    assert_same(unflatten_state(tensors, _json_round_trip(skeleton)), state)


def test_tensor_keys_are_slash_separated_paths() -> None:
    state = {"optimizer": {"state": {0: {"exp_avg": torch.zeros(1)}}}, "rng": [torch.ones(1)]}
    tensors, _ = flatten_state(state)
    assert set(tensors) == {"optimizer/state/0/exp_avg", "rng/0"}


def test_prefix_is_prepended_to_every_key() -> None:
    tensors, _ = flatten_state({"a": torch.zeros(1)}, prefix="extra")
    assert list(tensors) == ["extra/a"]


def test_non_finite_floats_survive_strict_json(assert_same: AssertSame) -> None:
    state = {"best": math.inf, "worst": -math.inf, "unknown": math.nan, "x": 1.0, "n": 1}
    tensors, skeleton = flatten_state(state)
    assert_same(unflatten_state(tensors, _json_round_trip(skeleton)), state)


def test_int_and_str_keys_keep_their_type(assert_same: AssertSame) -> None:
    state = {1: "int key", "1x": "str key", -5: None}
    tensors, skeleton = flatten_state(state)
    restored = unflatten_state(tensors, _json_round_trip(skeleton))
    assert_same(restored, state)


def test_slash_in_key_is_escaped_and_restored(assert_same: AssertSame) -> None:
    state = {"a/b": torch.zeros(1), "a": {"b": torch.ones(1)}, "50%": torch.ones(2)}
    tensors, skeleton = flatten_state(state)
    assert len(tensors) == 3
    assert_same(unflatten_state(tensors, _json_round_trip(skeleton)), state)


def test_numpy_scalars_become_python_numbers() -> None:
    tensors, skeleton = flatten_state({"a": np.float64(0.5), "b": np.int64(7)})
    restored = unflatten_state(tensors, skeleton)
    assert restored == {"a": 0.5, "b": 7}
    assert type(restored["a"]) is float and type(restored["b"]) is int


def test_unsupported_object_raises_type_error_naming_its_path() -> None:
    with pytest.raises(TypeError, match=r"ndarray at 'opt/state/0/buf'"):
        flatten_state({"opt": {"state": {0: {"buf": np.zeros(3)}}}})


def test_unsupported_dict_key_raises_type_error() -> None:
    with pytest.raises(TypeError, match="keys must be str or int"):
        flatten_state({"a": {(1, 2): 3}})


def test_reference_cycle_raises_value_error() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="cycle"):
        flatten_state({"loop": loop})


def test_keys_colliding_after_stringification_raise_value_error() -> None:
    with pytest.raises(ValueError, match="two tensors map"):
        flatten_state({0: torch.zeros(1), "0": torch.ones(1)})


def test_missing_tensor_raises_value_error() -> None:
    _, skeleton = flatten_state({"w": torch.zeros(1)})
    with pytest.raises(ValueError, match="missing tensor 'w'"):
        unflatten_state({}, skeleton)


def test_malformed_skeleton_raises_value_error() -> None:
    with pytest.raises(ValueError, match="skeleton"):
        unflatten_state({}, {"bogus": 1})


_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.builds(
        lambda n, dtype: torch.arange(n).to(dtype),
        st.integers(0, 4),
        st.sampled_from([torch.float32, torch.int64, torch.uint8, torch.bool]),
    ),
)
_keys = st.one_of(st.text(max_size=4), st.integers(-3, 3))
_nested = st.recursive(
    _leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(_keys, children, max_size=3),
    ),
    max_leaves=12,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # fixture is stateless
)
@given(obj=_nested)
def test_any_supported_structure_round_trips_exactly(obj: Any, assert_same: AssertSame) -> None:
    try:
        tensors, skeleton = flatten_state(obj)
    except ValueError as exc:  # int key 0 and str key "0" side by side
        assert "two tensors map" in str(exc)
        return
    assert_same(unflatten_state(tensors, _json_round_trip(skeleton)), obj)

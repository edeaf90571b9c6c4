"""Load a state dict into a model after checking it fits the architecture."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from bayescnn.calibration.temperature import load_temperature
from bayescnn.io.errors import CheckpointMismatchError
from bayescnn.nn.layer import rho_scale_keys

__all__ = ["MAX_LISTED", "load_model_state"]

MAX_LISTED = 8
"""How many keys of each kind a mismatch message lists before summarising."""


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    rest = len(items) - MAX_LISTED
    return f"{shown}, ... and {rest} more" if rest > 0 else shown


def _shape(value: Any) -> tuple[int, ...] | None:
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None


def load_model_state(
    model: nn.Module, state: Mapping[str, torch.Tensor], *, strict: bool = True
) -> Any:
    """Check ``state`` against ``model`` by keys and shapes, then load it.

    Args:
        model: Model to load into.
        state: A state dict, e.g. ``load_checkpoint(path).model_state``.
        strict: If ``True``, missing or unexpected keys are errors (but for the
            Bayesian layers' rho scales, which a checkpoint saved before they existed
            lacks: it loads with c = 1, as it was trained). Shape mismatches are always
            errors.

    Returns:
        What :meth:`torch.nn.Module.load_state_dict` returns (missing and
        unexpected keys, both empty when ``strict``).

    Raises:
        CheckpointMismatchError: Listing missing keys, unexpected keys and
            shape mismatches, before anything is copied into ``model``.
    """
    # the temperature (bayescnn.calibrate) is the one entry a fresh model has no buffer for:
    # adopted first, for a model built without the library's load hook too
    load_temperature(model, state)
    expected = model.state_dict()
    optional = rho_scale_keys(model)
    missing = [k for k in expected if k not in state and k not in optional] if strict else []
    unexpected = [key for key in state if key not in expected] if strict else []
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = []
    for key, value in state.items():
        have, want = _shape(value), _shape(expected.get(key))
        if have is not None and want is not None and have != want:
            mismatched.append((key, have, want))
    if missing or unexpected or mismatched:
        counts = [
            f"{len(items)} {label}"
            for items, label in (
                (missing, "missing"),
                (unexpected, "unexpected"),
                (mismatched, "shape mismatched"),
            )
            if items
        ]
        lines = [
            "this checkpoint was saved for a different architecture "
            f"({', '.join(counts)} keys); build the model with the checkpoint's config "
            "or pick the matching checkpoint"
        ]
        if missing:
            lines.append(f"  missing from checkpoint: {_listing(missing)}")
        if unexpected:
            lines.append(f"  unexpected in checkpoint: {_listing(unexpected)}")
        if mismatched:
            shapes = [f"{key} {list(have)} vs model {list(want)}" for key, have, want in mismatched]
            lines.append(f"  shape mismatch (checkpoint vs model): {_listing(shapes)}")
        raise CheckpointMismatchError(
            "\n".join(lines), missing=missing, unexpected=unexpected, shape_mismatches=mismatched
        )
    return model.load_state_dict(state, strict=strict)

"""Exceptions raised when reading checkpoints."""

from __future__ import annotations

from bayescnn.errors import BayesCNNError

__all__ = ["CheckpointError", "CheckpointMismatchError"]


class CheckpointError(BayesCNNError, ValueError):
    """A file is not a usable checkpoint (wrong format, damaged, or unsafe)."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint's tensors do not fit a model's parameters and buffers.

    Attributes:
        missing: Keys the model expects but the checkpoint lacks.
        unexpected: Keys in the checkpoint the model does not have.
        shape_mismatches: ``(key, checkpoint_shape, model_shape)`` triples.
    """

    def __init__(
        self,
        message: str,
        *,
        missing: list[str] | None = None,
        unexpected: list[str] | None = None,
        shape_mismatches: list[tuple[str, tuple[int, ...], tuple[int, ...]]] | None = None,
    ) -> None:
        super().__init__(message)
        self.missing = list(missing or [])
        self.unexpected = list(unexpected or [])
        self.shape_mismatches = list(shape_mismatches or [])

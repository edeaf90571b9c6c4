"""Exceptions raised when reading checkpoints."""

from __future__ import annotations

from pathlib import Path

from bayescnn.errors import BayesCNNError

__all__ = ["CheckpointError", "CheckpointMismatchError", "DamagedCheckpointError"]


class CheckpointError(BayesCNNError, ValueError):
    """A file is not a usable checkpoint (wrong format, damaged, or unsafe)."""


class DamagedCheckpointError(CheckpointError):
    """A checkpoint is damaged, and another one, named in the message, can stand in for it.

    The message says what to give instead; the caller, which knows how it was asked (the
    command line knows the command that was run), can show how to ask again.

    Attributes:
        given: The path as the caller gave it (a run folder, or the damaged file).
        intact: The intact checkpoint to give instead.
    """

    def __init__(self, message: str, *, given: str | Path, intact: Path) -> None:
        super().__init__(message)
        self.given = given
        self.intact = intact


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

"""Checkpoints of a training run: the last epoch and the best by validation NLL, and resume."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bayescnn.errors import MissingFileError
from bayescnn.io import load_checkpoint, load_model_state, save_checkpoint
from bayescnn.train.engine import Callback, FitState

__all__ = ["BEST_FILE", "LAST_FILE", "Checkpoints"]

LAST_FILE = "last.safetensors"
"""The checkpoint of the last finished epoch, in a run folder."""
BEST_FILE = "best.safetensors"
"""The checkpoint of the epoch with the best monitored NLL, in a run folder."""

log = logging.getLogger("bayescnn.train")


class Checkpoints(Callback):
    """Save ``last.safetensors`` after every epoch and ``best.safetensors`` whenever the
    monitored NLL improves; with ``resume``, continue from ``last.safetensors``.

    A checkpoint holds the model, optimiser and scheduler states, the epoch, the best
    NLL and the caller's ``metadata`` (e.g. the config a run was built from). Resuming is
    exact when :func:`bayescnn.fit` is given a ``seed``: every epoch's randomness is a
    function of ``(seed, epoch)``, so no generator state needs saving. Only the main
    process writes. Files are written atomically: a crash keeps the previous one.

    Args:
        folder: where the two files live (made, with its parents, when training starts).
        metadata: JSON-serialisable information stored in both files.
        resume: restore ``last.safetensors`` before training.
    """

    def __init__(
        self, folder: str | Path, *, metadata: Mapping[str, Any] | None = None, resume: bool = False
    ) -> None:
        self.folder = Path(folder)
        self.metadata = dict(metadata or {})
        self.resume = resume

    @property
    def last(self) -> Path:
        return self.folder / LAST_FILE

    @property
    def best(self) -> Path:
        return self.folder / BEST_FILE

    def on_fit_start(self, state: FitState) -> None:
        if not self.resume:
            if state.dist.is_main:
                self.folder.mkdir(parents=True, exist_ok=True)
            return
        if not self.last.is_file():
            raise MissingFileError(
                f"cannot resume: {self.last} does not exist (no epoch finished yet)"
            )
        checkpoint = load_checkpoint(self.last, map_location=state.device)
        load_model_state(state.model, checkpoint.model_state)
        state.optimizer.load_state_dict(checkpoint.extra["optimizer"])
        if state.scheduler is not None and checkpoint.extra["scheduler"] is not None:
            state.scheduler.load_state_dict(checkpoint.extra["scheduler"])
        state.start_epoch = checkpoint.metadata["epoch"] + 1
        state.best_valid_nll = checkpoint.metadata["best_valid_nll"]
        log.info("resumed from %s at epoch %d", self.last, state.start_epoch + 1)

    def on_epoch_end(self, state: FitState, row: dict[str, Any]) -> None:
        if not state.dist.is_main:
            return
        self._save(self.last, state)
        if state.improved:
            self._save(self.best, state)

    def _save(self, path: Path, state: FitState) -> None:
        save_checkpoint(
            path,
            model_state=state.model.state_dict(),
            metadata=self.metadata | {"epoch": state.epoch, "best_valid_nll": state.best_valid_nll},
            extra={
                "optimizer": state.optimizer.state_dict(),
                "scheduler": None if state.scheduler is None else state.scheduler.state_dict(),
            },
        )

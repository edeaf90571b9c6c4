"""Checkpoints of a training run: the last epoch and the best by validation NLL, and resume."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from bayescnn.errors import MissingFileError
from bayescnn.io import check_writable_dir, load_checkpoint, load_model_state, save_checkpoint
from bayescnn.train.hooks import Callback, FitState

__all__ = ["BEST_FILE", "LAST_FILE", "Checkpoints", "stretch_schedule"]

LAST_FILE = "last.safetensors"
"""The checkpoint of the last finished epoch, in a run folder."""
BEST_FILE = "best.safetensors"
"""The checkpoint of the epoch with the best monitored NLL, in a run folder."""

log = logging.getLogger("bayescnn.train")


class Checkpoints(Callback):
    """Save ``last.safetensors`` after every epoch and ``best.safetensors`` whenever the
    monitored NLL improves; with ``resume``, continue from ``last.safetensors``.

    A checkpoint holds the model, optimiser and scheduler states, the epoch, the best
    NLL, the number of processes that trained it and the caller's ``metadata`` (e.g.
    the config a run was built from); the last one also holds the history (one metrics
    row per finished epoch). It is all a resume needs, so a process killed between
    writing it and writing any other file (the metrics file) loses nothing. Resuming is
    exact when :func:`bayescnn.fit` is given a ``seed``: every epoch's randomness is a
    function of ``(seed, epoch)``, so no generator state needs saving. Only the main
    process writes. Files are written atomically: a crash keeps the previous one.
    Callbacks that add to an epoch's row go before this one in the list.

    A resume in another number of processes (an elastic restart) is warned of: each
    process's batches keep their size, so the global minibatch changes.

    Resuming with a different ``epochs`` (e.g. more, to train a finished run longer)
    continues the history and the scheduler's state; a schedule planned over the
    epochs is stretched to the new total (see :func:`stretch_schedule`).

    Args:
        folder: where the two files live; created (and checked writable) before the
            first epoch, so that a bad path fails before any training.
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
        if state.dist.is_main:
            check_writable_dir(self.folder, min_free_bytes=0, what="checkpoint folder")
        if not self.resume:
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
        # checkpoints from before the history was saved leave it to MetricsFile's file
        state.history = list(checkpoint.metadata.get("history", []))
        # checkpoints of bayescnn train from before "epochs" was saved hold it in their config
        older = checkpoint.metadata.get("config", {}).get("epochs", state.epochs)
        planned = checkpoint.metadata.get("epochs", older)
        if planned != state.epochs:
            stretch_schedule(state.scheduler, state.epochs)
            log.info("the run's %d epoch(s) are now %d", planned, state.epochs)
        trained_by = checkpoint.metadata.get("world_size", state.dist.world_size)
        if trained_by != state.dist.world_size:
            log.warning(
                "warning: the run was trained by %d process(es) and resumes in %d: each "
                "process's batches stay the size they were, so the global minibatch (and the "
                "steps an epoch) change from here on; resume with %d processes to continue "
                "it as it was",
                trained_by,
                state.dist.world_size,
                trained_by,
            )
        log.info("resumed from %s at epoch %d", self.last, state.start_epoch + 1)

    def on_epoch_end(self, state: FitState, row: dict[str, Any]) -> None:
        if not state.dist.is_main:
            return
        # best first: a process killed between the two resumes from the previous last
        # and trains this epoch again; the other order left a last that counted this
        # epoch's NLL as the best beside a best of an earlier epoch
        if state.improved:
            self._save(self.best, state)
        self._save(self.last, state, history=state.history)

    def _save(
        self, path: Path, state: FitState, history: list[dict[str, Any]] | None = None
    ) -> None:
        history_entry = {} if history is None else {"history": history}
        save_checkpoint(
            path,
            model_state=state.model.state_dict(),
            metadata=self.metadata
            | {
                "epoch": state.epoch,
                "epochs": state.epochs,
                "best_valid_nll": state.best_valid_nll,
                "world_size": state.dist.world_size,
            }
            | history_entry,
            extra={
                "optimizer": state.optimizer.state_dict(),
                "scheduler": None if state.scheduler is None else state.scheduler.state_dict(),
            },
        )


def stretch_schedule(scheduler: Any, epochs: int) -> None:
    """Re-plan a restored learning-rate schedule over ``epochs`` epochs in all.

    A cosine schedule (:class:`torch.optim.lr_scheduler.CosineAnnealingLR`) gets
    ``T_max = epochs`` and each group's learning rate becomes the one an ``epochs``-epoch
    run has at this point, ``eta_min + (lr_0 - eta_min) (1 + cos(pi t / T_max)) / 2``
    with ``t`` the epochs done (a finished run's rate, 0, would train no further).
    Schedules that do not depend on the number of epochs (``ReduceLROnPlateau``,
    none) continue unchanged.
    """
    if not isinstance(scheduler, torch.optim.lr_scheduler.CosineAnnealingLR):
        return
    scheduler.T_max = epochs
    done, low = scheduler.last_epoch, scheduler.eta_min
    factor = (1 + math.cos(math.pi * min(done, epochs) / epochs)) / 2
    groups = scheduler.optimizer.param_groups
    for group, initial in zip(groups, scheduler.base_lrs, strict=True):
        group["lr"] = low + (initial - low) * factor
    scheduler._last_lr = [group["lr"] for group in groups]

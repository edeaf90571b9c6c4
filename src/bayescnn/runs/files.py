"""The files of a run folder, and loading a trained model back from one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from bayescnn.data import DatasetSpec, get_spec
from bayescnn.deprecation import renamed_function
from bayescnn.errors import MissingFileError
from bayescnn.io import (
    CheckpointError,
    DamagedCheckpointError,
    load_checkpoint,
    load_model_state,
    read_checkpoint_metadata,
)
from bayescnn.runs.builder import build_model
from bayescnn.runs.calibration import apply_run_calibration
from bayescnn.runs.config import TrainConfig
from bayescnn.train.callbacks import read_metrics
from bayescnn.train.checkpoints import BEST_FILE, LAST_FILE


@dataclass(frozen=True)
class RunFiles:
    """Where a run keeps what it writes."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    @property
    def last(self) -> Path:
        return self.root / LAST_FILE

    @property
    def best(self) -> Path:
        return self.root / BEST_FILE

    @property
    def test(self) -> Path:
        return self.root / "test.json"

    @property
    def log(self) -> Path:
        return self.root / "train.log"

    def read_metrics(self) -> list[dict[str, Any]]:
        """The run's history: one row per finished epoch."""
        return read_metrics(self.metrics)


@dataclass(frozen=True)
class LoadedRun:
    """A trained model with the config and dataset spec it was trained with."""

    model: nn.Module
    config: TrainConfig
    spec: DatasetSpec
    checkpoint: Path


def find_checkpoint(path: str | Path) -> Path:
    """The checkpoint a run folder or file path names (a folder's best, else its last)."""
    path = Path(path)
    if path.is_dir():
        files = RunFiles(path)
        for candidate in (files.best, files.last):
            if candidate.is_file():
                return candidate
        raise MissingFileError(
            f"{path} holds no best.safetensors or last.safetensors; is it a run folder?"
        )
    if not path.is_file():
        raise MissingFileError(f"no run folder or checkpoint at {path}")
    return path


def _with_intact_last(error: CheckpointError, damaged: Path, given: str | Path) -> CheckpointError:
    """``error`` about a damaged ``best.safetensors``, naming the intact ``last.safetensors``
    beside it (the run's last epoch, not its best) when there is one: a
    :class:`DamagedCheckpointError`, from which the caller can say how to ask again."""
    last = damaged.with_name(LAST_FILE)
    if damaged.name != BEST_FILE or not last.is_file():
        return error
    try:
        read_checkpoint_metadata(last)
    except CheckpointError:
        return error
    return DamagedCheckpointError(
        f"{error}; the last epoch's checkpoint beside it is intact: give {last} instead of {given}",
        given=given,
        intact=last,
    )


def open_run(path: str | Path, *, device: str | torch.device = "cpu") -> LoadedRun:
    """Rebuild the model of a run folder or checkpoint file, load its weights (and the
    temperature fitted for that checkpoint, if the run was calibrated), and return it with
    the run's config and dataset spec (:func:`bayescnn.load_run` returns just the model)."""
    checkpoint_path = find_checkpoint(path)
    try:
        checkpoint = load_checkpoint(checkpoint_path, map_location=device)
    except CheckpointError as error:
        raise _with_intact_last(error, checkpoint_path, path) from error
    config = TrainConfig.from_saved(checkpoint.metadata["config"])
    spec = get_spec(config.dataset)
    model = build_model(config, spec).to(device)
    load_model_state(model, checkpoint.model_state)
    apply_run_calibration(model, checkpoint_path, checkpoint.metadata.get("epoch"))
    return LoadedRun(model, config, spec, checkpoint_path)


def load_trained_model(path: str | Path, *, device: str | torch.device = "cpu") -> nn.Module:
    """The trained model of a run folder or checkpoint (``bayescnn.load_run``); use
    :func:`open_run` for its config and dataset spec too."""
    return open_run(path, device=device).model


load_run = renamed_function(
    "bayescnn.runs.load_run",
    "bayescnn.runs.open_run",
    open_run,
    note="it returns a LoadedRun; bayescnn.load_run returns just the model",
)

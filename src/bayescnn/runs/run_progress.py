"""How far the run in a folder got (:class:`RunProgress`), whether it is the run a config
describes (:func:`matching_run_progress`), and the config to continue it with
(:func:`resume_config`): read from its last checkpoint's header, never written."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from bayescnn.errors import ConfigError, MissingFileError, RunMismatchError
from bayescnn.runs.config import TrainConfig
from bayescnn.runs.files import RunFiles

__all__ = [
    "RunProgress",
    "matching_run_progress",
    "read_run_config",
    "read_run_progress",
    "resume_config",
]


def read_run_config(run_dir: str | Path) -> TrainConfig:
    """The config of the run in ``run_dir``, from its last checkpoint's header."""
    return read_run_progress(run_dir).config


@dataclass(frozen=True)
class RunProgress:
    """How far the run in a folder got: its config and the epochs its last checkpoint holds."""

    config: TrainConfig
    epochs_done: int
    tested: bool

    @property
    def finished(self) -> bool:
        """All of ``config.epochs`` trained and the test set scored (``test.json``)."""
        return self.epochs_done >= self.config.epochs and self.tested


def read_run_progress(run_dir: str | Path) -> RunProgress:
    """The :class:`RunProgress` of the run in ``run_dir``, from its checkpoint's header."""
    from bayescnn.io import read_checkpoint_metadata

    files = RunFiles(Path(run_dir))
    if not files.root.is_dir():
        raise MissingFileError(f"cannot resume {files.root}: no such run folder")
    if not files.last.is_file():
        raise MissingFileError(f"cannot resume {files.root}: it holds no last.safetensors")
    metadata = read_checkpoint_metadata(files.last)
    config = TrainConfig.from_saved(metadata["config"])
    epochs_done = metadata["epoch"] + 1
    return RunProgress(config, epochs_done, _tests_epochs(files, epochs_done))


def _tests_epochs(files: RunFiles, epochs_done: int) -> bool:
    """Whether the folder's ``test.json`` scores the run as its last checkpoint holds it:
    written after as many epochs (a run trained longer and stopped before its new report
    keeps the old one). A report without the count (written before it was) counts; one
    that cannot be read does not (scoring the test set again rewrites it)."""
    try:
        report = json.loads(files.test.read_text())
    except (OSError, ValueError):  # missing, unreadable or not JSON
        return False
    return isinstance(report, dict) and report.get("epochs_trained", epochs_done) == epochs_done


def matching_run_progress(config: TrainConfig, run_dir: str | Path) -> RunProgress | None:
    """How far the run ``config`` describes has got in ``run_dir``: its
    :class:`RunProgress`, or ``None`` where no epoch of it finished (no such folder, or no
    ``last.safetensors`` in it).

    The folder's run is the same when the config saved in its last checkpoint's header
    equals ``config`` in every key but where the data is, where it runs and writes and
    how it reports (:data:`~bayescnn.runs.config.NOT_COMPARED_KEYS`;
    :meth:`TrainConfig.differences`). ``epochs`` is compared: to train a run longer,
    resume it with more epochs (:func:`resume_run`).

    It only reads, so every rank of a torchrun job can call it and decide alike, provided
    no rank writes into the folder before all have read it (``train_run`` and
    ``bayescnn train`` read before their first barrier; checkpoints and ``test.json`` are
    written atomically, so a reader never sees half a file).

    Raises:
        RunMismatchError: the folder holds a run of another config; the message names each
            key that differs with both values, and what to do.
    """
    files = RunFiles(Path(run_dir))
    if not files.last.is_file():
        return None
    progress = read_run_progress(files.root)
    differences = progress.config.differences(config)
    if differences:
        listed = "; ".join(
            f"{key}: {there!r} in the run, {here!r} asked"
            for key, (there, here) in differences.items()
        )
        longer = (
            f" (to train it longer: --resume {files.root} --epochs N)"
            if "epochs" in differences
            else ""
        )
        raise RunMismatchError(
            f"{files.root} holds a run of another config: {listed}. To continue it, ask for "
            f"the run's values (its config.yaml) or use --resume {files.root}{longer}; "
            "to start a new run, choose another --run-dir",
            differences,
        )
    return progress


def resume_config(run_dir: str | Path, epochs: int | None = None) -> TrainConfig:
    """The config to continue the run in ``run_dir`` with: its own, or with ``epochs`` in
    all (more than it has trained) to train a finished or interrupted run longer.

    Raises:
        ConfigError: ``epochs`` is not more than the epochs already trained.
    """
    progress = read_run_progress(run_dir)
    config = progress.config
    if epochs is None or epochs == config.epochs:
        return config
    if epochs <= progress.epochs_done:
        raise ConfigError(
            f"epochs must be more than the {progress.epochs_done} the run in {run_dir} has "
            f"trained to train it longer, got {epochs}",
            key="epochs",
        )
    return dataclasses.replace(config, epochs=epochs)

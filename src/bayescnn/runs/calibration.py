"""A run's temperature: fitted on its validation split by ``bayescnn train`` (unless
``--no-calibrate``) or ``bayescnn calibrate``, kept in ``calibration.json`` beside the
checkpoint it was fitted for, and applied whenever the run is loaded.

The checkpoints themselves are never rewritten: a run folder calibrated again only
gets a new ``calibration.json`` (written atomically).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from torch import nn

from bayescnn.calibration.scaling import (
    CalibrationDeclinedWarning,
    TemperatureFit,
    calibrate_logits,
    stack_logits,
)
from bayescnn.calibration.temperature import TemperatureForm, set_temperature
from bayescnn.errors import CorruptFileError
from bayescnn.io.atomic import atomic_write_bytes
from bayescnn.runs.builder import DataSplits
from bayescnn.runs.config import TrainConfig
from bayescnn.runs.validation import LogitBatches, validation_logits

__all__ = [
    "CALIBRATION_FILE",
    "apply_run_calibration",
    "calibrate_on_validation",
    "write_calibration",
]

CALIBRATION_FILE = "calibration.json"
"""The run folder's file of the fitted temperature (and the checkpoint it belongs to)."""


def calibrate_on_validation(
    model: nn.Module,
    splits: DataSplits,
    config: TrainConfig,
    *,
    progress: bool = True,
    valid_logits: LogitBatches | None = None,
) -> TemperatureFit | None:
    """Fit ``model``'s temperature (``config.temperature_form``) on the whole validation
    split (:func:`~bayescnn.runs.validation.validation_logits`: ``config.test_samples``
    samples, seeded by the run's seed, the same on every process) by
    :func:`bayescnn.calibrate_logits`; ``None`` without one.

    Args:
        valid_logits: That pass's raw logit batches, when the caller already drew them
            (``bayescnn train`` reads them for the thresholds too); drawn here otherwise.
    """
    if valid_logits is None:
        valid_logits = validation_logits(model, splits, config, progress=progress)
    if valid_logits is None:
        return None
    logits, labels = stack_logits(valid_logits)
    with warnings.catch_warnings():  # the run logs the fit's summary, the reason included
        warnings.simplefilter("ignore", CalibrationDeclinedWarning)
        return calibrate_logits(model, logits, labels, form=config.temperature_form)


def write_calibration(
    fit: TemperatureFit, run_dir: str | Path, checkpoint: str | Path, epoch: int
) -> Path:
    """Write ``fit`` to ``run_dir/calibration.json``, naming the checkpoint (file and
    0-based epoch) it was fitted for."""
    path = Path(run_dir) / CALIBRATION_FILE
    record: dict[str, Any] = {"checkpoint": Path(checkpoint).name, "epoch": epoch, **fit.to_dict()}
    atomic_write_bytes(path, (json.dumps(record, indent=2) + "\n").encode())
    return path


def read_calibration(run_dir: str | Path) -> dict[str, Any] | None:
    """The run's calibration record, or ``None`` when it was never calibrated."""
    path = Path(run_dir) / CALIBRATION_FILE
    if not path.is_file():
        return None
    try:
        record: dict[str, Any] = json.loads(path.read_text())
        float(record["temperature"])
        TemperatureForm.parse(record.get("form", TemperatureForm.PER_SAMPLE))
    except (ValueError, KeyError, TypeError) as error:  # an unknown form is a ValueError
        raise CorruptFileError(
            f"{path} is not a calibration record ({error}); delete it and run "
            f"`bayescnn calibrate {Path(run_dir)}` to fit the temperature again"
        ) from None
    return record


def apply_run_calibration(
    model: nn.Module, checkpoint: str | Path, epoch: int | None
) -> float | None:
    """Give ``model`` (just loaded from ``checkpoint``, saved after 0-based ``epoch``, None
    if it does not say) the temperature fitted for that checkpoint in its run folder, if
    any; returns it.

    A record of another checkpoint, or of the same file at another epoch (the run was
    resumed and found a new best since), is not applied.
    """
    checkpoint = Path(checkpoint)
    record = read_calibration(checkpoint.parent)
    if record is None or (record.get("checkpoint"), record.get("epoch")) != (
        checkpoint.name,
        epoch,
    ):
        return None
    temperature = float(record["temperature"])
    # a record without a form was fitted per sample, the only form there was then
    set_temperature(model, temperature, form=record.get("form", TemperatureForm.PER_SAMPLE))
    return temperature

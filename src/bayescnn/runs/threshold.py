"""The threshold of ``bayescnn predict``'s ``uncertain`` flag: written by ``bayescnn train``
into the run folder, read (or recomputed from the run's validation split) for prediction."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from bayescnn.errors import BayesCNNError
from bayescnn.nn import module_device
from bayescnn.runs.builder import DataSplits, load_splits, make_loader
from bayescnn.runs.config import TrainConfig
from bayescnn.runs.files import LoadedRun
from bayescnn.runtime.progress import with_progress
from bayescnn.seeding import Stream, seeded
from bayescnn.uncertainty import predict_loader

__all__ = [
    "THRESHOLD_FILE",
    "Threshold",
    "load_threshold",
    "uncertainty_threshold",
    "write_uncertainty_threshold",
]

log = logging.getLogger("bayescnn.train")


THRESHOLD_FILE = "uncertainty_threshold.json"
"""The run folder's file of the threshold above which ``bayescnn predict`` flags an image."""

THRESHOLD_QUANTILE = 0.95


def uncertainty_threshold(
    model: torch.nn.Module, splits: DataSplits, config: TrainConfig
) -> dict[str, Any] | None:
    """The 95th percentile of the mutual information over the validation split.

    The mutual information ``I = H[p̄] - mean_t H[p_t]`` (the epistemic part of the entropy
    decomposition, in nats) of each in-distribution validation image is estimated with
    the config's ``test_samples`` Monte-Carlo samples, seeded by the config's seed. An
    image whose ``I`` exceeds the returned ``threshold`` is rarer than 1 in 20 of the
    training distribution. Returns ``None`` when the validation split is empty.
    """
    if len(splits.valid) == 0:
        return None
    device = module_device(model) or torch.device("cpu")
    loader = make_loader(splits.valid, splits, config, device, train=False)
    with seeded(config.seed, device, stream=Stream.VALID):
        prediction = predict_loader(
            model,
            with_progress(loader, "uncertainty threshold (validation)"),
            samples=config.test_samples,
            decomposition="entropy",
            scores="none",
        )
    assert prediction.entropy is not None
    threshold = torch.quantile(prediction.entropy.epistemic.double(), THRESHOLD_QUANTILE)
    return {
        "score": "mutual_info",
        "quantile": THRESHOLD_QUANTILE,
        "threshold": float(threshold),
        "samples": prediction.samples,
    }


def write_uncertainty_threshold(
    model: torch.nn.Module, splits: DataSplits, config: TrainConfig, run_dir: str | Path
) -> dict[str, Any] | None:
    """Compute :func:`uncertainty_threshold` and write it to ``run_dir/`` :data:`THRESHOLD_FILE`."""
    threshold = uncertainty_threshold(model, splits, config)
    if threshold is None:
        log.info("no validation split: no uncertainty threshold for bayescnn predict")
        return None
    (Path(run_dir) / THRESHOLD_FILE).write_text(json.dumps(threshold, indent=2) + "\n")
    log.info("uncertainty threshold: %s", json.dumps(threshold))
    return threshold


@dataclass(frozen=True)
class Threshold:
    """The mutual information above which an image is flagged, and its provenance."""

    value: float
    samples: int
    quantile: float


def load_threshold(
    run: LoadedRun, *, data_dir: str | Path | None = None, note: Callable[[str], None] = log.info
) -> Threshold | None:
    """The run's stored threshold; else computed from its validation split and stored.

    Args:
        run: The loaded run.
        data_dir: Folder searched first for the run's data (only to compute a threshold).
        note: Called with each message for the user (what was computed, stored or ignored).
    """
    _note = note
    path = run.checkpoint.parent / THRESHOLD_FILE
    if path.is_file():
        try:
            stored = json.loads(path.read_text())
            return Threshold(
                float(stored["threshold"]), int(stored["samples"]), float(stored["quantile"])
            )
        except (ValueError, KeyError, TypeError) as error:
            _note(f"ignoring {path}: {error!r}")
    config = run.config
    if data_dir is not None:
        config = dataclasses.replace(config, data_dir=str(data_dir))
    _note(
        f"no usable {THRESHOLD_FILE} in {path.parent}: computing it from the run's validation "
        f"split ({config.test_samples} samples)"
    )
    try:
        computed = uncertainty_threshold(run.model, load_splits(config), config)
    except BayesCNNError as error:
        _note(f"cannot compute the threshold, the uncertain column stays empty: {error}")
        return None
    if computed is None:
        _note("the run has no validation split: the uncertain column stays empty")
        return None
    try:
        path.write_text(json.dumps(computed, indent=2) + "\n")
        _note(f"stored the threshold in {path}")
    except OSError as error:
        _note(f"could not store the threshold in {path}: {error}")
    return Threshold(computed["threshold"], computed["samples"], computed["quantile"])

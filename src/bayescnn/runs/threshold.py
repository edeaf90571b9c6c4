"""The threshold of ``bayescnn predict``'s ``uncertain`` flag: written by ``bayescnn train``
into the run folder, read (or recomputed from the run's validation split) for prediction.

An image is flagged when its OOD score ``s(x)`` (a registered score of
:mod:`bayescnn.uncertainty.scores`, higher = more likely out of distribution) exceeds
the threshold ``t = Q_{1 - r}(s)``, the ``1 - r`` quantile of the score over the run's
in-distribution validation split: a fraction ``r`` (the false-alarm rate, default
:data:`bayescnn.defaults.FLAG_RATE`) of in-distribution images is flagged.

``RUN/uncertainty_threshold.json`` holds, for the quantile ``1 - r`` at the default rate,
the threshold of every score registered at training time (``"thresholds"``) and, for
readers of the first format, the default score's as ``"score"``/``"threshold"``. Runs
written before per-score thresholds hold only the mutual information's; any other score
or rate is computed from the validation split when asked for.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from bayescnn import defaults
from bayescnn.errors import BayesCNNError, InvalidArgumentError
from bayescnn.runs.builder import DataSplits, load_splits
from bayescnn.runs.config import TrainConfig
from bayescnn.runs.files import LoadedRun
from bayescnn.runs.validation import LogitBatches, validation_logits
from bayescnn.uncertainty import OOD_SCORES, predict_from_logits

__all__ = [
    "THRESHOLD_FILE",
    "Threshold",
    "check_flag_rate",
    "load_threshold",
    "uncertainty_threshold",
    "write_uncertainty_threshold",
]

log = logging.getLogger("bayescnn.train")

THRESHOLD_FILE = "uncertainty_threshold.json"
"""The run folder's file of the threshold above which ``bayescnn predict`` flags an image."""

THRESHOLD_QUANTILE = 1.0 - defaults.FLAG_RATE
"""The quantile stored by ``bayescnn train`` (0.95)."""


@dataclass(frozen=True)
class Threshold:
    """The score value above which an image is flagged, and its provenance.

    Attributes:
        value: The threshold ``t``.
        samples: Monte-Carlo samples behind the validation scores.
        quantile: ``1 - r``, the validation quantile ``t`` is.
        score: The registered OOD score it thresholds.
    """

    value: float
    samples: int
    quantile: float
    score: str = "mutual_info"

    @property
    def rate(self) -> float:
        """The false-alarm rate on the validation split, ``1 - quantile``."""
        return 1.0 - self.quantile


def check_flag_rate(rate: float) -> float:
    """``rate`` if it is a false-alarm rate strictly between 0 and 1, else an error."""
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 < rate < 1.0:
        raise InvalidArgumentError(
            f"the flag's false-alarm rate must be a number in (0, 1), got {rate!r}; "
            f"e.g. {defaults.FLAG_RATE} flags 1 in {round(1 / defaults.FLAG_RATE)} "
            "in-distribution images"
        )
    return float(rate)


def uncertainty_threshold(
    model: torch.nn.Module,
    splits: DataSplits,
    config: TrainConfig,
    *,
    rate: float = defaults.FLAG_RATE,
    valid_logits: LogitBatches | None = None,
) -> dict[str, Any] | None:
    """The ``1 - rate`` quantile of every registered OOD score over the validation split.

    Each in-distribution validation image's scores are those of the model's (calibrated)
    predictive of the config's ``test_samples`` Monte-Carlo samples
    (:func:`~bayescnn.runs.validation.validation_logits`, seeded by the config's seed,
    read by :func:`bayescnn.uncertainty.predict_from_logits`). An image whose score
    exceeds its threshold is rarer than ``rate`` of the training distribution.

    Args:
        valid_logits: That pass's raw logit batches, when the caller already drew them
            (``bayescnn train`` fitted the temperature on them); drawn here otherwise.

    Returns:
        ``{"score", "quantile", "threshold", "samples", "thresholds"}``: the default
        score (:data:`bayescnn.defaults.FLAG_SCORE`) and its threshold, and every
        registered score's threshold by name; ``None`` when the validation split is empty.
    """
    quantile = 1.0 - check_flag_rate(rate)
    if valid_logits is None:
        valid_logits = validation_logits(model, splits, config)
    if valid_logits is None:
        return None
    prediction = predict_from_logits(model, valid_logits, decomposition="none", scores="all")
    thresholds = {
        name: float(torch.quantile(values.double(), quantile))
        for name, values in prediction.scores.items()
    }
    return {
        "score": defaults.FLAG_SCORE,
        "quantile": quantile,
        "threshold": thresholds[defaults.FLAG_SCORE],
        "samples": prediction.samples,
        "thresholds": thresholds,
    }


def write_uncertainty_threshold(
    model: torch.nn.Module,
    splits: DataSplits,
    config: TrainConfig,
    run_dir: str | Path,
    *,
    valid_logits: LogitBatches | None = None,
) -> dict[str, Any] | None:
    """Compute :func:`uncertainty_threshold` (of ``valid_logits`` when given) and write it
    to ``run_dir/`` :data:`THRESHOLD_FILE`."""
    threshold = uncertainty_threshold(model, splits, config, valid_logits=valid_logits)
    if threshold is None:
        log.info("no validation split: no uncertainty threshold for bayescnn predict")
        return None
    (Path(run_dir) / THRESHOLD_FILE).write_text(json.dumps(threshold, indent=2) + "\n")
    log.info(
        "uncertainty threshold: %s above %.4g (the %gth percentile of the validation split)",
        threshold["score"],
        threshold["threshold"],
        100 * threshold["quantile"],
    )
    return threshold


def _stored(stored: dict[str, Any], score: str, quantile: float) -> Threshold | None:
    """The stored threshold of ``score`` at ``quantile``, if the file holds it."""
    if abs(float(stored["quantile"]) - quantile) > 1e-9:
        return None
    thresholds = {str(stored["score"]): stored["threshold"], **stored.get("thresholds", {})}
    if score not in thresholds:
        return None
    return Threshold(float(thresholds[score]), int(stored["samples"]), quantile, score)


def load_threshold(
    run: LoadedRun,
    *,
    score: str | None = None,
    rate: float = defaults.FLAG_RATE,
    data_dir: str | Path | None = None,
    note: Callable[[str], None] = log.info,
) -> Threshold | None:
    """The threshold of ``score`` at the false-alarm ``rate`` for a trained run.

    Read from the run's :data:`THRESHOLD_FILE` when it holds it; else computed from the
    run's validation split (and stored when the file is missing or unreadable). A run
    written before per-score thresholds, whose data cannot be read, keeps flagging by its
    stored mutual information when no score was asked for.

    Args:
        run: The loaded run.
        score: A registered OOD score (default :data:`bayescnn.defaults.FLAG_SCORE`).
        rate: The false-alarm rate on the validation split, in (0, 1).
        data_dir: Folder searched first for the run's data (only to compute a threshold).
        note: Called with each message for the user (what was computed, stored or ignored).

    Returns:
        The threshold, or ``None`` (with a note) when it cannot be had.

    Raises:
        UnknownNameError: If ``score`` is not a registered OOD score.
        InvalidArgumentError: If ``rate`` is not in (0, 1).
    """
    name = OOD_SCORES.get(score or defaults.FLAG_SCORE).name
    quantile = 1.0 - check_flag_rate(rate)
    path = run.checkpoint.parent / THRESHOLD_FILE
    stored: dict[str, Any] | None = None
    if path.is_file():
        try:
            stored = json.loads(path.read_text())
            found = _stored(stored, name, quantile)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            note(f"ignoring {path}: {error!r}")
            stored = None
        else:
            if found is not None:
                return found
    config = run.config
    if data_dir is not None:
        config = dataclasses.replace(config, data_dir=str(data_dir))
    why = f"no usable {THRESHOLD_FILE} in {path.parent}" if stored is None else (
        f"{path} holds no threshold of {name} at a {rate:g} false-alarm rate"
    )  # fmt: skip
    note(f"{why}: computing it from the run's validation split ({config.test_samples} samples)")
    try:
        computed = uncertainty_threshold(run.model, load_splits(config), config, rate=rate)
    except BayesCNNError as error:
        return _fallback(stored, score, quantile, note, f"cannot compute the threshold: {error}")
    if computed is None:
        return _fallback(stored, score, quantile, note, "the run has no validation split")
    if stored is None or abs(float(stored["quantile"]) - quantile) <= 1e-9:
        # a missing or unreadable file, or one of fewer scores at this rate: replaced
        try:
            path.write_text(json.dumps(computed, indent=2) + "\n")
            note(f"stored the thresholds in {path}")
        except OSError as error:
            note(f"could not store the thresholds in {path}: {error}")
    return Threshold(computed["thresholds"][name], computed["samples"], quantile, name)


def _fallback(
    stored: dict[str, Any] | None,
    score: str | None,
    quantile: float,
    note: Callable[[str], None],
    why: str,
) -> Threshold | None:
    """The stored mutual-information threshold of an older run when no score was asked for."""
    old = None if stored is None or score is not None else _stored(stored, "mutual_info", quantile)
    if old is None:
        note(f"{why}; the uncertain column stays empty")
        return None
    note(
        f"{why}; flagging by the run's stored mutual_info threshold instead of the default "
        f"{defaults.FLAG_SCORE} (give --data-dir to compute it)"
    )
    return old

"""A classifier's accuracy, calibration and uncertainty under corruptions of its test set.

For every corruption ``c`` and severity ``s`` (:mod:`bayescnn.shift.corruptions`), the test
images are corrupted on the fly and predicted with ``S`` posterior samples
(:func:`bayescnn.uncertainty.predict_loader`), as in Ovadia et al. (2019, "Can You Trust
Your Model's Uncertainty? Evaluating Predictive Uncertainty Under Dataset Shift"). Each
:class:`ShiftRecord` holds:

- accuracy, NLL and ECE (:data:`bayescnn.defaults.ECE_BINS` bins; Guo et al., 2017) of the predictive ``p̄``;
- the mean aleatoric ``mean_t H[p_t]`` and epistemic ``I = H[p̄] - mean_t H[p_t]`` parts of
  the predictive entropy, in nats (Depeweg et al., 2018);
- the AUROC of telling the clean images from the corrupted ones by mutual information and
  by predictive entropy (corrupted = positive; ``None`` on the clean row);
- selective prediction per score ``u`` in ``entropy``, ``mutual_info``, ``max_prob``
  (``1 - max_k p̄_k``): ``AURC = (1/N) Σ_k r(k)``, the mean error rate ``r(k)`` of the
  ``k`` examples of lowest ``u`` over ``k = 1..N``, and the accuracy at 90% and 95%
  coverage (:mod:`bayescnn.metrics.selective`).

The clean test set is the row of severity 0, corruption ``"clean"``. Corruption noise and
the model's weight noise are drawn from generators seeded by ``(seed, severity,
corruption)``: the same call gives the same records, and adding a corruption leaves the
others' records as they were.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from bayescnn import defaults
from bayescnn.data import ImageData, evaluation_loader
from bayescnn.data.loader import EVALUATION_BATCH_SIZE
from bayescnn.errors import InvalidArgumentError
from bayescnn.metrics import (
    accuracy,
    accuracy_at_coverage,
    aurc,
    calibration_error,
    nll,
    ood_detection,
    risk_coverage_curve,
)
from bayescnn.runtime.progress import with_progress
from bayescnn.seeding import Stream, derive_seed, seeded, seeded_generator
from bayescnn.shift.corruptions import CORRUPTIONS, SEVERITIES, check_severity, corrupt
from bayescnn.uncertainty.prediction import Prediction, predict_loader

__all__ = [
    "AUROC_SCORES",
    "CLEAN",
    "COVERAGES",
    "COVERAGE_GRID",
    "SELECTIVE_SCORES",
    "ShiftRecord",
    "evaluate_shift",
]

log = logging.getLogger("bayescnn.shift")

CLEAN = "clean"
"""The corruption name of the clean row (severity 0)."""

AUROC_SCORES = ("mutual_info", "entropy")
"""Scores whose AUROC of clean against corrupted images each record holds."""

SELECTIVE_SCORES = ("entropy", "mutual_info", "max_prob")
"""Scores whose risk-coverage curve each record summarises."""

COVERAGES = (0.9, 0.95)
"""Coverages at which each record holds the selective accuracy."""

COVERAGE_GRID = torch.arange(1, 101, dtype=torch.float64) / 100
"""Coverages ``0.01, ..., 1`` at which each record keeps its risk-coverage curves."""

_CORRUPT_CHUNK = 1000  # images corrupted at once: results do not depend on batch_size


@dataclass(frozen=True, eq=False)
class ShiftRecord:
    """One model's metrics on the test set under one corruption at one severity.

    Attributes:
        corruption: The corruption's name, ``"clean"`` for the clean test set.
        severity: 1-5, 0 for the clean test set.
        num_examples: Images evaluated.
        accuracy: Accuracy of ``argmax p̄``.
        nll: Mean negative log predictive probability of the label (nats).
        ece: Expected calibration error, 15 equal-width bins.
        aleatoric: Mean expected entropy ``mean_t H[p_t]`` (nats).
        epistemic: Mean mutual information ``H[p̄] - mean_t H[p_t]`` (nats).
        mean_confidence: Mean ``max_k p̄_k``.
        auroc: Per score of :data:`AUROC_SCORES`, the AUROC of clean (negative) against
            these corrupted images (positive); ``None`` on the clean row.
        selective: Per score of :data:`SELECTIVE_SCORES`: ``aurc`` and
            ``accuracy_at_90`` / ``accuracy_at_95`` (accuracy at that coverage).
        risk_coverage: Per score, the selective risk at :data:`COVERAGE_GRID` (for figures;
            not part of :meth:`to_dict`).
    """

    corruption: str
    severity: int
    num_examples: int
    accuracy: float
    nll: float
    ece: float
    aleatoric: float
    epistemic: float
    mean_confidence: float
    auroc: dict[str, float | None]
    selective: dict[str, dict[str, float]]
    risk_coverage: dict[str, Tensor] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A flat row: the scalar fields, ``auroc_<score>``, ``aurc_<score>`` and
        ``accuracy_at_<90|95>_<score>``."""
        row: dict[str, Any] = {
            "corruption": self.corruption,
            "severity": self.severity,
            "num_examples": self.num_examples,
            "accuracy": self.accuracy,
            "nll": self.nll,
            "ece": self.ece,
            "aleatoric": self.aleatoric,
            "epistemic": self.epistemic,
            "mean_confidence": self.mean_confidence,
        }
        row.update({f"auroc_{score}": value for score, value in self.auroc.items()})
        for score, values in self.selective.items():
            row.update({f"{name}_{score}": value for name, value in values.items()})
        return row


def _coverage_key(coverage: float) -> str:
    return f"accuracy_at_{round(coverage * 100)}"


def _stream(corruption: str) -> int:
    """A stable integer per corruption name (CRC-32), for its seeds."""
    return zlib.crc32(corruption.encode())


def _corrupted(data: ImageData, name: str, severity: int, seed: int) -> ImageData:
    generator = seeded_generator(derive_seed(seed, severity, _stream(name)))
    images = torch.cat(
        [
            corrupt(
                data.images[start : start + _CORRUPT_CHUNK], name, severity, generator=generator
            )
            for start in range(0, len(data), _CORRUPT_CHUNK)
        ]
    )
    return ImageData(images, data.labels, data.classes)


def _selective(
    prediction: Prediction, correct: Tensor
) -> tuple[dict[str, dict[str, float]], dict[str, Tensor]]:
    summaries: dict[str, dict[str, float]] = {}
    curves: dict[str, Tensor] = {}
    for score in SELECTIVE_SCORES:
        values = prediction.scores[score]
        summary = {"aurc": aurc(values, correct)}
        for coverage in COVERAGES:
            summary[_coverage_key(coverage)] = accuracy_at_coverage(values, correct, coverage)
        summaries[score] = summary
        _, risk = risk_coverage_curve(values, correct)
        index = (COVERAGE_GRID * len(risk) - 1e-9).ceil().long().clamp(1, len(risk)) - 1
        curves[score] = risk[index].float()
    return summaries, curves


def _record(
    name: str, severity: int, prediction: Prediction, clean: Prediction | None
) -> ShiftRecord:
    assert prediction.labels is not None and prediction.entropy is not None
    probs, labels = prediction.probs, prediction.labels
    correct = prediction.predicted == labels
    selective, curves = _selective(prediction, correct)
    auroc: dict[str, float | None] = {
        score: None
        if clean is None
        else ood_detection(clean.scores[score], prediction.scores[score]).auroc
        for score in AUROC_SCORES
    }
    return ShiftRecord(
        corruption=name,
        severity=severity,
        num_examples=len(prediction),
        accuracy=accuracy(probs, labels),
        nll=nll(probs, labels),
        ece=calibration_error(probs, labels, n_bins=defaults.ECE_BINS).ece,
        aleatoric=prediction.entropy.aleatoric.double().mean().item(),
        epistemic=prediction.entropy.epistemic.double().mean().item(),
        mean_confidence=probs.max(dim=-1).values.double().mean().item(),
        auroc=auroc,
        selective=selective,
        risk_coverage=curves,
    )


def _names(corruptions: Sequence[str] | None) -> list[str]:
    if corruptions is None:
        return CORRUPTIONS.names()
    if isinstance(corruptions, str):
        corruptions = [corruptions]
    names = []
    for name in corruptions:
        CORRUPTIONS.get(name)  # an unknown name raises, listing the choices
        names.append(name.strip().lower())
    if not names:
        raise InvalidArgumentError("name at least one corruption")
    return list(dict.fromkeys(names))


def evaluate_shift(
    model: nn.Module,
    data: ImageData,
    *,
    mean: Sequence[float],
    std: Sequence[float],
    corruptions: Sequence[str] | None = None,
    severities: Sequence[int] = SEVERITIES,
    samples: int | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
    batch_size: int = EVALUATION_BATCH_SIZE,
    chunk_size: int | None = None,
    progress: bool = True,
) -> list[ShiftRecord]:
    """Evaluate ``model`` on ``data`` clean and under each corruption at each severity.

    The model is moved to ``device``; inputs are ``(x / 255 - mean) / std``. Images are
    corrupted on the CPU, 1,000 at a time, by a generator seeded from ``(seed, severity,
    corruption)``; the model's weight noise is seeded likewise inside
    :func:`bayescnn.seeding.seeded`, so the caller's random state is untouched.

    Args:
        model: A trained classifier returning logits (Bayesian or plain).
        data: The labelled clean test images.
        mean, std: Per-channel normalisation of pixels scaled to [0, 1].
        corruptions: Registered corruption names (default: all of
            :func:`bayescnn.shift.list_corruptions`).
        severities: Severities from 1 to 5 (default: all five).
        samples: Posterior samples ``S`` per example (a plain network uses 1); None: the model's default
            (:func:`bayescnn.nn.default_samples`: 25, or 8 of each member of a network of members).
        seed: Base seed of the corruptions and of the weight noise.
        device: Where the model predicts.
        batch_size: Images per forward pass.
        chunk_size: Samples per vectorised forward pass (default: all at once).
        progress: show each pass's progress (:func:`bayescnn.train.with_progress`).

    Returns:
        The clean record (severity 0) first, then one per corruption and severity, in
        the order given.

    Raises:
        UnknownNameError: If a corruption is not registered.
        InvalidArgumentError: If a severity is not 1-5, none is given, or ``data`` is empty.
    """
    names = _names(corruptions)
    levels = list(dict.fromkeys(check_severity(severity) for severity in severities))
    if not levels:
        raise InvalidArgumentError("name at least one severity from 1 to 5")
    if len(data) == 0:
        raise InvalidArgumentError("the test set has no images")
    model.to(device)

    def predicted(images: ImageData, name: str, severity: int) -> Prediction:
        loader = evaluation_loader(images, mean=mean, std=std, batch_size=batch_size, device=device)
        noise_seed = derive_seed(seed, severity, _stream(name))
        with seeded(noise_seed, device, stream=Stream.TEST):
            return predict_loader(
                model,
                with_progress(loader, f"shift: {name} severity {severity}", enabled=progress),
                samples=samples,
                chunk_size=chunk_size,
                decomposition="entropy",
                scores=tuple(dict.fromkeys(AUROC_SCORES + SELECTIVE_SCORES)),
            )

    clean = predicted(data, CLEAN, 0)
    records = [_record(CLEAN, 0, clean, None)]
    log.info("shift: clean: accuracy %.4f", records[0].accuracy)
    for name in names:
        for severity in levels:
            prediction = predicted(_corrupted(data, name, severity, seed), name, severity)
            records.append(_record(name, severity, prediction, clean))
            log.info("shift: %s severity %d: accuracy %.4f", name, severity, records[-1].accuracy)
    return records

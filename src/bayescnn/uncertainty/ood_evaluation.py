"""A classifier's uncertainty on an in-distribution and an out-of-distribution set.

From ``S`` posterior samples per example (:func:`bayescnn.uncertainty.predict_loader`):
accuracy, NLL, Brier score and ECE/MCE (Guo et al., 2017) on the in-distribution set;
mean aleatoric/epistemic uncertainty per decomposition (softmax: Kwon et al., 2018,
eq. 4; normalized: Shridhar et al., 2018, eq. 15; entropy: Depeweg et al., 2018) for both
sets; and OOD detection metrics (Hendrycks & Gimpel, 2017) for every OOD score.
:func:`bayescnn.reports.uncertainty_report` writes them out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from bayescnn import defaults
from bayescnn.data import ImageData, evaluation_loader
from bayescnn.data.loader import EVALUATION_BATCH_SIZE
from bayescnn.deprecation import renamed_attribute
from bayescnn.errors import InvalidArgumentError
from bayescnn.metrics import (
    CalibrationResult,
    OODResult,
    accuracy,
    brier_score,
    calibration_error,
    nll,
    ood_detection,
)
from bayescnn.runtime.progress import with_progress
from bayescnn.uncertainty.prediction import Prediction, predict_loader
from bayescnn.uncertainty.summaries import DECOMPOSITIONS

__all__ = ["OODEvaluation", "check_ood_sets", "evaluate_ood"]


def _mean(values: torch.Tensor) -> float:
    return values.double().mean().item()


def _finite_or_none(values: torch.Tensor) -> list[float | None]:
    return [value if math.isfinite(value) else None for value in values.double().tolist()]


def _uncertainty_means(prediction: Prediction) -> dict[str, dict[str, float]]:
    """Mean aleatoric/epistemic parts (traces for the covariance decompositions)."""
    means: dict[str, dict[str, float]] = {}
    for name in ("softmax", "normalized"):
        decomposition = getattr(prediction, name)
        means[name] = {
            "aleatoric": _mean(decomposition.aleatoric_trace),
            "epistemic": _mean(decomposition.epistemic_trace),
        }
    entropy = prediction.entropy
    assert entropy is not None  # evaluate_ood predicts every decomposition
    means["entropy"] = {
        "aleatoric": _mean(entropy.aleatoric),
        "epistemic": _mean(entropy.epistemic),
        "total": _mean(entropy.total),
    }
    return means


@dataclass(frozen=True, eq=False)
class OODEvaluation:
    """Predictions on both sets and what is scored from them.

    Attributes:
        in_prediction: The in-distribution set's :class:`Prediction`, with its labels and
            every decomposition and OOD score.
        ood_prediction: The OOD set's, likewise (no labels).
        calibration_error: How far the in-distribution predictive is from calibrated:
            :func:`~bayescnn.metrics.calibration_error` in
            :data:`bayescnn.defaults.ECE_BINS` bins.
        detection: Per OOD score, how well it separates the OOD set from the other.
    """

    in_prediction: Prediction
    ood_prediction: Prediction
    calibration_error: CalibrationResult
    detection: dict[str, OODResult]

    calibration = renamed_attribute(
        "bayescnn.uncertainty.OODEvaluation.calibration",
        "bayescnn.uncertainty.OODEvaluation.calibration_error",
        "the metric's name",
    )

    def summary(self) -> dict[str, Any]:
        """The numbers as JSON-ready values: ``samples``, ``num_in``, ``num_out``,
        ``in_distribution`` (accuracy, nll, brier, ece, mce, calibration_bins),
        ``mean_confidence`` (in/out), ``uncertainty`` (per decomposition, in/out means
        of aleatoric and epistemic, plus total for entropy) and ``ood_detection`` (per
        score: auroc, aupr_in, aupr_out, fpr_at_95_tpr)."""
        pred_in, pred_out, calib = self.in_prediction, self.ood_prediction, self.calibration_error
        assert pred_in.labels is not None
        in_means, out_means = _uncertainty_means(pred_in), _uncertainty_means(pred_out)
        return {
            "samples": pred_in.samples,
            "num_in": len(pred_in),
            "num_out": len(pred_out),
            "in_distribution": {
                "accuracy": accuracy(pred_in.probs, pred_in.labels),
                "nll": nll(pred_in.probs, pred_in.labels),
                "brier": brier_score(pred_in.probs, pred_in.labels),
                "ece": calib.ece,
                "mce": calib.mce,
                "calibration_bins": {
                    "edges": calib.bin_edges.tolist(),
                    "confidence": _finite_or_none(calib.confidence),
                    "accuracy": _finite_or_none(calib.accuracy),
                    "count": calib.count.tolist(),
                },
            },
            "mean_confidence": {
                "in": _mean(pred_in.probs.max(dim=-1).values),
                "out": _mean(pred_out.probs.max(dim=-1).values),
            },
            "uncertainty": {
                name: {"in": in_means[name], "out": out_means[name]} for name in DECOMPOSITIONS
            },
            "ood_detection": {
                name: {
                    "auroc": result.auroc,
                    "aupr_in": result.aupr_in,
                    "aupr_out": result.aupr_out,
                    "fpr_at_95_tpr": result.fpr_at_95_tpr,
                }
                for name, result in self.detection.items()
            },
        }


def check_ood_sets(in_data: ImageData, ood_data: ImageData) -> None:
    """Raise :class:`InvalidArgumentError` unless both sets hold images of one shape."""
    if in_data.image_shape != ood_data.image_shape:
        raise InvalidArgumentError(
            f"OOD images {ood_data.image_shape} must match the in-distribution images "
            f"{in_data.image_shape} (C, H, W); build them with bayescnn.data.load_ood_set"
        )
    if len(in_data) == 0 or len(ood_data) == 0:
        raise InvalidArgumentError(
            "both the in-distribution and the OOD set need at least one example"
        )


def evaluate_ood(
    model: nn.Module,
    in_data: ImageData,
    ood_data: ImageData,
    *,
    mean: Sequence[float],
    std: Sequence[float],
    samples: int | None = None,
    batch_size: int = EVALUATION_BATCH_SIZE,
    device: str | torch.device = "cpu",
    chunk_size: int | None = None,
    progress: bool = True,
) -> OODEvaluation:
    """Predict on in- and out-of-distribution images and score calibration and detection.

    The model is moved to ``device``; inputs are ``(x / 255 - mean) / std``.

    Args:
        model: Trained classifier returning logits (Bayesian or plain).
        in_data: In-distribution test images with their labels.
        ood_data: OOD images of the same channels and size.
        mean, std: Per-channel normalisation of pixels scaled to [0, 1].
        samples: Posterior samples per example; None: the model's default
            (:func:`bayescnn.nn.default_samples`: 25, or 8 of each member of a network of members).
        batch_size: Examples per forward pass.
        device: Where the model and the images are evaluated.
        chunk_size: Samples per vectorised forward pass (default: all at once).
        progress: show each set's pass (:func:`bayescnn.runtime.with_progress`).
    """
    check_ood_sets(in_data, ood_data)
    model.to(device)

    def predicted(data: ImageData, desc: str) -> Prediction:
        loader = evaluation_loader(data, mean=mean, std=std, batch_size=batch_size, device=device)
        return predict_loader(
            model,
            with_progress(loader, desc, enabled=progress),
            samples=samples,
            chunk_size=chunk_size,
            decomposition="all",
        )

    pred_in = predicted(in_data, "in-distribution")
    pred_out = predicted(ood_data, "out-of-distribution")
    assert pred_in.labels is not None
    return OODEvaluation(
        in_prediction=pred_in,
        ood_prediction=pred_out,
        calibration_error=calibration_error(
            pred_in.probs, pred_in.labels, n_bins=defaults.ECE_BINS
        ),
        detection={
            name: ood_detection(pred_in.scores[name], pred_out.scores[name])
            for name in pred_in.scores
        },
    )

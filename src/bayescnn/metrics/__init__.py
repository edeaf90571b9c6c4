"""Evaluation metrics: accuracy, proper scoring rules, calibration and OOD detection."""

from bayescnn.metrics.calibration import CalibrationResult, calibration
from bayescnn.metrics.classification import accuracy, brier_score, nll
from bayescnn.metrics.ood import OODResult, ood_detection, ood_scores

__all__ = [
    "CalibrationResult",
    "OODResult",
    "accuracy",
    "brier_score",
    "calibration",
    "nll",
    "ood_detection",
    "ood_scores",
]

"""Evaluation metrics: accuracy, proper scoring rules, calibration and OOD detection.

Every metric takes tensors (predictive probabilities, labels, per-example scores); the
scores themselves are uncertainty measures, computed by :mod:`bayescnn.uncertainty`.
"""

from bayescnn.metrics.calibration import CalibrationResult, calibration
from bayescnn.metrics.classification import accuracy, brier_score, nll
from bayescnn.metrics.ood import OODResult, ood_detection

__all__ = [
    "CalibrationResult",
    "OODResult",
    "accuracy",
    "brier_score",
    "calibration",
    "nll",
    "ood_detection",
]

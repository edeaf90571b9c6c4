"""Evaluation metrics: accuracy, proper scoring rules, calibration error, OOD detection and
selective prediction.

Every metric takes tensors (predictive probabilities, labels, per-example scores); the
scores themselves are uncertainty measures, computed by :mod:`bayescnn.uncertainty`.
"""

from bayescnn.deprecation import renamed_function
from bayescnn.metrics.classification import accuracy, brier_score, nll
from bayescnn.metrics.ood import OODResult, ood_detection
from bayescnn.metrics.reliability import CalibrationResult, calibration_error
from bayescnn.metrics.selective import accuracy_at_coverage, aurc, risk_coverage_curve

__all__ = [
    "CalibrationResult",
    "OODResult",
    "accuracy",
    "accuracy_at_coverage",
    "aurc",
    "brier_score",
    "calibration_error",
    "nll",
    "ood_detection",
    "risk_coverage_curve",
]

calibration = renamed_function(
    "bayescnn.metrics.calibration",
    "bayescnn.metrics.calibration_error",
    calibration_error,
    note="calibration is what bayescnn.calibration does; this measures its error",
)

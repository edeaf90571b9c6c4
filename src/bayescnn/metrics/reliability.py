"""Expected and maximum calibration error with reliability-diagram data:
:func:`calibration_error`.

Naeini et al. (2015), "Obtaining Well Calibrated Probabilities Using Bayesian Binning";
Guo et al. (2017), "On Calibration of Modern Neural Networks".
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from bayescnn import defaults
from bayescnn.errors import InvalidArgumentError
from bayescnn.metrics._validation import check_probs_labels

__all__ = ["CalibrationResult", "calibration_error"]


@dataclass(frozen=True, eq=False)
class CalibrationResult:
    """Calibration errors and per-bin reliability-diagram data.

    Attributes:
        ece: Expected calibration error ``Σ_b (n_b/N) |acc_b - conf_b|``.
        mce: Maximum calibration error ``max_b |acc_b - conf_b|`` over non-empty bins.
        bin_edges: Bin edges ``0 = e_0 < ... < e_B = 1``, shape ``(B + 1,)``.
        confidence: Mean confidence per bin, ``NaN`` for empty bins, shape ``(B,)``.
        accuracy: Accuracy per bin, ``NaN`` for empty bins, shape ``(B,)``.
        count: Number of examples per bin (int64), shape ``(B,)``.
    """

    ece: float
    mce: float
    bin_edges: Tensor
    confidence: Tensor
    accuracy: Tensor
    count: Tensor


def calibration_error(
    probs: Tensor, labels: Tensor, n_bins: int = defaults.ECE_BINS
) -> CalibrationResult:
    """Bin predictions by confidence and compare confidence with accuracy.

    The confidence of example ``n`` is ``max_k p_nk`` and it is correct when the argmax
    is the label. Bins are ``B = n_bins`` equal-width intervals ``(e_{b-1}, e_b]`` of
    ``[0, 1]``, the first closed on the left so it also holds confidence 0. Then
    ECE ``= Σ_b (n_b/N) |acc_b - conf_b|`` and MCE ``= max_b |acc_b - conf_b|`` over
    non-empty bins (Naeini et al., 2015; Guo et al., 2017).

    Args:
        probs: Predictive probabilities, shape ``(N, K)``.
        labels: Integer class labels in ``[0, K)``, shape ``(N,)``.
        n_bins: Number of bins, ``>= 1``.

    Returns:
        The errors and per-bin data; see :class:`CalibrationResult`.
    """
    check_probs_labels(probs, labels)
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise InvalidArgumentError(f"n_bins must be an integer >= 1, got {n_bins!r}")
    probs = probs.detach().double()
    confidence, predicted = probs.max(dim=-1)
    correct = (predicted == labels).double()
    bin_edges = torch.linspace(0.0, 1.0, n_bins + 1, dtype=torch.float64, device=probs.device)
    # right=False gives e_{b-1} < x <= e_b; values <= e_1 (including 0) land in bin 0.
    bin_index = torch.bucketize(confidence, bin_edges[1:-1], right=False)

    count = torch.bincount(bin_index, minlength=n_bins)
    conf_sum = torch.zeros(n_bins, dtype=torch.float64, device=probs.device)
    conf_sum.index_add_(0, bin_index, confidence)
    correct_sum = torch.zeros_like(conf_sum).index_add_(0, bin_index, correct)

    nonempty = count > 0
    safe_count = count.clamp_min(1).double()
    nan = torch.tensor(float("nan"), dtype=torch.float64, device=probs.device)
    bin_confidence = torch.where(nonempty, conf_sum / safe_count, nan)
    bin_accuracy = torch.where(nonempty, correct_sum / safe_count, nan)

    gaps = (bin_accuracy[nonempty] - bin_confidence[nonempty]).abs()
    weights = count[nonempty].double() / confidence.shape[0]
    return CalibrationResult(
        ece=(weights * gaps).sum().item(),
        mce=gaps.max().item(),
        bin_edges=bin_edges,
        confidence=bin_confidence,
        accuracy=bin_accuracy,
        count=count,
    )

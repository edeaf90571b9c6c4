"""Out-of-distribution (OOD) detection metrics and uncertainty scores.

Convention: a score is *higher for examples more likely to be out of distribution*.
OOD examples are the positive class. Metrics follow Hendrycks & Gimpel (2017), "A
Baseline for Detecting Misclassified and Out-of-Distribution Examples in Neural
Networks".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve
from torch import Tensor

from bayescnn.uncertainty.decomposition import (
    covariance_decomposition,
    entropy_decomposition,
)

__all__ = ["OODResult", "ood_detection", "ood_scores"]

_TARGET_TPR = 0.95

Scores = Tensor | NDArray[np.floating] | Sequence[float]


@dataclass(frozen=True)
class OODResult:
    """Threshold-free and fixed-recall OOD detection metrics.

    Attributes:
        auroc: Area under the ROC curve with OOD as positive; the probability that a
            random OOD example scores above a random in-distribution one (ties count 1/2).
        aupr_in: Average precision with in-distribution as positive and scores negated.
        aupr_out: Average precision with OOD as positive.
        fpr_at_95_tpr: Fraction of in-distribution examples flagged OOD (``score >= t``)
            at the highest threshold ``t`` that flags at least 95% of OOD examples.
    """

    auroc: float
    aupr_in: float
    aupr_out: float
    fpr_at_95_tpr: float


def _as_scores(scores: Scores, name: str) -> NDArray[np.float64]:
    """Convert ``scores`` to a finite, non-empty 1-D float64 array, or raise."""
    if isinstance(scores, Tensor):
        array = scores.detach().cpu().double().numpy()
    else:
        array = np.asarray(scores, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must be non-empty")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return array


def ood_detection(scores_in: Scores, scores_out: Scores) -> OODResult:
    """Evaluate how well a score separates OOD from in-distribution examples.

    OOD examples are positives and higher scores mean "more likely OOD". AUROC and the
    average precisions use scikit-learn's ``roc_auc_score`` and
    ``average_precision_score``. FPR@95%TPR takes the first point of ``roc_curve``
    (thresholds decreasing) whose TPR is ``>= 0.95`` and reports its FPR, with no
    interpolation.

    Args:
        scores_in: Scores of in-distribution examples, shape ``(N_in,)``.
        scores_out: Scores of OOD examples, shape ``(N_out,)``.

    Returns:
        The metrics; see :class:`OODResult`.
    """
    s_in = _as_scores(scores_in, "scores_in")
    s_out = _as_scores(scores_out, "scores_out")
    scores = np.concatenate([s_in, s_out])
    is_out = np.concatenate([np.zeros(s_in.size, dtype=int), np.ones(s_out.size, dtype=int)])

    fpr, tpr, _ = roc_curve(is_out, scores, drop_intermediate=False)
    first_reaching = int(np.argmax(tpr >= _TARGET_TPR))
    return OODResult(
        auroc=float(roc_auc_score(is_out, scores)),
        aupr_in=float(average_precision_score(1 - is_out, -scores)),
        aupr_out=float(average_precision_score(is_out, scores)),
        fpr_at_95_tpr=float(fpr[first_reaching]),
    )


def ood_scores(probs: Tensor | None = None, logits: Tensor | None = None) -> dict[str, Tensor]:
    """Standard per-example OOD scores from Monte-Carlo samples (higher = more OOD).

    Give exactly one of ``probs`` or ``logits`` (as in
    ``torch.distributions.Categorical``); logits are turned into ``softmax(logits)``.
    With ``p̄`` the predictive distribution, the scores are:

    * ``"max_prob"``: ``1 - max_k p̄_k`` (Hendrycks & Gimpel, 2017);
    * ``"entropy"``: predictive entropy ``H[p̄]``;
    * ``"mutual_info"``: ``H[p̄] - mean_t H[p_t]`` (Depeweg et al., 2018);
    * ``"aleatoric_trace"`` / ``"epistemic_trace"``: traces of the covariance
      decomposition (Kwon et al., 2018, eq. 4).

    Args:
        probs: Probability samples, shape ``(S, N, K)``.
        logits: Logit samples, shape ``(S, N, K)``.

    Returns:
        A dict from score name to a tensor of shape ``(N,)``.
    """
    if (probs is None) == (logits is None):
        raise ValueError("give exactly one of probs or logits")
    if probs is None:
        if not isinstance(logits, Tensor) or not logits.is_floating_point():
            raise TypeError("logits must be a floating-point torch.Tensor")
        if logits.ndim != 3:
            raise ValueError(f"logits must have shape (S, N, K), got {tuple(logits.shape)}")
        probs = torch.softmax(logits, dim=-1)
    entropies = entropy_decomposition(probs)
    covariances = covariance_decomposition(probs)
    return {
        "max_prob": 1.0 - entropies.predictive.max(dim=-1).values,
        "entropy": entropies.total,
        "mutual_info": entropies.epistemic,
        "aleatoric_trace": covariances.aleatoric_trace,
        "epistemic_trace": covariances.epistemic_trace,
    }

"""Out-of-distribution (OOD) detection metrics of per-example scores.

Convention: a score is *higher for examples more likely to be out of distribution*, as
are those of :func:`bayescnn.uncertainty.ood_scores`. OOD examples are the positive class.
Metrics follow Hendrycks & Gimpel (2017), "A Baseline for Detecting Misclassified and
Out-of-Distribution Examples in Neural Networks".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from torch import Tensor

from bayescnn.errors import InvalidArgumentError, InvalidTypeError

__all__ = ["OODResult", "ood_detection"]

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

    def not_numbers(dtype: object, first: list[object]) -> InvalidTypeError:
        example = f" such as {first[0]!r}" if first else ""
        return InvalidTypeError(
            f"{name} must be a sequence of numbers (a 1-D tensor, NumPy array or list of "
            f"floats), got a {type(scores).__name__} of {dtype} values{example}"
        )

    if isinstance(scores, Tensor):
        if scores.is_complex():
            raise not_numbers(scores.dtype, scores.flatten()[:1].tolist())
        array = scores.detach().cpu().double().numpy()
    else:
        try:
            array = np.asarray(scores)
        except ValueError as error:  # ragged nested sequences
            raise InvalidArgumentError(f"{name} must be 1-D: {error}") from None
        if array.dtype.kind not in "biuf":  # booleans, integers and reals: not text, objects
            raise not_numbers(array.dtype.name, array.reshape(-1)[:1].tolist())
        array = array.astype(np.float64)
    if array.ndim != 1:
        raise InvalidArgumentError(f"{name} must be 1-D, got shape {array.shape}")
    if array.size == 0:
        raise InvalidArgumentError(f"{name} must be non-empty")
    if not np.isfinite(array).all():
        raise InvalidArgumentError(f"{name} must be finite (no NaN or inf)")
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

    Raises:
        InvalidTypeError: If a set of scores holds something other than real numbers.
        InvalidArgumentError: If a set of scores is empty, not 1-D or not finite.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

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

"""Selective prediction: risk–coverage curves, their area (AURC), accuracy at a coverage.

A classifier that may abstain keeps the examples it is most sure of and rejects the
rest. With a per-example uncertainty score ``u`` (higher = less sure, as the scores of
:mod:`bayescnn.uncertainty`), sort the ``N`` examples by increasing ``u`` and keep the
first ``k``: the *coverage* is ``k/N`` and the *selective risk* is the error rate among
the kept, ``r(k) = E(k) / k`` with ``E(k)`` their number of errors (El-Yaniv & Wiener,
2010; Geifman & El-Yaniv, 2017, "Selective Classification for Deep Neural Networks").

The area under the risk–coverage curve is ``AURC = (1/N) Σ_{k=1}^{N} r(k)``, the mean
selective risk over the coverages ``1/N, 2/N, ..., 1`` (Geifman et al., 2019, "Bias-Reduced
Uncertainty Estimation for Deep Neural Classifiers"): lower is better. A score that
ranks every error last reaches the least possible AURC for the error rate; a constant
score gives ``AURC = r(N)``, the plain error rate.

Ties: examples of equal score are taken together or not at all by any threshold, so
within a run of ``n`` tied examples holding ``e`` errors, ``E(k)`` grows by ``e/n`` per
example, the expected count under a random order of the ties. The curve and its area are
then independent of the order the examples come in.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from bayescnn.errors import InvalidArgumentError, InvalidTypeError

__all__ = ["accuracy_at_coverage", "aurc", "risk_coverage_curve"]


def _check(scores: Tensor, correct: Tensor) -> tuple[Tensor, Tensor]:
    """Validated float64 ``scores`` ``(N,)`` and float64 0/1 ``correct`` ``(N,)``."""
    for name, value in (("scores", scores), ("correct", correct)):
        if not isinstance(value, Tensor):
            raise InvalidTypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
        if value.ndim != 1:
            raise InvalidArgumentError(f"{name} must be 1-D, got shape {tuple(value.shape)}")
    if scores.shape != correct.shape:
        raise InvalidArgumentError(
            f"scores and correct disagree on N: {scores.shape[0]} scores, "
            f"{correct.shape[0]} correct flags"
        )
    if scores.numel() == 0:
        raise InvalidArgumentError("scores and correct must be non-empty")
    if scores.dtype == torch.bool or scores.is_complex():
        raise InvalidTypeError(f"scores must be real numbers, got {scores.dtype}")
    scores = scores.detach().double().cpu()
    if not torch.isfinite(scores).all():
        raise InvalidArgumentError("scores must be finite (no NaN or inf)")
    correct = correct.detach().cpu()
    if not bool(((correct == 0) | (correct == 1)).all()):
        raise InvalidArgumentError("correct must hold only 0/1 (or False/True) values")
    return scores, correct.double()


def risk_coverage_curve(scores: Tensor, correct: Tensor) -> tuple[Tensor, Tensor]:
    """The selective risk at every coverage ``k/N``, keeping the lowest scores first.

    ``risk[k-1] = E(k) / k`` with ``E(k)`` the errors among the ``k`` examples of
    lowest score; within a run of tied scores errors are spread evenly (the expectation
    over the order of the ties), so the result does not depend on the input order.

    Args:
        scores: Per-example uncertainty, higher = less sure (rejected first), ``(N,)``.
        correct: Whether each prediction is right (bool or 0/1), ``(N,)``.

    Returns:
        ``(coverage, risk)``, both float64 ``(N,)``: ``coverage = (1, ..., N) / N``.

    Raises:
        InvalidArgumentError: If the inputs are empty, not 1-D, of different lengths,
            the scores are not finite or ``correct`` is not 0/1.
    """
    scores, correct = _check(scores, correct)
    count = scores.numel()
    order = torch.argsort(scores, stable=True)
    sorted_scores, errors = scores[order], 1.0 - correct[order]
    _, group, group_size = torch.unique_consecutive(
        sorted_scores, return_inverse=True, return_counts=True
    )
    group_errors = torch.zeros(group_size.numel(), dtype=torch.float64).index_add_(0, group, errors)
    spread = (group_errors / group_size.double())[group]  # e/n for each tied example
    kept = torch.arange(1, count + 1, dtype=torch.float64)
    return kept / count, spread.cumsum(0) / kept


def aurc(scores: Tensor, correct: Tensor) -> float:
    """Area under the risk–coverage curve, ``AURC = (1/N) Σ_{k=1}^{N} E(k) / k``.

    The mean selective risk over the coverages ``k/N`` (Geifman et al., 2019); in
    ``[0, 1]``, lower is better. See :func:`risk_coverage_curve` for ``E(k)`` and ties.

    Args:
        scores: Per-example uncertainty, higher = less sure, ``(N,)``.
        correct: Whether each prediction is right (bool or 0/1), ``(N,)``.
    """
    _, risk = risk_coverage_curve(scores, correct)
    return risk.mean().item()


def accuracy_at_coverage(scores: Tensor, correct: Tensor, coverage: float) -> float:
    """Accuracy on the ``k = ⌈coverage · N⌉`` examples of lowest score, ``1 - E(k)/k``.

    Args:
        scores: Per-example uncertainty, higher = less sure, ``(N,)``.
        correct: Whether each prediction is right (bool or 0/1), ``(N,)``.
        coverage: The fraction of examples kept, in ``(0, 1]`` (e.g. 0.9).

    Raises:
        InvalidArgumentError: If ``coverage`` is outside ``(0, 1]``, or as
            :func:`risk_coverage_curve`.
    """
    if isinstance(coverage, bool) or not isinstance(coverage, int | float):
        raise InvalidTypeError(f"coverage must be a number, got {type(coverage).__name__}")
    if not 0.0 < coverage <= 1.0:
        raise InvalidArgumentError(f"coverage must be in (0, 1], got {coverage}")
    _, risk = risk_coverage_curve(scores, correct)
    kept = max(1, math.ceil(coverage * risk.numel() - 1e-9))
    return 1.0 - risk[kept - 1].item()

"""Proper scoring rules and accuracy for probabilistic classifiers.

All metrics take predictive probabilities ``probs`` of shape ``(N, K)`` (e.g. the
Monte-Carlo average :func:`bayescnn.uncertainty.decomposition.predictive_probs`) and
integer ``labels`` of shape ``(N,)``, and return a Python float averaged over examples.
"""

from __future__ import annotations

import torch
from torch import Tensor

from bayescnn.errors import InvalidArgumentError
from bayescnn.metrics._validation import check_probs_labels

__all__ = ["accuracy", "brier_score", "nll"]


def accuracy(probs: Tensor, labels: Tensor) -> float:
    """Fraction of examples whose most probable class is the label.

    ``(1/N) Σ_n 1[argmax_k p_nk = y_n]``; ties go to the lowest class index.

    Args:
        probs: Predictive probabilities, shape ``(N, K)``.
        labels: Integer class labels in ``[0, K)``, shape ``(N,)``.

    Returns:
        Accuracy in ``[0, 1]``.
    """
    check_probs_labels(probs, labels)
    return (probs.argmax(dim=-1) == labels).double().mean().item()


def nll(probs: Tensor, labels: Tensor, *, eps: float = 1e-12) -> float:
    """Mean negative log predictive probability of the label, in nats.

    ``-(1/N) Σ_n log max(p_{n,y_n}, eps)``; the clamp keeps a zero probability finite
    (at most ``-log eps``, about 27.6 nats for the default).

    Args:
        probs: Predictive probabilities, shape ``(N, K)``.
        labels: Integer class labels in ``[0, K)``, shape ``(N,)``.
        eps: Smallest probability used inside the log; must be in ``(0, 1]``.

    Returns:
        The negative log-likelihood, ``>= 0``.
    """
    check_probs_labels(probs, labels)
    if not 0.0 < eps <= 1.0:
        raise InvalidArgumentError(f"eps must be in (0, 1], got {eps}")
    label_probs = probs.double().gather(-1, labels.long().unsqueeze(-1)).squeeze(-1)
    return (-label_probs.clamp_min(eps).log()).mean().item()


def brier_score(probs: Tensor, labels: Tensor) -> float:
    """Brier score, the mean squared distance to the one-hot label (Brier, 1950).

    ``(1/N) Σ_n Σ_k (p_nk - y_nk)²`` with ``y_n`` one-hot; ranges over ``[0, 2]``.

    Args:
        probs: Predictive probabilities, shape ``(N, K)``.
        labels: Integer class labels in ``[0, K)``, shape ``(N,)``.

    Returns:
        The Brier score.
    """
    check_probs_labels(probs, labels)
    one_hot = torch.nn.functional.one_hot(labels.long(), num_classes=probs.shape[1])
    return (probs.double() - one_hot.double()).square().sum(dim=-1).mean().item()

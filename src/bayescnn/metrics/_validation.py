"""Input validation shared by the classification and calibration metrics."""

from __future__ import annotations

import torch
from torch import Tensor

from bayescnn.errors import InvalidArgumentError, InvalidTypeError

__all__ = ["check_probs_labels"]


def check_probs_labels(probs: Tensor, labels: Tensor) -> None:
    """Raise if ``probs`` ``(N, K)`` and ``labels`` ``(N,)`` are not a valid pair.

    Requires a non-empty floating ``probs`` with entries in ``[0, 1]`` and integer
    ``labels`` in ``[0, K)`` with one label per row of ``probs``.

    Raises:
        InvalidTypeError: If an argument is not a tensor or has the wrong dtype.
        InvalidArgumentError: On shape mismatch, empty input, or out-of-range values.
    """
    for name, value in (("probs", probs), ("labels", labels)):
        if not isinstance(value, Tensor):
            raise InvalidTypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if probs.ndim != 2:
        raise InvalidArgumentError(f"probs must have shape (N, K), got {tuple(probs.shape)}")
    if labels.ndim != 1:
        raise InvalidArgumentError(f"labels must have shape (N,), got {tuple(labels.shape)}")
    if probs.shape[0] != labels.shape[0]:
        raise InvalidArgumentError(
            f"probs and labels disagree on N: {probs.shape[0]} rows of probs, "
            f"{labels.shape[0]} labels"
        )
    if probs.numel() == 0:
        raise InvalidArgumentError(f"probs must be non-empty, got shape {tuple(probs.shape)}")
    if not probs.is_floating_point():
        raise InvalidTypeError(f"probs must be a floating-point tensor, got {probs.dtype}")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise InvalidTypeError(f"labels must be an integer tensor, got {labels.dtype}")
    if bool(((probs < 0) | (probs > 1) | probs.isnan()).any()):
        raise InvalidArgumentError("probs must have entries in [0, 1]")
    n_classes = probs.shape[1]
    if bool(((labels < 0) | (labels >= n_classes)).any()):
        raise InvalidArgumentError(
            f"labels must lie in [0, {n_classes}) for {n_classes} classes, got values in "
            f"[{int(labels.min())}, {int(labels.max())}]"
        )

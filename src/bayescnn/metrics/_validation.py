"""Input validation shared by the metrics, the decompositions and the temperature fit.

One checker per kind of input, so that every function refuses bad numbers with the same
words: :func:`check_probabilities` for probability vectors, :func:`check_labels` for class
indices, and :func:`check_probs_labels` for the pair the metrics take.
"""

from __future__ import annotations

import torch
from torch import Tensor

from bayescnn.errors import InvalidArgumentError, InvalidTypeError

__all__ = [
    "PROBABILITY_SUM_TOLERANCE",
    "check_labels",
    "check_probabilities",
    "check_probs_labels",
]

PROBABILITY_SUM_TOLERANCE = 1e-4
"""How far from 1 a probability vector may sum (absolute), for float32 and float64.

A float32 softmax sums to 1 within about 1e-6; a lower precision (float16, bfloat16) may
be off by its machine epsilon, which is then the tolerance."""

_NAMED = 5
"""How many offending rows an error message names."""


def _sum_tolerance(dtype: torch.dtype) -> float:
    return max(PROBABILITY_SUM_TOLERANCE, torch.finfo(dtype).eps)


def _first(indices: Tensor, count: int) -> str:
    """The first :data:`_NAMED` of ``indices`` ``(M, D)`` as text: ``3, 8`` or ``(0, 3), (1, 8)``."""
    named = [tuple(row) for row in indices[:_NAMED].tolist()]
    text = ", ".join(str(index[0]) if len(index) == 1 else str(index) for index in named)
    return text + (", ..." if count > _NAMED else "")


def check_probabilities(probs: Tensor, name: str = "probs") -> None:
    """Raise unless every vector along the last dimension of ``probs`` is a distribution.

    Each row ``p`` (the last dimension; the leading ones index rows, e.g. ``(N, K)`` or
    ``(S, N, K)``) must be finite, have ``0 <= p_k <= 1`` and ``|Σ_k p_k - 1| <= tol``
    with ``tol =`` :data:`PROBABILITY_SUM_TOLERANCE` (or the dtype's machine epsilon when
    larger). One vectorised pass decides; only a refused tensor is looked at further.

    Args:
        probs: A floating-point tensor of probability vectors, at least 1-D.
        name: How the message names the tensor.

    Raises:
        InvalidTypeError: If ``probs`` is not a floating-point tensor.
        InvalidArgumentError: Naming how many rows are not distributions, the first few
            of them, and what is wrong with them.
    """
    if not isinstance(probs, Tensor) or not probs.is_floating_point():
        what = probs.dtype if isinstance(probs, Tensor) else type(probs).__name__
        raise InvalidTypeError(f"{name} must be a floating-point tensor, got {what}")
    tolerance = _sum_tolerance(probs.dtype)
    rows = probs.detach()
    # NaN fails every comparison, so these two tests also refuse NaN (and inf) rows.
    in_range = ((rows >= 0) & (rows <= 1)).all(dim=-1)
    sums = rows.sum(dim=-1, dtype=torch.float64)
    sums_to_one = (sums - 1).abs() <= tolerance
    bad = ~(in_range & sums_to_one)
    if not bool(bad.any()):
        return
    not_finite = ~torch.isfinite(rows).all(dim=-1)
    outside = ~not_finite & ~in_range
    off_simplex = ~not_finite & ~sums_to_one
    reasons = []
    if bool(not_finite.any()):
        reasons.append(f"{int(not_finite.sum()):,} not finite (NaN or inf)")
    if bool(outside.any()):
        reasons.append(f"{int(outside.sum()):,} with entries outside [0, 1]")
    if bool(off_simplex.any()):
        first = tuple(off_simplex.nonzero()[0].tolist())
        where = first[0] if len(first) == 1 else first
        reasons.append(
            f"{int(off_simplex.sum()):,} not summing to 1 (row {where} sums to "
            f"{float(sums[first]):.6g})"
        )
    count = int(bad.sum())
    raise InvalidArgumentError(
        f"{name} must hold probability vectors along the last dimension (finite, in [0, 1], "
        f"summing to 1 within {tolerance:g}), but {count:,} of {bad.numel():,} rows "
        f"{'is' if count == 1 else 'are'} not ({'row' if count == 1 else 'rows'} "
        f"{_first(bad.nonzero(), count)}): {', '.join(reasons)}"
    )


def check_labels(labels: Tensor, n_classes: int, name: str = "labels") -> None:
    """Raise unless ``labels`` is an integer tensor of class indices in ``[0, n_classes)``.

    Raises:
        InvalidTypeError: If it is not an integer tensor.
        InvalidArgumentError: Naming the first label out of range and its position.
    """
    if not isinstance(labels, Tensor):
        raise InvalidTypeError(f"{name} must be a torch.Tensor, got {type(labels).__name__}")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise InvalidTypeError(f"{name} must be an integer tensor, got {labels.dtype}")
    outside = (labels < 0) | (labels >= n_classes)
    if not bool(outside.any()):
        return
    positions = outside.nonzero()
    first = tuple(positions[0].tolist())
    where = first[0] if len(first) == 1 else first
    count = positions.shape[0]
    more = f" ({count:,} of {labels.numel():,} are out of range)" if count > 1 else ""
    raise InvalidArgumentError(
        f"{name} must lie in [0, {n_classes}) (class indices for {n_classes} classes), got "
        f"{int(labels[first])} at position {where}{more}"
    )


def check_probs_labels(probs: Tensor, labels: Tensor) -> None:
    """Raise if ``probs`` ``(N, K)`` and ``labels`` ``(N,)`` are not a valid pair.

    Requires a non-empty floating ``probs`` whose rows are probability vectors
    (:func:`check_probabilities`) and integer ``labels`` in ``[0, K)`` with one label per
    row of ``probs`` (:func:`check_labels`).

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
    check_labels(labels, probs.shape[1])
    check_probabilities(probs)

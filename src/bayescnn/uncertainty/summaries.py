"""Each batch of logit samples reduced to per-example summaries: :func:`summarise_batch`.

For ``S`` logit samples ``f_t(x)`` of a batch, only per-example summaries are kept: the
predictive distribution ``p̄ = (1/S) Σ_t softmax(f_t(x))``, the requested decompositions
of :mod:`bayescnn.uncertainty.decomposition`, and the requested OOD scores, so memory grows
as ``N x K``, never ``S x N x K``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from torch import Tensor

from bayescnn.errors import UnknownNameError
from bayescnn.uncertainty.decomposition import Decomposition, EntropyDecomposition
from bayescnn.uncertainty.scores import OOD_SCORES, MonteCarloSamples, list_ood_scores

__all__ = [
    "DECOMPOSITIONS",
    "BatchSummary",
    "parse_decompositions",
    "parse_scores",
    "summarise_batch",
]

DECOMPOSITIONS = ("softmax", "normalized", "entropy")
"""Names of the decompositions :func:`bayescnn.uncertainty.predict` can compute."""

_DECOMPOSITION_SOURCES = {"softmax": "covariance", "normalized": "normalized", "entropy": "entropy"}
"""Each decomposition's attribute of :class:`MonteCarloSamples` (of softmax probabilities)."""


def parse_decompositions(decomposition: str | Sequence[str]) -> tuple[str, ...]:
    """``'all'``, ``'none'``, one decomposition's name, or a sequence of names -> names."""
    if decomposition == "none":
        return ()
    if decomposition == "all":
        names: tuple[str, ...] = DECOMPOSITIONS
    elif isinstance(decomposition, str):
        names = (decomposition,)
    else:
        names = tuple(decomposition)
    unknown = [name for name in names if name not in DECOMPOSITIONS]
    if unknown:
        raise UnknownNameError(
            f"unknown decomposition(s) {unknown!r}; choose 'all', 'none' or any of "
            f"{', '.join(DECOMPOSITIONS)}"
        )
    return names


def parse_scores(scores: str | Sequence[str]) -> tuple[str, ...]:
    """``'all'``, ``'none'``, one score name, or a sequence of names -> registered names."""
    if scores == "all":
        return tuple(list_ood_scores())
    if scores == "none":
        return ()
    names = (scores,) if isinstance(scores, str) else tuple(scores)
    return tuple(dict.fromkeys(OOD_SCORES.get(name).name for name in names))


@dataclass(frozen=True)
class BatchSummary:
    """Per-example summaries of one batch, float32 on the CPU.

    Attributes:
        probs: Predictive probabilities ``p̄``, ``(B, K)``.
        decompositions: Per requested decomposition, its fields by name.
        scores: Per requested OOD score, its values ``(B,)``.
    """

    probs: Tensor
    decompositions: dict[str, dict[str, Tensor]]
    scores: dict[str, Tensor]


def _float32_cpu(decomposition: Decomposition | EntropyDecomposition) -> dict[str, Tensor]:
    """The decomposition's per-example tensors as float32 on the CPU (full matrices dropped)."""
    values = {}
    for field in fields(decomposition):
        value = getattr(decomposition, field.name)
        if value is not None:
            values[field.name] = value.float().cpu()
    return values


def summarise_batch(
    logits: Tensor,
    decompositions: Sequence[str],
    scores: Sequence[str],
    *,
    pooled_temperature: float | None = None,
) -> BatchSummary:
    """Reduce one batch of logit samples ``(S, B, K)`` to per-example summaries.

    The softmax and each decomposition are computed at most once, and only if a requested
    decomposition or score needs them; decompositions and scores share them. They are computed in float64
    (the mutual information is a difference of nearly equal entropies) and stored in
    float32.

    Args:
        logits: Logit samples ``(S, B, K)``.
        decompositions: Names from :data:`DECOMPOSITIONS`.
        scores: Registered OOD score names.
        pooled_temperature: The model's pooled-form temperature, if it has one: the
            predictive is ``softmax(log p̄ / T)`` (:class:`MonteCarloSamples`).
    """
    if logits.device.type == "mps":  # no float64 there
        logits = logits.cpu()
    samples = MonteCarloSamples(logits=logits.double(), pooled_temperature=pooled_temperature)
    return BatchSummary(
        probs=samples.predictive.float().cpu(),
        decompositions={
            name: _float32_cpu(getattr(samples, _DECOMPOSITION_SOURCES[name]))
            for name in decompositions
        },
        scores={name: score.float().cpu() for name, score in samples.ood_scores(scores).items()},
    )

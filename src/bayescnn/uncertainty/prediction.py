"""The result of Monte-Carlo prediction, and how it is built one batch at a time.

For ``S`` logit samples ``f_t(x)`` of a batch, :func:`summarise_batch` keeps only
per-example summaries: the predictive distribution ``p̄ = (1/S) Σ_t softmax(f_t(x))``,
the requested decompositions of :mod:`bayescnn.uncertainty.decomposition`, and the
requested OOD scores. :func:`join_batches` concatenates them into one :class:`Prediction`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import torch
from torch import Tensor

from bayescnn.deprecation import module_getattr
from bayescnn.uncertainty.decomposition import Decomposition, EntropyDecomposition
from bayescnn.uncertainty.scores import MonteCarloSamples

__all__ = ["DECOMPOSITIONS", "BatchSummary", "Prediction", "join_batches", "summarise_batch"]

DECOMPOSITIONS = ("softmax", "normalized", "entropy")
"""Names of the decompositions :func:`bayescnn.uncertainty.predict` can compute."""

_DECOMPOSITION_SOURCES = {"softmax": "covariance", "normalized": "normalized", "entropy": "entropy"}
"""Each decomposition's attribute of :class:`MonteCarloSamples` (of softmax probabilities)."""

__getattr__ = module_getattr(__name__, {"METHODS": "bayescnn.uncertainty.DECOMPOSITIONS"})


@dataclass(frozen=True, eq=False)
class Prediction:
    """Per-example predictive distribution and uncertainty of ``N`` examples (on the CPU).

    Attributes:
        probs: Predictive probabilities ``p̄ = mean_t softmax(f_t)`` (``softmax(log p̄ / T)``
            for a model with a pooled temperature), float32 ``(N, K)``.
        predicted: ``argmax_k p̄_k``, int64 ``(N,)``.
        labels: True labels, int64 ``(N,)``, or ``None`` if none were given.
        softmax: Softmax covariance decomposition (Kwon et al., 2018, eq. 4): per-class
            diagonals ``(N, K)`` and traces ``(N,)``; ``None`` if not requested.
        normalized: Softplus-normalised decomposition (Shridhar et al., 2018, eq. 15);
            ``None`` if not requested.
        entropy: Entropy decomposition ``H[p̄] = mean_t H[p_t] + I`` in nats (Depeweg et
            al., 2018); ``None`` if not requested.
        scores: The requested OOD scores of :data:`bayescnn.uncertainty.OOD_SCORES`
            (higher = more OOD), each ``(N,)``, by name; empty if none were requested.
        samples: Number of Monte-Carlo samples ``S`` behind the summaries.
    """

    probs: Tensor
    predicted: Tensor
    labels: Tensor | None
    softmax: Decomposition | None
    normalized: Decomposition | None
    entropy: EntropyDecomposition | None
    scores: dict[str, Tensor]
    samples: int

    def __len__(self) -> int:
        return self.probs.shape[0]

    @property
    def num_classes(self) -> int:
        """Number of classes ``K``."""
        return self.probs.shape[1]


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


def _concat_dicts(parts: list[dict[str, Tensor]]) -> dict[str, Tensor]:
    return {key: torch.cat([part[key] for part in parts]) for key in parts[0]}


def join_batches(
    parts: Sequence[BatchSummary],
    labels: Tensor | None,
    *,
    decompositions: Sequence[str],
    samples: int,
) -> Prediction:
    """Concatenate the summaries of consecutive batches into one :class:`Prediction`.

    Args:
        parts: At least one batch summary, all for the same ``decompositions`` and scores.
        labels: The labels of all batches, concatenated, or ``None``.
        decompositions: The decompositions the summaries hold; the others are ``None``.
        samples: Monte-Carlo samples ``S`` behind the summaries.
    """

    def joined(name: str) -> dict[str, Tensor] | None:
        if name not in decompositions:
            return None
        return _concat_dicts([part.decompositions[name] for part in parts])

    softmax, normalized, entropy = joined("softmax"), joined("normalized"), joined("entropy")
    probs = torch.cat([part.probs for part in parts])
    return Prediction(
        probs=probs,
        predicted=probs.argmax(dim=-1),
        labels=labels,
        softmax=None if softmax is None else Decomposition(**softmax),
        normalized=None if normalized is None else Decomposition(**normalized),
        entropy=None if entropy is None else EntropyDecomposition(**entropy),
        scores=_concat_dicts([part.scores for part in parts]),
        samples=samples,
    )

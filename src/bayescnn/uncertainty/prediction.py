"""Monte-Carlo prediction with per-example uncertainty: :func:`predict`,
:func:`predict_loader` and :func:`predict_from_logits`, and their :class:`Prediction`.

For ``S`` posterior samples of the logits ``f_t(x)`` (Blundell et al., 2015, "Weight
Uncertainty in Neural Networks"), the predictive distribution is
``p̄ = (1/S) Σ_t softmax(f_t(x))`` and its uncertainty is split into aleatoric and
epistemic parts by the decompositions of :mod:`bayescnn.uncertainty.decomposition`:
softmax (Kwon et al., 2018, eq. 4), softplus-normalised (Shridhar et al., 2018, eq. 15)
and entropy (Depeweg et al., 2018). The samples come from the one Monte-Carlo loop
(:func:`~bayescnn.uncertainty.sampled_batches`); each batch is reduced to per-example
summaries at once (:mod:`bayescnn.uncertainty.summaries`), so memory grows as ``N x K``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from bayescnn import defaults
from bayescnn.calibration.temperature import (
    TemperatureForm,
    divide_by_temperature,
    pooled_temperature,
    temperature_form,
    temperature_of,
)
from bayescnn.deprecation import module_getattr, renamed_keyword
from bayescnn.errors import InvalidArgumentError
from bayescnn.nn import BayesianLayer
from bayescnn.uncertainty.decomposition import Decomposition, EntropyDecomposition
from bayescnn.uncertainty.logit_samples import sampled_batches
from bayescnn.uncertainty.summaries import (
    BatchSummary,
    parse_decompositions,
    parse_scores,
    summarise_batch,
)

__all__ = [
    "Prediction",
    "UncalibratedWarning",
    "join_batches",
    "predict",
    "predict_from_logits",
    "predict_loader",
]

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


@renamed_keyword("bayescnn.predict_loader", "method", "decomposition")
def predict_loader(
    model: nn.Module,
    batches: Iterable[tuple[Tensor, Tensor]] | Iterable[Tensor],
    *,
    samples: int | None = None,
    chunk_size: int | None = None,
    decomposition: str | Sequence[str] = "all",
    scores: str | Sequence[str] = "all",
    posterior_mean: bool = False,
    calibrated: bool = True,
) -> Prediction:
    """Predict with uncertainty over batches, keeping only per-example summaries.

    The one Monte-Carlo loop of bayescnn: :func:`predict`, evaluation
    (:func:`bayescnn.train.evaluate`), the test report, the Lightning module and the
    reports all predict through it. Each batch's ``(S, B, K)`` logit samples come from
    :func:`bayescnn.nn.sample_forward` (every sample its own weight draw) and are reduced
    to per-example summaries before the next batch, so memory grows as ``N x K``, never
    ``S x N x K``. The softmax and each decomposition are computed once per batch, and
    only if a requested decomposition or score needs them: with ``decomposition="none"``
    and ``scores="none"`` a batch costs its forward passes and the mean of their softmax.
    Runs under ``torch.no_grad()`` with every module in eval mode (BatchNorm
    running statistics are used, not updated; Bayesian layers still sample) and restores
    each module's training flag afterwards.

    Args:
        model: A Bayesian (or plain) classifier returning logits, or a ``(logits, kl)``
            pair as :mod:`bayescnn.compat`'s networks do.
        batches: Normalised input batches, or ``(inputs, labels)`` pairs; inputs are moved
            to the model's device.
        samples: Posterior samples ``S`` per example (1 gives zero epistemic parts); None: the model's default
            (:func:`bayescnn.nn.default_samples`: 25, or 8 of each member of a network of members).
        chunk_size: Samples per vectorised forward pass (default: all ``S`` at once).
        decomposition: Decompositions to compute: ``'all'``, ``'none'`` (or ``()``), or a
            subset of :data:`DECOMPOSITIONS` ``('softmax', 'normalized', 'entropy')``.
        scores: OOD scores to compute: ``'all'`` (every registered score, see
            :func:`bayescnn.uncertainty.list_ood_scores`), ``'none'`` (or ``()``), or
            registered names.
        posterior_mean: Evaluate the posterior-mean network once instead of sampling;
            the epistemic parts are then 0 (a members network gives its members' mean
            networks, one sample each).
        calibrated: Apply the model's temperature when it has one
            (:func:`bayescnn.calibrate`): a per-sample one divides every sample's logits,
            a pooled one gives ``probs = softmax(log p̄ / T)`` (the decompositions and
            the samples' scores stay the raw samples'); ``False`` gives the raw predictive.

    Returns:
        The concatenated :class:`Prediction`, on the CPU.

    Raises:
        InvalidArgumentError: If ``samples < 1``, there are no batches, or only some
            batches carry labels.
        UnknownNameError: If a decomposition or a score is unknown.
        ModelInputError: If the inputs are not finite, or their shape does not fit the
            model (chained to PyTorch's error). Any other error of the model, such as
            running out of memory, propagates unchanged.
    """
    raw = sampled_batches(
        model,
        batches,
        samples=samples,
        chunk_size=chunk_size,
        posterior_mean=posterior_mean,
        calibrated=False,
    )
    return predict_from_logits(
        model, raw, decomposition=decomposition, scores=scores, calibrated=calibrated
    )


def predict_from_logits(
    model: nn.Module | None,
    logit_batches: Iterable[tuple[Tensor, Tensor | None]],
    *,
    decomposition: str | Sequence[str] = "all",
    scores: str | Sequence[str] = "all",
    calibrated: bool = True,
) -> Prediction:
    """The :class:`Prediction` of raw logit samples already drawn by :func:`sampled_batches`.

    The second half of :func:`predict_loader`, which is exactly
    ``predict_from_logits(model, sampled_batches(model, batches, calibrated=False), ...)``:
    one Monte-Carlo pass kept as its raw ``(S, B, K)`` batches gives both the raw and the
    calibrated predictive (and any decomposition or score) of the same draws, identical to
    what :func:`predict_loader` gives on those draws. ``model`` is asked only for its
    temperature: with ``calibrated`` a per-sample one divides every sample's logits
    (:func:`~bayescnn.calibration.temperature.divide_by_temperature`), a pooled one tempers
    the averaged predictive (:func:`~bayescnn.calibration.temper_predictive`).

    Args:
        model: The classifier that drew the logits (its temperature, if any, is applied);
            ``None`` for logits without a temperature (drawn elsewhere, say by another
            library's network).
        logit_batches: ``(logits, labels)`` pairs: raw logit samples ``(S, B, K)``
            (``sampled_batches(..., calibrated=False)``), labels ``(B,)`` or ``None``.
        decomposition: As for :func:`predict_loader`.
        scores: As for :func:`predict_loader`.
        calibrated: Apply the model's temperature (``False``: the raw predictive).

    Returns:
        The concatenated :class:`Prediction`, on the CPU.

    Raises:
        InvalidArgumentError: If there are no batches, or only some carry labels.
        UnknownNameError: If a decomposition or a score is unknown.
    """
    decompositions = parse_decompositions(decomposition)
    score_names = parse_scores(scores)
    # the form and the pooled temperature are read once: per batch they would sync a GPU
    owner = model if calibrated else None  # whose temperature is applied, if any
    per_sample = owner is not None and temperature_form(owner) is TemperatureForm.PER_SAMPLE
    tempered = None if owner is None else pooled_temperature(owner)
    pooled = None if tempered is None else float(tempered)
    parts: list[BatchSummary] = []
    labels: list[Tensor | None] = []
    drawn = 0
    for logits, batch_labels in logit_batches:
        drawn = logits.shape[0]  # an ensemble's members give their own count
        if per_sample and owner is not None:
            logits = divide_by_temperature(logits, owner)
        parts.append(
            summarise_batch(logits, decompositions, score_names, pooled_temperature=pooled)
        )
        labels.append(batch_labels)
    if not parts:
        raise InvalidArgumentError("no batches to predict on")
    has_labels = [label is not None for label in labels]
    if any(has_labels) and not all(has_labels):
        raise InvalidArgumentError("either every batch or no batch must carry labels")

    return join_batches(
        parts,
        torch.cat(labels) if all(has_labels) else None,  # type: ignore[arg-type]
        decompositions=decompositions,
        samples=drawn,
    )


@renamed_keyword("bayescnn.predict", "method", "decomposition")
def predict(
    model: nn.Module,
    inputs: Tensor,
    *,
    labels: Tensor | None = None,
    samples: int | None = None,
    batch_size: int = defaults.EVALUATION_BATCH_SIZE,
    chunk_size: int | None = None,
    decomposition: str | Sequence[str] = "all",
    scores: str | Sequence[str] = "all",
    posterior_mean: bool = False,
    calibrated: bool = True,
) -> Prediction:
    """Predict with uncertainty for normalised inputs, a whole test set included.

    The same as :func:`predict_loader` over ``(inputs, labels)`` split into batches of
    ``batch_size`` rows, so that ``S x batch_size`` activations, not ``S x N``, are
    alive at once.

    Args:
        model: A Bayesian (or plain) classifier returning logits (or ``(logits, kl)``).
        inputs: Normalised inputs, shape ``(N, ...)``.
        labels: Optional true labels, shape ``(N,)``.
        samples: Posterior samples ``S`` per example; None: the model's default
            (:func:`bayescnn.nn.default_samples`: 25, or 8 of each member of a network of members).
        batch_size: Examples per forward pass (``>= 1``).
        chunk_size: Samples per vectorised forward pass (default: all at once).
        decomposition: ``'all'``, ``'none'`` (or ``()``), or a subset of
            ``('softmax', 'normalized', 'entropy')``.
        scores: ``'all'`` registered OOD scores, ``'none'`` (or ``()``), or their names.
        posterior_mean: Evaluate the posterior-mean network (epistemic parts 0).
        calibrated: Apply the model's temperature, if any (``False``: the raw predictive).
            A network whose posterior was widened (rho scale > 1, the default of
            ``models.create`` and ``to_bayesian``) and never calibrated is underconfident
            raw: a :class:`UncalibratedWarning` says so, once per place it is called from.

    Returns:
        The :class:`Prediction`, on the CPU.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidArgumentError(f"batch_size must be a positive integer, got {batch_size!r}")
    parts = inputs.split(batch_size) if isinstance(inputs, Tensor) else [inputs]
    if labels is not None and len(labels) != len(inputs):
        raise InvalidArgumentError(
            f"labels must have one entry per input: got {len(labels)} labels for "
            f"{len(inputs)} inputs"
        )
    batches: list[Tensor] | list[tuple[Tensor, Tensor]]
    if labels is None:
        batches = list(parts)
    else:
        batches = list(zip(parts, labels.split(batch_size), strict=True))
    if calibrated and not posterior_mean:
        _warn_if_widened_and_uncalibrated(model)
    return predict_loader(
        model,
        batches,
        samples=samples,
        chunk_size=chunk_size,
        decomposition=decomposition,
        scores=scores,
        posterior_mean=posterior_mean,
        calibrated=calibrated,
    )


class UncalibratedWarning(UserWarning):
    """A widened network predicts without a temperature: its predictive is underconfident."""


def _warn_if_widened_and_uncalibrated(model: nn.Module) -> None:
    """Say once that a network trained at rho scale > 1 was never calibrated."""
    if temperature_of(model) is not None:
        return
    widened = [
        layer.posterior_rho_scale
        for layer in model.modules()
        if isinstance(layer, BayesianLayer) and layer.posterior_rho_scale > 1
    ]
    if widened:
        warnings.warn(
            f"this network's posterior is widened (rho scale {max(widened):g}) and it was never "
            "calibrated, so its raw predictive is underconfident: call "
            "bayescnn.calibrate(model, valid_loader) once after training (bayescnn train "
            "does), or pass calibrated=False to silence this",
            UncalibratedWarning,
            stacklevel=4,  # the caller of predict, above its keyword-renaming decorator
        )

"""Monte-Carlo prediction with per-example uncertainty summaries.

For ``S`` posterior samples of the logits ``f_t(x)`` (Blundell et al., 2015, "Weight
Uncertainty in Neural Networks"), the predictive distribution is
``p̄ = (1/S) Σ_t softmax(f_t(x))`` and its uncertainty is split into aleatoric and
epistemic parts by the decompositions of :mod:`bayescnn.uncertainty.decomposition`:
softmax (Kwon et al., 2018, eq. 4), softplus-normalised (Shridhar et al., 2018, eq. 15)
and entropy (Depeweg et al., 2018). Each batch is reduced to per-example summaries at
once (:mod:`bayescnn.uncertainty.prediction`), so memory grows as ``N x K``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext

import torch
from torch import Tensor, nn

from bayescnn import defaults
from bayescnn.deprecation import module_getattr, renamed_keyword
from bayescnn.errors import (
    InvalidArgumentError,
    InvalidTypeError,
    ModelInputError,
    UnknownNameError,
    is_input_shape_error,
)
from bayescnn.nn import (
    BayesianLayer,
    Ensemble,
    frozen_eval_mode,
    is_stochastic,
    logits_of,
    members_of,
    module_device,
    sample_forward,
)
from bayescnn.nn import posterior_mean as posterior_mean_context
from bayescnn.nn.temperature import (
    TemperatureForm,
    divide_by_temperature,
    pooled_temperature,
    temperature_form,
    temperature_of,
)
from bayescnn.uncertainty.prediction import (
    DECOMPOSITIONS,
    BatchSummary,
    Prediction,
    join_batches,
    summarise_batch,
)
from bayescnn.uncertainty.scores import OOD_SCORES, list_ood_scores

__all__ = [
    "DECOMPOSITIONS",
    "Prediction",
    "UncalibratedWarning",
    "predict",
    "predict_from_logits",
    "predict_loader",
    "sampled_batches",
]

__getattr__ = module_getattr(__name__, {"METHODS": "bayescnn.uncertainty.DECOMPOSITIONS"})


def _parse_decompositions(decomposition: str | Sequence[str]) -> tuple[str, ...]:
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


def _parse_scores(scores: str | Sequence[str]) -> tuple[str, ...]:
    """``'all'``, ``'none'``, one score name, or a sequence of names -> registered names."""
    if scores == "all":
        return tuple(list_ood_scores())
    if scores == "none":
        return ()
    names = (scores,) if isinstance(scores, str) else tuple(scores)
    return tuple(dict.fromkeys(OOD_SCORES.get(name).name for name in names))


def _check_inputs(inputs: Tensor) -> None:
    """Refuse inputs that would give a silently wrong prediction."""
    if not inputs.is_floating_point():
        raise InvalidTypeError(
            f"inputs must be a float tensor (normalised images), got {inputs.dtype}"
        )
    if not torch.isfinite(inputs).all():
        raise ModelInputError(
            "inputs contain NaN or infinite values; check the data and its normalisation"
        )


def _split_batch(batch: Tensor | Sequence[Tensor]) -> tuple[Tensor, Tensor | None]:
    """``inputs`` or ``(inputs, labels, ...)`` -> ``(inputs, labels or None)``."""
    if isinstance(batch, Tensor):
        return batch, None
    if isinstance(batch, Sequence) and len(batch) >= 1 and isinstance(batch[0], Tensor):
        labels = batch[1] if len(batch) >= 2 else None
        return batch[0], labels
    raise InvalidTypeError(
        f"each batch must be a Tensor of inputs or an (inputs, labels) pair, got "
        f"{type(batch).__name__}"
    )


class _LogitsOnly(nn.Module):
    """The logits of a network that returns ``(logits, kl)``, as the original's do
    (:mod:`bayescnn.compat`), by :func:`bayescnn.nn.logits_of`. It runs as many members
    as the model (:func:`bayescnn.nn.members_of`)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.members = members_of(model)

    def forward(self, inputs: Tensor) -> Tensor:
        return logits_of(self.model(inputs))


def _sample_logits(
    forward: nn.Module, inputs: Tensor, num_samples: int, chunk_size: int | None
) -> Tensor:
    """The ``(S, B, K)`` logit samples of one batch: the one place every prediction's
    per-sample logits come from (:func:`predict_loader` and all that build on it). A
    network of ``M`` members (:func:`bayescnn.nn.members_of`) gives ``S x M`` samples.

    Raises:
        ModelInputError: If the inputs' shape does not fit the model.
        InvalidArgumentError: If the model's output is not ``(batch, classes)``.
    """
    try:
        logits = sample_forward(forward, inputs, num_samples, chunk_size=chunk_size)
    except RuntimeError as error:
        if not is_input_shape_error(error):
            raise
        raise ModelInputError(
            f"the model cannot take inputs of shape {tuple(inputs.shape)}: "
            f"{str(error).splitlines()[0]}"
        ) from error
    if logits.ndim != 3:
        raise InvalidArgumentError(
            f"the model must return logits of shape (batch, classes), or (members, batch, "
            f"classes) with an integer attribute `members`; got {tuple(logits.shape[1:])} "
            "per sample"
        )
    return logits


def sampled_batches(
    model: nn.Module,
    batches: Iterable[tuple[Tensor, Tensor]] | Iterable[Tensor],
    *,
    samples: int = defaults.SAMPLES,
    chunk_size: int | None = None,
    posterior_mean: bool = False,
    calibrated: bool = True,
) -> Iterator[tuple[Tensor, Tensor | None]]:
    """The one Monte-Carlo loop: each batch's ``(S, B, K)`` logit samples and its labels.

    A network that runs ``M`` members at once (:func:`bayescnn.nn.members_of`) gives
    ``S x M`` samples (``M`` for one that does not sample, or with ``posterior_mean``:
    each member's mean network).

    Every prediction of bayescnn (:func:`predict_loader` and all that build on it, and
    :func:`bayescnn.calibrate`) draws its samples here. Runs under ``torch.no_grad()``
    with every module in eval mode (BatchNorm running statistics are used, not updated;
    Bayesian layers still sample) and restores each module's training flag afterwards.
    With ``calibrated`` (the default) the logits are divided by the model's fitted
    temperature if it is of the per-sample form (:mod:`bayescnn.nn.temperature`); a
    pooled one applies to the averaged predictive, which :func:`predict_loader` forms.

    Yields:
        ``(logits, labels)``: the logits on the model's device, the labels (``None``
        for a batch without them) on the CPU.
    """
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise InvalidArgumentError(f"samples must be an integer >= 1, got {samples!r}")
    # the mean network, or a network without Bayesian layers, gives one answer
    num_samples = 1 if posterior_mean or not is_stochastic(model) else samples
    device = module_device(model)
    # an ensemble's members are sampled one by one by sample_forward: it is not wrapped
    forward = model if isinstance(model, Ensemble) else _LogitsOnly(model)
    mean_context = posterior_mean_context(model) if posterior_mean else nullcontext()
    # the form is read once: reading the flag per batch would sync a GPU every batch
    per_sample = calibrated and temperature_form(model) is TemperatureForm.PER_SAMPLE
    with torch.no_grad(), frozen_eval_mode(model), mean_context:
        for batch in batches:
            inputs, batch_labels = _split_batch(batch)
            if device is not None:
                inputs = inputs.to(device)
            _check_inputs(inputs)
            logits = _sample_logits(forward, inputs, num_samples, chunk_size)
            if per_sample:
                logits = divide_by_temperature(logits, model)
            yield logits, None if batch_labels is None else batch_labels.long().cpu()


@renamed_keyword("bayescnn.predict_loader", "method", "decomposition")
def predict_loader(
    model: nn.Module,
    batches: Iterable[tuple[Tensor, Tensor]] | Iterable[Tensor],
    *,
    samples: int = defaults.SAMPLES,
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
        samples: Posterior samples ``S`` per example (1 gives zero epistemic parts).
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
    model: nn.Module,
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
    (:func:`~bayescnn.nn.temperature.divide_by_temperature`), a pooled one tempers the
    averaged predictive (:func:`~bayescnn.nn.temperature.temper_predictive`).

    Args:
        model: The classifier that drew the logits (its temperature, if any, is applied).
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
    decompositions = _parse_decompositions(decomposition)
    score_names = _parse_scores(scores)
    # the form and the pooled temperature are read once: per batch they would sync a GPU
    per_sample = calibrated and temperature_form(model) is TemperatureForm.PER_SAMPLE
    tempered = pooled_temperature(model) if calibrated else None
    pooled = None if tempered is None else float(tempered)
    parts: list[BatchSummary] = []
    labels: list[Tensor | None] = []
    drawn = 0
    for logits, batch_labels in logit_batches:
        drawn = logits.shape[0]  # an ensemble's members give their own count
        if per_sample:
            logits = divide_by_temperature(logits, model)
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
    samples: int = defaults.SAMPLES,
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
        samples: Posterior samples ``S`` per example.
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

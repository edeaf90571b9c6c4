"""The one Monte-Carlo loop: every batch's ``(S, B, K)`` logit samples,
:func:`sampled_batches`.

Every prediction of bayescnn (:func:`bayescnn.predict` and all that build on it) and the
held-out pass of :func:`bayescnn.calibrate` draw their samples here: each sample its own
weight draw (:func:`bayescnn.nn.sample_forward`), under ``torch.no_grad()`` with every
module in eval mode.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext

import torch
from torch import Tensor, nn

from bayescnn.calibration.temperature import (
    TemperatureForm,
    divide_by_temperature,
    temperature_form,
)
from bayescnn.errors import (
    InvalidArgumentError,
    InvalidTypeError,
    ModelInputError,
    is_input_shape_error,
)
from bayescnn.nn import (
    Ensemble,
    default_samples,
    frozen_eval_mode,
    is_stochastic,
    logits_of,
    members_of,
    module_device,
    sample_forward,
)
from bayescnn.nn import posterior_mean as posterior_mean_context

__all__ = ["sampled_batches"]


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
    samples: int | None = None,
    chunk_size: int | None = None,
    posterior_mean: bool = False,
    calibrated: bool = True,
) -> Iterator[tuple[Tensor, Tensor | None]]:
    """The one Monte-Carlo loop: each batch's ``(S, B, K)`` logit samples and its labels.

    A network that runs ``M`` members at once (:func:`bayescnn.nn.members_of`) gives
    ``S x M`` samples (``M`` for one that does not sample, or with ``posterior_mean``:
    each member's mean network). ``samples=None`` draws the model's default
    (:func:`bayescnn.nn.default_samples`: 25 for one network, 8 of each of K members).

    Every prediction of bayescnn (:func:`predict_loader` and all that build on it, and
    :func:`bayescnn.calibrate`) draws its samples here. Runs under ``torch.no_grad()``
    with every module in eval mode (BatchNorm running statistics are used, not updated;
    Bayesian layers still sample) and restores each module's training flag afterwards.
    With ``calibrated`` (the default) the logits are divided by the model's fitted
    temperature if it is of the per-sample form (:mod:`bayescnn.calibration.temperature`); a
    pooled one applies to the averaged predictive, which :func:`predict_loader` forms.

    Yields:
        ``(logits, labels)``: the logits on the model's device, the labels (``None``
        for a batch without them) on the CPU.
    """
    samples = default_samples(model, samples)
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

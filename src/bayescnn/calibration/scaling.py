"""Fit a model's temperature on held-out batches: :func:`calibrate`.

Two steps, each public: the pass, :func:`held_out_logits` (the held-out ``(S, N, K)``
raw logit samples from the one Monte-Carlo loop,
:func:`bayescnn.uncertainty.sampled_batches`), and the fit, :func:`calibrate_logits`
(the temperature from :func:`~bayescnn.calibration.fit_temperature` where the held-out
evidence supports one, :func:`~bayescnn.calibration.weigh_temperature_evidence`, then
kept with the model, so every later prediction applies it). ``calibrate`` is the one
after the other; a caller that needs the held-out samples for more than the fit
(``bayescnn train``'s thresholds) draws them once and calls :func:`calibrate_logits`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from bayescnn import defaults
from bayescnn.calibration.evidence import weigh_temperature_evidence
from bayescnn.calibration.fitting import (
    TEMPERATURE_BOUNDS,
    check_held_out,
    fit_temperature,
    tempered_nll,
)
from bayescnn.calibration.temperature import TemperatureForm, set_temperature, temperature_of
from bayescnn.errors import InvalidArgumentError

__all__ = [
    "CalibrationDeclinedWarning",
    "TemperatureFit",
    "calibrate",
    "calibrate_logits",
    "held_out_logits",
    "stack_logits",
]


class CalibrationDeclinedWarning(UserWarning):
    """The held-out evidence did not support a temperature: ``T = 1`` was kept."""


@dataclass(frozen=True)
class TemperatureFit:
    """What :func:`calibrate` fitted and measured on the held-out batches.

    Attributes:
        temperature: ``T``, now kept with the model.
        nll_raw: Held-out NLL of the Monte-Carlo predictive before (``T = 1``).
        nll_calibrated: Held-out NLL at ``T``.
        examples: Held-out examples ``N``.
        samples: Posterior samples ``S`` per example (an ensemble's members included).
        form: Where ``T`` divides: ``'pooled'`` or ``'per-sample'``
            (:mod:`bayescnn.calibration.temperature`).
        errors: Held-out examples the raw predictive's argmax got wrong.
        declined: Why ``T = 1`` was kept instead of a fit, one line
            (:func:`~bayescnn.calibration.weigh_temperature_evidence`); None when ``T`` was fitted.
    """

    temperature: float
    nll_raw: float
    nll_calibrated: float
    examples: int
    samples: int
    form: str = TemperatureForm.POOLED.value
    errors: int | None = None
    declined: str | None = None

    def to_dict(self) -> dict[str, float | int | str | None]:
        return asdict(self)

    def summary(self) -> str:
        """One line: the temperature and the held-out NLL before and after, or why
        ``T = 1`` was kept."""
        if self.declined is not None:
            return f"kept T = 1 ({self.form}): {self.declined}"
        return (
            f"temperature {self.temperature:.3f} ({self.form}), held-out NLL "
            f"{_nll(self.nll_raw)} -> {_nll(self.nll_calibrated)} on {self.examples} examples"
        )


def _nll(value: float) -> str:
    """An NLL to 4 decimals; never ``-0.0000`` (an NLL is >= 0: a -0.0 or a rounding
    error below zero is 0)."""
    return f"{max(value, 0.0) + 0.0:.4f}"  # + 0.0 turns -0.0 into 0.0


def held_out_logits(
    model: nn.Module,
    batches: Iterable[tuple[Tensor, Tensor]],
    *,
    samples: int | None = None,
    chunk_size: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The raw ``(S, N, K)`` logit samples and ``(N,)`` labels of labelled batches, on the
    CPU: one Monte-Carlo pass (:func:`~bayescnn.uncertainty.sampled_batches`), joined by
    :func:`stack_logits`."""
    # imported here: the sampling loop applies the temperature this package keeps, and the
    # layers register its state, so a module-level import would go round in a circle
    from bayescnn.uncertainty import sampled_batches

    return stack_logits(
        sampled_batches(model, batches, samples=samples, chunk_size=chunk_size, calibrated=False)
    )


def stack_logits(logit_batches: Iterable[tuple[Tensor, Tensor | None]]) -> tuple[Tensor, Tensor]:
    """Join ``(S, B, K)`` logit batches and their labels into float32 ``(S, N, K)`` logits and
    ``(N,)`` labels on the CPU (``S x N x K x 4`` bytes: 10 MB for 25 samples of 10,000
    examples of 10 classes).

    Raises:
        InvalidArgumentError: If a batch has no labels, or there are no batches.
    """
    logits: list[Tensor] = []
    labels: list[Tensor] = []
    for batch_logits, batch_labels in logit_batches:
        if batch_labels is None:
            raise InvalidArgumentError(
                "calibration needs labels: pass (inputs, labels) batches of a held-out "
                "split (e.g. the validation set), not inputs alone"
            )
        logits.append(batch_logits.float().cpu())
        labels.append(batch_labels)
    if not logits:
        raise InvalidArgumentError("no batches to calibrate on: the held-out set is empty")
    return torch.cat(logits, dim=1), torch.cat(labels)


def calibrate(
    model: nn.Module,
    valid_batches: Iterable[tuple[Tensor, Tensor]],
    *,
    samples: int | None = None,
    chunk_size: int | None = None,
    form: str = defaults.TEMPERATURE_FORM,
) -> TemperatureFit:
    """Fit one temperature to the Monte-Carlo predictive and keep it with ``model``.

    ``T* = argmin_T -(1/N) Σ_n log p_T(y_n | x_n)`` over the held-out ``(inputs,
    labels)`` batches (Guo et al., 2017), where ``p_T = softmax(log p̄ / T)`` for the
    pooled form (the default; Ashukha et al., 2020) or ``(1/S) Σ_s softmax(f_s / T)``
    per sample (Laves et al., 2019). The model's previous temperature, if any, is ignored while
    fitting and replaced. Afterwards :func:`bayescnn.predict`, :func:`predict_loader`,
    evaluation and the exported graphs apply ``T``; ``predict(..., calibrated=False)``
    gives the raw predictive. For an :class:`~bayescnn.nn.Ensemble` one temperature is
    fitted to the members' pooled samples (the averaged predictive); the members' own
    temperatures are not applied inside it. Draws are not seeded here: seed the caller
    (e.g. ``torch.manual_seed`` or :func:`torch.random.fork_rng`) for a reproducible fit.

    Args:
        model: A trained classifier (Bayesian, MC dropout, ensemble or plain).
        valid_batches: Held-out ``(inputs, labels)`` batches, never the training data.
        samples: Posterior samples ``S`` per example (the count used to predict); None: the model's default
            (:func:`bayescnn.nn.default_samples`: 25, or 8 of each member of a network of members).
        chunk_size: Samples per vectorised forward pass (default: all at once).
        form: ``'pooled'`` or ``'per-sample'`` (:class:`~bayescnn.calibration.TemperatureForm`).

    Returns:
        The :class:`TemperatureFit`, with the held-out NLL before and after.

    It is :func:`held_out_logits` (the pass) then :func:`calibrate_logits` (the fit).
    """
    logits, labels = held_out_logits(model, valid_batches, samples=samples, chunk_size=chunk_size)
    return calibrate_logits(model, logits, labels, form=form)


def calibrate_logits(
    model: nn.Module,
    logits: Tensor,
    labels: Tensor,
    *,
    form: str = defaults.TEMPERATURE_FORM,
) -> TemperatureFit:
    """:func:`calibrate` from held-out logit samples already drawn: fit ``T`` and keep it
    with ``model``.

    The fit of :func:`calibrate` without its pass: ``calibrate(model, batches, ...)`` is
    ``calibrate_logits(model, *held_out_logits(model, batches, ...))``. Use it to fit on
    the samples of a pass that serves more than the fit (``bayescnn train`` draws its
    validation split once for the temperature and the uncertain flag's thresholds).

    Args:
        model: The classifier that drew ``logits``; it gets the fitted temperature (its
            previous one, if any, played no part: the logits are raw).
        logits: Raw ``(S, N, K)`` logit samples of held-out examples
            (:func:`held_out_logits`; ``calibrated=False``, never tempered); ``(N, K)``
            is one sample (a plain network).
        labels: Their true classes, ``(N,)``.
        form: ``'pooled'`` or ``'per-sample'`` (:class:`~bayescnn.calibration.TemperatureForm`).

    Returns:
        The :class:`TemperatureFit`, with the held-out NLL before and after.

    Raises:
        InvalidArgumentError: If the shapes disagree, a label is out of range or a logit
            is not finite (:func:`~bayescnn.calibration.fitting.check_held_out`); the model is
            then left as it was.
    """
    form = TemperatureForm.parse(form)
    logits, labels = check_held_out(logits, labels)
    evidence = weigh_temperature_evidence(logits, labels, form=form)
    fitted = fit_temperature(logits, labels, form=form) if evidence.supported else 1.0
    set_temperature(model, fitted, form=form)
    temperature = temperature_of(model)  # as kept: float32
    assert temperature is not None
    low, high = TEMPERATURE_BOUNDS
    if evidence.supported and not low * 1.01 < temperature < high / 1.01:
        warnings.warn(
            f"the fitted temperature {temperature:.3g} is at a bound of the search "
            f"[{low}, {high}]: the held-out predictive is far from calibrated at any "
            "temperature; check the model's training",
            stacklevel=2,
        )
    if not evidence.supported:
        warnings.warn(f"kept T = 1: {evidence.reason}", CalibrationDeclinedWarning, stacklevel=2)
    return TemperatureFit(
        temperature=temperature,
        nll_raw=tempered_nll(logits, labels, 1.0),
        nll_calibrated=tempered_nll(logits, labels, temperature, form=form),
        examples=int(labels.numel()),
        samples=int(logits.shape[0]),
        form=form.value,
        errors=evidence.errors,
        declined=evidence.reason,
    )

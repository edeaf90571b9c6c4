"""Fitting a temperature to held-out logit samples: :func:`fit_temperature`.

``T* = argmin_T -(1/N) Σ_n log p_T(y_n | x_n)`` (Guo et al., 2017), where ``p_T`` is the
Monte-Carlo predictive tempered in either form of :mod:`bayescnn.calibration.temperature`
(:func:`tempered_nll`). Everything here is a function of ``(S, N, K)`` logit samples
and ``(N,)`` labels; nothing touches a model.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from bayescnn import defaults
from bayescnn.calibration.temperature import TemperatureForm
from bayescnn.errors import InvalidArgumentError
from bayescnn.metrics._validation import check_labels

__all__ = ["TEMPERATURE_BOUNDS", "check_held_out", "fit_temperature", "tempered_nll"]

TEMPERATURE_BOUNDS = (0.05, 20.0)
"""The search interval of :func:`fit_temperature` (a temperature at a bound is reported)."""


def _log_mean_softmax(logit_samples: Tensor, temperature: float) -> Tensor:
    """``log (1/S) Σ_s softmax(f_s / T)``, ``(N, K)`` in float64, by ``logsumexp``."""
    log_probs = (logit_samples.detach().double() / temperature).log_softmax(-1)
    return torch.logsumexp(log_probs, dim=0) - math.log(log_probs.shape[0])


def check_held_out(logit_samples: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
    """The held-out ``(S, N, K)`` logit samples and ``(N,)`` labels, checked, on the CPU.

    ``(N, K)`` logits are one sample. Every logit must be finite: a NaN or infinite
    output (a diverged model, or bad inputs) would make every temperature's NLL NaN, and
    the search would return its first trial as if it were a fit.

    Raises:
        InvalidArgumentError: If the shapes disagree, a label is not a class index in
            ``[0, K)`` (naming it and its position), or logits are not finite (naming how
            many).
        InvalidTypeError: If the labels are not an integer tensor.
    """
    samples = logit_samples.unsqueeze(0) if logit_samples.ndim == 2 else logit_samples
    if samples.ndim != 3:
        raise InvalidArgumentError(
            f"logit samples must have shape (samples, examples, classes), got {tuple(samples.shape)}"
        )
    check_labels(labels, samples.shape[2])
    if samples.shape[1] == 0 or samples.shape[1] != len(labels):
        raise InvalidArgumentError(
            f"need one label per held-out example: {samples.shape[1]} examples, "
            f"{len(labels)} labels"
        )
    samples, labels = samples.detach().cpu(), labels.detach().cpu()
    finite = torch.isfinite(samples)
    if not bool(finite.all()):
        examples = int((~finite).any(dim=2).any(dim=0).sum())
        raise InvalidArgumentError(
            f"{int((~finite).sum()):,} of {finite.numel():,} held-out logits are not finite "
            f"(NaN or inf), in {examples:,} of {samples.shape[1]:,} examples: the model "
            "diverged or was given bad inputs, and no temperature calibrates it; check its "
            "training and the held-out data"
        )
    return samples, labels


def tempered_nll(
    logit_samples: Tensor,
    labels: Tensor,
    temperature: float = 1.0,
    *,
    form: str | TemperatureForm = defaults.TEMPERATURE_FORM,
) -> float:
    """Mean negative log-likelihood of the Monte-Carlo predictive at ``temperature``.

    Per sample ``-(1/N) Σ_n log (1/S) Σ_s softmax(f_s(x_n) / T)[y_n]``; pooled
    ``-(1/N) Σ_n log softmax(log p̄(x_n) / T)[y_n]``; both computed in log space
    (``logsumexp`` over samples) so that confident wrong answers stay finite. At ``T = 1``
    the two are the same.

    Args:
        logit_samples: Logits of ``S`` posterior samples, shape ``(S, N, K)``.
        labels: True classes, shape ``(N,)``.
        temperature: ``T > 0``.
        form: ``'pooled'`` or ``'per-sample'`` (:class:`TemperatureForm`).

    Raises:
        InvalidArgumentError: As :func:`check_held_out`.
    """
    samples, labels = check_held_out(logit_samples, labels)
    return _tempered_nll(samples, labels, temperature, TemperatureForm.parse(form))


def _tempered_nll(
    samples: Tensor, labels: Tensor, temperature: float, form: TemperatureForm
) -> float:
    """:func:`tempered_nll` of checked ``(S, N, K)`` samples."""
    if form is TemperatureForm.POOLED:
        log_predictive = (_log_mean_softmax(samples, 1.0) / temperature).log_softmax(-1)
    else:
        log_predictive = _log_mean_softmax(samples, temperature)
    return float(-log_predictive.gather(-1, labels.long().view(-1, 1)).mean())


def fit_temperature(
    logit_samples: Tensor,
    labels: Tensor,
    *,
    form: str | TemperatureForm = defaults.TEMPERATURE_FORM,
) -> float:
    """The temperature of ``form`` that minimises :func:`tempered_nll` on held-out samples.

    A bounded scalar search over ``log T`` in :data:`TEMPERATURE_BOUNDS` (the NLL of a
    tempered softmax is smooth and, for one sample, convex in ``1/T``; the Monte-Carlo
    average keeps it unimodal in practice).

    Args:
        logit_samples: ``(S, N, K)`` logits of held-out examples (``(N, K)`` is one sample).
        labels: ``(N,)`` true classes.
        form: ``'pooled'`` or ``'per-sample'`` (:class:`TemperatureForm`).

    Raises:
        InvalidArgumentError: If a logit is NaN or infinite, a label is out of range, or
            the shapes disagree (:func:`check_held_out`).
    """
    from scipy.optimize import minimize_scalar

    form = TemperatureForm.parse(form)
    samples, labels = check_held_out(logit_samples, labels)
    if form is TemperatureForm.POOLED:  # softmax(log p̄ / T) is one sample's softmax(f / T)
        samples, form = _log_mean_softmax(samples, 1.0).unsqueeze(0), TemperatureForm.PER_SAMPLE
    low, high = (math.log(bound) for bound in TEMPERATURE_BOUNDS)
    result = minimize_scalar(
        lambda log_t: _tempered_nll(samples, labels, math.exp(log_t), form),
        bounds=(low, high),
        method="bounded",
        options={"xatol": 1e-4},
    )
    return math.exp(float(result.x))

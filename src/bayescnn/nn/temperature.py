"""Post-hoc temperature scaling of the Monte-Carlo predictive.

One temperature ``T > 0`` divides every posterior sample's logits before the softmax
(Guo et al., 2017, "On Calibration of Modern Neural Networks"; per-sample logits for
Monte-Carlo predictives as in Laves et al., 2019, "Well-calibrated Model Uncertainty
with Temperature Scaling for Dropout Variational Inference"):

    p_T(y | x) = (1/S) Σ_s softmax(f(x; W_s) / T),
    T* = argmin_T  -(1/N) Σ_n log p_T(y_n | x_n)     on held-out data.

``T > 1`` softens an overconfident predictive, ``T < 1`` sharpens an underconfident
one; the argmax of each sample, and so a one-sample prediction, is unchanged.

The temperature is kept with the model as a persistent scalar buffer
(:data:`TEMPERATURE_BUFFER`), so it moves with ``model.to(device)``, is saved by
``model.state_dict()`` and is applied by every prediction path of the library (the one
sampling loop, the exported graphs). A model without the buffer is uncalibrated (T = 1).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from bayescnn.errors import InvalidArgumentError

__all__ = [
    "TEMPERATURE_BUFFER",
    "apply_temperature",
    "fit_temperature",
    "predictive_nll",
    "set_temperature",
    "temperature_of",
]

TEMPERATURE_BUFFER = "predictive_temperature"
"""Name of the scalar buffer that holds a model's fitted temperature."""

TEMPERATURE_BOUNDS = (0.05, 20.0)
"""The search interval of :func:`fit_temperature` (a temperature at a bound is reported)."""


def temperature_of(model: nn.Module) -> float | None:
    """The model's fitted temperature, or ``None`` when it was never calibrated."""
    buffer = model._buffers.get(TEMPERATURE_BUFFER)
    return None if buffer is None else float(buffer)


def _check_temperature(temperature: float) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, int | float):
        raise InvalidArgumentError(f"temperature must be a number, got {temperature!r}")
    value = float(temperature)
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgumentError(f"temperature must be a finite number > 0, got {temperature!r}")
    return value


def set_temperature(model: nn.Module, temperature: float | None) -> nn.Module:
    """Keep ``temperature`` with ``model`` (``None`` removes it: uncalibrated again).

    The buffer is created on the model's device in float32; an existing one is
    overwritten in place, so optimisers and DDP wrappers keep seeing the same tensor.
    """
    if temperature is None:
        model._buffers.pop(TEMPERATURE_BUFFER, None)
        return model
    value = _check_temperature(temperature)
    existing = model._buffers.get(TEMPERATURE_BUFFER)
    if existing is not None:
        existing.fill_(value)
        return model
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    model.register_buffer(TEMPERATURE_BUFFER, torch.tensor(value, device=device))
    return model


def apply_temperature(logits: Tensor, model: nn.Module) -> Tensor:
    """``logits / T`` with the model's temperature; the logits unchanged when it has none."""
    buffer = model._buffers.get(TEMPERATURE_BUFFER)
    return logits if buffer is None else logits / buffer.to(logits.dtype)


def predictive_nll(logit_samples: Tensor, labels: Tensor, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of the Monte-Carlo predictive at ``temperature``.

    ``-(1/N) Σ_n log (1/S) Σ_s softmax(f_s(x_n) / T)[y_n]``, computed in log space
    (``logsumexp`` over samples) so that confident wrong answers stay finite.

    Args:
        logit_samples: Logits of ``S`` posterior samples, shape ``(S, N, K)``.
        labels: True classes, shape ``(N,)``.
        temperature: ``T > 0``.
    """
    log_probs = (logit_samples.detach().double() / temperature).log_softmax(-1)
    picked = log_probs.gather(-1, labels.long().view(1, -1, 1).expand(log_probs.shape[0], -1, 1))
    log_predictive = torch.logsumexp(picked.squeeze(-1), dim=0) - math.log(log_probs.shape[0])
    return float(-log_predictive.mean())


def fit_temperature(logit_samples: Tensor, labels: Tensor) -> float:
    """The temperature that minimises :func:`predictive_nll` on held-out samples.

    A bounded scalar search over ``log T`` in :data:`TEMPERATURE_BOUNDS` (the NLL of a
    tempered softmax is smooth and, for one sample, convex in ``1/T``; the Monte-Carlo
    average keeps it unimodal in practice).

    Args:
        logit_samples: ``(S, N, K)`` logits of held-out examples (``(N, K)`` is one sample).
        labels: ``(N,)`` true classes.
    """
    from scipy.optimize import minimize_scalar

    samples = logit_samples.unsqueeze(0) if logit_samples.ndim == 2 else logit_samples
    if samples.ndim != 3:
        raise InvalidArgumentError(
            f"logit samples must have shape (samples, examples, classes), got {tuple(samples.shape)}"
        )
    if samples.shape[1] == 0 or samples.shape[1] != len(labels):
        raise InvalidArgumentError(
            f"need one label per held-out example: {samples.shape[1]} examples, "
            f"{len(labels)} labels"
        )
    samples, labels = samples.detach().cpu(), labels.detach().cpu()
    low, high = (math.log(bound) for bound in TEMPERATURE_BOUNDS)
    result = minimize_scalar(
        lambda log_t: predictive_nll(samples, labels, math.exp(log_t)),
        bounds=(low, high),
        method="bounded",
        options={"xatol": 1e-4},
    )
    return math.exp(float(result.x))

"""The temperature kept with a model: post-hoc temperature scaling of the Monte-Carlo
predictive, in two forms.

One temperature ``T > 0`` is fitted on held-out data by the NLL of the predictive
(Guo et al., 2017, "On Calibration of Modern Neural Networks"):

- **pooled** (the default, :data:`bayescnn.defaults.TEMPERATURE_FORM`): the temperature
  of the averaged predictive itself, pool-then-calibrate as Ashukha et al. (2020,
  "Pitfalls of In-Domain Uncertainty Estimation and Ensembling in Deep Learning")
  recommend for ensembles::

      p_T(y | x) = softmax(log p̄(x) / T),   p̄ = (1/S) Σ_s softmax(f(x; W_s));

- **per-sample**: every posterior sample's logits divided before the softmax (Laves et
  al., 2019, "Well-calibrated Model Uncertainty with Temperature Scaling for Dropout
  Variational Inference")::

      p_T(y | x) = (1/S) Σ_s softmax(f(x; W_s) / T).

``T* = argmin_T -(1/N) Σ_n log p_T(y_n | x_n)``. For one sample (a plain network) both are
``softmax(f / T)``. Measured on the zoo's LeNet-5 (``benchmarks/pooled_calibration.py``,
MNIST, 3 seeds) the pooled form more than halved the test ECE of the per-sample one
(0.0075 -> 0.0031) at a lower NLL: per-sample scaling sharpens every sample and so also
the samples' disagreement, which the averaged predictive does not need.

The pooled form changes the predictive ``p̄`` (its probabilities and the scores read off
it), not the samples: the decompositions and the samples' scores (mutual
information, energy) are those of the raw samples. The per-sample form changes the
samples, so everything derived from them. ``T > 1`` softens, ``T < 1`` sharpens; the
argmax of each sample, and of ``p̄``, is unchanged.

The temperature is kept with the model as persistent scalar buffers
(:data:`TEMPERATURE_BUFFER`, and :data:`POOLED_BUFFER` for the pooled form), so it moves
with ``model.to(device)``, is saved by ``model.state_dict()`` and is applied by every
prediction path of the library (the one sampling loop, the exported graphs). A model
without the buffer is uncalibrated (T = 1); a state dict with a temperature but no
form flag was fitted per sample (the only form before the pooled one existed).

The buffers exist only once a model is calibrated, so that an uncalibrated model's state
dict is that of its layers alone. A freshly built model still loads a calibrated one with
``model.load_state_dict(state)`` (``strict=True``): every model the library builds or
converts (:func:`bayescnn.to_bayesian`, :func:`bayescnn.models.create`, the packed,
rank-1 and ensemble networks, the :mod:`bayescnn.compat` networks) carries a
load-state-dict pre-hook (:func:`register_temperature_state`) that gives it the
temperature of the state dict it loads (:func:`load_temperature`), or none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeVar

import torch
from torch import Tensor, nn

from bayescnn import defaults
from bayescnn.errors import InvalidArgumentError
from bayescnn.registry import Choice

__all__ = [
    "POOLED_BUFFER",
    "TEMPERATURE_BUFFER",
    "TemperatureForm",
    "apply_temperature",
    "divide_by_temperature",
    "load_temperature",
    "pooled_temperature",
    "register_temperature_state",
    "set_temperature",
    "temper_predictive",
    "temperature_form",
    "temperature_of",
]

TEMPERATURE_BUFFER = "predictive_temperature"
"""Name of the scalar buffer that holds a model's fitted temperature."""
POOLED_BUFFER = "predictive_temperature_pooled"
"""Name of the boolean buffer that marks the temperature as the pooled form's (a model
with a temperature but without it has a per-sample one)."""


class TemperatureForm(Choice):
    """Where the temperature divides: the averaged predictive, or each sample's logits."""

    POOLED = "pooled"
    PER_SAMPLE = "per-sample"

    @classmethod
    def from_flag(cls, pooled: Tensor | None) -> TemperatureForm:
        """The form a :data:`POOLED_BUFFER` value (or its absence) stands for."""
        return cls.POOLED if pooled is not None and bool(pooled) else cls.PER_SAMPLE


def temperature_of(model: nn.Module) -> float | None:
    """The model's fitted temperature, or ``None`` when it was never calibrated."""
    buffer = model._buffers.get(TEMPERATURE_BUFFER)
    return None if buffer is None else float(buffer)


def temperature_form(model: nn.Module) -> TemperatureForm | None:
    """The form of the model's temperature, or ``None`` when it was never calibrated."""
    if model._buffers.get(TEMPERATURE_BUFFER) is None:
        return None
    return TemperatureForm.from_flag(model._buffers.get(POOLED_BUFFER))


def pooled_temperature(model: nn.Module) -> Tensor | None:
    """The temperature buffer when its form is pooled (applied to ``p̄`` by
    :func:`temper_predictive`); ``None`` for an uncalibrated or per-sample model."""
    if temperature_form(model) is not TemperatureForm.POOLED:
        return None
    return model._buffers[TEMPERATURE_BUFFER]


def _check_temperature(temperature: float) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, int | float):
        raise InvalidArgumentError(f"temperature must be a number, got {temperature!r}")
    value = float(temperature)
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgumentError(f"temperature must be a finite number > 0, got {temperature!r}")
    return value


def _set_scalar(model: nn.Module, name: str, value: torch.Tensor) -> None:
    """Overwrite buffer ``name`` in place (optimisers and DDP keep the same tensor), or
    create it on the model's device."""
    existing = model._buffers.get(name)
    if existing is not None and existing.dtype == value.dtype:
        existing.fill_(value)
        return
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    model.register_buffer(name, value.to(device))


def set_temperature(
    model: nn.Module,
    temperature: float | None,
    *,
    form: str | TemperatureForm = defaults.TEMPERATURE_FORM,
) -> nn.Module:
    """Keep ``temperature`` (of ``form``) with ``model``; ``None`` removes it.

    The temperature buffer is float32 on the model's device, overwritten in place when it
    exists; the pooled form adds a boolean flag buffer (:data:`POOLED_BUFFER`), which the
    per-sample form does not have.
    """
    if temperature is None:
        model._buffers.pop(TEMPERATURE_BUFFER, None)
        model._buffers.pop(POOLED_BUFFER, None)
        return model
    value = _check_temperature(temperature)
    pooled = TemperatureForm.parse(form) is TemperatureForm.POOLED
    _set_scalar(model, TEMPERATURE_BUFFER, torch.tensor(value))
    if pooled:
        _set_scalar(model, POOLED_BUFFER, torch.tensor(True))
    else:  # absent: per sample, as in a state dict saved before the pooled form existed
        model._buffers.pop(POOLED_BUFFER, None)
    return model


def _saved_scalar(state_dict: Mapping[str, Any], key: str) -> Tensor | None:
    value = state_dict.get(key)
    if value is not None and (not isinstance(value, Tensor) or value.numel() != 1):
        shape = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
        raise InvalidArgumentError(f"{key} must be a scalar tensor, got {shape}")
    return value


def load_temperature(model: nn.Module, state_dict: Mapping[str, Any], prefix: str = "") -> None:
    """Give ``model`` the temperature ``state_dict`` holds under ``prefix``, or none.

    The temperature is part of the model's state, as its weights are: a state dict's
    temperature is adopted with its form (without :data:`POOLED_BUFFER`: per sample, the
    only form before the pooled one existed), and a state dict without one (an
    uncalibrated model's, or one saved before calibration existed) leaves ``model``
    uncalibrated, whatever it held before (a temperature belongs to the weights it was
    fitted for). The buffers are then those the state dict has, so that it loads with
    ``strict=True``.

    Raises:
        InvalidArgumentError: For a temperature that is not one finite number > 0, or a
            form flag that is not one boolean.
    """
    key = prefix + TEMPERATURE_BUFFER
    value = _saved_scalar(state_dict, key)
    flag = _saved_scalar(state_dict, prefix + POOLED_BUFFER)
    if value is None:
        set_temperature(model, None)
        return
    form = TemperatureForm.from_flag(flag)
    try:
        set_temperature(model, float(value), form=form)
    except InvalidArgumentError as error:
        raise InvalidArgumentError(f"{key}: {error}") from None
    if flag is not None and form is TemperatureForm.PER_SAMPLE:  # a flag saved as False
        _set_scalar(model, POOLED_BUFFER, torch.tensor(False))


def _load_temperature_hook(
    module: nn.Module,
    state_dict: dict[str, Any],
    prefix: str,
    local_metadata: dict[str, Any],
    strict: bool,
    missing_keys: list[str],
    unexpected_keys: list[str],
    error_msgs: list[str],
) -> None:
    """``load_state_dict`` pre-hook: :func:`load_temperature` before the buffers are read.

    A module-level function, so that the hook survives ``copy.deepcopy`` and pickling of
    the model (``torch.nn`` keeps it in the module's ``_load_state_dict_pre_hooks``).
    """
    try:
        load_temperature(module, state_dict, prefix)
    except InvalidArgumentError as error:
        error_msgs.append(str(error))  # load_state_dict raises them together


_ModuleT = TypeVar("_ModuleT", bound=nn.Module)


def register_temperature_state(model: _ModuleT) -> _ModuleT:
    """Make ``model.load_state_dict`` restore the temperature of the state dict it loads.

    Registers a load-state-dict pre-hook on ``model`` (once; also when it is loaded as a
    submodule) that runs :func:`load_temperature`: a calibrated state dict loads into
    the freshly built model, with its temperature and form, and an uncalibrated one leaves
    it uncalibrated, with ``strict=True``. Nothing is added to the model's state dict.
    Every model the library builds or converts has it; call it on a model built by hand,
    e.g. a wrapper calibrated as a whole, right after building it.

    Returns:
        ``model``.
    """
    hooks = model._load_state_dict_pre_hooks.values()
    if not any(getattr(hook, "hook", None) is _load_temperature_hook for hook in hooks):
        # torch leaves this method unannotated (untyped_calls_exclude cannot see it through a TypeVar)
        model.register_load_state_dict_pre_hook(_load_temperature_hook)  # type: ignore[no-untyped-call]
    return model


def divide_by_temperature(logits: Tensor, model: nn.Module) -> Tensor:
    """``logits / T`` with the model's temperature of either form (for one sample both
    forms are ``softmax(f / T)``); the logits unchanged when it has none."""
    buffer = model._buffers.get(TEMPERATURE_BUFFER)
    return logits if buffer is None else logits / buffer.to(logits.dtype)


def apply_temperature(logits: Tensor, model: nn.Module) -> Tensor:
    """Each sample's ``logits / T`` when the model's temperature is per-sample; the logits
    unchanged when it has none or a pooled one (that one applies to ``p̄``:
    :func:`temper_predictive`)."""
    if temperature_form(model) is not TemperatureForm.PER_SAMPLE:
        return logits
    return divide_by_temperature(logits, model)


def temper_predictive(predictive: Tensor, temperature: Tensor | float) -> Tensor:
    """``softmax(log p̄ / T)`` of a predictive ``p̄`` ``(..., K)`` (the pooled form).

    Written with ops every exporter knows; ``p̄`` is clamped at the dtype's smallest
    normal number so that a class of probability 0 stays finite.
    """
    tiny = torch.finfo(predictive.dtype).tiny
    if isinstance(temperature, Tensor):
        temperature = temperature.to(predictive.dtype)
    return torch.softmax(predictive.clamp_min(tiny).log() / temperature, dim=-1)

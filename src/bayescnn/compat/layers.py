"""The original code's layer classes, running on the new core with the correct KL.

``BBB_Linear``/``BBB_Conv2d`` sample weights (estimator ``bbb``);
``BBB_LRT_Linear``/``BBB_LRT_Conv2d`` use local reparameterisation (``lrt``). They keep
the original constructor signatures, ``forward(x, sample=True)``, ``kl_loss()``, and
load ``state_dict``s saved by the original code (``W_mu``, ``W_rho``, ``bias_mu``,
``bias_rho``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from bayescnn import nn as bnn
from bayescnn.calibration.temperature import register_temperature_state
from bayescnn.compat.priors_dict import posterior_spec
from bayescnn.errors import ModelInputError
from bayescnn.nn.estimators import Estimator

_RENAMED = {"W_mu": "weight_mu", "W_rho": "weight_rho"}


class _OriginalAPI(bnn.BayesianLayer):
    """What the original layers offered on top of a core Bayesian layer."""

    def forward(self, x: torch.Tensor, sample: bool = True) -> torch.Tensor:
        """Sample when ``sample`` or in training mode, as the original did; else the mean."""
        if sample or self.training or not self.sample:
            return super().forward(x)
        self.sample = False
        try:
            return super().forward(x)
        finally:
            self.sample = True

    def kl_loss(self) -> torch.Tensor:
        """KL(q || p) of this layer (the original computed KL(p || q))."""
        return self.kl()

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        for old, new in _RENAMED.items():
            if prefix + old in state_dict:
                state_dict[prefix + new] = state_dict.pop(prefix + old)
        # The original saved no prior; keep this layer's prior when none is given.
        if prefix + "weight_mu" in state_dict:
            for name, buffer in self.prior.named_buffers():
                state_dict.setdefault(f"{prefix}prior.{name}", buffer.detach().clone())
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )


class _OriginalLinear(_OriginalAPI, bnn.Linear):
    estimator_name: Estimator

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        priors: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            in_features,
            out_features,
            bias,
            posterior=posterior_spec(priors, self.estimator_name),
        )


class _OriginalConv2d(_OriginalAPI, bnn.Conv2d):
    estimator_name: Estimator

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        bias: bool = True,
        priors: dict[str, Any] | None = None,
        *,
        strides: int | tuple[int, int] | None = None,
        groups: int = 1,
    ) -> None:
        # ``strides`` is accepted because the original README's example spells it so.
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride if strides is None else strides,
            padding,
            dilation,
            groups,
            bias,
            posterior=posterior_spec(priors, self.estimator_name),
        )


class BBB_Linear(_OriginalLinear):
    """Original ``layers.BBB.BBBLinear``: weight sampling (Bayes by Backprop)."""

    estimator_name = Estimator.BBB


class BBB_Conv2d(_OriginalConv2d):
    """Original ``layers.BBB.BBBConv2d``: weight sampling (Bayes by Backprop)."""

    estimator_name = Estimator.BBB


class BBB_LRT_Linear(_OriginalLinear):
    """Original ``layers.BBB_LRT.BBBLinear``: local reparameterisation."""

    estimator_name = Estimator.LRT


class BBB_LRT_Conv2d(_OriginalConv2d):
    """Original ``layers.BBB_LRT.BBBConv2d``: local reparameterisation."""

    estimator_name = Estimator.LRT


class ModuleWrapper(nn.Module):
    """Subclass instead of ``nn.Module`` and write no ``forward``: children run in the
    order they were assigned, and the output is ``(logits, kl)`` with ``kl`` the sum of
    KL(q || p) over every Bayesian layer inside. Its ``load_state_dict`` takes a calibrated
    state dict's temperature (:func:`bayescnn.calibration.register_temperature_state`).
    """

    def __init__(self) -> None:
        super().__init__()
        register_temperature_state(self)

    def set_flag(self, flag_name: str, value: Any) -> None:
        """Set an attribute on this module and every child that has ``set_flag``."""
        setattr(self, flag_name, value)
        for module in self.children():
            set_flag = getattr(module, "set_flag", None)
            if set_flag is not None:
                set_flag(flag_name, value)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for module in self.children():
            x = module(x)
        return x, bnn.kl_divergence(self, validate=False)


class FlattenLayer(nn.Module):
    """Flatten all but the batch dimension; ``num_features``, if given, is checked."""

    def __init__(self, num_features: int | None = None) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x.flatten(1)
        if self.num_features is not None and out.shape[1] != self.num_features:
            raise ModelInputError(
                f"FlattenLayer({self.num_features}) got {out.shape[1]} features per example "
                f"(input shape {tuple(x.shape)}); pass the right size or FlattenLayer() "
                "to infer it"
            )
        return out

    def extra_repr(self) -> str:
        return "" if self.num_features is None else f"num_features={self.num_features}"

"""One optimisation step of any classifier: forward, objective, backward, update."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, Protocol

import torch
from torch import nn

from bayescnn import defaults
from bayescnn.errors import InvalidArgumentError
from bayescnn.nn.layer import Variational
from bayescnn.train.objective import ELBOTerms, Progress

__all__ = ["Objective", "TrainStep", "default_optimizer", "parameter_groups"]


class Objective(Protocol):
    """What :func:`bayescnn.fit` minimises: :class:`bayescnn.ELBO`, or any callable
    ``(model, inputs, labels, *, progress, kl_model) -> ELBOTerms``."""

    def __call__(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        labels: torch.Tensor,
        *,
        progress: Progress | None = None,
        kl_model: nn.Module | None = None,
    ) -> ELBOTerms: ...


def parameter_groups(
    model: nn.Module, lr: float, rho_lr_scale: float = 1.0
) -> list[dict[str, Any]]:
    """Optimiser parameter groups: every variational layer's rho (mean-field or rank-1)
    at ``lr * rho_lr_scale``, every other parameter at ``lr``.

    Adam moves a parameter by about ``lr`` a step whatever its gradient's size, so from
    rho = -5 the posterior's sigma = softplus(rho) grows by at most a factor ~e^lr a step
    and is still growing after 10 epochs; a scale > 1 lets it reach a wider posterior
    sooner (more epistemic spread, at a cost in calibration: see the documentation's results).
    With ``rho_lr_scale = 1`` (or no rho) the one group of all parameters.
    """
    if not rho_lr_scale > 0:
        raise InvalidArgumentError(f"rho_lr_scale must be > 0, got {rho_lr_scale!r}")
    rho_ids = {
        id(p)
        for layer in model.modules()
        if isinstance(layer, Variational)
        for p in layer.rho_parameters()
    }
    parameters = list(model.parameters())
    rho = [p for p in parameters if id(p) in rho_ids]
    rest = [p for p in parameters if id(p) not in rho_ids]
    if rho_lr_scale == 1 or not rho:
        return [{"params": parameters, "lr": lr}]
    return [{"params": rest, "lr": lr}, {"params": rho, "lr": lr * rho_lr_scale}]


def default_optimizer(
    model: nn.Module, lr: float = defaults.LR, rho_lr_scale: float = 1.0
) -> torch.optim.Optimizer:
    """Adam over :func:`parameter_groups`; on CUDA its fused kernel (one launch for all
    parameters, which matters for Bayesian networks: twice the tensors of their twin)."""
    parameters = list(model.parameters())
    on_cuda = bool(parameters) and all(p.device.type == "cuda" for p in parameters)
    groups = parameter_groups(model, lr, rho_lr_scale)
    return torch.optim.Adam(groups, lr=lr, fused=on_cuda)


class TrainStep:
    """``step(inputs, labels)``: one minibatch of gradient descent on ``objective``.

    Args:
        model: the network whose parameters are trained (and whose KL is counted).
        objective: e.g. :class:`bayescnn.ELBO`.
        optimizer: over ``model``'s parameters.
        forward_model: what runs the forward pass, when it wraps ``model``
            (``torch.compile``, ``DistributedDataParallel``); default ``model``.
        amp: run the forward pass under bfloat16 autocast (the loss and KL in float32).
        grad_clip: clip the gradient norm to this value (0: off).
    """

    def __init__(
        self,
        model: nn.Module,
        objective: Objective,
        optimizer: torch.optim.Optimizer,
        *,
        forward_model: nn.Module | None = None,
        amp: bool = False,
        grad_clip: float = 0.0,
    ) -> None:
        self.model = model
        self.objective = objective
        self.optimizer = optimizer
        self.forward_model = forward_model if forward_model is not None else model
        self.amp = amp
        self.grad_clip = grad_clip

    def __call__(
        self, inputs: torch.Tensor, labels: torch.Tensor, progress: Progress | None = None
    ) -> ELBOTerms:
        autocast = (
            torch.autocast(inputs.device.type, dtype=torch.bfloat16) if self.amp else nullcontext()
        )
        with autocast:
            terms = self.objective(
                self.forward_model, inputs, labels, progress=progress, kl_model=self.model
            )
        self.optimizer.zero_grad(set_to_none=True)
        terms.loss.backward()
        if self.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
        self.optimizer.step()
        return terms
